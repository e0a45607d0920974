//! Errors of the peptide builder.

use thiserror::Error;

/// Why a sequence could not be parsed or a peptide not built. Positions are 1-based character
/// positions in the sequence string; indices are 1-based positions in a residue list.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum BuildError {
    #[error("empty sequence: give at least one amino acid, e.g. `AKWE`")]
    EmptySequence,

    #[error(
        "unknown amino-acid letter '{letter}' at position {position} of the sequence \
         (the builder knows the 20 standard one-letter codes ACDEFGHIKLMNPQRSTVWY)"
    )]
    UnknownLetter { letter: char, position: usize },

    #[error(
        "'{variant}' at position {position} is not a protonation state of '{letter}'; \
         '{letter}' accepts {accepted}"
    )]
    UnknownVariant {
        variant: String,
        letter: char,
        position: usize,
        accepted: String,
    },

    #[error("'(' at position {position} must follow a one-letter code, e.g. `H(HID)`")]
    VariantWithoutLetter { position: usize },

    #[error("'(' at position {position} is not closed by ')'")]
    UnclosedVariant { position: usize },

    #[error(
        "whitespace at position {position} of the sequence: write one sequence without blanks, \
         e.g. `AKWE`"
    )]
    WhitespaceInSequence { position: usize },

    #[error("unexpected '{character}' at position {position} of the sequence")]
    UnexpectedCharacter { character: char, position: usize },

    #[error(
        "unknown residue '{name}' (residue {index} of the list); the builder knows {accepted}"
    )]
    UnknownResidue {
        name: String,
        index: usize,
        accepted: String,
    },

    #[error("backbone dihedral {which} = {value}° is not a finite angle")]
    InvalidDihedral { which: &'static str, value: f64 },
}
