//! Bindings for pixel-free planning: Qwen2-VL sizes and video frame sampling.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::arrays::{contiguous, to_numpy};
use super::errors::{DynresError, IntoPyResult};
use super::families::parse_errors;
use crate::core::frame_sampling::{self, SamplingArgs, SamplingRule};
use crate::core::geometry::{self, SmartResizeRule, VideoResizeRule};
use crate::core::video::{self, FrameCount, VideoBudget};

type I64Array<'py> = Bound<'py, PyArray1<i64>>;

fn parse_rule(rule: &str) -> PyResult<SmartResizeRule> {
    match rule {
        "transformers" => Ok(SmartResizeRule::Transformers),
        "qwen_vl_utils" => Ok(SmartResizeRule::QwenVlUtils),
        other => Err(DynresError::new_err(format!(
            "rule must be 'transformers' or 'qwen_vl_utils', got {other:?}"
        ))),
    }
}

fn parse_video_rule(rule: &str) -> PyResult<VideoResizeRule> {
    match rule {
        "transformers4" => Ok(VideoResizeRule::Transformers4),
        "transformers5" => Ok(VideoResizeRule::Transformers5),
        other => Err(DynresError::new_err(format!(
            "rule must be 'transformers5' or 'transformers4', got {other:?}"
        ))),
    }
}

#[pyfunction(name = "smart_resize")]
fn smart_resize_py(
    height: u64,
    width: u64,
    factor: u64,
    min_pixels: f64,
    max_pixels: f64,
    rule: &str,
) -> PyResult<(u64, u64)> {
    geometry::smart_resize(
        height,
        width,
        factor,
        min_pixels,
        max_pixels,
        parse_rule(rule)?,
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
    rule: &str,
    errors: &str,
) -> PyResult<(I64Array<'py>, I64Array<'py>)> {
    let rule = parse_rule(rule)?;
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
#[allow(clippy::too_many_arguments)]
fn video_smart_resize_py(
    num_frames: u64,
    height: u64,
    width: u64,
    temporal_factor: u64,
    factor: u64,
    min_pixels: f64,
    max_pixels: f64,
    rule: &str,
) -> PyResult<(u64, u64)> {
    geometry::video_smart_resize(
        num_frames,
        height,
        width,
        temporal_factor,
        factor,
        min_pixels,
        max_pixels,
        parse_video_rule(rule)?,
    )
    .py()
}

#[pyfunction(name = "sample_frames")]
#[pyo3(signature = (total_frames, video_fps, fps, min_frames, max_frames, nframes))]
fn sample_frames_py(
    py: Python<'_>,
    total_frames: u64,
    video_fps: f64,
    fps: f64,
    min_frames: f64,
    max_frames: Option<f64>,
    nframes: Option<f64>,
) -> PyResult<Bound<'_, PyArray1<i64>>> {
    let count = match nframes {
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

#[pyfunction(name = "sample_indices")]
#[pyo3(signature = (total_frames, rule, video_fps, fps, num_frames, min_frames, max_frames))]
#[allow(clippy::too_many_arguments)]
fn sample_indices_py<'py>(
    py: Python<'py>,
    total_frames: u64,
    rule: &str,
    video_fps: Option<f64>,
    fps: Option<f64>,
    num_frames: Option<f64>,
    min_frames: Option<f64>,
    max_frames: Option<f64>,
) -> PyResult<I64Array<'py>> {
    let rule = SamplingRule::parse(rule).py()?;
    let args = SamplingArgs {
        video_fps,
        fps,
        num_frames,
        min_frames,
        max_frames,
    };
    let idx = py
        .detach(|| frame_sampling::sample_indices(total_frames, rule, &args))
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
    m.add_function(wrap_pyfunction!(smart_resize_py, m)?)?;
    m.add_function(wrap_pyfunction!(smart_resize_many_py, m)?)?;
    m.add_function(wrap_pyfunction!(video_smart_resize_py, m)?)?;
    m.add_function(wrap_pyfunction!(sample_frames_py, m)?)?;
    m.add_function(wrap_pyfunction!(sample_indices_py, m)?)?;
    m.add_function(wrap_pyfunction!(video_budget_py, m)?)?;
    Ok(())
}
