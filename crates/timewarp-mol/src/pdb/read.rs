//! Fixed-column PDB reader.
//!
//! Reads `ATOM`/`HETATM` (columns as in the PDB v3.3 format guide), `MODEL`/`ENDMDL`/`END`
//! (several models), `TER` (chain breaks) and `CONECT`. Lines may end right after the z
//! coordinate (column 54), as in many old files; missing element columns (77–78) are inferred
//! from the atom name the way OpenMM's `PDBFile` does. Names are normalised with
//! [`super::names`], bonds built with [`Topology::create_standard_bonds`], disulfide bonds from
//! the first model, then `CONECT` bonds added — the order OpenMM uses.
//!
//! Alternate locations: the first location of each atom is kept. Positions are converted with
//! `x_nm = x_Å × 0.1` (OpenMM's arithmetic, so coordinates agree bit for bit).

use super::{PdbFile, STANDARD_RESIDUES};
use crate::bonds::is_standard_residue;
use crate::pdb::names::name_tables;
use crate::{Atom, Element, MolError, Residue, Topology};
use std::collections::HashMap;
use std::path::Path;

/// Read a PDB file. See [`parse_pdb`].
///
/// ```
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/ala2.pdb");
/// # if !std::path::Path::new(path).exists() { return; }
/// let pdb = timewarp_mol::pdb::read_pdb(std::path::Path::new(path)).unwrap();
/// assert_eq!(pdb.topology.n_atoms(), 22);
/// assert_eq!(pdb.models.len(), 1);
/// assert!((pdb.models[0][0][0] - 0.2).abs() < 1e-12); // nm
/// ```
pub fn read_pdb(path: &Path) -> Result<PdbFile, MolError> {
    let bytes = std::fs::read(path).map_err(|e| MolError::io(path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    parse_pdb(&text, &path.display().to_string())
}

/// Parse the text of a PDB file; `source` names it in error messages.
///
/// ```
/// let text = "\
/// ATOM      1  N   GLY A   1      -0.960   0.000   0.000
/// ATOM      2  CA  GLY A   1       0.000   0.000   0.000
/// ";
/// let pdb = timewarp_mol::pdb::parse_pdb(text, "gly.pdb").unwrap();
/// assert_eq!(pdb.topology.atoms[1].element, timewarp_mol::Element::C);
/// assert_eq!(pdb.topology.bonds, vec![(0, 1)]);
/// ```
pub fn parse_pdb(text: &str, source: &str) -> Result<PdbFile, MolError> {
    let mut models: Vec<ModelRecords> = Vec::new();
    let mut current: Option<ModelRecords> = None;
    let mut connects: Vec<(usize, Vec<i64>)> = Vec::new();

    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim_end_matches('\r');
        let record = record_name(line);
        match record {
            "ATOM" | "HETATM" => {
                let atom = parse_atom_line(line, line_no, source)?;
                let model = current
                    .get_or_insert_with(|| ModelRecords::new(models.len() as i64 + 1, line_no));
                model.atoms.push(atom);
            }
            "MODEL" => {
                if let Some(m) = current.take() {
                    push_model(&mut models, m);
                }
                let number = col(line, 11, 14)
                    .trim()
                    .parse()
                    .unwrap_or(models.len() as i64 + 1);
                current = Some(ModelRecords::new(number, line_no));
            }
            "ENDMDL" | "END" => {
                if let Some(m) = current.take() {
                    push_model(&mut models, m);
                }
            }
            "TER" => {
                if let Some(m) = current.as_mut() {
                    let at = m.atoms.len();
                    m.chain_breaks.push(at);
                }
            }
            "CONECT" => connects.push((line_no, parse_conect(line, line_no, source)?)),
            _ => {}
        }
    }
    if let Some(m) = current.take() {
        push_model(&mut models, m);
    }
    if models.is_empty() {
        return Err(MolError::EmptyPdb {
            file: source.to_string(),
        });
    }

    let residues: Vec<Vec<ResidueRecords>> = models.iter().map(group_residues).collect();
    let (mut topology, serial_lines) = build_topology(&residues[0], source)?;
    let mut positions = Vec::with_capacity(models.len());
    for (m, model) in models.iter().enumerate() {
        if m > 0 {
            check_same_atoms(&topology, &residues[m], model, source)?;
        }
        positions.push(
            residues[m]
                .iter()
                .flat_map(|r| r.atoms.iter().map(|a| a.position))
                .collect::<Vec<_>>(),
        );
    }

    topology.create_standard_bonds();
    topology.create_disulfide_bonds(&positions[0]);
    add_conect_bonds(&mut topology, &connects, &serial_lines);

    Ok(PdbFile {
        topology,
        models: positions,
    })
}

/// One ATOM/HETATM record, fields as in the file (names not yet normalised).
#[derive(Debug, Clone)]
struct AtomRecord {
    line: usize,
    serial: i64,
    name: String,
    alt_loc: char,
    residue_name: String,
    chain: char,
    residue_number: i32,
    insertion_code: char,
    /// nm
    position: [f64; 3],
    /// Columns 77–78, trimmed (may be empty).
    element: String,
}

/// The records of one model, and where `TER` records cut them into chains.
#[derive(Debug)]
struct ModelRecords {
    number: i64,
    line: usize,
    atoms: Vec<AtomRecord>,
    /// Atom counts at which a `TER` record was seen.
    chain_breaks: Vec<usize>,
}

impl ModelRecords {
    fn new(number: i64, line: usize) -> Self {
        ModelRecords {
            number,
            line,
            atoms: Vec::new(),
            chain_breaks: Vec::new(),
        }
    }
}

fn push_model(models: &mut Vec<ModelRecords>, m: ModelRecords) {
    if !m.atoms.is_empty() {
        models.push(m);
    }
}

/// A residue of a model: consecutive records with the same chain, number, insertion code and
/// name; alternate locations after the first already dropped.
#[derive(Debug)]
struct ResidueRecords {
    name: String,
    number: i32,
    insertion_code: char,
    chain: char,
    chain_index: usize,
    atoms: Vec<AtomRecord>,
}

/// Columns `first..=last` (1-based, inclusive) of `line`, empty where the line is shorter.
fn col(line: &str, first: usize, last: usize) -> &str {
    let bytes = line.as_bytes();
    let start = (first - 1).min(bytes.len());
    let end = last.min(bytes.len());
    std::str::from_utf8(&bytes[start..end]).unwrap_or("")
}

fn col_char(line: &str, column: usize) -> char {
    line.as_bytes().get(column - 1).map_or(' ', |&b| b as char)
}

fn record_name(line: &str) -> &str {
    let end = line.len().min(6);
    line.get(..end).unwrap_or("").trim_end()
}

fn bad(
    source: &str,
    line: usize,
    field: &'static str,
    columns: &'static str,
    text: &str,
) -> MolError {
    MolError::PdbField {
        file: source.to_string(),
        line,
        field,
        columns,
        text: text.to_string(),
    }
}

/// Serial numbers: decimal, or the hexadecimal continuation OpenMM/VMD write beyond 99999
/// (`A0000` = 100000).
fn parse_serial(text: &str, width: u32) -> Option<i64> {
    let t = text.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Some(v);
    }
    let v = i64::from_str_radix(t, 16).ok()?;
    let base = 10 * 16_i64.pow(width - 1);
    (v >= base).then(|| v - base + 10_i64.pow(width))
}

fn parse_atom_line(line: &str, line_no: usize, source: &str) -> Result<AtomRecord, MolError> {
    if !line.is_ascii() {
        return Err(bad(
            source,
            line_no,
            "record (non-ASCII character)",
            "1-80",
            line,
        ));
    }
    let serial_text = col(line, 7, 11);
    let serial = if serial_text.trim().is_empty() {
        -1
    } else {
        parse_serial(serial_text, 5)
            .ok_or_else(|| bad(source, line_no, "atom serial number", "7-11", serial_text))?
    };
    let name = col(line, 13, 16).trim().to_string();
    if name.is_empty() {
        return Err(bad(
            source,
            line_no,
            "atom name",
            "13-16",
            col(line, 13, 16),
        ));
    }
    let mut residue_name = col(line, 18, 20).trim().to_string();
    let fourth = col_char(line, 21);
    if fourth != ' ' {
        // Some MD codes write 4-character residue names into column 21.
        if residue_name.len() != 3 {
            return Err(bad(
                source,
                line_no,
                "residue name",
                "18-21",
                col(line, 18, 21),
            ));
        }
        residue_name.push(fourth);
    }
    let number_text = col(line, 23, 26);
    let residue_number = parse_serial(number_text, 4)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| {
            bad(
                source,
                line_no,
                "residue sequence number",
                "23-26",
                number_text,
            )
        })?;

    let mut position = [0.0; 3];
    for (k, (first, last, field, columns)) in [
        (31, 38, "x coordinate", "31-38"),
        (39, 46, "y coordinate", "39-46"),
        (47, 54, "z coordinate", "47-54"),
    ]
    .into_iter()
    .enumerate()
    {
        let text = col(line, first, last);
        let value: f64 = text
            .trim()
            .parse()
            .map_err(|_| bad(source, line_no, field, columns, text))?;
        if !value.is_finite() {
            return Err(MolError::NonFinite {
                file: source.to_string(),
                line: line_no,
                atom: format!("{name} of {residue_name} {residue_number} (serial {serial})"),
                value: text.trim().to_string(),
            });
        }
        // OpenMM converts with a float multiplication by 0.1; keep its rounding.
        position[k] = value * 0.1;
    }

    Ok(AtomRecord {
        line: line_no,
        serial,
        name,
        alt_loc: col_char(line, 17),
        residue_name,
        chain: col_char(line, 22),
        residue_number,
        insertion_code: col_char(line, 27),
        position,
        element: col(line, 77, 78).trim().to_string(),
    })
}

fn parse_conect(line: &str, line_no: usize, source: &str) -> Result<Vec<i64>, MolError> {
    const FIELDS: [(usize, usize, &str); 5] = [
        (7, 11, "7-11"),
        (12, 16, "12-16"),
        (17, 21, "17-21"),
        (22, 26, "22-26"),
        (27, 31, "27-31"),
    ];
    let mut serials = Vec::new();
    for (k, (first, last, columns)) in FIELDS.into_iter().enumerate() {
        let text = col(line, first, last);
        if text.trim().is_empty() && k > 0 {
            continue;
        }
        let serial = parse_serial(text, 5)
            .ok_or_else(|| bad(source, line_no, "CONECT serial number", columns, text))?;
        serials.push(serial);
    }
    Ok(serials)
}

/// Split a model into chains (at `TER` and chain-id changes) and residues, keeping only the
/// first alternate location of each atom.
fn group_residues(model: &ModelRecords) -> Vec<ResidueRecords> {
    let mut residues: Vec<ResidueRecords> = Vec::new();
    let mut chain_index = 0;
    let mut breaks = model.chain_breaks.iter().peekable();
    for (i, atom) in model.atoms.iter().enumerate() {
        let mut ter = false;
        while breaks.next_if(|&&b| b <= i).is_some() {
            ter = true;
        }
        let new_chain = match residues.last() {
            None => false,
            Some(last) => ter || last.chain != atom.chain,
        };
        if new_chain {
            chain_index += 1;
        }
        let same_residue = !new_chain
            && residues.last().is_some_and(|r| {
                r.number == atom.residue_number
                    && r.insertion_code == atom.insertion_code
                    && r.name == atom.residue_name
            });
        if !same_residue {
            residues.push(ResidueRecords {
                name: atom.residue_name.clone(),
                number: atom.residue_number,
                insertion_code: atom.insertion_code,
                chain: atom.chain,
                chain_index,
                atoms: Vec::new(),
            });
        }
        let residue = residues.last_mut().expect("a residue was just pushed");
        let later_location =
            atom.alt_loc != ' ' && residue.atoms.iter().any(|a| a.name == atom.name);
        if !later_location {
            residue.atoms.push(atom.clone());
        }
    }
    residues
}

/// Atom serial number → line number, kept for `CONECT` lookup.
type SerialIndex = HashMap<i64, usize>;

fn build_topology(
    residues: &[ResidueRecords],
    source: &str,
) -> Result<(Topology, SerialIndex), MolError> {
    let tables = name_tables();
    let mut topology = Topology::default();
    let mut serials = SerialIndex::new();
    for residue in residues {
        let name = tables.residue(&residue.name).to_string();
        let start = topology.atoms.len();
        for record in &residue.atoms {
            let atom_name = tables.atom(&name, &record.name).trim().to_string();
            let element = resolve_element(record, &atom_name, residue.atoms.len(), source)?;
            let index = topology.atoms.len();
            serials.entry(record.serial).or_insert(index);
            topology.atoms.push(Atom {
                name: atom_name,
                element,
                residue: topology.residues.len(),
                serial: record.serial,
            });
        }
        topology.residues.push(Residue {
            name,
            number: residue.number,
            insertion_code: residue.insertion_code,
            chain: residue.chain,
            atoms: start..topology.atoms.len(),
            chain_index: residue.chain_index,
        });
    }
    Ok((topology, serials))
}

/// Element from columns 77–78, else guessed from the (normalised) atom name like OpenMM:
/// leading digits dropped, then `CL`, `NA`, `MG`, `K`, `ZN` prefixes, `CA` only in a
/// one-atom residue (calcium ion, not Cα), else the first letter.
fn resolve_element(
    record: &AtomRecord,
    name: &str,
    residue_size: usize,
    source: &str,
) -> Result<Element, MolError> {
    let fail = |reason: String| MolError::Element {
        file: source.to_string(),
        line: record.line,
        atom: format!(
            "{} of {} {}",
            record.name, record.residue_name, record.residue_number
        ),
        reason,
    };
    if !record.element.is_empty() {
        return Element::from_symbol(&record.element).ok_or_else(|| {
            fail(format!(
                "unsupported element {:?} in columns 77-78",
                record.element
            ))
        });
    }
    let upper = name.to_ascii_uppercase();
    let stripped = upper.trim_start_matches(|c: char| c.is_ascii_digit());
    let guess = if stripped.is_empty() {
        &upper[upper.len() - 1..]
    } else {
        stripped
    };
    let element = if guess.starts_with("CL") {
        Some(Element::Cl)
    } else if guess.starts_with("NA") {
        Some(Element::Na)
    } else if guess.starts_with("MG") {
        Some(Element::Mg)
    } else if guess.starts_with("BE") || guess.starts_with("LI") {
        None
    } else if guess.starts_with('K') {
        Some(Element::K)
    } else if guess.starts_with("ZN") {
        Some(Element::Zn)
    } else if residue_size == 1 && guess.starts_with("CA") {
        Some(Element::Ca)
    } else {
        Element::from_symbol(&guess[..1])
    };
    element.ok_or_else(|| {
        fail(format!(
            "cannot infer a supported element from the atom name {name:?}; give it in columns 77-78"
        ))
    })
}

/// Later models must list the same atoms, in the same order, as the first.
fn check_same_atoms(
    topology: &Topology,
    residues: &[ResidueRecords],
    model: &ModelRecords,
    source: &str,
) -> Result<(), MolError> {
    let tables = name_tables();
    let fail = |detail: String| MolError::InconsistentModels {
        file: source.to_string(),
        model: model.number,
        line: model.line,
        detail,
    };
    let n: usize = residues.iter().map(|r| r.atoms.len()).sum();
    if n != topology.n_atoms() {
        return Err(fail(format!(
            "{n} atoms, the first model has {}",
            topology.n_atoms()
        )));
    }
    let records = residues.iter().flat_map(|r| r.atoms.iter());
    for (i, record) in records.enumerate() {
        let residue_name = tables.residue(&record.residue_name);
        let atom_name = tables.atom(residue_name, &record.name);
        let atom = &topology.atoms[i];
        let residue = &topology.residues[atom.residue];
        if atom_name != atom.name
            || residue_name != residue.name
            || record.residue_number != residue.number
        {
            return Err(fail(format!(
                "atom {} is {} of {} {} (line {}) where the first model has {}",
                i + 1,
                record.name,
                record.residue_name,
                record.residue_number,
                record.line,
                topology.atom_label(i)
            )));
        }
    }
    Ok(())
}

/// Add `CONECT` bonds that the templates did not create. As in OpenMM, a bond to a metal ion
/// is kept only when the other atom is not in a standard residue.
fn add_conect_bonds(
    topology: &mut Topology,
    connects: &[(usize, Vec<i64>)],
    serials: &SerialIndex,
) {
    const METALS: [Element; 5] = [
        Element::Na,
        Element::K,
        Element::Mg,
        Element::Ca,
        Element::Zn,
    ];
    let standard = |t: &Topology, i: usize| {
        let name = &t.residues[t.atoms[i].residue].name;
        STANDARD_RESIDUES.contains(&name.as_str()) && is_standard_residue(name)
    };
    for (_, list) in connects {
        let Some(&i) = list.first().and_then(|s| serials.get(s)) else {
            continue;
        };
        for s in &list[1..] {
            let Some(&j) = serials.get(s) else { continue };
            if i == j {
                continue;
            }
            let (mi, mj) = (
                METALS.contains(&topology.atoms[i].element),
                METALS.contains(&topology.atoms[j].element),
            );
            let keep =
                (!mi && !mj) || (mi && !standard(topology, j)) || (mj && !standard(topology, i));
            if keep {
                topology.add_bond(i, j);
            }
        }
    }
    topology.bonds.sort_unstable();
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_ATOMS: &str = "\
ATOM      1  N   GLY A   1      -0.960   0.000   0.000  1.00  0.00           N
ATOM      2  CA  GLY A   1       0.000   0.000   0.000  1.00  0.00           C
";

    #[test]
    fn short_lines_and_missing_element_columns() {
        let text = "ATOM      1  N   GLY A   1      -0.960   0.000   0.000\nATOM      2  CA  GLY A   1       0.000   0.000   1.000";
        let pdb = parse_pdb(text, "short.pdb").unwrap();
        assert_eq!(pdb.topology.atoms[0].element, Element::N);
        assert_eq!(pdb.topology.atoms[1].element, Element::C);
        assert_eq!(pdb.models[0][0], [-0.960 * 0.1, 0.0, 0.0]);
        assert_eq!(pdb.models[0][1][2], 0.1);
    }

    #[test]
    fn malformed_coordinate_names_line_and_columns() {
        let text = TWO_ATOMS.replace(
            "  0.000   0.000   0.000  1.00",
            "  0.000   0.0x0   0.000  1.00",
        );
        let err = parse_pdb(&text, "bad.pdb").unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(
                err,
                MolError::PdbField {
                    line: 2,
                    columns: "39-46",
                    ..
                }
            ),
            "{msg}"
        );
        assert!(
            msg.contains("bad.pdb:2") && msg.contains("y coordinate"),
            "{msg}"
        );
    }

    #[test]
    fn truncated_line_is_an_error() {
        let text = "ATOM      1  N   GLY A   1      -0.960   0.000";
        let err = parse_pdb(text, "cut.pdb").unwrap_err();
        assert!(
            matches!(
                err,
                MolError::PdbField {
                    line: 1,
                    columns: "47-54",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn bad_residue_number() {
        let text = TWO_ATOMS.replace("GLY A   1       0.000", "GLY A   ?       0.000");
        let err = parse_pdb(&text, "r.pdb").unwrap_err();
        assert!(
            matches!(
                err,
                MolError::PdbField {
                    line: 2,
                    columns: "23-26",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn non_finite_coordinate_names_atom() {
        let text = TWO_ATOMS.replace(
            "  0.000   0.000   0.000  1.00",
            "  0.000     nan   0.000  1.00",
        );
        let err = parse_pdb(&text, "nan.pdb").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, MolError::NonFinite { line: 2, .. }), "{msg}");
        assert!(msg.contains("CA of GLY 1"), "{msg}");
    }

    #[test]
    fn empty_file() {
        for text in ["", "REMARK nothing here\nEND\n"] {
            assert!(matches!(
                parse_pdb(text, "e.pdb"),
                Err(MolError::EmptyPdb { .. })
            ));
        }
    }

    #[test]
    fn unknown_element() {
        let text = TWO_ATOMS.replace("           C\n", "          FE\n");
        let err = parse_pdb(&text, "fe.pdb").unwrap_err();
        assert!(matches!(err, MolError::Element { line: 2, .. }), "{err}");
        let text = "HETATM    1 XX   LIG A   1       0.000   0.000   0.000\n";
        assert!(matches!(
            parse_pdb(text, "x.pdb"),
            Err(MolError::Element { line: 1, .. })
        ));
    }

    #[test]
    fn element_guessing_like_openmm() {
        let text = "\
HETATM    1 CA    CA B   1       0.000   0.000   0.000
HETATM    2 CL    CL B   2       5.000   0.000   0.000
HETATM    3 NA    NA B   3      10.000   0.000   0.000
HETATM    4 1HB  LIG B   4      15.000   0.000   0.000
HETATM    5 CA   LIG B   4      16.000   0.000   0.000
";
        let t = parse_pdb(text, "ions.pdb").unwrap().topology;
        let elements: Vec<Element> = t.atoms.iter().map(|a| a.element).collect();
        assert_eq!(
            elements,
            [
                Element::Ca,
                Element::Cl,
                Element::Na,
                Element::H,
                Element::C
            ]
        );
    }

    #[test]
    fn models_must_match() {
        let model = |name: &str| {
            format!(
                "MODEL        1\nATOM      1  N   GLY A   1      -0.960   0.000   0.000\nATOM      2  {name:<3} GLY A   1       0.000   0.000   0.000\nENDMDL\n"
            )
        };
        let good = format!(
            "{}{}END\n",
            model("CA"),
            model("CA").replace("MODEL        1", "MODEL        2")
        );
        let pdb = parse_pdb(&good, "m.pdb").unwrap();
        assert_eq!(pdb.models.len(), 2);

        let renamed = format!(
            "{}{}",
            model("CA"),
            model("C").replace("MODEL        1", "MODEL        7")
        );
        let err = parse_pdb(&renamed, "m.pdb").unwrap_err();
        assert!(
            matches!(
                err,
                MolError::InconsistentModels {
                    model: 7,
                    line: 5,
                    ..
                }
            ),
            "{err}"
        );

        let short = format!(
            "{}MODEL        2\nATOM      1  N   GLY A   1      -0.960   0.000   0.000\nENDMDL\n",
            model("CA")
        );
        let err = parse_pdb(&short, "m.pdb").unwrap_err();
        assert!(
            matches!(err, MolError::InconsistentModels { model: 2, .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("1 atoms, the first model has 2"),
            "{err}"
        );
    }

    #[test]
    fn frames_separated_by_end_are_models() {
        let text = format!("{TWO_ATOMS}END\n{TWO_ATOMS}END\n");
        assert_eq!(parse_pdb(&text, "vmd.pdb").unwrap().models.len(), 2);
    }

    #[test]
    fn alternate_locations_keep_first() {
        let text = "\
ATOM      1  N   SER A   1       0.000   0.000   0.000
ATOM      2  CA  SER A   1       1.450   0.000   0.000
ATOM      3  CB ASER A   1       2.000   1.400   0.000
ATOM      4  CB BSER A   1       2.000  -1.400   0.000
ATOM      5  OG ASER A   1       3.400   1.400   0.000
ATOM      6  OG BSER A   1       3.400  -1.400   0.000
";
        let pdb = parse_pdb(text, "alt.pdb").unwrap();
        let names: Vec<&str> = pdb.topology.atoms.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["N", "CA", "CB", "OG"]);
        assert_eq!(pdb.models[0][2][1], 1.4 * 0.1);
        assert_eq!(pdb.topology.atoms[3].serial, 5);
    }

    #[test]
    fn insertion_codes_chains_and_four_letter_residue_names() {
        let text = "\
ATOM      1  N   ALA A  10       0.000   0.000   0.000
ATOM      2  N   ALA A  10A      3.000   0.000   0.000
ATOM      3  N   ALA B  10A      6.000   0.000   0.000
ATOM      4  N   NALAB  11       9.000   0.000   0.000
";
        let t = parse_pdb(text, "ic.pdb").unwrap().topology;
        assert_eq!(t.residues.len(), 4);
        assert_eq!(t.residues[1].insertion_code, 'A');
        assert_eq!(t.residues[2].chain, 'B');
        assert_eq!(t.residues[3].name, "NALA");
        assert_eq!(t.chains(), vec![0..2, 2..4]);
    }

    #[test]
    fn hexadecimal_serials() {
        assert_eq!(parse_serial("99999", 5), Some(99999));
        assert_eq!(parse_serial("A0000", 5), Some(100000));
        assert_eq!(parse_serial("A000", 4), Some(10000));
        assert_eq!(parse_serial("zz", 5), None);
    }

    #[test]
    fn conect_adds_non_template_bonds() {
        let text = "\
HETATM    1  C1  LIG A   1       0.000   0.000   0.000                       C
HETATM    2  O1  LIG A   1       1.200   0.000   0.000                       O
CONECT    1    2
CONECT    2    1
";
        let t = parse_pdb(text, "lig.pdb").unwrap().topology;
        assert_eq!(t.bonds, vec![(0, 1)]);
    }
}
