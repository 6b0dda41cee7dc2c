//! Bindings for Qwen2-VL / Qwen2.5-VL / Qwen3-VL: the family config, its plans, and the
//! size and frame rules (`smart_resize`, frame sampling, video budgets).

use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray3, PyReadonlyArray4};
use pyo3::prelude::*;

use super::arrays::{contiguous, to_numpy, Lut};
use super::errors::{DynresError, IntoPyResult};
use super::family::{self, frames, parse_errors, resampling, with_pixels, I64Array};
use crate::core::geometry::{self, SmartResizeRule};
use crate::core::models::pipeline::Resampling;
use crate::core::models::qwen2vl::{self as qwen, Qwen2VL, Qwen2VLPlan};
use crate::core::models::{Family, Plan};
use crate::core::patchify::PatchLayout;
use crate::core::video::{self, FrameCount, VideoBudget};

fn parse_rule(reference: &str) -> PyResult<SmartResizeRule> {
    match reference {
        "transformers" => Ok(SmartResizeRule::Transformers),
        "qwen_vl_utils" => Ok(SmartResizeRule::QwenVlUtils),
        other => Err(DynresError::new_err(format!(
            "unknown reference {other:?}; accepted: transformers, qwen_vl_utils"
        ))),
    }
}

/// What Qwen-VL does with one image or video (see `dynres_fast.qwen2vl.plan`).
#[pyclass(frozen, eq, name = "Qwen2VLPlan", module = "dynres_fast._core")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PyQwen2VLPlan(pub(crate) Qwen2VLPlan);

#[pymethods]
impl PyQwen2VLPlan {
    /// `(height, width)` every frame is resized to.
    #[getter]
    fn resized(&self) -> (u64, u64) {
        self.0.resized
    }
    /// `(grid_t, grid_h, grid_w)` in patches.
    #[getter]
    fn grid_thw(&self) -> (u64, u64, u64) {
        let [t, h, w] = self.0.grid_thw;
        (t, h, w)
    }
    /// Frames of a video (sampled, or given); `None` for an image.
    #[getter]
    fn num_frames(&self) -> Option<u64> {
        self.0.num_frames
    }
    /// ViT patch side in pixels.
    #[getter]
    fn patch_size(&self) -> u64 {
        self.0.patch_size
    }
    /// Patch-merge window side.
    #[getter]
    fn merge_size(&self) -> u64 {
        self.0.merge_size
    }
    /// `<|image_pad|>` / `<|video_pad|>` tokens: `t·h·w / merge²`.
    #[getter]
    fn num_tokens(&self) -> u64 {
        self.0.num_tokens()
    }
    /// `<|vision_start|>` and `<|vision_end|>`: 2.
    #[getter]
    fn wrapper_tokens(&self) -> u64 {
        self.0.wrapper_tokens()
    }
    fn __repr__(&self) -> String {
        let p = &self.0;
        format!(
            "Qwen2VLPlan(resized={:?}, grid_thw={:?}, num_frames={}, num_tokens={}, \
             wrapper_tokens={})",
            p.resized,
            self.grid_thw(),
            p.num_frames.map_or("None".to_string(), |n| n.to_string()),
            p.num_tokens(),
            p.wrapper_tokens()
        )
    }
}

/// A validated Qwen-VL preprocessing config, built once (see `dynres_fast.qwen2vl`).
#[pyclass(frozen, name = "Qwen2VLConfig", module = "dynres_fast._core")]
pub(crate) struct PyQwen2VL {
    family: Qwen2VL,
    rs: Resampling,
}

fn plans(plans: &[PyRef<'_, PyQwen2VLPlan>]) -> Vec<Qwen2VLPlan> {
    plans.iter().map(|p| p.0).collect()
}

#[pymethods]
impl PyQwen2VL {
    #[new]
    #[pyo3(signature = (*, min_pixels, max_pixels, patch_size, temporal_patch_size, merge_size, fps, total_pixels, resample, compat))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        min_pixels: f64,
        max_pixels: f64,
        patch_size: usize,
        temporal_patch_size: usize,
        merge_size: usize,
        fps: f64,
        total_pixels: Option<f64>,
        resample: &str,
        compat: &str,
    ) -> PyResult<Self> {
        let layout = PatchLayout {
            patch_size,
            temporal_patch_size,
            merge_size,
        };
        Ok(Self {
            family: Qwen2VL::new(layout, min_pixels, max_pixels, fps, total_pixels).py()?,
            rs: resampling(resample, compat)?,
        })
    }

    /// Values in one `pixel_values` row: `3 · temporal_patch_size · patch_size²`.
    #[getter]
    fn row_len(&self) -> usize {
        self.family.layout().row_len(3)
    }

    /// The plan for a `height × width` image.
    fn plan(&self, height: u64, width: u64) -> PyResult<PyQwen2VLPlan> {
        self.family.plan(height, width).py().map(PyQwen2VLPlan)
    }

    /// The processor's plan for `num_frames` given frames of `height × width`.
    fn frames_plan(&self, num_frames: u64, height: u64, width: u64) -> PyResult<PyQwen2VLPlan> {
        self.family
            .frames_plan(num_frames, height, width)
            .py()
            .map(PyQwen2VLPlan)
    }

    /// qwen-vl-utils' plan for a clip of `total_frames` frames at `video_fps`.
    fn video_plan(
        &self,
        total_frames: u64,
        video_fps: f64,
        height: u64,
        width: u64,
    ) -> PyResult<PyQwen2VLPlan> {
        self.family
            .video_plan(total_frames, video_fps, height, width)
            .py()
            .map(PyQwen2VLPlan)
    }

    /// Token counts per row; rows with `total_frames > 0` are clips.
    #[pyo3(signature = (heights, widths, total_frames=None, video_fps=None, errors="raise"))]
    fn num_tokens_many<'py>(
        &self,
        py: Python<'py>,
        heights: PyReadonlyArray1<'py, i64>,
        widths: PyReadonlyArray1<'py, i64>,
        total_frames: Option<PyReadonlyArray1<'py, i64>>,
        video_fps: Option<PyReadonlyArray1<'py, f64>>,
        errors: &str,
    ) -> PyResult<I64Array<'py>> {
        let (Some(tf), Some(vf)) = (&total_frames, &video_fps) else {
            return family::num_tokens_many(py, &self.family, &heights, &widths, errors);
        };
        let on_error = parse_errors(errors)?;
        let hs = contiguous("heights", &heights)?;
        let ws = contiguous("widths", &widths)?;
        let tf = contiguous("total_frames", tf)?;
        let vf = contiguous("video_fps", vf)?;
        let n = hs.len();
        let out = py
            .detach(|| {
                let mut out = vec![0i64; n];
                self.family
                    .num_tokens_many_with_videos(hs, ws, tf, vf, on_error, &mut out)
                    .map(|()| out)
            })
            .py()?;
        to_numpy(py, out, n)
    }

    /// Writes `pixel_values` of every image (with its plan) into `out`.
    fn pixel_values<'py>(
        &self,
        py: Python<'py>,
        images: Vec<PyReadonlyArray3<'py, u8>>,
        plans: Vec<PyRef<'py, PyQwen2VLPlan>>,
        table: Lut<'py>,
        out: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        family::images_py(
            py,
            &self.family,
            self.rs,
            &images,
            &self::plans(&plans),
            &table,
            &out,
        )
    }

    /// Writes `pixel_values_videos` of every video (with its plan) into `out`.
    fn video_pixel_values<'py>(
        &self,
        py: Python<'py>,
        videos: Vec<PyReadonlyArray4<'py, u8>>,
        plans: Vec<PyRef<'py, PyQwen2VLPlan>>,
        table: Lut<'py>,
        out: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        let frames = frames(&videos)?;
        if frames.len() != plans.len() {
            return Err(DynresError::new_err(format!(
                "got {} videos but {} plans",
                frames.len(),
                plans.len()
            )));
        }
        let jobs: Vec<qwen::VideoJob<'_>> = frames.into_iter().zip(self::plans(&plans)).collect();
        with_pixels!(table, self.rs, &out, |px, d| py
            .detach(|| qwen::videos_into(&self.family, &jobs, px, d))
            .py())
    }
}

#[pyfunction(name = "smart_resize")]
fn smart_resize_py(
    height: u64,
    width: u64,
    factor: u64,
    min_pixels: f64,
    max_pixels: f64,
    reference: &str,
) -> PyResult<(u64, u64)> {
    geometry::smart_resize(
        height,
        width,
        factor,
        min_pixels,
        max_pixels,
        parse_rule(reference)?,
    )
    .py()
}

#[pyfunction(name = "smart_resize_many")]
#[allow(clippy::too_many_arguments)]
fn smart_resize_many_py<'py>(
    py: Python<'py>,
    heights: PyReadonlyArray1<'py, i64>,
    widths: PyReadonlyArray1<'py, i64>,
    factor: u64,
    min_pixels: f64,
    max_pixels: f64,
    reference: &str,
    errors: &str,
) -> PyResult<(I64Array<'py>, I64Array<'py>)> {
    let rule = parse_rule(reference)?;
    let on_error = parse_errors(errors)?;
    let (hs, ws) = (
        contiguous("heights", &heights)?,
        contiguous("widths", &widths)?,
    );
    let n = hs.len();
    let (oh, ow) = py
        .detach(|| {
            let (mut oh, mut ow) = (vec![0i64; n], vec![0i64; n]);
            geometry::smart_resize_many(
                hs, ws, factor, min_pixels, max_pixels, rule, on_error, &mut oh, &mut ow,
            )
            .map(|()| (oh, ow))
        })
        .py()?;
    Ok((to_numpy(py, oh, n)?, to_numpy(py, ow, n)?))
}

#[pyfunction(name = "video_smart_resize")]
fn video_smart_resize_py(
    num_frames: u64,
    height: u64,
    width: u64,
    temporal_factor: u64,
    factor: u64,
    min_pixels: f64,
    max_pixels: f64,
) -> PyResult<(u64, u64)> {
    geometry::video_smart_resize(
        num_frames,
        height,
        width,
        temporal_factor,
        factor,
        min_pixels,
        max_pixels,
    )
    .py()
}

#[pyfunction(name = "sample_frames")]
#[pyo3(signature = (total_frames, video_fps, fps, min_frames, max_frames, num_frames))]
fn sample_frames_py(
    py: Python<'_>,
    total_frames: u64,
    video_fps: f64,
    fps: f64,
    min_frames: f64,
    max_frames: Option<f64>,
    num_frames: Option<f64>,
) -> PyResult<Bound<'_, PyArray1<i64>>> {
    let count = match num_frames {
        Some(n) => FrameCount::Exact(n),
        None => FrameCount::Rate {
            fps,
            min_frames,
            max_frames,
        },
    };
    let idx = py
        .detach(|| video::sample_frames(total_frames, video_fps, count))
        .py()?;
    let n = idx.len();
    to_numpy(py, idx, n)
}

#[pyfunction(name = "video_budget")]
#[pyo3(signature = (num_frames, height, width, image_patch_size, min_pixels, max_pixels, total_pixels, model_seq_len))]
#[allow(clippy::too_many_arguments)]
fn video_budget_py(
    num_frames: u64,
    height: u64,
    width: u64,
    image_patch_size: u64,
    min_pixels: Option<f64>,
    max_pixels: Option<f64>,
    total_pixels: Option<f64>,
    model_seq_len: f64,
) -> PyResult<(u64, u64)> {
    let b = VideoBudget {
        image_patch_size,
        min_pixels,
        max_pixels,
        total_pixels,
        model_seq_len,
    };
    video::video_budget(num_frames, height, width, &b).py()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyQwen2VL>()?;
    m.add_class::<PyQwen2VLPlan>()?;
    m.add_function(wrap_pyfunction!(smart_resize_py, m)?)?;
    m.add_function(wrap_pyfunction!(smart_resize_many_py, m)?)?;
    m.add_function(wrap_pyfunction!(video_smart_resize_py, m)?)?;
    m.add_function(wrap_pyfunction!(sample_frames_py, m)?)?;
    m.add_function(wrap_pyfunction!(video_budget_py, m)?)?;
    Ok(())
}
