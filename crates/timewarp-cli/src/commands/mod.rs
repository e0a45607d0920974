//! One module per sub-command: flag parsing, config merging, calls into the library crates.

pub mod analyze;
pub mod build;
pub mod energy;
pub mod md;
