//! Bindings for the opt-in thread pool.

use pyo3::prelude::*;

use crate::core::par;

/// Lets one call use up to `n` threads (1 = the calling thread only).
#[pyfunction(name = "set_num_threads")]
fn set_num_threads_py(n: usize) {
    par::set_num_threads(n);
}

/// How many threads one call may use.
#[pyfunction(name = "get_num_threads")]
fn get_num_threads_py() -> usize {
    par::num_threads()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(set_num_threads_py, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads_py, m)?)?;
    Ok(())
}
