//! Bindings for position ids: M-RoPE ids of the language model and vision-tower ids.

use numpy::{
    PyArray1, PyArray2, PyArray3, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::prelude::*;

use super::arrays::{contiguous, to_numpy};
use super::errors::{DynresError, IntoPyResult};
use crate::core::rope::{self, Convention, MropeInput, MropeSpec};

type Grids<'py> = Option<PyReadonlyArray2<'py, i64>>;
type I64Array1<'py> = Bound<'py, PyArray1<i64>>;
/// `(position_ids, mrope_position_deltas)`.
type PositionsAndDeltas<'py> = (Bound<'py, PyArray3<i64>>, Bound<'py, PyArray2<i64>>);

/// Borrows an `(N, 3)` grid array as a flat slice.
fn grid_slice<'a>(name: &str, a: &'a PyReadonlyArray2<'_, i64>) -> PyResult<&'a [i64]> {
    if a.shape()[1] != 3 {
        return Err(DynresError::new_err(format!(
            "{name} must have shape (N, 3), got {:?}",
            a.shape()
        )));
    }
    contiguous(name, a)
}

/// [`grid_slice`] for an optional grid array.
fn opt_grid_slice<'a>(name: &str, g: &'a Grids<'_>) -> PyResult<Option<&'a [i64]>> {
    g.as_ref().map(|a| grid_slice(name, a)).transpose()
}

#[pyfunction(name = "mrope_position_ids")]
#[pyo3(signature = (input_ids, attention_mask, image_grid_thw, video_grid_thw, second_per_grid_ts, spatial_merge_size, image_token_id, video_token_id, vision_start_token_id, tokens_per_second, convention))]
#[allow(clippy::too_many_arguments)]
fn mrope_position_ids_py<'py>(
    py: Python<'py>,
    input_ids: PyReadonlyArray2<'py, i64>,
    attention_mask: Option<PyReadonlyArray2<'py, i64>>,
    image_grid_thw: Grids<'py>,
    video_grid_thw: Grids<'py>,
    second_per_grid_ts: Option<PyReadonlyArray1<'py, f32>>,
    spatial_merge_size: i64,
    image_token_id: i64,
    video_token_id: i64,
    vision_start_token_id: i64,
    tokens_per_second: Option<i64>,
    convention: &str,
) -> PyResult<PositionsAndDeltas<'py>> {
    let (batch, len) = (input_ids.shape()[0], input_ids.shape()[1]);
    if let Some(m) = &attention_mask {
        if m.shape() != input_ids.shape() {
            return Err(DynresError::new_err(format!(
                "attention_mask has shape {:?}, input_ids {:?}; they must match",
                m.shape(),
                input_ids.shape()
            )));
        }
    }
    let spec = MropeSpec {
        spatial_merge_size,
        image_token_id,
        video_token_id,
        vision_start_token_id,
        tokens_per_second,
        convention: Convention::parse(convention).py()?,
    };
    let input = MropeInput {
        input_ids: contiguous("input_ids", &input_ids)?,
        batch,
        len,
        attention_mask: match &attention_mask {
            Some(m) => Some(contiguous("attention_mask", m)?),
            None => None,
        },
        image_grid_thw: opt_grid_slice("image_grid_thw", &image_grid_thw)?,
        video_grid_thw: opt_grid_slice("video_grid_thw", &video_grid_thw)?,
        second_per_grid_ts: match &second_per_grid_ts {
            Some(s) => Some(contiguous("second_per_grid_ts", s)?),
            None => None,
        },
    };
    // NumPy's zeroed buffer is written once, in place, with the GIL released.
    let positions = PyArray3::<i64>::zeros(py, [3, batch, len], false);
    let deltas = PyArray2::<i64>::zeros(py, [batch, 1], false);
    {
        let mut pos_rw = positions.readwrite();
        let mut delta_rw = deltas.readwrite();
        let pos = pos_rw
            .as_slice_mut()
            .map_err(|e| DynresError::new_err(e.to_string()))?;
        let delta = delta_rw
            .as_slice_mut()
            .map_err(|e| DynresError::new_err(e.to_string()))?;
        py.detach(|| rope::mrope_position_ids(&input, &spec, pos, delta))
            .py()?;
    }
    Ok((positions, deltas))
}

#[pyfunction(name = "vision_position_ids")]
fn vision_position_ids_py<'py>(
    py: Python<'py>,
    grid_thw: PyReadonlyArray2<'py, i64>,
    spatial_merge_size: i64,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    let grids = grid_slice("grid_thw", &grid_thw)?;
    let ids = py
        .detach(|| rope::vision_position_ids(grids, spatial_merge_size))
        .py()?;
    let n = ids.len() / 2;
    to_numpy(py, ids, [n, 2])
}

#[pyfunction(name = "cu_seqlens")]
fn cu_seqlens_py<'py>(
    py: Python<'py>,
    grid_thw: PyReadonlyArray2<'py, i64>,
) -> PyResult<Bound<'py, PyArray1<i32>>> {
    let grids = grid_slice("grid_thw", &grid_thw)?;
    let cu = py.detach(|| rope::cu_seqlens(grids)).py()?;
    let n = cu.len();
    to_numpy(py, cu, n)
}

#[pyfunction(name = "window_index")]
fn window_index_py<'py>(
    py: Python<'py>,
    grid_thw: PyReadonlyArray2<'py, i64>,
    window_size: i64,
    patch_size: i64,
    spatial_merge_size: i64,
) -> PyResult<(I64Array1<'py>, I64Array1<'py>)> {
    let grids = grid_slice("grid_thw", &grid_thw)?;
    let (index, cu) = py
        .detach(|| rope::window_index(grids, window_size, patch_size, spatial_merge_size))
        .py()?;
    let (ni, nc) = (index.len(), cu.len());
    Ok((to_numpy(py, index, ni)?, to_numpy(py, cu, nc)?))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(mrope_position_ids_py, m)?)?;
    m.add_function(wrap_pyfunction!(vision_position_ids_py, m)?)?;
    m.add_function(wrap_pyfunction!(cu_seqlens_py, m)?)?;
    m.add_function(wrap_pyfunction!(window_index_py, m)?)?;
    Ok(())
}
