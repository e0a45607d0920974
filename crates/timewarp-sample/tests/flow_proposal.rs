//! `run_sample`, `run_explore` and `bench_sampler` end to end with a tiny random flow (f32) on
//! alanine dipeptide. (The f64 density checks live in `flow_densities.rs`: burn 0.21 keys its
//! default dtypes by device, so f32 and f64 ndarray models must not share a process.)

use std::path::{Path, PathBuf};

use burn::backend::NdArray;
use timewarp_flow::{preset, save_checkpoint, FlowConfig, TimewarpFlow};
use timewarp_sample::{
    bench_sampler, resolve_model, run_explore, run_sample, BenchConfig, ExploreConfig, ModelSource,
    ProposalSource, RunControl, SampleConfig, RUN_JSON,
};

fn ala2() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/ala2.pdb"
    ))
    .to_path_buf()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "timewarp-sample-flow-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// The `tiny` preset with a small base scale for positions (σ_p = 0.02 nm).
fn tiny() -> FlowConfig {
    FlowConfig {
        coords_prior_log_scale: 0.02f64.ln(),
        ..preset("tiny").unwrap()
    }
}

#[test]
fn sample_and_explore_run_end_to_end_with_a_tiny_flow() {
    type B = NdArray<f32>;
    let root = scratch("e2e");
    // A training-run layout: RUN/best/{config.json, model.safetensors}.
    let model_dir = root.join("run").join("best");
    let cfg = tiny();
    save_checkpoint(
        &model_dir,
        &TimewarpFlow::<B>::new(&cfg, &Default::default()),
        &cfg,
    )
    .unwrap();
    assert_eq!(
        resolve_model(&root.join("run")).unwrap(),
        ModelSource::Checkpoint(model_dir.clone())
    );

    let mut sample_cfg = SampleConfig::default();
    (
        sample_cfg.chain.steps,
        sample_cfg.chain.chains,
        sample_cfg.chain.seed,
        sample_cfg.chain.checkpoint_seconds,
    ) = (12, 2, 9, 0.0);
    sample_cfg.mh.proposals = Some(4);
    let source = ProposalSource::Flow {
        model: root.join("run"),
    };
    let out = root.join("sample");
    let last = std::sync::Mutex::new((0, 0));
    let s = run_sample(
        &sample_cfg,
        &source,
        &ala2(),
        &out,
        &RunControl::new(false, &|d, t| *last.lock().unwrap() = (d, t)),
    )
    .unwrap();
    assert_eq!(*last.lock().unwrap(), (24, 24));
    assert!(s.completed);
    assert_eq!(s.name, "ala2");
    assert_eq!(s.per_chain.iter().map(|c| c.stats.steps).sum::<u64>(), 24);
    assert!(s.n_proposals >= 24);
    assert!(s.timing.proposal_seconds > 0.0 && s.timing.energy_seconds > 0.0);
    assert!(s.per_chain.iter().all(|c| c.final_energy.is_finite()));
    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(RUN_JSON)).unwrap()).unwrap();
    assert_eq!(run_json["command"], "sample");
    assert_eq!(run_json["settings"]["sample"]["proposals"], 4);
    for c in 0..2 {
        let (pdb, traj) =
            timewarp_mol::traj::read_traj(&out.join(format!("chain-{c:03}")), "ala2").unwrap();
        assert_eq!(pdb.topology.n_atoms(), 22);
        assert_eq!(traj.n_frames(), 13);
    }

    let table = bench_sampler(
        &BenchConfig {
            proposals: vec![1, 3],
            iterations: 3,
            ..BenchConfig::default()
        },
        &ProposalSource::Flow {
            model: model_dir.clone(),
        },
        &ala2(),
    )
    .unwrap();
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.n_atoms, 22);
    for r in &table.rows {
        assert!(r.iterations_per_second > 0.0 && r.flow_ms > 0.0 && r.energy_ms > 0.0);
        assert!(
            (r.proposals_per_second / r.iterations_per_second - r.proposals as f64).abs() < 1e-6
        );
    }
    assert!(table.to_string().contains("proposals/s"));

    let mut explore_cfg = ExploreConfig::default();
    (
        explore_cfg.chain.steps,
        explore_cfg.chain.chains,
        explore_cfg.chain.checkpoint_seconds,
    ) = (5, 3, 0.0);
    let out = root.join("explore");
    let e = run_explore(
        &explore_cfg,
        &ProposalSource::Flow {
            model: model_dir.clone(),
        },
        &ala2(),
        &out,
        &RunControl::default(),
    )
    .unwrap();
    assert!(e.biased);
    assert_eq!(e.n_proposals, 15);
    std::fs::remove_dir_all(&root).unwrap();
}
