//! The `timewarp` command line as a library: one module per sub-command ([`commands`]: flags,
//! config merging, calls into the crates that own the logic), the TOML configuration
//! ([`config`]), progress bars ([`progress`]) and the `timewarp run` pipeline ([`pipeline`]),
//! so that the pipeline can be tested without launching the binary.

pub mod commands;
pub mod config;
pub mod pipeline;
pub mod progress;
