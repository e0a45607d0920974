//! `timewarp energy`: per-term potential energy and forces of a structure.

use crate::config::{load_section, ForceFieldSettings};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use timewarp_ff::{EnergyTerms, ForceField, NonbondedMethod, SystemOptions};

#[derive(clap::Args)]
pub struct Args {
    /// Structure (PDB; all hydrogens present). With several MODELs, the first is used unless
    /// --model.
    #[arg(long)]
    pdb: PathBuf,
    /// TOML file whose `[forcefield]` section sets the force field and cutoff (the file of
    /// `timewarp run` or any command); flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Force field: amber14-obc1 (default, the Timewarp protocol), amber14-obc2 or
    /// amber14-vacuum.
    #[arg(long)]
    forcefield: Option<String>,
    /// Non-periodic cutoff in nm (reaction field), or `none` (default 2.0).
    #[arg(long)]
    cutoff: Option<String>,
    /// Which MODEL of a multi-model PDB (0-based).
    #[arg(long, default_value_t = 0)]
    model: usize,
    /// Print JSON: per-term energies (kJ/mol) and forces (kJ/mol/nm, N×3).
    #[arg(long)]
    json: bool,
}

/// Parses `--forcefield` and `--cutoff` (or the `[forcefield]` keys of the same names) into
/// system options; the names are timewarp-ff's.
pub fn system_options(forcefield: &str, cutoff: &str) -> Result<SystemOptions> {
    let nonbonded: NonbondedMethod = cutoff
        .parse()
        .map_err(|e| anyhow::anyhow!("--cutoff {e}"))?;
    SystemOptions {
        nonbonded,
        ..SystemOptions::default()
    }
    .with_forcefield(forcefield)
    .map_err(anyhow::Error::msg)
}

#[derive(serde::Serialize)]
struct Output<'a> {
    pdb: String,
    forcefield: &'a str,
    cutoff: &'a str,
    n_atoms: usize,
    #[serde(flatten)]
    terms: EnergyTerms,
    forces: Vec<[f64; 3]>,
}

pub fn main(args: Args) -> Result<()> {
    let pdb = timewarp_mol::pdb::read_pdb(&args.pdb)?;
    let Some(positions) = pdb.models.get(args.model) else {
        bail!(
            "{} has {} model(s); --model {} does not exist",
            args.pdb.display(),
            pdb.models.len(),
            args.model
        );
    };
    timewarp_ff::check_finite(positions)?;
    let mut ff: ForceFieldSettings = load_section(args.config.as_deref(), "forcefield")?;
    if let Some(v) = args.forcefield {
        ff.forcefield = v;
    }
    if let Some(v) = args.cutoff {
        ff.cutoff = v;
    }
    let opts = ff.options()?;
    let system = ForceField::amber14()
        .create_system(&pdb.topology, &opts)
        .with_context(|| format!("cannot parameterise {}", args.pdb.display()))?;
    let mut forces = vec![[0.0; 3]; system.n_atoms()];
    let terms = system.energy_terms(positions, &mut forces);
    if !terms.total.is_finite() {
        bail!(
            "the potential energy of {} is not finite ({})",
            args.pdb.display(),
            terms.total
        );
    }
    if args.json {
        let out = Output {
            pdb: args.pdb.display().to_string(),
            forcefield: &ff.forcefield,
            cutoff: &ff.cutoff,
            n_atoms: system.n_atoms(),
            terms,
            forces,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{}: {} atoms, {} residues, {} / cutoff {}",
            args.pdb.display(),
            system.n_atoms(),
            pdb.topology.residues.len(),
            ff.forcefield,
            ff.cutoff
        );
        println!("{:<10} {:>16}", "term", "kJ/mol");
        for (name, value) in [
            ("bond", terms.bond),
            ("angle", terms.angle),
            ("torsion", terms.torsion),
            ("nonbonded", terms.nonbonded),
            ("gb", terms.gb),
            ("total", terms.total),
        ] {
            println!("{name:<10} {value:>16.6}");
        }
        let fmax = forces
            .iter()
            .map(|f| (f[0] * f[0] + f[1] * f[1] + f[2] * f[2]).sqrt())
            .fold(0.0, f64::max);
        println!("max |force| {fmax:.3} kJ/mol/nm (use --json for all forces)");
    }
    Ok(())
}
