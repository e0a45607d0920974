//! PDB writing in the fixed columns of the PDB v3.3 format (as OpenMM's `PDBFile` writes them),
//! which PyMOL, VMD, mdtraj and OpenMM read: standard names, element columns 77–78, ångström
//! with 3 decimals, one `TER` per chain, `MODEL`/`ENDMDL` blocks for trajectories.

use super::STANDARD_RESIDUES;
use crate::atomic::write_atomic;
use crate::{MolError, Topology};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

const REMARK: &str = concat!(
    "REMARK   1 CREATED WITH TIMEWARP ",
    env!("CARGO_PKG_VERSION")
);

/// Write one structure (positions in nm, one per atom).
///
/// With `model: None` this is a complete file: a REMARK, the atoms, `TER` after each chain,
/// `CONECT` records for bonds that involve a non-standard residue (caps, ligands), and `END`.
/// With `model: Some(n)` it is one `MODEL n` … `ENDMDL` block of a multi-model file (see
/// [`PdbTrajectoryWriter`]).
///
/// ```
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/ala2.pdb");
/// # if !std::path::Path::new(path).exists() { return; }
/// let pdb = timewarp_mol::read_pdb(std::path::Path::new(path)).unwrap();
/// let mut out = Vec::new();
/// timewarp_mol::pdb::write_pdb(&mut out, &pdb.topology, pdb.positions(), None).unwrap();
/// let again = timewarp_mol::parse_pdb(std::str::from_utf8(&out).unwrap(), "copy").unwrap();
/// assert_eq!(again.topology.bonds, pdb.topology.bonds);
/// ```
pub fn write_pdb<W: Write>(
    w: &mut W,
    topology: &Topology,
    positions_nm: &[[f64; 3]],
    model: Option<usize>,
) -> Result<(), MolError> {
    write_structure(w, topology, positions_nm, model, Path::new("<PDB output>"))
}

/// Write a single-structure PDB file atomically (temporary file, fsync, rename).
pub fn write_pdb_file(
    path: &Path,
    topology: &Topology,
    positions_nm: &[[f64; 3]],
) -> Result<(), MolError> {
    write_atomic(path, |w| {
        write_structure(w, topology, positions_nm, None, path)
    })
}

/// Write several structures as `MODEL` blocks (numbered from 1) followed by `END`.
pub fn write_pdb_models<W: Write>(
    w: &mut W,
    topology: &Topology,
    models: &[Vec<[f64; 3]>],
) -> Result<(), MolError> {
    let name = Path::new("<PDB output>");
    let io = |e| MolError::io(name, e);
    writeln!(w, "{REMARK}").map_err(io)?;
    for (m, positions) in models.iter().enumerate() {
        write_structure(w, topology, positions, Some(m + 1), name)?;
    }
    writeln!(w, "END").map_err(io)
}

fn write_structure<W: Write>(
    w: &mut W,
    topology: &Topology,
    positions_nm: &[[f64; 3]],
    model: Option<usize>,
    file: &Path,
) -> Result<(), MolError> {
    if positions_nm.len() != topology.n_atoms() {
        return Err(MolError::AtomCount {
            context: format!("writing {}", file.display()),
            expected: topology.n_atoms(),
            found: positions_nm.len(),
        });
    }
    let mut text = String::with_capacity(81 * (topology.n_atoms() + topology.residues.len() + 4));
    match model {
        None => text.push_str(&format!("{REMARK}\n")),
        Some(n) => text.push_str(&format!("MODEL     {n:>4}\n")),
    }
    let serials = atom_records(&mut text, topology, positions_nm, file)?;
    match model {
        None => {
            conect_records(&mut text, topology, &serials);
            text.push_str("END\n");
        }
        Some(_) => text.push_str("ENDMDL\n"),
    }
    w.write_all(text.as_bytes())
        .map_err(|e| MolError::io(file, e))
}

/// ATOM/HETATM and TER records; returns the serial number written for each atom.
fn atom_records(
    text: &mut String,
    topology: &Topology,
    positions_nm: &[[f64; 3]],
    file: &Path,
) -> Result<Vec<i64>, MolError> {
    let fail = |what: String, reason: String| MolError::Write {
        file: file.display().to_string(),
        what,
        reason,
    };
    let mut serials = vec![0; topology.n_atoms()];
    let mut serial = 1_i64;
    for chain in topology.chains() {
        for residue in &topology.residues[chain.clone()] {
            let record = if STANDARD_RESIDUES.contains(&residue.name.as_str()) {
                "ATOM  "
            } else {
                "HETATM"
            };
            let res_name = residue_name_field(&residue.name).ok_or_else(|| {
                fail(
                    format!("residue {} {}", residue.name, residue.number),
                    "residue names have at most 4 characters".into(),
                )
            })?;
            let res_seq = format_index(residue.number as i64, 4);
            for i in residue.atoms.clone() {
                let atom = &topology.atoms[i];
                let name =
                    atom_name_field(&atom.name, atom.element.symbol().len()).ok_or_else(|| {
                        fail(
                            topology.atom_label(i),
                            "atom names have at most 4 characters".into(),
                        )
                    })?;
                let mut xyz = String::with_capacity(24);
                for &x in &positions_nm[i] {
                    // ångström = nm × 10
                    let field = format_83(x * 10.0).ok_or_else(|| {
                        fail(
                            topology.atom_label(i),
                            format!("coordinate {x} nm does not fit columns 31-54"),
                        )
                    })?;
                    xyz.push_str(&field);
                }
                text.push_str(&format!(
                    "{record}{:>5} {name}{alt}{res_name} {chain}{res_seq}{icode}   {xyz}  1.00  0.00          {element:>2}  \n",
                    format_index(serial, 5),
                    alt = ' ',
                    chain = residue.chain,
                    icode = residue.insertion_code,
                    element = atom.element.symbol().to_ascii_uppercase(),
                ));
                serials[i] = serial;
                serial += 1;
            }
        }
        if let Some(last) = topology.residues.get(chain.end.wrapping_sub(1)) {
            let res_name = residue_name_field(&last.name).unwrap_or_default();
            text.push_str(&format!(
                "TER   {:>5}      {res_name} {}{}",
                format_index(serial, 5),
                last.chain,
                format_index(last.number as i64, 4),
            ));
            if last.insertion_code != ' ' {
                text.push(last.insertion_code);
            }
            text.push('\n');
            serial += 1;
        }
    }
    Ok(serials)
}

/// CONECT records (OpenMM's rule): every bond with an atom outside the standard residues,
/// water excepted, listed from both ends, at most four partners per record.
fn conect_records(text: &mut String, topology: &Topology, serials: &[i64]) {
    let nonstandard = |i: usize| {
        let name = topology.residues[topology.atoms[i].residue].name.as_str();
        !STANDARD_RESIDUES.contains(&name) && name != "HOH"
    };
    let mut partners: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &(i, j) in &topology.bonds {
        if nonstandard(i) || nonstandard(j) {
            partners.entry(i).or_default().push(j);
            partners.entry(j).or_default().push(i);
        }
    }
    for (i, bonded) in partners {
        for chunk in bonded.chunks(4) {
            text.push_str(&format!("CONECT{:>5}", format_index(serials[i], 5)));
            for &j in chunk {
                text.push_str(&format!("{:>5}", format_index(serials[j], 5)));
            }
            text.push('\n');
        }
    }
}

/// Columns 13–16: names shorter than 4 characters of one-letter elements start in column 14.
fn atom_name_field(name: &str, element_len: usize) -> Option<String> {
    if name.is_empty() || name.len() > 4 || !name.is_ascii() {
        return None;
    }
    let starts_alpha = name.starts_with(|c: char| c.is_ascii_alphabetic());
    Some(if name.len() < 4 && starts_alpha && element_len < 2 {
        format!(" {name:<3}")
    } else {
        format!("{name:<4}")
    })
}

/// Columns 18–20 (and 21 for a 4-character name).
fn residue_name_field(name: &str) -> Option<String> {
    match name.len() {
        0..=3 if name.is_ascii() => Some(format!("{name:>3}")),
        4 if name.is_ascii() => Some(name.to_string()),
        _ => None,
    }
}

/// A serial/residue number in `places` columns: decimal, then the hexadecimal continuation
/// OpenMM and VMD use (`A0000` = 100000 for 5 places), then wrapping.
fn format_index(index: i64, places: u32) -> String {
    let width = places as usize;
    let limit = 10_i64.pow(places);
    if index > -(limit / 10) && index < limit {
        return format!("{index:>width$}");
    }
    let hex = index - limit + 10 * 16_i64.pow(places - 1);
    if index >= limit && hex < 16_i64.pow(places) {
        return format!("{hex:>width$x}");
    }
    format!("{:>width$}", index.rem_euclid(limit))
}

/// A coordinate in ångström in 8 columns with 3 decimals (OpenMM's `_format_83`).
fn format_83(x: f64) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    if x > -999.999 && x < 9999.999 {
        Some(format!("{x:8.3}"))
    } else if x > -9_999_999.0 && x < 99_999_999.0 {
        Some(format!("{x:8.3}")[..8].to_string())
    } else {
        None
    }
}

/// A multi-model PDB trajectory for viewers: one `MODEL` block per frame, `END` on
/// [`PdbTrajectoryWriter::finish`].
///
/// ```
/// use timewarp_mol::pdb::{parse_pdb, PdbTrajectoryWriter};
/// let pdb = parse_pdb("ATOM      1  N   GLY A   1       0.000   0.000   0.000\n", "x").unwrap();
/// let path = std::env::temp_dir().join(format!("doc-models-{}.pdb", std::process::id()));
/// let mut w = PdbTrajectoryWriter::create(&path, &pdb.topology).unwrap();
/// w.append_model(&[[0.0, 0.0, 0.0]]).unwrap();
/// w.append_model(&[[0.1, 0.0, 0.0]]).unwrap();
/// w.finish().unwrap();
/// let back = timewarp_mol::read_pdb(&path).unwrap();
/// assert_eq!(back.models.len(), 2);
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub struct PdbTrajectoryWriter {
    path: PathBuf,
    topology: Topology,
    out: BufWriter<File>,
    n_models: usize,
}

impl PdbTrajectoryWriter {
    /// Create (or truncate) `path`.
    pub fn create(path: &Path, topology: &Topology) -> Result<PdbTrajectoryWriter, MolError> {
        let file = File::create(path).map_err(|e| MolError::io(path, e))?;
        let mut out = BufWriter::new(file);
        writeln!(out, "{REMARK}").map_err(|e| MolError::io(path, e))?;
        Ok(PdbTrajectoryWriter {
            path: path.to_path_buf(),
            topology: topology.clone(),
            out,
            n_models: 0,
        })
    }

    /// Reopen a trajectory written earlier and continue it after model `keep_models`: later
    /// models, a partly written model and the final `END` are cut off. An error if the file
    /// holds fewer than `keep_models` complete models.
    pub fn resume(
        path: &Path,
        topology: &Topology,
        keep_models: usize,
    ) -> Result<PdbTrajectoryWriter, MolError> {
        if keep_models == 0 {
            return PdbTrajectoryWriter::create(path, topology);
        }
        let bytes = std::fs::read(path).map_err(|e| MolError::io(path, e))?;
        let (mut end, mut found) = (0, 0);
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            end += line.len();
            if line.starts_with(b"ENDMDL") {
                found += 1;
                if found == keep_models {
                    break;
                }
            }
        }
        if found < keep_models {
            return Err(MolError::Write {
                file: path.display().to_string(),
                what: "resumed trajectory".into(),
                reason: format!(
                    "holds {found} complete models, cannot resume after model {keep_models}"
                ),
            });
        }
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| MolError::io(path, e))?;
        file.set_len(end as u64)
            .map_err(|e| MolError::io(path, e))?;
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| MolError::io(path, e))?;
        Ok(PdbTrajectoryWriter {
            path: path.to_path_buf(),
            topology: topology.clone(),
            out: BufWriter::new(file),
            n_models: keep_models,
        })
    }

    /// Models written so far (including those kept by [`PdbTrajectoryWriter::resume`]).
    pub fn n_models(&self) -> usize {
        self.n_models
    }

    /// Append one model (positions in nm).
    pub fn append_model(&mut self, positions_nm: &[[f64; 3]]) -> Result<(), MolError> {
        write_structure(
            &mut self.out,
            &self.topology,
            positions_nm,
            Some(self.n_models + 1),
            &self.path,
        )?;
        self.n_models += 1;
        Ok(())
    }

    /// Flush written models to the file and to disk.
    pub fn flush(&mut self) -> Result<(), MolError> {
        self.out.flush().map_err(|e| MolError::io(&self.path, e))?;
        self.out
            .get_ref()
            .sync_data()
            .map_err(|e| MolError::io(&self.path, e))
    }

    /// Write `END` and flush.
    pub fn finish(mut self) -> Result<(), MolError> {
        writeln!(self.out, "END").map_err(|e| MolError::io(&self.path, e))?;
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdb::parse_pdb;

    #[test]
    fn index_formats() {
        assert_eq!(format_index(7, 5), "    7");
        assert_eq!(format_index(99999, 5), "99999");
        assert_eq!(format_index(100000, 5), "a0000");
        assert_eq!(format_index(-5, 4), "  -5");
        assert_eq!(format_index(10000, 4), "a000");
    }

    #[test]
    fn coordinate_formats() {
        assert_eq!(format_83(1.2345).unwrap(), "   1.234");
        assert_eq!(format_83(-999.5).unwrap(), "-999.500");
        assert_eq!(format_83(12345.678).unwrap(), "12345.67");
        assert!(format_83(f64::NAN).is_none());
        assert!(format_83(1e9).is_none());
    }

    #[test]
    fn atom_name_alignment() {
        assert_eq!(atom_name_field("N", 1).unwrap(), " N  ");
        assert_eq!(atom_name_field("HB1", 1).unwrap(), " HB1");
        assert_eq!(atom_name_field("HD21", 1).unwrap(), "HD21");
        assert_eq!(atom_name_field("CL", 2).unwrap(), "CL  ");
        assert!(atom_name_field("TOOLONG", 1).is_none());
    }

    #[test]
    fn columns_match_the_format() {
        let pdb = parse_pdb(
            "ATOM      1  CA  GLY A   1       1.000  -2.000   3.500  1.00  0.00           C\n",
            "x",
        )
        .unwrap();
        let mut out = Vec::new();
        write_pdb(&mut out, &pdb.topology, &pdb.models[0], None).unwrap();
        let text = String::from_utf8(out).unwrap();
        let line = text.lines().find(|l| l.starts_with("ATOM")).unwrap();
        assert_eq!(
            line,
            "ATOM      1  CA  GLY A   1       1.000  -2.000   3.500  1.00  0.00           C  "
        );
        assert_eq!(&line[76..78], " C");
        assert!(text
            .lines()
            .any(|l| l.starts_with("TER       2      GLY A   1")));
        assert!(text.ends_with("END\n"));
    }

    #[test]
    fn write_errors() {
        let pdb = parse_pdb(
            "ATOM      1  CA  GLY A   1       1.000  -2.000   3.500  1.00  0.00           C\n",
            "x",
        )
        .unwrap();
        let mut out = Vec::new();
        let err = write_pdb(&mut out, &pdb.topology, &[], None).unwrap_err();
        assert!(
            matches!(
                err,
                MolError::AtomCount {
                    expected: 1,
                    found: 0,
                    ..
                }
            ),
            "{err}"
        );
        let err = write_pdb(&mut out, &pdb.topology, &[[f64::NAN, 0.0, 0.0]], None).unwrap_err();
        assert!(
            matches!(err, MolError::Write { .. }) && err.to_string().contains("CA of GLY 1"),
            "{err}"
        );
    }
}
