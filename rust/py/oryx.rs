//! Bindings for Oryx: the family config, its plans and video frame sizes.

use numpy::{PyReadonlyArray1, PyReadonlyArray3, PyReadonlyArray4};
use pyo3::prelude::*;

use super::arrays::Lut;
use super::errors::IntoPyResult;
use super::family::{self, resampling, I64Array};
use crate::core::models::oryx::{self, Oryx, OryxParams, OryxPlan, VideoParams};
use crate::core::models::pipeline::Resampling;
use crate::core::models::{Family, Plan};

type Hw = (u64, u64);

/// What Oryx does with one image (see `dynres_fast.oryx.plan`).
#[pyclass(frozen, eq, name = "OryxPlan", module = "dynres_fast._core")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PyOryxPlan(OryxPlan);

#[pymethods]
impl PyOryxPlan {
    /// `(height, width)` after the tiny-side up-scale (the input size otherwise).
    #[getter]
    fn upscaled(&self) -> Hw {
        self.0.upscaled
    }
    /// `(height, width)` of the native-resolution image.
    #[getter]
    fn highres(&self) -> Hw {
        self.0.highres
    }
    /// `(height, width)` of the ~384² low-res image.
    #[getter]
    fn lowres(&self) -> Hw {
        self.0.lowres
    }
    /// `(rows, cols)` of the high-res feature grid (16-pixel ViT patches).
    #[getter]
    fn highres_grid(&self) -> Hw {
        self.0.highres_grid()
    }
    /// `(rows, cols)` of the low-res feature grid.
    #[getter]
    fn lowres_grid(&self) -> Hw {
        self.0.lowres_grid()
    }
    /// `h1·(w1+1) + h2·(w2+1) + 3` embeddings filling the `<image>` token.
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
            "OryxPlan(upscaled={:?}, highres={:?}, lowres={:?}, num_tokens={}, wrapper_tokens=0)",
            self.0.upscaled,
            self.0.highres,
            self.0.lowres,
            self.num_tokens()
        )
    }
}

/// A validated Oryx config (image and video environment), built once (see `dynres_fast.oryx`).
#[pyclass(frozen, name = "OryxConfig", module = "dynres_fast._core")]
pub(crate) struct PyOryx {
    family: Oryx,
    rs: Resampling,
}

#[pymethods]
impl PyOryx {
    #[new]
    #[pyo3(signature = (*, max_res, min_res, lowres_base, lowres_patch, highres_patch, video_max_res, video_min_res, video_patch, resample, compat))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        max_res: u64,
        min_res: u64,
        lowres_base: u64,
        lowres_patch: u64,
        highres_patch: u64,
        video_max_res: u64,
        video_min_res: u64,
        video_patch: u64,
        resample: &str,
        compat: &str,
    ) -> PyResult<Self> {
        let image = OryxParams {
            max_res,
            min_res,
            lowres_base,
            lowres_patch,
            highres_patch,
        };
        let video = VideoParams {
            max_res: video_max_res,
            min_res: video_min_res,
            patch: video_patch,
            long: false,
        };
        Ok(Self {
            family: Oryx::new(image, video).py()?,
            rs: resampling(resample, compat)?,
        })
    }

    /// The plan for a `height × width` image.
    fn plan(&self, height: u64, width: u64) -> PyResult<PyOryxPlan> {
        self.family.plan(height, width).py().map(PyOryxPlan)
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

    /// `((frame_height, frame_width), num_tokens)` of `num_frames` frames of
    /// `height × width` ('video', or 'video_long' with `long`).
    #[pyo3(signature = (num_frames, height, width, *, long))]
    fn video_plan(
        &self,
        num_frames: u64,
        height: u64,
        width: u64,
        long: bool,
    ) -> PyResult<(Hw, u64)> {
        let params = VideoParams {
            long,
            ..self.family.video_params()
        };
        let size = oryx::video_frame_size(height, width, &params).py()?;
        let tokens = oryx::video_num_tokens(num_frames, height, width, &params).py()?;
        Ok((size, tokens))
    }

    /// Writes every image's high-res then low-res planes, image after image, into `out`.
    fn pixel_values<'py>(
        &self,
        py: Python<'py>,
        images: Vec<PyReadonlyArray3<'py, u8>>,
        plans: Vec<PyRef<'py, PyOryxPlan>>,
        table: Lut<'py>,
        out: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        let plans: Vec<OryxPlan> = plans.iter().map(|p| p.0).collect();
        family::images_py(py, &self.family, self.rs, &images, &plans, &table, &out)
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

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyOryx>()?;
    m.add_class::<PyOryxPlan>()?;
    Ok(())
}
