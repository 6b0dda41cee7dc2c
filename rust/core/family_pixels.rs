//! Pixel pipelines of InternVL, LLaVA-OneVision and Oryx: RGB conversion, Pillow-exact
//! bicubic resizes, crops and pastes, and the rescale+normalise table gathered straight
//! into planar `(c, h, w)` output. Geometry comes from each family's plan.
//!
//! Crops are read straight out of the resized image (a LLaVA canvas's black border is
//! written from the table, never materialised), each source row once for all three planes,
//! into output the caller allocated (NumPy's `np.empty`, see `rust/py/family_pixels.rs`).

use std::borrow::Cow;

use super::error::{invalid_arg, Result};
use super::image::{ImageBuf, ImageRef};
use super::internvl::TilePlan;
use super::llava_onevision::{AnyresPlan, CROP_SIZE};
use super::ops::to_rgb;
use super::oryx::OryxPlan;
use super::par;
use super::resize::{resize, Compat, Filter};

/// The three per-channel lookup tables (byte → output value) of a `(3, 256)` table.
#[derive(Clone, Copy)]
pub struct Tables<'a, T> {
    t: [&'a [T; 256]; 3],
}

impl<'a, T: Copy> Tables<'a, T> {
    /// Borrows the first 768 entries of `lut` as three channel tables.
    ///
    /// # Errors
    /// A table with fewer than 768 entries.
    pub fn new(lut: &'a [T]) -> Result<Self> {
        if lut.len() < 768 {
            return invalid_arg!("lookup table has {} entries, need 3 x 256", lut.len());
        }
        let ch = |c: usize| -> &'a [T; 256] {
            lut[c * 256..c * 256 + 256]
                .try_into()
                .expect("slice of 256 entries")
        };
        Ok(Self {
            t: [ch(0), ch(1), ch(2)],
        })
    }

    /// The value a byte `v` of channel `c` maps to.
    #[must_use]
    pub fn get(&self, c: usize, v: u8) -> T {
        self.t[c][usize::from(v)]
    }
}

/// One RGB row into three plane rows of equal length.
#[inline]
fn row_into<T: Copy>(px: &[u8], t: &Tables<'_, T>, d0: &mut [T], d1: &mut [T], d2: &mut [T]) {
    let [t0, t1, t2] = t.t;
    for (((p, a), b), c) in px.chunks_exact(3).zip(d0).zip(d1).zip(d2) {
        *a = t0[usize::from(p[0])];
        *b = t1[usize::from(p[1])];
        *c = t2[usize::from(p[2])];
    }
}

/// Where an RGB image sits on a larger canvas and what fills the rest.
#[derive(Clone, Copy)]
struct Placement {
    top: usize,
    left: usize,
    /// The background byte of each channel.
    pad: [u8; 3],
}

const AT_ORIGIN: Placement = Placement {
    top: 0,
    left: 0,
    pad: [0; 3],
};

/// Writes the `[top, left, h, w]` window of the canvas `src` is placed on as planar
/// `(3, h, w)` values; canvas pixels outside `src` take the background.
fn window_into<T: Copy>(
    src: &ImageRef<'_>,
    at: Placement,
    window: [usize; 4],
    t: &Tables<'_, T>,
    out: &mut [T],
) -> Result<()> {
    let [top, left, h, w] = window;
    if src.channels != 3 {
        return invalid_arg!("expected an RGB image, got {} channels", src.channels);
    }
    if out.len() != 3 * h * w {
        return invalid_arg!("output holds {} values, expected {}", out.len(), 3 * h * w);
    }
    let (p0, rest) = out.split_at_mut(h * w);
    let (p1, p2) = rest.split_at_mut(h * w);
    let bg = [
        t.get(0, at.pad[0]),
        t.get(1, at.pad[1]),
        t.get(2, at.pad[2]),
    ];
    // Columns of the window covered by the image: [x0, x1) in window coordinates.
    let x0 = at.left.saturating_sub(left).min(w);
    let x1 = (at.left + src.width).saturating_sub(left).clamp(x0, w);
    for (y, ((d0, d1), d2)) in p0
        .chunks_exact_mut(w)
        .zip(p1.chunks_exact_mut(w))
        .zip(p2.chunks_exact_mut(w))
        .enumerate()
    {
        let cy = top + y;
        let inside = cy >= at.top && cy < at.top + src.height && x1 > x0;
        if !inside {
            d0.fill(bg[0]);
            d1.fill(bg[1]);
            d2.fill(bg[2]);
            continue;
        }
        for (d, v) in [(&mut *d0, bg[0]), (&mut *d1, bg[1]), (&mut *d2, bg[2])] {
            d[..x0].fill(v);
            d[x1..].fill(v);
        }
        let sx = left + x0 - at.left;
        let row = &src.row(cy - at.top)[sx * 3..(sx + x1 - x0) * 3];
        row_into(row, t, &mut d0[x0..x1], &mut d1[x0..x1], &mut d2[x0..x1]);
    }
    Ok(())
}

/// Writes the `h × w` region at `(top, left)` of an RGB image as planar `(3, h, w)` values
/// looked up in `lut` (256 entries per channel).
///
/// # Errors
/// A region outside the image, an image that is not RGB, a short table or a wrongly
/// sized `out`.
pub fn normalize_region_chw_into<T: Copy>(
    img: &ImageRef<'_>,
    region: [usize; 4],
    lut: &[T],
    out: &mut [T],
) -> Result<()> {
    let [top, left, h, w] = region;
    if top + h > img.height || left + w > img.width {
        return invalid_arg!(
            "region {h}x{w} at ({top}, {left}) leaves the {}x{} image",
            img.height,
            img.width
        );
    }
    window_into(img, AT_ORIGIN, region, &Tables::new(lut)?, out)
}

fn whole<T: Copy>(img: &ImageRef<'_>, t: &Tables<'_, T>, out: &mut [T]) -> Result<()> {
    window_into(img, AT_ORIGIN, [0, 0, img.height, img.width], t, out)
}

/// Pillow's `convert("RGB")` (borrowed when already RGB).
fn rgb<'a>(img: &ImageRef<'a>) -> Result<Cow<'a, [u8]>> {
    if img.channels == 3 {
        Ok(Cow::Borrowed(img.data))
    } else {
        Ok(Cow::Owned(to_rgb(img)?.data))
    }
}

/// A bicubic resize that borrows the source when the size does not change (Pillow copies).
fn bicubic<'a>(src: &ImageRef<'a>, h: usize, w: usize, compat: Compat) -> Result<Cow<'a, [u8]>> {
    if (h, w) == (src.height, src.width) {
        return Ok(Cow::Borrowed(src.data));
    }
    Ok(Cow::Owned(resize(src, h, w, Filter::Bicubic, compat)?.data))
}

/// Splits `out` into consecutive chunks of the given lengths, one per job.
fn split<T, J>(out: &mut [T], jobs: Vec<(J, usize)>) -> Result<Vec<(J, &mut [T])>> {
    let total: usize = jobs.iter().map(|j| j.1).sum();
    if out.len() != total {
        return invalid_arg!("out holds {} values, the batch needs {total}", out.len());
    }
    let mut rest = out;
    let mut work = Vec::with_capacity(jobs.len());
    for (job, len) in jobs {
        let (mine, tail) = rest.split_at_mut(len);
        work.push((job, mine));
        rest = tail;
    }
    Ok(work)
}

/// InternVL `pixel_values` `(Σ tiles, 3, S, S)`: per image the row-major tiles of the
/// bicubic canvas, then the thumbnail (a bicubic squash of the whole image to `S × S`).
/// With threads enabled ([`par`]) images, and an image's canvas and thumbnail, run in
/// parallel.
///
/// # Errors
/// Invalid images (naming the image) or an `out` of the wrong length.
pub fn internvl_pixels_into<T: Copy + Send + Sync>(
    jobs: &[(ImageRef<'_>, TilePlan)],
    compat: Compat,
    lut: &[T],
    out: &mut [T],
) -> Result<()> {
    let t = Tables::new(lut)?;
    let sized = jobs
        .iter()
        .map(|j| {
            let s = j.1.image_size as usize;
            (j, j.1.num_tiles as usize * 3 * s * s)
        })
        .collect();
    let work = split(out, sized)?;
    par::try_for_each(work, |i, ((img, plan), dst)| {
        internvl_one(img, plan, compat, &t, dst).map_err(|e| e.context(&format!("image {i}")))
    })
}

fn internvl_one<T: Copy + Send + Sync>(
    img: &ImageRef<'_>,
    plan: &TilePlan,
    compat: Compat,
    t: &Tables<'_, T>,
    dst: &mut [T],
) -> Result<()> {
    let data = rgb(img)?;
    let src = ImageRef::new(&data, img.height, img.width, 3)?;
    let s = plan.image_size as usize;
    let grid_len = (plan.cols * plan.rows) as usize * 3 * s * s;
    let (grid, thumb) = dst.split_at_mut(grid_len);
    let parts = if plan.has_thumbnail {
        vec![(false, grid), (true, thumb)]
    } else {
        vec![(false, grid)]
    };
    par::try_for_each(parts, |_, (is_thumb, dst)| {
        if is_thumb {
            let thumb = bicubic(&src, s, s, compat)?;
            return whole(&ImageRef::new(&thumb, s, s, 3)?, t, dst);
        }
        let (rh, rw) = (plan.resized_height as usize, plan.resized_width as usize);
        let canvas = bicubic(&src, rh, rw, compat)?;
        let view = ImageRef::new(&canvas, rh, rw, 3)?;
        for (b, tile) in plan
            .boxes()
            .into_iter()
            .zip(dst.chunks_exact_mut(3 * s * s))
        {
            window_into(
                &view,
                AT_ORIGIN,
                [b[0] as usize, b[1] as usize, s, s],
                t,
                tile,
            )?;
        }
        Ok(())
    })
}

/// LLaVA-OneVision `pixel_values` `(n, max_crops, 3, 384, 384)`: per image the base crop (a
/// bicubic squash to 384²), then the row-major crops of the black canvas holding the
/// aspect-preserving bicubic resize; crops past an image's own count are `zero`
/// (transformers' batch padding).
///
/// # Errors
/// Invalid images, a `max_crops` below an image's crop count, or a wrongly sized `out`.
pub fn llava_ov_pixels_into<T: Copy + Send + Sync>(
    jobs: &[(ImageRef<'_>, AnyresPlan)],
    max_crops: usize,
    compat: Compat,
    lut: &[T],
    zero: T,
    out: &mut [T],
) -> Result<()> {
    let t = Tables::new(lut)?;
    let crop_len = 3 * (CROP_SIZE * CROP_SIZE) as usize;
    if let Some(j) = jobs.iter().find(|j| j.1.num_crops() as usize > max_crops) {
        return invalid_arg!(
            "max_crops {max_crops} is below an image's {} crops",
            j.1.num_crops()
        );
    }
    let work = split(
        out,
        jobs.iter().map(|j| (j, max_crops * crop_len)).collect(),
    )?;
    par::try_for_each(work, |i, ((img, plan), dst)| {
        llava_ov_one(img, plan, compat, &t, zero, dst).map_err(|e| e.context(&format!("image {i}")))
    })
}

fn llava_ov_one<T: Copy + Send + Sync>(
    img: &ImageRef<'_>,
    plan: &AnyresPlan,
    compat: Compat,
    t: &Tables<'_, T>,
    zero: T,
    dst: &mut [T],
) -> Result<()> {
    let data = rgb(img)?;
    let src = ImageRef::new(&data, img.height, img.width, 3)?;
    let side = CROP_SIZE as usize;
    let crop_len = 3 * side * side;
    let used = plan.num_crops() as usize * crop_len;
    let (mine, padding) = dst.split_at_mut(used);
    padding.fill(zero);
    let (base, crops) = mine.split_at_mut(crop_len);
    par::try_for_each(vec![(true, base), (false, crops)], |_, (is_base, dst)| {
        if is_base {
            let b = bicubic(&src, side, side, compat)?;
            return whole(&ImageRef::new(&b, side, side, 3)?, t, dst);
        }
        let (nh, nw) = (plan.resized_height as usize, plan.resized_width as usize);
        let resized = bicubic(&src, nh, nw, compat)?;
        let view = ImageRef::new(&resized, nh, nw, 3)?;
        let at = Placement {
            top: plan.pad_top as usize,
            left: plan.pad_left as usize,
            pad: [0; 3],
        };
        for (b, crop) in plan.boxes().into_iter().zip(dst.chunks_exact_mut(crop_len)) {
            window_into(
                &view,
                at,
                [b[0] as usize, b[1] as usize, side, side],
                t,
                crop,
            )?;
        }
        Ok(())
    })
}

/// LLaVA-OneVision's multi-image path (several images in one prompt): each image padded
/// to a square with `background` (per channel, `int(255·mean)` upstream) centred with
/// `(max - min) // 2`, then squashed bicubic to 384² — one `(3, 384, 384)` crop per image.
///
/// # Errors
/// Invalid images or a wrongly sized `out`.
pub fn llava_ov_multi_image_into<T: Copy + Send + Sync>(
    images: &[ImageRef<'_>],
    background: [u8; 3],
    compat: Compat,
    lut: &[T],
    out: &mut [T],
) -> Result<()> {
    let t = Tables::new(lut)?;
    let side = CROP_SIZE as usize;
    let work = split(out, images.iter().map(|im| (im, 3 * side * side)).collect())?;
    par::try_for_each(work, |i, (img, dst)| {
        pad_square_squash(img, background, side, compat, &t, dst)
            .map_err(|e| e.context(&format!("image {i}")))
    })
}

fn pad_square_squash<T: Copy>(
    img: &ImageRef<'_>,
    background: [u8; 3],
    side: usize,
    compat: Compat,
    t: &Tables<'_, T>,
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
    let small = bicubic(&square, side, side, compat)?;
    whole(&ImageRef::new(&small, side, side, 3)?, t, dst)
}

/// One video's frames and the `(height, width)` every frame is squashed to.
pub type SizedFrames<'a> = (Vec<ImageRef<'a>>, (usize, usize));

/// Video frames squashed (bicubic, no aspect preservation) to one `height × width` per
/// video and normalised: `(Σ T, 3, h, w)` in frame order. This is LLaVA-OneVision's
/// SigLIP path (384²), InternVL's `load_video` (one 448² tile per frame) and Oryx's
/// `resize_video` frames. Frames run in parallel when threads are enabled.
///
/// # Errors
/// Invalid frames (naming video and frame) or a wrongly sized `out`.
pub fn squashed_frames_into<T: Copy + Send + Sync>(
    videos: &[SizedFrames<'_>],
    compat: Compat,
    lut: &[T],
    out: &mut [T],
) -> Result<()> {
    let t = Tables::new(lut)?;
    let mut jobs = Vec::new();
    for (v, (frames, (h, w))) in videos.iter().enumerate() {
        for (f, frame) in frames.iter().enumerate() {
            jobs.push(((v, f, frame, *h, *w), 3 * h * w));
        }
    }
    let work = split(out, jobs)?;
    par::try_for_each(work, |_, ((v, f, frame, h, w), dst)| {
        squash_one(frame, h, w, compat, &t, dst)
            .map_err(|e| e.context(&format!("video {v}, frame {f}")))
    })
}

fn squash_one<T: Copy>(
    frame: &ImageRef<'_>,
    h: usize,
    w: usize,
    compat: Compat,
    t: &Tables<'_, T>,
    dst: &mut [T],
) -> Result<()> {
    let data = rgb(frame)?;
    let src = ImageRef::new(&data, frame.height, frame.width, 3)?;
    let small = bicubic(&src, h, w, compat)?;
    whole(&ImageRef::new(&small, h, w, 3)?, t, dst)
}

/// Oryx's two images written into `high` `(3, h, w)` and `low` `(3, h', w')`. The
/// tiny-side up-scale (if any) comes first; the low-res image is resized from the
/// high-res one.
///
/// # Errors
/// Invalid images or wrongly sized outputs.
pub fn oryx_pixels_into<T: Copy>(
    img: &ImageRef<'_>,
    plan: &OryxPlan,
    compat: Compat,
    lut: &[T],
    high: &mut [T],
    low: &mut [T],
) -> Result<()> {
    let t = Tables::new(lut)?;
    let data = rgb(img)?;
    let src = ImageRef::new(&data, img.height, img.width, 3)?;
    let (uh, uw) = (plan.upscaled.0 as usize, plan.upscaled.1 as usize);
    let up = bicubic(&src, uh, uw, compat)?;
    let start = ImageRef::new(&up, uh, uw, 3)?;
    let (hh, hw) = (plan.highres.0 as usize, plan.highres.1 as usize);
    let (lh, lw) = (plan.lowres.0 as usize, plan.lowres.1 as usize);
    let hi = bicubic(&start, hh, hw, compat)?;
    let hi_view = ImageRef::new(&hi, hh, hw, 3)?;
    whole(&hi_view, &t, high)?;
    let lo = bicubic(&hi_view, lh, lw, compat)?;
    whole(&ImageRef::new(&lo, lh, lw, 3)?, &t, low)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(h: usize, w: usize) -> Vec<u8> {
        (0..h * w * 3).map(|v| (v * 7 % 251) as u8).collect()
    }

    #[test]
    fn region_is_planar_and_offset() {
        let data = ramp(4, 5);
        let img = ImageRef::new(&data, 4, 5, 3).unwrap();
        let lut: Vec<u32> = (0..3)
            .flat_map(|c| (0..256).map(move |v| c * 1000 + v))
            .collect();
        let mut out = vec![0u32; 3 * 2 * 3];
        normalize_region_chw_into(&img, [1, 2, 2, 3], &lut, &mut out).unwrap();
        for c in 0..3 {
            for y in 0..2 {
                for x in 0..3 {
                    let px = data[((1 + y) * 5 + 2 + x) * 3 + c] as u32;
                    assert_eq!(out[c * 6 + y * 3 + x], c as u32 * 1000 + px);
                }
            }
        }
        assert!(normalize_region_chw_into(&img, [3, 0, 2, 3], &lut, &mut out).is_err());
        assert!(normalize_region_chw_into(&img, [0, 0, 2, 3], &lut[..10], &mut out).is_err());
    }

    #[test]
    fn wrong_out_length_is_refused() {
        let data = ramp(3, 3);
        let img = ImageRef::new(&data, 3, 3, 3).unwrap();
        let tiler = super::super::internvl::Tiler::new(super::super::internvl::TilingParams {
            min_num: 1,
            max_num: 1,
            image_size: 28,
            use_thumbnail: true,
            order: super::super::internvl::CandidateOrder::Original,
        })
        .unwrap();
        let plan = tiler.plan(3, 3).unwrap();
        let lut = vec![0f32; 768];
        let mut out = vec![0f32; 3 * 28 * 28 + 1];
        assert!(internvl_pixels_into(&[(img, plan)], Compat::Pillow, &lut, &mut out).is_err());
        let mut out = vec![0f32; 3 * 28 * 28];
        internvl_pixels_into(&[(img, plan)], Compat::Pillow, &lut, &mut out).unwrap();
    }
}
