//! Bindings for the InternVL, LLaVA-OneVision and Oryx pixel pipelines.

use numpy::{
    Element, PyArrayDyn, PyArrayMethods, PyReadonlyArray2, PyReadonlyArray3, PyReadwriteArrayDyn,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use super::arrays::{contiguous, to_numpy};
use super::errors::{DynresError, IntoPyResult};
use crate::core::family_pixels as fp;
use crate::core::image::ImageRef;
use crate::core::internvl::{CandidateOrder, Tiler, TilingParams};
use crate::core::llava_onevision::{AnyresPlanner, Convention};
use crate::core::oryx::{self, OryxParams};
use crate::core::resize::Compat;

/// A normalisation table in one of the output storage types (float16/bfloat16 as u16 bits).
#[derive(FromPyObject)]
enum Lut<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    U16(PyReadonlyArray2<'py, u16>),
    U8(PyReadonlyArray2<'py, u8>),
}

fn views<'a>(arrays: &'a [PyReadonlyArray3<'_, u8>]) -> PyResult<Vec<ImageRef<'a>>> {
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

/// Borrows `out` mutably as a C-contiguous slice of the table's type.
fn with_out<'py, T: Element, R>(
    out: &Bound<'py, PyAny>,
    f: impl FnOnce(&mut [T]) -> PyResult<R>,
) -> PyResult<R> {
    let arr = out
        .cast::<PyArrayDyn<T>>()
        .map_err(|_| PyTypeError::new_err("out must be an array of the lookup table's dtype"))?;
    let mut rw: PyReadwriteArrayDyn<'py, T> = arr.try_readwrite()?;
    let dst = rw.as_slice_mut().map_err(|_| {
        DynresError::new_err("out must be a C-contiguous array; pass np.empty(shape, dtype)")
    })?;
    f(dst)
}

fn order(order: &str) -> PyResult<CandidateOrder> {
    match order {
        "original" => Ok(CandidateOrder::Original),
        "transformers" => Ok(CandidateOrder::Transformers),
        other => Err(DynresError::new_err(format!(
            "order must be 'original' or 'transformers', got {other:?}"
        ))),
    }
}

#[pyfunction(name = "internvl_pixel_values")]
#[allow(clippy::too_many_arguments)]
fn internvl_pixel_values_py<'py>(
    py: Python<'py>,
    images: Vec<PyReadonlyArray3<'py, u8>>,
    min_num: u64,
    max_num: u64,
    image_size: u64,
    use_thumbnail: bool,
    order_name: &str,
    compat: &str,
    lut: Lut<'py>,
    out: Bound<'py, PyAny>,
) -> PyResult<()> {
    let tiler = Tiler::new(TilingParams {
        min_num,
        max_num,
        image_size,
        use_thumbnail,
        order: order(order_name)?,
    })
    .py()?;
    let compat = Compat::parse(compat).py()?;
    let imgs = views(&images)?;
    let jobs = imgs
        .iter()
        .enumerate()
        .map(|(i, im)| {
            let p = tiler
                .plan(im.height as u64, im.width as u64)
                .map_err(|e| e.context(&format!("image {i}")))?;
            Ok((*im, p))
        })
        .collect::<crate::core::Result<Vec<_>>>()
        .py()?;
    match &lut {
        Lut::F32(l) => {
            let l = contiguous("lut", l)?;
            with_out(&out, |d| {
                py.detach(|| fp::internvl_pixels_into(&jobs, compat, l, d))
                    .py()
            })
        }
        Lut::U16(l) => {
            let l = contiguous("lut", l)?;
            with_out(&out, |d| {
                py.detach(|| fp::internvl_pixels_into(&jobs, compat, l, d))
                    .py()
            })
        }
        Lut::U8(l) => {
            let l = contiguous("lut", l)?;
            with_out(&out, |d| {
                py.detach(|| fp::internvl_pixels_into(&jobs, compat, l, d))
                    .py()
            })
        }
    }
}

#[pyfunction(name = "llava_ov_pixel_values")]
#[allow(clippy::too_many_arguments)]
fn llava_ov_pixel_values_py<'py>(
    py: Python<'py>,
    images: Vec<PyReadonlyArray3<'py, u8>>,
    pinpoints: Vec<(u64, u64)>,
    convention: &str,
    max_crops: usize,
    compat: &str,
    lut: Lut<'py>,
    out: Bound<'py, PyAny>,
) -> PyResult<()> {
    let conv = match convention {
        "original" => Convention::Original,
        "transformers" => Convention::Transformers,
        other => {
            return Err(DynresError::new_err(format!(
                "convention must be 'original' or 'transformers', got {other:?}"
            )))
        }
    };
    let planner = AnyresPlanner::new(&pinpoints, conv).py()?;
    let compat = Compat::parse(compat).py()?;
    let imgs = views(&images)?;
    let jobs = imgs
        .iter()
        .enumerate()
        .map(|(i, im)| {
            let p = planner
                .plan(im.height as u64, im.width as u64)
                .map_err(|e| e.context(&format!("image {i}")))?;
            Ok((*im, p))
        })
        .collect::<crate::core::Result<Vec<_>>>()
        .py()?;
    match &lut {
        Lut::F32(l) => {
            let l = contiguous("lut", l)?;
            with_out(&out, |d| {
                py.detach(|| fp::llava_ov_pixels_into(&jobs, max_crops, compat, l, 0.0, d))
                    .py()
            })
        }
        Lut::U16(l) => {
            let l = contiguous("lut", l)?;
            with_out(&out, |d| {
                py.detach(|| fp::llava_ov_pixels_into(&jobs, max_crops, compat, l, 0, d))
                    .py()
            })
        }
        Lut::U8(l) => {
            let l = contiguous("lut", l)?;
            with_out(&out, |d| {
                py.detach(|| fp::llava_ov_pixels_into(&jobs, max_crops, compat, l, 0, d))
                    .py()
            })
        }
    }
}

type Chw<'py, T> = Bound<'py, numpy::PyArray3<T>>;

fn oryx_run<'py, T: Element + Copy>(
    py: Python<'py>,
    img: &ImageRef<'_>,
    plan: &oryx::OryxPlan,
    compat: Compat,
    lut: &PyReadonlyArray2<'py, T>,
) -> PyResult<(Chw<'py, T>, Chw<'py, T>)> {
    let l = contiguous("lut", lut)?;
    let (hi, lo) = py.detach(|| fp::oryx_pixels(img, plan, compat, l)).py()?;
    let (hh, hw) = (plan.highres.0 as usize, plan.highres.1 as usize);
    let (lh, lw) = (plan.lowres.0 as usize, plan.lowres.1 as usize);
    Ok((
        to_numpy(py, hi, (3, hh, hw))?,
        to_numpy(py, lo, (3, lh, lw))?,
    ))
}

#[pyfunction(name = "oryx_pixel_values")]
#[allow(clippy::too_many_arguments)]
fn oryx_pixel_values_py<'py>(
    py: Python<'py>,
    image: PyReadonlyArray3<'py, u8>,
    max_res: u64,
    min_res: u64,
    lowres_base: u64,
    lowres_patch: u64,
    highres_patch: u64,
    compat: &str,
    lut: Lut<'py>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let params = OryxParams {
        max_res,
        min_res,
        lowres_base,
        lowres_patch,
        highres_patch,
    };
    let compat = Compat::parse(compat).py()?;
    let img = views(std::slice::from_ref(&image))?.remove(0);
    let plan = oryx::plan(img.height as u64, img.width as u64, &params).py()?;
    Ok(match &lut {
        Lut::F32(l) => {
            let (a, b) = oryx_run(py, &img, &plan, compat, l)?;
            (a.into_any(), b.into_any())
        }
        Lut::U16(l) => {
            let (a, b) = oryx_run(py, &img, &plan, compat, l)?;
            (a.into_any(), b.into_any())
        }
        Lut::U8(l) => {
            let (a, b) = oryx_run(py, &img, &plan, compat, l)?;
            (a.into_any(), b.into_any())
        }
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(internvl_pixel_values_py, m)?)?;
    m.add_function(wrap_pyfunction!(llava_ov_pixel_values_py, m)?)?;
    m.add_function(wrap_pyfunction!(oryx_pixel_values_py, m)?)?;
    Ok(())
}
