//! The sequence language of `timewarp build --sequence`.
//!
//! A sequence is a string of one-letter amino-acid codes, upper or lower case, read N → C
//! (`AKWE`, `akwe`); whitespace before and after it is ignored, whitespace inside it is an error
//! (`AK W` is more likely two sequences or a typo than `AKW`). Each letter gets its usual
//! protonation state at
//! pH 7: HIS → HIE (neutral, H on Nε2), ASP/GLU charged (−1), LYS/ARG charged (+1), CYS neutral.
//! Another state is chosen by writing its ff14SB residue name in parentheses right after the
//! letter:
//!
//! | letter | states (default first) |
//! |---|---|
//! | `H` | `HIE`, `HID` (H on Nδ1), `HIP` (both, +1); `HIS` means the default |
//! | `D` | `ASP`, `ASH` (neutral) |
//! | `E` | `GLU`, `GLH` (neutral) |
//! | `K` | `LYS`, `LYN` (neutral) |
//! | `C` | `CYS`, `CYM` (thiolate, −1) |
//!
//! e.g. `AH(HID)E`, `k(lyn)D(ASH)`. The ACE/NME caps are added by the builder, not written.

use super::error::BuildError;

/// One-letter code, default ff14SB residue, other accepted names (protonation states).
const CODES: [(char, &str, &[&str]); 20] = [
    ('A', "ALA", &[]),
    ('C', "CYS", &["CYM"]),
    ('D', "ASP", &["ASH"]),
    ('E', "GLU", &["GLH"]),
    ('F', "PHE", &[]),
    ('G', "GLY", &[]),
    ('H', "HIE", &["HID", "HIP", "HIS"]),
    ('I', "ILE", &[]),
    ('K', "LYS", &["LYN"]),
    ('L', "LEU", &[]),
    ('M', "MET", &[]),
    ('N', "ASN", &[]),
    ('P', "PRO", &[]),
    ('Q', "GLN", &[]),
    ('R', "ARG", &[]),
    ('S', "SER", &[]),
    ('T', "THR", &[]),
    ('V', "VAL", &[]),
    ('W', "TRP", &[]),
    ('Y', "TYR", &[]),
];

/// The ff14SB residue a one-letter code stands for at pH 7 (`'H'` → `HIE`); `None` for a letter
/// that is not one of the 20 standard codes. Case-insensitive.
pub fn default_residue(letter: char) -> Option<&'static str> {
    let upper = letter.to_ascii_uppercase();
    CODES
        .iter()
        .find(|(c, _, _)| *c == upper)
        .map(|(_, name, _)| *name)
}

/// Resolve `variant` written after `letter` to an ff14SB residue name (`HIS` → `HIE`).
fn resolve_variant(letter: char, variant: &str, position: usize) -> Result<String, BuildError> {
    let (_, default, others) = CODES
        .iter()
        .find(|(c, _, _)| *c == letter)
        .expect("resolve_variant is called with a known letter");
    let wanted = variant.trim().to_ascii_uppercase();
    if wanted == *default || wanted == "HIS" && letter == 'H' {
        return Ok(default.to_string());
    }
    if others.contains(&wanted.as_str()) {
        return Ok(wanted);
    }
    let accepted: Vec<&str> = std::iter::once(*default)
        .chain(others.iter().copied())
        .collect();
    Err(BuildError::UnknownVariant {
        variant: variant.trim().to_string(),
        letter,
        position,
        accepted: accepted.join(", "),
    })
}

/// Parse a sequence (see the module documentation for the syntax) into ff14SB residue names,
/// N → C, without caps: `parse_sequence("AH(HID)e")` is `["ALA", "HID", "GLU"]`.
pub fn parse_sequence(sequence: &str) -> Result<Vec<String>, BuildError> {
    let chars: Vec<char> = sequence.chars().collect();
    // Whitespace outside [start, end) is leading or trailing.
    let start = chars.iter().position(|c| !c.is_whitespace()).unwrap_or(0);
    let end = chars
        .iter()
        .rposition(|c| !c.is_whitespace())
        .map_or(0, |i| i + 1);
    let mut residues: Vec<String> = Vec::new();
    // Letter of the residue just read, if a variant may still follow it.
    let mut last: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        let position = i + 1;
        if ch.is_whitespace() {
            if (start..end).contains(&i) {
                return Err(BuildError::WhitespaceInSequence { position });
            }
            i += 1;
        } else if ch == '(' {
            let letter = last
                .take()
                .ok_or(BuildError::VariantWithoutLetter { position })?;
            let close = chars[i + 1..]
                .iter()
                .position(|&c| c == ')')
                .ok_or(BuildError::UnclosedVariant { position })?;
            let variant: String = chars[i + 1..i + 1 + close].iter().collect();
            *residues.last_mut().expect("a letter was read") =
                resolve_variant(letter, &variant, position)?;
            i += close + 2;
        } else if ch.is_ascii_alphabetic() {
            let name = default_residue(ch).ok_or(BuildError::UnknownLetter {
                letter: ch,
                position,
            })?;
            residues.push(name.to_string());
            last = Some(ch.to_ascii_uppercase());
            i += 1;
        } else if ch.is_alphabetic() {
            return Err(BuildError::UnknownLetter {
                letter: ch,
                position,
            });
        } else {
            return Err(BuildError::UnexpectedCharacter {
                character: ch,
                position,
            });
        }
    }
    if residues.is_empty() {
        return Err(BuildError::EmptySequence);
    }
    Ok(residues)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<String> {
        parse_sequence(s).unwrap()
    }

    #[test]
    fn one_letter_codes_get_their_ph7_states() {
        assert_eq!(names("AKWE"), ["ALA", "LYS", "TRP", "GLU"]);
        assert_eq!(names("hdcr"), ["HIE", "ASP", "CYS", "ARG"]);
        assert_eq!(names(" \tAKW\n"), ["ALA", "LYS", "TRP"]);
        assert_eq!(names("ACDEFGHIKLMNPQRSTVWY").len(), 20);
    }

    #[test]
    fn whitespace_inside_a_sequence_is_refused_with_its_position() {
        assert_eq!(
            parse_sequence("AK W"),
            Err(BuildError::WhitespaceInSequence { position: 3 })
        );
        // Positions count from the start of the string as given, leading blanks included.
        assert_eq!(
            parse_sequence("  AK\tW  "),
            Err(BuildError::WhitespaceInSequence { position: 5 })
        );
        assert_eq!(
            parse_sequence("AH(HID) E"),
            Err(BuildError::WhitespaceInSequence { position: 8 })
        );
        let err = parse_sequence("AK W").unwrap_err().to_string();
        assert!(err.contains("position 3"), "{err}");
    }

    #[test]
    fn variants_in_parentheses_override_the_default() {
        assert_eq!(names("AH(HID)E"), ["ALA", "HID", "GLU"]);
        assert_eq!(
            names("h(hip)k(lyn)D(ash)e(GLH)c( cym )"),
            ["HIP", "LYN", "ASH", "GLH", "CYM"]
        );
        assert_eq!(names("H(HIS)D(ASP)"), ["HIE", "ASP"]);
    }

    #[test]
    fn errors_name_the_letter_and_its_position() {
        assert_eq!(
            parse_sequence("AKXE"),
            Err(BuildError::UnknownLetter {
                letter: 'X',
                position: 3
            })
        );
        let err = parse_sequence("AB").unwrap_err();
        assert!(err.to_string().contains("'B' at position 2"), "{err}");
        assert_eq!(
            parse_sequence("AK-E"),
            Err(BuildError::UnexpectedCharacter {
                character: '-',
                position: 3
            })
        );
        assert_eq!(parse_sequence("  "), Err(BuildError::EmptySequence));
        assert_eq!(
            parse_sequence("(HID)"),
            Err(BuildError::VariantWithoutLetter { position: 1 })
        );
        assert_eq!(
            parse_sequence("AH(HID"),
            Err(BuildError::UnclosedVariant { position: 3 })
        );
        assert_eq!(
            parse_sequence("AH(HID)(HIP)"),
            Err(BuildError::VariantWithoutLetter { position: 8 })
        );
        let err = parse_sequence("AD(GLH)").unwrap_err();
        assert_eq!(
            err,
            BuildError::UnknownVariant {
                variant: "GLH".into(),
                letter: 'D',
                position: 3,
                accepted: "ASP, ASH".into()
            }
        );
        let err = parse_sequence("C(CYX)").unwrap_err();
        assert!(err.to_string().contains("accepts CYS, CYM"), "{err}");
        assert!(matches!(
            parse_sequence("Aé"),
            Err(BuildError::UnknownLetter { letter: 'é', .. })
        ));
    }
}
