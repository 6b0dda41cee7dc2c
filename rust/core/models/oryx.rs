//! Oryx / Oryx-1.5 without pixels: the high- and low-resolution sizes of
//! `process_anyres_highres_image_genli`, video frame sizes of `resize_video`, and token
//! counts, with the official scripts' environment (`MAXRES=1536`, `MINRES=0`,
//! `HIGHRES_BASE=0x32`, `LOWRES_RESIZE=384x32`, `VIDEO_RESIZE=0x64`, `VIDEO_MAXRES=480`,
//! `VIDEO_MINRES=288`) as defaults.
//!
//! Every size follows the reference's f64 operation order: `s = sqrt(R·R / (W·H))`,
//! `int(W·s / patch) · patch`. Where that floors a side to 0 the reference's PIL resize
//! raises; we refuse the size with [`Error::AspectRatio`].

use super::pipeline::{resized, rgb, whole, Pixels};
use super::{Family, Plan};
use crate::core::error::{invalid_arg, Error, Result};
use crate::core::geometry::MAX_SIDE;
use crate::core::image::ImageRef;

/// OryxViT (SigLIP-so400m) patch size: feature grids are `size / 16`.
pub const VIT_PATCH: u64 = 16;
/// Sides below this are first up-scaled so the short side reaches 64 (`64 / side`).
pub const TINY_SIDE: u64 = 32;
/// Projector tokens around an image: begin, separator (between low and high), end.
pub const IMAGE_EXTRA_TOKENS: u64 = 3;

/// The image-side environment of the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OryxParams {
    /// `MAXRES`: images above `max_res²` pixels are scaled down to about that area.
    pub max_res: u64,
    /// `MINRES`: images below `min_res²` pixels are scaled up (0 = never).
    pub min_res: u64,
    /// `LOWRES_RESIZE` base: the low-res image has about `lowres_base²` pixels.
    pub lowres_base: u64,
    /// `LOWRES_RESIZE` patch: low-res sides are floored to a multiple of this.
    pub lowres_patch: u64,
    /// `HIGHRES_BASE` patch: high-res sides are floored to a multiple of this.
    pub highres_patch: u64,
}

impl Default for OryxParams {
    fn default() -> Self {
        Self {
            max_res: 1536,
            min_res: 0,
            lowres_base: 384,
            lowres_patch: 32,
            highres_patch: 32,
        }
    }
}

impl OryxParams {
    /// Refuses settings the model cannot consume.
    ///
    /// # Errors
    /// Zero or oversized resolutions, and patches that are not positive multiples of the
    /// ViT's 16 (the feature grid would not be whole).
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("max_res", self.max_res), ("lowres_base", self.lowres_base)] {
            if v == 0 || v > MAX_SIDE {
                return invalid_arg!("{name} must be between 1 and {MAX_SIDE}, got {v}");
            }
        }
        if self.min_res > MAX_SIDE {
            return invalid_arg!("min_res must be at most {MAX_SIDE}, got {}", self.min_res);
        }
        for (name, v) in [
            ("lowres_patch", self.lowres_patch),
            ("highres_patch", self.highres_patch),
        ] {
            if v == 0 || v % VIT_PATCH != 0 || v > MAX_SIDE {
                return invalid_arg!("{name} must be a positive multiple of {VIT_PATCH}, got {v}");
            }
        }
        Ok(())
    }
}

fn check_side(name: &str, v: u64) -> Result<()> {
    if v == 0 || v > MAX_SIDE {
        return invalid_arg!("{name} must be between 1 and {MAX_SIDE} pixels, got {v}");
    }
    Ok(())
}

/// `resize_images` / `resize_video` with `base_size == 0` (or the fixed-area branch when
/// `base` is given): returns `(height, width)` floored to multiples of `patch`.
fn floor_resize(
    height: u64,
    width: u64,
    patch: u64,
    scale: Option<f64>,
    what: &str,
) -> Result<(u64, u64)> {
    let s = scale.unwrap_or(1.0);
    let p = patch as f64;
    let nw = ((width as f64 * s) / p) as u64 * patch;
    let nh = ((height as f64 * s) / p) as u64 * patch;
    if nw == 0 || nh == 0 {
        return Err(Error::AspectRatio(format!(
            "the {what} of a {height}x{width} (h x w) image would be {nh}x{nw}; Oryx's resize \
             raises for a zero side (aspect ratio too extreme)"
        )));
    }
    Ok((nh, nw))
}

/// The `max_res` / `min_res` scale of `resize_images(base_size=0)`: `None` keeps the size.
fn area_scale(height: u64, width: u64, max_res: u64, min_res: u64) -> Option<f64> {
    let area = height * width;
    if area > max_res * max_res {
        Some(((max_res * max_res) as f64 / area as f64).sqrt())
    } else if area < min_res * min_res {
        Some(((min_res * min_res) as f64 / area as f64).sqrt())
    } else {
        None
    }
}

/// The fixed-area scale of `resize_images(base_size=base)`.
fn base_scale(height: u64, width: u64, base: u64) -> f64 {
    ((base * base) as f64 / (height * width) as f64).sqrt()
}

/// What Oryx does with one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OryxPlan {
    /// Size after the tiny-side up-scale (equal to the input unless a side is below 32).
    pub upscaled: (u64, u64),
    /// High-resolution `(height, width)`, multiples of `highres_patch`.
    pub highres: (u64, u64),
    /// Low-resolution `(height, width)` (resized from the high-res image).
    pub lowres: (u64, u64),
}

impl Plan for OryxPlan {
    /// `h1·(w1+1) + h2·(w2+1) + 3`: low rows and high rows each with a newline, plus
    /// begin, separator and end (all embeddings the model fills in for `<image>`).
    fn num_tokens(&self) -> u64 {
        let (h1, w1) = self.lowres_grid();
        let (h2, w2) = self.highres_grid();
        h1 * (w1 + 1) + h2 * (w2 + 1) + IMAGE_EXTRA_TOKENS
    }

    /// The prompt holds one `<image>` per image and adds nothing around it.
    fn wrapper_tokens(&self) -> u64 {
        0
    }

    /// `3·(high_h·high_w + low_h·low_w)`: the high-res planes, then the low-res ones.
    fn pixel_len(&self) -> Option<usize> {
        let area = |(h, w): (u64, u64)| usize::try_from(h.checked_mul(w)?).ok();
        area(self.highres)?
            .checked_add(area(self.lowres)?)?
            .checked_mul(3)
    }
}

impl OryxPlan {
    /// High-res feature grid `(rows, cols)` on the 16-pixel ViT grid.
    pub fn highres_grid(&self) -> (u64, u64) {
        (self.highres.0 / VIT_PATCH, self.highres.1 / VIT_PATCH)
    }

    /// Low-res feature grid `(rows, cols)`.
    pub fn lowres_grid(&self) -> (u64, u64) {
        (self.lowres.0 / VIT_PATCH, self.lowres.1 / VIT_PATCH)
    }
}

/// Oryx's image and video settings, validated once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oryx {
    image: OryxParams,
    video: VideoParams,
}

impl Oryx {
    /// Validates both environments.
    ///
    /// # Errors
    /// As [`OryxParams::validate`] and the video parameters' checks.
    pub fn new(image: OryxParams, video: VideoParams) -> Result<Self> {
        image.validate()?;
        video.validate()?;
        Ok(Self { image, video })
    }

    /// The image-side environment.
    pub fn image_params(&self) -> OryxParams {
        self.image
    }

    /// The video-side environment ('video'; set `long` for 'video_long').
    pub fn video_params(&self) -> VideoParams {
        self.video
    }
}

/// Pixels: the high-res planes `(3, h, w)` then the low-res ones `(3, h', w')`. The
/// tiny-side up-scale (if any) comes first; the low-res image is resized from the
/// high-res one.
impl Family for Oryx {
    type Plan = OryxPlan;

    /// Sizes for a `height × width` image (`process_anyres_highres_image_genli`).
    ///
    /// # Errors
    /// Bad sides, and sizes whose high- or low-res side floors to 0.
    fn plan(&self, height: u64, width: u64) -> Result<OryxPlan> {
        image_plan(height, width, &self.image)
    }

    fn image_into<T: Copy + Send + Sync + 'static>(
        &self,
        img: &ImageRef<'_>,
        plan: &OryxPlan,
        px: Pixels<'_, T>,
        out: &mut [T],
    ) -> Result<()> {
        let (hh, hw) = (plan.highres.0 as usize, plan.highres.1 as usize);
        let (lh, lw) = (plan.lowres.0 as usize, plan.lowres.1 as usize);
        let (high, low) = out.split_at_mut(3 * hh * hw);
        let data = rgb(img)?;
        let src = ImageRef::new(&data, img.height, img.width, 3)?;
        let (uh, uw) = (plan.upscaled.0 as usize, plan.upscaled.1 as usize);
        let up = resized(&src, uh, uw, px.resampling)?;
        let start = ImageRef::new(&up, uh, uw, 3)?;
        let hi = resized(&start, hh, hw, px.resampling)?;
        let hi_view = ImageRef::new(&hi, hh, hw, 3)?;
        whole(&hi_view, &px.table, high)?;
        let lo = resized(&hi_view, lh, lw, px.resampling)?;
        whole(&ImageRef::new(&lo, lh, lw, 3)?, &px.table, low)
    }
}

/// The image rule of a validated environment.
fn image_plan(height: u64, width: u64, params: &OryxParams) -> Result<OryxPlan> {
    check_side("height", height)?;
    check_side("width", width)?;
    let (w, h) = (width, height);
    // Tiny-side up-scale, ratio from the short side when both are tiny.
    let ratio = if w < TINY_SIDE && h < TINY_SIDE {
        Some(64.0 / w.min(h) as f64)
    } else if w < TINY_SIDE {
        Some(64.0 / w as f64)
    } else if h < TINY_SIDE {
        Some(64.0 / h as f64)
    } else {
        None
    };
    let upscaled = match ratio {
        Some(r) => ((h as f64 * r) as u64, (w as f64 * r) as u64),
        None => (h, w),
    };
    let (uh, uw) = upscaled;
    let scale = area_scale(uh, uw, params.max_res, params.min_res);
    let highres = floor_resize(
        uh,
        uw,
        params.highres_patch,
        scale,
        "high-res image (max_res, min_res, highres_patch)",
    )?;
    let lscale = base_scale(highres.0, highres.1, params.lowres_base);
    let lowres = floor_resize(
        highres.0,
        highres.1,
        params.lowres_patch,
        Some(lscale),
        "low-res image (lowres_base, lowres_patch)",
    )?;
    Ok(OryxPlan {
        upscaled,
        highres,
        lowres,
    })
}

/// The video side of the environment (`VIDEO_RESIZE=0x64`, `VIDEO_MAXRES`, `VIDEO_MINRES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoParams {
    /// `VIDEO_MAXRES`: frames above `max_res²` pixels are scaled down.
    pub max_res: u64,
    /// `VIDEO_MINRES`: frames below `min_res²` pixels are scaled up.
    pub min_res: u64,
    /// `VIDEO_RESIZE` patch: frame sides are floored to a multiple of this ('video');
    /// twice this for 'video_long'. A multiple of 32 so 2×2 pooling is whole.
    pub patch: u64,
    /// 'video_long' (4×4 pooling, patch doubled) instead of 'video' (2×2 pooling).
    pub long: bool,
}

impl Default for VideoParams {
    fn default() -> Self {
        Self {
            max_res: 480,
            min_res: 288,
            patch: 64,
            long: false,
        }
    }
}

impl VideoParams {
    /// Side of the square average-pooling window: 2 for 'video', 4 for 'video_long'.
    pub fn pool(&self) -> u64 {
        if self.long {
            4
        } else {
            2
        }
    }

    fn effective_patch(&self) -> u64 {
        if self.long {
            2 * self.patch
        } else {
            self.patch
        }
    }

    /// Refuses settings the reference cannot use.
    ///
    /// # Errors
    /// Zero or oversized resolutions; a patch that is not a positive multiple of 32.
    pub fn validate(&self) -> Result<()> {
        if self.max_res == 0 || self.max_res > MAX_SIDE || self.min_res > MAX_SIDE {
            return invalid_arg!(
                "video_max_res must be between 1 and {MAX_SIDE} and video_min_res at most that, got {} and {}",
                self.max_res,
                self.min_res
            );
        }
        if self.patch == 0 || self.patch % (2 * VIT_PATCH) != 0 || self.patch > MAX_SIDE {
            return invalid_arg!(
                "video_patch must be a positive multiple of 32, got {}",
                self.patch
            );
        }
        Ok(())
    }
}

/// Frame `(height, width)` of `resize_video` (no tiny-side up-scale on this path).
///
/// # Errors
/// Bad sides or parameters; a side that floors to 0.
pub fn video_frame_size(height: u64, width: u64, params: &VideoParams) -> Result<(u64, u64)> {
    check_side("height", height)?;
    check_side("width", width)?;
    params.validate()?;
    let scale = area_scale(height, width, params.max_res, params.min_res);
    floor_resize(
        height,
        width,
        params.effective_patch(),
        scale,
        "video frame (video_max_res, video_min_res, video_patch)",
    )
}

/// Tokens one frame of `frame_height × frame_width` pixels adds: pooled rows with a
/// newline each, plus a separator.
pub fn video_tokens_per_frame(frame_height: u64, frame_width: u64, params: &VideoParams) -> u64 {
    let cell = VIT_PATCH * params.pool();
    let (ph, pw) = (frame_height / cell, frame_width / cell);
    ph * (pw + 1) + 1
}

/// Tokens of a whole video: begin and end plus [`video_tokens_per_frame`] per frame.
///
/// # Errors
/// As [`video_frame_size`].
pub fn video_num_tokens(
    num_frames: u64,
    height: u64,
    width: u64,
    params: &VideoParams,
) -> Result<u64> {
    let (fh, fw) = video_frame_size(height, width, params)?;
    Ok(2 + num_frames * video_tokens_per_frame(fh, fw, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(h: u64, w: u64, params: &OryxParams) -> Result<OryxPlan> {
        Oryx::new(*params, VideoParams::default())?.plan(h, w)
    }

    fn image(w: u64, h: u64) -> (u64, u64, u64, u64, u64) {
        let p = plan(h, w, &OryxParams::default()).unwrap();
        (
            p.highres.1,
            p.highres.0,
            p.lowres.1,
            p.lowres.0,
            p.num_tokens(),
        )
    }

    #[test]
    fn spec_image_examples() {
        // (W, H) -> high (W, H), low (W, H), tokens
        assert_eq!(image(1920, 1080), (1920, 1056, 512, 256, 8517));
        assert_eq!(image(640, 480), (640, 480, 416, 320, 1773));
        assert_eq!(image(448, 448), (448, 448, 384, 384, 1415));
        assert_eq!(image(1000, 700), (992, 672, 448, 288, 3171));
        assert_eq!(image(2000, 3000), (1248, 1856, 288, 448, 9699));
        assert_eq!(image(20, 10), (128, 64, 512, 256, 567));
        assert_eq!(image(1537, 1537), (1536, 1536, 384, 384, 9915));
        assert_eq!(image(4000, 100), (4000, 96, 2464, 32, 1819));
    }

    #[test]
    fn spec_video_examples() {
        let v = VideoParams::default();
        assert_eq!(video_frame_size(720, 1280, &v).unwrap(), (320, 640));
        assert_eq!(video_tokens_per_frame(320, 640, &v), 211);
        assert_eq!(video_num_tokens(64, 720, 1280, &v).unwrap(), 13506);
        assert_eq!(video_frame_size(240, 320, &v).unwrap(), (192, 320));
        let long = VideoParams { long: true, ..v };
        assert_eq!(video_frame_size(720, 1280, &long).unwrap(), (256, 640));
        assert_eq!(video_tokens_per_frame(256, 640, &long), 45);
    }

    #[test]
    fn refusals() {
        let d = OryxParams::default();
        assert!(matches!(plan(40, 100_000, &d), Err(Error::AspectRatio(_))));
        // 4000x100: 'video' keeps a 64-pixel row, 'video_long' floors it to 0.
        let v = VideoParams::default();
        assert_eq!(video_frame_size(100, 4000, &v).unwrap(), (64, 3008));
        let long = VideoParams { long: true, ..v };
        assert!(matches!(
            video_frame_size(100, 4000, &long),
            Err(Error::AspectRatio(_))
        ));
        assert!(plan(0, 10, &d).is_err());
        assert!(plan(
            10,
            10,
            &OryxParams {
                lowres_patch: 24,
                ..d
            }
        )
        .is_err());
        assert!(plan(10, 10, &OryxParams { max_res: 0, ..d }).is_err());
        let bad = VideoParams {
            patch: 48,
            ..VideoParams::default()
        };
        assert!(video_frame_size(100, 100, &bad).is_err());
    }
}
