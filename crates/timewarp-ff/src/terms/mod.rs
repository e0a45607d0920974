//! Energy terms, one function per force: each computes its energy and (optionally) adds its
//! forces, over flat parameter tables, without allocating.

pub(crate) mod bonded;
pub(crate) mod gbsa_obc;
pub(crate) mod nonbonded;
pub(crate) mod vec3;
