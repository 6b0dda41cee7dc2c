//! Pixel pipelines of InternVL, LLaVA-OneVision and Oryx: RGB conversion, Pillow-exact
//! bicubic resizes, crops and pastes, and the rescale+normalise table gathered straight
//! into planar `(c, h, w)` output. Geometry comes from each family's plan.

use std::borrow::Cow;

use super::error::{invalid_arg, Result};
use super::image::{ImageBuf, ImageRef};
use super::internvl::TilePlan;
use super::llava_onevision::{AnyresPlan, CROP_SIZE};
use super::ops::to_rgb;
use super::oryx::OryxPlan;
use super::par;
use super::resize::{resize, Compat, Filter};

/// Writes the `h × w` region at `(top, left)` of an RGB image as planar `(3, h, w)` values
/// looked up in `lut` (256 entries per channel).
///
/// # Errors
/// A region outside the image, a short table or a wrongly sized `out`.
pub fn normalize_region_chw_into<T: Copy>(
    img: &ImageRef<'_>,
    region: [usize; 4],
    lut: &[T],
    out: &mut [T],
) -> Result<()> {
    let [top, left, h, w] = region;
    let c = img.channels;
    if top + h > img.height || left + w > img.width {
        return invalid_arg!(
            "region {h}x{w} at ({top}, {left}) leaves the {}x{} image",
            img.height,
            img.width
        );
    }
    if lut.len() < 256 * c {
        return invalid_arg!("lookup table has {} entries, need {}", lut.len(), 256 * c);
    }
    if out.len() != c * h * w {
        return invalid_arg!("output holds {} values, expected {}", out.len(), c * h * w);
    }
    for (ch, plane) in out.chunks_exact_mut(h * w).enumerate() {
        let table = &lut[ch * 256..ch * 256 + 256];
        for (y, dst) in plane.chunks_exact_mut(w).enumerate() {
            let row = &img.row(top + y)[left * c..(left + w) * c];
            for (d, px) in dst.iter_mut().zip(row.chunks_exact(c)) {
                *d = table[usize::from(px[ch])];
            }
        }
    }
    Ok(())
}

fn whole<T: Copy>(img: &ImageRef<'_>, lut: &[T], out: &mut [T]) -> Result<()> {
    normalize_region_chw_into(img, [0, 0, img.height, img.width], lut, out)
}

/// Pillow's `convert("RGB")` (borrowed when already RGB).
fn rgb<'a>(img: &ImageRef<'a>) -> Result<Cow<'a, [u8]>> {
    if img.channels == 3 {
        Ok(Cow::Borrowed(img.data))
    } else {
        Ok(Cow::Owned(to_rgb(img)?.data))
    }
}

fn bicubic(src: &ImageRef<'_>, h: usize, w: usize, compat: Compat) -> Result<ImageBuf> {
    resize(src, h, w, Filter::Bicubic, compat)
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
///
/// # Errors
/// Invalid images (naming the image) or an `out` of the wrong length.
pub fn internvl_pixels_into<T: Copy + Send + Sync>(
    jobs: &[(ImageRef<'_>, TilePlan)],
    compat: Compat,
    lut: &[T],
    out: &mut [T],
) -> Result<()> {
    let sized = jobs
        .iter()
        .map(|j| {
            let s = j.1.image_size as usize;
            (j, j.1.num_tiles as usize * 3 * s * s)
        })
        .collect();
    let work = split(out, sized)?;
    par::try_for_each(work, |i, ((img, plan), dst)| {
        internvl_one(img, plan, compat, lut, dst).map_err(|e| e.context(&format!("image {i}")))
    })
}

fn internvl_one<T: Copy>(
    img: &ImageRef<'_>,
    plan: &TilePlan,
    compat: Compat,
    lut: &[T],
    dst: &mut [T],
) -> Result<()> {
    let data = rgb(img)?;
    let src = ImageRef::new(&data, img.height, img.width, 3)?;
    let s = plan.image_size as usize;
    let (rh, rw) = (plan.resized_height as usize, plan.resized_width as usize);
    let canvas = bicubic(&src, rh, rw, compat)?;
    let view = canvas.view();
    let mut tiles = dst.chunks_exact_mut(3 * s * s);
    for b in plan.boxes() {
        let region = [b[0] as usize, b[1] as usize, s, s];
        let tile = tiles.next().expect("out was sized from the plan");
        normalize_region_chw_into(&view, region, lut, tile)?;
    }
    if plan.has_thumbnail {
        let thumb = bicubic(&src, s, s, compat)?;
        let tile = tiles.next().expect("out was sized from the plan");
        whole(&thumb.view(), lut, tile)?;
    }
    Ok(())
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
        llava_ov_one(img, plan, compat, lut, zero, dst)
            .map_err(|e| e.context(&format!("image {i}")))
    })
}

fn llava_ov_one<T: Copy>(
    img: &ImageRef<'_>,
    plan: &AnyresPlan,
    compat: Compat,
    lut: &[T],
    zero: T,
    dst: &mut [T],
) -> Result<()> {
    let data = rgb(img)?;
    let src = ImageRef::new(&data, img.height, img.width, 3)?;
    let side = CROP_SIZE as usize;
    let mut crops = dst.chunks_exact_mut(3 * side * side);
    let base = bicubic(&src, side, side, compat)?;
    whole(&base.view(), lut, crops.next().expect("max_crops >= 1"))?;
    let (hc, wc) = (plan.canvas_height as usize, plan.canvas_width as usize);
    let (nh, nw) = (plan.resized_height as usize, plan.resized_width as usize);
    let resized = bicubic(&src, nh, nw, compat)?;
    let mut canvas = ImageBuf::zeros(hc, wc, 3)?;
    let (top, left) = (plan.pad_top as usize, plan.pad_left as usize);
    for (y, row) in resized.data.chunks_exact(nw * 3).enumerate() {
        let at = ((top + y) * wc + left) * 3;
        canvas.data[at..at + nw * 3].copy_from_slice(row);
    }
    let view = canvas.view();
    for b in plan.boxes() {
        let region = [b[0] as usize, b[1] as usize, side, side];
        normalize_region_chw_into(&view, region, lut, crops.next().expect("sized"))?;
    }
    for pad in crops {
        pad.fill(zero);
    }
    Ok(())
}

/// Oryx's two images: `(highres (3, h, w), lowres (3, h, w))` values. The tiny-side
/// up-scale (if any) comes first; the low-res image is resized from the high-res one.
///
/// # Errors
/// Invalid images.
pub fn oryx_pixels<T: Copy>(
    img: &ImageRef<'_>,
    plan: &OryxPlan,
    compat: Compat,
    lut: &[T],
) -> Result<(Vec<T>, Vec<T>)> {
    let data = rgb(img)?;
    let src = ImageRef::new(&data, img.height, img.width, 3)?;
    let up_size = (plan.upscaled.0 as usize, plan.upscaled.1 as usize);
    let upscaled;
    let start = if up_size == (img.height, img.width) {
        src
    } else {
        upscaled = bicubic(&src, up_size.0, up_size.1, compat)?;
        upscaled.view()
    };
    let (hh, hw) = (plan.highres.0 as usize, plan.highres.1 as usize);
    let (lh, lw) = (plan.lowres.0 as usize, plan.lowres.1 as usize);
    let high = bicubic(&start, hh, hw, compat)?;
    let low = bicubic(&high.view(), lh, lw, compat)?;
    let fill = |b: &ImageBuf| -> Result<Vec<T>> {
        let mut v = vec![lut[0]; 3 * b.height * b.width];
        whole(&b.view(), lut, &mut v)?;
        Ok(v)
    };
    Ok((fill(&high)?, fill(&low)?))
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
