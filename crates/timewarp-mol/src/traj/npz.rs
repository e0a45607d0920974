//! Trajectory arrays in the official Timewarp NPZ layout (`<name>-traj-arrays.npz`).
//!
//! | key | dtype | shape | unit |
//! |---|---|---|---|
//! | `step` | int64 | T | integrator steps |
//! | `time` | float64 | T | ps |
//! | `energies` | float64 | T × 2 | kJ/mol (potential, kinetic) |
//! | `positions` | float32 | T × N × 3 | nm |
//! | `velocities` | float32 | T × N × 3 | nm/ps |
//! | `forces` | float32 | T × N × 3 | kJ/mol/nm |
//!
//! Only `positions` is required when reading; float64 positions/velocities/forces are accepted
//! (and rounded to float32), integer ones are refused (coordinates in nm are never integers: such
//! an array is a different file or a unit mistake). `step` must be strictly increasing: pairs and
//! time axes are built from it. Absent arrays are read as empty vectors, and empty vectors are not
//! written (sampler output has no velocities or forces).

use crate::atomic::write_atomic;
use crate::MolError;
use npyz::npz::NpzArchive;
use npyz::zip::write::FileOptions;
use npyz::zip::CompressionMethod;
use npyz::{TypeChar, WriterBuilder};
use std::fs::File;
use std::io::{BufReader, Read, Seek, Write};
use std::path::Path;

/// A trajectory of T frames of N atoms, flat row-major arrays as in the NPZ file.
///
/// ```
/// use timewarp_mol::traj::TrajArrays;
/// let mut traj = TrajArrays::new(2);
/// traj.push_frame(0, 0.0, [-10.0, 3.0], &[[0.0, 0.0, 0.0], [0.1, 0.0, 0.0]], None, None);
/// assert_eq!(traj.n_frames(), 1);
/// let path = std::env::temp_dir().join(format!("doc-traj-{}.npz", std::process::id()));
/// traj.write_npz_atomic(&path).unwrap();
/// let back = TrajArrays::read_npz(&path).unwrap();
/// assert_eq!(back, traj);
/// # std::fs::remove_file(&path).unwrap();
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrajArrays {
    /// Integrator step of each frame (T), or empty.
    pub step: Vec<i64>,
    /// Simulation time of each frame in ps (T), or empty.
    pub time: Vec<f64>,
    /// Potential and kinetic energy of each frame in kJ/mol (T), or empty.
    pub energies: Vec<[f64; 2]>,
    /// Positions in nm, T × N × 3 flattened.
    pub positions: Vec<f32>,
    /// Velocities in nm/ps, T × N × 3 flattened, or empty.
    pub velocities: Vec<f32>,
    /// Forces in kJ/mol/nm, T × N × 3 flattened, or empty.
    pub forces: Vec<f32>,
    /// Atoms per frame (N).
    pub n_atoms: usize,
}

/// Deflate level: float coordinates compress by only ~10 %, so a fast level loses little.
const COMPRESSION_LEVEL: i32 = 1;

/// Array names of the official layout.
pub const KEYS: [&str; 6] = [
    "step",
    "time",
    "energies",
    "positions",
    "velocities",
    "forces",
];

impl TrajArrays {
    /// An empty trajectory of `n_atoms` atoms.
    pub fn new(n_atoms: usize) -> TrajArrays {
        TrajArrays {
            n_atoms,
            ..TrajArrays::default()
        }
    }

    /// Number of frames T.
    pub fn n_frames(&self) -> usize {
        if self.n_atoms == 0 {
            self.step
                .len()
                .max(self.time.len())
                .max(self.energies.len())
        } else {
            self.positions.len() / (3 * self.n_atoms)
        }
    }

    /// Positions of frame `t` (N × 3 flattened, nm).
    pub fn frame_positions(&self, t: usize) -> &[f32] {
        let n3 = 3 * self.n_atoms;
        &self.positions[t * n3..(t + 1) * n3]
    }

    /// Positions of frame `t` in nm as f64 triples.
    pub fn frame_positions_f64(&self, t: usize) -> Vec<[f64; 3]> {
        self.frame_positions(t)
            .chunks_exact(3)
            .map(|p| [p[0] as f64, p[1] as f64, p[2] as f64])
            .collect()
    }

    /// Append one frame. Velocities and forces are stored only when given; give them for
    /// every frame or for none.
    pub fn push_frame(
        &mut self,
        step: i64,
        time_ps: f64,
        energies: [f64; 2],
        positions_nm: &[[f64; 3]],
        velocities: Option<&[[f64; 3]]>,
        forces: Option<&[[f64; 3]]>,
    ) {
        self.step.push(step);
        self.time.push(time_ps);
        self.energies.push(energies);
        extend_f32(&mut self.positions, positions_nm);
        if let Some(v) = velocities {
            extend_f32(&mut self.velocities, v);
        }
        if let Some(f) = forces {
            extend_f32(&mut self.forces, f);
        }
    }

    /// Keep only the first `n_frames` frames (e.g. to resume a run from a checkpoint taken at
    /// that frame). Does nothing when there are fewer.
    pub fn truncate_frames(&mut self, n_frames: usize) {
        let n3 = 3 * self.n_atoms;
        self.step.truncate(n_frames);
        self.time.truncate(n_frames);
        self.energies.truncate(n_frames);
        self.positions.truncate(n_frames * n3);
        self.velocities.truncate(n_frames * n3);
        self.forces.truncate(n_frames * n3);
    }

    /// Append the frames of `other` (same atom count, same optional arrays present).
    pub fn append(&mut self, other: &TrajArrays) -> Result<(), MolError> {
        if other.n_atoms != self.n_atoms {
            return Err(MolError::AtomCount {
                context: "appending trajectory frames".into(),
                expected: self.n_atoms,
                found: other.n_atoms,
            });
        }
        self.step.extend_from_slice(&other.step);
        self.time.extend_from_slice(&other.time);
        self.energies.extend_from_slice(&other.energies);
        self.positions.extend_from_slice(&other.positions);
        self.velocities.extend_from_slice(&other.velocities);
        self.forces.extend_from_slice(&other.forces);
        Ok(())
    }

    /// Check that every non-empty array has T frames and N atoms and that `step` increases
    /// strictly; `file` names the source or destination in the error.
    pub fn validate(&self, file: &Path) -> Result<(), MolError> {
        let bad = |key: &str, reason: String| MolError::BadArray {
            file: file.to_path_buf(),
            key: key.to_string(),
            reason,
        };
        let n3 = 3 * self.n_atoms;
        if n3 == 0 {
            if !self.positions.is_empty() {
                return Err(bad(
                    "positions",
                    "n_atoms is 0 but positions are not empty".into(),
                ));
            }
        } else if !self.positions.len().is_multiple_of(n3) {
            return Err(bad(
                "positions",
                format!(
                    "{} values is not a whole number of frames of {} atoms",
                    self.positions.len(),
                    self.n_atoms
                ),
            ));
        }
        let t = self.n_frames();
        for (key, len) in [
            ("step", self.step.len()),
            ("time", self.time.len()),
            ("energies", self.energies.len()),
        ] {
            if len != 0 && len != t {
                return Err(bad(key, format!("{len} frames, positions have {t}")));
            }
        }
        for (key, len) in [
            ("velocities", self.velocities.len()),
            ("forces", self.forces.len()),
        ] {
            if len != 0 && len != t * n3 {
                return Err(bad(
                    key,
                    format!(
                        "{len} values, expected {t} frames × {} atoms × 3",
                        self.n_atoms
                    ),
                ));
            }
        }
        if let Some(k) = self.step.windows(2).position(|w| w[1] <= w[0]) {
            return Err(bad(
                "step",
                format!(
                    "not strictly increasing: frame {} has step {} after step {} of frame {k}",
                    k + 1,
                    self.step[k + 1],
                    self.step[k]
                ),
            ));
        }
        Ok(())
    }

    /// Read a Timewarp NPZ file.
    pub fn read_npz(path: &Path) -> Result<TrajArrays, MolError> {
        let file = File::open(path).map_err(|e| MolError::io(path, e))?;
        let mut archive =
            NpzArchive::new(BufReader::new(file)).map_err(|e| MolError::io(path, e))?;

        let (shape, positions) =
            read_array(&mut archive, path, "positions")?.ok_or_else(|| MolError::MissingKey {
                file: path.to_path_buf(),
                key: "positions".into(),
            })?;
        let [t, n, 3] = shape[..] else {
            return Err(bad_shape(path, "positions", &shape, "(T, N, 3)"));
        };
        let (t, n) = (t as usize, n as usize);
        // A corrupt header can declare a shape whose product overflows (and wraps inside the
        // npy reader): the values read must be exactly T·N·3.
        if n.checked_mul(3).and_then(|n3| n3.checked_mul(t)) != Some(positions.len()) {
            return Err(bad_shape(
                path,
                "positions",
                &shape,
                &format!("(T, N, 3) holding its {} values", positions.len()),
            ));
        }
        let mut traj = TrajArrays::new(n);
        traj.positions = positions
            .into_float_f32()
            .ok_or_else(|| bad_dtype(path, "positions", "floating point (float32 or float64)"))?;

        for key in ["velocities", "forces"] {
            if let Some((shape, data)) = read_array(&mut archive, path, key)? {
                if shape[..] != [t as u64, n as u64, 3] {
                    return Err(bad_shape(
                        path,
                        key,
                        &shape,
                        &format!("({t}, {n}, 3) like positions"),
                    ));
                }
                let data = data
                    .into_float_f32()
                    .ok_or_else(|| bad_dtype(path, key, "floating point (float32 or float64)"))?;
                match key {
                    "velocities" => traj.velocities = data,
                    _ => traj.forces = data,
                }
            }
        }
        if let Some((shape, data)) = read_array(&mut archive, path, "step")? {
            if shape[..] != [t as u64] {
                return Err(bad_shape(path, "step", &shape, &format!("({t},)")));
            }
            traj.step = data
                .into_i64()
                .ok_or_else(|| bad_dtype(path, "step", "an integer"))?;
        }
        if let Some((shape, data)) = read_array(&mut archive, path, "time")? {
            if shape[..] != [t as u64] {
                return Err(bad_shape(path, "time", &shape, &format!("({t},)")));
            }
            traj.time = data
                .into_float_f64()
                .ok_or_else(|| bad_dtype(path, "time", "floating point (float32 or float64)"))?;
        }
        if let Some((shape, data)) = read_array(&mut archive, path, "energies")? {
            if shape[..] != [t as u64, 2] {
                return Err(bad_shape(path, "energies", &shape, &format!("({t}, 2)")));
            }
            traj.energies = data
                .into_float_f64()
                .ok_or_else(|| bad_dtype(path, "energies", "floating point (float32 or float64)"))?
                .chunks_exact(2)
                .map(|e| [e[0], e[1]])
                .collect();
        }
        traj.validate(path)?;
        Ok(traj)
    }

    /// Write the NPZ file atomically (`timewarp_rundir::write_atomic_with`): a killed process
    /// leaves either the old or the new file, never half of one.
    pub fn write_npz_atomic(&self, path: &Path) -> Result<(), MolError> {
        self.validate(path)?;

        write_atomic(path, |w| {
            self.write_npz(w).map_err(|e| MolError::io(path, e))
        })
    }

    /// Write the arrays as an NPZ archive (deflate-compressed, like `numpy.savez_compressed`)
    /// to any seekable writer. Call [`TrajArrays::validate`] first.
    pub fn write_npz<W: Write + Seek>(&self, w: W) -> std::io::Result<()> {
        let mut npz = npyz::npz::NpzWriter::new(w);
        let (t, n) = (self.n_frames() as u64, self.n_atoms as u64);
        if !self.step.is_empty() {
            write_array(&mut npz, "step", &[t], self.step.iter().copied())?;
        }
        if !self.time.is_empty() {
            write_array(&mut npz, "time", &[t], self.time.iter().copied())?;
        }
        if !self.energies.is_empty() {
            write_array(
                &mut npz,
                "energies",
                &[t, 2],
                self.energies.iter().flatten().copied(),
            )?;
        }
        for (key, data) in [
            ("positions", &self.positions),
            ("velocities", &self.velocities),
            ("forces", &self.forces),
        ] {
            if key == "positions" || !data.is_empty() {
                write_array(&mut npz, key, &[t, n, 3], data.iter().copied())?;
            }
        }
        npz.zip_writer()
            .finish()
            .map_err(std::io::Error::other)?
            .flush()
    }
}

fn extend_f32(dst: &mut Vec<f32>, src: &[[f64; 3]]) {
    dst.extend(src.iter().flat_map(|p| p.iter().map(|&x| x as f32)));
}

/// The numeric arrays the layout uses, as stored.
enum ArrayData {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I64(Vec<i64>),
}

impl ArrayData {
    fn len(&self) -> usize {
        match self {
            ArrayData::F32(v) => v.len(),
            ArrayData::F64(v) => v.len(),
            ArrayData::I64(v) => v.len(),
        }
    }

    /// Float arrays as f32; `None` for integers.
    fn into_float_f32(self) -> Option<Vec<f32>> {
        match self {
            ArrayData::F32(v) => Some(v),
            ArrayData::F64(v) => Some(v.into_iter().map(|x| x as f32).collect()),
            ArrayData::I64(_) => None,
        }
    }
    /// Float arrays as f64; `None` for integers.
    fn into_float_f64(self) -> Option<Vec<f64>> {
        match self {
            ArrayData::F32(v) => Some(v.into_iter().map(f64::from).collect()),
            ArrayData::F64(v) => Some(v),
            ArrayData::I64(_) => None,
        }
    }
    fn into_i64(self) -> Option<Vec<i64>> {
        match self {
            ArrayData::I64(v) => Some(v),
            _ => None,
        }
    }
}

fn bad_shape(path: &Path, key: &str, shape: &[u64], expected: &str) -> MolError {
    MolError::BadArray {
        file: path.to_path_buf(),
        key: key.to_string(),
        reason: format!("shape {shape:?}, expected {expected}"),
    }
}

fn bad_dtype(path: &Path, key: &str, expected: &str) -> MolError {
    MolError::BadArray {
        file: path.to_path_buf(),
        key: key.to_string(),
        reason: format!("dtype is not {expected}"),
    }
}

/// Read array `key` (int32/int64/float32/float64, C order) with its shape; `None` if absent.
fn read_array<R: Read + Seek>(
    archive: &mut NpzArchive<R>,
    path: &Path,
    key: &str,
) -> Result<Option<(Vec<u64>, ArrayData)>, MolError> {
    let err = |reason: String| MolError::BadArray {
        file: path.to_path_buf(),
        key: key.to_string(),
        reason,
    };
    // Inflate the whole entry first: element-wise reads through the decompressor are slow.
    let bytes = {
        let name = npyz::npz::file_name_from_array_name(key);
        let mut entry = match archive.zip_archive().by_name(&name) {
            Ok(entry) => entry,
            Err(npyz::zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(err(e.to_string())),
        };
        // The declared size only sizes the first allocation (a corrupt header cannot force a huge
        // one).
        let mut bytes = Vec::with_capacity(entry.size().min(1 << 28) as usize);
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| err(e.to_string()))?;
        bytes
    };
    let npy = npyz::NpyFile::new(&bytes[..]).map_err(|e| err(e.to_string()))?;
    let shape = npy.shape().to_vec();
    if shape.len() > 1 && npy.order() == npyz::Order::Fortran {
        return Err(err(
            "Fortran-ordered arrays are not supported; save with C order".into(),
        ));
    }
    let dtype = npy.dtype();
    let npyz::DType::Plain(ts) = &dtype else {
        return Err(err(format!("unsupported dtype {}", dtype.descr())));
    };
    let read = |e: std::io::Error| err(e.to_string());
    let data = match (ts.type_char(), ts.size_field()) {
        (TypeChar::Float, 4) => ArrayData::F32(npy.into_vec().map_err(read)?),
        (TypeChar::Float, 8) => ArrayData::F64(npy.into_vec().map_err(read)?),
        (TypeChar::Int, 8) => ArrayData::I64(npy.into_vec().map_err(read)?),
        (TypeChar::Int, 4) => ArrayData::I64(
            npy.into_vec::<i32>()
                .map_err(read)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        _ => return Err(err(format!("unsupported dtype {}", dtype.descr()))),
    };
    Ok(Some((shape, data)))
}

/// One array as an `.npy` entry of the archive. The array is serialised in memory first and
/// handed to the compressor in one piece (element-wise writes into the deflater are slow).
fn write_array<W, T>(
    npz: &mut npyz::npz::NpzWriter<W>,
    key: &str,
    shape: &[u64],
    data: impl Iterator<Item = T>,
) -> std::io::Result<()>
where
    W: Write + Seek,
    T: npyz::AutoSerialize,
{
    let n_bytes = shape.iter().product::<u64>() * std::mem::size_of::<T>() as u64;
    let mut npy = Vec::with_capacity(n_bytes as usize + 128);
    let mut writer = npyz::WriteOptions::<T>::new()
        .default_dtype()
        .shape(shape)
        .writer(&mut npy)
        .begin_nd()?;
    writer.extend(data)?;
    writer.finish()?;
    // A fixed timestamp (1980-01-01, zip's epoch): the same frames give byte-identical files,
    // so a resumed run can be compared with an uninterrupted one byte for byte.
    let options = FileOptions::default()
        .last_modified_time(npyz::zip::DateTime::default())
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(COMPRESSION_LEVEL))
        .large_file(npy.len() as u64 >= u32::MAX as u64);
    let zip = npz.zip_writer();
    zip.start_file(npyz::npz::file_name_from_array_name(key), options)
        .map_err(std::io::Error::other)?;
    zip.write_all(&npy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_catches_mismatch() {
        let mut t = TrajArrays::new(2);
        t.push_frame(0, 0.0, [0.0, 0.0], &[[0.0; 3]; 2], None, None);
        assert!(t.validate(Path::new("x")).is_ok());
        t.time.push(1.0);
        let err = t.validate(Path::new("x.npz")).unwrap_err();
        assert!(
            matches!(&err, MolError::BadArray { key, .. } if key == "time"),
            "{err}"
        );
        t.time.pop();
        t.velocities = vec![0.0; 5];
        assert!(
            matches!(t.validate(Path::new("x")), Err(MolError::BadArray { key, .. }) if key == "velocities")
        );
    }

    #[test]
    fn append_and_truncate() {
        let frame = |k: f64| [[k, 0.0, 0.0], [0.0, k, 0.0]];
        let mut a = TrajArrays::new(2);
        let mut b = TrajArrays::new(2);
        for k in 0..3 {
            a.push_frame(
                k,
                k as f64,
                [0.0, 1.0],
                &frame(k as f64),
                Some(&frame(1.0)),
                None,
            );
            b.push_frame(
                10 + k,
                5.0,
                [2.0, 3.0],
                &frame(-1.0),
                Some(&frame(2.0)),
                None,
            );
        }
        let mut c = a.clone();
        c.append(&b).unwrap();
        assert_eq!(c.n_frames(), 6);
        c.validate(Path::new("c")).unwrap();
        assert_eq!(c.frame_positions(4), b.frame_positions(1));
        c.truncate_frames(3);
        assert_eq!(c, a);
        assert!(matches!(
            c.append(&TrajArrays::new(3)),
            Err(MolError::AtomCount { .. })
        ));
    }
}
