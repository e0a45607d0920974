//! One module per sub-command: flag parsing, config merging, calls into the library crates.

pub mod analyze;
pub mod bench;
pub mod build;
pub mod energy;
pub mod explore;
pub mod fit;
pub mod md;
pub mod run;
pub mod sample;
pub mod train;
