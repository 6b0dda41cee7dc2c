//! Pixel pipelines of InternVL, LLaVA-OneVision and Oryx: RGB conversion, resizes exact to
//! the chosen target ([`Resampling`]: Pillow or torchvision; bicubic upstream), crops and
//! pastes, and the rescale+normalise table gathered straight
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
/// `(3, h, w)` values; canvas pixels outside `src` take the background byte's values.
fn window_into<T: Copy>(
    src: &ImageRef<'_>,
    at: Placement,
    window: [usize; 4],
    t: &Tables<'_, T>,
    out: &mut [T],
) -> Result<()> {
    let bg = [
        t.get(0, at.pad[0]),
        t.get(1, at.pad[1]),
        t.get(2, at.pad[2]),
    ];
    window_filled(src, (at.top, at.left), window, t, bg, out)
}

/// [`window_into`] with the background given as output values (per channel), for
/// padding that upstream adds after normalisation.
fn window_filled<T: Copy>(
    src: &ImageRef<'_>,
    at: (usize, usize),
    window: [usize; 4],
    t: &Tables<'_, T>,
    bg: [T; 3],
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
    let (at_top, at_left) = at;
    // Columns of the window covered by the image: [x0, x1) in window coordinates.
    let x0 = at_left.saturating_sub(left).min(w);
    let x1 = (at_left + src.width).saturating_sub(left).clamp(x0, w);
    for (y, ((d0, d1), d2)) in p0
        .chunks_exact_mut(w)
        .zip(p1.chunks_exact_mut(w))
        .zip(p2.chunks_exact_mut(w))
        .enumerate()
    {
        let cy = top + y;
        let inside = cy >= at_top && cy < at_top + src.height && x1 > x0;
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
        let sx = left + x0 - at_left;
        let row = &src.row(cy - at_top)[sx * 3..(sx + x1 - x0) * 3];
        row_into(row, t, &mut d0[x0..x1], &mut d1[x0..x1], &mut d2[x0..x1]);
    }
    Ok(())
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

/// The filter every resize of a pipeline uses and the implementation whose bytes it must
/// reproduce (the slow processors' Pillow, or the fast processors' torchvision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resampling {
    /// The interpolation filter (upstream's `resample`).
    pub filter: Filter,
    /// The exactness target.
    pub compat: Compat,
}

impl Resampling {
    /// A filter and target, refused up front when the target has no such filter.
    ///
    /// # Errors
    /// [`Compat::check_filter`]'s error (e.g. `lanczos` with torchvision).
    pub fn new(filter: Filter, compat: Compat) -> Result<Self> {
        compat.check_filter(filter)?;
        Ok(Self { filter, compat })
    }
}

/// A resize that borrows the source when the size does not change (Pillow copies,
/// torchvision's kernel is the identity).
fn resized<'a>(src: &ImageRef<'a>, h: usize, w: usize, rs: Resampling) -> Result<Cow<'a, [u8]>> {
    if (h, w) == (src.height, src.width) {
        return Ok(Cow::Borrowed(src.data));
    }
    Ok(Cow::Owned(resize(src, h, w, rs.filter, rs.compat)?.data))
}

/// Splits `out` into consecutive chunks of the given lengths, one per job. Lengths are
/// `None` where their product overflowed, which no `out` can match.
pub(crate) fn split<T, J>(
    out: &mut [T],
    jobs: Vec<(J, Option<usize>)>,
) -> Result<Vec<(J, &mut [T])>> {
    let total = jobs.iter().try_fold(0usize, |acc, j| acc.checked_add(j.1?));
    if total != Some(out.len()) {
        return match total {
            Some(t) => invalid_arg!("out holds {} values, the batch needs {t}", out.len()),
            None => invalid_arg!("the batch's output size overflows; use fewer or smaller images"),
        };
    }
    let mut rest = out;
    let mut work = Vec::with_capacity(jobs.len());
    for (job, len) in jobs {
        // every length is Some here: their checked sum exists
        let (mine, tail) = rest.split_at_mut(len.unwrap_or(0));
        work.push((job, mine));
        rest = tail;
    }
    Ok(work)
}

/// One image converted to RGB, resized to `size` and written at the origin of a planar
/// `(3, H, W)` canvas (`canvas` = `(H, W)`, at least `size`) whose other values are `fill`:
/// transformers' batch padding, which comes after normalisation (Pixtral pads with 0.0).
///
/// # Errors
/// An invalid image, a canvas smaller than `size`, or an `out` of the wrong length.
pub fn padded_into<T: Copy>(
    img: &ImageRef<'_>,
    size: (usize, usize),
    canvas: (usize, usize),
    rs: Resampling,
    t: &Tables<'_, T>,
    fill: T,
    out: &mut [T],
) -> Result<()> {
    let ((h, w), (ch, cw)) = (size, canvas);
    if h > ch || w > cw {
        return invalid_arg!("a {h}x{w} image does not fit a {ch}x{cw} canvas");
    }
    let data = rgb(img)?;
    let src = ImageRef::new(&data, img.height, img.width, 3)?;
    let small = resized(&src, h, w, rs)?;
    let view = ImageRef::new(&small, h, w, 3)?;
    window_filled(&view, (0, 0), [0, 0, ch, cw], t, [fill; 3], out)
}

/// InternVL `pixel_values` `(Σ tiles, 3, S, S)`: per image the row-major tiles of the
/// resized canvas, then the thumbnail (a squash of the whole image to `S × S`).
/// With threads enabled ([`par`]) images, and an image's canvas and thumbnail, run in
/// parallel.
///
/// # Errors
/// Invalid images (naming the image) or an `out` of the wrong length.
pub fn internvl_pixels_into<T: Copy + Send + Sync>(
    jobs: &[(ImageRef<'_>, TilePlan)],
    rs: Resampling,
    lut: &[T],
    out: &mut [T],
) -> Result<()> {
    let t = Tables::new(lut)?;
    let sized = jobs
        .iter()
        .map(|j| {
            let s = j.1.image_size as usize;
            (j, (j.1.num_tiles as usize).checked_mul(3 * s * s))
        })
        .collect();
    let work = split(out, sized)?;
    par::try_for_each(work, |i, ((img, plan), dst)| {
        internvl_one(img, plan, rs, &t, dst).map_err(|e| e.context(&format!("image {i}")))
    })
}

fn internvl_one<T: Copy + Send + Sync>(
    img: &ImageRef<'_>,
    plan: &TilePlan,
    rs: Resampling,
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
            let thumb = resized(&src, s, s, rs)?;
            return whole(&ImageRef::new(&thumb, s, s, 3)?, t, dst);
        }
        let (rh, rw) = (plan.resized_height as usize, plan.resized_width as usize);
        let canvas = resized(&src, rh, rw, rs)?;
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
/// squash to 384²), then the row-major crops of the black canvas holding the
/// aspect-preserving resize; crops past an image's own count are `zero`
/// (transformers' batch padding).
///
/// # Errors
/// Invalid images, a `max_crops` below an image's crop count, or a wrongly sized `out`.
pub fn llava_ov_pixels_into<T: Copy + Send + Sync>(
    jobs: &[(ImageRef<'_>, AnyresPlan)],
    max_crops: usize,
    rs: Resampling,
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
        jobs.iter()
            .map(|j| (j, max_crops.checked_mul(crop_len)))
            .collect(),
    )?;
    par::try_for_each(work, |i, ((img, plan), dst)| {
        llava_ov_one(img, plan, rs, &t, zero, dst).map_err(|e| e.context(&format!("image {i}")))
    })
}

fn llava_ov_one<T: Copy + Send + Sync>(
    img: &ImageRef<'_>,
    plan: &AnyresPlan,
    rs: Resampling,
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
            let b = resized(&src, side, side, rs)?;
            return whole(&ImageRef::new(&b, side, side, 3)?, t, dst);
        }
        let (nh, nw) = (plan.resized_height as usize, plan.resized_width as usize);
        let fitted = resized(&src, nh, nw, rs)?;
        let view = ImageRef::new(&fitted, nh, nw, 3)?;
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
/// `(max - min) // 2`, then squashed to 384² — one `(3, 384, 384)` crop per image.
///
/// # Errors
/// Invalid images or a wrongly sized `out`.
pub fn llava_ov_multi_image_into<T: Copy + Send + Sync>(
    images: &[ImageRef<'_>],
    background: [u8; 3],
    rs: Resampling,
    lut: &[T],
    out: &mut [T],
) -> Result<()> {
    let t = Tables::new(lut)?;
    let side = CROP_SIZE as usize;
    let work = split(
        out,
        images
            .iter()
            .map(|im| (im, Some(3 * side * side)))
            .collect(),
    )?;
    par::try_for_each(work, |i, (img, dst)| {
        pad_square_squash(img, background, side, rs, &t, dst)
            .map_err(|e| e.context(&format!("image {i}")))
    })
}

fn pad_square_squash<T: Copy>(
    img: &ImageRef<'_>,
    background: [u8; 3],
    side: usize,
    rs: Resampling,
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
    let small = resized(&square, side, side, rs)?;
    whole(&ImageRef::new(&small, side, side, 3)?, t, dst)
}

/// One video's frames and the `(height, width)` every frame is squashed to.
pub type SizedFrames<'a> = (Vec<ImageRef<'a>>, (usize, usize));

/// Video frames squashed (no aspect preservation) to one `height × width` per
/// video and normalised: `(Σ T, 3, h, w)` in frame order. This is LLaVA-OneVision's
/// SigLIP path (384²), InternVL's `load_video` (one 448² tile per frame) and Oryx's
/// `resize_video` frames. Frames run in parallel when threads are enabled.
///
/// # Errors
/// Invalid frames (naming video and frame) or a wrongly sized `out`.
pub fn squashed_frames_into<T: Copy + Send + Sync>(
    videos: &[SizedFrames<'_>],
    rs: Resampling,
    lut: &[T],
    out: &mut [T],
) -> Result<()> {
    let t = Tables::new(lut)?;
    let mut jobs = Vec::new();
    for (v, (frames, (h, w))) in videos.iter().enumerate() {
        for (f, frame) in frames.iter().enumerate() {
            jobs.push((
                (v, f, frame, *h, *w),
                h.checked_mul(*w).and_then(|v| v.checked_mul(3)),
            ));
        }
    }
    let work = split(out, jobs)?;
    par::try_for_each(work, |_, ((v, f, frame, h, w), dst)| {
        squash_one(frame, h, w, rs, &t, dst)
            .map_err(|e| e.context(&format!("video {v}, frame {f}")))
    })
}

fn squash_one<T: Copy>(
    frame: &ImageRef<'_>,
    h: usize,
    w: usize,
    rs: Resampling,
    t: &Tables<'_, T>,
    dst: &mut [T],
) -> Result<()> {
    let data = rgb(frame)?;
    let src = ImageRef::new(&data, frame.height, frame.width, 3)?;
    let small = resized(&src, h, w, rs)?;
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
    rs: Resampling,
    lut: &[T],
    high: &mut [T],
    low: &mut [T],
) -> Result<()> {
    let t = Tables::new(lut)?;
    let data = rgb(img)?;
    let src = ImageRef::new(&data, img.height, img.width, 3)?;
    let (uh, uw) = (plan.upscaled.0 as usize, plan.upscaled.1 as usize);
    let up = resized(&src, uh, uw, rs)?;
    let start = ImageRef::new(&up, uh, uw, 3)?;
    let (hh, hw) = (plan.highres.0 as usize, plan.highres.1 as usize);
    let (lh, lw) = (plan.lowres.0 as usize, plan.lowres.1 as usize);
    let hi = resized(&start, hh, hw, rs)?;
    let hi_view = ImageRef::new(&hi, hh, hw, 3)?;
    whole(&hi_view, &t, high)?;
    let lo = resized(&hi_view, lh, lw, rs)?;
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
        window_into(
            &img,
            AT_ORIGIN,
            [1, 2, 2, 3],
            &Tables::new(&lut).unwrap(),
            &mut out,
        )
        .unwrap();
        for c in 0..3 {
            for y in 0..2 {
                for x in 0..3 {
                    let px = data[((1 + y) * 5 + 2 + x) * 3 + c] as u32;
                    assert_eq!(out[c * 6 + y * 3 + x], c as u32 * 1000 + px);
                }
            }
        }
        assert!(Tables::new(&lut[..10]).is_err());
    }

    #[test]
    fn resampling_refuses_filters_the_target_lacks() {
        for f in [
            Filter::Nearest,
            Filter::Box,
            Filter::Hamming,
            Filter::Lanczos,
        ] {
            assert!(Resampling::new(f, Compat::Torchvision).is_err());
            assert!(Resampling::new(f, Compat::Pillow).is_ok());
        }
        let rs = Resampling::new(Filter::Bilinear, Compat::Torchvision).unwrap();
        assert_eq!(
            (rs.filter, rs.compat),
            (Filter::Bilinear, Compat::Torchvision)
        );
    }

    #[test]
    fn torchvision_tiles_are_torchvision_resizes() {
        // A 1x2 grid: the canvas is the torchvision resize, tiles are its halves.
        let data = ramp(30, 70);
        let img = ImageRef::new(&data, 30, 70, 3).unwrap();
        let tiler = super::super::internvl::Tiler::new(super::super::internvl::TilingParams {
            min_num: 1,
            max_num: 2,
            image_size: 28,
            use_thumbnail: false,
            order: super::super::internvl::CandidateOrder::Transformers,
        })
        .unwrap();
        let plan = tiler.plan(30, 70).unwrap();
        assert_eq!((plan.cols, plan.rows), (2, 1));
        let lut: Vec<u8> = (0..3).flat_map(|_| 0..=255u8).collect();
        let mut out = vec![0u8; 2 * 3 * 28 * 28];
        let rs = Resampling::new(Filter::Bicubic, Compat::Torchvision).unwrap();
        internvl_pixels_into(&[(img, plan)], rs, &lut, &mut out).unwrap();
        let canvas = resize(&img, 28, 56, Filter::Bicubic, Compat::Torchvision).unwrap();
        for (t, tile) in out.chunks_exact(3 * 28 * 28).enumerate() {
            for c in 0..3 {
                for y in 0..28 {
                    for x in 0..28 {
                        let want = canvas.data[(y * 56 + t * 28 + x) * 3 + c];
                        assert_eq!(tile[(c * 28 + y) * 28 + x], want);
                    }
                }
            }
        }
        let pillow = resize(&img, 28, 56, Filter::Bicubic, Compat::Pillow).unwrap();
        assert_ne!(
            pillow.data, canvas.data,
            "the two targets differ on this ramp"
        );
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
        assert!(internvl_pixels_into(
            &[(img, plan)],
            Resampling::new(Filter::Bicubic, Compat::Pillow).unwrap(),
            &lut,
            &mut out
        )
        .is_err());
        let mut out = vec![0f32; 3 * 28 * 28];
        internvl_pixels_into(
            &[(img, plan)],
            Resampling::new(Filter::Bicubic, Compat::Pillow).unwrap(),
            &lut,
            &mut out,
        )
        .unwrap();
    }
}
