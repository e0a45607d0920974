//! Why proposals are rejected: one record per considered proposal, written to `proposals.csv`,
//! and its summary in `run.json`.
//!
//! For a proposal x → y the exponent of the Metropolis–Hastings ratio (α = min(1, e^{−E})) is
//! E = βΔU + D, with βΔU = β Σ_terms ΔU_term (bond, angle, torsion, nonbonded, GB) and
//! D = ½(‖w‖² − ‖v‖²) + log q(y, w | x, v) − log q(x, v | y, w), the proposal-density part.
//! A rejection is *dominated* by the largest of the six contributions βΔU_term and D.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use timewarp_ff::EnergyTerms;

use crate::SampleError;

/// File name of the per-proposal log.
pub const PROPOSALS_CSV: &str = "proposals.csv";

const HEADER: &str = "chain,step,outcome,neg_log_ratio,energy_part,density_part,du_bond,du_angle,du_torsion,du_nonbonded,du_gb,du_total";

/// What happened to a considered proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalOutcome {
    Accepted,
    /// Rejected by the acceptance rule (MH ratio or exploration threshold).
    Rejected,
    /// Rejected because it inverted a stereocentre.
    Chirality,
    /// Rejected because its energy, density or coordinates were not finite.
    NonFinite,
}

impl ProposalOutcome {
    fn key(self) -> &'static str {
        match self {
            ProposalOutcome::Accepted => "accepted",
            ProposalOutcome::Rejected => "rejected",
            ProposalOutcome::Chirality => "chirality",
            ProposalOutcome::NonFinite => "nonfinite",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            ProposalOutcome::Accepted,
            ProposalOutcome::Rejected,
            ProposalOutcome::Chirality,
            ProposalOutcome::NonFinite,
        ]
        .into_iter()
        .find(|o| o.key() == s)
    }
}

/// One considered proposal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProposalRecord {
    pub chain: usize,
    /// The chain step this proposal decided.
    pub step: u64,
    pub outcome: ProposalOutcome,
    /// E, the exponent of the MH ratio (βΔU for exploration).
    pub neg_log_ratio: f64,
    /// βΔU.
    pub energy_part: f64,
    /// E − βΔU, the proposal-density part.
    pub density_part: f64,
    /// ΔU by term and in total, kJ/mol (terms NaN where the energy has none).
    pub du: EnergyTerms,
}

impl ProposalRecord {
    /// The record of a proposal from a state of energy `u_x` (terms `terms_x`) to one of `u_y`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        chain: usize,
        step: u64,
        outcome: ProposalOutcome,
        beta: f64,
        neg_log_ratio: f64,
        u_x: f64,
        terms_x: Option<EnergyTerms>,
        u_y: f64,
        terms_y: EnergyTerms,
    ) -> Self {
        let tx = terms_x.unwrap_or(EnergyTerms {
            bond: f64::NAN,
            angle: f64::NAN,
            torsion: f64::NAN,
            nonbonded: f64::NAN,
            gb: f64::NAN,
            total: u_x,
        });
        let du = EnergyTerms {
            bond: terms_y.bond - tx.bond,
            angle: terms_y.angle - tx.angle,
            torsion: terms_y.torsion - tx.torsion,
            nonbonded: terms_y.nonbonded - tx.nonbonded,
            gb: terms_y.gb - tx.gb,
            total: u_y - u_x,
        };
        let energy_part = beta * du.total;
        ProposalRecord {
            chain,
            step,
            outcome,
            neg_log_ratio,
            energy_part,
            density_part: neg_log_ratio - energy_part,
            du,
        }
    }

    fn csv_line(&self) -> String {
        let d = &self.du;
        format!(
            "{},{},{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6}\n",
            self.chain,
            self.step,
            self.outcome.key(),
            self.neg_log_ratio,
            self.energy_part,
            self.density_part,
            d.bond,
            d.angle,
            d.torsion,
            d.nonbonded,
            d.gb,
            d.total
        )
    }

    fn parse(line: &str) -> Option<Self> {
        let f: Vec<&str> = line.trim_end().split(',').collect();
        if f.len() != 12 {
            return None;
        }
        let num = |i: usize| f[i].parse::<f64>().ok();
        Some(ProposalRecord {
            chain: f[0].parse().ok()?,
            step: f[1].parse().ok()?,
            outcome: ProposalOutcome::parse(f[2])?,
            neg_log_ratio: num(3)?,
            energy_part: num(4)?,
            density_part: num(5)?,
            du: EnergyTerms {
                bond: num(6)?,
                angle: num(7)?,
                torsion: num(8)?,
                nonbonded: num(9)?,
                gb: num(10)?,
                total: num(11)?,
            },
        })
    }
}

/// `proposals.csv` of a run folder, appended as the chains go; cut back to the checkpoint's
/// length on resume.
pub struct ProposalLog {
    path: PathBuf,
    out: BufWriter<File>,
    bytes: u64,
}

impl ProposalLog {
    /// A new log in `dir` (any old one is replaced).
    pub fn create(dir: &Path) -> Result<Self, SampleError> {
        let path = dir.join(PROPOSALS_CSV);
        let mut out = BufWriter::new(File::create(&path).map_err(|e| SampleError::io(&path, e))?);
        let header = format!("{HEADER}\n");
        out.write_all(header.as_bytes())
            .map_err(|e| SampleError::io(&path, e))?;
        Ok(ProposalLog {
            path,
            out,
            bytes: header.len() as u64,
        })
    }

    /// Continue the log of an interrupted run, keeping its first `keep_bytes` bytes (those of
    /// the checkpoint).
    pub fn resume(dir: &Path, keep_bytes: u64) -> Result<Self, SampleError> {
        let path = dir.join(PROPOSALS_CSV);
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| SampleError::io(&path, e))?;
        let len = file
            .metadata()
            .map_err(|e| SampleError::io(&path, e))?
            .len();
        if len < keep_bytes {
            return Err(SampleError::Resume {
                path,
                message: format!("holds {len} bytes but the checkpoint needs {keep_bytes}"),
            });
        }
        file.set_len(keep_bytes)
            .map_err(|e| SampleError::io(&path, e))?;
        let mut out = BufWriter::new(file);
        std::io::Seek::seek(&mut out, std::io::SeekFrom::End(0))
            .map_err(|e| SampleError::io(&path, e))?;
        Ok(ProposalLog {
            path,
            out,
            bytes: keep_bytes,
        })
    }

    pub fn append(&mut self, records: &[ProposalRecord]) -> Result<(), SampleError> {
        for r in records {
            let line = r.csv_line();
            self.out
                .write_all(line.as_bytes())
                .map_err(|e| SampleError::io(&self.path, e))?;
            self.bytes += line.len() as u64;
        }
        Ok(())
    }

    /// Flush to disk; returns the length that a checkpoint records.
    pub fn flush(&mut self) -> Result<u64, SampleError> {
        self.out
            .flush()
            .map_err(|e| SampleError::io(&self.path, e))?;
        self.out
            .get_ref()
            .sync_data()
            .map_err(|e| SampleError::io(&self.path, e))?;
        Ok(self.bytes)
    }
}

/// Reads every record of a `proposals.csv`.
pub fn read_proposal_log(path: &Path) -> Result<Vec<ProposalRecord>, SampleError> {
    let file = File::open(path).map_err(|e| SampleError::io(path, e))?;
    let mut records = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| SampleError::io(path, e))?;
        if i == 0 {
            if line.trim_end() != HEADER {
                return Err(SampleError::Json {
                    path: path.to_path_buf(),
                    message: "not a proposals.csv (unexpected header)".into(),
                });
            }
            continue;
        }
        records.push(
            ProposalRecord::parse(&line).ok_or_else(|| SampleError::Json {
                path: path.to_path_buf(),
                message: format!("line {}: not a proposal record", i + 1),
            })?,
        );
    }
    Ok(records)
}

/// Medians of ΔU by term (kJ/mol), or of the exponent parts (nats).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TermValues {
    pub bond: Option<f64>,
    pub angle: Option<f64>,
    pub torsion: Option<f64>,
    pub nonbonded: Option<f64>,
    pub gb: Option<f64>,
    pub total: Option<f64>,
}

/// Share of rejections dominated by each contribution to the MH exponent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DominantShares {
    pub bond: f64,
    pub angle: f64,
    pub torsion: f64,
    pub nonbonded: f64,
    pub gb: f64,
    /// The proposal-density part D.
    pub proposal_density: f64,
}

/// What `run.json` says about the rejections (`diagnostics`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectionSummary {
    pub considered: usize,
    pub accepted: usize,
    /// Rejected by the acceptance rule (not counting chirality or non-finite rejections).
    pub rejected: usize,
    pub chirality: usize,
    pub nonfinite: usize,
    /// Median ΔU (kJ/mol) of the rejected proposals, per term and in total.
    pub median_du_rejected: TermValues,
    /// Median βΔU and D (nats) of the rejected proposals.
    pub median_energy_part_rejected: Option<f64>,
    pub median_density_part_rejected: Option<f64>,
    pub dominant_share: DominantShares,
    /// 10 %, 50 % and 90 % quantiles of log α = min(0, −E) over the considered proposals.
    pub log_alpha_quantiles: Option<[f64; 3]>,
}

fn quantile(v: &mut Vec<f64>, p: f64) -> Option<f64> {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let pos = p * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f64))
}

impl RejectionSummary {
    /// The summary of `records` of a chain at 1/kT = `beta` (mol/kJ).
    pub fn of(records: &[ProposalRecord], beta: f64) -> Self {
        let count = |o: ProposalOutcome| records.iter().filter(|r| r.outcome == o).count();
        let rejected: Vec<&ProposalRecord> = records
            .iter()
            .filter(|r| r.outcome == ProposalOutcome::Rejected)
            .collect();
        let median = |f: &dyn Fn(&ProposalRecord) -> f64| {
            quantile(&mut rejected.iter().map(|r| f(r)).collect::<Vec<_>>(), 0.5)
        };
        let mut shares = DominantShares::default();
        for r in &rejected {
            let parts = [
                beta * r.du.bond,
                beta * r.du.angle,
                beta * r.du.torsion,
                beta * r.du.nonbonded,
                beta * r.du.gb,
                r.density_part,
            ];
            let (i, _) = parts
                .iter()
                .enumerate()
                .fold((5, f64::NEG_INFINITY), |best, (i, &p)| {
                    if p > best.1 {
                        (i, p)
                    } else {
                        best
                    }
                });
            let slot = match i {
                0 => &mut shares.bond,
                1 => &mut shares.angle,
                2 => &mut shares.torsion,
                3 => &mut shares.nonbonded,
                4 => &mut shares.gb,
                _ => &mut shares.proposal_density,
            };
            *slot += 1.0 / rejected.len() as f64;
        }
        let mut log_alpha: Vec<f64> = records
            .iter()
            .filter(|r| {
                matches!(
                    r.outcome,
                    ProposalOutcome::Accepted | ProposalOutcome::Rejected
                )
            })
            .map(|r| (-r.neg_log_ratio).min(0.0))
            .collect();
        let log_alpha_quantiles = match (
            quantile(&mut log_alpha, 0.1),
            quantile(&mut log_alpha, 0.5),
            quantile(&mut log_alpha, 0.9),
        ) {
            (Some(a), Some(b), Some(c)) => Some([a, b, c]),
            _ => None,
        };
        RejectionSummary {
            considered: records.len(),
            accepted: count(ProposalOutcome::Accepted),
            rejected: rejected.len(),
            chirality: count(ProposalOutcome::Chirality),
            nonfinite: count(ProposalOutcome::NonFinite),
            median_du_rejected: TermValues {
                bond: median(&|r| r.du.bond),
                angle: median(&|r| r.du.angle),
                torsion: median(&|r| r.du.torsion),
                nonbonded: median(&|r| r.du.nonbonded),
                gb: median(&|r| r.du.gb),
                total: median(&|r| r.du.total),
            },
            median_energy_part_rejected: median(&|r| r.energy_part),
            median_density_part_rejected: median(&|r| r.density_part),
            dominant_share: shares,
            log_alpha_quantiles,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(outcome: ProposalOutcome, bond: f64, gb: f64, density: f64) -> ProposalRecord {
        let x = EnergyTerms {
            bond: 10.0,
            angle: 1.0,
            torsion: 2.0,
            nonbonded: 3.0,
            gb: 4.0,
            total: 20.0,
        };
        let y = EnergyTerms {
            bond: 10.0 + bond,
            gb: 4.0 + gb,
            total: 20.0 + bond + gb,
            ..x
        };
        let beta = 0.5;
        ProposalRecord::new(
            0,
            1,
            outcome,
            beta,
            beta * (bond + gb) + density,
            x.total,
            Some(x),
            y.total,
            y,
        )
    }

    #[test]
    fn records_round_trip_through_csv_and_resume_cuts_back() {
        let dir = std::env::temp_dir().join(format!("tw-diag-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rs = [
            rec(ProposalOutcome::Rejected, 30.0, 1.0, 0.5),
            rec(ProposalOutcome::Accepted, 0.1, -0.2, -1.0),
        ];
        let mut log = ProposalLog::create(&dir).unwrap();
        log.append(&rs[..1]).unwrap();
        let keep = log.flush().unwrap();
        log.append(&rs[1..]).unwrap();
        log.flush().unwrap();
        drop(log);
        let back = read_proposal_log(&dir.join(PROPOSALS_CSV)).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].outcome, ProposalOutcome::Rejected);
        assert!((back[0].du.bond - 30.0).abs() < 1e-6 && (back[1].density_part + 1.0).abs() < 1e-6);
        let mut log = ProposalLog::resume(&dir, keep).unwrap();
        log.append(&rs[1..]).unwrap();
        log.flush().unwrap();
        assert_eq!(read_proposal_log(&dir.join(PROPOSALS_CSV)).unwrap(), back);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn summary_names_the_dominant_term() {
        let rs = vec![
            rec(ProposalOutcome::Rejected, 30.0, 1.0, 0.5),
            rec(ProposalOutcome::Rejected, 20.0, 0.0, 0.5),
            rec(ProposalOutcome::Rejected, 0.0, 0.0, 9.0),
            rec(ProposalOutcome::Accepted, 0.0, 0.0, -1.0),
        ];
        let s = RejectionSummary::of(&rs, 0.5);
        assert_eq!((s.considered, s.accepted, s.rejected), (4, 1, 3));
        assert!((s.dominant_share.bond - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.dominant_share.proposal_density - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.median_du_rejected.bond, Some(20.0));
        assert_eq!(s.median_du_rejected.angle, Some(0.0));
        let q = s.log_alpha_quantiles.unwrap();
        assert!(q[0] <= q[1] && q[1] <= q[2] && q[2] <= 0.0);
    }
}
