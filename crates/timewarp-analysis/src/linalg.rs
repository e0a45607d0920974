//! Dense symmetric eigen-decomposition by the cyclic Jacobi method, for the small
//! (features × features) covariance matrices of TICA.
//!
//! Each Jacobi rotation J(p, q, φ) zeroes one off-diagonal element of A ← Jᵀ A J:
//! with θ = (a_qq − a_pp) / (2 a_pq), t = tan φ = sgn θ / (|θ| + √(θ² + 1)),
//! c = 1/√(t² + 1), s = t c:
//!   a_pp ← a_pp − t a_pq,  a_qq ← a_qq + t a_pq,  a_pq ← 0,
//!   a_rp ← c a_rp − s a_rq,  a_rq ← s a_rp + c a_rq   (r ≠ p, q),
//! and the eigenvector matrix accumulates V ← V J. Sweeps over all pairs repeat until the
//! off-diagonal Frobenius norm is negligible; convergence is quadratic. Cost O(n³) per sweep.

/// A square matrix in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub n: usize,
    pub data: Vec<f64>,
}

impl Matrix {
    pub fn zeros(n: usize) -> Self {
        Matrix { n, data: vec![0.0; n * n] }
    }

    pub fn identity(n: usize) -> Self {
        let mut m = Self::zeros(n);
        (0..n).for_each(|i| m.data[i * n + i] = 1.0);
        m
    }

    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.n + j]
    }

    #[inline]
    pub fn set(&mut self, i: usize, j: usize, v: f64) {
        self.data[i * self.n + j] = v;
    }
}

/// Eigenvalues (descending) and the matching orthonormal eigenvectors, `vectors[k]` being
/// the k-th eigenvector.
#[derive(Debug, Clone, PartialEq)]
pub struct SymmetricEigen {
    pub values: Vec<f64>,
    pub vectors: Vec<Vec<f64>>,
}

/// Eigen-decomposition of a symmetric matrix (only symmetric input is meaningful; the upper
/// and lower triangles are averaged first).
pub fn symmetric_eigen(a: &Matrix) -> SymmetricEigen {
    let n = a.n;
    let mut a = a.clone();
    for i in 0..n {
        for j in 0..i {
            let v = 0.5 * (a.get(i, j) + a.get(j, i));
            a.set(i, j, v);
            a.set(j, i, v);
        }
    }
    let mut v = Matrix::identity(n);
    let scale = a.data.iter().map(|x| x * x).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a.get(i, j).powi(2))
            .sum::<f64>()
            .sqrt();
        if off <= 1e-15 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a.get(p, q);
                if apq.abs() <= 1e-300 {
                    continue;
                }
                let theta = (a.get(q, q) - a.get(p, p)) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                a.set(p, p, a.get(p, p) - t * apq);
                a.set(q, q, a.get(q, q) + t * apq);
                a.set(p, q, 0.0);
                a.set(q, p, 0.0);
                for r in 0..n {
                    if r != p && r != q {
                        let (arp, arq) = (a.get(r, p), a.get(r, q));
                        let new_rp = c * arp - s * arq;
                        let new_rq = s * arp + c * arq;
                        a.set(r, p, new_rp);
                        a.set(p, r, new_rp);
                        a.set(r, q, new_rq);
                        a.set(q, r, new_rq);
                    }
                    let (vrp, vrq) = (v.get(r, p), v.get(r, q));
                    v.set(r, p, c * vrp - s * vrq);
                    v.set(r, q, s * vrp + c * vrq);
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a.get(j, j).total_cmp(&a.get(i, i)));
    SymmetricEigen {
        values: order.iter().map(|&k| a.get(k, k)).collect(),
        vectors: order.iter().map(|&k| (0..n).map(|r| v.get(r, k)).collect()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagonalises_a_symmetric_matrix() {
        let n = 7;
        let mut a = Matrix::zeros(n);
        for i in 0..n {
            for j in 0..=i {
                let v = ((i * 31 + j * 17) % 11) as f64 / 3.0 - 1.5 + if i == j { 2.0 } else { 0.0 };
                a.set(i, j, v);
                a.set(j, i, v);
            }
        }
        let e = symmetric_eigen(&a);
        for w in e.values.windows(2) {
            assert!(w[0] >= w[1]);
        }
        for (k, vk) in e.vectors.iter().enumerate() {
            // A v = λ v
            for i in 0..n {
                let av: f64 = (0..n).map(|j| a.get(i, j) * vk[j]).sum();
                assert!((av - e.values[k] * vk[i]).abs() < 1e-10);
            }
            // orthonormal
            for (l, vl) in e.vectors.iter().enumerate() {
                let d: f64 = vk.iter().zip(vl).map(|(x, y)| x * y).sum();
                assert!((d - if k == l { 1.0 } else { 0.0 }).abs() < 1e-10);
            }
        }
        let trace: f64 = (0..n).map(|i| a.get(i, i)).sum();
        assert!((e.values.iter().sum::<f64>() - trace).abs() < 1e-10);
    }

    #[test]
    fn two_by_two_closed_form() {
        let a = Matrix { n: 2, data: vec![2.0, 1.0, 1.0, 2.0] };
        let e = symmetric_eigen(&a);
        assert!((e.values[0] - 3.0).abs() < 1e-14 && (e.values[1] - 1.0).abs() < 1e-14);
        assert!((e.vectors[0][0].abs() - 0.5f64.sqrt()).abs() < 1e-14);
    }
}
