//! The Qwen2-VL image/video pixel pipeline: RGB, Pillow-exact resize, fused patchify.
//!
//! One call handles a whole batch; each image (or video) writes its own rows of the
//! shared output, so images can run on the opt-in thread pool without copies.

use super::error::{Error, Result};
use super::image::{ImageBuf, ImageRef};
use super::ops::to_rgb;
use super::par;
use super::patchify::{patchify_into, PatchLayout};
use super::resize::{resize, Compat, Filter};

/// One image (one frame) or one video (several frames of one size) and its target size.
#[derive(Debug, Clone)]
pub struct Visual<'a> {
    /// The frames, HWC uint8 with 1, 3 or 4 channels, all the same shape.
    pub frames: Vec<ImageRef<'a>>,
    /// `(height, width)` to resize every frame to (from `smart_resize`).
    pub resized: (usize, usize),
}

/// How pixels are resized before patchifying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resample {
    /// The filter (bicubic for Qwen2-VL).
    pub filter: Filter,
    /// Which reference's resize to reproduce.
    pub compat: Compat,
}

/// `(grid_t, grid_h, grid_w)` and the number of output rows for each visual.
///
/// # Errors
/// A visual with no frames or a target size that is not a multiple of the layout's factor.
pub fn grids(visuals: &[Visual<'_>], layout: PatchLayout) -> Result<Vec<[usize; 3]>> {
    visuals
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (t, h, w) = layout
                .grid(v.frames.len(), v.resized.0, v.resized.1)
                .map_err(|e| e.context(&format!("image {i}")))?;
            Ok([t, h, w])
        })
        .collect()
}

/// Writes `pixel_values` for every visual into `out` (rows in input order) and returns
/// each visual's grid. `lut` holds `256` entries per RGB channel in the output type.
///
/// # Errors
/// Invalid frames or sizes (naming the visual), or an `out` of the wrong length.
pub fn pixel_values_into<T: Copy + Send + Sync + 'static>(
    visuals: &[Visual<'_>],
    layout: PatchLayout,
    resample: Resample,
    lut: &[T],
    out: &mut [T],
) -> Result<Vec<[usize; 3]>> {
    let grids = grids(visuals, layout)?;
    let row_len = layout.row_len(3);
    let total: usize = grids.iter().map(|g| g[0] * g[1] * g[2] * row_len).sum();
    if out.len() != total {
        return Err(Error::InvalidArgument(format!(
            "out holds {} values, the batch needs {total} ({} rows x {row_len})",
            out.len(),
            total / row_len
        )));
    }
    let mut rest = out;
    let mut work = Vec::with_capacity(visuals.len());
    for (v, g) in visuals.iter().zip(&grids) {
        let (mine, tail) = rest.split_at_mut(g[0] * g[1] * g[2] * row_len);
        work.push((v, mine));
        rest = tail;
    }
    par::try_for_each(work, |i, (v, dst)| {
        one_visual(v, layout, resample, lut, dst).map_err(|e| e.context(&format!("image {i}")))
    })?;
    Ok(grids)
}

fn one_visual<T: Copy + Send + Sync + 'static>(
    v: &Visual<'_>,
    layout: PatchLayout,
    resample: Resample,
    lut: &[T],
    dst: &mut [T],
) -> Result<()> {
    let (h, w) = v.resized;
    let prepared: Vec<ImageBuf> = v
        .frames
        .iter()
        .map(|f| prepare(f, h, w, resample))
        .collect::<Result<_>>()?;
    let views: Vec<ImageRef<'_>> = prepared.iter().map(ImageBuf::view).collect();
    patchify_into(&views, layout, lut, dst)?;
    Ok(())
}

/// RGB at the target size. Converting first matches Pillow's `convert("RGB")` before resize.
fn prepare(frame: &ImageRef<'_>, h: usize, w: usize, resample: Resample) -> Result<ImageBuf> {
    let rgb;
    let src = if frame.channels == 3 {
        *frame
    } else {
        rgb = to_rgb(frame)?;
        rgb.view()
    };
    resize(&src, h, w, resample.filter, resample.compat)
}
