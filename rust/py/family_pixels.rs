//! Bindings for the InternVL, LLaVA-OneVision and Oryx pixel pipelines.

use numpy::{
    Element, PyArrayDyn, PyArrayMethods, PyReadonlyArray3, PyReadonlyArray4, PyReadwriteArrayDyn,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use super::arrays::{contiguous, Lut};
use super::errors::{DynresError, IntoPyResult};
use super::families::{parse_convention, parse_order};
use crate::core::family_pixels as fp;
use crate::core::image::ImageRef;
use crate::core::internvl::{Tiler, TilingParams};
use crate::core::llava_onevision::AnyresPlanner;
use crate::core::oryx::{self, OryxParams};
use crate::core::resize::{Compat, Filter};

/// The filter and exactness target of a pipeline, refused together when they do not fit.
pub(crate) fn resampling(resample: &str, compat: &str) -> PyResult<fp::Resampling> {
    let compat = Compat::parse(compat).py()?;
    fp::Resampling::new(Filter::parse(resample).py()?, compat).py()
}

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

/// Binds `$l` to the table as a slice of its element type and `$zero` to that type's 0,
/// then evaluates `$body` (once per storage type).
macro_rules! by_table {
    ($lut:expr, |$l:ident, $zero:ident| $body:expr) => {
        match &$lut {
            Lut::F32(t) => {
                let $l = contiguous("lut", t)?;
                let $zero = 0.0f32;
                $body
            }
            Lut::U16(t) => {
                let $l = contiguous("lut", t)?;
                let $zero = 0u16;
                $body
            }
            Lut::U8(t) => {
                let $l = contiguous("lut", t)?;
                let $zero = 0u8;
                $body
            }
        }
    };
}
pub(crate) use by_table;

/// Borrows `out` mutably as a C-contiguous slice of the table's type.
pub(crate) fn with_out<'py, T: Element, R>(
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

/// Pairs every image with its plan, naming the image whose size the planner refuses.
pub(crate) fn plan_each<'a, P>(
    imgs: &[ImageRef<'a>],
    plan: impl Fn(u64, u64) -> crate::core::Result<P>,
) -> PyResult<Vec<(ImageRef<'a>, P)>> {
    imgs.iter()
        .enumerate()
        .map(|(i, im)| {
            let p = plan(im.height as u64, im.width as u64)
                .map_err(|e| e.context(&format!("image {i}")))?;
            Ok((*im, p))
        })
        .collect::<crate::core::Result<Vec<_>>>()
        .py()
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
    resample: &str,
    lut: Lut<'py>,
    out: Bound<'py, PyAny>,
) -> PyResult<()> {
    let tiler = Tiler::new(TilingParams {
        min_num,
        max_num,
        image_size,
        use_thumbnail,
        order: parse_order(order_name)?,
    })
    .py()?;
    let rs = resampling(resample, compat)?;
    let imgs = views(&images)?;
    let jobs = plan_each(&imgs, |h, w| tiler.plan(h, w))?;
    by_table!(lut, |l, _zero| with_out(&out, |d| {
        py.detach(|| fp::internvl_pixels_into(&jobs, rs, l, d)).py()
    }))
}

#[pyfunction(name = "llava_ov_pixel_values")]
#[allow(clippy::too_many_arguments)]
fn llava_ov_pixel_values_py<'py>(
    py: Python<'py>,
    images: Vec<PyReadonlyArray3<'py, u8>>,
    pinpoints: Vec<(u64, u64)>,
    convention_name: &str,
    max_crops: usize,
    compat: &str,
    resample: &str,
    lut: Lut<'py>,
    out: Bound<'py, PyAny>,
) -> PyResult<()> {
    let planner = AnyresPlanner::new(&pinpoints, parse_convention(convention_name)?).py()?;
    let rs = resampling(resample, compat)?;
    let imgs = views(&images)?;
    let jobs = plan_each(&imgs, |h, w| planner.plan(h, w))?;
    by_table!(lut, |l, zero| with_out(&out, |d| {
        py.detach(|| fp::llava_ov_pixels_into(&jobs, max_crops, rs, l, zero, d))
            .py()
    }))
}

#[pyfunction(name = "llava_ov_multi_image_pixel_values")]
fn llava_ov_multi_image_pixel_values_py<'py>(
    py: Python<'py>,
    images: Vec<PyReadonlyArray3<'py, u8>>,
    background: [u8; 3],
    compat: &str,
    resample: &str,
    lut: Lut<'py>,
    out: Bound<'py, PyAny>,
) -> PyResult<()> {
    let rs = resampling(resample, compat)?;
    let imgs = views(&images)?;
    by_table!(lut, |l, _zero| with_out(&out, |d| {
        py.detach(|| fp::llava_ov_multi_image_into(&imgs, background, rs, l, d))
            .py()
    }))
}

/// Frame views of each `(T, H, W, C)` video with its target size.
fn frame_views<'a>(
    videos: &'a [PyReadonlyArray4<'_, u8>],
    sizes: &[(usize, usize)],
) -> PyResult<Vec<fp::SizedFrames<'a>>> {
    if videos.len() != sizes.len() {
        return Err(DynresError::new_err(format!(
            "got {} videos but {} frame sizes",
            videos.len(),
            sizes.len()
        )));
    }
    videos
        .iter()
        .zip(sizes)
        .enumerate()
        .map(|(i, (v, &size))| {
            let data = contiguous(&format!("video {i}"), v)?;
            let s = v.shape();
            let (t, h, w, c) = (s[0], s[1], s[2], s[3]);
            let frames = (0..t)
                .map(|k| ImageRef::new(&data[k * h * w * c..(k + 1) * h * w * c], h, w, c))
                .collect::<crate::core::Result<Vec<_>>>()
                .map_err(|e| e.context(&format!("video {i}")))
                .py()?;
            Ok((frames, size))
        })
        .collect()
}

#[pyfunction(name = "squashed_frames_pixel_values")]
fn squashed_frames_pixel_values_py<'py>(
    py: Python<'py>,
    videos: Vec<PyReadonlyArray4<'py, u8>>,
    sizes: Vec<(usize, usize)>,
    compat: &str,
    resample: &str,
    lut: Lut<'py>,
    out: Bound<'py, PyAny>,
) -> PyResult<()> {
    let rs = resampling(resample, compat)?;
    let jobs = frame_views(&videos, &sizes)?;
    by_table!(lut, |l, _zero| with_out(&out, |d| {
        py.detach(|| fp::squashed_frames_into(&jobs, rs, l, d)).py()
    }))
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
    resample: &str,
    lut: Lut<'py>,
    high: Bound<'py, PyAny>,
    low: Bound<'py, PyAny>,
) -> PyResult<()> {
    let params = OryxParams {
        max_res,
        min_res,
        lowres_base,
        lowres_patch,
        highres_patch,
    };
    let rs = resampling(resample, compat)?;
    let img = views(std::slice::from_ref(&image))?.remove(0);
    let plan = oryx::plan(img.height as u64, img.width as u64, &params).py()?;
    by_table!(lut, |l, _zero| with_out(&high, |hi| {
        with_out(&low, |lo| {
            py.detach(|| fp::oryx_pixels_into(&img, &plan, rs, l, hi, lo))
                .py()
        })
    }))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(internvl_pixel_values_py, m)?)?;
    m.add_function(wrap_pyfunction!(llava_ov_pixel_values_py, m)?)?;
    m.add_function(wrap_pyfunction!(llava_ov_multi_image_pixel_values_py, m)?)?;
    m.add_function(wrap_pyfunction!(squashed_frames_pixel_values_py, m)?)?;
    m.add_function(wrap_pyfunction!(oryx_pixel_values_py, m)?)?;
    Ok(())
}
