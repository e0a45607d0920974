//! Vector geometry of atoms (f64, nm, radians): distances, bond angles, dihedrals, the NeRF
//! placement of an atom from three reference atoms, and wrapped angles.
//!
//! One owner for these formulas: the peptide builder and the internal-coordinate chart
//! ([`crate::internal`]) both place atoms with [`place`].

use std::f64::consts::{PI, TAU};

pub type Vec3 = [f64; 3];

#[inline]
pub fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

#[inline]
pub fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

#[inline]
pub fn scale(a: Vec3, s: f64) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

#[inline]
pub fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[inline]
pub fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

#[inline]
pub fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}

#[inline]
pub fn unit(a: Vec3) -> Vec3 {
    scale(a, 1.0 / norm(a))
}

/// |a − b|.
#[inline]
pub fn distance(a: Vec3, b: Vec3) -> f64 {
    norm(sub(a, b))
}

/// The bond angle ∠(a, b, c) at b, in [0, π]. Computed as atan2(|u × v|, u·v), which keeps full
/// precision near 0 and π (acos does not).
#[inline]
pub fn angle(a: Vec3, b: Vec3, c: Vec3) -> f64 {
    let (u, v) = (sub(a, b), sub(c, b));
    norm(cross(u, v)).atan2(dot(u, v))
}

/// Dihedral angle of p0–p1–p2–p3 in (−π, π], IUPAC sign convention (as mdtraj and OpenMM):
/// positive when, looking along p1→p2, the bond to p3 is rotated clockwise from the bond to p0.
/// dihedral(p0, p1, p2, p3) = dihedral(p3, p2, p1, p0).
#[inline]
pub fn dihedral(p0: Vec3, p1: Vec3, p2: Vec3, p3: Vec3) -> f64 {
    let b1 = sub(p1, p0);
    let b2 = sub(p2, p1);
    let b3 = sub(p3, p2);
    let n1 = cross(b1, b2);
    let n2 = cross(b2, b3);
    let y = norm(b2) * dot(b1, n2);
    let x = dot(n1, n2);
    // atan2 gives [−π, π]; −π and π are the same dihedral, keep (−π, π].
    let t = y.atan2(x);
    if t == -PI {
        PI
    } else {
        t
    }
}

/// Natural-extension reference frame (NeRF; Parsons et al., J. Comput. Chem. 26, 1063 (2005)):
/// the point D with |D − C| = r, ∠BCD = θ and dihedral(A, B, C, D) = τ (radians).
///
/// With bc = (C − B)/|C − B|, n = (B − A) × bc normalised and m = n × bc,
/// D = C + bc·(−r cos θ) + m·(r sin θ cos τ) + n·(r sin θ sin τ).
#[inline]
pub fn place(a: Vec3, b: Vec3, c: Vec3, r: f64, theta: f64, tau: f64) -> Vec3 {
    let bc = unit(sub(c, b));
    let n = unit(cross(sub(b, a), bc));
    let m = cross(n, bc);
    let (st, ct) = theta.sin_cos();
    let (sp, cp) = tau.sin_cos();
    let (d0, d1, d2) = (-r * ct, r * st * cp, r * st * sp);
    [
        c[0] + bc[0] * d0 + m[0] * d1 + n[0] * d2,
        c[1] + bc[1] * d0 + m[1] * d1 + n[1] * d2,
        c[2] + bc[2] * d0 + m[2] * d1 + n[2] * d2,
    ]
}

/// An angle wrapped into (−π, π].
#[inline]
pub fn wrap_angle(x: f64) -> f64 {
    if x > -PI && x <= PI {
        return x;
    }
    let y = (x + PI).rem_euclid(TAU) - PI;
    if y == -PI {
        PI
    } else {
        y
    }
}

/// The signed difference a − b of two angles, wrapped into (−π, π]: the shortest rotation from b
/// to a on the circle.
#[inline]
pub fn angle_difference(a: f64, b: f64) -> f64 {
    wrap_angle(a - b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Vec3 = [0.13, -0.02, 0.05];
    const B: Vec3 = [0.0, 0.0, 0.0];
    const C: Vec3 = [-0.05, 0.14, 0.01];

    #[test]
    fn placement_reproduces_its_internal_coordinates() {
        for tau_deg in [-179.0f64, -120.0, -60.0, 0.0, 33.3, 90.0, 180.0] {
            let (theta, tau) = (116.6f64.to_radians(), tau_deg.to_radians());
            let d = place(A, B, C, 0.1335, theta, tau);
            assert!((distance(C, d) - 0.1335).abs() < 1e-15);
            assert!((angle(B, C, d) - theta).abs() < 1e-13);
            assert!(
                angle_difference(dihedral(A, B, C, d), tau).abs() < 1e-13,
                "tau {tau_deg}"
            );
            assert!((dihedral(A, B, C, d) - dihedral(d, C, B, A)).abs() < 1e-14);
        }
    }

    #[test]
    fn dihedral_sign_is_iupac() {
        // p1→p2 along +z, p0 on +x: p3 over +y is +90° (the right-hand rule about p1→p2 turns
        // the front bond onto the back bond), cis 0, trans π.
        let (p0, p1, p2) = ([1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]);
        assert!((dihedral(p0, p1, p2, [1.0, 0.0, 1.0])).abs() < 1e-15);
        assert_eq!(dihedral(p0, p1, p2, [-1.0, 0.0, 1.0]), PI);
        assert!((dihedral(p0, p1, p2, [0.0, 1.0, 1.0]) - PI / 2.0).abs() < 1e-15);
    }

    #[test]
    fn wrapping_lands_in_the_half_open_interval() {
        for (x, want) in [
            (0.0, 0.0),
            (PI, PI),
            (-PI, PI),
            (3.0 * PI, PI),
            (-3.0 * PI, PI),
            (TAU + 0.5, 0.5),
            (-TAU - 0.5, -0.5),
        ] {
            assert!(
                (wrap_angle(x) - want).abs() < 1e-12,
                "{x}: {}",
                wrap_angle(x)
            );
        }
        assert!((angle_difference(-3.0, 3.0) - (TAU - 6.0)).abs() < 1e-12);
    }
}
