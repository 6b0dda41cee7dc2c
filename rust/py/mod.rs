//! The `dynres_fast._core` extension module: conversion and validation only.
//!
//! Each submodule binds one area of the core; no algorithm lives here.

use pyo3::prelude::*;

mod arrays;
#[cfg(feature = "decode")]
mod decode;
mod errors;
mod family;
mod internvl;
mod llava_onevision;
mod ops;
mod oryx;
mod pack;
mod qwen2vl;
mod rope;
mod threads;

#[pymodule(gil_used = false)]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    family::register(m)?;
    qwen2vl::register(m)?;
    internvl::register(m)?;
    llava_onevision::register(m)?;
    oryx::register(m)?;
    threads::register(m)?;
    ops::register(m)?;
    pack::register(m)?;
    #[cfg(feature = "decode")]
    decode::register(m)?;
    rope::register(m)?;
    Ok(())
}
