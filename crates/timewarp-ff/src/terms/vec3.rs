//! Minimal 3-vector arithmetic on `[f64; 3]`.

pub(crate) type V3 = [f64; 3];

#[inline(always)]
pub(crate) fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

#[inline(always)]
pub(crate) fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[inline(always)]
pub(crate) fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// `f += s a`
#[inline(always)]
pub(crate) fn add_scaled(f: &mut V3, a: V3, s: f64) {
    f[0] += s * a[0];
    f[1] += s * a[1];
    f[2] += s * a[2];
}
