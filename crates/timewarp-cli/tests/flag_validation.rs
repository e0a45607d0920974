//! Flags and config files that used to run with exit status 0 and wrong or damaged output:
//! each is now refused up front, with an error naming the flag, section or position at fault,
//! before the output is touched.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata");

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("timewarp-cli-flags-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn timewarp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timewarp"))
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap()
}

/// The command failed, and its error (stderr) contains every one of `wanted`.
fn fails_naming(out: &Output, wanted: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "exit status 0; stderr: {stderr}");
    for w in wanted {
        assert!(stderr.contains(w), "{w:?} not in: {stderr}");
    }
    stderr
}

fn md(out: &Path, extra: &[&str]) -> Output {
    let pdb = format!("{TESTDATA}/ala2.pdb");
    let mut args = vec!["md", "--pdb", &pdb, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    timewarp(&args)
}

#[test]
fn md_refuses_negative_or_nan_ns_naming_the_flag() {
    let dir = scratch("ns");
    for ns in ["--ns=-1", "--ns=NaN", "--ns=inf", "--ns=1e300"] {
        let out = dir.join("md");
        // A short run if it were not refused.
        fails_naming(
            &md(&out, &[ns, "--burn-in-steps", "0", "--no-minimize"]),
            &["--ns"],
        );
        assert!(!out.join("config.toml").exists(), "{ns}");
    }
}

#[test]
fn md_refuses_huge_step_counts_naming_the_flag() {
    let dir = scratch("steps");
    let out = dir.join("md");
    for (flag, value) in [
        ("--steps", "18446744073709551615"),
        ("--burn-in-steps", "18446744073709551615"),
        ("--save-every", "18446744073709551615"),
    ] {
        let e = fails_naming(&md(&out, &[flag, value]), &[flag]);
        assert!(!e.contains("serialise"), "{e}");
    }
    fails_naming(&md(&out, &["--seed", "18446744073709551615"]), &["--seed"]);
    assert!(!out.join("config.toml").exists());
}

#[test]
fn md_refuses_out_of_range_physics_naming_the_setting() {
    let dir = scratch("physics");
    let out = dir.join("md");
    for (flag, value, key) in [
        ("--temperature", "0", "temperature_k"),
        ("--temperature", "NaN", "temperature_k"),
        ("--friction", "-1", "friction_per_ps"),
        ("--dt-fs", "0", "dt_fs"),
        ("--dt-fs", "1000", "dt_fs"),
        ("--save-every", "0", "save_every"),
        ("--replicas", "0", "replicas"),
    ] {
        let arg = format!("{flag}={value}");
        // A short run if it were not refused.
        let short = ["--steps", "10", "--burn-in-steps", "0", "--no-minimize"];
        fails_naming(&md(&out, &[&[arg.as_str()][..], &short].concat()), &[key]);
    }
    assert!(!out.join("config.toml").exists());
}

#[test]
fn build_refuses_non_positive_or_non_finite_tolerance() {
    let dir = scratch("tolerance");
    for tolerance in ["0", "-2", "NaN", "inf"] {
        let pdb = dir.join("ak.pdb");
        let arg = format!("--tolerance={tolerance}");
        let out = timewarp(&[
            "build",
            "--sequence",
            "AK",
            "--out",
            pdb.to_str().unwrap(),
            &arg,
        ]);
        fails_naming(&out, &["--tolerance"]);
        assert!(!pdb.exists(), "{tolerance}");
    }
}

#[test]
fn build_refuses_whitespace_inside_the_sequence() {
    let dir = scratch("sequence");
    let pdb = dir.join("akw.pdb");
    let out = timewarp(&[
        "build",
        "--sequence",
        "AK W",
        "--out",
        pdb.to_str().unwrap(),
        "--no-minimize",
    ]);
    fails_naming(&out, &["whitespace", "position 3"]);
    assert!(!pdb.exists());
    // Blanks around the sequence are trimmed.
    let out = timewarp(&[
        "build",
        "--sequence",
        " AKW ",
        "--out",
        pdb.to_str().unwrap(),
        "--no-minimize",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&pdb).unwrap();
    assert!(text.contains("TRP"));
}

#[test]
fn misspelt_config_section_is_refused_by_every_command() {
    let dir = scratch("section");
    let config = dir.join("my.toml");
    std::fs::write(&config, "[mdd]\nsteps = 100\n").unwrap();
    let config = config.to_str().unwrap();
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let pdb = format!("{TESTDATA}/ala2.pdb");
    let commands: Vec<Vec<&str>> = vec![
        // (short runs if the file were accepted)
        vec![
            "md",
            "--pdb",
            &pdb,
            "--out",
            out,
            "--steps",
            "1",
            "--burn-in-steps",
            "0",
            "--no-minimize",
        ],
        vec!["train", "--data", TESTDATA, "--out", out, "--steps", "1"],
        vec!["fit", "--md", TESTDATA, "--out", out],
        vec!["sample", "--model", TESTDATA, "--pdb", &pdb, "--out", out],
        vec!["explore", "--model", TESTDATA, "--pdb", &pdb, "--out", out],
        vec![
            "analyze",
            "--md",
            TESTDATA,
            "--samples",
            TESTDATA,
            "--out",
            out,
        ],
    ];
    for mut args in commands {
        let name = args[0];
        args.extend(["--config", config]);
        let e = fails_naming(&timewarp(&args), &["[mdd]", config]);
        assert!(!Path::new(out).exists(), "{name}: {e}");
    }
}

#[test]
fn analyze_refuses_out_of_range_settings_naming_the_key_before_writing() {
    let dir = scratch("analyze-range");
    let out = dir.join("out");
    for (key, value) in [
        ("min_ess", "-1.0"),
        ("min_state_population", "1.5"),
        ("tica_lag", "0"),
    ] {
        let config = dir.join(format!("{key}.toml"));
        std::fs::write(&config, format!("[analyze]\n{key} = {value}\n")).unwrap();
        let args = [
            "analyze",
            "--md",
            TESTDATA,
            "--samples",
            TESTDATA,
            "--out",
            out.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ];
        fails_naming(&timewarp(&args), &["[analyze]", key]);
        assert!(
            !out.exists(),
            "{key}: the refused analysis wrote its folder"
        );
    }
}
