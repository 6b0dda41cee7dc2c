//! Video planning for Qwen2-VL-style models: how many frames, which ones, at what size.
//!
//! Mirrors qwen-vl-utils 0.0.14 (`smart_nframes`, the float32 `torch.linspace` index
//! rounding, and `fetch_video`'s per-frame pixel budget).

use super::error::{invalid_arg, Result};
use super::geometry::{py_float, smart_resize, SmartResizeRule};
use super::sampling::{check_frame_counts, MAX_TOTAL_FRAMES};

/// qwen-vl-utils' `FRAME_FACTOR`: frame counts are even.
pub const FRAME_FACTOR: u64 = 2;

/// How to choose the number of frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FrameCount {
    /// A fixed count, rounded half-to-even to a multiple of 2.
    Exact(f64),
    /// Sample at `fps`, clamped to `[min_frames, max_frames]` and the clip length.
    Rate {
        /// Target sampling rate in frames per second.
        fps: f64,
        /// Lower bound (rounded up to even).
        min_frames: f64,
        /// Upper bound (rounded down to even); `None` means `min(768, total_frames)`.
        max_frames: Option<f64>,
    },
}

/// qwen-vl-utils `smart_nframes`: the number of frames to sample from a clip.
///
/// # Errors
/// A non-positive `video_fps`, no frames, or a count outside `[2, total_frames]`
/// (where qwen-vl-utils raises too).
pub fn smart_nframes(total_frames: u64, video_fps: f64, count: FrameCount) -> Result<u64> {
    if total_frames == 0 {
        return invalid_arg!("total_frames must be >= 1, got 0");
    }
    if total_frames > MAX_TOTAL_FRAMES {
        return invalid_arg!(
            "total_frames={total_frames} is larger than the supported maximum {MAX_TOTAL_FRAMES}"
        );
    }
    if !(video_fps.is_finite() && video_fps > 0.0) {
        return invalid_arg!(
            "video_fps must be a finite number > 0, got {}",
            py_float(video_fps)
        );
    }
    let total = total_frames as f64;
    let factor = FRAME_FACTOR as f64;
    let n = match count {
        FrameCount::Exact(n) => {
            if !(n.is_finite() && n >= 0.0) {
                return invalid_arg!(
                    "num_frames must be a finite number >= 0, got {}",
                    py_float(n)
                );
            }
            (n / factor).round_ties_even() * factor
        }
        FrameCount::Rate {
            fps,
            min_frames,
            max_frames,
        } => {
            if !(fps.is_finite() && fps > 0.0) {
                return invalid_arg!("fps must be a finite number > 0, got {}", py_float(fps));
            }
            if !(min_frames.is_finite() && min_frames >= 0.0) {
                return invalid_arg!(
                    "min_frames must be a finite number >= 0, got {}",
                    py_float(min_frames)
                );
            }
            let max_frames = max_frames.unwrap_or_else(|| total.min(768.0));
            if !(max_frames.is_finite() && max_frames >= 0.0) {
                return invalid_arg!(
                    "max_frames must be a finite number >= 0, got {}",
                    py_float(max_frames)
                );
            }
            let minf = (min_frames / factor).ceil() * factor;
            let maxf = (max_frames / factor).floor() * factor;
            let n = total / video_fps * fps;
            let n = n.max(minf).min(maxf).min(total);
            (n / factor).floor() * factor
        }
    };
    if !(factor <= n && n <= total) {
        return invalid_arg!(
            "nframes should in interval [{FRAME_FACTOR}, {total_frames}], but got {}. (the \
             frame count from num_frames, or from fps, min_frames and max_frames over \
             total_frames={total_frames}; qwen-vl-utils raises here too)",
            n as i64
        );
    }
    Ok(n as u64)
}

/// `torch.linspace(start, end, n)` in float32 as torch's CPU kernel computes it, each value
/// rounded half-to-even, as qwen-vl-utils turns it into frame indices.
///
/// The kernel evaluates the first half forwards (`start + step * i`) and the second half
/// backwards (`end - step * (n - 1 - i)`), and its AVX2 build (the one x86-64 wheels run on
/// AVX2 machines) fuses each multiply-add into one rounding: `mul_add` here, not `a * b + c`.
/// The unfused form is one frame off for some clips of 13,000-19,000 frames.
pub fn linspace_indices_f32(start: u64, end: u64, n: u64) -> Vec<i64> {
    if n == 0 {
        return Vec::new();
    }
    if n == 1 {
        return vec![start as i64];
    }
    let (s, e) = (start as f32, end as f32);
    let step = (e - s) / (n - 1) as f32;
    let half = n / 2;
    (0..n)
        .map(|i| {
            let v = if i < half {
                step.mul_add(i as f32, s)
            } else {
                (-step).mul_add((n - 1 - i) as f32, e)
            };
            v.round_ties_even() as i64
        })
        .collect()
}

/// The frames qwen-vl-utils samples from a whole clip: `smart_nframes`, then indices
/// spread over `[0, total_frames - 1]` by a float32 linspace.
///
/// Past 2^24 frames float32 no longer holds every index: upstream's indices are then
/// reproduced as it computes them, and refused where one falls past the clip's last frame
/// (upstream would read a frame that does not exist).
///
/// # Errors
/// As [`smart_nframes`], plus an index past the clip.
pub fn sample_frames(total_frames: u64, video_fps: f64, count: FrameCount) -> Result<Vec<i64>> {
    let n = smart_nframes(total_frames, video_fps, count)?;
    check_frame_counts(total_frames, n)?;
    let indices = linspace_indices_f32(0, total_frames - 1, n);
    if let Some(&past) = indices.iter().find(|&&i| i as u64 >= total_frames) {
        return invalid_arg!(
            "total_frames={total_frames}: qwen-vl-utils' float32 linspace puts frame index \
             {past} past the clip's last frame {}; accepted: clips whose float32 indices stay \
             inside them (every clip of at most 2^24 frames)",
            total_frames - 1
        );
    }
    Ok(indices)
}

/// qwen-vl-utils' per-frame pixel budget inputs (`fetch_video`); `None` means its default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoBudget {
    /// ViT patch size: 14 (Qwen2/2.5-VL) or 16 (Qwen3-VL); the factor is twice this.
    pub image_patch_size: u64,
    /// Per-frame minimum; default `128 * factor²`.
    pub min_pixels: Option<f64>,
    /// Per-frame maximum; can only lower the computed cap, never raise it.
    pub max_pixels: Option<f64>,
    /// Whole-clip budget; default `model_seq_len * factor² * 0.9`.
    pub total_pixels: Option<f64>,
    /// qwen-vl-utils' `MODEL_SEQ_LEN` (default 128000).
    pub model_seq_len: f64,
}

impl Default for VideoBudget {
    fn default() -> Self {
        Self {
            image_patch_size: 14,
            min_pixels: None,
            max_pixels: None,
            total_pixels: None,
            model_seq_len: 128_000.0,
        }
    }
}

/// Per-frame `(height, width)` qwen-vl-utils resizes `num_frames` sampled frames to.
///
/// # Errors
/// Invalid budgets, a zero `num_frames`, or the sizes [`smart_resize`] refuses (including
/// the zero-side results qwen-vl-utils would pass on to a failing resize).
pub fn video_budget(
    num_frames: u64,
    height: u64,
    width: u64,
    b: &VideoBudget,
) -> Result<(u64, u64)> {
    if num_frames == 0 {
        return invalid_arg!("num_frames must be >= 1, got 0");
    }
    if b.image_patch_size == 0 || b.image_patch_size > 1 << 12 {
        return invalid_arg!(
            "image_patch_size must be between 1 and 4096, got {}",
            b.image_patch_size
        );
    }
    let factor = b.image_patch_size * 2;
    let f2 = (factor * factor) as f64;
    let min_pixels = b.min_pixels.unwrap_or(128.0 * f2);
    let total_pixels = b.total_pixels.unwrap_or(b.model_seq_len * f2 * 0.9);
    if !(total_pixels.is_finite() && total_pixels > 0.0) {
        return invalid_arg!(
            "total_pixels (model_seq_len * factor² * 0.9 when not given) must be a finite \
             number > 0, got {}",
            py_float(total_pixels)
        );
    }
    let cap = (768.0 * f2)
        .min(total_pixels / num_frames as f64 * 2.0)
        .max((min_pixels * 1.05).trunc());
    let max_pixels = b.max_pixels.map_or(cap, |m| m.min(cap));
    smart_resize(
        height,
        width,
        factor,
        min_pixels,
        max_pixels,
        SmartResizeRule::QwenVlUtils,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(fps: f64) -> FrameCount {
        FrameCount::Rate {
            fps,
            min_frames: 4.0,
            max_frames: None,
        }
    }

    #[test]
    fn spec_examples() {
        let idx = sample_frames(300, 30.0, rate(2.0)).unwrap();
        assert_eq!(idx.len(), 20);
        assert_eq!(&idx[..5], &[0, 16, 31, 47, 63]);
        assert_eq!(
            sample_frames(10, 30.0, rate(2.0)).unwrap(),
            vec![0, 3, 6, 9]
        );
        assert_eq!(sample_frames(3, 30.0, rate(2.0)).unwrap(), vec![0, 2]);
        assert_eq!(sample_frames(5, 1.0, rate(2.0)).unwrap(), vec![0, 1, 3, 4]);
        assert_eq!(
            sample_frames(30, 30.0, rate(4.0)).unwrap(),
            vec![0, 10, 19, 29]
        );
        assert_eq!(
            sample_frames(100, 30.0, FrameCount::Exact(7.0)).unwrap(),
            vec![0, 14, 28, 42, 57, 71, 85, 99]
        );
        assert_eq!(
            sample_frames(100, 30.0, FrameCount::Exact(5.0)).unwrap(),
            vec![0, 33, 66, 99]
        );
        assert!(sample_frames(100, 30.0, FrameCount::Exact(1.0)).is_err());
        let r = FrameCount::Rate {
            fps: 2.0,
            min_frames: 5.0,
            max_frames: Some(9.0),
        };
        assert_eq!(
            sample_frames(600, 30.0, r).unwrap(),
            vec![0, 86, 171, 257, 342, 428, 513, 599]
        );
        assert_eq!(linspace_indices_f32(0, 10, 4), vec![0, 3, 7, 10]);
        assert_eq!(linspace_indices_f32(0, 5, 4), vec![0, 2, 3, 5]);
        assert_eq!(linspace_indices_f32(0, 99, 6), vec![0, 20, 40, 59, 79, 99]);
        assert_eq!(sample_frames(20000, 30.0, rate(2.0)).unwrap().len(), 768);
        // torch.linspace(0, 12999, 768).round()[604] is 10237 (fused multiply-add);
        // the unfused float32 evaluation gives 10236.
        assert_eq!(sample_frames(13000, 30.0, rate(2.0)).unwrap()[604], 10237);
    }

    #[test]
    fn budget_examples() {
        let b = VideoBudget::default();
        assert_eq!(video_budget(20, 1080, 1920, &b).unwrap(), (560, 1008));
        assert_eq!(video_budget(20, 480, 640, &b).unwrap(), (476, 644));
        assert_eq!(video_budget(768, 1080, 1920, &b).unwrap(), (336, 644));
        assert_eq!(video_budget(768, 480, 640, &b).unwrap(), (420, 560));
    }
}
