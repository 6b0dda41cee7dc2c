//! Bindings for the upstream video frame samplers (`dynres_fast.video.sample_indices`).

use pyo3::prelude::*;

use super::arrays::to_numpy;
use super::errors::IntoPyResult;
use super::family::I64Array;
use crate::core::frame_sampling::{self, SamplingArgs, SamplingRule};

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

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sample_indices_py, m)?)?;
    Ok(())
}
