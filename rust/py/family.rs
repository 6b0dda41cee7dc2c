//! What every family's binding shares: option parsing, image and frame views, the
//! normalisation table dispatch, output borrowing, the vectorised token count, shared
//! frame samplers, and the limits and option lists exported to Python.

use numpy::{
    Element, PyArray1, PyArrayDyn, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray3,
    PyReadonlyArray4, PyReadwriteArrayDyn, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::arrays::{contiguous, to_numpy, Lut};
use super::errors::{DynresError, IntoPyResult};
use crate::core::geometry::{RowErrors, MAX_SIDE};
use crate::core::image::{ImageRef, MAX_IMAGE_SIDE};
use crate::core::models::pipeline::{squashed_frames_into, Resampling, SizedFrames};
use crate::core::models::{images_into, Family, Reference};
use crate::core::par::MAX_THREADS;
use crate::core::resize::{Compat, Filter};
use crate::core::sampling;

pub(crate) type I64Array<'py> = Bound<'py, PyArray1<i64>>;

/// The filters in Pillow's order of cost (the order the Python API lists them);
/// [`Filter::ALL`] is their `PIL.Image.Resampling` code order.
const FILTERS_BY_COST: [Filter; 6] = [
    Filter::Nearest,
    Filter::Box,
    Filter::Bilinear,
    Filter::Hamming,
    Filter::Bicubic,
    Filter::Lanczos,
];

pub(crate) fn parse_errors(errors: &str) -> PyResult<RowErrors> {
    match errors {
        "raise" => Ok(RowErrors::Raise),
        "mask" => Ok(RowErrors::Mask),
        other => Err(DynresError::new_err(format!(
            "unknown errors {other:?}; accepted: raise, mask"
        ))),
    }
}

pub(crate) fn parse_reference(reference: &str) -> PyResult<Reference> {
    Reference::parse(reference).py()
}

/// The filter and exactness target of a family, refused together when they do not fit.
pub(crate) fn resampling(resample: &str, compat: &str) -> PyResult<Resampling> {
    let compat = Compat::parse(compat).py()?;
    Resampling::new(Filter::parse(resample).py()?, compat).py()
}

/// Borrows `(H, W, C)` arrays as image views, naming the image that cannot be used.
pub(crate) fn views<'a>(arrays: &'a [PyReadonlyArray3<'_, u8>]) -> PyResult<Vec<ImageRef<'a>>> {
    arrays
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let s = a.shape();
            let data = contiguous(&format!("image {i}"), a)?;
            ImageRef::new(data, s[0], s[1], s[2])
                .map_err(|e| e.context(&format!("image {i}")))
                .py()
        })
        .collect()
}

/// The frames of each `(T, H, W, C)` video.
pub(crate) fn frames<'a>(
    videos: &'a [PyReadonlyArray4<'_, u8>],
) -> PyResult<Vec<Vec<ImageRef<'a>>>> {
    videos
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let data = contiguous(&format!("video {i}"), v)?;
            let s = v.shape();
            let (t, h, w, c) = (s[0], s[1], s[2], s[3]);
            (0..t)
                .map(|k| ImageRef::new(&data[k * h * w * c..(k + 1) * h * w * c], h, w, c))
                .collect::<crate::core::Result<Vec<_>>>()
                .map_err(|e| e.context(&format!("video {i}")))
                .py()
        })
        .collect()
}

/// Pairs each video's frames with its target `(height, width)`.
pub(crate) fn sized_frames<'a>(
    videos: &'a [PyReadonlyArray4<'_, u8>],
    sizes: &[(usize, usize)],
) -> PyResult<Vec<SizedFrames<'a>>> {
    if videos.len() != sizes.len() {
        return Err(DynresError::new_err(format!(
            "got {} videos but {} frame sizes",
            videos.len(),
            sizes.len()
        )));
    }
    Ok(frames(videos)?
        .into_iter()
        .zip(sizes.iter().copied())
        .collect())
}

/// Pairs images with their plans (the plans came from the same family's `plan`).
pub(crate) fn jobs<'a, P: Copy>(
    images: Vec<ImageRef<'a>>,
    plans: &[P],
) -> PyResult<Vec<(ImageRef<'a>, P)>> {
    if images.len() != plans.len() {
        return Err(DynresError::new_err(format!(
            "got {} images but {} plans",
            images.len(),
            plans.len()
        )));
    }
    Ok(images.into_iter().zip(plans.iter().copied()).collect())
}

/// Binds `$px` to the family's [`crate::core::models::pipeline::Pixels`] for the table's
/// element type and `$out` to the output borrowed as a slice of it, then evaluates `$body`
/// (once per storage type: float32, the u16 bits of float16/bfloat16, raw uint8).
macro_rules! with_pixels {
    ($lut:expr, $rs:expr, $outarr:expr, |$px:ident, $out:ident| $body:expr) => {
        match &$lut {
            $crate::py::arrays::Lut::F32(t) => {
                $crate::py::family::with_out::<f32, _>($outarr, |$out| {
                    let $px = $crate::py::family::pixels(t, $rs)?;
                    $body
                })
            }
            $crate::py::arrays::Lut::U16(t) => {
                $crate::py::family::with_out::<u16, _>($outarr, |$out| {
                    let $px = $crate::py::family::pixels(t, $rs)?;
                    $body
                })
            }
            $crate::py::arrays::Lut::U8(t) => {
                $crate::py::family::with_out::<u8, _>($outarr, |$out| {
                    let $px = $crate::py::family::pixels(t, $rs)?;
                    $body
                })
            }
        }
    };
}
pub(crate) use with_pixels;

/// The pixel settings of a family for a `(3, 256)` table.
pub(crate) fn pixels<'a, T: Element + Copy + 'static>(
    table: &'a numpy::PyReadonlyArray2<'_, T>,
    resampling: Resampling,
) -> PyResult<crate::core::models::pipeline::Pixels<'a, T>> {
    let raw = contiguous("table", table)?;
    Ok(crate::core::models::pipeline::Pixels {
        resampling,
        table: crate::core::models::pipeline::Tables::new(raw).py()?,
    })
}

/// Borrows `out` mutably as a C-contiguous slice of the table's type. The Python layer
/// allocates it with `np.empty`: NumPy asks for transparent huge pages on large arrays,
/// which made a fresh 50 MB output 3-4x cheaper to fill than a Rust `Vec` handed over
/// afterwards (measured).
pub(crate) fn with_out<'py, T: Element, R>(
    out: &Bound<'py, PyAny>,
    f: impl FnOnce(&mut [T]) -> PyResult<R>,
) -> PyResult<R> {
    let arr = out
        .cast::<PyArrayDyn<T>>()
        .map_err(|_| PyTypeError::new_err("out must be an array of the table's dtype"))?;
    // An `out` another call is writing (two threads sharing one buffer) is refused with a
    // message that says so, not NumPy's borrow error.
    let mut rw: PyReadwriteArrayDyn<'py, T> = arr.try_readwrite().map_err(|_| {
        DynresError::new_err(
            "out is already in use by another call (or is a view of an array that is); an \
             out= buffer serves one call at a time: give each thread its own",
        )
    })?;
    let dst = rw.as_slice_mut().map_err(|_| {
        DynresError::new_err("out must be a C-contiguous array; pass np.empty(shape, dtype)")
    })?;
    f(dst)
}

/// [`Family::num_tokens_many`] over two int64 arrays with the GIL released.
pub(crate) fn num_tokens_many<'py, F: Family>(
    py: Python<'py>,
    family: &F,
    heights: &PyReadonlyArray1<'py, i64>,
    widths: &PyReadonlyArray1<'py, i64>,
    errors: &str,
) -> PyResult<I64Array<'py>> {
    let on_error = parse_errors(errors)?;
    let (hs, ws) = (
        contiguous("heights", heights)?,
        contiguous("widths", widths)?,
    );
    let n = hs.len();
    let out = py
        .detach(|| {
            let mut out = vec![0i64; n];
            family
                .num_tokens_many(hs, ws, on_error, &mut out)
                .map(|()| out)
        })
        .py()?;
    to_numpy(py, out, n)
}

/// Every image's values for its plan into `out` ([`images_into`]), GIL released.
pub(crate) fn images_py<'py, F: Family>(
    py: Python<'py>,
    family: &F,
    rs: Resampling,
    images: &[PyReadonlyArray3<'py, u8>],
    plans: &[F::Plan],
    table: &Lut<'py>,
    out: &Bound<'py, PyAny>,
) -> PyResult<()>
where
    F::Plan: Copy,
{
    let jobs = jobs(views(images)?, plans)?;
    with_pixels!(table, rs, out, |px, d| py
        .detach(|| images_into(family, &jobs, px, d))
        .py())
}

/// Every frame of video `i` squashed to `sizes[i]` and normalised ([`squashed_frames_into`]).
pub(crate) fn squash_py<'py>(
    py: Python<'py>,
    rs: Resampling,
    videos: &[PyReadonlyArray4<'py, u8>],
    sizes: &[(usize, usize)],
    table: &Lut<'py>,
    out: &Bound<'py, PyAny>,
) -> PyResult<()> {
    let jobs = sized_frames(videos, sizes)?;
    with_pixels!(table, rs, out, |px, d| py
        .detach(|| squashed_frames_into(&jobs, px, d))
        .py())
}

pub(crate) fn vec_to_numpy(py: Python<'_>, v: Vec<i64>) -> PyResult<I64Array<'_>> {
    let n = v.len();
    to_numpy(py, v, n)
}

#[pyfunction(name = "linspace_frame_indices")]
fn linspace_frame_indices_py(
    py: Python<'_>,
    total_frames: u64,
    num_frames: u64,
) -> PyResult<I64Array<'_>> {
    vec_to_numpy(
        py,
        sampling::linspace_indices(total_frames, num_frames).py()?,
    )
}

#[pyfunction(name = "stride_frame_indices")]
fn stride_frame_indices_py(
    py: Python<'_>,
    total_frames: u64,
    video_fps: f64,
    fps: f64,
    max_frames: u64,
    force_sample: bool,
) -> PyResult<I64Array<'_>> {
    let idx =
        sampling::stride_indices(total_frames, video_fps, fps, max_frames, force_sample).py()?;
    vec_to_numpy(py, idx)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MAX_SIDE", MAX_SIDE)?;
    m.add("MAX_IMAGE_SIDE", MAX_IMAGE_SIDE)?;
    m.add("MAX_THREADS", MAX_THREADS)?;
    let py = m.py();
    m.add(
        "FILTERS",
        PyTuple::new(py, FILTERS_BY_COST.map(Filter::name))?,
    )?;
    m.add(
        "PIL_RESAMPLE",
        PyTuple::new(py, Filter::ALL.map(Filter::name))?,
    )?;
    m.add("COMPATS", PyTuple::new(py, Compat::ALL.map(Compat::name))?)?;
    m.add(
        "REFERENCES",
        PyTuple::new(py, Reference::ALL.map(Reference::name))?,
    )?;
    m.add_function(wrap_pyfunction!(linspace_frame_indices_py, m)?)?;
    m.add_function(wrap_pyfunction!(stride_frame_indices_py, m)?)?;
    Ok(())
}
