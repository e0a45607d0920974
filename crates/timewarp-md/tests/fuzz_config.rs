//! Fuzzing of the `[md]` TOML settings with seeded random mutations (see
//! `timewarp-mol/tests/mutate`): `toml::from_str::<MdConfig>` on mutated text, then
//! `MdConfig::validate` and, for settings it accepts, the step arithmetic a run does first.
//! Every input must give a value or an error, never a panic.

#[path = "../../timewarp-mol/tests/mutate/mod.rs"]
mod mutate;

use mutate::{mutate, mutate_lines, mutations, seed, Campaign, Rng, TEXT_TOKENS};
use std::time::Duration;
use timewarp_md::MdConfig;

const MUTATIONS: usize = 1000;
const SEED: u64 = 0x6d64_5f74_6f6d_6c00;

/// The `[md]` section of the bundled pipeline configuration, without its header.
fn bundled_md_section() -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../configs/alanine-dipeptide.toml"
    ))
    .unwrap();
    let start = text.find("[md]\n").unwrap() + "[md]\n".len();
    let end = start + text[start..].find("\n[").unwrap();
    text[start..end].to_string()
}

#[test]
fn md_settings_parser_and_validation_survive_mutated_toml() {
    let inputs = [
        bundled_md_section(),
        toml::to_string(&MdConfig::default()).unwrap(),
    ];
    for text in &inputs {
        toml::from_str::<MdConfig>(text)
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
        campaign.run(format!("md toml seed {seed:#x} mutation {i}"), || {
            let Ok(cfg) = toml::from_str::<MdConfig>(&text) else {
                return false;
            };
            if cfg.validate().is_err() {
                return false;
            }
            let _ = cfg.steps_for_ns(1.0);
            let _ = cfg.frame_spacing().count_frames(cfg.steps);
            let _ = cfg
                .total_steps()
                .checked_mul(cfg.replicas as u64)
                .expect("validated settings fit the step counter");
            true
        });
    }
    campaign.check("MdConfig (TOML)", Duration::from_secs(2));
}
