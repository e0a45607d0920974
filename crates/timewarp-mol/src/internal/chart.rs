//! X(q) and its inverse (NeRF placement), the pose of the root frame, and log J(q).

use serde::{Deserialize, Serialize};

use super::{Dof, TorsionRole, ZMatrix};
use crate::geometry::{
    add, angle, angle_difference, cross, dihedral, distance, dot, place, scale, sub, unit,
    wrap_angle, Vec3,
};

/// The rigid pose of a conformation: the position of the root centre and the orthonormal frame
/// (e_x towards the first root, e_y in the plane of the three roots, e_z = e_x × e_y).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pose {
    pub origin: Vec3,
    pub axes: [Vec3; 3],
}

impl Default for Pose {
    /// The lab frame at the origin.
    fn default() -> Self {
        Pose {
            origin: [0.0; 3],
            axes: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        }
    }
}

impl Pose {
    /// origin + Σ_c local[c]·axes[c].
    #[inline]
    fn to_lab(self, local: [f64; 3]) -> Vec3 {
        let [ex, ey, ez] = self.axes;
        std::array::from_fn(|c| {
            self.origin[c] + local[0] * ex[c] + local[1] * ey[c] + local[2] * ez[c]
        })
    }
}

impl ZMatrix {
    /// Internal coordinates of `x` (one position per atom, nm) into `q` (3N − 6 entries), and the
    /// pose of its root frame.
    pub fn to_internal(&self, x: &[Vec3], q: &mut [f64]) -> Pose {
        assert_eq!(x.len(), self.n_atoms, "to_internal: one position per atom");
        assert_eq!(q.len(), self.dofs.len(), "to_internal: 3N − 6 coordinates");
        let (c, f, s) = (
            self.entries[0].atom,
            self.entries[1].atom,
            self.entries[2].atom,
        );
        q[0] = distance(x[f], x[c]);
        q[1] = distance(x[s], x[c]);
        q[2] = angle(x[f], x[c], x[s]);
        for (e, z) in self.entries.iter().enumerate().skip(3) {
            let [j, k, l] = z.refs;
            let d = Self::first_dof(e);
            let xi = x[z.atom];
            q[d] = distance(xi, x[j]);
            q[d + 1] = angle(xi, x[j], x[k]);
            q[d + 2] = dihedral(xi, x[j], x[k], x[l]);
        }
        // Offsets after all leaders are known (a leader always precedes its siblings).
        for (d, dof) in self.dofs.iter().enumerate() {
            if let Dof::Torsion {
                role: TorsionRole::Offset { leader },
                ..
            } = *dof
            {
                q[d] = angle_difference(q[d], q[leader]);
            }
        }
        let ex = unit(sub(x[f], x[c]));
        let v = sub(x[s], x[c]);
        let ey = unit(sub(v, scale(ex, dot(v, ex))));
        Pose {
            origin: x[c],
            axes: [ex, ey, cross(ex, ey)],
        }
    }

    /// Positions X(q) in the frame `pose` into `x`. Coordinates outside the domain (b ≤ 0, a
    /// outside (0, π)) still give finite positions; check [`ZMatrix::in_domain`] first.
    pub fn to_cartesian(&self, q: &[f64], pose: &Pose, x: &mut [Vec3]) {
        assert_eq!(x.len(), self.n_atoms, "to_cartesian: one position per atom");
        assert_eq!(q.len(), self.dofs.len(), "to_cartesian: 3N − 6 coordinates");
        let (c, f, s) = (
            self.entries[0].atom,
            self.entries[1].atom,
            self.entries[2].atom,
        );
        x[c] = pose.origin;
        x[f] = pose.to_lab([q[0], 0.0, 0.0]);
        let (sa, ca) = q[2].sin_cos();
        x[s] = pose.to_lab([q[1] * ca, q[1] * sa, 0.0]);
        for (e, z) in self.entries.iter().enumerate().skip(3) {
            let [j, k, l] = z.refs;
            let d = Self::first_dof(e);
            let t = match self.dofs[d + 2] {
                Dof::Torsion {
                    role: TorsionRole::Offset { leader },
                    ..
                } => q[leader] + q[d + 2],
                _ => q[d + 2],
            };
            x[z.atom] = place(x[l], x[k], x[j], q[d], q[d + 1], t);
        }
    }

    /// Whether `q` lies in the chart's domain: bonds positive, angles in (0, π), all finite.
    pub fn in_domain(&self, q: &[f64]) -> bool {
        self.dofs.iter().zip(q).all(|(dof, &v)| match dof {
            Dof::Bond { .. } => v > 0.0 && v.is_finite(),
            Dof::Angle { .. } => v > 0.0 && v < std::f64::consts::PI,
            Dof::Torsion { .. } => v.is_finite(),
        })
    }

    /// log J(q) = Σ_bonds 2 ln b + Σ_angles ln sin a (see the module docs); −∞ outside the domain.
    pub fn log_jacobian(&self, q: &[f64]) -> f64 {
        let mut lj = 0.0;
        for (dof, &v) in self.dofs.iter().zip(q) {
            match dof {
                Dof::Bond { .. } => lj += 2.0 * v.ln(),
                Dof::Angle { .. } => lj += v.sin().ln(),
                Dof::Torsion { .. } => {}
            }
        }
        if lj.is_nan() {
            f64::NEG_INFINITY
        } else {
            lj
        }
    }

    /// Wraps every torsion coordinate of `q` into (−π, π].
    pub fn wrap_torsions(&self, q: &mut [f64]) {
        for (dof, v) in self.dofs.iter().zip(q.iter_mut()) {
            if dof.is_periodic() {
                *v = wrap_angle(*v);
            }
        }
    }

    /// The chain rule through X at fixed pose: ∂f/∂q = (∂X/∂q)ᵀ ∇_x f into `out` (3N − 6
    /// entries), given the positions `x` = X(q) and the Cartesian gradient `grad_x` of any
    /// function f (e.g. ∇U = −forces).
    ///
    /// Every coordinate moves a part of the molecule rigidly (the pose and all other
    /// coordinates fixed): a bond b_i translates the subtree S of atom i along the bond, an angle
    /// a_i rotates S about the normal ω = (x_k − x_j) × (x_i − x_j) through x_j, an offset
    /// rotates S about the bond axis u = x_j − x_k through x_j, and a leader torsion rotates the
    /// subtrees of all its siblings about that axis. So ∂f/∂b = û·F_S and ∂f/∂θ = ω̂·(T_S − x_j ×
    /// F_S)
    /// with F_S = Σ_{a∈S} ∇_a f and T_S = Σ_{a∈S} x_a × ∇_a f, accumulated over subtrees in
    /// reverse placement order: O(N).
    pub fn internal_gradient(&self, x: &[Vec3], grad_x: &[Vec3], out: &mut [f64]) {
        let n = self.n_atoms;
        assert!(
            x.len() == n && grad_x.len() == n && out.len() == self.dofs.len(),
            "internal_gradient: sizes"
        );
        // Subtree sums of the gradient and of its torque about the origin.
        let mut f: Vec<Vec3> = grad_x.to_vec();
        let mut t: Vec<Vec3> = x.iter().zip(grad_x).map(|(a, g)| cross(*a, *g)).collect();
        for z in self.entries[1..].iter().rev() {
            let (a, p) = (z.atom, z.refs[0]);
            f[p] = add(f[p], f[a]);
            t[p] = add(t[p], t[a]);
        }
        // Sums over the sibling groups of every leader (children of j that share the axis).
        let mut group_f = vec![[0.0; 3]; n];
        let mut group_t = vec![[0.0; 3]; n];
        for z in &self.entries[3..] {
            let j = z.refs[0];
            group_f[j] = add(group_f[j], f[z.atom]);
            group_t[j] = add(group_t[j], t[z.atom]);
        }
        let rotation =
            |axis: Vec3, pivot: Vec3, f: Vec3, t: Vec3| dot(unit(axis), sub(t, cross(pivot, f)));
        let (c, fr, s) = (
            self.entries[0].atom,
            self.entries[1].atom,
            self.entries[2].atom,
        );
        out[0] = dot(unit(sub(x[fr], x[c])), f[fr]);
        out[1] = dot(unit(sub(x[s], x[c])), f[s]);
        out[2] = rotation(cross(sub(x[fr], x[c]), sub(x[s], x[c])), x[c], f[s], t[s]);
        for (e, z) in self.entries.iter().enumerate().skip(3) {
            let (i, [j, k, _]) = (z.atom, z.refs);
            let d = Self::first_dof(e);
            out[d] = dot(unit(sub(x[i], x[j])), f[i]);
            out[d + 1] = rotation(cross(sub(x[k], x[j]), sub(x[i], x[j])), x[j], f[i], t[i]);
            let axis = sub(x[j], x[k]);
            out[d + 2] = match self.dofs[d + 2] {
                Dof::Torsion {
                    role: TorsionRole::Offset { .. },
                    ..
                } => rotation(axis, x[j], f[i], t[i]),
                _ => rotation(axis, x[j], group_f[j], group_t[j]),
            };
        }
    }

    /// ∂ log J/∂q: 2/b for bonds, cot a for angles, 0 for torsions.
    pub fn log_jacobian_gradient(&self, q: &[f64], out: &mut [f64]) {
        for ((dof, &v), o) in self.dofs.iter().zip(q).zip(out.iter_mut()) {
            *o = match dof {
                Dof::Bond { .. } => 2.0 / v,
                Dof::Angle { .. } => v.cos() / v.sin(),
                Dof::Torsion { .. } => 0.0,
            };
        }
    }

    /// [`ZMatrix::to_internal`] of `b` conformations stored one after another (`b × N`
    /// positions, `b × (3N − 6)` coordinates, `b` poses).
    pub fn to_internal_batch(&self, x: &[Vec3], q: &mut [f64], poses: &mut [Pose]) {
        let (n, d) = (self.n_atoms, self.dofs.len());
        assert_eq!(x.len(), n * poses.len());
        assert_eq!(q.len(), d * poses.len());
        for ((xk, qk), pk) in x
            .chunks_exact(n)
            .zip(q.chunks_exact_mut(d))
            .zip(poses.iter_mut())
        {
            *pk = self.to_internal(xk, qk);
        }
    }

    /// [`ZMatrix::to_cartesian`] of `b` conformations stored one after another.
    pub fn to_cartesian_batch(&self, q: &[f64], poses: &[Pose], x: &mut [Vec3]) {
        let (n, d) = (self.n_atoms, self.dofs.len());
        assert_eq!(x.len(), n * poses.len());
        assert_eq!(q.len(), d * poses.len());
        for ((qk, pk), xk) in q.chunks_exact(d).zip(poses).zip(x.chunks_exact_mut(n)) {
            self.to_cartesian(qk, pk, xk);
        }
    }
}
