//! Pixtral (Mistral's dynamic-resolution family: Pixtral-12B, Mistral-Small-3.1).
//!
//! Plan: an image larger than the maximum size is scaled down (one ratio, each side
//! floored), then each side is rounded up to the token unit, `patch_size ·
//! spatial_merge_size`. Pixels: that resize, normalised, padded with 0.0 at the bottom and
//! right to the batch's largest size. Layout: `[IMG]` per token, `[IMG_BREAK]` after each
//! token row, the last one replaced by `[IMG_END]`.

use super::pipeline::{resized, rgb, split, whole, window_into, Pixels, AT_ORIGIN};
use super::{Family, Plan};
use crate::core::error::{invalid_arg, Error, Result};
use crate::core::geometry::MAX_SIDE;
use crate::core::image::{ImageRef, MAX_IMAGE_SIDE};
use crate::core::par;

/// The settings every Pixtral rule depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixtralParams {
    /// The largest `(height, width)` kept without scaling (`size["longest_edge"]` twice).
    pub max_size: (u64, u64),
    /// `(height, width)` of one vision-encoder patch (16 for Pixtral-12B, 14 for
    /// Mistral-Small-3.1).
    pub patch_size: (u64, u64),
    /// Side of the patch-merge window after the encoder (1, or 2 for Mistral-Small-3.1);
    /// one token covers `spatial_merge_size²` patches.
    pub spatial_merge_size: u64,
}

/// What Pixtral does with one image of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PixtralPlan {
    /// `(height, width)` after the longest-edge scaling, before rounding up.
    pub scaled: (u64, u64),
    /// `(height, width)` the image is resized to: `scaled` rounded up to the token unit
    /// (the processor's `image_sizes`).
    pub resized: (u64, u64),
    /// `(rows, cols)` of image tokens: `resized` divided by the token unit.
    pub grid: (u64, u64),
}

impl Plan for PixtralPlan {
    /// `[IMG]` tokens the vision encoder's features fill: `rows · cols`.
    fn num_tokens(&self) -> u64 {
        self.grid.0 * self.grid.1
    }

    /// Tokens around them: one `[IMG_BREAK]` per row but the last, one `[IMG_END]`.
    fn wrapper_tokens(&self) -> u64 {
        self.grid.0
    }

    /// `3 · height · width` of the resized image (unpadded).
    fn pixel_len(&self) -> Option<usize> {
        let (h, w) = self.resized;
        usize::try_from(h.checked_mul(w)?.checked_mul(3)?).ok()
    }
}

/// The token ids an image expands into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixtralTokens {
    /// `[IMG]`: the placeholder of the prompt and each image token.
    pub image: i64,
    /// `[IMG_BREAK]`: after each row of image tokens but the last.
    pub image_break: i64,
    /// `[IMG_END]`: after the last row.
    pub image_end: i64,
}

/// Pixtral's rules for one set of [`PixtralParams`], checked once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pixtral {
    params: PixtralParams,
}

impl Pixtral {
    /// Checks the settings.
    ///
    /// # Errors
    /// Sides, patch sizes or a merge size of 0, or a maximum size beyond the planning
    /// limit ([`MAX_SIDE`]).
    pub fn new(params: PixtralParams) -> Result<Self> {
        let PixtralParams {
            max_size: (mh, mw),
            patch_size: (ph, pw),
            spatial_merge_size: m,
        } = params;
        // Pixtral only shrinks: a maximum past the kernels' side limit is fine (what is
        // resized is checked in `plan`), so only the planning limit applies.
        if !(1..=MAX_SIDE).contains(&mh) || !(1..=MAX_SIDE).contains(&mw) {
            return invalid_arg!(
                "the maximum size (longest_edge, or size's height and width) must have sides \
                 in 1..={MAX_SIDE}, got {mh}x{mw}"
            );
        }
        if !(1..=1024).contains(&ph) || !(1..=1024).contains(&pw) || !(1..=64).contains(&m) {
            return invalid_arg!(
                "patch_size sides must be in 1..=1024 and spatial_merge_size in 1..=64, \
                 got patch_size ({ph}, {pw}) and spatial_merge_size {m}"
            );
        }
        Ok(Self { params })
    }

    /// `(height, width)` every resized side is a multiple of: `patch_size · merge`.
    #[must_use]
    pub fn unit(&self) -> (u64, u64) {
        let p = self.params;
        (
            p.patch_size.0 * p.spatial_merge_size,
            p.patch_size.1 * p.spatial_merge_size,
        )
    }

    /// All the tokens an image expands into in the prompt: `rows · (cols + 1)`
    /// (`PixtralProcessor._get_num_multimodal_tokens`).
    ///
    /// # Errors
    /// As [`Self::plan`].
    pub fn all_tokens(&self, height: u64, width: u64) -> Result<u64> {
        let p = self.plan(height, width)?;
        Ok(p.num_tokens() + p.wrapper_tokens())
    }
}

impl Family for Pixtral {
    type Plan = PixtralPlan;

    /// The plan for an image of `height × width`.
    ///
    /// # Errors
    /// Sides of 0 or beyond [`MAX_SIDE`] (where the `f64` ratio is still Python's), an
    /// image so elongated that a scaled side is 0 (upstream fails on the empty resize), or
    /// a resized side beyond the kernels' limit.
    fn plan(&self, height: u64, width: u64) -> Result<PixtralPlan> {
        if height == 0 || width == 0 || height > MAX_SIDE || width > MAX_SIDE {
            return invalid_arg!(
                "sides must be between 1 and {MAX_SIDE} pixels, got ({height}, {width})"
            );
        }
        let (mh, mw) = self.params.max_size;
        let (h, w) = (height as f64, width as f64);
        let ratio = (h / mh as f64).max(w / mw as f64);
        let scaled = if ratio > 1.0 {
            ((h / ratio).floor() as u64, (w / ratio).floor() as u64)
        } else {
            (height, width)
        };
        if scaled.0 == 0 || scaled.1 == 0 {
            return Err(Error::AspectRatio(format!(
                "an image of {height}x{width} scales to {}x{} under the maximum size \
                 (longest_edge) {mh}x{mw}; a side of 0 cannot be resized",
                scaled.0, scaled.1
            )));
        }
        let (uh, uw) = self.unit();
        let grid = (scaled.0.div_ceil(uh), scaled.1.div_ceil(uw));
        let resized = (grid.0 * uh, grid.1 * uw);
        let limit = MAX_IMAGE_SIDE as u64;
        if resized.0 > limit || resized.1 > limit {
            return Err(Error::InvalidImage(format!(
                "an image of {height}x{width} resizes to {}x{}, beyond the maximum side {limit}",
                resized.0, resized.1
            )));
        }
        Ok(PixtralPlan {
            scaled,
            resized,
            grid,
        })
    }

    /// The resized image's planes, unpadded (`do_pad=False`).
    fn image_into<T: Copy + Send + Sync + 'static>(
        &self,
        img: &ImageRef<'_>,
        plan: &PixtralPlan,
        px: Pixels<'_, T>,
        out: &mut [T],
    ) -> Result<()> {
        let (h, w) = (plan.resized.0 as usize, plan.resized.1 as usize);
        let data = rgb(img)?;
        let src = ImageRef::new(&data, img.height, img.width, 3)?;
        let small = resized(&src, h, w, px.resampling)?;
        whole(&ImageRef::new(&small, h, w, 3)?, &px.table, out)
    }
}

/// `pixel_values` `(n, 3, H, W)` (`do_pad=True`): each image resized to its plan and
/// normalised at the top left of an `H × W` canvas (`canvas`, the batch's largest resized
/// sides) whose other values are `T::default()` (0: upstream pads after normalising).
/// Images run in parallel when threads are enabled.
///
/// # Errors
/// Invalid images (naming the image), a plan larger than the canvas, or a wrongly sized
/// `out`.
pub fn padded_into<T: Copy + Send + Sync + Default + 'static>(
    jobs: &[(ImageRef<'_>, PixtralPlan)],
    canvas: (usize, usize),
    px: Pixels<'_, T>,
    out: &mut [T],
) -> Result<()> {
    let (ch, cw) = canvas;
    let per_image = ch.checked_mul(cw).and_then(|v| v.checked_mul(3));
    let work = split(out, jobs.iter().map(|j| (j, per_image)).collect())?;
    par::try_for_each(work, |i, ((img, plan), dst)| {
        padded_one(img, plan, canvas, px, dst).map_err(|e| e.context(&format!("image {i}")))
    })
}

fn padded_one<T: Copy + Default + 'static>(
    img: &ImageRef<'_>,
    plan: &PixtralPlan,
    (ch, cw): (usize, usize),
    px: Pixels<'_, T>,
    dst: &mut [T],
) -> Result<()> {
    let (h, w) = (plan.resized.0 as usize, plan.resized.1 as usize);
    if h > ch || w > cw {
        return invalid_arg!("a {h}x{w} image does not fit the {ch}x{cw} canvas");
    }
    let data = rgb(img)?;
    let src = ImageRef::new(&data, img.height, img.width, 3)?;
    let small = resized(&src, h, w, px.resampling)?;
    // The canvas window beyond the image takes the table's black; replaced by 0 below.
    window_into(
        &ImageRef::new(&small, h, w, 3)?,
        AT_ORIGIN,
        [0, 0, ch, cw],
        &px.table,
        dst,
    )?;
    for plane in dst.chunks_exact_mut(ch * cw) {
        for row in plane[..h * cw].chunks_exact_mut(cw) {
            row[w..].fill(T::default());
        }
        plane[h * cw..].fill(T::default());
    }
    Ok(())
}

/// The prompt `ids` with its `k`-th `[IMG]` replaced by the `k`-th image's tokens, the
/// image given as its `(rows, cols)` token grid: per row `cols` `[IMG]` then
/// `[IMG_BREAK]`, the very last token `[IMG_END]` (what `PixtralProcessor` writes).
///
/// # Errors
/// A placeholder count other than the number of grids, or an empty grid.
pub fn layout(ids: &[i64], grids: &[(u64, u64)], tokens: PixtralTokens) -> Result<Vec<i64>> {
    let found = ids.iter().filter(|&&t| t == tokens.image).count();
    if found != grids.len() {
        return Err(Error::GridMismatch(format!(
            "the prompt holds {found} image tokens ({}) but {} images were given; \
             each image needs one placeholder",
            tokens.image,
            grids.len()
        )));
    }
    if let Some((i, g)) = grids.iter().enumerate().find(|(_, g)| g.0 == 0 || g.1 == 0) {
        return invalid_arg!("image {i}: a token grid needs rows and cols >= 1, got {g:?}");
    }
    let added: u64 = grids.iter().map(|&(r, c)| r * (c + 1) - 1).sum();
    let mut out = Vec::with_capacity(ids.len() + added as usize);
    let mut next = grids.iter();
    for &id in ids {
        if id != tokens.image {
            out.push(id);
            continue;
        }
        let &(rows, cols) = next
            .next()
            .expect("one grid per placeholder, counted above");
        for _ in 0..rows {
            out.extend(std::iter::repeat_n(tokens.image, cols as usize));
            out.push(tokens.image_break);
        }
        if let Some(last) = out.last_mut() {
            *last = tokens.image_end;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::models::images_into;
    use crate::core::models::pipeline::{Resampling, Tables};
    use crate::core::resize::{resize, Compat, Filter};

    fn pixtral(max: u64, patch: u64, merge: u64) -> Pixtral {
        Pixtral::new(PixtralParams {
            max_size: (max, max),
            patch_size: (patch, patch),
            spatial_merge_size: merge,
        })
        .unwrap()
    }

    #[test]
    fn scales_down_floors_then_rounds_up() {
        let p = pixtral(1024, 16, 1);
        // 2048x1000: ratio 2, 1024x500, rounded up to 1024x512.
        let plan = p.plan(2048, 1000).unwrap();
        assert_eq!(plan.scaled, (1024, 500));
        assert_eq!(plan.resized, (1024, 512));
        assert_eq!(plan.grid, (64, 32));
        assert_eq!((plan.num_tokens(), plan.wrapper_tokens()), (2048, 64));
        // Small images are only rounded up.
        assert_eq!(p.plan(17, 3).unwrap().resized, (32, 16));
        // Mistral-Small-3.1: unit 28, longest edge 1540.
        let m = pixtral(1540, 14, 2);
        let plan = m.plan(3000, 4000).unwrap();
        assert_eq!(plan.scaled, (1155, 1540));
        assert_eq!(plan.grid, (42, 55));
        assert_eq!(m.all_tokens(3000, 4000).unwrap(), 42 * 56);
    }

    #[test]
    fn refuses_bad_settings_and_sizes() {
        let bad = |max, patch, merge| {
            Pixtral::new(PixtralParams {
                max_size: (max, max),
                patch_size: (patch, patch),
                spatial_merge_size: merge,
            })
            .is_err()
        };
        assert!(bad(0, 16, 1) && bad(1024, 0, 1) && bad(1024, 16, 0) && bad(1 << 25, 16, 1));
        // Pixtral only shrinks: a maximum past the pixel side limit plans as no resize.
        assert!(!bad(1 << 17, 16, 1));
        assert_eq!(
            pixtral(1 << 17, 16, 1).plan(300, 500).unwrap(),
            pixtral(1024, 16, 1).plan(300, 500).unwrap()
        );
        let p = pixtral(1024, 16, 1);
        assert!(p.plan(0, 5).is_err());
        assert!(matches!(p.plan(1, 5000), Err(Error::AspectRatio(_))));
    }

    #[test]
    fn layout_expands_each_placeholder() {
        let tokens = PixtralTokens {
            image: 10,
            image_break: 12,
            image_end: 13,
        };
        let ids = [1, 10, 5, 10];
        let out = layout(&ids, &[(2, 3), (1, 1)], tokens).unwrap();
        assert_eq!(out, [1, 10, 10, 10, 12, 10, 10, 10, 13, 5, 10, 13]);
        assert!(matches!(
            layout(&ids, &[(2, 3)], tokens),
            Err(Error::GridMismatch(_))
        ));
        assert!(layout(&ids, &[(2, 3), (0, 1)], tokens).is_err());
    }

    #[test]
    fn pixels_pad_with_zero_after_the_table() {
        let data: Vec<u8> = (0..20 * 30 * 3).map(|v| (v * 7 % 251) as u8).collect();
        let img = ImageRef::new(&data, 20, 30, 3).unwrap();
        let p = pixtral(1024, 16, 1);
        let plan = p.plan(20, 30).unwrap();
        assert_eq!(plan.resized, (32, 32));
        let lut: Vec<u32> = (0..3)
            .flat_map(|c| (0..256).map(move |v| 1 + c * 1000 + v))
            .collect();
        let canvas = (48, 40);
        let mut out = vec![7u32; 3 * 48 * 40];
        let px = Pixels {
            resampling: Resampling::new(Filter::Bicubic, Compat::Torchvision).unwrap(),
            table: Tables::new(&lut).unwrap(),
        };
        padded_into(&[(img, plan)], canvas, px, &mut out).unwrap();
        let want = resize(&img, 32, 32, Filter::Bicubic, Compat::Torchvision).unwrap();
        let value = |c: usize, y: usize, x: usize| {
            1 + c as u32 * 1000 + u32::from(want.data[(y * 32 + x) * 3 + c])
        };
        for c in 0..3 {
            for y in 0..48 {
                for x in 0..40 {
                    let v = if y < 32 && x < 32 { value(c, y, x) } else { 0 };
                    assert_eq!(out[(c * 48 + y) * 40 + x], v, "c {c} y {y} x {x}");
                }
            }
        }
        // Unpadded (do_pad=False): the same values, packed.
        let mut packed = vec![7u32; 3 * 32 * 32];
        images_into(&p, &[(img, plan)], px, &mut packed).unwrap();
        for c in 0..3 {
            for y in 0..32 {
                for x in 0..32 {
                    assert_eq!(packed[(c * 32 + y) * 32 + x], value(c, y, x));
                }
            }
        }
        let mut short = vec![0u32; 10];
        assert!(padded_into(&[(img, plan)], canvas, px, &mut short).is_err());
        assert!(padded_into(&[(img, plan)], (16, 40), px, &mut out[..3 * 16 * 40]).is_err());
    }
}
