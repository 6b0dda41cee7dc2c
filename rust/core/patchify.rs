//! Fused normalise + patch layout: resized uint8 frames straight into model rows.
//!
//! Rescale and normalise are one per-channel 256-entry lookup table (`lut[c][v]`) built by
//! the caller in the output's own type, so the kernel is a gather with no float work and
//! the values are exactly what the reference's float pipeline produces for each byte.
//! `T = u8` with the identity table gives raw patches for normalising later on a GPU.

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
pub fn patchify_into<T: Copy + Send + Sync>(
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
    let (gt, gh, gw) = layout.grid(frames.len(), h, w)?;
    if lut.len() < 256 * c {
        return invalid_arg!(
            "lookup table has {} entries, need 256 per channel ({})",
            lut.len(),
            256 * c
        );
    }
    let row_len = layout.row_len(c);
    if out.len() != gt * gh * gw * row_len {
        return invalid_arg!(
            "output holds {} values, expected {} ({} rows x {row_len})",
            out.len(),
            gt * gh * gw * row_len,
            gt * gh * gw
        );
    }
    let (ps, tps, m) = (
        layout.patch_size,
        layout.temporal_patch_size,
        layout.merge_size,
    );
    let plane = ps * ps;
    // One unit = the rows of one (frame group, merge-window row); units are independent,
    // so a big image's units can be written by several threads.
    let (units_per_t, unit_len) = (gh / m, (gw / m) * m * m * row_len);
    par::for_each_band(out, unit_len, MIN_BAND_UNITS, |first_unit, band| {
        let units = band.len() / unit_len;
        let mut rows = band.chunks_exact_mut(row_len);
        for unit in first_unit..first_unit + units {
            let (t, bh) = (unit / units_per_t, unit % units_per_t);
            for bw in 0..gw / m {
                for ih in 0..m {
                    for iw in 0..m {
                        let row = rows.next().expect("a band holds whole units");
                        let (y0, x0) = ((bh * m + ih) * ps, (bw * m + iw) * ps);
                        write_row(frames, t * tps, tps, (y0, x0), ps, c, lut, plane, row);
                    }
                }
            }
        }
    });
    Ok((gt, gh, gw))
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
}
