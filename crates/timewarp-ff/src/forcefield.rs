//! The force field: parsed ffxml data and `create_system`.

use crate::assign;
use crate::ffxml::FfxmlData;
use crate::{FfError, System, SystemOptions};
use std::sync::OnceLock;
use timewarp_mol::Topology;

/// AMBER ff14SB in OpenMM's ffxml format (OpenMM 8.6.1, `amber14/protein.ff14SB.xml`).
pub(crate) const FF14SB_XML: &str = include_str!("../data/protein.ff14SB.xml");

/// A force field: atom types, residue templates and parameter definitions read from ffxml.
/// Implicit solvent (GB-OBC) is chosen per system through [`SystemOptions`].
#[derive(Debug, Clone)]
pub struct ForceField {
    name: String,
    data: FfxmlData,
}

impl ForceField {
    /// amber14 (ff14SB protein parameters, with OBC1/OBC2 implicit solvent as OpenMM's
    /// `implicit/obc1.xml` / `implicit/obc2.xml`), parsed once from the embedded ffxml.
    pub fn amber14() -> &'static ForceField {
        static AMBER14: OnceLock<ForceField> = OnceLock::new();
        AMBER14.get_or_init(|| {
            ForceField::from_ffxml(FF14SB_XML, "amber14/protein.ff14SB.xml")
                .expect("the embedded protein.ff14SB.xml is valid ffxml")
        })
    }

    /// Read a force field from ffxml text; `name` identifies it in error messages.
    pub fn from_ffxml(text: &str, name: &str) -> Result<ForceField, FfError> {
        Ok(ForceField {
            name: name.to_string(),
            data: FfxmlData::parse(text, name)?,
        })
    }

    /// Name given at loading (the ffxml file).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Names of the residue templates, in file order.
    pub fn template_names(&self) -> impl Iterator<Item = &str> {
        self.data.templates.iter().map(|t| t.name.as_str())
    }

    /// The template of every residue of `top` (matched by bond graph as for
    /// [`Self::create_system`]): the residue type in the force field's sense, protonation state
    /// included (`HIE`, `HID`, `HIP`, `ASH`, `CYX`, …), where the PDB name says only `HIS`.
    pub fn residue_templates(&self, top: &Topology) -> Result<Vec<String>, FfError> {
        let mut neighbours = top.neighbours();
        for nb in &mut neighbours {
            nb.sort_unstable();
        }
        (0..top.residues.len())
            .map(|r| {
                crate::template::match_residue(&self.data, top, r, &neighbours)
                    .map(|m| self.data.templates[m.template].name.clone())
            })
            .collect()
    }

    /// Assign parameters to every atom and interaction of `top` (templates matched by bond
    /// graph, as OpenMM's `ForceField.createSystem` does) and build the evaluable [`System`].
    pub fn create_system(&self, top: &Topology, opts: &SystemOptions) -> Result<System, FfError> {
        assign::create_system(&self.data, top, opts)
    }
}
