//! LLaVA-OneVision (anyres_max_9, SigLIP 384/14) without pixels: the canvas
//! `select_best_resolution` picks, resize-and-pad geometry, crops, the unpadded and
//! downsampled feature grid, token counts, and the bilinear feature pooling weights.
//!
//! Two references: LLaVA-NeXT (`Reference::Original`, reads pinpoints as `(w, h)`,
//! unpads with `int(x)`) and transformers 4.57 (`Reference::Transformers`, reads them as `(h, w)`,
//! unpads with `int(round(x, 7))`). Sizes are `(height, width)` in this API.

use super::pipeline::{resized, rgb, split, whole, window_into, Pixels, Placement};
use super::{Family, Plan, Reference};
use crate::core::error::{invalid_arg, try_with_capacity, Error, Result, MAX_ALLOC_BYTES};
use crate::core::geometry::MAX_SIDE;
use crate::core::image::{ImageBuf, ImageRef};
use crate::core::par;
use crate::core::sampling::py_floordiv;
use std::collections::HashMap;

/// Crop side of the vision tower (`siglip-so400m-patch14-384`): the default crop size.
pub const CROP_SIZE: u64 = 384;
/// Side of one vision-tower patch (SigLIP's 14): a crop of side `c` gives `c // 14`
/// features per side.
pub const VISION_PATCH: u64 = 14;

/// Feature grid side per 384-pixel crop: `384 // 14 = 27` (the last 6 pixels are unused).
pub const PATCHES_PER_SIDE: u64 = CROP_SIZE / VISION_PATCH;
/// Tokens of the base (whole-image) crop: 27².
pub const BASE_TOKENS: u64 = PATCHES_PER_SIDE * PATCHES_PER_SIDE;
/// `anyres_max_9`: the unpadded grid is downsampled once it exceeds ~9 crops of features.
pub const MAX_NUM_PATCHES: u64 = 9;
/// Tokens per image when a prompt holds several images (one 384² crop + one newline).
pub const MULTI_IMAGE_TOKENS: u64 = BASE_TOKENS + 1;
/// Pooled video grid side: `ceil(27 / 2)` (bilinear, stride 2).
pub const VIDEO_POOLED_SIDE: u64 = PATCHES_PER_SIDE.div_ceil(2);

/// The 36 `anyres_max_9` pinpoints `[384·i, 384·j]`, i, j in 1..=6, in config order.
pub fn anyres_max_9() -> Vec<(u64, u64)> {
    (1..=6)
        .flat_map(|i| (1..=6).map(move |j| (i * CROP_SIZE, j * CROP_SIZE)))
        .collect()
}

fn check_side(name: &str, v: u64) -> Result<()> {
    if v == 0 || v > MAX_SIDE {
        return invalid_arg!("{name} must be between 1 and {MAX_SIDE} pixels, got {v}");
    }
    Ok(())
}

/// Refuses an empty pinpoint list and non-positive or oversized entries. Neither the list's
/// length nor a canvas's crop count is capped here: a plan is arithmetic, and the pixels
/// (and the listed boxes, [`LlavaOnevisionPlan::boxes`]) of the chosen canvas are bounded
/// by the one-buffer limit.
///
/// # Errors
/// As described.
pub fn check_pinpoints(pinpoints: &[(u64, u64)]) -> Result<()> {
    if pinpoints.is_empty() {
        return invalid_arg!("pinpoints must hold at least one (height, width) pair, got none");
    }
    if let Some(&(a, b)) = pinpoints
        .iter()
        .find(|&&(a, b)| a == 0 || b == 0 || a > MAX_SIDE || b > MAX_SIDE)
    {
        return invalid_arg!("pinpoints must be positive sizes up to {MAX_SIDE}, got ({a}, {b})");
    }
    Ok(())
}

/// The `(height, width)` canvas for an image: the largest effective resolution
/// `min(int(W·s)·int(H·s), W·H)` with `s = min(Wc/W, Hc/H)`, then the least waste; the
/// first candidate wins a full tie. `pinpoints` is the config list: transformers reads each
/// pair as `(h, w)`, the original as `(w, h)` (same set for the symmetric default list).
///
/// # Errors
/// Bad sides or pinpoints.
pub fn select_best_resolution(
    height: u64,
    width: u64,
    pinpoints: &[(u64, u64)],
    reference: Reference,
) -> Result<(u64, u64)> {
    check_side("height", height)?;
    check_side("width", width)?;
    check_pinpoints(pinpoints)?;
    Ok(best_resolution(height, width, pinpoints, reference))
}

fn best_resolution(
    height: u64,
    width: u64,
    pinpoints: &[(u64, u64)],
    reference: Reference,
) -> (u64, u64) {
    let (oh, ow) = (height as f64, width as f64);
    let area = height * width;
    let mut best = (0, 0);
    let mut max_eff = 0u64;
    let mut min_waste = u64::MAX;
    for &(a, b) in pinpoints {
        let (ch, cw) = match reference {
            Reference::Transformers => (a, b),
            Reference::Original => (b, a),
        };
        let scale = (cw as f64 / ow).min(ch as f64 / oh);
        let (dw, dh) = ((ow * scale) as u64, (oh * scale) as u64);
        let eff = (dw * dh).min(area);
        // int(W·s) <= Wc and int(H·s) <= Hc, so the waste is never negative.
        let waste = ch * cw - eff;
        if eff > max_eff || (eff == max_eff && waste < min_waste) {
            max_eff = eff;
            min_waste = waste;
            best = (ch, cw);
        }
    }
    best
}

/// `int(round(x, 7))` for `x >= 0`: only differs from `floor(x)` when `x` lies within
/// 5e-8 below an integer; there the decimal rounding is done exactly by formatting.
fn int_round7(x: f64) -> u64 {
    let f = x.floor();
    if f + 1.0 - x >= 1e-6 {
        return f as u64;
    }
    let s = format!("{x:.7}");
    s.split('.')
        .next()
        .and_then(|i| i.parse().ok())
        .unwrap_or(f as u64)
}

/// Everything LLaVA-OneVision decides for one image, features included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LlavaOnevisionPlan {
    /// Canvas height chosen among the pinpoints.
    pub canvas_height: u64,
    /// Canvas width.
    pub canvas_width: u64,
    /// Height of the image resized (aspect kept, `ceil`) to fit the canvas.
    pub resized_height: u64,
    /// Width of the resized image.
    pub resized_width: u64,
    /// Rows of black padding above the resized image (`(Hc - nh) // 2`).
    pub pad_top: u64,
    /// Columns of black padding left of it (`(Wc - nw) // 2`).
    pub pad_left: u64,
    /// Side of the square crops (`size` upstream; 384 for the OneVision checkpoints).
    pub crop_size: u64,
    /// Crop rows: `ceil(canvas_height / crop_size)` (the last row is shorter when the
    /// canvas is not a multiple of the crop; upstream stretches it to a full crop).
    pub rows: u64,
    /// Crop columns: `ceil(canvas_width / crop_size)`.
    pub cols: u64,
    /// Feature rows left after removing the padding rows.
    pub unpadded_height: u64,
    /// Feature columns left after removing the padding columns.
    pub unpadded_width: u64,
    /// `sqrt(h·w / (9·p²))` of the unpadded grid (`p = crop_size // 14`, 27 for 384);
    /// above 1.1 the grid is downsampled.
    pub times: f64,
    /// Final feature rows (downsampled to `int(h // times)` when `times > 1.1`).
    pub final_height: u64,
    /// Final feature columns.
    pub final_width: u64,
    /// `p² + final_height · (final_width + 1)`: base crop, grid, one newline per row.
    pub num_tokens: u64,
}

impl LlavaOnevisionPlan {
    /// Crops fed to the vision tower: the whole-image base crop plus `rows · cols`.
    pub fn num_crops(&self) -> u64 {
        1 + self.rows * self.cols
    }

    /// `(top, left, height, width)` of each crop of the canvas, row-major (the base
    /// crop, a squash of the whole image, comes first and is not listed); edge crops are
    /// cut short where the canvas ends.
    ///
    /// # Errors
    /// A canvas whose crops, as uint8 pixels, would not fit one buffer
    /// ([`MAX_ALLOC_BYTES`]): it can never be preprocessed, and listing its boxes (up to
    /// 1.9e9 of them) would take minutes and gigabytes.
    pub fn boxes(&self) -> Result<Vec<[u64; 4]>> {
        let (s, hc, wc) = (self.crop_size, self.canvas_height, self.canvas_width);
        let crops = self.rows * self.cols;
        let bytes = u128::from(crops) * 3 * u128::from(s) * u128::from(s);
        if bytes > MAX_ALLOC_BYTES as u128 {
            return Err(Error::Budget(format!(
                "the pinpoint canvas ({hc}, {wc}) cuts into {crops} crops of {s}², whose \
                 pixels ({bytes} bytes as uint8) exceed the limit of {MAX_ALLOC_BYTES} bytes \
                 (4 GiB) for one buffer; boxes are listed for canvases within it"
            )));
        }
        Ok((0..self.rows)
            .flat_map(|r| {
                (0..self.cols).map(move |c| {
                    let (top, left) = (r * s, c * s);
                    [top, left, s.min(hc - top), s.min(wc - left)]
                })
            })
            .collect())
    }
}

/// Plans images for one pinpoint list and reference.
#[derive(Debug, Clone)]
pub struct LlavaOnevision {
    pinpoints: Vec<(u64, u64)>,
    reference: Reference,
    crop: u64,
    /// Canvas heights and widths occurring in the list (`Wc/W` and `Hc/H` are computed
    /// once per distinct side, not per pinpoint: 12 divisions instead of 72 for the default).
    heights: Vec<u64>,
    widths: Vec<u64>,
    /// Per pinpoint in scan order: indices into `heights` and `widths`.
    scan: Vec<(usize, usize)>,
}

impl LlavaOnevision {
    /// [`Self::with_crop`] with the OneVision checkpoints' 384-pixel crops.
    ///
    /// # Errors
    /// As [`Self::with_crop`].
    pub fn new(pinpoints: &[(u64, u64)], reference: Reference) -> Result<Self> {
        Self::with_crop(pinpoints, reference, CROP_SIZE)
    }

    /// Validates the crop side and the pinpoints: every pinpoint side must hold at least
    /// one whole crop (the feature grid counts `side // crop` crops per side; sides that
    /// are not multiples of the crop give shorter edge crops).
    ///
    /// # Errors
    /// `crop` outside `14..=MAX_SIDE`, an empty list, sides below `crop`, too many crops.
    pub fn with_crop(pinpoints: &[(u64, u64)], reference: Reference, crop: u64) -> Result<Self> {
        if !(VISION_PATCH..=MAX_SIDE).contains(&crop) {
            return invalid_arg!(
                "crop_size must be between {VISION_PATCH} (one vision patch) and {MAX_SIDE} \
                 pixels, got {crop}"
            );
        }
        check_pinpoints(pinpoints)?;
        if let Some(&(a, b)) = pinpoints.iter().find(|&&(a, b)| a < crop || b < crop) {
            return invalid_arg!(
                "pinpoints must hold at least one {crop}-pixel crop per side, got ({a}, {b})"
            );
        }
        let (mut heights, mut widths, mut scan) = (Vec::new(), Vec::new(), Vec::new());
        // Side -> its index in `heights` / `widths`: one lookup per pinpoint, so a list of
        // any length is indexed in linear time.
        let (mut seen_h, mut seen_w) = (HashMap::new(), HashMap::new());
        let index = |v: &mut Vec<u64>, seen: &mut HashMap<u64, usize>, x: u64| {
            *seen.entry(x).or_insert_with(|| {
                v.push(x);
                v.len() - 1
            })
        };
        for &(a, b) in pinpoints {
            let (ch, cw) = match reference {
                Reference::Transformers => (a, b),
                Reference::Original => (b, a),
            };
            scan.push((
                index(&mut heights, &mut seen_h, ch),
                index(&mut widths, &mut seen_w, cw),
            ));
        }
        Ok(Self {
            pinpoints: pinpoints.to_vec(),
            reference,
            crop,
            heights,
            widths,
            scan,
        })
    }

    /// [`select_best_resolution`] with the per-side divisions shared between pinpoints
    /// (the same f64 values, so the same choice).
    fn best(&self, height: u64, width: u64) -> (u64, u64) {
        let (oh, ow) = (height as f64, width as f64);
        let mut sh = [0f64; 64];
        let mut sw = [0f64; 64];
        if self.heights.len() > sh.len() || self.widths.len() > sw.len() {
            return best_resolution(height, width, &self.pinpoints, self.reference);
        }
        for (s, &c) in sh.iter_mut().zip(&self.heights) {
            *s = c as f64 / oh;
        }
        for (s, &c) in sw.iter_mut().zip(&self.widths) {
            *s = c as f64 / ow;
        }
        let area = height * width;
        let (mut best, mut max_eff, mut min_waste) = ((0, 0), 0u64, u64::MAX);
        for &(ih, iw) in &self.scan {
            let scale = sw[iw].min(sh[ih]);
            let (dw, dh) = ((ow * scale) as u64, (oh * scale) as u64);
            let eff = (dw * dh).min(area);
            let (ch, cw) = (self.heights[ih], self.widths[iw]);
            let waste = ch * cw - eff;
            if eff > max_eff || (eff == max_eff && waste < min_waste) {
                max_eff = eff;
                min_waste = waste;
                best = (ch, cw);
            }
        }
        best
    }
}

/// Pixels: LLaVA-OneVision `pixel_values` `(crops, 3, 384, 384)` of one image, the base
/// crop (a squash to 384²) then the row-major crops of the black canvas holding the
/// aspect-preserving resize. A batch pads every image to its largest crop count with
/// zeros (transformers' batch padding).
impl Family for LlavaOnevision {
    type Plan = LlavaOnevisionPlan;

    const PADDED_BATCH: bool = true;

    /// The plan for a `height × width` image.
    ///
    /// # Errors
    /// A side of 0 or above [`MAX_SIDE`].
    fn plan(&self, height: u64, width: u64) -> Result<LlavaOnevisionPlan> {
        check_side("height", height)?;
        check_side("width", width)?;
        let (hc, wc) = self.best(height, width);
        let (oh, ow) = (height as f64, width as f64);
        // resize_and_pad_image / get_patch_output_size: ceil, tie goes to the else branch.
        let (sw, sh) = (wc as f64 / ow, hc as f64 / oh);
        let (nh, nw) = if sw < sh {
            (((oh * sw).ceil() as u64).min(hc), wc)
        } else {
            (hc, ((ow * sh).ceil() as u64).min(wc))
        };
        let s = self.crop;
        // Features count whole crops (`_get_number_of_features`: `Hc // size`); pixels
        // cut the canvas into ceil-many crops, the edge ones short.
        let p = s / VISION_PATCH;
        let (mut ch, mut cw) = (p * (hc / s), p * (wc / s));
        let trunc = |x: f64| match self.reference {
            Reference::Original => x as u64,
            Reference::Transformers => int_round7(x),
        };
        if ow / oh > cw as f64 / ch as f64 {
            let new_h = trunc(oh * (cw as f64 / ow));
            ch -= 2 * (ch.saturating_sub(new_h) / 2);
        } else {
            let new_w = trunc(ow * (ch as f64 / oh));
            cw -= 2 * (cw.saturating_sub(new_w) / 2);
        }
        let times = ((ch * cw) as f64 / (MAX_NUM_PATCHES * p * p) as f64).sqrt();
        let (fh, fw) = if times > 1.1 {
            (
                py_floordiv(ch as f64, times) as u64,
                py_floordiv(cw as f64, times) as u64,
            )
        } else {
            (ch, cw)
        };
        Ok(LlavaOnevisionPlan {
            canvas_height: hc,
            canvas_width: wc,
            resized_height: nh,
            resized_width: nw,
            pad_top: (hc - nh) / 2,
            pad_left: (wc - nw) / 2,
            crop_size: s,
            rows: hc.div_ceil(s),
            cols: wc.div_ceil(s),
            unpadded_height: ch,
            unpadded_width: cw,
            times,
            final_height: fh,
            final_width: fw,
            num_tokens: p * p + fh * (fw + 1),
        })
    }
    fn image_into<T: Copy + Send + Sync + 'static>(
        &self,
        img: &ImageRef<'_>,
        plan: &LlavaOnevisionPlan,
        px: Pixels<'_, T>,
        out: &mut [T],
    ) -> Result<()> {
        let data = rgb(img)?;
        let src = ImageRef::new(&data, img.height, img.width, 3)?;
        let side = plan.crop_size as usize;
        let crop_len = 3 * side * side;
        let (base, crops) = out.split_at_mut(crop_len);
        par::try_for_each(vec![(true, base), (false, crops)], |_, (is_base, dst)| {
            if is_base {
                let b = resized(&src, side, side, px.resampling)?;
                return whole(&ImageRef::new(&b, side, side, 3)?, &px.table, dst);
            }
            let (nh, nw) = (plan.resized_height as usize, plan.resized_width as usize);
            let fitted = resized(&src, nh, nw, px.resampling)?;
            let view = ImageRef::new(&fitted, nh, nw, 3)?;
            let at = Placement {
                top: plan.pad_top as usize,
                left: plan.pad_left as usize,
                pad: [0; 3],
            };
            for (b, crop) in plan
                .boxes()?
                .into_iter()
                .zip(dst.chunks_exact_mut(crop_len))
            {
                let window = b.map(|v| v as usize);
                if window[2] == side && window[3] == side {
                    window_into(&view, at, window, &px.table, crop)?;
                    continue;
                }
                // An edge crop cut short: its bytes, stretched to a full crop.
                let short = canvas_window(&view, at, window)?;
                let full = resized(&short.view(), side, side, px.resampling)?;
                whole(&ImageRef::new(&full, side, side, 3)?, &px.table, crop)?;
            }
            Ok(())
        })
    }
}

impl Plan for LlavaOnevisionPlan {
    /// `729 + final_height · (final_width + 1)`: base crop, grid, one newline per row
    /// (all features the projector fills).
    fn num_tokens(&self) -> u64 {
        self.num_tokens
    }

    /// The processor adds no tokens around the `<image>` placeholders.
    fn wrapper_tokens(&self) -> u64 {
        0
    }

    /// `num_crops · 3 · crop_size²`.
    fn pixel_len(&self) -> Option<usize> {
        let side = usize::try_from(self.crop_size).ok()?;
        usize::try_from(self.num_crops())
            .ok()?
            .checked_mul(3usize.checked_mul(side)?.checked_mul(side)?)
    }
}

/// The `[top, left, h, w]` window of the zero canvas `src` is placed on, as RGB bytes.
fn canvas_window(src: &ImageRef<'_>, at: Placement, window: [usize; 4]) -> Result<ImageBuf> {
    let [top, left, h, w] = window;
    let mut out = ImageBuf::zeros(h, w, 3)?;
    let x0 = at.left.saturating_sub(left).min(w);
    let x1 = (at.left + src.width).saturating_sub(left).clamp(x0, w);
    for (y, row) in out.data.chunks_exact_mut(w * 3).enumerate() {
        let cy = top + y;
        if cy < at.top || cy >= at.top + src.height || x1 == x0 {
            continue;
        }
        let sx = left + x0 - at.left;
        row[x0 * 3..x1 * 3].copy_from_slice(&src.row(cy - at.top)[sx * 3..(sx + x1 - x0) * 3]);
    }
    Ok(out)
}

/// LLaVA-OneVision's multi-image path (several images in one prompt): each image padded
/// to a square with `background` (per channel, `int(255·mean)` upstream) centred with
/// `(max - min) // 2`, then squashed to `side²` — one `(3, side, side)` crop per image.
///
/// # Errors
/// Invalid images or a wrongly sized `out`.
pub fn multi_image_into<T: Copy + Send + Sync + 'static>(
    images: &[ImageRef<'_>],
    background: [u8; 3],
    side: usize,
    px: Pixels<'_, T>,
    out: &mut [T],
) -> Result<()> {
    if side == 0 || side as u64 > MAX_SIDE {
        return invalid_arg!("side must be between 1 and {MAX_SIDE} pixels, got {side}");
    }
    let side_len = 3usize.checked_mul(side).and_then(|v| v.checked_mul(side));
    let work = split(out, images.iter().map(|im| (im, side_len)).collect())?;
    par::try_for_each(work, |i, (img, dst)| {
        pad_square_squash(img, background, side, px, dst)
            .map_err(|e| e.context(&format!("image {i}")))
    })
}

fn pad_square_squash<T: Copy + 'static>(
    img: &ImageRef<'_>,
    background: [u8; 3],
    side: usize,
    px: Pixels<'_, T>,
    dst: &mut [T],
) -> Result<()> {
    let data = rgb(img)?;
    let (h, w) = (img.height, img.width);
    let n = h.max(w);
    let squared;
    let square = if h == w {
        ImageRef::new(&data, h, w, 3)?
    } else {
        let mut sq = ImageBuf::zeros(n, n, 3)?;
        for px in sq.data.chunks_exact_mut(3) {
            px.copy_from_slice(&background);
        }
        let (top, left) = ((n - h) / 2, (n - w) / 2);
        for (y, row) in data.chunks_exact(w * 3).enumerate() {
            let at = ((top + y) * n + left) * 3;
            sq.data[at..at + w * 3].copy_from_slice(row);
        }
        squared = sq;
        squared.view()
    };
    let small = resized(&square, side, side, px.resampling)?;
    whole(&ImageRef::new(&small, side, side, 3)?, &px.table, dst)
}

/// `<video>` tokens for `num_frames` frames: 14×14 pooled features each, one newline.
pub fn video_num_tokens(num_frames: u64) -> u64 {
    num_frames * VIDEO_POOLED_SIDE * VIDEO_POOLED_SIDE + 1
}

/// Float types [`resize_bilinear`] works on (torch computes the weights in the tensor's
/// own precision on the CPU: float for float32, double for float64).
pub trait Real:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + Send
    + Sync
{
    /// Conversion from an index or size.
    fn from_i64(v: i64) -> Self;
    /// The literal `c` (0.5, 1.0, 0.0).
    fn lit(c: f64) -> Self;
    /// Floor, truncated to an index (`floorf` then `int64_t`).
    fn floor_i64(self) -> i64;
    /// `scale·(o + 0.5) - 0.5` rounded once: torch's CPU build contracts it into a fused
    /// multiply-add for float32 (the golden 128→120 taps show it); the product of a float
    /// and a half-integer is exact in f64, so f64 arithmetic then one rounding is the same.
    fn source_index(scale: Self, o: usize) -> Self;
}

impl Real for f32 {
    fn from_i64(v: i64) -> Self {
        v as f32
    }
    fn lit(c: f64) -> Self {
        c as f32
    }
    fn floor_i64(self) -> i64 {
        self.floor() as i64
    }
    fn source_index(scale: Self, o: usize) -> Self {
        (f64::from(scale) * (o as f64 + 0.5) - 0.5) as f32
    }
}

impl Real for f64 {
    fn from_i64(v: i64) -> Self {
        v as f64
    }
    fn lit(c: f64) -> Self {
        c
    }
    fn floor_i64(self) -> i64 {
        self.floor() as i64
    }
    fn source_index(scale: Self, o: usize) -> Self {
        scale * (o as f64 + 0.5) - 0.5
    }
}

/// One output index of a 1-D bilinear resize: inputs `i0`, `i1` with weights `w0`, `w1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tap<T> {
    /// First input index.
    pub i0: usize,
    /// Second input index (`i0 + 1`, or `i0` at the border).
    pub i1: usize,
    /// Weight of `i0`: `1 - w1`.
    pub w0: T,
    /// Weight of `i1`: the fractional source position.
    pub w1: T,
}

/// `F.interpolate(mode="bilinear", align_corners=False)` weights along one axis:
/// `scale = in / out`, `src = max(scale·(o + 0.5) - 0.5, 0)` (one rounding, see
/// [`Real::source_index`]), `i0 = min(floor(src), in-1)`, `w1 = clamp(src - i0, 0, 1)`,
/// `w0 = 1 - w1`, all in `T`; equal sizes copy.
pub fn bilinear_taps<T: Real>(in_size: usize, out_size: usize) -> Vec<Tap<T>> {
    if in_size == out_size {
        return (0..out_size)
            .map(|o| Tap {
                i0: o,
                i1: o,
                w0: T::lit(1.0),
                w1: T::lit(0.0),
            })
            .collect();
    }
    let scale = T::from_i64(in_size as i64) / T::from_i64(out_size as i64);
    (0..out_size)
        .map(|o| {
            let mut src = T::source_index(scale, o);
            if src < T::lit(0.0) {
                src = T::lit(0.0);
            }
            let i0 = src.floor_i64().min(in_size as i64 - 1);
            let mut w1 = src - T::from_i64(i0);
            if w1 < T::lit(0.0) {
                w1 = T::lit(0.0);
            }
            if w1 > T::lit(1.0) {
                w1 = T::lit(1.0);
            }
            let i0 = i0 as usize;
            Tap {
                i0,
                i1: if i0 + 1 < in_size { i0 + 1 } else { i0 },
                w0: T::lit(1.0) - w1,
                w1,
            }
        })
        .collect()
}

/// Largest output side of [`resize_bilinear`]: feature grids are tens of cells, not millions.
pub const MAX_POOL_SIDE: usize = 1 << 16;

/// Bilinear resize of `batch` feature maps laid out `(batch, h, w, c)` to `(oh, ow)`,
/// evaluating `h0·(w0·x00 + w1·x01) + h1·(w0·x10 + w1·x11)` per channel in torch's
/// order. The weights are torch's exactly; torch's build may fuse the multiply-adds of the
/// sum, so outputs can differ from it in the last bit (we never fuse).
///
/// # Errors
/// A zero input or output size, or `src.len() != batch·h·w·c`.
pub fn resize_bilinear<T: Real>(
    src: &[T],
    dims: [usize; 4],
    out_hw: (usize, usize),
) -> Result<Vec<T>> {
    let [batch, h, w, c] = dims;
    let (oh, ow) = out_hw;
    if h == 0 || w == 0 || oh == 0 || ow == 0 {
        return invalid_arg!(
            "bilinear resize needs non-empty grids, got ({h}, {w}) -> ({oh}, {ow})"
        );
    }
    let expected = batch
        .checked_mul(h)
        .and_then(|v| v.checked_mul(w))
        .and_then(|v| v.checked_mul(c));
    if expected != Some(src.len()) {
        return invalid_arg!(
            "features hold {} values, expected batch·h·w·c = {batch}·{h}·{w}·{c}",
            src.len()
        );
    }
    if oh > MAX_POOL_SIDE || ow > MAX_POOL_SIDE {
        return invalid_arg!(
            "out_hw ({oh}, {ow}) is larger than a feature grid can be; sides up to \
             {MAX_POOL_SIDE} are accepted"
        );
    }
    let Some(total) = batch.checked_mul(oh * ow).and_then(|v| v.checked_mul(c)) else {
        return invalid_arg!("output of {batch}x{oh}x{ow}x{c} values is too large");
    };
    if total == 0 {
        return Ok(Vec::new());
    }
    let (ty, tx) = (bilinear_taps::<T>(h, oh), bilinear_taps::<T>(w, ow));
    let mut out = try_with_capacity(
        total,
        &format!("pool_features output for out_hw ({oh}, {ow})"),
    )?;
    for b in 0..batch {
        let img = &src[b * h * w * c..(b + 1) * h * w * c];
        for y in &ty {
            let (r0, r1) = (&img[y.i0 * w * c..], &img[y.i1 * w * c..]);
            for x in &tx {
                let (a0, a1) = (x.i0 * c, x.i1 * c);
                for k in 0..c {
                    let top = x.w0 * r0[a0 + k] + x.w1 * r0[a1 + k];
                    let bottom = x.w0 * r1[a0 + k] + x.w1 * r1[a1 + k];
                    out.push(y.w0 * top + y.w1 * bottom);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(w: u64, h: u64, conv: Reference) -> LlavaOnevisionPlan {
        LlavaOnevision::new(&anyres_max_9(), conv)
            .unwrap()
            .plan(h, w)
            .unwrap()
    }

    #[test]
    fn spec_examples() {
        // (W, H) -> canvas (h, w), resized (h, w), pad (top, left), grid, tokens
        let p = plan(640, 480, Reference::Transformers);
        assert_eq!((p.canvas_height, p.canvas_width), (768, 768));
        assert_eq!((p.resized_height, p.resized_width), (576, 768));
        assert_eq!((p.pad_top, p.pad_left), (96, 0));
        assert_eq!((p.unpadded_height, p.unpadded_width), (40, 54));
        assert_eq!(p.num_tokens, 2929);
        let p = plan(1920, 1080, Reference::Transformers);
        assert_eq!((p.rows, p.cols, p.num_crops()), (3, 5, 16));
        assert_eq!(
            (p.final_height, p.final_width, p.num_tokens),
            (60, 108, 7269)
        );
        let p = plan(3000, 4000, Reference::Original);
        assert_eq!(
            (p.final_height, p.final_width, p.num_tokens),
            (93, 70, 7332)
        );
        assert_eq!((p.pad_top, p.pad_left), (0, 96));
        let p = plan(100, 1500, Reference::Original);
        assert_eq!(
            (p.resized_height, p.resized_width, p.pad_left),
            (1536, 103, 140)
        );
        assert_eq!(plan(47, 423, Reference::Original).num_tokens, 1053);
        assert_eq!(plan(47, 423, Reference::Transformers).num_tokens, 1161);
        assert_eq!(plan(7938, 5488, Reference::Original).num_tokens, 7295);
        assert_eq!(plan(7938, 5488, Reference::Transformers).num_tokens, 7228);
    }

    #[test]
    fn shared_divisions_choose_the_same_canvas() {
        let pins = [
            (384, 768),
            (1152, 384),
            (768, 768),
            (384, 384),
            (2304, 1152),
        ];
        for conv in [Reference::Original, Reference::Transformers] {
            for list in [&anyres_max_9()[..], &pins[..]] {
                let p = LlavaOnevision::new(list, conv).unwrap();
                for h in (1..5000).step_by(53) {
                    for w in (1..5000).step_by(47) {
                        assert_eq!(p.best(h, w), best_resolution(h, w, list, conv));
                    }
                }
            }
        }
    }

    #[test]
    fn round7() {
        assert_eq!(int_round7(5.999_999_999_999_999), 6);
        assert_eq!(int_round7(5.999_999), 5);
        assert_eq!(int_round7(5.999_999_96), 6);
        assert_eq!(int_round7(5.999_999_94), 5);
        assert_eq!(int_round7(7.0), 7);
    }

    #[test]
    fn pinpoints_are_checked() {
        assert!(LlavaOnevision::new(&[], Reference::Transformers).is_err());
        assert!(LlavaOnevision::new(&[(300, 500)], Reference::Transformers).is_err());
        assert!(LlavaOnevision::with_crop(&[(384, 384)], Reference::Transformers, 13).is_err());
        // A side that is not a multiple of the crop: short edge crops, whole-crop features.
        let p = LlavaOnevision::new(&[(384, 500)], Reference::Transformers)
            .unwrap()
            .plan(100, 130)
            .unwrap();
        assert_eq!((p.rows, p.cols), (1, 2));
        assert_eq!(
            p.boxes().unwrap(),
            vec![[0, 0, 384, 384], [0, 384, 384, 116]]
        );
        assert_eq!(p.unpadded_width, 27);
        let p = LlavaOnevision::with_crop(&[(336, 672)], Reference::Transformers, 336)
            .unwrap()
            .plan(100, 200)
            .unwrap();
        assert_eq!((p.rows, p.cols, p.num_tokens), (1, 2, 24 * 24 + 24 * 49));
        assert!(select_best_resolution(10, 10, &[(0, 384)], Reference::Original).is_err());
        assert_eq!(
            select_best_resolution(500, 500, &anyres_max_9(), Reference::Original).unwrap(),
            (768, 768)
        );
    }

    #[test]
    fn video_pooling_weights_27_to_14() {
        let t = bilinear_taps::<f64>(27, 14);
        assert_eq!((t[0].i0, t[0].i1), (0, 1));
        assert!((t[0].w0 - 15.0 / 28.0).abs() < 1e-15);
        assert_eq!((t[7].i0, t[7].i1), (13, 14));
        assert_eq!(video_num_tokens(8), 8 * 196 + 1);
        let t32 = bilinear_taps::<f32>(128, 24);
        assert_eq!((t32[0].i0, t32[0].w0), (2, 0.833_333_25_f32));
        // torch's fused rounding: 128→120 output 7 sits just past 7.5.
        let t = bilinear_taps::<f32>(128, 120);
        assert_eq!((t[7].i0, t[7].w1), (7, 0.500_000_5_f32));
    }

    #[test]
    fn resize_identity_and_average() {
        let x: Vec<f32> = (0..2 * 3 * 4 * 2).map(|v| v as f32).collect();
        assert_eq!(resize_bilinear(&x, [2, 3, 4, 2], (3, 4)).unwrap(), x);
        let y = resize_bilinear(&[0.0f32, 2.0, 4.0, 6.0], [1, 2, 2, 1], (1, 1)).unwrap();
        assert_eq!(y, [3.0]);
        assert!(resize_bilinear(&x, [2, 3, 4, 3], (3, 4)).is_err());
        assert!(resize_bilinear(&x, [2, 3, 4, 2], (0, 4)).is_err());
    }
}
