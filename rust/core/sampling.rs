//! Frame-index rules shared by InternVL, LLaVA-OneVision and Oryx, plus the two
//! Python float operations their geometry depends on (`//` and `int()` of a float).

use super::error::{invalid_arg, Result};

/// Largest clip length accepted (frames); keeps every index exact in i64 and f64.
pub const MAX_TOTAL_FRAMES: u64 = 1 << 40;

/// Largest number of sampled frames (each becomes an index in the returned vector).
pub const MAX_SAMPLED_FRAMES: u64 = 1 << 24;

/// Checks a clip length and a requested frame count against the limits above.
///
/// # Errors
/// Either exceeds its limit.
pub fn check_frame_counts(total_frames: u64, n: u64) -> Result<()> {
    if total_frames > MAX_TOTAL_FRAMES {
        return invalid_arg!(
            "total_frames={total_frames} is larger than the supported maximum {MAX_TOTAL_FRAMES}"
        );
    }
    if n > MAX_SAMPLED_FRAMES {
        return invalid_arg!(
            "num_frames={n}: cannot sample that many frames; at most {MAX_SAMPLED_FRAMES} are \
             supported"
        );
    }
    Ok(())
}

/// `np.linspace(start, stop, n)` in float64 as NumPy 2 computes it: `i * step + start`
/// (a multiply, then an add) with `step = (stop - start) / (n - 1)`, the last value set to
/// `stop` exactly; `n == 1` gives `[start]`.
pub fn linspace_values(start: f64, stop: f64, n: u64) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![start],
        _ => {
            let step = (stop - start) / (n - 1) as f64;
            let mut out: Vec<f64> = (0..n - 1).map(|i| i as f64 * step + start).collect();
            out.push(stop);
            out
        }
    }
}

/// `np.linspace(0, total_frames - 1, n, dtype=int)`: [`linspace_values`] truncated.
///
/// `n == 1` gives `[0]`; `n == 0` gives `[]`. Duplicates appear when `n > N`.
///
/// # Errors
/// `total_frames == 0` while frames are requested (no index exists).
pub fn linspace_indices(total_frames: u64, n: u64) -> Result<Vec<i64>> {
    check_frame_counts(total_frames, n)?;
    if n > 0 && total_frames == 0 {
        return invalid_arg!("total_frames must be >= 1 to sample {n} frames, got 0");
    }
    let last = total_frames.saturating_sub(1) as f64;
    Ok(linspace_values(0.0, last, n)
        .into_iter()
        .map(|v| v.floor() as i64)
        .collect())
}

/// The "every `round(avg_fps / fps)`-th frame, at most `max_frames`" rule of the LLaVA-NeXT
/// training loader (`process_video_with_decord`) and the Oryx model card's `load_video`:
/// `range(0, N, round(avg_fps / fps))`, replaced by [`linspace_indices`]`(N, max_frames)`
/// when it is longer than `max_frames` (or always, with `force_sample`).
/// `max_frames == 0` disables the cap, as `frames_upbound = 0` does upstream.
///
/// # Errors
/// Non-finite or non-positive rates, and a stride that rounds to 0 (`avg_fps < fps / 2`),
/// which makes Python's `range` raise.
pub fn stride_indices(
    total_frames: u64,
    avg_fps: f64,
    fps: f64,
    max_frames: u64,
    force_sample: bool,
) -> Result<Vec<i64>> {
    if !(avg_fps.is_finite() && avg_fps > 0.0) {
        return invalid_arg!("video_fps must be a finite number > 0, got {avg_fps}");
    }
    if !(fps.is_finite() && fps > 0.0) {
        return invalid_arg!("fps must be a finite number > 0, got {fps}");
    }
    let step = (avg_fps / fps).round_ties_even();
    if step < 1.0 {
        return invalid_arg!(
            "round(video_fps / fps) = round({avg_fps} / {fps}) is 0; the reference's \
             range(0, N, 0) raises; fps must be below 2 * video_fps"
        );
    }
    if step >= (1u64 << 53) as f64 {
        return invalid_arg!("round(video_fps / fps) is too large: {step}");
    }
    let step = step as u64;
    let count = total_frames.div_ceil(step);
    check_frame_counts(
        total_frames,
        if max_frames > 0 {
            count.min(max_frames)
        } else {
            count
        },
    )?;
    if max_frames > 0 && (count > max_frames || force_sample) {
        return linspace_indices(total_frames, max_frames);
    }
    Ok((0..count).map(|k| (k * step) as i64).collect())
}

/// Python's `a // b` for floats (CPython `float_floor_div`): `(a - fmod(a, b)) / b`,
/// corrected to the floor and snapped to the nearest integer, which is not always
/// `(a / b).floor()` when `a / b` rounds up to an integer.
pub fn py_floordiv(a: f64, b: f64) -> f64 {
    let m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div != 0.0 {
        let mut f = div.floor();
        if div - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0.0f64.copysign(a / b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linspace_matches_numpy_examples() {
        assert_eq!(
            linspace_indices(300, 16).unwrap(),
            [0, 19, 39, 59, 79, 99, 119, 139, 159, 179, 199, 219, 239, 259, 279, 299]
        );
        assert_eq!(
            linspace_indices(10, 32).unwrap()[..8],
            [0, 0, 0, 0, 1, 1, 1, 2]
        );
        assert_eq!(linspace_indices(5, 1).unwrap(), [0]);
        assert!(linspace_indices(5, 0).unwrap().is_empty());
        assert!(linspace_indices(0, 3).is_err());
    }

    #[test]
    fn stride_rule() {
        let v = stride_indices(300, 30.0, 1.0, 64, false).unwrap();
        assert_eq!(v, (0..10).map(|k| k * 30).collect::<Vec<_>>());
        assert_eq!(
            stride_indices(90, 25.0, 1.0, 64, false).unwrap(),
            [0, 25, 50, 75]
        );
        let capped = stride_indices(3000, 29.97, 1.0, 64, false).unwrap();
        assert_eq!(capped.len(), 64);
        assert_eq!(capped[1], 47);
        assert_eq!(stride_indices(90, 25.0, 1.0, 3, true).unwrap(), [0, 44, 89]);
        assert!(stride_indices(90, 0.4, 1.0, 64, false).is_err());
        assert!(stride_indices(90, f64::NAN, 1.0, 64, false).is_err());
    }

    #[test]
    fn floordiv_like_python() {
        assert_eq!(py_floordiv(75.0, 1.2422599874998832), 60.0);
        assert_eq!(py_floordiv(7.0, 2.0), 3.0);
        // 1 // 0.1 == 9.0 in Python although 1 / 0.1 == 10.0.
        assert_eq!(py_floordiv(1.0, 0.1), 9.0);
    }
}
