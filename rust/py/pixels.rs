//! Bindings for the pixel pipelines: batches of uint8 frames in, model rows out.

use numpy::{
    Element, PyArray2, PyArrayMethods, PyReadonlyArray2, PyReadonlyArray4, PyReadwriteArray2,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use super::arrays::{contiguous, to_numpy, Lut};
use super::errors::{DynresError, IntoPyResult};
use crate::core::image::ImageRef;
use crate::core::patchify::PatchLayout;
use crate::core::qwen2vl::{self, Resample, Visual};
use crate::core::resize::{Compat, Filter};

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
            let frame_len = h * w * c;
            let frames = (0..t)
                .map(|k| ImageRef::new(&data[k * frame_len..(k + 1) * frame_len], h, w, c))
                .collect::<crate::core::Result<Vec<_>>>()
                .map_err(|e| e.context(&format!("image {i}")))
                .py()?;
            Ok(Visual {
                frames,
                resized: size,
            })
        })
        .collect()
}

/// Writes into the caller's array. The Python layer allocates it with `np.empty`: NumPy
/// asks for transparent huge pages on large arrays, which made a fresh 50 MB output
/// 3-4x cheaper to fill than a Rust `Vec` handed over afterwards (measured).
fn run<'py, T: Element + Copy + Send + Sync + 'static>(
    py: Python<'py>,
    visuals: &[Visual<'_>],
    layout: PatchLayout,
    resample: Resample,
    lut: &PyReadonlyArray2<'py, T>,
    out: &Bound<'py, PyAny>,
) -> PyResult<Vec<[usize; 3]>> {
    let lut = contiguous("lut", lut)?;
    let arr = out
        .cast::<PyArray2<T>>()
        .map_err(|_| PyTypeError::new_err("out must be a 2-D array of the lookup table's dtype"))?;
    let mut rw: PyReadwriteArray2<'py, T> = arr.try_readwrite()?;
    let dst = rw.as_slice_mut().map_err(|_| {
        DynresError::new_err("out must be a C-contiguous array; pass np.empty(shape, dtype)")
    })?;
    py.detach(|| qwen2vl::pixel_values_into(visuals, layout, resample, lut, dst))
        .py()
}

/// Qwen2-VL `pixel_values` (written into `out`) and `grid_thw` for a batch of images or videos.
#[pyfunction(name = "qwen2vl_pixel_values")]
#[pyo3(signature = (visuals, resized, patch_size, temporal_patch_size, merge_size, filter, compat, lut, out))]
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
    out: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    let layout = PatchLayout {
        patch_size,
        temporal_patch_size,
        merge_size,
    };
    let resample = Resample {
        filter: Filter::parse(filter).py()?,
        compat: Compat::parse(compat).py()?,
    };
    let views = self::visuals(&visuals, &resized)?;
    let grids = match &lut {
        Lut::F32(l) => run(py, &views, layout, resample, l, &out)?,
        Lut::U16(l) => run(py, &views, layout, resample, l, &out)?,
        Lut::U8(l) => run(py, &views, layout, resample, l, &out)?,
    };
    let n = grids.len();
    let flat: Vec<i64> = grids.iter().flatten().map(|&v| v as i64).collect();
    to_numpy(py, flat, (n, 3))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(qwen2vl_pixel_values_py, m)?)?;
    Ok(())
}
