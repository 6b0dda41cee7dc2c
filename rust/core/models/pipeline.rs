//! The shared pixel pipeline of every family: RGB conversion (Pillow's `convert("RGB")`),
//! resizes exact to the chosen target ([`Resampling`]: Pillow or torchvision), and the
//! rescale+normalise table ([`Tables`]: gathered, or the same values in SIMD lanes)
//! written straight into planar `(c, h, w)` output
//! (InternVL, LLaVA-OneVision, Oryx) or fed to the patch writer (Qwen2-VL,
//! [`crate::core::patchify`]).
//!
//! Crops are read straight out of the resized image (a LLaVA canvas's black border is
//! written from the table, never materialised), each source row once for all three planes,
//! into output the caller allocated (NumPy's `np.empty`, see `rust/py/family.rs`).

use std::borrow::Cow;

use crate::core::error::{invalid_arg, Result};
use crate::core::image::ImageRef;
use crate::core::ops::to_rgb;
use crate::core::par;
use crate::core::patchify::PlanarWriter;
use crate::core::resize::rows::RowResize;
use crate::core::resize::{resize, Compat, Filter};

/// How a family's pixels are produced: the resize and the normalisation table.
#[derive(Clone, Copy)]
pub struct Pixels<'a, T> {
    /// The filter and exactness target of every resize.
    pub resampling: Resampling,
    /// Byte → output value, per channel.
    pub table: Tables<'a, T>,
}

/// The three per-channel lookup tables (byte → output value) of a `(3, 256)` table.
#[derive(Clone, Copy)]
pub struct Tables<'a, T> {
    t: [&'a [T; 256]; 3],
    raw: &'a [T],
    /// Whole rows into planes: the gather, or SIMD lanes for processor tables.
    rows: PlanarWriter<'a, T>,
}

impl<'a, T: Copy + 'static> Tables<'a, T> {
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
            raw: &lut[..768],
            rows: PlanarWriter::new(lut)?,
        })
    }

    /// The three tables as one `3 × 256` slice (the patch writer's layout).
    #[must_use]
    pub fn raw(&self) -> &'a [T] {
        self.raw
    }

    /// The value a byte `v` of channel `c` maps to.
    #[must_use]
    pub fn get(&self, c: usize, v: u8) -> T {
        self.t[c][usize::from(v)]
    }
}

/// One RGB row into three plane rows of equal length.
#[inline]
fn row_into<T: Copy + 'static>(
    px: &[u8],
    t: &Tables<'_, T>,
    d0: &mut [T],
    d1: &mut [T],
    d2: &mut [T],
) {
    t.rows.row_into(px, d0, d1, d2);
}

/// Where an RGB image sits on a larger canvas and what fills the rest.
#[derive(Clone, Copy)]
pub(crate) struct Placement {
    pub(crate) top: usize,
    pub(crate) left: usize,
    /// The background byte of each channel.
    pub(crate) pad: [u8; 3],
}

pub(crate) const AT_ORIGIN: Placement = Placement {
    top: 0,
    left: 0,
    pad: [0; 3],
};

/// Writes the `[top, left, h, w]` window of the canvas `src` is placed on as planar
/// `(3, h, w)` values; canvas pixels outside `src` take the background.
pub(crate) fn window_into<T: Copy + 'static>(
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

/// Output rows a tile row is resized in at a time: a block of a 1792-pixel canvas is
/// 86 KB, which stays in L2 until its tiles are written.
const TILE_BLOCK_ROWS: usize = 16;

/// Tile row `r` of `resize`'s output cut into `tile × tile` tiles: its planar
/// `(3, tile, tile)` tiles, left to right, into `dst`. The canvas is resized a block of rows
/// at a time and never materialised (InternVL's grid; see [`RowResize`]).
///
/// # Errors
/// A canvas that is not whole tiles, a row outside it, or a wrongly sized `dst`.
pub(crate) fn tile_row_into<T: Copy + 'static>(
    resize: &RowResize<'_>,
    r: usize,
    tile: usize,
    t: &Tables<'_, T>,
    dst: &mut [T],
) -> Result<()> {
    let (h, w) = resize.size();
    let plane = tile * tile;
    if tile == 0 || h % tile != 0 || w % tile != 0 || (r + 1) * tile > h {
        return invalid_arg!("tile row {r} of {tile}-pixel tiles does not fit a {h}x{w} canvas");
    }
    if dst.len() != (w / tile) * 3 * plane {
        return invalid_arg!(
            "output holds {} values, expected {}",
            dst.len(),
            (w / tile) * 3 * plane
        );
    }
    let rb = resize.row_bytes();
    let mut band = resize.band(r * tile..(r + 1) * tile)?;
    let mut block = vec![0u8; TILE_BLOCK_ROWS.min(tile) * rb];
    for y in (0..tile).step_by(TILE_BLOCK_ROWS) {
        let k = TILE_BLOCK_ROWS.min(tile - y);
        let rows = &mut block[..k * rb];
        band.rows_into(r * tile + y..r * tile + y + k, rows)?;
        for (c, out) in dst.chunks_exact_mut(3 * plane).enumerate() {
            let (p0, rest) = out.split_at_mut(plane);
            let (p1, p2) = rest.split_at_mut(plane);
            for (yy, row) in rows.chunks_exact(rb).enumerate() {
                let at = (y + yy) * tile..(y + yy + 1) * tile;
                let px = &row[c * tile * 3..(c + 1) * tile * 3];
                row_into(px, t, &mut p0[at.clone()], &mut p1[at.clone()], &mut p2[at]);
            }
        }
    }
    Ok(())
}

pub(crate) fn whole<T: Copy + 'static>(
    img: &ImageRef<'_>,
    t: &Tables<'_, T>,
    out: &mut [T],
) -> Result<()> {
    window_into(img, AT_ORIGIN, [0, 0, img.height, img.width], t, out)
}

/// Pillow's `convert("RGB")` (borrowed when already RGB).
pub(crate) fn rgb<'a>(img: &ImageRef<'a>) -> Result<Cow<'a, [u8]>> {
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
pub(crate) fn resized<'a>(
    src: &ImageRef<'a>,
    h: usize,
    w: usize,
    rs: Resampling,
) -> Result<Cow<'a, [u8]>> {
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

/// One video's frames and the `(height, width)` every frame is squashed to.
pub type SizedFrames<'a> = (Vec<ImageRef<'a>>, (usize, usize));

/// Video frames squashed (no aspect preservation) to one `height × width` per
/// video and normalised: `(Σ T, 3, h, w)` in frame order. This is LLaVA-OneVision's
/// SigLIP path (384²), InternVL's `load_video` (one 448² tile per frame) and Oryx's
/// `resize_video` frames. Frames run in parallel when threads are enabled.
///
/// # Errors
/// Invalid frames (naming video and frame) or a wrongly sized `out`.
pub fn squashed_frames_into<T: Copy + Send + Sync + 'static>(
    videos: &[SizedFrames<'_>],
    px: Pixels<'_, T>,
    out: &mut [T],
) -> Result<()> {
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
        squash_one(frame, h, w, px, dst).map_err(|e| e.context(&format!("video {v}, frame {f}")))
    })
}

fn squash_one<T: Copy + 'static>(
    frame: &ImageRef<'_>,
    h: usize,
    w: usize,
    px: Pixels<'_, T>,
    dst: &mut [T],
) -> Result<()> {
    let data = rgb(frame)?;
    let src = ImageRef::new(&data, frame.height, frame.width, 3)?;
    let small = resized(&src, h, w, px.resampling)?;
    whole(&ImageRef::new(&small, h, w, 3)?, &px.table, dst)
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
    fn tile_rows_are_windows_of_the_whole_resize() {
        let data = ramp(70, 90);
        let img = ImageRef::new(&data, 70, 90, 3).unwrap();
        let lut: Vec<f32> = (0..768).map(|v| (v % 256) as f32 / 255.0 - 0.5).collect();
        let t = Tables::new(&lut).unwrap();
        for (tile, rows, cols, compat) in [
            (20, 2, 3, Compat::Pillow),
            (17, 3, 2, Compat::Torchvision),
            (35, 2, 1, Compat::Pillow12),
        ] {
            let (h, w) = (rows * tile, cols * tile);
            let canvas = resize(&img, h, w, Filter::Bicubic, compat).unwrap();
            let r = RowResize::new(&img, h, w, Filter::Bicubic, compat).unwrap();
            for row in 0..rows {
                let mut got = vec![0f32; cols * 3 * tile * tile];
                tile_row_into(&r, row, tile, &t, &mut got).unwrap();
                for (c, tile_out) in got.chunks_exact(3 * tile * tile).enumerate() {
                    let mut want = vec![0f32; 3 * tile * tile];
                    let window = [row * tile, c * tile, tile, tile];
                    window_into(&canvas.view(), AT_ORIGIN, window, &t, &mut want).unwrap();
                    assert_eq!(tile_out, &want[..], "tile {tile} row {row} col {c}");
                }
            }
            assert!(
                tile_row_into(&r, rows, tile, &t, &mut vec![0f32; cols * 3 * tile * tile]).is_err()
            );
            assert!(tile_row_into(&r, 0, tile, &t, &mut [0f32; 5]).is_err());
        }
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
}
