//! NumPy array helpers: borrowed contiguous slices in, owned vectors out (no copies).

use numpy::ndarray::{Array, Dimension, IntoDimension};
use numpy::{Element, IntoPyArray, PyArray, PyReadonlyArray, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::errors::DynresError;

/// A normalisation table in one of the output storage types (float16 and bfloat16 travel
/// as their u16 bits).
#[derive(FromPyObject)]
pub(crate) enum Lut<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    U16(PyReadonlyArray2<'py, u16>),
    U8(PyReadonlyArray2<'py, u8>),
}

/// Borrows a C-contiguous array as a slice, or says why it cannot.
pub(crate) fn contiguous<'a, T: Element, D: Dimension>(
    name: &str,
    a: &'a PyReadonlyArray<'_, T, D>,
) -> PyResult<&'a [T]> {
    a.as_slice().map_err(|_| {
        DynresError::new_err(format!(
            "{name} must be a C-contiguous array; pass np.ascontiguousarray({name})"
        ))
    })
}

/// Hands an owned buffer to NumPy with the given shape, without copying it.
pub(crate) fn to_numpy<'py, T: Element, D: IntoDimension>(
    py: Python<'py>,
    data: Vec<T>,
    shape: D,
) -> PyResult<Bound<'py, PyArray<T, D::Dim>>> {
    let arr = Array::from_shape_vec(shape, data)
        .map_err(|e| PyValueError::new_err(format!("internal shape error: {e}")))?;
    Ok(arr.into_pyarray(py))
}
