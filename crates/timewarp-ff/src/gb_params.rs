//! Per-atom GB-OBC parameters as OpenMM's `GBSAOBC1Force.getStandardParameters` assigns them
//! (used by both `implicit/obc1.xml` and `implicit/obc2.xml`; NOTES.md §2.5, §3.7).

use timewarp_mol::Element;

/// Intrinsic Born radius ρ in nm from the mbondi2 set (Onufriev, Bashford & Case 2004):
/// H bonded to N 1.3 Å, other H 1.2 Å, C 1.7, N 1.55, O 1.5, S 1.8, F 1.5, Si 2.1, P 1.85,
/// Cl 1.7, anything else 1.5 Å. `partner` is the element of the atom's first bonded partner.
pub(crate) fn mbondi2_radius(element: Element, partner: Option<Element>) -> f64 {
    match element {
        Element::H if partner == Some(Element::N) => 0.13,
        Element::H => 0.12,
        Element::C => 0.17,
        Element::N => 0.155,
        Element::O => 0.15,
        Element::S => 0.18,
        Element::F => 0.15,
        Element::P => 0.185,
        Element::Cl => 0.17,
        _ => 0.15,
    }
}

/// OBC screening factor S (the Hawkins–Cramer–Truhlar values used by Amber's igb=2/5).
pub(crate) fn obc_screen(element: Element) -> f64 {
    match element {
        Element::H => 0.85,
        Element::C => 0.72,
        Element::N => 0.79,
        Element::O => 0.85,
        Element::F => 0.88,
        Element::P => 0.86,
        Element::S => 0.96,
        _ => 0.8,
    }
}
