//! Bindings for sequence packing (`core::pack`).

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::arrays::{contiguous, to_numpy};
use super::errors::{DynresError, IntoPyResult};
use crate::core::pack::{self, Oversize};

type I64Array<'py> = Bound<'py, PyArray1<i64>>;

/// `(order, offsets, skipped)`: bins as runs of `order` delimited by `offsets`.
#[pyfunction(name = "pack_ffd")]
fn pack_ffd_py<'py>(
    py: Python<'py>,
    lengths: PyReadonlyArray1<'py, i64>,
    max_tokens: i64,
    oversize: &str,
) -> PyResult<(I64Array<'py>, I64Array<'py>, I64Array<'py>)> {
    let mode = match oversize {
        "raise" => Oversize::Raise,
        "skip" => Oversize::Skip,
        "truncate" => Oversize::Truncate,
        other => {
            return Err(DynresError::new_err(format!(
                "oversize must be 'raise', 'skip' or 'truncate', got {other:?}"
            )))
        }
    };
    let lengths = contiguous("lengths", &lengths)?;
    let p = py
        .detach(|| pack::pack_ffd(lengths, max_tokens, mode))
        .py()?;
    let (n, b, s) = (p.order.len(), p.offsets.len(), p.skipped.len());
    Ok((
        to_numpy(py, p.order, n)?,
        to_numpy(py, p.offsets, b)?,
        to_numpy(py, p.skipped, s)?,
    ))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pack_ffd_py, m)?)?;
    Ok(())
}
