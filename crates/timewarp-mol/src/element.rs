//! Chemical elements found in peptides (and a few more for ligands/ions).

use serde::{Deserialize, Serialize};

/// A chemical element. Masses are OpenMM's (dalton), so that kinetic energies and
/// centre-of-mass removal agree with OpenMM to the last digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Element {
    H,
    C,
    N,
    O,
    S,
    P,
    Na,
    Cl,
    K,
    Mg,
    Ca,
    Zn,
    F,
    Br,
    I,
}

impl Element {
    /// Every element known to timewarp.
    pub const ALL: [Element; 15] = [
        Element::H,
        Element::C,
        Element::N,
        Element::O,
        Element::S,
        Element::P,
        Element::Na,
        Element::Cl,
        Element::K,
        Element::Mg,
        Element::Ca,
        Element::Zn,
        Element::F,
        Element::Br,
        Element::I,
    ];

    /// Element symbol as written in PDB columns 77–78 (case as in the periodic table).
    pub fn symbol(self) -> &'static str {
        match self {
            Element::H => "H",
            Element::C => "C",
            Element::N => "N",
            Element::O => "O",
            Element::S => "S",
            Element::P => "P",
            Element::Na => "Na",
            Element::Cl => "Cl",
            Element::K => "K",
            Element::Mg => "Mg",
            Element::Ca => "Ca",
            Element::Zn => "Zn",
            Element::F => "F",
            Element::Br => "Br",
            Element::I => "I",
        }
    }

    /// Parse a symbol, case-insensitively ("CL", "Cl" and "cl" are chlorine).
    pub fn from_symbol(symbol: &str) -> Option<Element> {
        let s = symbol.trim();
        Element::ALL
            .into_iter()
            .find(|e| e.symbol().eq_ignore_ascii_case(s))
    }

    /// Atomic mass in dalton, as in OpenMM's `element.py`.
    pub fn mass(self) -> f64 {
        match self {
            Element::H => 1.007947,
            Element::C => 12.01078,
            Element::N => 14.00672,
            Element::O => 15.99943,
            Element::S => 32.0655,
            Element::P => 30.9737622,
            Element::Na => 22.989769282,
            Element::Cl => 35.4532,
            Element::K => 39.09831,
            Element::Mg => 24.30506,
            Element::Ca => 40.0784,
            Element::Zn => 65.4094,
            Element::F => 18.99840325,
            Element::Br => 79.9041,
            Element::I => 126.904473,
        }
    }

    /// Atomic number.
    pub fn atomic_number(self) -> u32 {
        match self {
            Element::H => 1,
            Element::C => 6,
            Element::N => 7,
            Element::O => 8,
            Element::F => 9,
            Element::Na => 11,
            Element::Mg => 12,
            Element::P => 15,
            Element::S => 16,
            Element::Cl => 17,
            Element::K => 19,
            Element::Ca => 20,
            Element::Zn => 30,
            Element::Br => 35,
            Element::I => 53,
        }
    }
}

impl std::fmt::Display for Element {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.symbol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_round_trip() {
        for e in Element::ALL {
            assert_eq!(Element::from_symbol(e.symbol()), Some(e));
            assert_eq!(Element::from_symbol(&e.symbol().to_uppercase()), Some(e));
        }
        assert_eq!(Element::from_symbol("Xx"), None);
    }
}
