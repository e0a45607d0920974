//! A small radix-2 fast Fourier transform, enough for autocorrelation functions of long
//! series (O(N log N) instead of O(N²)).

/// A complex number as (re, im).
pub type Complex = [f64; 2];

/// In-place forward DFT X_k = Σ_n x_n e^{−2πi kn/N} of a power-of-two length (iterative
/// Cooley–Tukey with bit-reversal permutation). Panics only on a non-power-of-two length,
/// which callers in this crate never pass.
pub fn fft_in_place(x: &mut [Complex]) {
    let n = x.len();
    assert!(n.is_power_of_two(), "fft length {n} is not a power of two");
    if n <= 1 {
        return;
    }
    // Bit-reversal permutation.
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if j > i {
            x.swap(i, j);
        }
    }
    // Butterflies of growing span.
    let mut len = 2;
    while len <= n {
        let angle = -2.0 * std::f64::consts::PI / len as f64;
        let half = len / 2;
        // Twiddles w^k = e^{−2πi k/len} computed directly (no accumulated rounding).
        let twiddles: Vec<Complex> = (0..half)
            .map(|k| [(angle * k as f64).cos(), (angle * k as f64).sin()])
            .collect();
        for start in (0..n).step_by(len) {
            for k in 0..half {
                let a = x[start + k];
                let b = mul(x[start + k + half], twiddles[k]);
                x[start + k] = [a[0] + b[0], a[1] + b[1]];
                x[start + k + half] = [a[0] - b[0], a[1] - b[1]];
            }
        }
        len *= 2;
    }
}

/// In-place inverse DFT x_n = (1/N) Σ_k X_k e^{+2πi kn/N}, via conj(FFT(conj X)) / N.
pub fn ifft_in_place(x: &mut [Complex]) {
    let n = x.len() as f64;
    x.iter_mut().for_each(|c| c[1] = -c[1]);
    fft_in_place(x);
    x.iter_mut().for_each(|c| *c = [c[0] / n, -c[1] / n]);
}

fn mul(a: Complex, b: Complex) -> Complex {
    [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_dft(x: &[Complex]) -> Vec<Complex> {
        let n = x.len();
        (0..n)
            .map(|k| {
                let mut s = [0.0, 0.0];
                for (j, v) in x.iter().enumerate() {
                    let a = -2.0 * std::f64::consts::PI * (k * j) as f64 / n as f64;
                    let w = mul(*v, [a.cos(), a.sin()]);
                    s[0] += w[0];
                    s[1] += w[1];
                }
                s
            })
            .collect()
    }

    #[test]
    fn matches_naive_dft_and_inverts() {
        let x: Vec<Complex> = (0..16)
            .map(|i| [((i * 7) % 5) as f64 - 2.0, ((i * 3) % 4) as f64 * 0.5])
            .collect();
        let mut y = x.clone();
        fft_in_place(&mut y);
        for (a, b) in y.iter().zip(naive_dft(&x)) {
            assert!((a[0] - b[0]).abs() < 1e-12 && (a[1] - b[1]).abs() < 1e-12);
        }
        ifft_in_place(&mut y);
        for (a, b) in y.iter().zip(&x) {
            assert!((a[0] - b[0]).abs() < 1e-12 && (a[1] - b[1]).abs() < 1e-12);
        }
    }
}
