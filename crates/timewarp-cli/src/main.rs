//! `timewarp`: Timewarp-style accelerated sampling of molecular conformations in one binary.
//!
//! Each sub-command parses its flags (and an optional TOML config), calls the library crate that
//! owns the logic, and reports progress. See DESIGN.md for the command contract.

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use timewarp_cli::commands;

#[derive(Parser)]
#[command(name = "timewarp", version, about = "Timewarp: flow-accelerated, exact Boltzmann sampling of peptides", long_about = None)]
struct Cli {
    /// No progress bars.
    #[arg(long, global = true)]
    quiet: bool,
    /// More log output: -v shows INFO lines, -vv DEBUG (default: warnings and errors only;
    /// RUST_LOG overrides).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole pipeline (MD → training → MCMC + exploration → report); no argument: alanine
    /// dipeptide.
    Run(commands::run::Args),
    /// Build an ACE/NME-capped peptide from a sequence, with all hydrogens, minimised.
    Build(commands::build::Args),
    /// Per-term potential energy and forces of a structure.
    Energy(commands::energy::Args),
    /// Langevin molecular dynamics in the official Timewarp trajectory layout.
    Md(commands::md::Args),
    /// Fit the internal-coordinate proposal (φ/ψ transition histograms + conditional Gaussian) to
    /// MD.
    Fit(commands::fit::Args),
    /// Train the Timewarp flow on MD pairs (x(t), x(t+τ)).
    Train(commands::train::Args),
    /// Exact Metropolis–Hastings MCMC with flow or fitted internal-coordinate proposals.
    Sample(commands::sample::Args),
    /// Fast, biased exploration with flow proposals (energy-threshold acceptance).
    Explore(commands::explore::Args),
    /// Ramachandran plots, free energies, JSD, TICA, ESS and speed-up: HTML report + metrics.json.
    Analyze(commands::analyze::Args),
    /// Throughput table of the force field, MD, flow and sampler on this machine.
    Bench(commands::bench::Args),
}

fn main() {
    restore_default_sigpipe();
    let cli = Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit());
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()),
        )
        .with_writer(std::io::stderr)
        // colour codes only on a terminal, not in logs redirected to a file
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let quiet = cli.quiet;
    let result = match cli.command {
        Command::Run(a) => commands::run::main(a, quiet),
        Command::Build(a) => commands::build::main(a, quiet),
        Command::Energy(a) => commands::energy::main(a),
        Command::Md(a) => commands::md::main(a, quiet),
        Command::Fit(a) => commands::fit::main(a, quiet),
        Command::Train(a) => commands::train::main(a, quiet),
        Command::Sample(a) => commands::sample::main(a, quiet),
        Command::Explore(a) => commands::explore::main(a, quiet),
        Command::Analyze(a) => commands::analyze::main(a, quiet),
        Command::Bench(a) => commands::bench::main(a, quiet),
    };
    if let Err(e) = result {
        eprintln!("error: {}", timewarp_cli::error_message(&e));
        std::process::exit(1);
    }
}

/// The command line, with negative numbers accepted as values of every flag that takes one:
/// `--temperature -1` then reaches the command's range check, which names the flag, instead of
/// clap's "unexpected argument '-1'".
fn command() -> clap::Command {
    fn negative_values(cmd: clap::Command) -> clap::Command {
        cmd.mut_args(|a| {
            if a.get_action().takes_values() && !a.is_positional() {
                a.allow_negative_numbers(true)
            } else {
                a
            }
        })
        .mut_subcommands(negative_values)
    }
    negative_values(Cli::command())
}

/// Rust ignores SIGPIPE, so `timewarp energy ... | head` would panic in `println!` once `head`
/// exits. Command-line tools are expected to die quietly instead: restore the default action.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
