//! `timewarp build`: an ACE/NME-capped peptide from a sequence, all hydrogens, minimised.

use crate::config::{load_section, ForceFieldSettings};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use timewarp_md::{minimize, MinimizeOptions};

#[derive(clap::Args)]
pub struct Args {
    /// One-letter sequence of standard amino acids, e.g. AKWE; protonation variants in
    /// parentheses after the letter, e.g. AH(HID)E.
    #[arg(long)]
    sequence: String,
    /// Output PDB file (default: <SEQUENCE>.pdb).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Skip minimisation (ideal template geometry only).
    #[arg(long)]
    no_minimize: bool,
    /// Minimiser tolerance: RMS force in kJ/mol/nm.
    #[arg(long, default_value_t = 2.0)]
    tolerance: f64,
    /// Force field used for minimisation: amber14-obc1 (default), amber14-obc2 or
    /// amber14-vacuum.
    #[arg(long)]
    forcefield: Option<String>,
    /// TOML file whose `[forcefield]` section sets the force field of the minimisation (the
    /// file of `timewarp run` or any command); flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
}

pub fn main(args: Args, _quiet: bool) -> Result<()> {
    // Checked before the build: a zero tolerance can never be met and runs the minimiser to its
    // iteration limit, and NaN compares false and stops it at once.
    if !(args.tolerance.is_finite() && args.tolerance > 0.0) {
        bail!(
            "--tolerance {} must be a finite RMS force > 0 kJ/mol/nm",
            args.tolerance
        );
    }
    let (topology, mut positions) = timewarp_mol::builder::build_peptide(&args.sequence)?;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("{}.pdb", args.sequence.trim())));
    let mut ff: ForceFieldSettings = load_section(args.config.as_deref(), "forcefield")?;
    if let Some(v) = args.forcefield {
        ff.forcefield = v;
    }
    let system = ff.system(&topology, &out)?;
    if !args.no_minimize {
        let opts = MinimizeOptions {
            tolerance: args.tolerance,
            ..Default::default()
        };
        let report = minimize(&system, &mut positions, &opts)
            .with_context(|| format!("cannot minimise peptide {}", args.sequence))?;
        if !report.final_energy.is_finite() {
            bail!("minimisation of {} gave a non-finite energy", args.sequence);
        }
        println!(
            "minimised {}: U {:.1} → {:.1} kJ/mol, RMS force {:.2} kJ/mol/nm after {} iterations{}",
            args.sequence,
            report.initial_energy,
            report.final_energy,
            report.rms_force,
            report.iterations,
            if report.converged {
                ""
            } else {
                " (tolerance not reached)"
            }
        );
    }
    timewarp_mol::pdb::write_pdb_file(&out, &topology, &positions)
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "wrote {} ({} residues, {} atoms)",
        out.display(),
        topology.residues.len(),
        topology.n_atoms()
    );
    Ok(())
}
