//! XTC trajectories (GROMACS compressed coordinates, via the `molly` crate) for viewers:
//! VMD, PyMOL, mdtraj and MDAnalysis read them with the state-0 PDB as topology.
//!
//! XTC stores positions in nm rounded to 1/precision (here 0.001 nm), time in ps as float32 and
//! the step as an unsigned 32-bit integer. The molecules here are not periodic; the box is
//! written as zero (no unit cell).

use crate::MolError;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use timewarp_rundir::atomic::sync_parent as sync_parent_dir;

/// Positions are stored as round(x × PRECISION) (nm), i.e. to 0.001 nm like GROMACS.
pub const PRECISION: f32 = 1000.0;

/// Largest |coordinate| (nm) whose integer image stays far from the i32 range the XTC
/// compressor works in.
const MAX_ABS_NM: f64 = 1.0e6;

/// Writes frames to an XTC file.
///
/// ```
/// use timewarp_mol::traj::{read_xtc, XtcWriter};
/// let path = std::env::temp_dir().join(format!("doc-{}.xtc", std::process::id()));
/// let mut xtc = XtcWriter::create(&path).unwrap();
/// xtc.append_frame(100, 0.05, &[[0.1, 0.2, 0.3]; 12]).unwrap();
/// xtc.flush().unwrap();
/// let frames = read_xtc(&path).unwrap();
/// assert_eq!(frames[0].step, 100);
/// assert!((frames[0].positions_nm[0][1] - 0.2).abs() < 1e-3);
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub struct XtcWriter {
    path: PathBuf,
    writer: molly::XTCWriter<BufWriter<File>>,
    frame: molly::Frame,
    n_atoms: Option<usize>,
    n_frames: usize,
}

impl XtcWriter {
    /// Create (or truncate) the XTC file at `path`.
    pub fn create(path: &Path) -> Result<XtcWriter, MolError> {
        let file = File::create(path).map_err(|e| MolError::io(path, e))?;
        Ok(XtcWriter::from_file(path, file, None, 0))
    }

    /// Reopen an XTC file written earlier to continue it after frame `keep_frames`: later
    /// frames and a partly written last frame (from a killed run) are cut off. An error if the
    /// file holds fewer than `keep_frames` complete frames.
    pub fn resume(path: &Path, keep_frames: usize) -> Result<XtcWriter, MolError> {
        let xtc_err = |reason: String| MolError::Xtc {
            file: path.to_path_buf(),
            reason,
        };
        let len = std::fs::metadata(path)
            .map_err(|e| MolError::io(path, e))?
            .len();
        let mut reader = molly::XTCReader::open(path).map_err(|e| MolError::io(path, e))?;
        let (end, n_atoms) = if keep_frames == 0 {
            (0, None)
        } else {
            let ends = guarded(|| reader.determine_offsets_exclusive(Some(keep_frames)))
                .map_err(|e| xtc_err(e.to_string()))?;
            let complete = ends.iter().take_while(|&&e| e <= len).count();
            if complete < keep_frames {
                return Err(xtc_err(format!(
                    "holds {complete} complete frames, cannot resume after frame {keep_frames}"
                )));
            }
            reader.home().map_err(|e| MolError::io(path, e))?;
            let header = guarded(|| reader.read_header()).map_err(|e| xtc_err(e.to_string()))?;
            (ends[keep_frames - 1], Some(header.natoms))
        };
        drop(reader);
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| MolError::io(path, e))?;
        file.set_len(end).map_err(|e| MolError::io(path, e))?;
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| MolError::io(path, e))?;
        Ok(XtcWriter::from_file(path, file, n_atoms, keep_frames))
    }

    fn from_file(path: &Path, file: File, n_atoms: Option<usize>, n_frames: usize) -> XtcWriter {
        XtcWriter {
            path: path.to_path_buf(),
            writer: molly::XTCWriter::new(BufWriter::new(file)),
            frame: molly::Frame {
                precision: PRECISION,
                ..molly::Frame::default()
            },
            n_atoms,
            n_frames,
        }
    }

    /// Frames in the file (including the ones kept by [`XtcWriter::resume`]).
    pub fn n_frames(&self) -> usize {
        self.n_frames
    }

    /// Append one frame: integrator step, time in ps, positions in nm. Every frame must have
    /// the same number of atoms.
    pub fn append_frame(
        &mut self,
        step: i64,
        time_ps: f64,
        positions_nm: &[[f64; 3]],
    ) -> Result<(), MolError> {
        let xtc_err = |reason: String| MolError::Xtc {
            file: self.path.clone(),
            reason,
        };
        let frame_no = self.n_frames;
        if let Some(n) = self.n_atoms {
            if positions_nm.len() != n {
                return Err(MolError::AtomCount {
                    context: format!("{}: frame {frame_no}", self.path.display()),
                    expected: n,
                    found: positions_nm.len(),
                });
            }
        }
        let step = u32::try_from(step).map_err(|_| {
            xtc_err(format!(
                "frame {frame_no}: step {step} does not fit XTC's unsigned 32-bit field"
            ))
        })?;
        if let Some((i, p)) = positions_nm
            .iter()
            .enumerate()
            .find(|(_, p)| p.iter().any(|x| !x.is_finite() || x.abs() >= MAX_ABS_NM))
        {
            return Err(xtc_err(format!(
                "frame {frame_no}: atom {} has position {p:?} nm",
                i + 1
            )));
        }
        self.frame.step = step;
        self.frame.time = time_ps as f32;
        self.frame.positions.clear();
        self.frame
            .positions
            .extend(positions_nm.iter().flatten().map(|&x| x as f32));
        self.writer
            .write_frame(&self.frame)
            .map_err(|e| MolError::io(&self.path, e))?;
        self.n_atoms = Some(positions_nm.len());
        self.n_frames += 1;
        Ok(())
    }

    /// Flush buffered frames to the file and to disk.
    pub fn flush(&mut self) -> Result<(), MolError> {
        let io = |e| MolError::io(&self.path, e);
        self.writer.file.flush().map_err(io)?;
        self.writer.file.get_ref().sync_data().map_err(io)?;
        sync_parent_dir(&self.path);
        Ok(())
    }
}

impl Drop for XtcWriter {
    fn drop(&mut self) {
        let _ = self.writer.file.flush();
    }
}

/// One XTC frame as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct XtcFrame {
    pub step: i64,
    pub time_ps: f64,
    pub positions_nm: Vec<[f64; 3]>,
}

/// Read every frame of an XTC file.
pub fn read_xtc(path: &Path) -> Result<Vec<XtcFrame>, MolError> {
    let mut reader = molly::XTCReader::open(path).map_err(|e| MolError::io(path, e))?;
    let frames = guarded(|| reader.read_all_frames()).map_err(|e| MolError::Xtc {
        file: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(frames
        .iter()
        .map(|f| XtcFrame {
            step: f.step as i64,
            time_ps: f.time as f64,
            positions_nm: f
                .coords()
                .map(|p| [p[0] as f64, p[1] as f64, p[2] as f64])
                .collect(),
        })
        .collect())
}

/// Run a molly call, turning its assertion panics on corrupt input into errors.
fn guarded<T>(f: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(std::io::Error::other("corrupt XTC data")))
}
