//! Bindings for LLaVA-OneVision: the family config, its plans, canvas choice and the
//! feature pooling kernel.

use numpy::ndarray::IxDyn;
use numpy::{
    PyArrayDyn, PyReadonlyArray1, PyReadonlyArray3, PyReadonlyArray4, PyReadonlyArrayDyn,
    PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::arrays::{contiguous, to_numpy, Lut};
use super::errors::{DynresError, IntoPyResult};
use super::family::{self, parse_reference, resampling, views, with_pixels, I64Array};
use crate::core::models::llava_onevision::{self as ov, LlavaOnevision, LlavaOnevisionPlan, Real};
use crate::core::models::pipeline::Resampling;
use crate::core::models::{Family, Plan};
use crate::core::sampling::MAX_TOTAL_FRAMES;

type Hw = (u64, u64);

/// What LLaVA-OneVision does with one image (see `dynres_fast.llava_onevision.plan`).
#[pyclass(frozen, eq, name = "LlavaOnevisionPlan", module = "dynres_fast._core")]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PyLlavaOnevisionPlan(LlavaOnevisionPlan);

#[pymethods]
impl PyLlavaOnevisionPlan {
    /// `(height, width)` of the canvas chosen among the pinpoints.
    #[getter]
    fn canvas(&self) -> Hw {
        (self.0.canvas_height, self.0.canvas_width)
    }
    /// `(height, width)` of the image resized (aspect kept, ceil) into the canvas.
    #[getter]
    fn resized(&self) -> Hw {
        (self.0.resized_height, self.0.resized_width)
    }
    /// `(top, left)` offset of the resized image on the black canvas.
    #[getter]
    fn paste(&self) -> Hw {
        (self.0.pad_top, self.0.pad_left)
    }
    /// Side of the square crops.
    #[getter]
    fn crop_size(&self) -> u64 {
        self.0.crop_size
    }
    /// `(rows, cols)` of crops of the canvas (edge crops short when it is not a multiple).
    #[getter]
    fn grid(&self) -> Hw {
        (self.0.rows, self.0.cols)
    }
    /// `(top, left, height, width)` of each crop, row-major (the base crop precedes them);
    /// `BudgetError` for a canvas whose crops could never be preprocessed (over 4 GiB).
    #[getter]
    fn boxes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(
            py,
            self.0
                .boxes()
                .py()?
                .into_iter()
                .map(|[a, b, c, d]| (a, b, c, d)),
        )
    }
    /// Crops fed to SigLIP, base included: `1 + rows·cols`.
    #[getter]
    fn num_crops(&self) -> u64 {
        self.0.num_crops()
    }
    /// `(height, width)` of the feature grid after removing padding.
    #[getter]
    fn unpadded(&self) -> Hw {
        (self.0.unpadded_height, self.0.unpadded_width)
    }
    /// `sqrt(h·w / (9·p²))` of the unpadded grid (`p = crop_size // 14`); above 1.1 it is
    /// downsampled.
    #[getter]
    fn times(&self) -> f64 {
        self.0.times
    }
    /// `(height, width)` of the feature grid the LLM sees.
    #[getter(r#final)]
    fn final_grid(&self) -> Hw {
        (self.0.final_height, self.0.final_width)
    }
    /// `<image>` tokens: `p² + final_h · (final_w + 1)` (base, grid, a newline per row).
    #[getter]
    fn num_tokens(&self) -> u64 {
        self.0.num_tokens()
    }
    /// Tokens the prompt adds around them: 0.
    #[getter]
    fn wrapper_tokens(&self) -> u64 {
        self.0.wrapper_tokens()
    }
    fn __repr__(&self) -> String {
        format!(
            "LlavaOnevisionPlan(canvas={:?}, resized={:?}, grid={:?}, num_crops={}, \
             final={:?}, num_tokens={}, wrapper_tokens=0)",
            self.canvas(),
            self.resized(),
            self.grid(),
            self.num_crops(),
            self.final_grid(),
            self.num_tokens()
        )
    }
}

/// A validated LLaVA-OneVision config, built once (see `dynres_fast.llava_onevision`).
#[pyclass(frozen, name = "LlavaOnevisionConfig", module = "dynres_fast._core")]
pub(crate) struct PyLlavaOnevision {
    family: LlavaOnevision,
    rs: Resampling,
}

#[pymethods]
impl PyLlavaOnevision {
    #[new]
    #[pyo3(signature = (*, pinpoints, reference, resample, compat, crop_size=ov::CROP_SIZE))]
    fn new(
        pinpoints: Vec<Hw>,
        reference: &str,
        resample: &str,
        compat: &str,
        crop_size: u64,
    ) -> PyResult<Self> {
        let reference = parse_reference(reference)?;
        Ok(Self {
            family: LlavaOnevision::with_crop(&pinpoints, reference, crop_size).py()?,
            rs: resampling(resample, compat)?,
        })
    }

    /// The plan for a `height × width` image.
    fn plan(&self, height: u64, width: u64) -> PyResult<PyLlavaOnevisionPlan> {
        self.family
            .plan(height, width)
            .py()
            .map(PyLlavaOnevisionPlan)
    }

    /// `num_tokens` for arrays of sizes.
    #[pyo3(signature = (heights, widths, errors="raise"))]
    fn num_tokens_many<'py>(
        &self,
        py: Python<'py>,
        heights: PyReadonlyArray1<'py, i64>,
        widths: PyReadonlyArray1<'py, i64>,
        errors: &str,
    ) -> PyResult<I64Array<'py>> {
        family::num_tokens_many(py, &self.family, &heights, &widths, errors)
    }

    /// Writes `pixel_values` `(n, max_crops, 3, S, S)` of every image into `out`.
    fn pixel_values<'py>(
        &self,
        py: Python<'py>,
        images: Vec<PyReadonlyArray3<'py, u8>>,
        plans: Vec<PyRef<'py, PyLlavaOnevisionPlan>>,
        table: Lut<'py>,
        out: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        let plans: Vec<LlavaOnevisionPlan> = plans.iter().map(|p| p.0).collect();
        family::images_py(py, &self.family, self.rs, &images, &plans, &table, &out)
    }

    /// The multi-image path: each image padded to a square of `background`, squashed to
    /// `side²`.
    fn multi_image_pixel_values<'py>(
        &self,
        py: Python<'py>,
        images: Vec<PyReadonlyArray3<'py, u8>>,
        background: [u8; 3],
        side: usize,
        table: Lut<'py>,
        out: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        let imgs = views(&images)?;
        with_pixels!(table, self.rs, &out, |px, d| py
            .detach(|| ov::multi_image_into(&imgs, background, side, px, d))
            .py())
    }

    /// Every frame of video `i` squashed to `sizes[i]` and normalised, into `out`.
    fn squash_frames<'py>(
        &self,
        py: Python<'py>,
        videos: Vec<PyReadonlyArray4<'py, u8>>,
        sizes: Vec<(usize, usize)>,
        table: Lut<'py>,
        out: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        family::squash_py(py, self.rs, &videos, &sizes, &table, &out)
    }
}

#[pyfunction(name = "llava_ov_select_best_resolution")]
fn llava_ov_select_best_resolution_py(
    height: u64,
    width: u64,
    pinpoints: Vec<Hw>,
    reference: &str,
) -> PyResult<Hw> {
    ov::select_best_resolution(height, width, &pinpoints, parse_reference(reference)?).py()
}

fn pool<'py, T: Real + numpy::Element>(
    py: Python<'py>,
    features: PyReadonlyArrayDyn<'py, T>,
    out_h: usize,
    out_w: usize,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let shape = features.shape().to_vec();
    if shape.len() < 3 {
        return Err(DynresError::new_err(format!(
            "features must have shape (..., H, W, C), got {shape:?}"
        )));
    }
    let nd = shape.len();
    let (h, w, c) = (shape[nd - 3], shape[nd - 2], shape[nd - 1]);
    let batch: usize = shape[..nd - 3].iter().product();
    let src = contiguous("features", &features)?;
    let out = py
        .detach(|| ov::resize_bilinear(src, [batch, h, w, c], (out_h, out_w)))
        .py()?;
    let mut out_shape = shape;
    out_shape[nd - 3] = out_h;
    out_shape[nd - 2] = out_w;
    to_numpy(py, out, IxDyn(&out_shape))
}

/// Feature maps in either float type `pool_features` accepts.
#[derive(FromPyObject)]
enum Features<'py> {
    F32(PyReadonlyArrayDyn<'py, f32>),
    F64(PyReadonlyArrayDyn<'py, f64>),
}

#[pyfunction(name = "pool_features")]
fn pool_features_py<'py>(
    py: Python<'py>,
    features: Features<'py>,
    out_h: usize,
    out_w: usize,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match features {
        Features::F32(f) => pool(py, f, out_h, out_w)?.into_any(),
        Features::F64(f) => pool(py, f, out_h, out_w)?.into_any(),
    })
}

#[pyfunction(name = "llava_ov_video_num_tokens")]
fn llava_ov_video_num_tokens_py(num_frames: u64) -> PyResult<u64> {
    if num_frames > MAX_TOTAL_FRAMES {
        return Err(DynresError::new_err(format!(
            "num_frames must be <= {MAX_TOTAL_FRAMES}, got {num_frames}"
        )));
    }
    Ok(ov::video_num_tokens(num_frames))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(llava_ov_video_num_tokens_py, m)?)?;
    m.add_class::<PyLlavaOnevision>()?;
    m.add_class::<PyLlavaOnevisionPlan>()?;
    m.add_function(wrap_pyfunction!(llava_ov_select_best_resolution_py, m)?)?;
    m.add_function(wrap_pyfunction!(pool_features_py, m)?)?;
    Ok(())
}
