//! Rescale + normalise as float arithmetic, recovered from the caller's table.
//!
//! The callers pass one 256-entry table per channel, built in NumPy in the reference's own
//! operation order. When a float32 table is exactly one of transformers' two orders for some
//! float32 `mean` and `std`, the values can be computed in SIMD lanes instead of gathered:
//! IEEE float32 arithmetic gives the same bits in a vector lane as in NumPy. The parameters
//! are found from the table's ends and accepted only if all 256 entries are reproduced bit
//! for bit, so a table that is not such a function just keeps the gather.

use std::sync::Mutex;

/// Which of transformers' operation orders a channel's table follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Slow (Pil) processors: `((v / 255) - mean) / std`, each step rounded to float32
    /// (`v / 255` in float32 equals NumPy's `float32(v * (1 / 255))` in float64 for every
    /// byte, checked by a test).
    Rescaled,
    /// Torchvision processors: `(v - mean) / std` with `mean` and `std` already scaled by
    /// 255 (their fused rescale + normalise).
    Fused,
}

/// One channel's normalisation as float32 arithmetic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    /// The operation order.
    pub order: Order,
    /// Subtracted after the rescale (`Rescaled`) or from the byte itself (`Fused`).
    pub mean: f32,
    /// The divisor.
    pub std: f32,
}

impl Affine {
    /// The scalar reference: the value this channel's table holds for byte `v`.
    #[must_use]
    pub fn eval(&self, v: u8) -> f32 {
        let x = f32::from(v);
        let x = match self.order {
            Order::Rescaled => x / 255.0,
            Order::Fused => x,
        };
        (x - self.mean) / self.std
    }

    /// Whether [`Self::eval`] reproduces all 256 entries of `table` bit for bit.
    #[must_use]
    pub fn reproduces(&self, table: &[f32]) -> bool {
        table.len() == 256
            && (0..=255u8).all(|v| self.eval(v).to_bits() == table[usize::from(v)].to_bits())
    }

    /// The parameters whose [`Self::eval`] is exactly `table` (256 entries), if any.
    ///
    /// `std` is estimated in float64 by a least-squares line through the 256 entries
    /// (within an ulp or two of the float32 value that built the table); `mean` then
    /// follows from `table[0] = -mean / std` (rounded once, so relatively as precise); the
    /// neighbouring float32 values of both are tried.
    #[must_use]
    pub fn recover(table: &[f32]) -> Option<Self> {
        if table.len() != 256 || !table.iter().all(|t| t.is_finite()) {
            return None;
        }
        let t0 = f64::from(table[0]);
        for (order, top) in [(Order::Fused, 255.0), (Order::Rescaled, 1.0)] {
            // table[v] ≈ (x_v - mean) / std with x_v = v · top / 255: slope 1/std.
            let x = |v: usize| v as f64 * top / 255.0;
            let mx = (0..256).map(x).sum::<f64>() / 256.0;
            let mt = table.iter().map(|&t| f64::from(t)).sum::<f64>() / 256.0;
            let (mut sxx, mut sxt) = (0.0, 0.0);
            for (v, &t) in table.iter().enumerate() {
                sxx += (x(v) - mx) * (x(v) - mx);
                sxt += (x(v) - mx) * (f64::from(t) - mt);
            }
            let std = (sxx / sxt) as f32;
            if !std.is_finite() || std == 0.0 {
                continue;
            }
            for ds in OFFSETS {
                let std = ulps(std, ds);
                let mean = (-t0 * f64::from(std)) as f32;
                for dm in OFFSETS {
                    let a = Affine {
                        order,
                        mean: ulps(mean, dm),
                        std,
                    };
                    if a.reproduces(table) {
                        return Some(a);
                    }
                }
            }
        }
        None
    }
}

/// Ulp offsets to try, nearest first.
const OFFSETS: [i32; 7] = [0, -1, 1, -2, 2, -3, 3];

/// `x` moved by `d` units in the last place (towards larger magnitude for `d > 0`).
fn ulps(x: f32, d: i32) -> f32 {
    f32::from_bits(x.to_bits().wrapping_add_signed(d))
}

/// Per-channel parameters for a `(channels, 256)` float32 table, all channels or none.
/// Recent answers are cached: processors pass the same few tables on every call.
#[must_use]
pub fn recover_all(lut: &[f32], channels: usize) -> Option<Vec<Affine>> {
    type Entry = (Vec<u32>, Option<Vec<Affine>>);
    static CACHE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
    let key: Vec<u32> = lut
        .get(..256 * channels)?
        .iter()
        .map(|v| v.to_bits())
        .collect();
    if let Ok(cache) = CACHE.lock() {
        if let Some((_, hit)) = cache.iter().find(|(k, _)| *k == key) {
            return hit.clone();
        }
    }
    let found: Option<Vec<Affine>> = lut
        .chunks_exact(256)
        .take(channels)
        .map(Affine::recover)
        .collect();
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= 8 {
            cache.remove(0);
        }
        cache.push((key, found.clone()));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NumPy's two orders, written as `_lut.py` computes them.
    fn slow_table(mean: f32, std: f32) -> Vec<f32> {
        (0..256)
            .map(|v| (((f64::from(v) * (1.0 / 255.0)) as f32) - mean) / std)
            .collect()
    }

    fn fast_table(mean: f32, std: f32) -> Vec<f32> {
        let (m, s) = (mean * 255.0, std * 255.0);
        (0..256).map(|v| (v as f32 - m) / s).collect()
    }

    #[test]
    fn float32_division_by_255_is_the_float64_rescale() {
        for v in 0..=255u8 {
            let want = (f64::from(v) * (1.0 / 255.0)) as f32;
            assert_eq!((f32::from(v) / 255.0).to_bits(), want.to_bits(), "byte {v}");
        }
    }

    #[test]
    fn recovers_the_processors_tables() {
        let params = [
            (0.481_454_66, 0.268_629_54),
            (0.457_827_5, 0.261_302_6),
            (0.408_210_73, 0.275_777_1),
            (0.485, 0.229),
            (0.456, 0.224),
            (0.406, 0.225),
            (0.5, 0.5),
            (0.0, 1.0),
            (1.0, 0.01),
            (-0.3, 3.0),
        ];
        for &(m, s) in &params {
            for (table, order) in [
                (slow_table(m, s), Order::Rescaled),
                (fast_table(m, s), Order::Fused),
            ] {
                let a = Affine::recover(&table).unwrap_or_else(|| panic!("{m} {s} {order:?}"));
                assert!(a.reproduces(&table));
            }
        }
    }

    #[test]
    fn recovers_random_parameters() {
        let mut seed = 3u64;
        let mut unit = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..3000 {
            let m = (unit() * 3.0 - 1.0) as f32;
            let s = (0.01 + unit() * 4.0) as f32;
            for table in [slow_table(m, s), fast_table(m, s)] {
                assert!(Affine::recover(&table).is_some(), "mean {m} std {s}");
            }
        }
    }

    #[test]
    fn refuses_tables_that_are_not_affine() {
        let mut t = fast_table(0.5, 0.5);
        t[100] = t[101];
        assert_eq!(Affine::recover(&t), None);
        let mut t = slow_table(0.5, 0.5);
        t[7] = f32::NAN;
        assert_eq!(Affine::recover(&t), None);
        let flat = vec![1.0f32; 256];
        assert_eq!(Affine::recover(&flat), None);
        assert_eq!(recover_all(&flat, 1), None);
    }
}
