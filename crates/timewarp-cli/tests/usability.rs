//! Usability, tried as a new user would (issue 19): what the progress bars show, the defaults
//! that `md --help` states, negative numbers reaching the range checks, errors that name a
//! path once, a wrong model size or preset explained in a line, and no INFO lines unless asked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata");
const ALANINE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/alanine-dipeptide.pdb");

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "timewarp-cli-usability-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary with `args` as given (no `--quiet` added) and RUST_LOG unset.
fn timewarp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timewarp"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The command failed with an error (stderr) containing every one of `wanted`.
fn fails_naming(o: &Output, wanted: &[&str]) -> String {
    let e = stderr(o);
    assert!(!o.status.success(), "exit status 0; stderr: {e}");
    for w in wanted {
        assert!(e.contains(w), "{w:?} not in: {e}");
    }
    e
}

fn md_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--quiet", "md", "--pdb", ALANINE, "--out", out];
    args.extend_from_slice(extra);
    args
}

// 1. Progress bars: rates, loss, acceptance, the burn-in.

#[test]
fn rates_print_three_significant_digits() {
    use timewarp_cli::progress::format_rate;
    assert_eq!(format_rate(1234.5678, "steps"), "1.23k steps/s");
    assert_eq!(format_rate(12.345678, "steps"), "12.3 steps/s");
    assert_eq!(format_rate(987_654.3, "pairs"), "988k pairs/s");
    assert_eq!(format_rate(0.5, "steps"), "2.00 s/step");
}

#[test]
fn the_bar_shows_loss_and_acceptance_and_quiet_hides_it() {
    use timewarp_cli::progress::{format_status, Progress};
    assert_eq!(format_status("loss", 1.234_567), "loss 1.235");
    assert_eq!(format_status("loss", -0.012_345_6), "loss -0.01235");
    assert_eq!(format_status("acceptance", 0.0214), "acceptance 2.1%");
    let bar = Progress::new("sample", "steps", true);
    assert!(bar.is_hidden());
    (bar.status_callback())("acceptance", 0.5);
    bar.finish();
}

#[test]
fn md_progress_states_burn_in_and_production() {
    use timewarp_cli::commands::md::md_phase;
    let (label, message) = md_phase(2_000_000, 2000, 1, 0);
    assert_eq!(label, "burn-in");
    assert!(
        message.contains("burn-in: 2,000,000 steps, not saved")
            && message.contains("2,000 production"),
        "{message}"
    );
    let (label, message) = md_phase(2_000_000, 2000, 1, 2_000_000);
    assert_eq!(label, "md");
    assert!(message.contains("production"), "{message}");
    let (_, message) = md_phase(1000, 500, 3, 10);
    assert!(
        message.contains("3 replicas × (1,000 burn-in + 500 production steps)"),
        "{message}"
    );
}

#[test]
fn training_reports_its_loss_to_the_progress_display() {
    let dir = scratch("train-status");
    let seen: Mutex<Vec<(String, f64)>> = Mutex::new(Vec::new());
    let status = |name: &str, value: f64| seen.lock().unwrap().push((name.to_string(), value));
    let control = timewarp_rundir::RunControl::new(false, &|_, _| {}).with_status(&status);
    let cfg: timewarp_train::TrainConfig =
        toml::from_str("preset = \"tiny\"\nsteps = 3\nlog_every = 1\nval_every = 3\nbatch = 4")
            .unwrap();
    timewarp_train::train_on_device(
        &cfg,
        &[PathBuf::from(TESTDATA)],
        &dir.join("run"),
        &control,
        timewarp_sample::ModelDevice::Cpu,
    )
    .unwrap();
    let seen = seen.into_inner().unwrap();
    assert!(
        !seen.is_empty() && seen.iter().all(|(n, v)| n == "loss" && v.is_finite()),
        "{seen:?}"
    );
}

#[test]
fn chains_report_their_running_acceptance() {
    let dir = scratch("sample-status");
    let model = dir.join("model");
    let o = timewarp(&[
        "--quiet",
        "train",
        "--data",
        TESTDATA,
        "--out",
        model.to_str().unwrap(),
        "--preset",
        "tiny",
        "--steps",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let seen: Mutex<Vec<(String, f64)>> = Mutex::new(Vec::new());
    let status = |name: &str, value: f64| seen.lock().unwrap().push((name.to_string(), value));
    let control = timewarp_rundir::RunControl::new(false, &|_, _| {}).with_status(&status);
    let cfg: timewarp_sample::SampleConfig =
        toml::from_str("steps = 20\nequilibrate_ps = 0.0\nproposals = 10").unwrap();
    let pdb = PathBuf::from(format!("{TESTDATA}/implicit-2olx-traj-state0.pdb"));
    let source = timewarp_sample::ProposalSource::Flow { model };
    timewarp_sample::run_sample(&cfg, &source, &pdb, &dir.join("sample"), &control).unwrap();
    let seen = seen.into_inner().unwrap();
    assert!(!seen.is_empty(), "no status reported");
    assert!(
        seen.iter()
            .all(|(n, v)| n == "acceptance" && (0.0..=1.0).contains(v)),
        "{seen:?}"
    );
}

// 2. `md --help` states the defaults that surprise.

#[test]
fn md_help_states_burn_in_save_every_and_log_spacing() {
    let o = timewarp(&["md", "--help"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let help = stdout(&o);
    let d = timewarp_md::MdConfig::default();
    // burn-in 2,000,000 steps = 1 ns at 0.5 fs, on top of --steps
    assert_eq!(
        (d.burn_in_steps, d.dt_fs, d.save_every),
        (2_000_000, 0.5, 1_000_000)
    );
    for wanted in [
        "default 2000000 =",
        "1 ns",
        "`--steps 2000` runs 2,002,000 steps",
        "Frame interval in steps (default 1000000)",
        "Frame spacing (default log)",
        "k·save_every + {0, 1, 10, 100",
        "`--steps 2000 --save-every 100` writes",
        "61 frames",
    ] {
        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let wanted_flat = wanted.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&wanted_flat) || help.contains(wanted),
            "{wanted:?} not in md --help:\n{help}"
        );
    }
    // The numbers in the help are right: 2000 production steps at log spacing, 100-step blocks.
    assert_eq!(timewarp_md::Spacing::log(100).count_frames(2000), 61);
    assert_eq!(
        timewarp_md::Spacing::log(d.save_every).count_frames(2000),
        5
    );
    assert_eq!(timewarp_md::Spacing::regular(100).count_frames(2000), 21);
}

// 3. Negative numbers reach our range checks, which name the flag.

#[test]
fn negative_numbers_are_refused_naming_the_flag_not_as_unexpected_arguments() {
    let dir = scratch("negative");
    let out = dir.join("md");
    let out = out.to_str().unwrap();
    let short = ["--steps", "10", "--burn-in-steps", "0", "--no-minimize"];
    for (flag, key) in [
        ("--temperature", "temperature_k"),
        ("--friction", "friction_per_ps"),
        ("--dt-fs", "dt_fs"),
    ] {
        let args = md_args(out, &[&[flag, "-1"][..], &short].concat());
        let e = fails_naming(&timewarp(&args), &[flag, key]);
        assert!(!e.contains("unexpected argument"), "{e}");
    }
    // Counts cannot be negative: clap refuses the value, naming the flag.
    let e = fails_naming(
        &timewarp(&md_args(out, &["--steps", "-5"])),
        &["--steps", "-5"],
    );
    assert!(!e.contains("unexpected argument"), "{e}");
    assert!(!Path::new(out).join("config.toml").exists());
    let pdb = dir.join("ak.pdb");
    let o = timewarp(&[
        "--quiet",
        "build",
        "--sequence",
        "AK",
        "--out",
        pdb.to_str().unwrap(),
        "--tolerance",
        "-2",
    ]);
    let e = fails_naming(&o, &["--tolerance -2"]);
    assert!(!e.contains("unexpected argument"), "{e}");
    // A value that is not a number is still not taken for one.
    let o = timewarp(&["--quiet", "energy", "--pdb", "-x"]);
    assert!(!o.status.success());
}

// 4. Errors name a path once.

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn errors_about_bad_files_name_the_path_once() {
    let dir = scratch("bad-files");
    // A PDB with no atoms, to `energy` and `md`.
    let bad_pdb = dir.join("bad.pdb");
    std::fs::write(&bad_pdb, "REMARK nothing here\n").unwrap();
    let bad_pdb = bad_pdb.to_str().unwrap();
    let e = fails_naming(
        &timewarp(&["--quiet", "energy", "--pdb", bad_pdb]),
        &[bad_pdb],
    );
    assert_eq!(count(&e, bad_pdb), 1, "{e}");
    let out = dir.join("md");
    let e = fails_naming(
        &timewarp(&[
            "--quiet",
            "md",
            "--pdb",
            bad_pdb,
            "--out",
            out.to_str().unwrap(),
        ]),
        &[bad_pdb],
    );
    assert_eq!(count(&e, "bad.pdb: "), 1, "{e}");
    // A trajectory whose NPZ is not a zip archive, to `train` and `fit`.
    let traj = dir.join("traj");
    std::fs::create_dir_all(&traj).unwrap();
    std::fs::copy(
        format!("{TESTDATA}/implicit-2olx-traj-state0.pdb"),
        traj.join("x-traj-state0.pdb"),
    )
    .unwrap();
    std::fs::write(traj.join("x-traj-arrays.npz"), "not a zip archive").unwrap();
    let npz = traj.join("x-traj-arrays.npz");
    let npz = npz.to_str().unwrap();
    for (i, args) in [
        vec![
            "--quiet",
            "train",
            "--data",
            traj.to_str().unwrap(),
            "--out",
            "",
            "--steps",
            "1",
        ],
        vec![
            "--quiet", "train", "--data", npz, "--out", "", "--steps", "1",
        ],
        vec![
            "--quiet",
            "fit",
            "--md",
            traj.to_str().unwrap(),
            "--out",
            "",
        ],
    ]
    .into_iter()
    .enumerate()
    {
        let run = dir.join(format!("run-{i}"));
        let args: Vec<&str> = args
            .iter()
            .map(|a| {
                if a.is_empty() {
                    run.to_str().unwrap()
                } else {
                    a
                }
            })
            .collect();
        let e = fails_naming(&timewarp(&args), &["x-traj-arrays.npz"]);
        assert_eq!(count(&e, "x-traj-arrays.npz"), 1, "{args:?}: {e}");
    }
    // A missing sample folder: the OS message once, the folder once.
    let missing = dir.join("nowhere");
    let missing = missing.to_str().unwrap();
    let o = timewarp(&[
        "--quiet",
        "analyze",
        "--md",
        TESTDATA,
        "--samples",
        missing,
        "--out",
        dir.join("report").to_str().unwrap(),
    ]);
    let e = fails_naming(&o, &[missing, "no such folder"]);
    assert_eq!(
        (count(&e, missing), count(&e, "no such folder")),
        (1, 1),
        "{e}"
    );
}

// 5. A wrong preset, or weights of another preset, said in a line.

#[test]
fn an_unknown_preset_is_named_with_the_known_ones() {
    let dir = scratch("preset");
    let out = dir.join("run");
    let o = timewarp(&[
        "--quiet",
        "train",
        "--data",
        TESTDATA,
        "--out",
        out.to_str().unwrap(),
        "--preset",
        "tinyy",
    ]);
    let e = fails_naming(
        &o,
        &["unknown preset 'tinyy'", "tiny", "demo", "ad", "2aa", "ic"],
    );
    assert!(e.lines().count() <= 2 && e.len() < 300, "{e}");
}

#[test]
fn weights_of_another_preset_are_explained_not_listed() {
    let dir = scratch("weights");
    let (tiny, demo) = (dir.join("tiny"), dir.join("demo"));
    for (preset, out) in [("tiny", &tiny), ("demo", &demo)] {
        let o = timewarp(&[
            "--quiet",
            "train",
            "--data",
            TESTDATA,
            "--out",
            out.to_str().unwrap(),
            "--preset",
            preset,
            "--steps",
            "1",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // tiny's weights under demo's config
    let mixed = dir.join("mixed");
    std::fs::create_dir_all(&mixed).unwrap();
    for f in std::fs::read_dir(tiny.join("best")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, mixed.join(f.file_name().unwrap())).unwrap();
    }
    std::fs::copy(demo.join("best/config.json"), mixed.join("config.json")).unwrap();
    let pdb = format!("{TESTDATA}/implicit-2olx-traj-state0.pdb");
    let o = timewarp(&[
        "--quiet",
        "sample",
        "--model",
        mixed.to_str().unwrap(),
        "--pdb",
        &pdb,
        "--out",
        dir.join("sample").to_str().unwrap(),
        "--steps",
        "2",
    ]);
    let e = fails_naming(&o, &["missing keys", "another preset or model size"]);
    assert!(e.len() < 2000, "{} characters: {e}", e.len());
    assert!(count(&e, "flow.chain.") <= 9, "{e}");
    assert_eq!(count(&e, "model.safetensors"), 1, "{e}");
}

// 6. No INFO lines unless asked for.

#[test]
fn default_verbosity_prints_no_info_lines() {
    let o = timewarp(&["energy", "--pdb", ALANINE]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("INFO"), "{}", stderr(&o));
    // Training logs its baseline at INFO: shown with -v only.
    let dir = scratch("verbosity");
    let run = |verbose: bool, name: &str| {
        let out = dir.join(name);
        let mut args = vec![
            "--quiet",
            "train",
            "--data",
            TESTDATA,
            "--out",
            out.to_str().unwrap(),
            "--preset",
            "tiny",
            "--steps",
            "1",
        ];
        if verbose {
            args.insert(0, "-v");
        }
        let o = timewarp(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o)
    };
    let quiet = run(false, "default");
    assert!(!quiet.contains("INFO"), "{quiet}");
    let verbose = run(true, "verbose");
    assert!(verbose.contains("INFO"), "{verbose}");
}

// 7. `build` and `energy` read `[forcefield]` of a config file.

#[test]
fn energy_and_build_take_a_config_file() {
    let dir = scratch("config");
    let config = dir.join("ff.toml");
    std::fs::write(
        &config,
        "[forcefield]\nforcefield = \"amber14-obc2\"\ncutoff = \"none\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let o = timewarp(&["energy", "--pdb", ALANINE, "--config", config]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("amber14-obc2 / cutoff none"),
        "{}",
        stdout(&o)
    );
    // flags override it
    let o = timewarp(&[
        "energy", "--pdb", ALANINE, "--config", config, "--cutoff", "1.5",
    ]);
    assert!(
        stdout(&o).contains("amber14-obc2 / cutoff 1.5"),
        "{}",
        stdout(&o)
    );
    let pdb = dir.join("ak.pdb");
    let o = timewarp(&[
        "--quiet",
        "build",
        "--sequence",
        "AK",
        "--out",
        pdb.to_str().unwrap(),
        "--config",
        config,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // a misspelt section is refused as by every other command
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[forcefeld]\n").unwrap();
    let o = timewarp(&[
        "energy",
        "--pdb",
        ALANINE,
        "--config",
        bad.to_str().unwrap(),
    ]);
    fails_naming(&o, &["[forcefeld]"]);
}

// 8. Force field, device and spacing are parsed by the crates that own them.

#[test]
fn forcefield_device_and_spacing_parse_in_their_crates() {
    use timewarp_ff::{GbModel, NonbondedMethod, SystemOptions};
    let o = SystemOptions::default()
        .with_forcefield("amber14-obc2")
        .unwrap();
    assert_eq!(
        (o.gb, o.forcefield_name()),
        (Some(GbModel::Obc2), "amber14-obc2")
    );
    for name in SystemOptions::FORCEFIELD_NAMES {
        assert_eq!(
            SystemOptions::default()
                .with_forcefield(name)
                .unwrap()
                .forcefield_name(),
            name
        );
    }
    assert!(SystemOptions::default()
        .with_forcefield("amber99")
        .unwrap_err()
        .contains("amber14-obc1"));
    assert_eq!(
        "none".parse::<NonbondedMethod>().unwrap(),
        NonbondedMethod::NoCutoff
    );
    assert_eq!(
        "1.5".parse::<NonbondedMethod>().unwrap(),
        NonbondedMethod::CutoffNonPeriodic { cutoff_nm: 1.5 }
    );
    assert!("-1".parse::<NonbondedMethod>().is_err());
    assert_eq!(
        "cuda".parse::<timewarp_sample::ModelDevice>().unwrap(),
        timewarp_sample::ModelDevice::Cuda
    );
    assert!("gpu".parse::<timewarp_sample::ModelDevice>().is_err());
    assert_eq!(
        "log".parse::<timewarp_md::SpacingKind>().unwrap(),
        timewarp_md::SpacingKind::Log
    );
    // and the command line refuses bad values naming the flag
    fails_naming(
        &timewarp(&["energy", "--pdb", ALANINE, "--cutoff", "-1"]),
        &["--cutoff -1"],
    );
    fails_naming(
        &timewarp(&["energy", "--pdb", ALANINE, "--forcefield", "amber99"]),
        &["unknown force field 'amber99'"],
    );
    let dir = scratch("spacing");
    let out = dir.join("md");
    fails_naming(
        &timewarp(&md_args(
            out.to_str().unwrap(),
            &["--spacing", "logarithmic"],
        )),
        &["--spacing", "'regular' or 'log'"],
    );
    let o = timewarp(&[
        "--quiet",
        "train",
        "--data",
        TESTDATA,
        "--out",
        dir.join("t").to_str().unwrap(),
        "--device",
        "gpu",
    ]);
    fails_naming(&o, &["--device", "device must be cpu or cuda, got 'gpu'"]);
}
