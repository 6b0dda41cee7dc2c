//! Bindings for the pixel pipelines: batches of uint8 frames in, model rows out.

use numpy::{Element, PyArray2, PyReadonlyArray2, PyReadonlyArray4, PyReadwriteArray2};
use pyo3::prelude::*;

use super::arrays::{contiguous, to_numpy};
use super::errors::{DynresError, IntoPyResult};
use crate::core::image::ImageRef;
use crate::core::patchify::PatchLayout;
use crate::core::qwen2vl::{self, Resample, Visual};
use crate::core::resize::{Compat, Filter};

/// A normalisation table in one of the output dtypes (float16/bfloat16 travel as u16 bits).
#[derive(FromPyObject)]
enum Lut<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    U16(PyReadonlyArray2<'py, u16>),
    U8(PyReadonlyArray2<'py, u8>),
}

pub(crate) fn parse_filter(name: &str) -> PyResult<Filter> {
    Ok(match name {
        "nearest" => Filter::Nearest,
        "box" => Filter::Box,
        "bilinear" => Filter::Bilinear,
        "hamming" => Filter::Hamming,
        "bicubic" => Filter::Bicubic,
        "lanczos" => Filter::Lanczos,
        other => {
            return Err(DynresError::new_err(format!(
                "filter must be one of nearest, box, bilinear, hamming, bicubic, lanczos; got {other:?}"
            )))
        }
    })
}

pub(crate) fn parse_compat(name: &str) -> PyResult<Compat> {
    Ok(match name {
        "pillow" => Compat::Pillow,
        "pillow12" => Compat::Pillow12,
        other => {
            return Err(DynresError::new_err(format!(
                "compat must be 'pillow' or 'pillow12', got {other:?}"
            )))
        }
    })
}

/// Borrows each `(T, H, W, C)` video (an image is `T = 1`) as a list of frame views.
fn visuals<'a>(
    arrays: &'a [PyReadonlyArray4<'_, u8>],
    resized: &[(usize, usize)],
) -> PyResult<Vec<Visual<'a>>> {
    if arrays.len() != resized.len() {
        return Err(DynresError::new_err(format!(
            "got {} images but {} target sizes",
            arrays.len(),
            resized.len()
        )));
    }
    arrays
        .iter()
        .zip(resized)
        .enumerate()
        .map(|(i, (a, &size))| {
            let data = contiguous(&format!("image {i}"), a)?;
            let s = a.shape();
            let (t, h, w, c) = (s[0], s[1], s[2], s[3]);
            let frames = if t == 0 { Vec::new() } else { data.chunks_exact(data.len() / t).collect() };
            let frames = frames
                .into_iter()
                .map(|f| ImageRef::new(f, h, w, c))
                .collect::<crate::core::Result<Vec<_>>>()
                .map_err(|e| e.context(&format!("image {i}")))
                .py()?;
            Ok(Visual { frames, resized: size })
        })
        .collect()
}

fn run<'py, T: Element + Copy + Send + Sync + Default>(
    py: Python<'py>,
    visuals: &[Visual<'_>],
    layout: PatchLayout,
    resample: Resample,
    lut: &PyReadonlyArray2<'py, T>,
    out: Option<Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyAny>, Vec<[usize; 3]>)> {
    let lut = contiguous("lut", lut)?;
    if let Some(out) = out {
        let arr = out.cast::<PyArray2<T>>().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err("out must be a 2-D array of the processor's dtype")
        })?;
        let mut rw: PyReadwriteArray2<'py, T> = arr.try_readwrite()?;
        let dst = rw.as_slice_mut().map_err(|_| {
            DynresError::new_err("out must be a C-contiguous array; pass np.empty(shape, dtype)")
        })?;
        let grids = py
            .detach(|| qwen2vl::pixel_values_into(visuals, layout, resample, lut, dst))
            .py()?;
        return Ok((arr.clone().into_any(), grids));
    }
    let grids = qwen2vl::grids(visuals, layout).py()?;
    let rows: usize = grids.iter().map(|g| g[0] * g[1] * g[2]).sum();
    let cols = layout.row_len(3);
    let buf = py
        .detach(|| {
            let mut buf = vec![T::default(); rows * cols];
            qwen2vl::pixel_values_into(visuals, layout, resample, lut, &mut buf).map(|_| buf)
        })
        .py()?;
    Ok((to_numpy(py, buf, (rows, cols))?.into_any(), grids))
}

/// Qwen2-VL `pixel_values` and `grid_thw` for a batch of images or videos.
#[pyfunction(name = "qwen2vl_pixel_values")]
#[pyo3(signature = (visuals, resized, patch_size, temporal_patch_size, merge_size, filter, compat, lut, out=None))]
#[allow(clippy::too_many_arguments)]
fn qwen2vl_pixel_values_py<'py>(
    py: Python<'py>,
    visuals: Vec<PyReadonlyArray4<'py, u8>>,
    resized: Vec<(usize, usize)>,
    patch_size: usize,
    temporal_patch_size: usize,
    merge_size: usize,
    filter: &str,
    compat: &str,
    lut: Lut<'py>,
    out: Option<Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyArray2<i64>>)> {
    let layout = PatchLayout { patch_size, temporal_patch_size, merge_size };
    let resample = Resample { filter: parse_filter(filter)?, compat: parse_compat(compat)? };
    let views = self::visuals(&visuals, &resized)?;
    let (values, grids) = match &lut {
        Lut::F32(l) => run(py, &views, layout, resample, l, out)?,
        Lut::U16(l) => run(py, &views, layout, resample, l, out)?,
        Lut::U8(l) => run(py, &views, layout, resample, l, out)?,
    };
    let n = grids.len();
    let flat: Vec<i64> = grids.iter().flatten().map(|&v| v as i64).collect();
    Ok((values, to_numpy(py, flat, (n, 3))?))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(qwen2vl_pixel_values_py, m)?)?;
    Ok(())
}
