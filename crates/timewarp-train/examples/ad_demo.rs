//! Alanine dipeptide end to end: MD data with timewarp-md (once), then the `demo` flow trained
//! on it and compared with the Gaussian displacement baseline.
//!
//! ```text
//! cargo run --release -p timewarp-train --example ad_demo -- \
//!     WORKDIR [TRAIN_STEPS] [MD_STEPS_PER_REPLICA] [ACCEPTANCE_STEPS]
//! ```
//! Writes `WORKDIR/md/replica-NNN/` (4 replicas, 310 K, 0.5 fs, a frame every 100 steps) and
//! the run folder `WORKDIR/run/`, and prints the training summary as JSON. With
//! ACCEPTANCE_STEPS > 0, the best NLL model is then fine-tuned with the acceptance loss into
//! `WORKDIR/run-acceptance/` (see its `metrics.csv`, column `acceptance`).

use std::path::{Path, PathBuf};
use std::time::Instant;
use timewarp_ff::{ForceField, SystemOptions};
use timewarp_md::{run_md, MdConfig, SpacingKind};
use timewarp_rundir::RunControl;
use timewarp_train::{train_on_device, LossKind, LrDecay, ModelDevice, TrainConfig};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let work = PathBuf::from(args.get(1).map(String::as_str).unwrap_or("ad-demo"));
    let train_steps: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3000);
    let md_steps: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(500_000);
    let acceptance_steps: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(0);
    let md_dir = work.join("md");
    if !md_dir.exists() {
        let pdb_path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata/ala2.pdb"
        ));
        let pdb = timewarp_mol::read_pdb(pdb_path).expect("read ala2.pdb");
        let system = ForceField::amber14()
            .create_system(&pdb.topology, &SystemOptions::default())
            .expect("amber14");
        let cfg = MdConfig {
            name: Some("ala2".into()),
            steps: md_steps,
            burn_in_steps: 20_000,
            save_every: 100,
            spacing: SpacingKind::Regular,
            replicas: 4,
            seed: 1,
            checkpoint_every: 0,
            ..MdConfig::default()
        };
        let t = Instant::now();
        let s = run_md(
            &cfg,
            &pdb,
            &system,
            &pdb.topology.masses(),
            &md_dir,
            false,
            &|_, _| {},
        )
        .expect("md");
        eprintln!(
            "MD: {} steps × 4 replicas in {:.1} s ({:.0} steps/s per replica)",
            md_steps,
            t.elapsed().as_secs_f64(),
            s.steps_per_second_per_replica
        );
    }
    let cfg = TrainConfig {
        preset: "demo".into(),
        lag_steps: 1000,
        steps: train_steps,
        batch: 32,
        lr: 1e-3,
        warmup_steps: 100,
        lr_decay: LrDecay::Cosine { min_factor: 0.05 },
        val_every: 250,
        checkpoint_every: 250,
        ..TrainConfig::default()
    };
    let out = work.join("run");
    let resume = out.join("last").exists();
    let t = Instant::now();
    let last = std::sync::Mutex::new(Instant::now());
    let progress = |done: u64, total: u64| {
        let mut l = last.lock().unwrap();
        if l.elapsed().as_secs_f64() > 30.0 || done == total {
            eprintln!("step {done}/{total} ({:.0} s)", t.elapsed().as_secs_f64());
            *l = Instant::now();
        }
    };
    let control = RunControl::new(resume, &progress);
    let s = train_on_device(
        &cfg,
        std::slice::from_ref(&md_dir),
        &out,
        &control,
        ModelDevice::Cpu,
    )
    .expect("training");
    println!("{}", serde_json::to_string_pretty(&s).unwrap());
    if acceptance_steps > 0 {
        let fine = TrainConfig {
            init_from: Some(out.join("best")),
            loss: LossKind::Acceptance,
            steps: acceptance_steps,
            lr: 1e-4,
            warmup_steps: 10,
            lr_decay: LrDecay::Constant,
            val_every: acceptance_steps.div_ceil(4),
            checkpoint_every: acceptance_steps.div_ceil(4),
            log_every: 10,
            ..cfg
        };
        let out = work.join("run-acceptance");
        let resume = out.join("last").exists();
        let control = RunControl::new(resume, &progress);
        let s = train_on_device(&fine, &[md_dir], &out, &control, ModelDevice::Cpu)
            .expect("acceptance fine-tuning");
        println!("{}", serde_json::to_string_pretty(&s).unwrap());
    }
}
