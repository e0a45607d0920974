//! Kill-and-resume: a run interrupted after k steps and resumed gives the same weights and
//! losses as an uninterrupted run of 2k steps.

mod common;

use common::{temp_dir, tiny_config};
use std::path::Path;
use timewarp_train::synthetic::{ou_trajectory, ALANINE_DIPEPTIDE};
use timewarp_train::{CpuBackend, LrDecay, PreparedData, TrainConfig, Trainer};

fn data(cfg: &TrainConfig) -> PreparedData {
    // Two peptide sizes so that padding and size-sorted batches are exercised too.
    let a = ou_trajectory("a", &ALANINE_DIPEPTIDE, 120, 5, 0.05, 0.9, 1);
    let b = ou_trajectory("b", &ALANINE_DIPEPTIDE[..15], 120, 5, 0.05, 0.9, 2);
    PreparedData::from_memory(cfg, vec![a, b]).unwrap()
}

fn csv_without_timing(run: &Path) -> Vec<String> {
    // step, epoch, train_loss, train_nll, val_nll, lr, grad_norm (throughput and wall time differ).
    std::fs::read_to_string(run.join("metrics.csv"))
        .unwrap()
        .lines()
        .map(|l| l.split(',').take(7).collect::<Vec<_>>().join(","))
        .collect()
}

#[test]
fn kill_and_resume_gives_the_same_weights() {
    let k = 12;
    // Cosine decay over 2k steps: the resumed run must use the same schedule position.
    let cfg = TrainConfig {
        steps: 2 * k,
        lag_steps: 10,
        checkpoint_every: 6,
        val_every: 6,
        log_every: 3,
        lr_decay: LrDecay::Cosine { min_factor: 0.1 },
        ..tiny_config()
    };
    let device = Default::default();

    let full = temp_dir("resume-full");
    let s_full = Trainer::<CpuBackend>::open(&cfg, data(&cfg), &full, false, &device)
        .and_then(|t| t.run(&|_, _| {}, &|_, _| {}))
        .unwrap();
    assert_eq!(s_full.steps, 2 * k);

    // The same run, killed (a panic inside the progress callback) right after step k, whose
    // checkpoint has been written, and also after a few more steps that are lost.
    let cut = temp_dir("resume-cut");
    for kill_at in [k, k + 2] {
        let _ = std::fs::remove_dir_all(&cut);
        let killed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let kill = |done: u64, _| {
                if done == kill_at {
                    panic!("simulated kill");
                }
            };
            Trainer::<CpuBackend>::open(&cfg, data(&cfg), &cut, false, &device)
                .and_then(|t| t.run(&kill, &|_, _| {}))
        }));
        assert!(killed.is_err());
        let s = Trainer::<CpuBackend>::open(&cfg, data(&cfg), &cut, true, &device)
            .and_then(|t| t.run(&|_, _| {}, &|_, _| {}))
            .unwrap();
        assert_eq!(s.resumed_from, Some(k), "killed at {kill_at}");
        assert_eq!(s.steps, 2 * k);
        let w_full = std::fs::read(full.join("last/model.safetensors")).unwrap();
        let w_cut = std::fs::read(cut.join("last/model.safetensors")).unwrap();
        assert!(
            w_full == w_cut,
            "weights differ after resume (killed at {kill_at})"
        );
        let o_full = std::fs::read(full.join("last/optimiser.bin")).unwrap();
        let o_cut = std::fs::read(cut.join("last/optimiser.bin")).unwrap();
        assert_eq!(o_full.len(), o_cut.len());
        assert_eq!(csv_without_timing(&full), csv_without_timing(&cut));
        assert_eq!(s.best_val_nll, s_full.best_val_nll);
        assert_eq!(s.final_val_nll, s_full.final_val_nll);
    }

    std::fs::remove_dir_all(&full).unwrap();
    std::fs::remove_dir_all(&cut).unwrap();
}
