//! What `analyze` is asked to compare: the MD folder, the sample sets and their labels, and the
//! few analysis settings (TICA lag, smallest population of a state that must be visited).

use super::metrics::DEFAULT_MIN_ESS;
use crate::error::AnalysisError;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A set of samples to compare with MD: a label for tables and figures, and its folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSet {
    pub label: String,
    pub dir: PathBuf,
}

impl SampleSet {
    pub fn new(label: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        SampleSet {
            label: label.into(),
            dir: dir.into(),
        }
    }

    /// Labelled with the folder's name (`runs/sample/` → `sample`).
    pub fn from_dir(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let label = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .or_else(|| {
                let abs = std::fs::canonicalize(&dir).ok()?;
                Some(abs.file_name()?.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| dir.display().to_string());
        SampleSet { label, dir }
    }

    /// `DIR` or `LABEL=DIR`. A value that names an existing folder is taken whole (so a folder
    /// called `a=b` still works); otherwise it is split at the first `=`.
    pub fn parse(spec: &str) -> Result<SampleSet, AnalysisError> {
        if spec.is_empty() {
            return Err(AnalysisError::Options("empty sample set".into()));
        }
        if Path::new(spec).is_dir() {
            return Ok(SampleSet::from_dir(spec));
        }
        match spec.split_once('=') {
            Some((label, dir)) if !label.is_empty() && !dir.is_empty() => {
                Ok(SampleSet::new(label, dir))
            }
            Some(_) => Err(AnalysisError::Options(format!(
                "sample set `{spec}`: expected DIR or LABEL=DIR"
            ))),
            None => Ok(SampleSet::from_dir(spec)),
        }
    }
}

/// Options of `timewarp analyze`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzeOptions {
    /// Output folder of `timewarp md` (the reference).
    pub md_dir: PathBuf,
    /// Output folder of `timewarp sample` or `timewarp explore`: the first sample set, which
    /// fills the top-level fields of [`Metrics`](super::Metrics).
    pub samples_dir: PathBuf,
    /// Label of `samples_dir` in comparisons and figures (default: its folder name).
    #[serde(default)]
    pub samples_label: Option<String>,
    /// Further sample sets, compared with MD side by side with the first.
    #[serde(default)]
    pub more_samples: Vec<SampleSet>,
    /// Where `report.html`, `metrics.json` and `plots/` go (created if needed).
    pub out_dir: PathBuf,
    /// TICA lag time in MD frames (reduced, with a warning, for trajectories too short for it).
    #[serde(default = "default_tica_lag")]
    pub tica_lag: usize,
    /// Smallest MD population of a metastable state that the samples are required to visit.
    #[serde(default = "default_min_state_population")]
    pub min_state_population: f64,
    /// Also write every figure as SVG next to the PNG.
    #[serde(default = "default_true")]
    pub write_svg: bool,
    /// Smallest ESS reported as a number (see [`DEFAULT_MIN_ESS`]); below it ESS, ESS/s and
    /// speed-ups are "too small to estimate" and the sampling check fails.
    #[serde(default = "default_min_ess")]
    pub min_ess: f64,
}

fn default_min_ess() -> f64 {
    DEFAULT_MIN_ESS
}

fn default_tica_lag() -> usize {
    10
}

fn default_min_state_population() -> f64 {
    0.01
}

fn default_true() -> bool {
    true
}

impl AnalyzeOptions {
    pub fn new(
        md_dir: impl Into<PathBuf>,
        samples_dir: impl Into<PathBuf>,
        out_dir: impl Into<PathBuf>,
    ) -> Self {
        AnalyzeOptions {
            md_dir: md_dir.into(),
            samples_dir: samples_dir.into(),
            samples_label: None,
            more_samples: Vec::new(),
            out_dir: out_dir.into(),
            tica_lag: default_tica_lag(),
            min_state_population: default_min_state_population(),
            write_svg: true,
            min_ess: DEFAULT_MIN_ESS,
        }
    }

    /// Several sample sets against one MD reference; the first fills the top-level fields.
    pub fn with_sample_sets(
        md_dir: impl Into<PathBuf>,
        sets: Vec<SampleSet>,
        out_dir: impl Into<PathBuf>,
    ) -> Result<Self, AnalysisError> {
        let mut sets = sets.into_iter();
        let first = sets
            .next()
            .ok_or_else(|| AnalysisError::Options("no sample set given".into()))?;
        Ok(AnalyzeOptions {
            samples_label: Some(first.label),
            more_samples: sets.collect(),
            ..AnalyzeOptions::new(md_dir, first.dir, out_dir)
        })
    }

    /// Every sample set, the first (`samples_dir`) first, with its label filled in.
    pub fn sample_sets(&self) -> Vec<SampleSet> {
        let first = match &self.samples_label {
            Some(l) => SampleSet::new(l.clone(), &self.samples_dir),
            None => SampleSet::from_dir(&self.samples_dir),
        };
        std::iter::once(first)
            .chain(self.more_samples.iter().cloned())
            .collect()
    }

    pub(super) fn validate(&self) -> Result<(), AnalysisError> {
        if !(0.0..1.0).contains(&self.min_state_population) {
            return Err(AnalysisError::Options(format!(
                "min_state_population must be in [0, 1), got {}",
                self.min_state_population
            )));
        }
        if !(self.min_ess.is_finite() && self.min_ess >= 0.0) {
            return Err(AnalysisError::Options(format!(
                "min_ess must be a finite number ≥ 0, got {}",
                self.min_ess
            )));
        }
        let mut seen = HashSet::new();
        for s in self.sample_sets() {
            if s.label.is_empty() {
                return Err(AnalysisError::Options(format!(
                    "sample set {}: empty label",
                    s.dir.display()
                )));
            }
            if !seen.insert(s.label.clone()) {
                return Err(AnalysisError::Options(format!(
                    "two sample sets are labelled `{}` (the second is {}); give each a label with LABEL=DIR",
                    s.label,
                    s.dir.display()
                )));
            }
        }
        Ok(())
    }
}
