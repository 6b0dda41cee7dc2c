//! Fused normalise + patch layout: resized uint8 frames straight into model rows.
//!
//! Rescale and normalise are one per-channel 256-entry lookup table (`lut[c][v]`) built by
//! the caller in the output's own type, so the kernel is a gather with no float work and
//! the values are exactly what the reference's float pipeline produces for each byte.
//! `T = u8` with the identity table gives raw patches for normalising later on a GPU.
//!
//! For float32 RGB output with the processors' patch sizes, the table is recognised as
//! float32 arithmetic ([`affine`]) and the blocks are computed in AVX2 lanes instead
//! ([`avx2`]), bit-identical to the gather, which stays the reference and the fallback.
//! float16 / bfloat16 tables that carry the float32 table they round (`_lut.kernel_table`)
//! get the same lanes, rounded in SIMD. [`fused`] runs the resize and this writer a block
//! of rows at a time.

pub mod affine;
#[cfg(target_arch = "x86_64")]
pub mod avx2;
pub mod fused;

use super::error::{invalid_arg, Error, Result};
use super::image::{ImageRef, MAX_IMAGE_SIDE};
use super::par;

/// Merge-window rows below which a band of patch rows is not worth a thread hop.
const MIN_BAND_UNITS: usize = 4;

/// Qwen2-VL's patch geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchLayout {
    /// Side of one ViT patch in pixels (14 for Qwen2/2.5-VL, 16 for Qwen3-VL).
    pub patch_size: usize,
    /// Frames per temporal patch (2); shorter clips repeat their last frame.
    pub temporal_patch_size: usize,
    /// Side of the patch-merge window (2).
    pub merge_size: usize,
}

impl PatchLayout {
    /// The side lengths the resized frames must be multiples of.
    #[must_use]
    pub fn factor(&self) -> usize {
        self.patch_size * self.merge_size
    }

    /// Values in one output row: `channels * temporal_patch_size * patch_size²`.
    #[must_use]
    pub fn row_len(&self, channels: usize) -> usize {
        channels * self.temporal_patch_size * self.patch_size * self.patch_size
    }

    fn check(&self) -> Result<()> {
        let ok = |v: usize| (1..=1024).contains(&v);
        if !(ok(self.patch_size) && ok(self.temporal_patch_size) && ok(self.merge_size)) {
            return invalid_arg!(
                "patch_size, temporal_patch_size and merge_size must be in 1..=1024, got {}, {}, {}",
                self.patch_size,
                self.temporal_patch_size,
                self.merge_size
            );
        }
        Ok(())
    }

    /// `(grid_t, grid_h, grid_w)` for `frames` frames of `height × width`.
    ///
    /// # Errors
    /// Sides that are not multiples of [`Self::factor`], or no frames.
    pub fn grid(
        &self,
        frames: usize,
        height: usize,
        width: usize,
    ) -> Result<(usize, usize, usize)> {
        self.check()?;
        let f = self.factor();
        if frames == 0 {
            return Err(Error::InvalidImage(
                "a video needs at least one frame, got 0".into(),
            ));
        }
        if height > MAX_IMAGE_SIDE || width > MAX_IMAGE_SIDE {
            return Err(Error::InvalidImage(format!(
                "frames of {height}x{width} exceed the maximum side of {MAX_IMAGE_SIDE}"
            )));
        }
        if height % f != 0 || width % f != 0 || height == 0 || width == 0 {
            return Err(Error::InvalidImage(format!(
                "frames of {height}x{width} cannot be patchified: both sides must be positive \
                 multiples of patch_size * merge_size = {f}"
            )));
        }
        let t = frames.div_ceil(self.temporal_patch_size);
        Ok((t, height / self.patch_size, width / self.patch_size))
    }
}

/// Writes the patch rows of `frames` (all the same `(h, w, c)` shape) into `out`.
///
/// Row `r` and column `col` of the `(t·gh·gw, c·tps·ps·ps)` output hold, for
/// `r = (((t·gh/m + bh)·gw/m + bw)·m + ih)·m + iw` and `col = ((ch·tps + tt)·ps + py)·ps + px`,
/// `lut[ch][frame[t·tps + tt][(bh·m + ih)·ps + py][(bw·m + iw)·ps + px][ch]]`, frames past
/// the end repeating the last one.
///
/// # Errors
/// Frames of different shapes, sides not multiples of the factor, a table shorter than
/// `256 * channels`, or an `out` of the wrong length.
pub fn patchify_into<T: Copy + Send + Sync + 'static>(
    frames: &[ImageRef<'_>],
    layout: PatchLayout,
    lut: &[T],
    out: &mut [T],
) -> Result<(usize, usize, usize)> {
    let first = frames
        .first()
        .ok_or_else(|| Error::InvalidImage("a video needs at least one frame, got 0".into()))?;
    let (h, w, c) = (first.height, first.width, first.channels);
    if let Some((i, f)) = frames
        .iter()
        .enumerate()
        .find(|(_, f)| (f.height, f.width, f.channels) != (h, w, c))
    {
        return Err(Error::InvalidImage(format!(
            "frame {i} has shape ({}, {}, {}) but frame 0 has ({h}, {w}, {c}); all frames must match",
            f.height, f.width, f.channels
        )));
    }
    let (gt, gh, gw) = checked_grid(layout, frames.len(), (h, w, c), lut.len(), out.len())?;
    let row_len = layout.row_len(c);
    #[cfg(target_arch = "x86_64")]
    if let Some(norm) = simd_norm(lut, c, layout.patch_size) {
        fill_rows(out, layout, gh, gw, row_len, |row, frame0, origin| {
            write_row_simd(frames, frame0, layout, origin, &norm, row);
        });
        return Ok((gt, gh, gw));
    }
    patchify_scalar(frames, layout, lut, out, (gh, gw));
    Ok((gt, gh, gw))
}

/// The patch grid of `frames` frames of `(h, w, c)`, checking the table and output lengths.
fn checked_grid(
    layout: PatchLayout,
    frames: usize,
    (h, w, c): (usize, usize, usize),
    lut_len: usize,
    out_len: usize,
) -> Result<(usize, usize, usize)> {
    let (gt, gh, gw) = layout.grid(frames, h, w)?;
    if lut_len < 256 * c {
        return invalid_arg!(
            "lookup table has {lut_len} entries, need 256 per channel ({})",
            256 * c
        );
    }
    let row_len = layout.row_len(c);
    if out_len != gt * gh * gw * row_len {
        return invalid_arg!(
            "output holds {out_len} values, expected {} ({} rows x {row_len})",
            gt * gh * gw * row_len,
            gt * gh * gw
        );
    }
    Ok((gt, gh, gw))
}

/// The reference writer: every value gathered from `lut` (inputs already checked).
fn patchify_scalar<T: Copy + Send + Sync>(
    frames: &[ImageRef<'_>],
    layout: PatchLayout,
    lut: &[T],
    out: &mut [T],
    (gh, gw): (usize, usize),
) {
    let c = frames[0].channels;
    let (ps, tps) = (layout.patch_size, layout.temporal_patch_size);
    fill_rows(
        out,
        layout,
        gh,
        gw,
        layout.row_len(c),
        |row, frame0, origin| {
            write_row(frames, frame0, tps, origin, ps, c, lut, ps * ps, row);
        },
    );
}

/// The AVX2 lanes for `lut` when the frames are RGB, the patch side 14 or 16 and the table
/// one [`rgb_lanes`] recognises; else `None`.
#[cfg(target_arch = "x86_64")]
fn simd_norm<T: 'static>(lut: &[T], channels: usize, ps: usize) -> Option<avx2::Norm> {
    if channels != 3 || !(ps == 14 || ps == 16) {
        return None;
    }
    rgb_lanes(lut)
}

/// The AVX2 lanes for an RGB table, else `None`: a float32 table that is exactly one of
/// the normalisation orders, or a `u16` table (float16 / bfloat16 bits) whose 768 entries
/// are followed by the float32 table they were rounded from (its bits as 1536 `u16`, low
/// half first, as `_lut.kernel_table` appends them) and are that table's rounding.
#[cfg(target_arch = "x86_64")]
fn rgb_lanes<T: 'static>(lut: &[T]) -> Option<avx2::Norm> {
    use std::any::TypeId;
    if !avx2::available() {
        return None;
    }
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        // SAFETY: `T` is `f32` (checked above), so the slice is reinterpreted as itself.
        let lut = unsafe { std::slice::from_raw_parts(lut.as_ptr().cast::<f32>(), lut.len()) };
        let params = affine::recover_all(lut, 3)?;
        return avx2::Norm::new(&params, lut);
    }
    if TypeId::of::<T>() != TypeId::of::<u16>() {
        return None;
    }
    // SAFETY: `T` is `u16` (checked above), so the slice is reinterpreted as itself.
    let bits = unsafe { std::slice::from_raw_parts(lut.as_ptr().cast::<u16>(), lut.len()) };
    let halves = bits.get(768..768 + 1536)?;
    let source: Vec<f32> = halves
        .chunks_exact(2)
        .map(|h| f32::from_bits(u32::from(h[0]) | (u32::from(h[1]) << 16)))
        .collect();
    let params = affine::recover_all(&source, 3)?;
    avx2::Norm::new(&params, &source)?.with_bits(&bits[..768])
}

/// Reinterprets `d` as the element type of `O` when that is `T`; `None` otherwise.
#[cfg(target_arch = "x86_64")]
fn as_elems<T: 'static, O: avx2::Store>(d: &mut [T]) -> Option<&mut [O::Elem]>
where
    O::Elem: 'static,
{
    use std::any::TypeId;
    (TypeId::of::<T>() == TypeId::of::<O::Elem>()).then(|| {
        // SAFETY: `T` and `O::Elem` are the same type (checked above).
        unsafe { &mut *(std::ptr::from_mut::<[T]>(d) as *mut [O::Elem]) }
    })
}

/// Rescale + normalise of RGB rows into three planes (the families' `(3, h, w)` output):
/// the table gathered, or the same values computed in AVX2 lanes for the tables
/// `rgb_lanes` recognises (float32, and float16 / bfloat16 with their float32 rows).
#[derive(Clone, Copy)]
pub struct PlanarWriter<'a, T> {
    lut: &'a [T],
    #[cfg(target_arch = "x86_64")]
    lanes: Option<avx2::Norm>,
}

impl<'a, T: Copy + 'static> PlanarWriter<'a, T> {
    /// A writer for a `(3, 256)` table.
    ///
    /// # Errors
    /// A table with fewer than 768 entries.
    pub fn new(lut: &'a [T]) -> Result<Self> {
        if lut.len() < 768 {
            return invalid_arg!("lookup table has {} entries, need 3 x 256", lut.len());
        }
        Ok(Self {
            lut,
            #[cfg(target_arch = "x86_64")]
            lanes: rgb_lanes(lut),
        })
    }

    /// One RGB row (`px`, 3 bytes per pixel) into the three plane rows, which are as long as
    /// the row has pixels.
    pub fn row_into(&self, px: &[u8], d0: &mut [T], d1: &mut [T], d2: &mut [T]) {
        let n = px.len() / 3;
        assert!(d0.len() == n && d1.len() == n && d2.len() == n);
        #[allow(unused_mut)]
        let mut done = 0;
        #[cfg(target_arch = "x86_64")]
        if let Some(norm) = &self.lanes {
            done = match norm.storage {
                avx2::Storage::F32 => lanes_row::<T, avx2::F32>(px, norm, [d0, d1, d2]),
                avx2::Storage::F16 => lanes_row::<T, avx2::F16>(px, norm, [d0, d1, d2]),
                avx2::Storage::Bf16 => lanes_row::<T, avx2::Bf16>(px, norm, [d0, d1, d2]),
            };
        }
        let (t0, t1, t2) = (&self.lut[..256], &self.lut[256..512], &self.lut[512..768]);
        for (((p, a), b), c) in px[3 * done..]
            .chunks_exact(3)
            .zip(&mut d0[done..])
            .zip(&mut d1[done..])
            .zip(&mut d2[done..])
        {
            *a = t0[usize::from(p[0])];
            *b = t1[usize::from(p[1])];
            *c = t2[usize::from(p[2])];
        }
    }
}

/// [`avx2::planes_row`] when `T` is `O`'s element (always, for lanes built for `T`), else
/// nothing; returns the pixels written.
#[cfg(target_arch = "x86_64")]
fn lanes_row<T: 'static, O: avx2::Store>(px: &[u8], norm: &avx2::Norm, d: [&mut [T]; 3]) -> usize
where
    O::Elem: 'static,
{
    let [d0, d1, d2] = d;
    match (
        as_elems::<T, O>(d0),
        as_elems::<T, O>(d1),
        as_elems::<T, O>(d2),
    ) {
        // SAFETY: lanes are only built when `avx2::available()`.
        (Some(a), Some(b), Some(c)) => unsafe { avx2::planes_row::<O>(px, norm, [a, b, c]) },
        _ => 0,
    }
}

/// Calls `write(row, first_frame, (y0, x0))` for every output row, in bands of merge
/// windows that may run on several threads.
fn fill_rows<T: Send, F>(
    out: &mut [T],
    layout: PatchLayout,
    gh: usize,
    gw: usize,
    row_len: usize,
    write: F,
) where
    F: Fn(&mut [T], usize, (usize, usize)) + Sync + Send,
{
    let (ps, tps, m) = (
        layout.patch_size,
        layout.temporal_patch_size,
        layout.merge_size,
    );
    // One unit = the rows of one (frame group, merge-window row); units are independent,
    // so a big image's units can be written by several threads.
    let (units_per_t, unit_len) = (gh / m, (gw / m) * m * m * row_len);
    par::for_each_band(out, unit_len, MIN_BAND_UNITS, |first_unit, band| {
        let units = band.len() / unit_len;
        let mut rows = band.chunks_exact_mut(row_len);
        for unit in first_unit..first_unit + units {
            let (t, bh) = (unit / units_per_t, unit % units_per_t);
            unit_rows(&mut rows, layout, gw, bh * m * ps, |row, origin| {
                write(row, t * tps, origin);
            });
        }
    });
}

/// Calls `write(row, (y0, x0))` for the next rows of `rows` that make up one unit (one
/// merge-window row of `gw` patch columns whose top pixel row is `top`).
fn unit_rows<T, F>(
    rows: &mut std::slice::ChunksExactMut<'_, T>,
    layout: PatchLayout,
    gw: usize,
    top: usize,
    mut write: F,
) where
    F: FnMut(&mut [T], (usize, usize)),
{
    let (ps, m) = (layout.patch_size, layout.merge_size);
    for bw in 0..gw / m {
        for ih in 0..m {
            for iw in 0..m {
                let row = rows.next().expect("a band holds whole units");
                write(row, (top + ih * ps, (bw * m + iw) * ps));
            }
        }
    }
}

/// [`write_row`] for RGB in AVX2 lanes (stored as the lanes' storage type, which is `T`):
/// the temporal slots that repeat one frame (a still image, a clip's padded end) get each
/// vector stored into all of them at once.
#[cfg(target_arch = "x86_64")]
fn write_row_simd<T: 'static>(
    frames: &[ImageRef<'_>],
    frame0: usize,
    layout: PatchLayout,
    origin: (usize, usize),
    norm: &avx2::Norm,
    row: &mut [T],
) {
    let done = match norm.storage {
        avx2::Storage::F32 => as_elems::<T, avx2::F32>(row)
            .map(|r| write_row_lanes::<avx2::F32>(frames, frame0, layout, origin, norm, r)),
        avx2::Storage::F16 => as_elems::<T, avx2::F16>(row)
            .map(|r| write_row_lanes::<avx2::F16>(frames, frame0, layout, origin, norm, r)),
        avx2::Storage::Bf16 => as_elems::<T, avx2::Bf16>(row)
            .map(|r| write_row_lanes::<avx2::Bf16>(frames, frame0, layout, origin, norm, r)),
    };
    assert!(
        done.is_some(),
        "lanes are built for the output's element type"
    );
}

#[cfg(target_arch = "x86_64")]
fn write_row_lanes<O: avx2::Store>(
    frames: &[ImageRef<'_>],
    frame0: usize,
    layout: PatchLayout,
    origin: (usize, usize),
    norm: &avx2::Norm,
    row: &mut [O::Elem],
) {
    let (ps, tps) = (layout.patch_size, layout.temporal_patch_size);
    let plane = ps * ps;
    let chan_len = tps * plane;
    assert!(row.len() == 3 * chan_len);
    let (y0, x0) = origin;
    let last = frames.len() - 1;
    let mut tt = 0;
    while tt < tps {
        // Frame indices only grow with the slot, so equal ones are consecutive slots.
        let fi = (frame0 + tt).min(last);
        let slots = (tt..tps)
            .take_while(|&s| (frame0 + s).min(last) == fi)
            .count();
        let frame = &frames[fi];
        assert!(y0 + ps <= frame.height && x0 + ps <= frame.width && frame.channels == 3);
        let base = row.as_mut_ptr();
        let mut s = 0;
        while s < slots {
            let n = (slots - s).min(2);
            let dst: [*mut O::Elem; 3] =
                std::array::from_fn(|ch| base.wrapping_add(ch * chan_len + (tt + s) * plane));
            // The block lies inside the frame (asserted); each channel's `n` slots of `plane`
            // values from `dst[ch]` end at `ch·chan_len + (tt + s + n)·plane ≤ row.len()`.
            // SAFETY: lanes exist only when AVX2, FMA and F16C are present; bounds above.
            unsafe {
                match (ps, n) {
                    (14, 1) => avx2::write_block::<14, 1, O>(frame, origin, norm, dst),
                    (14, _) => avx2::write_block::<14, 2, O>(frame, origin, norm, dst),
                    (_, 1) => avx2::write_block::<16, 1, O>(frame, origin, norm, dst),
                    _ => avx2::write_block::<16, 2, O>(frame, origin, norm, dst),
                }
            }
            s += n;
        }
        tt += slots;
    }
}

/// One output row: for each channel and temporal slot, the `ps × ps` block at `(y0, x0)`.
/// A temporal slot that repeats the previous frame copies the block instead of re-gathering.
#[allow(clippy::too_many_arguments)]
#[inline]
fn write_row<T: Copy>(
    frames: &[ImageRef<'_>],
    frame0: usize,
    tps: usize,
    (y0, x0): (usize, usize),
    ps: usize,
    c: usize,
    lut: &[T],
    plane: usize,
    row: &mut [T],
) {
    let last = frames.len() - 1;
    for ch in 0..c {
        let table = &lut[ch * 256..ch * 256 + 256];
        let chan = &mut row[ch * tps * plane..(ch + 1) * tps * plane];
        let mut prev_frame = usize::MAX;
        for tt in 0..tps {
            let fi = (frame0 + tt).min(last);
            if fi == prev_frame {
                chan.copy_within((tt - 1) * plane..tt * plane, tt * plane);
                continue;
            }
            prev_frame = fi;
            let frame = &frames[fi];
            let block = &mut chan[tt * plane..(tt + 1) * plane];
            for (py, dst) in block.chunks_exact_mut(ps).enumerate() {
                let src = &frame.row(y0 + py)[x0 * c..(x0 + ps) * c];
                for (d, px) in dst.iter_mut().zip(src.chunks_exact(c)) {
                    *d = table[usize::from(px[ch])];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity_lut() -> Vec<u32> {
        (0..3)
            .flat_map(|c| (0..256).map(move |v| c * 1000 + v))
            .collect()
    }

    /// Straight transcription of the closed form, one value at a time.
    fn reference(frames: &[Vec<u8>], h: usize, w: usize, l: PatchLayout) -> Vec<u32> {
        let (ps, tps, m) = (l.patch_size, l.temporal_patch_size, l.merge_size);
        let (gt, gh, gw) = (frames.len().div_ceil(tps), h / ps, w / ps);
        let cols = 3 * tps * ps * ps;
        let mut out = vec![0u32; gt * gh * gw * cols];
        for t in 0..gt {
            for bh in 0..gh / m {
                for bw in 0..gw / m {
                    for ih in 0..m {
                        for iw in 0..m {
                            let r = (((t * (gh / m) + bh) * (gw / m) + bw) * m + ih) * m + iw;
                            for ch in 0..3 {
                                for tt in 0..tps {
                                    for py in 0..ps {
                                        for px in 0..ps {
                                            let col = ((ch * tps + tt) * ps + py) * ps + px;
                                            let f = &frames[(t * tps + tt).min(frames.len() - 1)];
                                            let (y, x) =
                                                ((bh * m + ih) * ps + py, (bw * m + iw) * ps + px);
                                            let v = f[(y * w + x) * 3 + ch];
                                            out[r * cols + col] = ch as u32 * 1000 + u32::from(v);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn matches_closed_form() {
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 24) as u8
        };
        for &(nf, h, w, ps, tps, m) in &[
            (1, 56, 84, 14, 2, 2),
            (3, 28, 56, 14, 2, 2),
            (5, 32, 64, 16, 2, 2),
            (2, 12, 18, 3, 1, 2),
            (4, 8, 8, 2, 3, 1),
        ] {
            let frames: Vec<Vec<u8>> = (0..nf)
                .map(|_| (0..h * w * 3).map(|_| next()).collect())
                .collect();
            let views: Vec<ImageRef> = frames
                .iter()
                .map(|f| ImageRef::new(f, h, w, 3).unwrap())
                .collect();
            let layout = PatchLayout {
                patch_size: ps,
                temporal_patch_size: tps,
                merge_size: m,
            };
            let (gt, gh, gw) = layout.grid(nf, h, w).unwrap();
            let mut out = vec![0u32; gt * gh * gw * layout.row_len(3)];
            patchify_into(&views, layout, &identity_lut(), &mut out).unwrap();
            assert_eq!(
                out,
                reference(&frames, h, w, layout),
                "case {nf} {h}x{w} ps{ps}"
            );
        }
    }

    #[test]
    fn bands_on_several_threads_match_the_closed_form() {
        let (h, w) = (28 * 20, 28 * 3);
        let frames: Vec<Vec<u8>> = (0..3)
            .map(|f| {
                (0..h * w * 3)
                    .map(|i| ((i * 31 + f * 7) % 256) as u8)
                    .collect()
            })
            .collect();
        let views: Vec<ImageRef> = frames
            .iter()
            .map(|f| ImageRef::new(f, h, w, 3).unwrap())
            .collect();
        let layout = PatchLayout {
            patch_size: 14,
            temporal_patch_size: 2,
            merge_size: 2,
        };
        let (gt, gh, gw) = layout.grid(3, h, w).unwrap();
        let mut out = vec![0u32; gt * gh * gw * layout.row_len(3)];
        crate::core::par::set_num_threads(3);
        patchify_into(&views, layout, &identity_lut(), &mut out).unwrap();
        crate::core::par::set_num_threads(1);
        assert_eq!(out, reference(&frames, h, w, layout));
    }

    /// The processors' tables in NumPy's order: slow (`f32(v / 255)` in f64, then
    /// normalise) and fused (`(v - 255·mean) / (255·std)`), as `_lut.py` builds them.
    fn float_tables() -> Vec<Vec<f32>> {
        let sets: [[(f32, f32); 3]; 3] = [
            [
                (0.481_454_66, 0.268_629_54),
                (0.457_827_5, 0.261_302_6),
                (0.408_210_73, 0.275_777_1),
            ],
            [(0.485, 0.229), (0.456, 0.224), (0.406, 0.225)],
            [(0.5, 0.5), (0.0, 1.0), (0.9, 0.05)],
        ];
        let mut out = Vec::new();
        for set in sets {
            let slow = set
                .iter()
                .flat_map(|&(m, s)| {
                    (0..256).map(move |v| (((f64::from(v) / 255.0) as f32) - m) / s)
                })
                .collect();
            let fast = set
                .iter()
                .flat_map(|&(m, s)| (0..256).map(move |v| (v as f32 - m * 255.0) / (s * 255.0)))
                .collect();
            out.push(slow);
            out.push(fast);
        }
        out
    }

    #[test]
    fn simd_writer_matches_the_gather_bit_for_bit() {
        let mut seed = 11u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 24) as u8
        };
        // (frames, h, w, patch, temporal, merge): still images, clips with padded ends,
        // odd temporal sizes, and blocks touching the image's last byte.
        for &(nf, h, w, ps, tps, m) in &[
            (1, 28, 28, 14, 2, 2),
            (1, 56, 84, 14, 2, 2),
            (3, 28, 56, 14, 2, 2),
            (2, 32, 64, 16, 2, 2),
            (5, 32, 32, 16, 2, 2),
            (4, 42, 28, 14, 3, 1),
            (1, 16, 48, 16, 1, 1),
        ] {
            let frames: Vec<Vec<u8>> = (0..nf)
                .map(|_| (0..h * w * 3).map(|_| next()).collect())
                .collect();
            let views: Vec<ImageRef> = frames
                .iter()
                .map(|f| ImageRef::new(f, h, w, 3).unwrap())
                .collect();
            let layout = PatchLayout {
                patch_size: ps,
                temporal_patch_size: tps,
                merge_size: m,
            };
            let (gt, gh, gw) = layout.grid(nf, h, w).unwrap();
            let n = gt * gh * gw * layout.row_len(3);
            for mut lut in float_tables() {
                #[cfg(target_arch = "x86_64")]
                if avx2::available() {
                    assert!(
                        simd_norm(&lut, 3, ps).is_some(),
                        "lanes for a processor table"
                    );
                }
                for perturb in [false, true] {
                    if perturb {
                        // Not an affine table any more: the gather must be used.
                        lut[300] = lut[301];
                    }
                    let mut fast = vec![0f32; n];
                    let mut slow = vec![1f32; n];
                    patchify_into(&views, layout, &lut, &mut fast).unwrap();
                    patchify_scalar(&views, layout, &lut, &mut slow, (gh, gw));
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(
                        bits(&fast),
                        bits(&slow),
                        "case {nf} {h}x{w} ps{ps} tps{tps}"
                    );
                }
            }
        }
    }

    #[test]
    fn planar_writer_matches_the_gather_bit_for_bit() {
        let px: Vec<u8> = (0..3 * 101).map(|i| (i * 37 % 256) as u8).collect();
        for lut in float_tables() {
            let w = PlanarWriter::new(&lut).unwrap();
            #[cfg(target_arch = "x86_64")]
            if avx2::available() {
                assert!(w.lanes.is_some(), "lanes for a processor table");
            }
            for n in [0, 1, 15, 16, 17, 48, 101] {
                let mut d = vec![vec![0f32; n]; 3];
                let [d0, d1, d2] = &mut d[..] else {
                    unreachable!()
                };
                w.row_into(&px[..3 * n], d0, d1, d2);
                for (ch, plane) in d.iter().enumerate() {
                    for (x, v) in plane.iter().enumerate() {
                        let want = lut[ch * 256 + usize::from(px[3 * x + ch])];
                        assert_eq!(v.to_bits(), want.to_bits(), "n {n} ch {ch} x {x}");
                    }
                }
            }
        }
    }

    #[test]
    fn refuses_bad_shapes() {
        let data = vec![0u8; 30 * 28 * 3];
        let img = ImageRef::new(&data, 30, 28, 3).unwrap();
        let layout = PatchLayout {
            patch_size: 14,
            temporal_patch_size: 2,
            merge_size: 2,
        };
        let mut out = vec![0u32; 10];
        assert!(patchify_into(&[img], layout, &identity_lut(), &mut out).is_err());
        assert!(patchify_into::<u32>(&[], layout, &identity_lut(), &mut out).is_err());
    }

    /// IEEE half bits of a finite `x`, rounded to nearest even (NumPy's `astype(float16)`).
    fn f16_bits(x: f32) -> u16 {
        let b = x.to_bits();
        let sign = ((b >> 16) & 0x8000) as u16;
        let e = ((b >> 23) & 0xff) as i32 - 127 + 15;
        let round = |m: u32, shift: u32| {
            let (q, rem, half) = (m >> shift, m & ((1 << shift) - 1), 1 << (shift - 1));
            q + u32::from(rem > half || (rem == half && q & 1 == 1))
        };
        let q = match e {
            31.. => 0x7c00,
            ..=-11 => 0,
            -10..=0 => round((b & 0x7f_ffff) | 0x80_0000, (14 - e) as u32),
            _ => round(((e as u32) << 23) | (b & 0x7f_ffff), 13),
        };
        sign | q as u16
    }

    /// bfloat16 bits of a finite `x`, rounded to nearest even (`_lut._bf16_bits`).
    fn bf16_bits(x: f32) -> u16 {
        let b = u64::from(x.to_bits());
        ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16
    }

    /// The kernel table of a float16 / bfloat16 output: the bits, then the float32 table's
    /// bits as `u16` halves, low half first (`_lut.kernel_table`).
    fn half_table(lut: &[f32], round: fn(f32) -> u16) -> Vec<u16> {
        let bits = lut.iter().map(|&v| round(v));
        let halves = lut.iter().flat_map(|v| {
            let b = v.to_bits();
            [(b & 0xffff) as u16, (b >> 16) as u16]
        });
        bits.chain(halves).collect()
    }

    #[test]
    fn half_lanes_match_the_gather_bit_for_bit() {
        assert_eq!(f16_bits(1.0), 0x3c00);
        assert_eq!(f16_bits(-2.5), 0xc100);
        assert_eq!(f16_bits(1.0 + 1.0 / 2048.0), 0x3c00); // tie to even
        assert_eq!(f16_bits(1.0 + 3.0 / 2048.0), 0x3c02);
        assert_eq!(f16_bits(5.960_464_5e-8), 0x0001); // smallest subnormal
        assert_eq!(bf16_bits(1.0), 0x3f80);
        let data: Vec<u8> = (0..56 * 84 * 3).map(|i| (i * 89 % 256) as u8).collect();
        let px: Vec<u8> = (0..3 * 37).map(|i| (i * 53 % 256) as u8).collect();
        for ps in [14, 16] {
            let layout = PatchLayout {
                patch_size: ps,
                temporal_patch_size: 2,
                merge_size: if ps == 14 { 2 } else { 1 },
            };
            let f = layout.factor();
            let (h, w) = (f * 2, f * 3);
            let data = &data[..h * w * 3];
            let img = ImageRef::new(data, h, w, 3).unwrap();
            let (gt, gh, gw) = layout.grid(1, h, w).unwrap();
            let n = gt * gh * gw * layout.row_len(3);
            for lut in float_tables() {
                for round in [f16_bits as fn(f32) -> u16, bf16_bits] {
                    let table = half_table(&lut, round);
                    #[cfg(target_arch = "x86_64")]
                    if avx2::available() {
                        assert!(simd_norm(&table, 3, ps).is_some(), "lanes for a half table");
                        assert!(simd_norm(&table[..768], 3, ps).is_none());
                    }
                    let (mut fast, mut slow) = (vec![0u16; n], vec![1u16; n]);
                    patchify_into(&[img], layout, &table, &mut fast).unwrap();
                    patchify_into(&[img], layout, &table[..768], &mut slow).unwrap();
                    assert_eq!(fast, slow, "ps {ps}");
                    let (lanes, gather) = (
                        PlanarWriter::new(&table).unwrap(),
                        PlanarWriter::new(&table[..768]).unwrap(),
                    );
                    let mut d = vec![vec![0u16; 37]; 6];
                    let [a0, a1, a2, b0, b1, b2] = &mut d[..] else {
                        unreachable!()
                    };
                    lanes.row_into(&px, a0, a1, a2);
                    gather.row_into(&px, b0, b1, b2);
                    assert_eq!(d[..3], d[3..]);
                }
            }
        }
    }
}
