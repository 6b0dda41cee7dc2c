//! dynres_fast: exact, fast CPU preprocessing for dynamic-resolution multimodal models.
//!
//! [`core`] is pure Rust (plans, kernels, position ids) and builds without Python.
//! The `python` feature adds the PyO3 binding module `dynres_fast._core`.
#![deny(missing_docs)]

pub mod core;

#[cfg(feature = "python")]
mod py;
