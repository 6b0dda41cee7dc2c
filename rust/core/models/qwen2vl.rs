//! Qwen2-VL / Qwen2.5-VL / Qwen3-VL: `smart_resize` sizes, patch grids, token counts
//! (images, and videos as qwen-vl-utils samples and sizes them), and the fused patch
//! layout of `pixel_values`.
//!
//! Two video paths exist upstream and both are here: the processor resizes the frames it
//! is given like images ([`Qwen2VL::frames_plan`], [`videos_into`]); qwen-vl-utils'
//! `fetch_video` first picks the frames (`smart_nframes`) and a per-frame size under a
//! clip budget ([`Qwen2VL::video_plan`]), which the processor then keeps.

use std::borrow::Cow;

use super::pipeline::{self, Pixels};
use super::{Family, Plan};
use crate::core::error::{invalid_arg, Error, Result};
use crate::core::geometry::{smart_resize, RowErrors, SmartResizeRule};
use crate::core::image::ImageRef;
use crate::core::par;
use crate::core::patchify::fused::resize_patchify_into;
use crate::core::patchify::{patchify_into, PatchLayout};
use crate::core::video::{smart_nframes, video_budget, FrameCount, VideoBudget};

/// `<|vision_start|>` and `<|vision_end|>` around each image's or video's pad tokens.
pub const VISION_WRAPPER_TOKENS: u64 = 2;
/// qwen-vl-utils' `FPS_MIN_FRAMES`.
pub const FPS_MIN_FRAMES: f64 = 4.0;
/// qwen-vl-utils' `FPS_MAX_FRAMES`.
pub const FPS_MAX_FRAMES: f64 = 768.0;

/// A Qwen-VL checkpoint's preprocessing: patch geometry, image budget, and qwen-vl-utils'
/// video sampling rate and clip budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Qwen2VL {
    layout: PatchLayout,
    min_pixels: f64,
    max_pixels: f64,
    fps: f64,
    total_pixels: Option<f64>,
}

/// What Qwen-VL does with one image or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Qwen2VLPlan {
    /// `(height, width)` every frame is resized to (multiples of `patch · merge`).
    pub resized: (u64, u64),
    /// `(grid_t, grid_h, grid_w)` in patches.
    pub grid_thw: [u64; 3],
    /// Frames of a video (sampled, or given to the processor); `None` for an image.
    pub num_frames: Option<u64>,
    /// ViT patch side.
    pub patch_size: u64,
    /// Patch-merge window side.
    pub merge_size: u64,
    /// Values in one `pixel_values` row: `3 · temporal_patch_size · patch_size²`.
    pub row_len: u64,
}

impl Plan for Qwen2VLPlan {
    /// `<|image_pad|>` / `<|video_pad|>` tokens: `t · h · w / merge²`.
    fn num_tokens(&self) -> u64 {
        let [t, h, w] = self.grid_thw;
        t * h * w / (self.merge_size * self.merge_size)
    }

    /// `<|vision_start|>` and `<|vision_end|>`.
    fn wrapper_tokens(&self) -> u64 {
        VISION_WRAPPER_TOKENS
    }

    /// `t · h · w` rows of [`Qwen2VLPlan::row_len`] values.
    fn pixel_len(&self) -> Option<usize> {
        let [t, h, w] = self.grid_thw;
        let n = t
            .checked_mul(h)?
            .checked_mul(w)?
            .checked_mul(self.row_len)?;
        usize::try_from(n).ok()
    }
}

impl Qwen2VL {
    /// Validates the geometry, the image budget and the video settings.
    ///
    /// # Errors
    /// Patch sizes outside `1..=1024`, `min_pixels > max_pixels` ([`Error::Budget`]),
    /// non-finite budgets, a non-positive `fps` or `total_pixels`.
    pub fn new(
        layout: PatchLayout,
        min_pixels: f64,
        max_pixels: f64,
        fps: f64,
        total_pixels: Option<f64>,
    ) -> Result<Self> {
        let f = layout.factor();
        layout.grid(1, f, f)?;
        if !(min_pixels.is_finite() && max_pixels.is_finite()) {
            return invalid_arg!(
                "min_pixels and max_pixels must be finite numbers, got {min_pixels} and {max_pixels}"
            );
        }
        if min_pixels > max_pixels {
            return Err(Error::Budget(format!(
                "min_pixels ({min_pixels}) must not exceed max_pixels ({max_pixels})"
            )));
        }
        if !(fps.is_finite() && fps > 0.0) {
            return invalid_arg!("fps must be a finite number > 0, got {fps}");
        }
        if let Some(t) = total_pixels.filter(|t| !(t.is_finite() && *t > 0.0)) {
            return invalid_arg!("total_pixels must be a finite number > 0, got {t}");
        }
        Ok(Self {
            layout,
            min_pixels,
            max_pixels,
            fps,
            total_pixels,
        })
    }

    /// The patch geometry.
    pub fn layout(&self) -> PatchLayout {
        self.layout
    }

    fn plan_for(&self, resized: (u64, u64), frames: Option<u64>) -> Qwen2VLPlan {
        let p = self.layout.patch_size as u64;
        let tp = self.layout.temporal_patch_size as u64;
        let t = frames.map_or(1, |n| n.div_ceil(tp));
        Qwen2VLPlan {
            resized,
            grid_thw: [t, resized.0 / p, resized.1 / p],
            num_frames: frames,
            patch_size: p,
            merge_size: self.layout.merge_size as u64,
            row_len: self.layout.row_len(3) as u64,
        }
    }

    /// The processor's plan for `num_frames` given frames of `height × width`: each frame
    /// resized like an image, `grid_t = ceil(num_frames / temporal_patch_size)`.
    ///
    /// # Errors
    /// No frames, or sizes [`smart_resize`] refuses.
    pub fn frames_plan(&self, num_frames: u64, height: u64, width: u64) -> Result<Qwen2VLPlan> {
        if num_frames == 0 {
            return invalid_arg!("a video needs at least one frame, got 0");
        }
        let image = self.plan(height, width)?;
        Ok(self.plan_for(image.resized, Some(num_frames)))
    }

    /// The plan of `num_frames` frames resized to `resized`, a size chosen by another rule
    /// (transformers' video processors: Qwen3-VL's whole-clip budget, the per-frame cap).
    ///
    /// # Errors
    /// No frames, or a side that is not a positive multiple of `patch_size · merge_size`.
    pub fn sized_plan(&self, num_frames: u64, resized: (u64, u64)) -> Result<Qwen2VLPlan> {
        if num_frames == 0 {
            return invalid_arg!("a video needs at least one frame, got 0");
        }
        let factor = (self.layout.patch_size * self.layout.merge_size) as u64;
        let (h, w) = resized;
        if h == 0 || w == 0 || h % factor != 0 || w % factor != 0 {
            return invalid_arg!(
                "resized size {h}x{w} must be positive multiples of patch_size * merge_size \
                 = {factor}"
            );
        }
        Ok(self.plan_for(resized, Some(num_frames)))
    }

    /// qwen-vl-utils `fetch_video` for a clip of `total_frames` frames at `video_fps`:
    /// `smart_nframes` at this config's `fps` (4 to 768 frames), then the per-frame size of
    /// [`video_budget`] under the clip budget (`total_pixels`).
    ///
    /// # Errors
    /// Where qwen-vl-utils raises (a count outside `[2, total_frames]`, a non-positive
    /// `video_fps`) and sizes [`smart_resize`] refuses.
    pub fn video_plan(
        &self,
        total_frames: u64,
        video_fps: f64,
        height: u64,
        width: u64,
    ) -> Result<Qwen2VLPlan> {
        let count = FrameCount::Rate {
            fps: self.fps,
            min_frames: FPS_MIN_FRAMES,
            max_frames: Some(FPS_MAX_FRAMES),
        };
        let n = smart_nframes(total_frames, video_fps, count)?;
        let budget = VideoBudget {
            image_patch_size: self.layout.patch_size as u64,
            total_pixels: self.total_pixels,
            ..VideoBudget::default()
        };
        let resized = video_budget(n, height, width, &budget)?;
        Ok(self.plan_for(resized, Some(n)))
    }

    /// Token counts for rows that are images (`total_frames[i] == 0`) or clips
    /// ([`Qwen2VL::video_plan`] with `video_fps[i]`), into `out`.
    ///
    /// # Errors
    /// Slices of different lengths, or with [`RowErrors::Raise`] the first refused row.
    pub fn num_tokens_many_with_videos(
        &self,
        heights: &[i64],
        widths: &[i64],
        total_frames: &[i64],
        video_fps: &[f64],
        on_error: RowErrors,
        out: &mut [i64],
    ) -> Result<()> {
        let n = heights.len();
        if total_frames.len() != n || video_fps.len() != n {
            return invalid_arg!(
                "total_frames and video_fps must have one value per row ({n}), got {} and {}",
                total_frames.len(),
                video_fps.len()
            );
        }
        crate::core::many::map_rows(
            heights,
            widths,
            on_error,
            out,
            |i, h, w| match total_frames[i] {
                0 => self.num_tokens(h, w),
                t if t < 0 => invalid_arg!("total_frames must be >= 0, got {t}"),
                t => self
                    .video_plan(t as u64, video_fps[i], h, w)
                    .map(|p| p.num_tokens()),
            },
        )
    }
}

/// Pixels: `pixel_values` rows of one image in the 2×2-merge patch order (an image is one
/// frame, repeated to fill the temporal patch).
impl Family for Qwen2VL {
    type Plan = Qwen2VLPlan;

    /// `smart_resize` (transformers' rule) and the patch grid of an image.
    ///
    /// # Errors
    /// Sizes [`smart_resize`] refuses (aspect ratio above 200, zero or oversized sides).
    fn plan(&self, height: u64, width: u64) -> Result<Qwen2VLPlan> {
        let resized = smart_resize(
            height,
            width,
            self.layout.factor() as u64,
            self.min_pixels,
            self.max_pixels,
            SmartResizeRule::Transformers,
        )?;
        Ok(self.plan_for(resized, None))
    }

    fn image_into<T: Copy + Send + Sync + 'static>(
        &self,
        image: &ImageRef<'_>,
        plan: &Qwen2VLPlan,
        px: Pixels<'_, T>,
        out: &mut [T],
    ) -> Result<()> {
        frames_into(std::slice::from_ref(image), plan, self.layout, px, out)
    }
}

/// One video's frames (all one shape) and its plan.
pub type VideoJob<'a> = (Vec<ImageRef<'a>>, Qwen2VLPlan);

/// Writes `pixel_values_videos` for every video into `out`, rows in input order (videos
/// run on the opt-in thread pool).
///
/// # Errors
/// Invalid frames (naming the video) or an `out` of the wrong length.
pub fn videos_into<T: Copy + Send + Sync + 'static>(
    family: &Qwen2VL,
    videos: &[VideoJob<'_>],
    px: Pixels<'_, T>,
    out: &mut [T],
) -> Result<()> {
    let sized = videos.iter().map(|v| (v, v.1.pixel_len())).collect();
    let work = super::pipeline::split(out, sized)?;
    par::try_for_each(work, |i, ((frames, plan), dst)| {
        frames_into(frames, plan, family.layout, px, dst)
            .map_err(|e| e.context(&format!("video {i}")))
    })
}

fn frames_into<T: Copy + Send + Sync + 'static>(
    frames: &[ImageRef<'_>],
    plan: &Qwen2VLPlan,
    layout: PatchLayout,
    px: Pixels<'_, T>,
    out: &mut [T],
) -> Result<()> {
    let (h, w) = (plan.resized.0 as usize, plan.resized.1 as usize);
    // Converting first matches Pillow's `convert("RGB")` before the resize.
    let rgb: Vec<Cow<'_, [u8]>> = frames.iter().map(pipeline::rgb).collect::<Result<_>>()?;
    let views: Vec<ImageRef<'_>> = rgb
        .iter()
        .zip(frames)
        .map(|(d, f)| ImageRef::new(d, f.height, f.width, 3))
        .collect::<Result<_>>()?;
    if views.iter().all(|v| (v.height, v.width) == (h, w)) {
        // Already at the target size: patches straight from the frames.
        patchify_into(&views, layout, px.table.raw(), out)?;
    } else {
        let rs = px.resampling;
        resize_patchify_into(
            &views,
            (h, w),
            rs.filter,
            rs.compat,
            layout,
            px.table.raw(),
            out,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sized_plan_takes_the_given_size() {
        let layout = PatchLayout {
            patch_size: 16,
            temporal_patch_size: 2,
            merge_size: 2,
        };
        let q = Qwen2VL::new(layout, 4096.0, 25_165_824.0, 2.0, None).unwrap();
        let p = q.sized_plan(5, (64, 96)).unwrap();
        assert_eq!(
            (p.resized, p.grid_thw, p.num_frames),
            ((64, 96), [3, 4, 6], Some(5))
        );
        assert!(q.sized_plan(0, (64, 96)).is_err());
        assert!(q.sized_plan(2, (48, 96)).is_err());
        assert!(q.sized_plan(2, (0, 96)).is_err());
    }
}
