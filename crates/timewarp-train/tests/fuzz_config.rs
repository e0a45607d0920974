//! Fuzzing of the `[train]` TOML settings with seeded random mutations (see
//! `timewarp-mol/tests/mutate`): `toml::from_str::<TrainConfig>` on mutated text, then
//! `TrainConfig::validate` and, for settings it accepts, the learning-rate schedule. Every input
//! must give a value or an error, never a panic.

#[path = "../../timewarp-mol/tests/mutate/mod.rs"]
mod mutate;

use mutate::{mutate, mutate_lines, mutations, seed, Campaign, Rng, TEXT_TOKENS};
use std::time::Duration;
use timewarp_train::TrainConfig;

const MUTATIONS: usize = 1000;
const SEED: u64 = 0x7472_6169_6e5f_746f;

/// A section of the bundled pipeline configuration, without its header.
fn bundled_section(name: &str) -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../configs/alanine-dipeptide.toml"
    ))
    .unwrap();
    let header = format!("[{name}]\n");
    let start = text.find(&header).unwrap() + header.len();
    let end = start + text[start..].find("\n[").unwrap_or(text.len() - start);
    text[start..end].to_string()
}

#[test]
fn train_settings_parser_and_validation_survive_mutated_toml() {
    let inputs = [
        bundled_section("train"),
        toml::to_string(&TrainConfig::default()).unwrap(),
    ];
    for text in &inputs {
        toml::from_str::<TrainConfig>(text)
            .unwrap()
            .validate()
            .unwrap();
    }
    let seed = seed(SEED);
    let mut rng = Rng::new(seed);
    let mut campaign = Campaign::default();
    for i in 0..mutations(MUTATIONS) {
        let base = &inputs[i % inputs.len()];
        let mut bytes = if rng.chance(0.2) {
            mutate_lines(&mut rng, base).into_bytes()
        } else {
            base.clone().into_bytes()
        };
        mutate(&mut rng, &mut bytes, None, &TEXT_TOKENS);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        campaign.run(format!("train toml seed {seed:#x} mutation {i}"), || {
            let Ok(cfg) = toml::from_str::<TrainConfig>(&text) else {
                return false;
            };
            if cfg.validate().is_err() {
                return false;
            }
            let schedule = cfg.schedule();
            for step in [0, 1, cfg.warmup_steps, cfg.steps / 2, cfg.steps] {
                assert!(
                    schedule.lr(step).is_finite(),
                    "lr at step {step} of {cfg:?}"
                );
            }
            true
        });
    }
    campaign.check("TrainConfig (TOML)", Duration::from_secs(2));
}
