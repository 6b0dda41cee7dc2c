//! Which frames of a clip each upstream loader samples, behind one entry point:
//! qwen-vl-utils 0.0.14 and the `sample_frames` of transformers 5.x's video processors
//! (Qwen2-VL, Qwen3-VL, LLaVA-OneVision, InternVL), with their class defaults.
//!
//! The index arithmetic reproduces the float types upstream computes in (torch float32
//! ranges, NumPy float64 `linspace`, integer floor division), because a rounding step
//! decides which frame is read.

use super::error::{invalid_arg, Result};
use super::geometry::py_float;
use super::sampling::{check_frame_counts, linspace_values, MAX_SAMPLED_FRAMES};
use super::video::{self, FrameCount};

/// One upstream frame sampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplingRule {
    /// qwen-vl-utils 0.0.14: `smart_nframes`, float32 `torch.linspace(...).round()`.
    QwenVlUtils,
    /// `Qwen2VLVideoProcessor.sample_frames` (Qwen2-VL, Qwen2.5-VL).
    Qwen2Vl,
    /// `Qwen3VLVideoProcessor.sample_frames`.
    Qwen3Vl,
    /// `LlavaOnevisionVideoProcessor.sample_frames` (the base class's default sampler).
    LlavaOnevision,
    /// `InternVLVideoProcessor.sample_frames` (`initial_shift=True`).
    InternVl,
}

impl SamplingRule {
    /// The rule's name as the Python API spells it.
    pub fn name(self) -> &'static str {
        match self {
            SamplingRule::QwenVlUtils => "qwen_vl_utils",
            SamplingRule::Qwen2Vl => "qwen2_vl",
            SamplingRule::Qwen3Vl => "qwen3_vl",
            SamplingRule::LlavaOnevision => "llava_onevision",
            SamplingRule::InternVl => "internvl",
        }
    }

    /// Parses a rule name.
    ///
    /// # Errors
    /// An unknown name.
    pub fn parse(name: &str) -> Result<Self> {
        const ALL: [SamplingRule; 5] = [
            SamplingRule::QwenVlUtils,
            SamplingRule::Qwen2Vl,
            SamplingRule::Qwen3Vl,
            SamplingRule::LlavaOnevision,
            SamplingRule::InternVl,
        ];
        match ALL.iter().find(|r| r.name() == name) {
            Some(r) => Ok(*r),
            None => invalid_arg!(
                "rule must be one of 'qwen_vl_utils', 'qwen2_vl', 'qwen3_vl', \
                 'llava_onevision', 'internvl', got {name:?}"
            ),
        }
    }
}

/// The sampler's inputs; `None` means "not given" (the upstream class default applies).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SamplingArgs {
    /// The clip's frame rate (`VideoMetadata.fps`).
    pub video_fps: Option<f64>,
    /// Target sampling rate.
    pub fps: Option<f64>,
    /// A fixed frame count.
    pub num_frames: Option<f64>,
    /// Lower bound on the count (rules with an fps clamp).
    pub min_frames: Option<f64>,
    /// Upper bound on the count (rules with an fps clamp).
    pub max_frames: Option<f64>,
}

/// transformers' `temporal_patch_size` (Qwen2-VL, Qwen3-VL) and qwen-vl-utils' frame factor.
const TEMPORAL_PATCH: f64 = 2.0;
/// `min_frames` / `max_frames` class defaults of the Qwen video processors.
const QWEN_MIN_FRAMES: f64 = 4.0;
const QWEN_MAX_FRAMES: f64 = 768.0;
/// `fps` class default of `Qwen3VLVideoProcessor` (and qwen-vl-utils' `FPS`).
const QWEN_FPS: f64 = 2.0;
/// The clip rate `Qwen3VLVideoProcessor` assumes when the metadata has none.
const QWEN3_FALLBACK_VIDEO_FPS: f64 = 24.0;

/// The frame indices `rule` samples from a clip of `total_frames` frames.
///
/// # Errors
/// Where upstream raises (both `fps` and `num_frames` for the rules that refuse it, `fps`
/// without a clip rate, more frames than the clip has), and where upstream would crash or
/// return nothing (no clip rate or count at all for InternVL, a count of 0, a clip of 0
/// frames, non-finite or negative numbers, arguments the rule does not take).
pub fn sample_indices(total_frames: u64, rule: SamplingRule, a: &SamplingArgs) -> Result<Vec<i64>> {
    validate(total_frames, rule, a)?;
    let total = total_frames as f64;
    match rule {
        SamplingRule::QwenVlUtils => {
            exclusive(rule, a)?;
            let Some(video_fps) = a.video_fps else {
                return invalid_arg!(
                    "rule 'qwen_vl_utils' needs video_fps (its decoders always report one)"
                );
            };
            let count = match a.num_frames {
                Some(n) => FrameCount::Exact(n),
                None => FrameCount::Rate {
                    fps: a.fps.unwrap_or(QWEN_FPS),
                    min_frames: a.min_frames.unwrap_or(QWEN_MIN_FRAMES),
                    max_frames: a.max_frames,
                },
            };
            video::sample_frames(total_frames, video_fps, count)
        }
        SamplingRule::Qwen2Vl => {
            exclusive(rule, a)?;
            let n = if let Some(n) = a.num_frames {
                (n / TEMPORAL_PATCH).round_ties_even() * TEMPORAL_PATCH
            } else if let Some(fps) = a.fps {
                let video_fps = needs_video_fps(rule, a)?;
                let max_frames = a.max_frames.unwrap_or(QWEN_MAX_FRAMES);
                let maxf = (max_frames.min(total) / TEMPORAL_PATCH).floor() * TEMPORAL_PATCH;
                let n = total / video_fps * fps;
                let n = n
                    .max(a.min_frames.unwrap_or(QWEN_MIN_FRAMES))
                    .min(maxf)
                    .min(total);
                (n / TEMPORAL_PATCH).floor() * TEMPORAL_PATCH
            } else {
                return invalid_arg!(
                    "rule 'qwen2_vl' (do_sample_frames) needs num_frames or fps (its processor \
                     has neither by default and fails comparing None with the clip length)"
                );
            };
            let n = count_in_clip(rule, n, total_frames)?;
            torch_arange_f32(0.0, total, total / n as f64)
                .map(|v| v.into_iter().map(|x| x as i64).collect())
        }
        SamplingRule::Qwen3Vl => {
            exclusive(rule, a)?;
            let n = match a.num_frames {
                Some(n) => n,
                None => {
                    let video_fps = a.video_fps.unwrap_or(QWEN3_FALLBACK_VIDEO_FPS);
                    let n = (total / video_fps * a.fps.unwrap_or(QWEN_FPS)).trunc();
                    n.max(a.min_frames.unwrap_or(QWEN_MIN_FRAMES))
                        .min(a.max_frames.unwrap_or(QWEN_MAX_FRAMES))
                        .min(total)
                }
            };
            let n = nonzero_count(rule, n, total_frames)?;
            check_frame_counts(total_frames, n)?;
            Ok(linspace_values(0.0, total - 1.0, n)
                .into_iter()
                .map(|v| v.round_ties_even() as i64)
                .collect())
        }
        SamplingRule::LlavaOnevision => {
            exclusive(rule, a)?;
            let n = match (a.num_frames, a.fps) {
                (Some(n), _) => n,
                (None, Some(fps)) => (total / needs_video_fps(rule, a)? * fps).trunc().max(1.0),
                (None, None) => return every_frame(total_frames),
            };
            let n = count_in_clip(rule, n, total_frames)?;
            Ok((0..n)
                .map(|k| (u128::from(k) * u128::from(total_frames) / u128::from(n)) as i64)
                .collect())
        }
        SamplingRule::InternVl => {
            // Upstream does not refuse both: a given `num_frames` wins over `fps`.
            let n = match (a.num_frames, a.fps) {
                (Some(n), _) => n,
                (None, Some(fps)) => (total / needs_video_fps(rule, a)? * fps).trunc(),
                (None, None) => {
                    return invalid_arg!(
                        "rule 'internvl' (do_sample_frames) needs num_frames or fps (its \
                         processor has neither by default and fails without one)"
                    )
                }
            };
            let n = count_in_clip(rule, n, total_frames)? as f64;
            let step = total / n;
            torch_arange_f32(step / 2.0, total, step)
                .map(|v| v.into_iter().map(|x| x as i64).collect())
        }
    }
}

/// Checks the clip length and every number given, and that the rule takes each argument.
fn validate(total_frames: u64, rule: SamplingRule, a: &SamplingArgs) -> Result<()> {
    if total_frames == 0 {
        return invalid_arg!("total_frames must be >= 1, got 0 (the clip has no frames)");
    }
    check_frame_counts(total_frames, 0)?;
    let integral = rule != SamplingRule::QwenVlUtils;
    let positive = [("video_fps", a.video_fps), ("fps", a.fps)];
    for (name, v) in positive {
        if let Some(v) = v {
            if !(v.is_finite() && v > 0.0) {
                return invalid_arg!("{name} must be a finite number > 0, got {}", py_float(v));
            }
        }
    }
    let counts = [
        ("num_frames", a.num_frames),
        ("min_frames", a.min_frames),
        ("max_frames", a.max_frames),
    ];
    for (name, v) in counts {
        if let Some(v) = v {
            if !(v.is_finite() && v >= 0.0) || (integral && v.fract() != 0.0) {
                let kind = if integral { "an integer" } else { "a number" };
                return invalid_arg!("{name} must be {kind} >= 0, got {}", py_float(v));
            }
        }
    }
    let clamps = matches!(
        rule,
        SamplingRule::QwenVlUtils | SamplingRule::Qwen2Vl | SamplingRule::Qwen3Vl
    );
    if !clamps && (a.min_frames.is_some() || a.max_frames.is_some()) {
        return invalid_arg!(
            "rule {:?} takes no min_frames / max_frames (its sampler has no such clamp)",
            rule.name()
        );
    }
    Ok(())
}

/// The `fps` / `num_frames` mutual exclusion every sampler but InternVL's enforces.
fn exclusive(rule: SamplingRule, a: &SamplingArgs) -> Result<()> {
    if a.fps.is_some() && a.num_frames.is_some() {
        return invalid_arg!(
            "rule {:?}: fps and num_frames are mutually exclusive, give one (got fps={}, \
             num_frames={})",
            rule.name(),
            py_float(a.fps.unwrap_or_default()),
            py_float(a.num_frames.unwrap_or_default())
        );
    }
    Ok(())
}

fn needs_video_fps(rule: SamplingRule, a: &SamplingArgs) -> Result<f64> {
    match a.video_fps {
        Some(v) => Ok(v),
        None => invalid_arg!(
            "rule {:?} samples by fps only with the clip's video_fps (VideoMetadata.fps); \
             give video_fps or num_frames",
            rule.name()
        ),
    }
}

fn nonzero_count(rule: SamplingRule, n: f64, total_frames: u64) -> Result<u64> {
    if n.is_nan() || n < 1.0 {
        return invalid_arg!(
            "rule {:?} would sample {} frames from total_frames={total_frames}; at least 1 is \
             needed (a longer clip, or a larger num_frames, fps or max_frames)",
            rule.name(),
            n as i64
        );
    }
    if n > MAX_SAMPLED_FRAMES as f64 {
        return invalid_arg!(
            "rule {:?} would sample {} frames (from num_frames, fps or max_frames); at most \
             {MAX_SAMPLED_FRAMES} are supported",
            rule.name(),
            py_float(n)
        );
    }
    Ok(n as u64)
}

/// A non-zero count no larger than the clip, as the transformers samplers require.
fn count_in_clip(rule: SamplingRule, n: f64, total_frames: u64) -> Result<u64> {
    let n = nonzero_count(rule, n, total_frames)?;
    if n > total_frames {
        return invalid_arg!(
            "rule {:?}: num_frames={n} exceeds total_frames={total_frames}; decrease \
             num_frames or fps",
            rule.name()
        );
    }
    Ok(n)
}

fn every_frame(total_frames: u64) -> Result<Vec<i64>> {
    check_frame_counts(total_frames, total_frames)?;
    Ok((0..total_frames as i64).collect())
}

/// Lanes of torch's CPU `Vectorized<float>` on AVX2 (and the 256-bit default build).
const TORCH_F32_LANES: usize = 8;

/// `torch.arange(start, end, step)` with float32 output as torch's CPU kernel computes it
/// (one thread, i.e. up to 32,768 values): length `ceil((end - start) / step)`, values in f64,
/// produced in vectorised blocks of two 8-lane vectors whose first lane is rounded to f32
/// before the others add `k * step` to it; the tail is evaluated one value at a time.
///
/// # Errors
/// A non-positive or non-finite step, or more values than [`MAX_SAMPLED_FRAMES`].
pub fn torch_arange_f32(start: f64, end: f64, step: f64) -> Result<Vec<f32>> {
    if !(step.is_finite() && step > 0.0 && start.is_finite() && end.is_finite()) {
        return invalid_arg!(
            "arange({}, {}, {}) needs finite bounds and a step > 0",
            py_float(start),
            py_float(end),
            py_float(step)
        );
    }
    let size = ((end - start) / step).ceil().max(0.0);
    if size > MAX_SAMPLED_FRAMES as f64 {
        return invalid_arg!(
            "sampling every {step} frames would give {} frame indices (num_frames or fps \
             against the clip); at most {MAX_SAMPLED_FRAMES} are supported",
            py_float(size)
        );
    }
    let size = size as usize;
    let mut out = Vec::with_capacity(size);
    let block = 2 * TORCH_F32_LANES;
    let full = size / block * block;
    for base_idx in (0..full).step_by(TORCH_F32_LANES) {
        let base = f64::from(step.mul_add(base_idx as f64, start) as f32);
        out.extend((0..TORCH_F32_LANES).map(|k| (k as f64).mul_add(step, base) as f32));
    }
    out.extend((full..size).map(|i| step.mul_add(i as f64, start) as f32));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(video_fps: Option<f64>, fps: Option<f64>, num_frames: Option<f64>) -> SamplingArgs {
        SamplingArgs {
            video_fps,
            fps,
            num_frames,
            ..SamplingArgs::default()
        }
    }

    fn run(total: u64, rule: &str, a: SamplingArgs) -> Result<Vec<i64>> {
        sample_indices(total, SamplingRule::parse(rule)?, &a)
    }

    #[test]
    fn qwen2_vl_examples() {
        // Spec 3.5: total 40 @10 fps, fps=2 -> 0,5,...,35; total 100, num_frames=5 -> 4
        // frames; total 7 @30 -> 0,1,3,5.
        let v = run(40, "qwen2_vl", args(Some(10.0), Some(2.0), None)).unwrap();
        assert_eq!(v, [0, 5, 10, 15, 20, 25, 30, 35]);
        let v = run(100, "qwen2_vl", args(None, None, Some(5.0))).unwrap();
        assert_eq!(v, [0, 25, 50, 75]);
        let v = run(7, "qwen2_vl", args(Some(30.0), Some(2.0), None)).unwrap();
        assert_eq!(v, [0, 1, 3, 5]);
        assert!(run(3, "qwen2_vl", args(None, None, None)).is_err());
        assert!(run(40, "qwen2_vl", args(None, Some(2.0), None)).is_err());
        assert!(run(100, "qwen2_vl", args(None, Some(2.0), Some(4.0))).is_err());
        assert!(run(100, "qwen2_vl", args(None, None, Some(1.0))).is_err());
        assert!(run(3, "qwen2_vl", args(None, None, Some(4.0))).is_err());
    }

    #[test]
    fn qwen3_vl_examples() {
        // Spec 3.5: 40 frames @10 fps -> 0,6,11,17,22,28,33,39; 7 @30 -> 0,2,4,6; 3 -> 0,1,2.
        let v = run(40, "qwen3_vl", args(Some(10.0), None, None)).unwrap();
        assert_eq!(v, [0, 6, 11, 17, 22, 28, 33, 39]);
        let v = run(7, "qwen3_vl", args(Some(30.0), None, None)).unwrap();
        assert_eq!(v, [0, 2, 4, 6]);
        assert_eq!(
            run(3, "qwen3_vl", args(Some(30.0), None, None)).unwrap(),
            [0, 1, 2]
        );
        // No metadata: 24 fps assumed; 240 frames -> 20 at fps 2.
        assert_eq!(
            run(240, "qwen3_vl", args(None, None, None)).unwrap().len(),
            20
        );
        // A fixed count is not clamped to the clip.
        assert_eq!(
            run(2, "qwen3_vl", args(None, None, Some(3.0))).unwrap(),
            [0, 0, 1]
        );
    }

    #[test]
    fn llava_onevision_and_internvl_examples() {
        let v = run(10, "llava_onevision", args(None, None, Some(4.0))).unwrap();
        assert_eq!(v, [0, 2, 5, 7]);
        assert_eq!(
            run(3, "llava_onevision", args(None, None, None)).unwrap(),
            [0, 1, 2]
        );
        let v = run(300, "llava_onevision", args(Some(30.0), Some(0.001), None)).unwrap();
        assert_eq!(v, [0]);
        let v = run(10, "internvl", args(None, None, Some(4.0))).unwrap();
        assert_eq!(v, [1, 3, 6, 8]);
        let v = run(10, "internvl", args(Some(5.0), Some(1.0), Some(4.0))).unwrap();
        assert_eq!(v, [1, 3, 6, 8]);
        assert!(run(10, "internvl", args(None, None, None)).is_err());
        assert!(run(10, "internvl", args(Some(30.0), Some(1.0), None)).is_err());
        let mut a = args(None, None, Some(4.0));
        a.min_frames = Some(2.0);
        assert!(run(10, "internvl", a).is_err());
    }

    #[test]
    fn qwen_vl_utils_delegates_to_smart_nframes() {
        let v = run(300, "qwen_vl_utils", args(Some(30.0), None, None)).unwrap();
        assert_eq!(v.len(), 20);
        assert!(run(300, "qwen_vl_utils", args(None, None, Some(8.0))).is_err());
        assert!(run(300, "qwen_vl_utils", args(Some(30.0), Some(2.0), Some(8.0))).is_err());
    }

    #[test]
    fn arange_rounds_vector_bases_to_f32() {
        // torch.arange(0, 12345, 123.45)[9] is 1111.0499 (f32 of 987.6f32 + 123.45),
        // not f32(9 * 123.45) = 1111.05; the tail past the last full block is exact.
        let v = torch_arange_f32(0.0, 12345.0, 123.45).unwrap();
        assert_eq!(v.len(), 100);
        assert_eq!(v[9], 1111.0499_f32);
        assert_eq!(v[3], 370.35_f32);
        assert!(torch_arange_f32(0.0, 1.0, 0.0).is_err());
    }

    #[test]
    fn bad_inputs() {
        assert!(run(0, "qwen3_vl", args(None, None, None)).is_err());
        assert!(run(10, "qwen3_vl", args(Some(-1.0), None, None)).is_err());
        assert!(run(10, "qwen3_vl", args(None, Some(f64::NAN), None)).is_err());
        assert!(run(10, "qwen3_vl", args(None, None, Some(2.5))).is_err());
        assert!(run(10, "nope", args(None, None, None)).is_err());
    }
}
