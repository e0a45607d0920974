//! `timewarp analyze`: HTML report + metrics.json comparing MD with Timewarp samples.

use crate::config::{load_section, write_toml_atomic};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use timewarp_analysis::{analyze, AnalyzeOptions, Metrics};

#[derive(clap::Args)]
pub struct Args {
    /// Output folder of `timewarp md` (the reference).
    #[arg(long)]
    md: PathBuf,
    /// Output folder of `timewarp sample` or `timewarp explore`.
    #[arg(long)]
    samples: PathBuf,
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
}

impl Default for AnalyzeSettings {
    fn default() -> Self {
        let d = AnalyzeOptions::new("", "", "");
        Self { tica_lag: d.tica_lag, min_state_population: d.min_state_population, write_svg: d.write_svg }
    }
}

pub fn main(args: Args, _quiet: bool) -> Result<()> {
    let mut s: AnalyzeSettings = load_section(args.config.as_deref(), "analyze")?;
    if let Some(l) = args.tica_lag {
        s.tica_lag = l;
    }
    let metrics = run(&s, &args.md, &args.samples, &args.out)?;
    print_summary(&metrics, &args.out);
    Ok(())
}

/// Writes the report of `samples` against `md` into `out`.
pub fn run(s: &AnalyzeSettings, md: &Path, samples: &Path, out: &Path) -> Result<Metrics> {
    let opts = AnalyzeOptions {
        tica_lag: s.tica_lag,
        min_state_population: s.min_state_population,
        write_svg: s.write_svg,
        ..AnalyzeOptions::new(md, samples, out)
    };
    #[derive(Serialize)]
    struct Effective<'a> {
        analyze: &'a AnalyzeSettings,
    }
    write_toml_atomic(&out.join("config.toml"), &Effective { analyze: s })?;
    analyze(&opts).with_context(|| {
        format!("cannot analyse {} against {}", samples.display(), md.display())
    })
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.digits$}"))
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
        let energy = d.potential_energy.as_ref().map_or(String::new(), |u| format!("; U {:.1} ± {:.1} kJ/mol", u.mean, u.std));
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
    println!("  speed-up (ESS/s samples ÷ MD): {}", fmt_opt(m.speedup, 2));
    for w in &m.warnings {
        println!("  warning: {w}");
    }
}
