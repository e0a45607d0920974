//! Fuzzing of the TOML configuration with seeded random mutations (see
//! `timewarp-mol/tests/mutate`): the whole pipeline file (`PipelineConfig::parse`, then the
//! validation of every section) and the `[sample]` / `[explore]` sections on their own
//! (`toml::from_str::<SampleConfig>` / `<ExploreConfig>`, then `validate`). Every input must
//! give a value or an error, never a panic.

#[path = "../../timewarp-mol/tests/mutate/mod.rs"]
mod mutate;

use mutate::{mutate, mutate_lines, mutations, seed, Campaign, Rng, TEXT_TOKENS};
use std::time::Duration;
use timewarp_cli::pipeline::{PipelineConfig, DEFAULT_CONFIG};
use timewarp_sample::{ExploreConfig, SampleConfig};

const PIPELINE_MUTATIONS: usize = 500;
const SECTION_MUTATIONS: usize = 500;
const SEED: u64 = 0x636c_695f_746f_6d6c;

fn mutated(rng: &mut Rng, base: &str) -> String {
    let mut bytes = if rng.chance(0.2) {
        mutate_lines(rng, base).into_bytes()
    } else {
        base.as_bytes().to_vec()
    };
    mutate(rng, &mut bytes, None, &TEXT_TOKENS);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Every section's own checks, as the pipeline runs them before its stages.
fn validate(cfg: &PipelineConfig) -> bool {
    cfg.md.validate().is_ok()
        && cfg.fit.validate().is_ok()
        && cfg.train.validate().is_ok()
        && cfg.finetune.as_ref().is_none_or(|f| f.validate().is_ok())
        && cfg.sample.validate().is_ok()
        && cfg.explore.validate().is_ok()
        && cfg.chart().is_ok()
}

#[test]
fn pipeline_configuration_survives_mutated_toml() {
    assert!(validate(
        &PipelineConfig::parse(DEFAULT_CONFIG, "bundled").unwrap()
    ));
    let seed = seed(SEED);
    let mut rng = Rng::new(seed);
    let mut campaign = Campaign::default();
    for i in 0..mutations(PIPELINE_MUTATIONS) {
        let text = mutated(&mut rng, DEFAULT_CONFIG);
        campaign.run(format!("pipeline toml seed {seed:#x} mutation {i}"), || {
            PipelineConfig::parse(&text, "mutated.toml").is_ok_and(|cfg| validate(&cfg))
        });
    }
    campaign.check("PipelineConfig (TOML)", Duration::from_secs(2));
}

/// A section of the bundled configuration, without its header.
fn section(name: &str) -> String {
    let header = format!("[{name}]\n");
    let start = DEFAULT_CONFIG.find(&header).unwrap() + header.len();
    let end = start
        + DEFAULT_CONFIG[start..]
            .find("\n[")
            .unwrap_or(DEFAULT_CONFIG.len() - start);
    DEFAULT_CONFIG[start..end].to_string()
}

#[test]
fn sample_and_explore_settings_survive_mutated_toml() {
    let (sample, explore) = (section("sample"), section("explore"));
    toml::from_str::<SampleConfig>(&sample)
        .unwrap()
        .validate()
        .unwrap();
    toml::from_str::<ExploreConfig>(&explore)
        .unwrap()
        .validate()
        .unwrap();
    let seed = seed(SEED ^ 1);
    let mut rng = Rng::new(seed);
    let mut campaign = Campaign::default();
    for i in 0..mutations(SECTION_MUTATIONS) {
        let label = format!("sample/explore toml seed {seed:#x} mutation {i}");
        if i % 2 == 0 {
            let text = mutated(&mut rng, &sample);
            campaign.run(label, || {
                toml::from_str::<SampleConfig>(&text).is_ok_and(|c| c.validate().is_ok())
            });
        } else {
            let text = mutated(&mut rng, &explore);
            campaign.run(label, || {
                toml::from_str::<ExploreConfig>(&text).is_ok_and(|c| c.validate().is_ok())
            });
        }
    }
    campaign.check(
        "SampleConfig / ExploreConfig (TOML)",
        Duration::from_secs(2),
    );
}
