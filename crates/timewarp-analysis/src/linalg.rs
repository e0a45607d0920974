//! Dense symmetric eigen-decomposition for the (features × features) covariance matrices of
//! TICA: Householder reduction to tridiagonal form followed by the implicit symmetric QR
//! algorithm with Wilkinson shifts (Golub & Van Loan, §8.3). O(n³) with a small constant:
//! a 450 × 450 matrix takes well under a second.
//!
//! 1. Householder: for k = 0 … n−3, with x = A[k+1.., k] and v ∝ x − α e₁ (α = −sgn x₀ ‖x‖,
//!    ‖v‖ = 1), H = I − 2vvᵀ zeroes x below its first entry. On the trailing block B:
//!    p = Bv, K = vᵀp, q = p − Kv, B ← HBH = B − 2vqᵀ − 2qvᵀ; Q ← QH accumulates A = QTQᵀ.
//! 2. Implicit QR on the tridiagonal T (diagonal d, off-diagonal e): on each unreduced block
//!    [lo, hi], shift μ = Wilkinson's eigenvalue of the trailing 2×2 closer to d_hi, then chase
//!    the bulge with Givens rotations R (c = x/r, s = z/r, r = √(x² + z²)): T ← R T Rᵀ,
//!    Q ← Q Rᵀ. Off-diagonals below ε(|d_i| + |d_{i+1}|) are set to zero (deflation).

/// A square matrix in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub n: usize,
    pub data: Vec<f64>,
}

impl Matrix {
    pub fn zeros(n: usize) -> Self {
        Matrix {
            n,
            data: vec![0.0; n * n],
        }
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

/// Eigen-decomposition of a symmetric matrix (the upper and lower triangles are averaged
/// first, so only symmetric input is meaningful).
pub fn symmetric_eigen(a: &Matrix) -> SymmetricEigen {
    let n = a.n;
    let mut m = a.clone();
    for i in 0..n {
        for j in 0..i {
            let v = 0.5 * (m.get(i, j) + m.get(j, i));
            m.set(i, j, v);
            m.set(j, i, v);
        }
    }
    let (mut d, mut e, q) = tridiagonalise(m);
    // Work on Qᵀ so that each rotation touches two contiguous rows (eigenvectors).
    let mut qt = Matrix::zeros(n);
    for i in 0..n {
        for j in 0..n {
            qt.set(j, i, q.get(i, j));
        }
    }
    implicit_qr(&mut d, &mut e, &mut qt);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| d[j].total_cmp(&d[i]));
    SymmetricEigen {
        values: order.iter().map(|&k| d[k]).collect(),
        vectors: order
            .iter()
            .map(|&k| qt.data[k * n..(k + 1) * n].to_vec())
            .collect(),
    }
}

/// Householder reduction A = Q T Qᵀ; returns (diagonal, off-diagonal, Q).
fn tridiagonalise(mut a: Matrix) -> (Vec<f64>, Vec<f64>, Matrix) {
    let n = a.n;
    let mut q = Matrix::identity(n);
    let mut v = vec![0.0; n];
    let mut p = vec![0.0; n];
    for k in 0..n.saturating_sub(2) {
        let lo = k + 1;
        // x = A[k, k+1..] (row k, equal to the column by symmetry).
        let norm = a.data[k * n + lo..(k + 1) * n]
            .iter()
            .map(|x| x * x)
            .sum::<f64>()
            .sqrt();
        if norm == 0.0 {
            continue;
        }
        let x0 = a.get(k, lo);
        let alpha = if x0 > 0.0 { -norm } else { norm };
        for i in lo..n {
            v[i] = a.get(k, i);
        }
        v[lo] -= alpha;
        let vnorm = v[lo..n].iter().map(|x| x * x).sum::<f64>().sqrt();
        if vnorm == 0.0 {
            continue;
        }
        v[lo..n].iter_mut().for_each(|x| *x /= vnorm);
        // p = B v, K = vᵀ p, q = p − K v.
        for i in lo..n {
            p[i] = a.data[i * n + lo..(i + 1) * n]
                .iter()
                .zip(&v[lo..n])
                .map(|(x, y)| x * y)
                .sum();
        }
        let kk: f64 = p[lo..n].iter().zip(&v[lo..n]).map(|(x, y)| x * y).sum();
        for i in lo..n {
            p[i] -= kk * v[i];
        }
        // B ← B − 2 v qᵀ − 2 q vᵀ.
        for i in lo..n {
            let (vi, pi) = (2.0 * v[i], 2.0 * p[i]);
            let row = &mut a.data[i * n + lo..(i + 1) * n];
            for ((x, vj), pj) in row.iter_mut().zip(&v[lo..n]).zip(&p[lo..n]) {
                *x -= vi * pj + pi * vj;
            }
        }
        a.set(k, lo, alpha);
        a.set(lo, k, alpha);
        for i in lo + 1..n {
            a.set(k, i, 0.0);
            a.set(i, k, 0.0);
        }
        // Q ← Q H: each row r of Q loses 2 (Q[r, lo..] · v) v.
        for r in 0..n {
            let row = &mut q.data[r * n + lo..(r + 1) * n];
            let w = 2.0 * row.iter().zip(&v[lo..n]).map(|(x, y)| x * y).sum::<f64>();
            row.iter_mut().zip(&v[lo..n]).for_each(|(x, y)| *x -= w * y);
        }
    }
    let d = (0..n).map(|i| a.get(i, i)).collect();
    let e = (0..n.saturating_sub(1)).map(|i| a.get(i, i + 1)).collect();
    (d, e, q)
}

/// Diagonalise the symmetric tridiagonal (d, e) in place, accumulating the rotations into
/// `qt` = Qᵀ (row k ends up as the eigenvector of d[k]).
fn implicit_qr(d: &mut [f64], e: &mut [f64], qt: &mut Matrix) {
    let n = d.len();
    if n < 2 {
        return;
    }
    let negligible = |e: f64, a: f64, b: f64| e.abs() <= f64::EPSILON * (a.abs() + b.abs());
    let mut hi = n - 1;
    let mut iterations = 0usize;
    while hi > 0 {
        if negligible(e[hi - 1], d[hi - 1], d[hi]) {
            e[hi - 1] = 0.0;
            hi -= 1;
            iterations = 0;
            continue;
        }
        let mut lo = hi - 1;
        while lo > 0 && !negligible(e[lo - 1], d[lo - 1], d[lo]) {
            lo -= 1;
        }
        if lo > 0 {
            e[lo - 1] = 0.0;
        }
        iterations += 1;
        if iterations > 100 {
            // Unconverged (never observed for symmetric input): accept the current diagonal.
            e[hi - 1] = 0.0;
            continue;
        }
        // Wilkinson shift from the trailing 2×2 block [[a, b], [b, c]].
        let (a2, b2, c2) = (d[hi - 1], e[hi - 1], d[hi]);
        let delta = 0.5 * (a2 - c2);
        let sign = if delta >= 0.0 { 1.0 } else { -1.0 };
        let mu = c2 - b2 * b2 / (delta + sign * delta.hypot(b2));
        let mut x = d[lo] - mu;
        let mut z = e[lo];
        for k in lo..hi {
            let r = x.hypot(z);
            let (c, s) = if r == 0.0 { (1.0, 0.0) } else { (x / r, z / r) };
            if k > lo {
                e[k - 1] = r;
            }
            let (dk, dk1, ek) = (d[k], d[k + 1], e[k]);
            d[k] = c * c * dk + 2.0 * c * s * ek + s * s * dk1;
            d[k + 1] = s * s * dk - 2.0 * c * s * ek + c * c * dk1;
            e[k] = c * s * (dk1 - dk) + (c * c - s * s) * ek;
            if k + 1 < hi {
                x = e[k];
                z = s * e[k + 1];
                e[k + 1] *= c;
            }
            // Q ← Q Rᵀ, i.e. rows k and k+1 of Qᵀ rotate.
            let (head, tail) = qt.data.split_at_mut((k + 1) * n);
            let row_k = &mut head[k * n..];
            let row_k1 = &mut tail[..n];
            for (a, b) in row_k.iter_mut().zip(row_k1.iter_mut()) {
                let (qa, qb) = (*a, *b);
                *a = c * qa + s * qb;
                *b = -s * qa + c * qb;
            }
        }
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
                let v =
                    ((i * 31 + j * 17) % 11) as f64 / 3.0 - 1.5 + if i == j { 2.0 } else { 0.0 };
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

    fn check(a: &Matrix) {
        let n = a.n;
        let e = symmetric_eigen(a);
        let scale = a.data.iter().map(|x| x.abs()).fold(1.0, f64::max);
        for w in e.values.windows(2) {
            assert!(w[0] >= w[1]);
        }
        for (k, vk) in e.vectors.iter().enumerate() {
            for i in 0..n {
                let av: f64 = (0..n).map(|j| a.get(i, j) * vk[j]).sum();
                assert!(
                    (av - e.values[k] * vk[i]).abs() < 1e-9 * scale * n as f64,
                    "residual, n = {n}"
                );
            }
            for (l, vl) in e.vectors.iter().enumerate() {
                let d: f64 = vk.iter().zip(vl).map(|(x, y)| x * y).sum();
                assert!(
                    (d - if k == l { 1.0 } else { 0.0 }).abs() < 1e-9,
                    "orthonormality, n = {n}"
                );
            }
        }
    }

    #[test]
    fn larger_random_and_degenerate_matrices() {
        let mut seed = 12345u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for n in [1, 2, 3, 10, 60] {
            let mut a = Matrix::zeros(n);
            for i in 0..n {
                for j in 0..=i {
                    let v = rnd();
                    a.set(i, j, v);
                    a.set(j, i, v);
                }
            }
            check(&a);
        }
        // Repeated eigenvalues, a diagonal and an already tridiagonal matrix, a rank-1 matrix.
        check(&Matrix::identity(8));
        let mut diag = Matrix::zeros(5);
        (0..5).for_each(|i| diag.set(i, i, [3.0, -1.0, 3.0, 0.0, 2.0][i]));
        check(&diag);
        let e = symmetric_eigen(&diag);
        assert_eq!(e.values, vec![3.0, 3.0, 2.0, 0.0, -1.0]);
        let mut tri = Matrix::zeros(6);
        for i in 0..6 {
            tri.set(i, i, 2.0);
            if i + 1 < 6 {
                tri.set(i, i + 1, -1.0);
                tri.set(i + 1, i, -1.0);
            }
        }
        check(&tri);
        // Eigenvalues of the 1D Laplacian: 2 − 2 cos(kπ/7).
        let e = symmetric_eigen(&tri);
        for (k, v) in e.values.iter().rev().enumerate() {
            let want = 2.0 - 2.0 * ((k + 1) as f64 * std::f64::consts::PI / 7.0).cos();
            assert!((v - want).abs() < 1e-12);
        }
        let u: Vec<f64> = (0..7).map(|i| i as f64 - 3.0).collect();
        let mut rank1 = Matrix::zeros(7);
        for i in 0..7 {
            for j in 0..7 {
                rank1.set(i, j, u[i] * u[j]);
            }
        }
        check(&rank1);
        assert!((symmetric_eigen(&rank1).values[0] - 28.0).abs() < 1e-12);
    }

    #[test]
    fn two_by_two_closed_form() {
        let a = Matrix {
            n: 2,
            data: vec![2.0, 1.0, 1.0, 2.0],
        };
        let e = symmetric_eigen(&a);
        assert!((e.values[0] - 3.0).abs() < 1e-14 && (e.values[1] - 1.0).abs() < 1e-14);
        assert!((e.vectors[0][0].abs() - 0.5f64.sqrt()).abs() < 1e-14);
    }
}
