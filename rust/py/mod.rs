//! The `dynres_fast._core` extension module: conversion and validation only.
//!
//! Each submodule binds one area of the core; no algorithm lives here.

use pyo3::prelude::*;

mod arrays;
#[cfg(feature = "decode")]
mod decode;
mod errors;
mod families;
mod family_pixels;
mod ops;
mod pack;
mod pixels;
mod pixtral;
mod plans;
mod rope;
mod threads;

#[pymodule(gil_used = false)]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    plans::register(m)?;
    threads::register(m)?;
    ops::register(m)?;
    pixels::register(m)?;
    pack::register(m)?;
    #[cfg(feature = "decode")]
    decode::register(m)?;
    rope::register(m)?;
    families::register(m)?;
    family_pixels::register(m)?;
    pixtral::register(m)?;
    Ok(())
}
