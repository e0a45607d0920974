//! `timewarp energy`: per-term potential energy and forces of a structure.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use timewarp_ff::{EnergyTerms, ForceField, GbModel, NonbondedMethod, SystemOptions};

#[derive(clap::Args)]
pub struct Args {
    /// Structure (PDB; all hydrogens present). With several MODELs, the first is used unless --model.
    #[arg(long)]
    pdb: PathBuf,
    /// Force field: amber14-obc1 (the Timewarp protocol) or amber14-obc2.
    #[arg(long, default_value = "amber14-obc1")]
    forcefield: String,
    /// Non-periodic cutoff in nm (reaction field), or `none`.
    #[arg(long, default_value = "2.0")]
    cutoff: String,
    /// Which MODEL of a multi-model PDB (0-based).
    #[arg(long, default_value_t = 0)]
    model: usize,
    /// Print JSON: per-term energies (kJ/mol) and forces (kJ/mol/nm, N×3).
    #[arg(long)]
    json: bool,
}

/// Parses `--forcefield` and `--cutoff` into system options.
pub fn system_options(forcefield: &str, cutoff: &str) -> Result<SystemOptions> {
    let gb = match forcefield {
        "amber14-obc1" => Some(GbModel::Obc1),
        "amber14-obc2" => Some(GbModel::Obc2),
        "amber14-vacuum" => None,
        other => bail!(
            "unknown force field '{other}': expected amber14-obc1, amber14-obc2 or amber14-vacuum"
        ),
    };
    let nonbonded = match cutoff {
        "none" => NonbondedMethod::NoCutoff,
        c => {
            let nm: f64 = c
                .parse()
                .with_context(|| format!("--cutoff '{c}' is neither a number of nm nor 'none'"))?;
            if !(nm.is_finite() && nm > 0.0) {
                bail!("--cutoff must be a positive distance in nm, got {c}");
            }
            NonbondedMethod::CutoffNonPeriodic { cutoff_nm: nm }
        }
    };
    Ok(SystemOptions { gb, nonbonded })
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
        bail!("{} has {} model(s); --model {} does not exist", args.pdb.display(), pdb.models.len(), args.model);
    };
    timewarp_ff::check_finite(positions)?;
    let opts = system_options(&args.forcefield, &args.cutoff)?;
    let system = ForceField::amber14()
        .create_system(&pdb.topology, &opts)
        .with_context(|| format!("cannot parameterise {}", args.pdb.display()))?;
    let mut forces = vec![[0.0; 3]; system.n_atoms()];
    let terms = system.energy_terms(positions, &mut forces);
    if !terms.total.is_finite() {
        bail!("the potential energy of {} is not finite ({})", args.pdb.display(), terms.total);
    }
    if args.json {
        let out = Output {
            pdb: args.pdb.display().to_string(),
            forcefield: &args.forcefield,
            cutoff: &args.cutoff,
            n_atoms: system.n_atoms(),
            terms,
            forces,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{}: {} atoms, {} residues, {} / cutoff {}", args.pdb.display(), system.n_atoms(),
            pdb.topology.residues.len(), args.forcefield, args.cutoff);
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
