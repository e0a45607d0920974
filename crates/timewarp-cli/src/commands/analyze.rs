//! `timewarp analyze`: HTML report + metrics.json comparing MD with one or several sets of
//! Timewarp samples.

use crate::config::load_section;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use timewarp_analysis::dataset::find_trajectories;
use timewarp_analysis::{analyze, AnalyzeOptions, Metrics, SampleSet};
use timewarp_rundir::{InputIdentity, RunControl, RunRecord, Session};

#[derive(clap::Args)]
pub struct Args {
    /// Output folder of `timewarp md` (the reference).
    #[arg(long)]
    md: PathBuf,
    /// Output folder of `timewarp sample` or `timewarp explore`, as DIR or LABEL=DIR (the label
    /// defaults to the folder name). Repeat to compare several sample sets side by side; the
    /// first fills the top-level fields of metrics.json.
    #[arg(long, required = true, value_name = "[LABEL=]DIR", value_parser = parse_sample_set)]
    samples: Vec<SampleSet>,
    /// Report folder (report.html, metrics.json, plots/).
    #[arg(long)]
    out: PathBuf,
    /// TOML file with an `[analyze]` section.
    #[arg(long)]
    config: Option<PathBuf>,
    /// TICA lag in MD frames.
    #[arg(long)]
    tica_lag: Option<usize>,
}

fn parse_sample_set(spec: &str) -> Result<SampleSet, String> {
    SampleSet::parse(spec).map_err(|e| e.to_string())
}

/// The `[analyze]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalyzeSettings {
    /// TICA lag time in MD frames.
    pub tica_lag: usize,
    /// Smallest MD population of a metastable state that the samples must visit.
    pub min_state_population: f64,
    /// Write every figure as SVG too.
    pub write_svg: bool,
    /// Smallest ESS reported as a number; below it ESS, ESS/s and speed-ups are "too small to
    /// estimate" and the sampling check fails.
    pub min_ess: f64,
}

impl AnalyzeSettings {
    /// Range checks, naming the `[analyze]` key.
    pub fn validate(&self) -> Result<()> {
        if self.tica_lag == 0 {
            bail!("[analyze] tica_lag must be at least 1 frame");
        }
        if !(0.0..1.0).contains(&self.min_state_population) {
            bail!(
                "[analyze] min_state_population must lie in [0, 1), got {}",
                self.min_state_population
            );
        }
        if !(self.min_ess.is_finite() && self.min_ess >= 0.0) {
            bail!(
                "[analyze] min_ess must be finite and ≥ 0, got {}",
                self.min_ess
            );
        }
        Ok(())
    }
}

impl Default for AnalyzeSettings {
    fn default() -> Self {
        let d = AnalyzeOptions::new("", "", "");
        Self {
            tica_lag: d.tica_lag,
            min_state_population: d.min_state_population,
            write_svg: d.write_svg,
            min_ess: d.min_ess,
        }
    }
}

pub fn main(args: Args, _quiet: bool) -> Result<()> {
    let mut s: AnalyzeSettings = load_section(args.config.as_deref(), "analyze")?;
    if let Some(l) = args.tica_lag {
        s.tica_lag = l;
    }
    let metrics = run_sets(&s, &args.md, &args.samples, &args.out)?;
    print_summary(&metrics, &args.out);
    Ok(())
}

/// Writes the report of `samples` against `md` into `out`.
pub fn run(s: &AnalyzeSettings, md: &Path, samples: &Path, out: &Path) -> Result<Metrics> {
    run_sets(s, md, &[SampleSet::from_dir(samples)], out)
}

/// `LABEL=DIR` of a sample set, or `DIR` where the label is the folder name.
fn describe_set(set: &SampleSet) -> String {
    let dir = set.dir.display().to_string();
    if set.label == dir
        || set
            .dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy() == set.label)
    {
        dir
    } else {
        format!("{}={dir}", set.label)
    }
}

/// Writes the report of every sample set against `md` into `out`; the first set fills the
/// top-level fields of metrics.json.
pub fn run_sets(s: &AnalyzeSettings, md: &Path, sets: &[SampleSet], out: &Path) -> Result<Metrics> {
    // Check the settings and inputs before anything is written into `out`.
    s.validate()?;
    for set in sets {
        // The error names the folder; the context adds LABEL= where the label is not its name.
        find_trajectories(&set.dir).with_context(|| {
            let dir = set.dir.display().to_string();
            let given = describe_set(set);
            let flag = if given == dir {
                "--samples".to_string()
            } else {
                format!("--samples {given}")
            };
            format!("{flag}: not a folder with trajectories")
        })?;
    }
    let opts = AnalyzeOptions {
        tica_lag: s.tica_lag,
        min_state_population: s.min_state_population,
        write_svg: s.write_svg,
        min_ess: s.min_ess,
        ..AnalyzeOptions::with_sample_sets(md, sets.to_vec(), out)?
    };
    #[derive(Serialize)]
    struct Effective<'a> {
        analyze: &'a AnalyzeSettings,
    }
    // The report folder: locked and inspected before anything is written; the settings are the
    // analysis options and the labels, the inputs the MD and sample folders.
    let labels: Vec<&str> = sets.iter().map(|s| s.label.as_str()).collect();
    let settings = serde_json::json!({ "analyze": s, "labels": labels });
    let mut inputs = vec![InputIdentity::folder("md", md)?];
    for set in sets {
        inputs.push(InputIdentity::folder(
            &format!("samples {}", set.label),
            &set.dir,
        )?);
    }
    // An analysis has no checkpoint: an interrupted one is simply done again (resume).
    let control = RunControl {
        resume: true,
        ..RunControl::default()
    }
    .with_file(
        "config.toml",
        toml::to_string_pretty(&Effective { analyze: s })?,
    );
    let session = Session::open_with(
        out,
        RunRecord::start("analyze", settings, inputs),
        &control,
        false,
    )?;
    let metrics_path = out.join("metrics.json");
    if session.is_complete() && metrics_path.is_file() {
        let text = std::fs::read_to_string(&metrics_path)
            .with_context(|| format!("cannot read {}", metrics_path.display()))?;
        return serde_json::from_str(&text)
            .with_context(|| format!("invalid {}", metrics_path.display()));
    }
    let metrics = analyze(&opts).with_context(|| {
        let names: Vec<String> = sets.iter().map(describe_set).collect();
        format!(
            "cannot analyse {} against {}",
            names.join(", "),
            md.display()
        )
    })?;
    session.finish(&serde_json::json!({
        "jsd_phi_psi": metrics.jsd_phi_psi,
        "speedup": metrics.speedup,
        "acceptance_rate": metrics.acceptance_rate,
        "warnings": metrics.warnings,
    }))?;
    Ok(metrics)
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.digits$}"))
}

/// `v ± e`, or `v` alone when the error is unknown.
fn fmt_err(v: Option<f64>, e: Option<f64>, digits: usize) -> String {
    match (v, e) {
        (Some(v), Some(e)) => format!("{v:.digits$} ± {e:.digits$}"),
        (v, _) => fmt_opt(v, digits),
    }
}

fn fmt_count(n: Option<usize>) -> String {
    n.map_or("n/a".into(), |n| n.to_string())
}

/// A short human summary of the metrics.
pub fn print_summary(m: &Metrics, out: &Path) {
    println!("report: {}", out.join("report.html").display());
    for (r, jsd) in m.residues.iter().zip(&m.jsd_phi_psi) {
        println!("  JSD(φ/ψ) MD vs samples, {r}: {jsd:.4}");
    }
    for (label, d) in [("MD", &m.md), ("samples", &m.samples)] {
        let p = &d.populations;
        // ⟨U⟩ ± σ_U: for an exact sampler in equilibrium these match MD's within the basins
        // the chain has visited.
        let energy = d.potential_energy.as_ref().map_or(String::new(), |u| {
            format!("; U {:.1} ± {:.1} kJ/mol", u.mean, u.std)
        });
        println!(
            "  {label:<8} {} frames; αL {:.3}  αR {:.3}  β/C7eq {:.3}; ESS/s {}{energy}",
            d.n_frames,
            p.alpha_l,
            p.alpha_r,
            p.beta_c7eq,
            fmt_opt(d.ess_per_second, 3)
        );
    }
    if let Some(a) = m.acceptance_rate {
        println!("  acceptance rate {a:.4}");
    }
    // The strict speed-up is 0 when the samples miss a metastable state the MD visits (the
    // official rule); the plain ratio only compares ESS/s.
    println!(
        "  speed-up (ESS/s samples ÷ MD): strict {}, plain {}",
        fmt_opt(m.speedup_official, 2),
        fmt_opt(m.speedup, 2)
    );
    // ± are blocking standard errors (20 blocks per trajectory).
    println!(
        "  MD: β↔αR transitions {} ({}/s); ⟨U⟩ {} kJ/mol",
        fmt_count(m.md.basin_transitions),
        fmt_opt(m.md.transitions_per_second, 3),
        fmt_err(
            m.md.potential_energy.map(|u| u.mean),
            m.md.potential_energy_stderr,
            2
        )
    );
    for c in &m.comparisons {
        let jsd: Vec<String> = c.jsd_phi_psi.iter().map(|j| format!("{j:.4}")).collect();
        println!(
            "  {}: acceptance {}; β↔αR transitions {} ({}/s); median accepted |Δφ| {}°, |Δψ| {}°; ESS/s {}; speed-up strict {} (plain {}); JSD {}; ⟨U⟩ {} kJ/mol; αR {}",
            c.label,
            fmt_opt(c.acceptance_rate, 4),
            fmt_count(c.basin_transitions),
            fmt_opt(c.transitions_per_second, 3),
            fmt_opt(c.median_abs_dphi_accepted, 1),
            fmt_opt(c.median_abs_dpsi_accepted, 1),
            fmt_opt(c.ess_per_second, 3),
            fmt_opt(c.speedup_official, 2),
            fmt_opt(c.speedup, 2),
            jsd.join(", "),
            fmt_err(c.potential_energy_mean, c.potential_energy_stderr, 2),
            fmt_err(
                Some(c.populations.alpha_r),
                c.populations_stderr.map(|e| e.alpha_r),
                3
            ),
        );
    }
    for w in &m.warnings {
        println!("  warning: {w}");
    }
    if m.sampling_failed {
        println!(
            "  SAMPLING FAILED: the numbers above do not measure the sampler (see the warnings)"
        );
    }
}
