//! The pure-Rust core: geometry and plans (no pixels), pixel kernels, position ids.
//!
//! Nothing in here knows about Python; every function takes slices and plain numbers.

#[cfg(feature = "decode")]
pub mod decode;
pub mod error;
pub mod geometry;
pub mod image;
pub mod many;
pub mod models;
pub mod ops;
pub mod pack;
pub mod par;
pub mod patchify;
pub mod resize;
pub mod rope;
pub mod sampling;
pub mod video;

pub use error::{Error, Result};
