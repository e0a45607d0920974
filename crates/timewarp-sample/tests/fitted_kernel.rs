//! The fitted internal-coordinate kernel on alanine dipeptide, fitted to a short MD made in the
//! test: a saved and reloaded kernel proposes bit-identically, no proposal inverts a
//! stereocentre, bad inputs are refused with clear errors, and `timewarp sample` with it writes
//! the proposal diagnostics and resumes bit for bit.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use timewarp_ff::{ForceField, SystemOptions};
use timewarp_md::{run_md, MdConfig, SpacingKind};
use timewarp_mol::traj::{arrays_path, TrajArrays};
use timewarp_sample::diagnostics::read_proposal_log;
use timewarp_sample::fitted::{run_fit, FitConfig, FittedKernel, KernelFile};
use timewarp_sample::{
    run_sample, ChiralityGuard, FittedProposal, ProposalKernel, ProposalRequest, ProposalSource,
    Proposals, RunControl, SampleConfig, PROPOSALS_CSV,
};

fn shared(p: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).join(p)
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("timewarp-fitted-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// 40 ps of alanine-dipeptide MD (frames every 0.05 ps) and a kernel fitted to it at τ = 1 ps,
/// made once per test binary.
fn fixture() -> &'static (PathBuf, PathBuf) {
    static FIXTURE: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let root = scratch("fixture");
        let pdb = timewarp_mol::read_pdb(&shared("testdata/ala2.pdb")).unwrap();
        let system = ForceField::amber14()
            .create_system(&pdb.topology, &SystemOptions::default())
            .unwrap();
        let cfg = MdConfig {
            name: Some("ala2".into()),
            steps: 80_000,
            burn_in_steps: 4_000,
            save_every: 100,
            spacing: SpacingKind::Regular,
            seed: 3,
            ..MdConfig::default()
        };
        let md = root.join("md");
        run_md(&cfg, &pdb, &system, system.masses(), &md, false, &|_, _| {}).unwrap();
        let kernel = root.join("kernel");
        run_fit(
            &FitConfig {
                lag_ps: 1.0,
                ..FitConfig::default()
            },
            std::slice::from_ref(&md),
            &kernel,
            &RunControl::default(),
        )
        .unwrap();
        (md, kernel)
    })
}

/// `b` proposals from the MD frames with noise from `seed`.
fn propose(
    kernel: &mut FittedProposal,
    frames: &TrajArrays,
    b: usize,
    seed: u64,
) -> (Vec<[f64; 3]>, Proposals) {
    let n = frames.n_atoms;
    let shape = kernel.shape();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x: Vec<[f64; 3]> = (0..b)
        .flat_map(|k| frames.frame_positions_f64(k % frames.n_frames()))
        .collect();
    let z: Vec<f64> = (0..b * shape.normals)
        .map(|_| rng.sample(StandardNormal))
        .collect();
    let u: Vec<f64> = (0..b * shape.uniforms)
        .map(|_| rng.random::<f64>())
        .collect();
    let mut out = Proposals::default();
    out.resize(n, shape.aux, b);
    kernel
        .propose(
            &ProposalRequest {
                shape,
                x: &x,
                v: &[],
                z: &z,
                u: &u,
                reverse_density: true,
            },
            &mut out,
        )
        .unwrap();
    (x, out)
}

fn md_frames() -> TrajArrays {
    TrajArrays::read_npz(&arrays_path(&fixture().0, "ala2")).unwrap()
}

/// The φ/ψ block of a fitted kernel: (its histogram's marginal weight, its probabilities by
/// cell).
fn phi_psi_marginal(k: &FittedKernel) -> Option<(f64, Vec<f64>)> {
    let h = &k
        .blocks
        .iter()
        .find_map(|b| b.backbone.as_ref())?
        .transitions;
    let m = h.marginal.as_ref()?;
    let mut p = vec![0.0; h.n_cells()];
    for &(b, c) in &m.probabilities {
        p[b as usize] = c;
    }
    Some((m.weight, p))
}

/// `a` and `b` normalised to sum one are equal to rounding.
fn assert_same_distribution(a: &[f64], b: &[f64]) {
    let (sa, sb) = (a.iter().sum::<f64>(), b.iter().sum::<f64>());
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x / sa - y / sb).abs() < 1e-14, "{x}/{sa} vs {y}/{sb}");
    }
}

#[test]
fn the_marginal_component_is_the_own_or_the_pooled_phi_psi_marginal() {
    let (md, _) = fixture();
    let top = timewarp_mol::read_pdb(&shared("testdata/ala2.pdb"))
        .unwrap()
        .topology;
    let fit = |pooled: bool, name: &str| {
        let out = scratch(name);
        let cfg = FitConfig {
            lag_ps: 1.0,
            marginal_mix: 0.3,
            pooled,
            ..FitConfig::default()
        };
        run_fit(&cfg, std::slice::from_ref(md), &out, &RunControl::default()).unwrap();
        // A pooled kernel is written gzip-compressed, a molecule's as plain JSON.
        let name = if pooled {
            "kernel.json.gz"
        } else {
            "kernel.json"
        };
        assert!(out.join(name).is_file(), "{name}");
        let file = KernelFile::load(&out).unwrap();
        let _ = std::fs::remove_dir_all(&out);
        file
    };
    // One molecule: the component is the φ/ψ histogram's own cell populations.
    let own = fit(false, "marginal-own")
        .for_molecule(&top, "ala2")
        .unwrap();
    let (w, p) = phi_psi_marginal(&own).expect("a marginal component");
    assert_eq!(w, 0.3);
    let h = &own
        .blocks
        .iter()
        .find_map(|b| b.backbone.as_ref())
        .unwrap()
        .transitions;
    assert_same_distribution(&p, &h.cell_counts());
    // Pooled: the sum over every group's φ/ψ histogram. A copy of the ALA group under a second
    // name doubles it, and the instantiated kernel carries the sum.
    let KernelFile::Pooled(mut pooled) = fit(true, "marginal-pooled") else {
        panic!("a pooled kernel")
    };
    // Rotor features: every rotor of the instantiated kernel conditions the Gaussian's mean, as
    // in the molecule's own fit, with the group's weights copied to the molecule's rows.
    let inst = pooled.instantiate(&top).unwrap();
    let mut rotor_dofs: Vec<usize> = inst
        .blocks
        .iter()
        .flat_map(|b| b.rotors.iter().map(|r| r.dof))
        .collect();
    rotor_dofs.sort_unstable();
    let f = &inst.gaussian.features;
    assert_eq!(
        (f.rotors.clone(), f.rotor_harmonics),
        (rotor_dofs.clone(), 3)
    );
    let mut own_rotors = own.gaussian.features.rotors.clone();
    own_rotors.sort_unstable();
    assert_eq!(own_rotors, rotor_dofs);
    let rotor_rows = f.len() - (1 + 12 * f.backbone.len());
    let d = inst.gaussian.dim();
    let nonzero = inst.gaussian.weights[(f.len() - rotor_rows) * d..]
        .iter()
        .filter(|w| **w != 0.0)
        .count();
    assert!(
        nonzero > d,
        "{nonzero} non-zero rotor weights for {d} variables"
    );
    let single = pooled.backbone_marginal().unwrap();
    let ala = pooled.groups["ALA/root"].clone();
    pooled.groups.insert("ALA/after".into(), ala);
    let double = pooled.backbone_marginal().unwrap();
    assert!(single.iter().zip(&double).all(|(a, b)| *b == 2.0 * a));
    let (w, p) = phi_psi_marginal(&pooled.instantiate(&top).unwrap()).unwrap();
    assert_eq!(w, 0.3);
    assert_same_distribution(&p, &double);
    // A group histogram off the kernel's grid, or with a bad marginal, is refused on load.
    let mut off_grid = pooled.clone();
    let h = off_grid
        .groups
        .get_mut("ALA/root")
        .unwrap()
        .backbone
        .as_mut()
        .unwrap();
    h.bins = 18;
    h.rows.truncate(18 * 18);
    let e = off_grid.validate().unwrap_err();
    assert!(e.contains("ALA/root") && e.contains("grid"), "{e}");
    let mut bad_weight = own.clone();
    let bb = bad_weight
        .blocks
        .iter_mut()
        .find_map(|b| b.backbone.as_mut())
        .unwrap();
    bb.transitions.marginal.as_mut().unwrap().weight = 1.5;
    assert!(bad_weight.validate().unwrap_err().contains("marginal"));
    // Weight 0: no component.
    pooled.fit.marginal_mix = 0.0;
    assert!(pooled.backbone_marginal().is_none());
    assert!(phi_psi_marginal(&pooled.instantiate(&top).unwrap()).is_none());
}

#[test]
fn saved_and_loaded_kernel_proposes_identically() {
    let kernel = FittedKernel::load(&fixture().1).unwrap();
    // Alanine dipeptide: the φ/ψ block of ALA (with the caps' backbone atoms) and the side-chain
    // block holding the three methyls (Cβ's and the caps').
    assert_eq!(
        kernel.blocks.len(),
        2,
        "{:?}",
        kernel.blocks.iter().map(|b| &b.label)
    );
    assert!(kernel.blocks[0].backbone.is_some() && kernel.blocks[0].rotors.is_empty());
    assert_eq!(kernel.blocks[1].label, "ALA 2 side chain");
    assert_eq!(kernel.blocks[1].rotors.len(), 3, "three methyl rotors");
    let json = serde_json::to_string(&kernel).unwrap();
    let again: FittedKernel = serde_json::from_str(&json).unwrap();
    assert_eq!(again, kernel);
    let frames = md_frames();
    let (_, a) = propose(&mut FittedProposal::new(kernel).unwrap(), &frames, 64, 5);
    let (_, b) = propose(&mut FittedProposal::new(again).unwrap(), &frames, 64, 5);
    assert_eq!(a.y, b.y);
    assert_eq!(a.log_q_forward, b.log_q_forward);
    assert_eq!(a.log_q_reverse, b.log_q_reverse);
}

#[test]
fn proposals_keep_every_stereocentre() {
    let kernel = FittedKernel::load(&fixture().1).unwrap();
    let pdb = timewarp_mol::read_pdb(&shared("testdata/ala2.pdb")).unwrap();
    let guard = ChiralityGuard::for_topology(&pdb.topology, &pdb.models[0]);
    let frames = md_frames();
    let mut k = FittedProposal::new(kernel).unwrap();
    let (mut proposed, mut null) = (0, 0);
    for round in 0..10 {
        let (_, out) = propose(&mut k, &frames, 1000, 100 + round);
        for j in 0..out.len() {
            if out.log_q_reverse[j] == f64::NEG_INFINITY {
                null += 1;
                continue;
            }
            proposed += 1;
            assert!(
                !guard.flipped(out.y_of(j)),
                "proposal {j} of round {round} inverted a stereocentre"
            );
            assert!(out.log_q_forward[j].is_finite() && out.log_q_reverse[j].is_finite());
        }
    }
    assert_eq!(proposed + null, 10_000);
    assert!(null < 100, "{null} null moves in 10⁴ proposals");
}

#[test]
fn bad_inputs_are_refused_with_clear_errors() {
    let kernel = FittedKernel::load(&fixture().1).unwrap();
    // Another peptide.
    let (other, _) = timewarp_mol::builder::build_peptide("AA").unwrap();
    let err = kernel
        .check_molecule(&other, "AA.pdb")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ACE-ALA-NME") && err.contains("AA.pdb"),
        "{err}"
    );
    // MD too short for the lag.
    let err = run_fit(
        &FitConfig {
            lag_ps: 39.0,
            ..FitConfig::default()
        },
        std::slice::from_ref(&fixture().0),
        &scratch("short"),
        &RunControl::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("too short") && err.contains("39"), "{err}");
    // A lag that is not a multiple of the frame spacing.
    let err = run_fit(
        &FitConfig {
            lag_ps: 0.07,
            ..FitConfig::default()
        },
        std::slice::from_ref(&fixture().0),
        &scratch("lag"),
        &RunControl::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("multiple"), "{err}");
    // Not an MD folder.
    let err = run_fit(
        &FitConfig::default(),
        &[scratch("nothing")],
        &scratch("nothing-out"),
        &RunControl::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("nothing"), "{err}");
    // A kernel file that is not one.
    let bad = scratch("badkernel");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("kernel.json"), r#"{"format": "x"}"#).unwrap();
    assert!(FittedKernel::load(&bad)
        .unwrap_err()
        .to_string()
        .contains("kernel.json"));
    // A folder with both a plain and a compressed kernel file: neither is silently chosen.
    std::fs::copy(bad.join("kernel.json"), bad.join("kernel.json.gz")).unwrap();
    let err = KernelFile::load(&bad).unwrap_err().to_string();
    assert!(err.contains("both") && err.contains("badkernel"), "{err}");
    // Sampling another molecule with it.
    let mut cfg = SampleConfig::default();
    cfg.chain.steps = 5;
    let pdb = scratch("aa-pdb");
    std::fs::create_dir_all(&pdb).unwrap();
    let (top, x) = timewarp_mol::builder::build_peptide("AA").unwrap();
    timewarp_mol::pdb::write_pdb_file(&pdb.join("aa.pdb"), &top, &x).unwrap();
    let source = ProposalSource::Fitted {
        kernel: fixture().1.clone(),
    };
    let err = run_sample(
        &cfg,
        &source,
        &pdb.join("aa.pdb"),
        &scratch("aa-out"),
        &RunControl::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("fitted on ACE-ALA-NME"), "{err}");
}

fn sample_cfg(steps: u64) -> SampleConfig {
    let mut cfg = SampleConfig::default();
    (
        cfg.chain.steps,
        cfg.chain.chains,
        cfg.chain.seed,
        cfg.chain.equilibrate_ps,
        cfg.chain.checkpoint_seconds,
    ) = (steps, 2, 7, 1.0, 0.0);
    cfg
}

#[test]
fn sampling_writes_diagnostics_and_resumes_bit_for_bit() {
    let source = ProposalSource::Fitted {
        kernel: fixture().1.clone(),
    };
    let pdb = shared("testdata/ala2.pdb");
    let whole = scratch("whole");
    let s = run_sample(
        &sample_cfg(300),
        &source,
        &pdb,
        &whole,
        &RunControl::default(),
    )
    .unwrap();
    assert!(s.acceptance_rate > 0.05, "acceptance {}", s.acceptance_rate);
    assert_eq!(s.n_proposals, 600, "B = 1 by default for a fitted kernel");
    let d = s.diagnostics.as_ref().unwrap();
    assert_eq!(d.considered, 600);
    assert_eq!(d.accepted + d.rejected + d.chirality + d.nonfinite, 600);
    let shares = d.dominant_share;
    let total = shares.bond
        + shares.angle
        + shares.torsion
        + shares.nonbonded
        + shares.gb
        + shares.proposal_density;
    assert!((total - 1.0).abs() < 1e-9 || d.rejected == 0);
    let records = read_proposal_log(&whole.join(PROPOSALS_CSV)).unwrap();
    assert_eq!(records.len(), 600);
    // ΔU by term adds up to the total.
    for r in &records {
        let sum = r.du.bond + r.du.angle + r.du.torsion + r.du.nonbonded + r.du.gb;
        assert!(
            (sum - r.du.total).abs() < 1e-4 * (1.0 + r.du.total.abs()),
            "{r:?}"
        );
    }
    // Stop after 100 iterations, resume, and compare every file with the uninterrupted run.
    let parts = scratch("parts");
    let stopped = RunControl {
        stop_after: Some(100),
        ..RunControl::default()
    };
    assert!(
        !run_sample(&sample_cfg(300), &source, &pdb, &parts, &stopped)
            .unwrap()
            .completed
    );
    let resumed = RunControl {
        resume: true,
        ..RunControl::default()
    };
    let r = run_sample(&sample_cfg(300), &source, &pdb, &parts, &resumed).unwrap();
    assert_eq!(
        (r.acceptance_rate, r.n_proposals),
        (s.acceptance_rate, s.n_proposals)
    );
    for c in 0..2 {
        let name = format!("chain-{c:03}/ala2-traj-arrays.npz");
        assert_eq!(
            std::fs::read(whole.join(&name)).unwrap(),
            std::fs::read(parts.join(&name)).unwrap(),
            "{name}"
        );
    }
    assert_eq!(
        std::fs::read(whole.join(PROPOSALS_CSV)).unwrap(),
        std::fs::read(parts.join(PROPOSALS_CSV)).unwrap()
    );
}
