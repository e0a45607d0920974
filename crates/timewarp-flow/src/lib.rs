//! The Timewarp conditional normalising flow (Klein et al., NeurIPS 2023) in burn, generic over
//! the backend and equal number for number to the official PyTorch model
//! (`custom_attention_transformer_nvp` of microsoft/timewarp).
//!
//! p(y | x) over the augmented state (positions, velocities) of a molecule: RealNVP affine
//! couplings whose scale and shift come from transformers with kernel self-attention over the
//! interatomic distances of the conditioning state x. See [`flow`] for the equations.
//!
//! - [`TimewarpFlow`]: `log_prob`, `sample`, `sample_with_latents`, `nll_loss`.
//! - [`FlowBatch`] / [`FlowCondition`]: padded batches.
//! - [`host`]: the one bridge between host numbers and tensors (uploads name their dtype).
//! - [`FlowConfig`] and [`presets`]: hyper-parameters (`ad`, `2aa`, `demo`, `tiny`).
//! - [`checkpoint`]: our checkpoints; [`import`]: official PyTorch state dicts.

pub mod attention;
pub mod batch;
pub mod checkpoint;
pub mod config;
pub mod coupling;
pub mod flow;
pub mod host;
pub mod import;
pub mod init;
pub mod mlp;
mod pickle;
pub mod presets;
pub mod state_dict;
pub mod transformer;

use timewarp_mol::Element;

pub use batch::{BatchError, ConditionExample, FlowBatch, FlowCondition, PairExample};
pub use checkpoint::{load_checkpoint, save_checkpoint, CheckpointError};
pub use config::{Chart, ConfigError, FlowConfig, TransformedVars};
pub use flow::{FlowLatent, FlowSample, LayerLatent, TimewarpFlow};
pub use host::{to_host_scalars, to_host_vectors};
pub use import::{
    flow_from_state_dict, flow_to_state_dict, import_official, ImportError, KeyReport,
};
pub use presets::{preset, PRESET_NAMES};

/// The element vocabulary of the official data loader (`KNOWN_ELEMENTS`): atom type = index.
pub const ELEMENT_VOCAB: [Element; 5] =
    [Element::C, Element::H, Element::N, Element::O, Element::S];

/// Number of atom types (rows of the embedding table).
pub const NUM_ATOM_TYPES: usize = ELEMENT_VOCAB.len();

/// The model's atom type of an element (C 0, H 1, N 2, O 3, S 4), or `None` for elements the
/// model has no embedding for.
pub fn atom_type_of(element: Element) -> Option<i64> {
    ELEMENT_VOCAB
        .iter()
        .position(|&e| e == element)
        .map(|i| i as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_vocabulary_matches_the_official_loader() {
        assert_eq!(atom_type_of(Element::C), Some(0));
        assert_eq!(atom_type_of(Element::H), Some(1));
        assert_eq!(atom_type_of(Element::N), Some(2));
        assert_eq!(atom_type_of(Element::O), Some(3));
        assert_eq!(atom_type_of(Element::S), Some(4));
        assert_eq!(atom_type_of(Element::P), None);
    }
}
