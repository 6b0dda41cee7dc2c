//! Bindings for the InternVL, LLaVA-OneVision and Oryx plans (no pixels) and the
//! LLaVA-OneVision feature pooling kernel.

use super::errors::DynresError;
use numpy::ndarray::IxDyn;
use numpy::{PyArray1, PyArrayDyn, PyReadonlyArray1, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;

use super::arrays::{contiguous, to_numpy};
use super::errors::IntoPyResult;
use crate::core::geometry::RowErrors;
use crate::core::internvl::{self, CandidateOrder, Tiler, TilingParams};
use crate::core::llava_onevision::{self as ov, AnyresPlanner, Convention, Real};
use crate::core::many::map_sizes;
use crate::core::oryx::{self, OryxParams, VideoParams};
use crate::core::sampling;

type I64Array<'py> = Bound<'py, PyArray1<i64>>;
type Hw = (u64, u64);

pub(crate) fn parse_errors(errors: &str) -> PyResult<RowErrors> {
    match errors {
        "raise" => Ok(RowErrors::Raise),
        "mask" => Ok(RowErrors::Mask),
        other => Err(DynresError::new_err(format!(
            "errors must be 'raise' or 'mask', got {other:?}"
        ))),
    }
}

pub(crate) fn parse_order(order: &str) -> PyResult<CandidateOrder> {
    match order {
        "original" => Ok(CandidateOrder::Original),
        "transformers" => Ok(CandidateOrder::Transformers),
        other => Err(DynresError::new_err(format!(
            "order must be 'original' or 'transformers', got {other:?}"
        ))),
    }
}

pub(crate) fn parse_convention(convention: &str) -> PyResult<Convention> {
    match convention {
        "original" => Ok(Convention::Original),
        "transformers" => Ok(Convention::Transformers),
        other => Err(DynresError::new_err(format!(
            "convention must be 'original' or 'transformers', got {other:?}"
        ))),
    }
}

/// Runs `rule` over two int64 arrays with the GIL released.
pub(crate) fn tokens_many<'py>(
    py: Python<'py>,
    heights: &PyReadonlyArray1<'py, i64>,
    widths: &PyReadonlyArray1<'py, i64>,
    errors: &str,
    rule: impl Fn(u64, u64) -> crate::core::Result<u64> + Send + Sync,
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
            map_sizes(hs, ws, on_error, &mut out, rule).map(|()| out)
        })
        .py()?;
    to_numpy(py, out, n)
}

fn vec_to_numpy(py: Python<'_>, v: Vec<i64>) -> PyResult<I64Array<'_>> {
    let n = v.len();
    to_numpy(py, v, n)
}

// ---------------------------------------------------------------- InternVL

fn tiler(
    min_num: u64,
    max_num: u64,
    image_size: u64,
    use_thumbnail: bool,
    order: &str,
) -> PyResult<Tiler> {
    Tiler::new(TilingParams {
        min_num,
        max_num,
        image_size,
        use_thumbnail,
        order: parse_order(order)?,
    })
    .py()
}

/// `(cols, rows, resized_h, resized_w, num_tiles, has_thumbnail, tokens_per_tile)`.
type TileTuple = (u64, u64, u64, u64, u64, bool, u64);

#[pyfunction(name = "internvl_plan")]
fn internvl_plan_py(
    height: u64,
    width: u64,
    min_num: u64,
    max_num: u64,
    image_size: u64,
    use_thumbnail: bool,
    order: &str,
) -> PyResult<TileTuple> {
    let p = tiler(min_num, max_num, image_size, use_thumbnail, order)?
        .plan(height, width)
        .py()?;
    Ok((
        p.cols,
        p.rows,
        p.resized_height,
        p.resized_width,
        p.num_tiles,
        p.has_thumbnail,
        p.tokens_per_tile,
    ))
}

#[pyfunction(name = "internvl_candidates")]
fn internvl_candidates_py(min_num: u64, max_num: u64, order: &str) -> PyResult<Vec<Hw>> {
    internvl::candidate_grids(min_num, max_num, parse_order(order)?).py()
}

#[pyfunction(name = "internvl_num_tokens_many")]
#[allow(clippy::too_many_arguments)]
fn internvl_num_tokens_many_py<'py>(
    py: Python<'py>,
    heights: PyReadonlyArray1<'py, i64>,
    widths: PyReadonlyArray1<'py, i64>,
    min_num: u64,
    max_num: u64,
    image_size: u64,
    use_thumbnail: bool,
    order: &str,
    errors: &str,
) -> PyResult<I64Array<'py>> {
    let t = tiler(min_num, max_num, image_size, use_thumbnail, order)?;
    tokens_many(py, &heights, &widths, errors, |h, w| {
        t.plan(h, w).map(|p| p.num_tokens())
    })
}

#[pyfunction(name = "internvl_frame_indices")]
#[pyo3(signature = (num_frames, num_segments, fps, bound, first_idx, convention))]
fn internvl_frame_indices_py<'py>(
    py: Python<'py>,
    num_frames: u64,
    num_segments: u64,
    fps: Option<f64>,
    bound: Option<(f64, f64)>,
    first_idx: u64,
    convention: &str,
) -> PyResult<I64Array<'py>> {
    let idx = match convention {
        "original" => {
            internvl::frame_indices_original(num_frames, num_segments, fps, bound, first_idx)
        }
        "transformers" => {
            if bound.is_some() || fps.is_some() || first_idx != 0 {
                return Err(DynresError::new_err(
                    "convention='transformers' samples the whole clip: transformers' \
                     InternVLVideoProcessor takes no bound, fps or first_idx",
                ));
            }
            internvl::frame_indices_transformers(num_frames, num_segments)
        }
        other => {
            return Err(DynresError::new_err(format!(
                "convention must be 'original' or 'transformers', got {other:?}"
            )))
        }
    }
    .py()?;
    vec_to_numpy(py, idx)
}

// ---------------------------------------------------------------- LLaVA-OneVision

#[pyfunction(name = "llava_ov_select_best_resolution")]
fn llava_ov_select_best_resolution_py(
    height: u64,
    width: u64,
    pinpoints: Vec<Hw>,
    convention: &str,
) -> PyResult<Hw> {
    ov::select_best_resolution(height, width, &pinpoints, parse_convention(convention)?).py()
}

/// Canvas, resized, pad, grid, unpadded, times, final, tokens.
type OvTuple = (Hw, Hw, Hw, Hw, Hw, f64, Hw, u64);

#[pyfunction(name = "llava_ov_plan")]
fn llava_ov_plan_py(
    height: u64,
    width: u64,
    pinpoints: Vec<Hw>,
    convention: &str,
) -> PyResult<OvTuple> {
    let p = AnyresPlanner::new(&pinpoints, parse_convention(convention)?)
        .py()?
        .plan(height, width)
        .py()?;
    Ok((
        (p.canvas_height, p.canvas_width),
        (p.resized_height, p.resized_width),
        (p.pad_top, p.pad_left),
        (p.rows, p.cols),
        (p.unpadded_height, p.unpadded_width),
        p.times,
        (p.final_height, p.final_width),
        p.num_tokens,
    ))
}

#[pyfunction(name = "llava_ov_num_tokens_many")]
fn llava_ov_num_tokens_many_py<'py>(
    py: Python<'py>,
    heights: PyReadonlyArray1<'py, i64>,
    widths: PyReadonlyArray1<'py, i64>,
    pinpoints: Vec<Hw>,
    convention: &str,
    errors: &str,
) -> PyResult<I64Array<'py>> {
    let planner = AnyresPlanner::new(&pinpoints, parse_convention(convention)?).py()?;
    tokens_many(py, &heights, &widths, errors, |h, w| {
        planner.plan(h, w).map(|p| p.num_tokens)
    })
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

// ---------------------------------------------------------------- frame sampling

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

// ---------------------------------------------------------------- Oryx

fn oryx_params(
    max_res: u64,
    min_res: u64,
    lowres_base: u64,
    lowres_patch: u64,
    highres_patch: u64,
) -> OryxParams {
    OryxParams {
        max_res,
        min_res,
        lowres_base,
        lowres_patch,
        highres_patch,
    }
}

#[pyfunction(name = "oryx_plan")]
#[allow(clippy::too_many_arguments)]
fn oryx_plan_py(
    height: u64,
    width: u64,
    max_res: u64,
    min_res: u64,
    lowres_base: u64,
    lowres_patch: u64,
    highres_patch: u64,
) -> PyResult<(Hw, Hw, Hw, u64)> {
    let params = oryx_params(max_res, min_res, lowres_base, lowres_patch, highres_patch);
    let p = oryx::plan(height, width, &params).py()?;
    Ok((p.upscaled, p.highres, p.lowres, p.num_tokens()))
}

#[pyfunction(name = "oryx_num_tokens_many")]
#[allow(clippy::too_many_arguments)]
fn oryx_num_tokens_many_py<'py>(
    py: Python<'py>,
    heights: PyReadonlyArray1<'py, i64>,
    widths: PyReadonlyArray1<'py, i64>,
    max_res: u64,
    min_res: u64,
    lowres_base: u64,
    lowres_patch: u64,
    highres_patch: u64,
    errors: &str,
) -> PyResult<I64Array<'py>> {
    let params = oryx_params(max_res, min_res, lowres_base, lowres_patch, highres_patch);
    params.validate().py()?;
    tokens_many(py, &heights, &widths, errors, |h, w| {
        oryx::plan(h, w, &params).map(|p| p.num_tokens())
    })
}

#[pyfunction(name = "oryx_video_frame_size")]
fn oryx_video_frame_size_py(
    height: u64,
    width: u64,
    max_res: u64,
    min_res: u64,
    patch: u64,
    long: bool,
) -> PyResult<(Hw, u64)> {
    let params = VideoParams {
        max_res,
        min_res,
        patch,
        long,
    };
    let (fh, fw) = oryx::video_frame_size(height, width, &params).py()?;
    Ok(((fh, fw), oryx::video_tokens_per_frame(fh, fw, &params)))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(internvl_plan_py, m)?)?;
    m.add_function(wrap_pyfunction!(internvl_candidates_py, m)?)?;
    m.add_function(wrap_pyfunction!(internvl_num_tokens_many_py, m)?)?;
    m.add_function(wrap_pyfunction!(internvl_frame_indices_py, m)?)?;
    m.add_function(wrap_pyfunction!(llava_ov_select_best_resolution_py, m)?)?;
    m.add_function(wrap_pyfunction!(llava_ov_plan_py, m)?)?;
    m.add_function(wrap_pyfunction!(llava_ov_num_tokens_many_py, m)?)?;
    m.add_function(wrap_pyfunction!(pool_features_py, m)?)?;
    m.add_function(wrap_pyfunction!(linspace_frame_indices_py, m)?)?;
    m.add_function(wrap_pyfunction!(stride_frame_indices_py, m)?)?;
    m.add_function(wrap_pyfunction!(oryx_plan_py, m)?)?;
    m.add_function(wrap_pyfunction!(oryx_num_tokens_many_py, m)?)?;
    m.add_function(wrap_pyfunction!(oryx_video_frame_size_py, m)?)?;
    Ok(())
}
