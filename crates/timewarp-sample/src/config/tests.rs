//! The flat `[sample]` / `[explore]` sections: defaults, unknown keys, wrong types, ranges.

use super::*;

#[test]
fn defaults_round_trip_and_validate() {
    let s = SampleConfig::default();
    s.validate().unwrap();
    assert_eq!(
        (s.chain.temperature_k, s.mh.proposals, s.mh.velocity_refresh),
        (310.0, None, VelocityRefresh::PerProposal)
    );
    let back: SampleConfig = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(back, s);
    let e = ExploreConfig::default();
    e.validate().unwrap();
    assert_eq!((e.threshold.threshold_kj, e.chain.chains), (300.0, 10));
    let back: ExploreConfig = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
    assert_eq!(back, e);
    // The TOML form is flat.
    let text = toml::to_string(&s).unwrap();
    assert!(
        text.contains("steps = 10000") && !text.contains("[chain]"),
        "{text}"
    );
}

#[test]
fn partial_configs_take_defaults_and_typos_are_refused() {
    let s: SampleConfig = serde_json::from_str(
        r#"{"steps": 5, "velocity_refresh": "per-iteration", "proposals": 7}"#,
    )
    .unwrap();
    assert_eq!(
        (s.chain.steps, s.mh.proposals, s.mh.velocity_refresh),
        (5, Some(7), VelocityRefresh::PerIteration)
    );
    let err = serde_json::from_str::<SampleConfig>(r#"{"stepz": 5}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("stepz") && err.contains("steps"), "{err}");
    assert!(serde_json::from_str::<ExploreConfig>(r#"{"proposals": 5}"#).is_err());
    let e: ExploreConfig = serde_json::from_str(r#"{"threshold_kj": 100, "seed": 3}"#).unwrap();
    assert_eq!(
        (e.threshold.threshold_kj, e.chain.seed, e.chain.chains),
        (100.0, 3, 10)
    );
    let t: SampleConfig = toml::from_str("steps = 3\ntemperature_k = 300\n").unwrap();
    assert_eq!((t.chain.steps, t.chain.temperature_k), (3, 300.0));
}

#[test]
fn bad_values_name_the_setting() {
    let bad = |c: SampleConfig, what: &str| {
        assert!(
            c.validate().unwrap_err().to_string().contains(what),
            "{what}"
        )
    };
    let with = |f: fn(&mut SampleConfig)| {
        let mut c = SampleConfig::default();
        f(&mut c);
        c
    };
    bad(with(|c| c.mh.proposals = Some(0)), "proposals");
    bad(with(|c| c.chain.chains = 0), "chains");
    bad(with(|c| c.chain.save_every = 0), "save_every");
    bad(with(|c| c.chain.temperature_k = -1.0), "temperature_k");
    bad(with(|c| c.chain.tau_ps = Some(0.0)), "tau_ps");
    let mut e = ExploreConfig::default();
    e.threshold.threshold_kj = f64::NAN;
    assert!(e.validate().is_err());
}

/// Every key a `[sample]` section can hold, flat, as users write it.
const FLAT_SAMPLE: &str = r#"
name = "ala2"
steps = 5000
chains = 8
seed = 7
temperature_k = 300.0
start_model = 1
equilibrate_ps = 2.5
save_every = 10
tau_ps = 0.5
chirality_guard = false
checkpoint_every = 100
checkpoint_seconds = 60
device = "cpu"
record_proposals = false
proposals = 4
adaptive = true
target_at_least_one = 0.8
smoothing = 0.05
velocity_refresh = "per-iteration"
"#;

#[test]
fn flat_sections_give_the_settings_they_name() {
    let chain = ChainSettings {
        name: Some("ala2".into()),
        steps: 5000,
        chains: 8,
        seed: 7,
        temperature_k: 300.0,
        forcefield: SystemOptions::default(),
        start_model: 1,
        equilibrate_ps: 2.5,
        save_every: 10,
        tau_ps: Some(0.5),
        chirality_guard: false,
        checkpoint_every: 100,
        checkpoint_seconds: 60.0,
        device: ModelDevice::Cpu,
        record_proposals: false,
    };
    let mh = MhSettings {
        proposals: Some(4),
        adaptive: true,
        target_at_least_one: 0.8,
        smoothing: 0.05,
        velocity_refresh: VelocityRefresh::PerIteration,
    };
    let s: SampleConfig = toml::from_str(FLAT_SAMPLE).unwrap();
    assert_eq!(
        s,
        SampleConfig {
            chain: chain.clone(),
            mh
        }
    );
    s.validate().unwrap();
    // The same chain keys under [explore], with its own threshold instead of the MH keys.
    let chain_keys: String = FLAT_SAMPLE
        .lines()
        .take_while(|l| !l.starts_with("proposals"))
        .map(|l| format!("{l}\n"))
        .collect();
    let e: ExploreConfig = toml::from_str(&format!("{chain_keys}threshold_kj = 150.0\n")).unwrap();
    assert_eq!(
        e,
        ExploreConfig {
            chain,
            threshold: ThresholdSettings {
                threshold_kj: 150.0
            }
        }
    );
    // Keys left out keep their defaults: 30 s checkpoints; 10 chains for exploration.
    let e: ExploreConfig = toml::from_str("seed = 2").unwrap();
    assert_eq!(
        (e.chain.checkpoint_seconds, e.chain.chains, e.chain.seed),
        (30.0, 10, 2)
    );
    assert_eq!(
        toml::from_str::<SampleConfig>("").unwrap(),
        SampleConfig::default()
    );
}

/// A section of a configuration file, read as the commands read it (the table under the
/// section's name).
fn section<T: serde::de::DeserializeOwned>(text: &str, name: &str) -> Result<T, String> {
    let table: toml::Table = toml::from_str(text).unwrap();
    table[name]
        .clone()
        .try_into::<T>()
        .map_err(|e| e.to_string())
}

#[test]
fn unknown_keys_in_sample_and_explore_are_refused_by_name() {
    let e =
        section::<SampleConfig>("[sample]\nsteps = 5\nequilibrate_fs = 3\n", "sample").unwrap_err();
    assert!(
        e.contains("unknown field `equilibrate_fs`") && e.contains("equilibrate_ps"),
        "{e}"
    );
    let e = section::<ExploreConfig>("[explore]\nthreshold = 10\n", "explore").unwrap_err();
    assert!(
        e.contains("unknown field `threshold`") && e.contains("threshold_kj"),
        "{e}"
    );
    // The other command's own keys are unknown too.
    let e = section::<ExploreConfig>("[explore]\nadaptive = true\n", "explore").unwrap_err();
    assert!(e.contains("`adaptive`"), "{e}");
    let e = section::<SampleConfig>("[sample]\nthreshold_kj = 10\n", "sample").unwrap_err();
    assert!(e.contains("`threshold_kj`"), "{e}");
}

#[test]
fn values_of_the_wrong_type_name_the_key() {
    for (text, key) in [
        ("steps = \"many\"", "steps"),
        ("chains = -1", "chains"),
        ("device = \"gpu\"", "device"),
        ("proposals = 2.5", "proposals"),
        ("velocity_refresh = 1", "velocity_refresh"),
    ] {
        let e = toml::from_str::<SampleConfig>(&format!("seed = 1\n{text}\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!("`{key}`")), "{text}: {e}");
    }
    let e = toml::from_str::<ExploreConfig>("threshold_kj = \"high\"")
        .unwrap_err()
        .to_string();
    assert!(e.contains("`threshold_kj`"), "{e}");
}

#[test]
fn the_rule_is_checked_with_the_config() {
    let bad = |c: SampleConfig, what: &str| {
        assert!(
            c.validate().unwrap_err().to_string().contains(what),
            "{what}"
        )
    };
    bad(
        SampleConfig {
            mh: MhSettings {
                smoothing: 0.0,
                ..MhSettings::default()
            },
            ..SampleConfig::default()
        },
        "smoothing",
    );
    bad(
        SampleConfig {
            mh: MhSettings {
                target_at_least_one: 1.0,
                ..MhSettings::default()
            },
            ..SampleConfig::default()
        },
        "target_at_least_one",
    );
    let e = ExploreConfig {
        threshold: ThresholdSettings {
            threshold_kj: f64::NAN,
        },
        ..ExploreConfig::default()
    };
    assert!(e
        .validate()
        .unwrap_err()
        .to_string()
        .contains("threshold_kj"));
}
