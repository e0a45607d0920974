//! Internal coordinates (a Z-matrix in the style of Tinker's): how each atom of a residue
//! template is placed from atoms that are already placed, and the vector geometry that does it.
//!
//! Reference atoms are named as in the template; a leading `-` names an atom of the previous
//! residue (`-C` is the carbonyl carbon the peptide bond attaches to).

/// Backbone dihedral a [`Place::Torsion`] takes its value from (degrees, set per build).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Torsion {
    /// A fixed dihedral in degrees.
    Fixed(f64),
    /// φ = C(i−1)–N–Cα–C.
    Phi,
    /// The carbonyl O sits anti to the next N, so N–Cα–C–O = ψ + 180° where
    /// ψ = N–Cα–C–N(i+1).
    Psi,
    /// ω = Cα(i−1)–C(i−1)–N–Cα (180° for a trans peptide bond).
    Omega,
}

/// Sign of the dihedral (a2, a1, centre, atom) for a [`Place::Branch`] atom, i.e. on which side
/// of the plane (a1, centre, a2) it lies. This is what fixes the chirality of a centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Plus,
    Minus,
}

/// How one atom is placed. Lengths in nm, angles in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Place {
    /// First atom of the chain, at the origin.
    Origin,
    /// Second atom of the chain: on the +x axis, `r` from `bond`.
    OnAxis { bond: &'static str, r: f64 },
    /// Third atom of the chain: in the xy plane (y > 0), `r` from `bond`, with the angle
    /// (angle, bond, atom) = `theta`.
    InPlane {
        bond: &'static str,
        r: f64,
        angle: &'static str,
        theta: f64,
    },
    /// Classic Z-matrix line: |atom − bond| = r, ∠(angle, bond, atom) = θ and
    /// dihedral(dihedral, angle, bond, atom) = τ.
    Torsion {
        bond: &'static str,
        r: f64,
        angle: &'static str,
        theta: f64,
        dihedral: &'static str,
        tau: Torsion,
    },
    /// Branch on a tetrahedral centre (Tinker's "chiral" Z-matrix line): |atom − centre| = r,
    /// ∠(a1, centre, atom) = θ1, ∠(a2, centre, atom) = θ2; of the two mirror solutions the one
    /// on `side` is taken.
    Branch {
        centre: &'static str,
        r: f64,
        a1: &'static str,
        theta1: f64,
        a2: &'static str,
        theta2: f64,
        side: Side,
    },
    /// Trigonal (sp2) substituent: in the plane of (a1, centre, a2), along the bisector of the
    /// exterior angle, so that ∠(a1, centre, atom) = ∠(a2, centre, atom) = 180° −
    /// ∠(a1,centre,a2)/2.
    /// Used for ring hydrogens, whose two force-field angles cannot both be met in a planar ring.
    Trigonal {
        centre: &'static str,
        r: f64,
        a1: &'static str,
        a2: &'static str,
    },
}

impl Place {
    /// The atoms this placement needs, in order (bond partner first, if any).
    pub(crate) fn references(&self) -> Vec<&'static str> {
        match *self {
            Place::Origin => vec![],
            Place::OnAxis { bond, .. } => vec![bond],
            Place::InPlane { bond, angle, .. } => vec![bond, angle],
            Place::Torsion {
                bond,
                angle,
                dihedral,
                ..
            } => vec![bond, angle, dihedral],
            Place::Branch { centre, a1, a2, .. } => vec![centre, a1, a2],
            Place::Trigonal { centre, a1, a2, .. } => vec![centre, a1, a2],
        }
    }

    /// The atom this one is covalently bonded to in the spanning tree of the template.
    #[cfg(test)]
    pub(crate) fn bonded_to(&self) -> Option<&'static str> {
        self.references().first().copied()
    }
}

/// One atom of a residue template.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ZAtom {
    pub name: &'static str,
    pub place: Place,
}

pub(crate) const fn origin(name: &'static str) -> ZAtom {
    ZAtom {
        name,
        place: Place::Origin,
    }
}

pub(crate) const fn on_axis(name: &'static str, bond: &'static str, r: f64) -> ZAtom {
    ZAtom {
        name,
        place: Place::OnAxis { bond, r },
    }
}

pub(crate) const fn in_plane(
    name: &'static str,
    bond: &'static str,
    r: f64,
    angle: &'static str,
    theta: f64,
) -> ZAtom {
    ZAtom {
        name,
        place: Place::InPlane {
            bond,
            r,
            angle,
            theta,
        },
    }
}

pub(crate) const fn torsion(
    name: &'static str,
    bond: &'static str,
    r: f64,
    angle: &'static str,
    theta: f64,
    dihedral: &'static str,
    tau: Torsion,
) -> ZAtom {
    ZAtom {
        name,
        place: Place::Torsion {
            bond,
            r,
            angle,
            theta,
            dihedral,
            tau,
        },
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) const fn branch(
    name: &'static str,
    centre: &'static str,
    r: f64,
    a1: &'static str,
    theta1: f64,
    a2: &'static str,
    theta2: f64,
    side: Side,
) -> ZAtom {
    ZAtom {
        name,
        place: Place::Branch {
            centre,
            r,
            a1,
            theta1,
            a2,
            theta2,
            side,
        },
    }
}

pub(crate) const fn trigonal(
    name: &'static str,
    centre: &'static str,
    r: f64,
    a1: &'static str,
    a2: &'static str,
) -> ZAtom {
    ZAtom {
        name,
        place: Place::Trigonal { centre, r, a1, a2 },
    }
}

// ---------------------------------------------------------------------------------------------
// Placement of branch and trigonal atoms (f64, nm); torsion placement is
// [`crate::geometry::place`].

pub(crate) use crate::geometry::Vec3;
use crate::geometry::{add, cross, dot, scale, sub, unit};

/// The point D with |D − C| = r, ∠BCD = θ and dihedral(A, B, C, D) = τ, angles in degrees.
pub(crate) fn place_torsion(a: Vec3, b: Vec3, c: Vec3, r: f64, theta: f64, tau: f64) -> Vec3 {
    crate::geometry::place(a, b, c, r, theta.to_radians(), tau.to_radians())
}

/// The point D with |D − C| = r, ∠(A1, C, D) = θ1 and ∠(A2, C, D) = θ2, on `side`.
///
/// Write the bond direction as u = α â + β b̂ + γ n̂ with â, b̂ the unit vectors from C to A1 and
/// A2, c = â·b̂ and n̂ = â × b̂ / |â × b̂|. The two angle conditions û·â = cos θ1, û·b̂ = cos θ2
/// give α = (cos θ1 − c cos θ2)/(1 − c²), β = (cos θ2 − c cos θ1)/(1 − c²), and |u| = 1 gives
/// γ = ±√(1 − α² − β² − 2αβc). If the three angles at C sum to more than 360° the angles cannot
/// all be met; then γ = 0 and u is rescaled to unit length (the atom lies in the plane).
pub(crate) fn place_branch(
    c: Vec3,
    a1: Vec3,
    theta1: f64,
    a2: Vec3,
    theta2: f64,
    r: f64,
    side: Side,
) -> Vec3 {
    let ua = unit(sub(a1, c));
    let ub = unit(sub(a2, c));
    let cab = dot(ua, ub);
    let (c1, c2) = (theta1.to_radians().cos(), theta2.to_radians().cos());
    let det = 1.0 - cab * cab;
    let alpha = (c1 - cab * c2) / det;
    let beta = (c2 - cab * c1) / det;
    let in_plane = add(scale(ua, alpha), scale(ub, beta));
    let gamma2 = 1.0 - dot(in_plane, in_plane);
    let u = if gamma2 > 0.0 {
        let n = unit(cross(ua, ub));
        // dihedral(a2, a1, c, c + n) is −90°: n points to the Minus side.
        let gamma = match side {
            Side::Minus => gamma2.sqrt(),
            Side::Plus => -gamma2.sqrt(),
        };
        add(in_plane, scale(n, gamma))
    } else {
        unit(in_plane)
    };
    add(c, scale(u, r))
}

/// The point at distance r from C along the bisector of the exterior angle A1–C–A2.
pub(crate) fn place_trigonal(c: Vec3, a1: Vec3, a2: Vec3, r: f64) -> Vec3 {
    let bisector = add(unit(sub(a1, c)), unit(sub(a2, c)));
    add(c, scale(unit(bisector), -r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::norm;

    fn dihedral(p0: Vec3, p1: Vec3, p2: Vec3, p3: Vec3) -> f64 {
        crate::geometry::dihedral(p0, p1, p2, p3).to_degrees()
    }

    fn angle(a: Vec3, b: Vec3, c: Vec3) -> f64 {
        dot(unit(sub(a, b)), unit(sub(c, b))).acos().to_degrees()
    }

    fn dist(a: Vec3, b: Vec3) -> f64 {
        norm(sub(a, b))
    }

    const A: Vec3 = [0.13, -0.02, 0.05];
    const B: Vec3 = [0.0, 0.0, 0.0];
    const C: Vec3 = [-0.05, 0.14, 0.01];

    #[test]
    fn torsion_placement_reproduces_its_internal_coordinates() {
        for tau in [-179.0, -120.0, -60.0, 0.0, 33.3, 90.0, 180.0] {
            let d = place_torsion(A, B, C, 0.1335, 116.6, tau);
            assert!((dist(C, d) - 0.1335).abs() < 1e-12);
            assert!((angle(B, C, d) - 116.6).abs() < 1e-9);
            let got = dihedral(A, B, C, d);
            let diff = (got - tau + 540.0).rem_euclid(360.0) - 180.0;
            assert!(diff.abs() < 1e-9, "tau {tau}: got {got}");
        }
    }

    #[test]
    fn branch_placement_meets_both_angles_on_the_requested_side() {
        for (side, sign) in [(Side::Plus, 1.0), (Side::Minus, -1.0)] {
            let d = place_branch(B, A, 109.7, C, 111.1, 0.1526, side);
            assert!((dist(B, d) - 0.1526).abs() < 1e-12);
            assert!((angle(A, B, d) - 109.7).abs() < 1e-9);
            assert!((angle(C, B, d) - 111.1).abs() < 1e-9);
            assert_eq!(dihedral(C, A, B, d).signum(), sign);
        }
    }

    #[test]
    fn impossible_branch_angles_fall_back_to_the_plane() {
        // 150° + 150° + ∠(A, B, C) > 360°: no solution off the plane.
        let d = place_branch(B, A, 150.0, C, 150.0, 0.1, Side::Plus);
        assert!((dist(B, d) - 0.1).abs() < 1e-12);
        let normal = cross(sub(A, B), sub(C, B));
        assert!(dot(normal, sub(d, B)).abs() < 1e-12);
    }

    #[test]
    fn trigonal_placement_bisects_the_exterior_angle() {
        let d = place_trigonal(B, A, C, 0.108);
        assert!((dist(B, d) - 0.108).abs() < 1e-12);
        assert!((angle(A, B, d) - angle(C, B, d)).abs() < 1e-9);
        let expected = 180.0 - angle(A, B, C) / 2.0;
        assert!((angle(A, B, d) - expected).abs() < 1e-9);
    }
}
