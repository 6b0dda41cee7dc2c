//! Resize and patch layout fused: the last resize pass writes one unit's rows (one
//! merge-window row, `patch_size · merge_size` image rows per frame) into a small block
//! that the patch writer consumes at once, so the resized frames are never written out
//! whole and the block is read back from cache. Bands of units run on the opt-in threads,
//! each resizing only the rows its units need.
//!
//! The bytes are [`crate::core::resize::resize`]'s (the same passes per row, see
//! [`RowResize`]) and the values [`super::patchify_into`]'s (the same row writers).

use std::sync::Mutex;

use super::{checked_grid, unit_rows, write_row, PatchLayout, MIN_BAND_UNITS};
use crate::core::error::{invalid_arg, Error, Result};
use crate::core::image::ImageRef;
use crate::core::par;
use crate::core::resize::rows::RowResize;
use crate::core::resize::{Compat, Filter};

/// How one output row is written: the table gather, or RGB in AVX2 lanes.
enum RowWriter<'a, T> {
    Table(&'a [T]),
    #[cfg(target_arch = "x86_64")]
    Lanes(Box<super::avx2::Norm>),
}

impl<'a, T: Copy + 'static> RowWriter<'a, T> {
    fn new(lut: &'a [T], channels: usize, ps: usize) -> Self {
        #[cfg(target_arch = "x86_64")]
        if let Some(norm) = super::simd_norm(lut, channels, ps) {
            return Self::Lanes(Box::new(norm));
        }
        let _ = (channels, ps);
        Self::Table(lut)
    }

    fn write(
        &self,
        frames: &[ImageRef<'_>],
        layout: PatchLayout,
        origin: (usize, usize),
        row: &mut [T],
    ) {
        let (ps, tps) = (layout.patch_size, layout.temporal_patch_size);
        match self {
            Self::Table(lut) => {
                let c = frames[0].channels;
                write_row(frames, 0, tps, origin, ps, c, lut, ps * ps, row);
            }
            #[cfg(target_arch = "x86_64")]
            Self::Lanes(norm) => super::write_row_simd(frames, 0, layout, origin, norm, row),
        }
    }
}

/// [`super::patchify_into`] of `frames` resized to `size` (`(height, width)`) with
/// `filter` exact to `compat`, without materialising the resized frames.
///
/// # Errors
/// No frames, frames of different channel counts, sizes the resize or the patch grid
/// refuse, a short table, an `out` of the wrong length, or no memory for the blocks.
#[allow(clippy::too_many_arguments)]
pub fn resize_patchify_into<T: Copy + Send + Sync + 'static>(
    frames: &[ImageRef<'_>],
    (h, w): (usize, usize),
    filter: Filter,
    compat: Compat,
    layout: PatchLayout,
    lut: &[T],
    out: &mut [T],
) -> Result<(usize, usize, usize)> {
    let Some(first) = frames.first() else {
        return Err(Error::InvalidImage(
            "a video needs at least one frame, got 0".into(),
        ));
    };
    let c = first.channels;
    if let Some((i, f)) = frames.iter().enumerate().find(|(_, f)| f.channels != c) {
        return invalid_arg!(
            "frame {i} has {} channels but frame 0 has {c}; all frames must match",
            f.channels
        );
    }
    let (gt, gh, gw) = checked_grid(layout, frames.len(), (h, w, c), lut.len(), out.len())?;
    let resizers: Vec<RowResize<'_>> = frames
        .iter()
        .map(|f| RowResize::new(f, h, w, filter, compat))
        .collect::<Result<_>>()?;
    let writer = RowWriter::new(lut, c, layout.patch_size);
    let (ps, tps, m) = (
        layout.patch_size,
        layout.temporal_patch_size,
        layout.merge_size,
    );
    let (unit_h, units_per_t) = (ps * m, gh / m);
    let row_len = layout.row_len(c);
    let unit_len = (gw / m) * m * m * row_len;
    let failed: Mutex<Option<Error>> = Mutex::new(None);
    par::for_each_band(out, unit_len, MIN_BAND_UNITS, |first_unit, band| {
        let units = first_unit..first_unit + band.len() / unit_len;
        let mut rows = band.chunks_exact_mut(row_len);
        let mut write_units = || -> Result<()> {
            let mut blocks: Vec<Vec<u8>> = Vec::new();
            let mut u = units.start;
            while u < units.end {
                // The units of one temporal group in this band: its frames' rows bh0..bh1.
                let t = u / units_per_t;
                let (bh0, bh1) = (
                    u % units_per_t,
                    (units.end - t * units_per_t).min(units_per_t),
                );
                let group = &resizers[t * tps..(t * tps + tps).min(frames.len())];
                let mut bands = group
                    .iter()
                    .map(|r| r.band(bh0 * unit_h..bh1 * unit_h))
                    .collect::<Result<Vec<_>>>()?;
                blocks.resize_with(group.len(), || vec![0u8; unit_h * w * c]);
                for bh in bh0..bh1 {
                    for (b, block) in bands.iter_mut().zip(&mut blocks) {
                        b.rows_into(bh * unit_h..(bh + 1) * unit_h, block)?;
                    }
                    let views = blocks[..group.len()]
                        .iter()
                        .map(|b| ImageRef::new(b, unit_h, w, c))
                        .collect::<Result<Vec<_>>>()?;
                    unit_rows(&mut rows, layout, gw, 0, |row, origin| {
                        writer.write(&views, layout, origin, row);
                    });
                }
                u = t * units_per_t + bh1;
            }
            Ok(())
        };
        if let Err(e) = write_units() {
            if let Ok(mut slot) = failed.lock() {
                slot.get_or_insert(e);
            }
        }
    });
    match failed.into_inner() {
        Ok(Some(e)) => Err(e),
        _ => Ok((gt, gh, gw)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::patchify::patchify_into;
    use crate::core::resize::resize;

    fn noise(n: usize, seed: &mut u32) -> Vec<u8> {
        (0..n)
            .map(|_| {
                *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (*seed >> 24) as u8
            })
            .collect()
    }

    /// Resize every frame whole, then patchify: what the fused writer must equal.
    fn unfused<T: Copy + Send + Sync + 'static + Default>(
        frames: &[ImageRef<'_>],
        (h, w): (usize, usize),
        filter: Filter,
        compat: Compat,
        layout: PatchLayout,
        lut: &[T],
        n: usize,
    ) -> Vec<T> {
        let resized: Vec<_> = frames
            .iter()
            .map(|f| resize(f, h, w, filter, compat).unwrap())
            .collect();
        let views: Vec<ImageRef> = resized.iter().map(|r| r.view()).collect();
        let mut out = vec![T::default(); n];
        patchify_into(&views, layout, lut, &mut out).unwrap();
        out
    }

    #[test]
    fn fused_equals_resize_then_patchify() {
        let mut seed = 5u32;
        let float_lut: Vec<f32> = (0..3)
            .flat_map(|c| {
                let (m, s) = ([0.481_454_66, 0.457_827_5, 0.408_210_73][c], 0.27f32);
                (0..256).map(move |v| ((v as f32 / 255.0) - m) / s)
            })
            .collect();
        let u8_lut: Vec<u8> = (0..768).map(|v| (v % 256) as u8).collect();
        // (frames, source h, w, target h, w, patch, temporal, merge, filter, compat)
        let cases = [
            (
                1,
                100,
                150,
                56,
                84,
                14,
                2,
                2,
                Filter::Bicubic,
                Compat::Pillow,
            ),
            (
                1,
                300,
                70,
                56,
                112,
                14,
                2,
                2,
                Filter::Bicubic,
                Compat::Pillow,
            ),
            (
                1,
                90,
                90,
                64,
                96,
                16,
                2,
                2,
                Filter::Bilinear,
                Compat::Torchvision,
            ),
            (
                1,
                45,
                200,
                28,
                168,
                14,
                2,
                2,
                Filter::Bicubic,
                Compat::Torchvision,
            ),
            (
                3,
                50,
                60,
                84,
                56,
                14,
                2,
                2,
                Filter::Lanczos,
                Compat::Pillow12,
            ),
            (2, 56, 40, 56, 84, 14, 2, 2, Filter::Bicubic, Compat::Pillow),
            (
                2,
                100,
                84,
                112,
                84,
                14,
                2,
                2,
                Filter::Bicubic,
                Compat::Pillow,
            ),
            (1, 33, 47, 28, 28, 14, 1, 1, Filter::Nearest, Compat::Pillow),
            (4, 40, 40, 42, 28, 14, 3, 1, Filter::Box, Compat::Pillow),
            (1, 56, 56, 56, 56, 14, 2, 2, Filter::Bicubic, Compat::Pillow),
        ];
        for threads in [1, 2, 3] {
            par::set_num_threads(threads);
            for &(nf, ih, iw, h, w, ps, tps, m, filter, compat) in &cases {
                let layout = PatchLayout {
                    patch_size: ps,
                    temporal_patch_size: tps,
                    merge_size: m,
                };
                let data: Vec<Vec<u8>> = (0..nf).map(|_| noise(ih * iw * 3, &mut seed)).collect();
                let frames: Vec<ImageRef> = data
                    .iter()
                    .map(|d| ImageRef::new(d, ih, iw, 3).unwrap())
                    .collect();
                let (gt, gh, gw) = layout.grid(nf, h, w).unwrap();
                let n = gt * gh * gw * layout.row_len(3);
                let want = unfused(&frames, (h, w), filter, compat, layout, &float_lut, n);
                let mut got = vec![0f32; n];
                let grid = resize_patchify_into(
                    &frames,
                    (h, w),
                    filter,
                    compat,
                    layout,
                    &float_lut,
                    &mut got,
                )
                .unwrap();
                assert_eq!(grid, (gt, gh, gw));
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                let case = format!("{nf} {ih}x{iw}->{h}x{w} {filter:?} {compat:?} {threads}t");
                assert_eq!(bits(&got), bits(&want), "{case}");
                let want = unfused(&frames, (h, w), filter, compat, layout, &u8_lut, n);
                let mut got = vec![0u8; n];
                resize_patchify_into(&frames, (h, w), filter, compat, layout, &u8_lut, &mut got)
                    .unwrap();
                assert_eq!(got, want, "{case} (u8)");
            }
        }
        par::set_num_threads(1);
    }

    #[test]
    fn refuses_bad_inputs() {
        let layout = PatchLayout {
            patch_size: 14,
            temporal_patch_size: 2,
            merge_size: 2,
        };
        let lut = vec![0f32; 768];
        let (a, b) = (vec![0u8; 30 * 30 * 3], vec![0u8; 30 * 30]);
        let rgb = ImageRef::new(&a, 30, 30, 3).unwrap();
        let gray = ImageRef::new(&b, 30, 30, 1).unwrap();
        let run = |frames: &[ImageRef], size, out: &mut [f32]| {
            resize_patchify_into(
                frames,
                size,
                Filter::Bicubic,
                Compat::Pillow,
                layout,
                &lut,
                out,
            )
        };
        let n = 4 * layout.row_len(3);
        assert!(run(&[], (28, 28), &mut vec![0.0; n]).is_err());
        assert!(run(&[rgb, gray], (28, 28), &mut vec![0.0; n]).is_err());
        assert!(run(&[rgb], (30, 28), &mut vec![0.0; n]).is_err());
        assert!(run(&[rgb], (28, 28), &mut vec![0.0; n - 1]).is_err());
        assert!(run(&[rgb], (28, 28), &mut vec![0.0; n]).is_ok());
        let err = resize_patchify_into(
            &[rgb],
            (28, 28),
            Filter::Lanczos,
            Compat::Torchvision,
            layout,
            &lut,
            &mut vec![0.0; n],
        );
        assert!(err.is_err());
    }
}
