//! torchvision's uint8 antialiased resize (= pillow-simd): int16 weights with a
//! per-axis precision.
//!
//! torch (`aten/src/ATen/native/cpu/UpSampleKernel.cpp`, `_compute_index_ranges_int16_weights`)
//! and pillow-simd (`normalize_coeffs_8bpc`) take the same normalised f64 weights as Pillow
//! ([`FloatWeights`]) but store them as i16 scaled by `2^p`, where `p` is the largest
//! precision (at most 22) at which the axis' biggest weight, scaled by `2^(p+1)`, would still
//! round below `2^15`. A pass then computes `clamp((2^(p-1) + sum(px * k)) >> p, 0, 255)`:
//! the shared passes with [`Coeffs::precision`] = `p` (the AVX2 ones need a single
//! `vpmaddwd` per tap for such tables). Every sum is exact in i32, so the order of the
//! additions (torch's AVX2 kernels, ours, the scalar loop) cannot change a byte.

use super::coeffs::{Coeffs, FloatWeights, Kernel1d};

/// The largest precision torch and pillow-simd try (`PRECISION_BITS` in pillow-simd).
pub const MAX_PRECISION: u32 = 22;

/// One axis' i16 weights as torch stores them.
#[derive(Debug, Clone)]
pub struct Int16Coeffs {
    /// First input index of each output's window.
    pub start: Vec<usize>,
    /// Window length of each output.
    pub len: Vec<usize>,
    /// Row length of `k`.
    pub ksize: usize,
    /// Weights scaled by `2^precision`, rounded half away from zero; zero past `len`.
    pub k: Vec<i16>,
    /// Fraction bits of `k` (`weights_precision` in torch).
    pub precision: u32,
}

/// torch's precision rule: stop before the biggest weight would reach `2^15` at the next bit.
#[must_use]
pub fn precision_for(max_weight: f64) -> u32 {
    let mut p = 0;
    while p < MAX_PRECISION {
        // C: `(int) (0.5 + w_max * (1 << (p + 1)))`, truncation toward zero.
        let next = (0.5 + max_weight * f64::from(1u32 << (p + 1))) as i32;
        if next >= 1 << 15 {
            break;
        }
        p += 1;
    }
    p
}

impl Int16Coeffs {
    /// The weights of `n_in -> n_out` samples for `kernel`, as torch computes them.
    #[must_use]
    pub fn new(n_in: usize, n_out: usize, kernel: Kernel1d) -> Self {
        let f = FloatWeights::new(n_in, n_out, kernel);
        // torch takes the maximum over normalised rows only, starting from 0.
        let max_weight =
            f.w.chunks_exact(f.ksize)
                .zip(&f.normalised)
                .filter(|(_, &ok)| ok)
                .flat_map(|(row, _)| row.iter().copied())
                .fold(0.0, f64::max);
        let precision = precision_for(max_weight);
        let scale = f64::from(1u32 << precision);
        let k =
            f.w.iter()
                .map(|&wj| {
                    let v = wj * scale;
                    let r = if v < 0.0 {
                        (-0.5 + v) as i32
                    } else {
                        (0.5 + v) as i32
                    };
                    // C's implicit int -> int16_t conversion; |r| < 2^15 by the precision rule.
                    r as i16
                })
                .collect();
        Self {
            start: f.start,
            len: f.len,
            ksize: f.ksize,
            k,
            precision,
        }
    }

    /// The weights of output `i` (exactly `len[i]` of them).
    #[must_use]
    pub fn weights(&self, i: usize) -> &[i16] {
        &self.k[i * self.ksize..i * self.ksize + self.len[i]]
    }

    /// The table in the layout the shared passes read (same values and precision).
    #[must_use]
    pub fn into_coeffs(self) -> Coeffs {
        Coeffs {
            start: self.start,
            len: self.len,
            ksize: self.ksize,
            k: self.k.iter().map(|&v| i32::from(v)).collect(),
            precision: self.precision,
            simd_pairs: std::sync::OnceLock::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::coeffs::kernel_for;
    use super::super::Filter;
    use super::*;

    fn bicubic() -> Kernel1d {
        kernel_for(Filter::Bicubic).unwrap()
    }

    #[test]
    fn precision_rule_hand_checked() {
        // Weight 1 (identity): 2^15 is reached at p + 1 = 15.
        assert_eq!(precision_for(1.0), 14);
        // 0.5: p = 15 gives 0.5 * 2^16 = 2^15.
        assert_eq!(precision_for(0.5), 15);
        // Just under 0.5: round(w * 2^16) = 32761 still fits, so one more bit.
        assert_eq!(precision_for(0.4999), 16);
        // Tiny weights stop at the cap.
        assert_eq!(precision_for(1e-4), MAX_PRECISION);
    }

    #[test]
    fn identity_scale_is_a_unit_impulse_at_precision_14() {
        let c = Int16Coeffs::new(9, 9, bicubic());
        assert_eq!(c.precision, 14);
        for i in 0..9 {
            let at = i - c.start[i];
            for (j, &v) in c.weights(i).iter().enumerate() {
                assert_eq!(v, if j == at { 1 << 14 } else { 0 });
            }
        }
    }

    #[test]
    fn bilinear_4_to_2_uses_precision_16() {
        // 4 -> 2: weights 3/7, 3/7, 1/7; 2^16 * 3/7 = 28086 < 2^15 <= 2^17 * 3/7, so p = 16.
        let c = Int16Coeffs::new(4, 2, kernel_for(Filter::Bilinear).unwrap());
        assert_eq!(c.precision, 16);
        let fx = |num: f64| (num / 7.0 * 65536.0 + 0.5) as i16;
        assert_eq!(c.weights(0), &[fx(3.0), fx(3.0), fx(1.0)]);
    }

    #[test]
    fn weights_sum_to_one_and_fit_i16() {
        for (a, b) in [
            (100, 7),
            (7, 100),
            (1, 5),
            (5, 1),
            (1000, 999),
            (4032, 1148),
        ] {
            let c = Int16Coeffs::new(a, b, bicubic());
            for i in 0..b {
                let s: i64 = c.weights(i).iter().map(|&v| i64::from(v)).sum();
                assert!(
                    (s - (1 << c.precision)).abs() <= c.len[i] as i64,
                    "{a}->{b} {i}"
                );
            }
            let t = c.clone().into_coeffs();
            assert!(t.fits_i16() && t.precision == c.precision);
            assert_eq!(t.weights(b - 1).len(), c.weights(b - 1).len());
        }
    }
}
