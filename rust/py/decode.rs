//! Bindings for image decoding (`core::decode`).

use numpy::PyArray3;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::arrays::to_numpy;
use super::errors::IntoPyResult;
use crate::core::decode;

/// JPEG/PNG bytes → `(H, W, 3)` uint8 (`(H, W, 4)` for a file with transparency when
/// `keep_alpha`), decoded with the GIL released; truncated files are refused unless
/// `allow_truncated`.
#[pyfunction(name = "decode_image")]
#[pyo3(signature = (data, allow_truncated = false, keep_alpha = false))]
fn decode_image_py<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyBytes>,
    allow_truncated: bool,
    keep_alpha: bool,
) -> PyResult<Bound<'py, PyArray3<u8>>> {
    let bytes = data.as_bytes();
    let options = decode::DecodeOptions {
        allow_truncated,
        keep_alpha,
    };
    let img = py.detach(|| decode::decode_with(bytes, options)).py()?;
    to_numpy(py, img.data, (img.height, img.width, img.channels))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decode_image_py, m)?)?;
    Ok(())
}
