//! Pillow's resampling filters and its fixed-point coefficient tables (`Resample.c`).
//!
//! Every floating-point step is written in the same order as Pillow so the rounded
//! 22-bit integer weights come out identical.

use std::f64::consts::PI;
use std::sync::OnceLock;

use super::Filter;

/// Fraction bits of the fixed-point weights: `32 - 8 - 2` in Pillow.
pub const PRECISION_BITS: u32 = 22;
/// Added to every accumulator before the final shift (round half up).
pub const ROUND_HALF: i32 = 1 << (PRECISION_BITS - 1);

/// A convolution filter: kernel function and support radius at scale 1.
#[derive(Clone, Copy)]
pub struct Kernel1d {
    /// The continuous kernel, evaluated exactly as Pillow's C does.
    pub eval: fn(f64) -> f64,
    /// Half-width of the kernel's non-zero region at scale 1.
    pub support: f64,
}

fn box_filter(x: f64) -> f64 {
    if x > -0.5 && x <= 0.5 {
        1.0
    } else {
        0.0
    }
}

fn bilinear_filter(x: f64) -> f64 {
    let x = x.abs();
    if x < 1.0 {
        1.0 - x
    } else {
        0.0
    }
}

fn hamming_filter(x: f64) -> f64 {
    let x = x.abs();
    if x == 0.0 {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    let x = x * PI;
    // Pillow spells the constants as C floats (0.54f, 0.46f), widened to double.
    x.sin() / x * (f64::from(0.54f32) + f64::from(0.46f32) * x.cos())
}

fn bicubic_filter(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        return 1.0;
    }
    let x = x * PI;
    x.sin() / x
}

fn lanczos_filter(x: f64) -> f64 {
    if (-3.0..3.0).contains(&x) {
        sinc(x) * sinc(x / 3.0)
    } else {
        0.0
    }
}

/// The kernel Pillow uses for a convolution filter; `None` for [`Filter::Nearest`].
#[must_use]
pub fn kernel_for(filter: Filter) -> Option<Kernel1d> {
    let (eval, support): (fn(f64) -> f64, f64) = match filter {
        Filter::Nearest => return None,
        Filter::Box => (box_filter, 0.5),
        Filter::Bilinear => (bilinear_filter, 1.0),
        Filter::Hamming => (hamming_filter, 1.0),
        Filter::Bicubic => (bicubic_filter, 2.0),
        Filter::Lanczos => (lanczos_filter, 3.0),
    };
    Some(Kernel1d { eval, support })
}

/// Fixed-point weights for one axis: output `i` reads inputs `start[i] .. start[i] + len[i]`
/// with weights `k[i * ksize .. i * ksize + len[i]]` (the rest of each row is zero).
///
/// A pass computes `clamp((2^(precision-1) + sum(px * k)) >> precision, 0, 255)`.
#[derive(Debug, Clone)]
pub struct Coeffs {
    /// First input index of each output's window.
    pub start: Vec<usize>,
    /// Window length of each output (>= 1).
    pub len: Vec<usize>,
    /// Row length of `k`: Pillow's maximum window size for this scale.
    pub ksize: usize,
    /// Weights scaled by `2^precision`, rounded half away from zero.
    pub k: Vec<i32>,
    /// Fraction bits of `k`: 22 for Pillow, 1..=22 for torchvision (int16 weights).
    pub precision: u32,
    /// The AVX2 horizontal pass's weight records, derived from the fields above on first
    /// use so passes run block by block do not rebuild them (a table is not changed once
    /// a pass has read it).
    pub(super) simd_pairs: OnceLock<Vec<i32>>,
}

/// Normalised floating-point weights for one axis, before any fixed-point rounding.
///
/// Pillow (`precompute_coeffs`) and torch (`_compute_indices_min_size_weights_aa`, the
/// antialiased path pillow-simd's code was ported to) compute these with the same f64
/// operations in the same order; only the conversion to integers differs.
#[derive(Debug, Clone)]
pub struct FloatWeights {
    /// First input index of each output's window.
    pub start: Vec<usize>,
    /// Window length of each output.
    pub len: Vec<usize>,
    /// Row length of `w`: `2 * ceil(support) + 1`.
    pub ksize: usize,
    /// Weights divided by their row sum (left as is when the sum is 0); zero past `len`.
    pub w: Vec<f64>,
    /// Whether each row's sum was non-zero (torch's `wt_max` ignores the other rows).
    pub normalised: Vec<bool>,
}

impl FloatWeights {
    /// The weights of `n_in -> n_out` samples for `kernel`, antialiased on downscale.
    #[must_use]
    pub fn new(n_in: usize, n_out: usize, kernel: Kernel1d) -> Self {
        let scale = n_in as f64 / n_out as f64;
        let filterscale = scale.max(1.0);
        let support = kernel.support * filterscale;
        let ksize = support.ceil() as usize * 2 + 1;
        let inv_filterscale = 1.0 / filterscale;
        let mut start = Vec::with_capacity(n_out);
        let mut len = Vec::with_capacity(n_out);
        let mut normalised = Vec::with_capacity(n_out);
        let mut w = vec![0f64; n_out * ksize];
        for (i, row) in w.chunks_exact_mut(ksize).enumerate() {
            let center = (i as f64 + 0.5) * scale;
            // C's `(int)` truncates toward zero; negatives clamp to 0 either way.
            let lo = (center - support + 0.5).max(0.0) as usize;
            let hi = ((center + support + 0.5) as usize).min(n_in);
            // Never more than `ksize` in f64 (torch clamps it anyway, Pillow cannot need it).
            let n = (hi - lo).min(ksize);
            let mut total = 0.0;
            for (j, wj) in row[..n].iter_mut().enumerate() {
                *wj = (kernel.eval)(((j + lo) as f64 - center + 0.5) * inv_filterscale);
                total += *wj;
            }
            if total != 0.0 {
                for wj in &mut row[..n] {
                    *wj /= total;
                }
            }
            start.push(lo);
            len.push(n);
            normalised.push(total != 0.0);
        }
        Self {
            start,
            len,
            ksize,
            w,
            normalised,
        }
    }
}

impl Coeffs {
    /// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for `n_in -> n_out` samples.
    #[must_use]
    pub fn new(n_in: usize, n_out: usize, kernel: Kernel1d) -> Self {
        let f = FloatWeights::new(n_in, n_out, kernel);
        let k =
            f.w.iter()
                .map(|&wj| {
                    let scaled = wj * f64::from(1u32 << PRECISION_BITS);
                    if wj < 0.0 {
                        (scaled - 0.5) as i32
                    } else {
                        (scaled + 0.5) as i32
                    }
                })
                .collect();
        Self {
            start: f.start,
            len: f.len,
            ksize: f.ksize,
            k,
            precision: PRECISION_BITS,
            simd_pairs: OnceLock::new(),
        }
    }

    /// The table for outputs `range` only (a band of a pass run on several threads).
    #[must_use]
    pub fn outputs(&self, range: std::ops::Range<usize>) -> Self {
        Self {
            start: self.start[range.clone()].to_vec(),
            len: self.len[range.clone()].to_vec(),
            ksize: self.ksize,
            k: self.k[range.start * self.ksize..range.end * self.ksize].to_vec(),
            precision: self.precision,
            simd_pairs: OnceLock::new(),
        }
    }

    /// The accumulator's starting value: one half in the table's fixed point.
    #[must_use]
    pub fn round(&self) -> i32 {
        1 << (self.precision - 1)
    }

    /// Whether every weight fits an i16 (one `vpmaddwd` per tap instead of two).
    #[must_use]
    pub fn fits_i16(&self) -> bool {
        self.k.iter().all(|&v| i16::try_from(v).is_ok())
    }

    /// Number of outputs.
    #[must_use]
    pub fn n_out(&self) -> usize {
        self.start.len()
    }

    /// The weights of output `i` (exactly `len[i]` of them).
    #[must_use]
    pub fn weights(&self, i: usize) -> &[i32] {
        &self.k[i * self.ksize..i * self.ksize + self.len[i]]
    }

    /// The input range `[first, last)` read by any output (Pillow's `ybox_first/last`).
    #[must_use]
    pub fn input_span(&self) -> (usize, usize) {
        let n = self.n_out();
        (self.start[0], self.start[n - 1] + self.len[n - 1])
    }
}

/// Pillow's `clip8`: the accumulator's integer part (`precision` fraction bits) clamped
/// to a byte.
#[inline(always)]
#[must_use]
pub fn clip8(acc: i32, precision: u32) -> u8 {
    (acc >> precision).clamp(0, 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_scale_is_a_unit_impulse() {
        let c = Coeffs::new(7, 7, kernel_for(Filter::Bicubic).unwrap());
        for i in 0..7 {
            let w = c.weights(i);
            let at = i - c.start[i];
            for (j, &v) in w.iter().enumerate() {
                assert_eq!(v, if j == at { 1 << 22 } else { 0 });
            }
        }
    }

    #[test]
    fn bilinear_downscale_by_two_hand_checked() {
        // 2 -> 1: centre 1, support 2, taps at +-0.25 -> equal halves.
        let c = Coeffs::new(2, 1, kernel_for(Filter::Bilinear).unwrap());
        assert_eq!((c.start[0], c.weights(0)), (0, &[1 << 21, 1 << 21][..]));
        // 4 -> 2, output 0: centre 1, window [0, 3), raw weights 3/4, 3/4, 1/4 -> 3/7, 3/7, 1/7.
        let c = Coeffs::new(4, 2, kernel_for(Filter::Bilinear).unwrap());
        let fx = |num: f64| (num / 7.0 * 4194304.0 + 0.5) as i32;
        assert_eq!(c.weights(0), &[fx(3.0), fx(3.0), fx(1.0)]);
        assert_eq!(
            (c.start[1], c.weights(1)),
            (1, &[fx(1.0), fx(3.0), fx(3.0)][..])
        );
    }

    #[test]
    fn weights_sum_to_one_within_rounding() {
        for f in [
            Filter::Box,
            Filter::Bilinear,
            Filter::Hamming,
            Filter::Bicubic,
            Filter::Lanczos,
        ] {
            for (a, b) in [(100, 7), (7, 100), (1, 5), (5, 1), (1000, 999)] {
                let c = Coeffs::new(a, b, kernel_for(f).unwrap());
                for i in 0..b {
                    let s: i64 = c.weights(i).iter().map(|&v| i64::from(v)).sum();
                    assert!(
                        (s - (1 << 22)).abs() <= c.len[i] as i64,
                        "{f:?} {a}->{b} out {i}: {s}"
                    );
                }
            }
        }
    }

    #[test]
    fn clip8_floors_and_clamps() {
        assert_eq!(clip8(ROUND_HALF + (5 << 22), 22), 5);
        assert_eq!(clip8(-1, 22), 0);
        assert_eq!(clip8(300 << 22, 22), 255);
        assert_eq!(clip8((1 << 13) + (7 << 14), 14), 7);
    }
}
