//! Official PyTorch weights (the parity fixtures' state dicts under their original names) load
//! through `resolve_model` / `load_flow` and drive the sampler on alanine dipeptide.

use std::path::{Path, PathBuf};

use burn::backend::NdArray;
use timewarp_sample::{
    load_flow, resolve_model, run_sample, FlowProposal, ModelSource, ProposalKernel,
    ProposalRequest, ProposalSource, Proposals, RunControl, SampleConfig,
};

fn shared(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).join(rel)
}

/// Copies each `weights_*.safetensors` of the parity folder with its model config (the
/// fixture's `custom_transformer_nvp_config`) as `config.json` beside it.
fn official_models(root: &Path) -> Vec<PathBuf> {
    let pattern = shared("parity/fixture_*.json");
    let mut out = Vec::new();
    for fixture in glob::glob(pattern.to_str().unwrap()).unwrap().flatten() {
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&fixture).unwrap()).unwrap();
        let weights = shared("parity").join(json["meta"]["weights_file"].as_str().unwrap());
        let dir = root.join(fixture.file_stem().unwrap());
        std::fs::create_dir_all(&dir).unwrap();
        let config = &json["model_config"]["custom_transformer_nvp_config"];
        std::fs::write(
            dir.join("config.json"),
            serde_json::to_string_pretty(config).unwrap(),
        )
        .unwrap();
        let copy = dir.join(weights.file_name().unwrap());
        std::fs::copy(&weights, &copy).unwrap();
        out.push(copy);
    }
    out
}

#[test]
fn official_weights_drive_the_sampler() {
    let root =
        std::env::temp_dir().join(format!("timewarp-sample-official-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let models = official_models(&root);
    assert!(!models.is_empty(), "no parity fixtures found");
    let pdb_path = shared("testdata/ala2.pdb");
    let pdb = timewarp_mol::read_pdb(&pdb_path).unwrap();
    let n = pdb.topology.n_atoms();
    for weights in &models {
        assert!(matches!(
            resolve_model(weights).unwrap(),
            ModelSource::Official { .. }
        ));
        let flow = load_flow::<NdArray<f32>>(weights, &Default::default()).unwrap();
        let mut kernel = FlowProposal::new(flow, &pdb.topology, Default::default()).unwrap();
        let b = 2;
        let x: Vec<[f64; 3]> = (0..b)
            .flat_map(|_| pdb.positions().iter().copied())
            .collect();
        let noise: Vec<f64> = (0..b * 6 * n)
            .map(|i| [0.1 * (i % 7) as f64 - 0.3, 0.05, -0.2][i % 3])
            .collect();
        let mut out = Proposals::default();
        let shape = kernel.shape();
        out.resize(n, shape.aux, b);
        let req = ProposalRequest {
            shape,
            x: &x,
            v: &noise[..b * shape.aux],
            z: &noise,
            u: &[],
            reverse_density: true,
        };
        kernel.propose(&req, &mut out).unwrap();
        assert!(
            out.log_q_forward
                .iter()
                .chain(&out.log_q_reverse)
                .all(|l| l.is_finite()),
            "{}",
            weights.display()
        );

        let mut cfg = SampleConfig::default();
        (
            cfg.chain.steps,
            cfg.chain.checkpoint_seconds,
            cfg.mh.proposals,
        ) = (6, 0.0, Some(3));
        let out_dir = weights.with_extension("run");
        let s = run_sample(
            &cfg,
            &ProposalSource::Flow {
                model: weights.clone(),
            },
            &pdb_path,
            &out_dir,
            &RunControl::default(),
        )
        .unwrap();
        assert_eq!(s.per_chain[0].stats.steps, 6);
    }
    std::fs::remove_dir_all(&root).unwrap();
}
