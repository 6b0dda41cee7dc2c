//! The exception hierarchy and the one mapping from core errors to it.

use pyo3::create_exception;
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;

use crate::core::Error;

create_exception!(
    dynres_fast._core,
    DynresError,
    PyValueError,
    "Root of dynres_fast's errors: an input or parameter the model's preprocessing refuses."
);
create_exception!(
    dynres_fast._core,
    InvalidImageError,
    DynresError,
    "An image or video has an unusable shape, channel count or size."
);
create_exception!(
    dynres_fast._core,
    AspectRatioError,
    DynresError,
    "The image's aspect ratio is one the model refuses."
);
create_exception!(
    dynres_fast._core,
    BudgetError,
    DynresError,
    "A pixel or token budget is inconsistent or cannot be met."
);
create_exception!(
    dynres_fast._core,
    GridMismatchError,
    DynresError,
    "Grids do not match the vision tokens they describe."
);

/// Maps a core error to its Python exception class (one variant, one class).
pub(crate) fn to_pyerr(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::InvalidImage(_) => InvalidImageError::new_err(msg),
        Error::AspectRatio(_) => AspectRatioError::new_err(msg),
        Error::Budget(_) => BudgetError::new_err(msg),
        Error::GridMismatch(_) => GridMismatchError::new_err(msg),
        Error::OutOfMemory(_) => PyMemoryError::new_err(msg),
        _ => DynresError::new_err(msg),
    }
}

/// Extension trait: `core_result.py()?` converts the error on the way out.
pub(crate) trait IntoPyResult<T> {
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for crate::core::Result<T> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_pyerr)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("DynresError", py.get_type::<DynresError>())?;
    m.add("InvalidImageError", py.get_type::<InvalidImageError>())?;
    m.add("AspectRatioError", py.get_type::<AspectRatioError>())?;
    m.add("BudgetError", py.get_type::<BudgetError>())?;
    m.add("GridMismatchError", py.get_type::<GridMismatchError>())?;
    m.add("MAX_ALLOC_BYTES", crate::core::error::MAX_ALLOC_BYTES)?;
    Ok(())
}
