//! Resolution choice for Qwen2-VL-style models: `smart_resize` and its variants.
//!
//! Every function reproduces the float operation order of the Python reference so the
//! result is identical for every input it accepts: f64 arithmetic, Python's
//! half-to-even `round`, `(h / beta) / factor` and `(h * beta) / factor` in that order.

use super::error::{invalid_arg, Error, Result};

/// Largest side we accept. Keeps `h * w` (and `t * h * w`) exact in f64 and in u64.
pub const MAX_SIDE: u64 = 1 << 24;

/// Largest `min_pixels`: a [`MAX_SIDE`] square. Larger minimums would up-scale past every
/// side limit (and past `u64` in the ceiling branch).
pub const MAX_MIN_PIXELS: f64 = (MAX_SIDE * MAX_SIDE) as f64;

/// Qwen2-VL's aspect-ratio limit: `max / min > 200` is refused (exactly 200 passes).
pub const MAX_ASPECT_RATIO: f64 = 200.0;

/// Which reference's `smart_resize` rule to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmartResizeRule {
    /// transformers `qwen2_vl.image_processing_qwen2_vl.smart_resize`: the first rounding
    /// is not clamped, the shrink branch clamps each side to at least `factor`.
    Transformers,
    /// qwen-vl-utils 0.0.14 `smart_resize`: the first rounding is clamped to `factor`,
    /// the shrink branch is not (it can floor a side to 0, which we refuse).
    QwenVlUtils,
}

/// Which transformers release's Qwen3-VL video `smart_resize` to follow: they differ on
/// frames with a side below `factor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoResizeRule {
    /// transformers 4.x: such frames are refused.
    Transformers4,
    /// transformers 5.x: such frames are first scaled up (both sides by
    /// `max(factor / h, factor / w)`, each truncated to an integer) and then planned.
    Transformers5,
}

/// Formats an f64 the way Python's `repr` does for the values that occur in messages.
pub(crate) fn py_float(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

fn check_side(name: &str, v: u64) -> Result<()> {
    if v == 0 {
        return invalid_arg!("{name} must be a positive number of pixels, got 0");
    }
    if v > MAX_SIDE {
        return invalid_arg!(
            "{name}={v} is larger than the supported maximum of {MAX_SIDE} pixels"
        );
    }
    Ok(())
}

fn check_budget(factor: u64, min_pixels: f64, max_pixels: f64) -> Result<()> {
    if factor == 0 || factor > MAX_SIDE {
        return invalid_arg!("factor must be between 1 and {MAX_SIDE}, got {factor}");
    }
    if !(min_pixels.is_finite() && (0.0..=MAX_MIN_PIXELS).contains(&min_pixels)) {
        return Err(Error::Budget(format!(
            "min_pixels must be a finite number between 0 and {} (a {MAX_SIDE}-pixel square), \
             got {}",
            py_float(MAX_MIN_PIXELS),
            py_float(min_pixels)
        )));
    }
    if !(max_pixels.is_finite() && max_pixels > 0.0) {
        return Err(Error::Budget(format!(
            "max_pixels must be a finite number > 0, got {}",
            py_float(max_pixels)
        )));
    }
    if min_pixels > max_pixels {
        return Err(Error::Budget(format!(
            "min_pixels ({}) must not exceed max_pixels ({})",
            py_float(min_pixels),
            py_float(max_pixels)
        )));
    }
    Ok(())
}

fn check_aspect(height: u64, width: u64) -> Result<()> {
    // `max / min > 200` in f64 is the same test as this integer one: a true ratio above
    // 200 is at least 1/min (>= 2^-24) above it, far more than f64 rounding can hide.
    if height.max(width) > 200 * height.min(width) {
        let ratio = height.max(width) as f64 / height.min(width) as f64;
        return Err(Error::AspectRatio(format!(
            "absolute aspect ratio must be smaller than 200, got {} (height={height}, width={width})",
            py_float(ratio)
        )));
    }
    Ok(())
}

/// A validated budget with the factor's reciprocal precomputed for the per-row math.
#[derive(Debug, Clone, Copy)]
struct Budget {
    factor: u64,
    inv_factor: f64,
    min_pixels: f64,
    max_pixels: f64,
    rule: SmartResizeRule,
}

impl Budget {
    fn new(factor: u64, min_pixels: f64, max_pixels: f64, rule: SmartResizeRule) -> Result<Self> {
        check_budget(factor, min_pixels, max_pixels)?;
        Ok(Self {
            factor,
            inv_factor: 1.0 / factor as f64,
            min_pixels,
            max_pixels,
            rule,
        })
    }

    /// `round(v / factor) * factor` with Python's half-to-even rounding, in integers (the
    /// f64 quotient of two integers below 2^24 is never rounded across a half-way point).
    /// The quotient comes from a reciprocal multiply, corrected by one step if it is off.
    #[inline]
    fn round_by(&self, v: u64) -> u64 {
        let f = self.factor;
        let mut q = (v as f64 * self.inv_factor) as u64;
        if q * f > v {
            q -= 1;
        } else if (q + 1) * f <= v {
            q += 1;
        }
        let r = v - q * f;
        let up = match (2 * r).cmp(&f) {
            std::cmp::Ordering::Greater => 1,
            std::cmp::Ordering::Equal => q & 1,
            std::cmp::Ordering::Less => 0,
        };
        (q + up) * f
    }

    /// Cheap form of every per-row check: sides in range, aspect ratio at most 200.
    #[inline]
    fn row_is_valid(height: u64, width: u64) -> bool {
        (1..=MAX_SIDE).contains(&height)
            && (1..=MAX_SIDE).contains(&width)
            && height.max(width) <= 200 * height.min(width)
    }

    /// The resize for a row that passed [`Self::row_is_valid`]; may contain a zero side.
    #[inline]
    fn resize_valid(&self, height: u64, width: u64) -> (u64, u64) {
        let factor = self.factor;
        let (mut hb, mut wb) = (self.round_by(height), self.round_by(width));
        if self.rule == SmartResizeRule::QwenVlUtils {
            hb = hb.max(factor);
            wb = wb.max(factor);
        }
        let planned = (hb * wb) as f64;
        if planned > self.max_pixels {
            let (h, w) = (height as f64, width as f64);
            let beta = ((height * width) as f64 / self.max_pixels).sqrt();
            hb = floor_by(h / beta, factor);
            wb = floor_by(w / beta, factor);
            if self.rule == SmartResizeRule::Transformers {
                hb = hb.max(factor);
                wb = wb.max(factor);
            }
        } else if planned < self.min_pixels {
            let (h, w) = (height as f64, width as f64);
            let beta = (self.min_pixels / (height * width) as f64).sqrt();
            hb = ceil_by(h * beta, factor);
            wb = ceil_by(w * beta, factor);
        }
        (hb, wb)
    }

    fn resize(&self, height: u64, width: u64) -> Result<(u64, u64)> {
        check_side("height", height)?;
        check_side("width", width)?;
        check_aspect(height, width)?;
        nonzero(height, width, self.resize_valid(height, width))
    }
}

/// `floor(x / factor) * factor` for `x >= 0`. Truncation is floor here, and avoids a libm
/// call on targets without SSE4.1.
fn floor_by(x: f64, factor: u64) -> u64 {
    (x / factor as f64) as u64 * factor
}

/// `ceil(x / factor) * factor` for `x >= 0`, without a libm call.
fn ceil_by(x: f64, factor: u64) -> u64 {
    let q = x / factor as f64;
    let t = q as u64;
    (if (t as f64) < q { t + 1 } else { t }) * factor
}

fn nonzero(height: u64, width: u64, out: (u64, u64)) -> Result<(u64, u64)> {
    if out.0 == 0 || out.1 == 0 {
        return Err(Error::Budget(format!(
            "({height}, {width}) resizes to a zero side {out:?} under this pixel budget; \
             raise min_pixels or max_pixels"
        )));
    }
    Ok(out)
}

/// Chooses the resized `(height, width)`: both multiples of `factor`, the pixel count
/// inside `[min_pixels, max_pixels]` where the reference manages it, the aspect ratio kept.
///
/// # Errors
/// Zero or oversized sides, `min_pixels > max_pixels`, an aspect ratio above 200, or a
/// result with a zero side (the references return it; we refuse it).
pub fn smart_resize(
    height: u64,
    width: u64,
    factor: u64,
    min_pixels: f64,
    max_pixels: f64,
    rule: SmartResizeRule,
) -> Result<(u64, u64)> {
    Budget::new(factor, min_pixels, max_pixels, rule)?.resize(height, width)
}

/// Qwen3-VL's video `smart_resize(num_frames, h, w)`: the budget covers the whole clip
/// (`t_bar * h * w`); clips shorter than `temporal_factor` are refused, and sides below
/// `factor` are refused or scaled up first as `rule` says.
///
/// # Errors
/// As [`smart_resize`], plus `num_frames < temporal_factor` and (transformers 4.x) sides
/// below `factor`.
#[allow(clippy::too_many_arguments)]
pub fn video_smart_resize(
    num_frames: u64,
    height: u64,
    width: u64,
    temporal_factor: u64,
    factor: u64,
    min_pixels: f64,
    max_pixels: f64,
    rule: VideoResizeRule,
) -> Result<(u64, u64)> {
    check_side("height", height)?;
    check_side("width", width)?;
    check_budget(factor, min_pixels, max_pixels)?;
    if temporal_factor == 0 {
        return invalid_arg!("temporal_factor must be >= 1, got 0");
    }
    if num_frames > MAX_SIDE {
        return invalid_arg!(
            "num_frames={num_frames} is larger than the supported maximum {MAX_SIDE}"
        );
    }
    if num_frames < temporal_factor {
        return invalid_arg!(
            "num_frames={num_frames} is below temporal_factor={temporal_factor}; accepted: \
             num_frames >= temporal_factor (one temporal patch at least)"
        );
    }
    let (given_h, given_w) = (height, width);
    let (mut height, mut width) = (height, width);
    if height < factor || width < factor {
        if rule == VideoResizeRule::Transformers4 {
            return Err(Error::InvalidImage(format!(
                "height:{height} or width:{width} must be larger than factor:{factor}"
            )));
        }
        let f = factor as f64;
        let scale = (f / height as f64).max(f / width as f64);
        // Python's int() of a positive float: truncation.
        height = (height as f64 * scale) as u64;
        width = (width as f64 * scale) as u64;
    }
    check_aspect(height, width)?;
    let b = Budget::new(
        factor,
        min_pixels,
        max_pixels,
        SmartResizeRule::Transformers,
    )?;
    let (mut hb, mut wb) = (b.round_by(height), b.round_by(width));
    let tb =
        Budget::new(temporal_factor, 0.0, 1.0, SmartResizeRule::Transformers)?.round_by(num_frames);
    let (h, w) = (height as f64, width as f64);
    // t * h * w < 2^72 in the worst case; u128 keeps it exact before the one rounding.
    let volume = (u128::from(num_frames) * u128::from(height) * u128::from(width)) as f64;
    let planned = (u128::from(tb) * u128::from(hb) * u128::from(wb)) as f64;
    if planned > max_pixels {
        let beta = (volume / max_pixels).sqrt();
        hb = floor_by(h / beta, factor).max(factor);
        wb = floor_by(w / beta, factor).max(factor);
    } else if planned < min_pixels {
        let beta = (min_pixels / volume).sqrt();
        hb = ceil_by(h * beta, factor);
        wb = ceil_by(w * beta, factor);
    }
    nonzero(given_h, given_w, (hb, wb))
}

/// What [`smart_resize_many`] does with a row [`smart_resize`] refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowErrors {
    /// Fail on the first bad row, naming it.
    Raise,
    /// Write `-1` for both sides of the bad row and go on.
    Mask,
}

/// [`smart_resize`] over many sizes at once, writing into `out_h` / `out_w`.
///
/// # Errors
/// Slices of different lengths, or (with [`RowErrors::Raise`]) the first row that
/// [`smart_resize`] refuses, with its index and sizes in the message.
#[allow(clippy::too_many_arguments)]
pub fn smart_resize_many(
    heights: &[i64],
    widths: &[i64],
    factor: u64,
    min_pixels: f64,
    max_pixels: f64,
    rule: SmartResizeRule,
    on_error: RowErrors,
    out_h: &mut [i64],
    out_w: &mut [i64],
) -> Result<()> {
    let n = heights.len();
    if widths.len() != n || out_h.len() != n || out_w.len() != n {
        return invalid_arg!(
            "heights and widths must have the same length, got {} and {}",
            n,
            widths.len()
        );
    }
    let budget = Budget::new(factor, min_pixels, max_pixels, rule)?;
    for i in 0..n {
        let (h, w) = (heights[i] as u64, widths[i] as u64); // negatives wrap and fail the check
        if Budget::row_is_valid(h, w) {
            let (a, b) = budget.resize_valid(h, w);
            if a != 0 && b != 0 {
                out_h[i] = a as i64;
                out_w[i] = b as i64;
                continue;
            }
        }
        match on_error {
            RowErrors::Mask => {
                out_h[i] = -1;
                out_w[i] = -1;
            }
            RowErrors::Raise => {
                let e = match (u64::try_from(heights[i]), u64::try_from(widths[i])) {
                    (Ok(h), Ok(w)) => budget.resize(h, w).err(),
                    _ => Some(Error::InvalidArgument(format!(
                        "sides must be positive, got ({}, {})",
                        heights[i], widths[i]
                    ))),
                };
                let e = e.unwrap_or_else(|| Error::InvalidArgument("inconsistent row".into()));
                return Err(e.context(&format!("row {i}")));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use SmartResizeRule::{QwenVlUtils as Q, Transformers as T};

    #[test]
    fn spec_table_transformers() {
        let hub = |h, w| smart_resize(h, w, 28, 3136.0, 12_845_056.0, T).unwrap();
        let cls = |h, w| smart_resize(h, w, 28, 3136.0, 1_003_520.0, T).unwrap();
        assert_eq!(hub(1, 1), (56, 56));
        assert_eq!(hub(70, 70), (56, 56));
        assert_eq!(hub(480, 640), (476, 644));
        assert_eq!(hub(1080, 1920), (1092, 1932));
        assert_eq!(cls(1080, 1920), (728, 1316));
        assert_eq!(cls(8000, 6000), (1148, 840));
        assert_eq!(hub(10, 2000), (28, 812));
        assert_eq!(hub(500, 14), (336, 28));
        assert_eq!(hub(1, 200), (28, 812));
    }

    #[test]
    fn spec_table_qwen_vl_utils() {
        let q = |h, w| smart_resize(h, w, 28, 3136.0, 12_845_056.0, Q).unwrap();
        assert_eq!(q(10, 2000), (28, 1988));
        assert_eq!(q(500, 14), (504, 28));
        assert_eq!(q(1, 200), (28, 196));
        assert!(matches!(
            smart_resize(28, 5600, 28, 784.0, 3136.0, Q),
            Err(Error::Budget(_))
        ));
    }

    #[test]
    fn aspect_ratio_message_matches_python() {
        let e = smart_resize(1, 201, 28, 3136.0, 1e7, T).unwrap_err();
        assert!(e.to_string().contains("got 201.0"), "{e}");
        let e = smart_resize(9999, 37, 28, 3136.0, 1e7, T).unwrap_err();
        assert!(e.to_string().contains("got 270.2432432432432"), "{e}");
        assert!(smart_resize(1, 200, 28, 3136.0, 1e7, T).is_ok());
    }

    #[test]
    fn refuses_what_upstream_mishandles() {
        assert!(smart_resize(0, 10, 28, 3136.0, 1e6, T).is_err());
        assert!(matches!(
            smart_resize(100, 100, 28, 5000.0, 4000.0, T),
            Err(Error::Budget(_))
        ));
        assert!(matches!(
            smart_resize(10, 10, 28, 0.0, 1e6, T),
            Err(Error::Budget(_))
        ));
        assert!(smart_resize(MAX_SIDE + 1, 10, 28, 0.0, 1e6, T).is_err());
    }

    #[test]
    fn integer_rounding_is_python_round() {
        for f in [1u64, 2, 14, 28, 32, 56, 1000] {
            for v in (0..5000u64).chain((1 << 24) - 3000..=(1 << 24)) {
                let want = (v as f64 / f as f64).round_ties_even() as u64 * f;
                let b = Budget::new(f, 0.0, 1.0, SmartResizeRule::Transformers).unwrap();
                assert_eq!(b.round_by(v), want, "{v} / {f}");
            }
        }
    }

    #[test]
    fn many_raises_or_masks() {
        let (hs, ws) = ([480, 1, 0], [640, 300, 5]);
        let (mut a, mut b) = ([0i64; 3], [0i64; 3]);
        let e = smart_resize_many(
            &hs,
            &ws,
            28,
            3136.0,
            1e7,
            T,
            RowErrors::Raise,
            &mut a,
            &mut b,
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::AspectRatio(ref m) if m.starts_with("row 1:")),
            "{e}"
        );
        smart_resize_many(
            &hs,
            &ws,
            28,
            3136.0,
            1e7,
            T,
            RowErrors::Mask,
            &mut a,
            &mut b,
        )
        .unwrap();
        assert_eq!((a, b), ([476, -1, -1], [644, -1, -1]));
    }

    #[test]
    fn qwen3_video_table() {
        let hub = |t, h, w, rule| video_smart_resize(t, h, w, 2, 32, 4096.0, 25_165_824.0, rule);
        for rule in [
            VideoResizeRule::Transformers4,
            VideoResizeRule::Transformers5,
        ] {
            assert_eq!(hub(300, 1080, 1920, rule).unwrap(), (192, 384));
            assert_eq!(hub(3, 100, 100, rule).unwrap(), (96, 96));
            assert!(hub(1, 480, 640, rule).is_err());
        }
        assert!(hub(8, 20, 640, VideoResizeRule::Transformers4).is_err());
        // 5.x scales 20x640 by 1.6 to 32x1024 first.
        assert_eq!(
            hub(8, 20, 640, VideoResizeRule::Transformers5).unwrap(),
            (32, 1024)
        );
    }

    #[test]
    fn results_are_multiples_of_factor() {
        for h in (1..3000).step_by(37) {
            for w in (1..3000).step_by(53) {
                if let Ok((a, b)) = smart_resize(h, w, 28, 3136.0, 1_003_520.0, T) {
                    assert!(a % 28 == 0 && b % 28 == 0 && a > 0 && b > 0);
                }
            }
        }
    }
}
