//! The pure-Rust core: geometry and plans (no pixels), pixel kernels, position ids.
//!
//! Nothing in here knows about Python; every function takes slices and plain numbers.

pub mod error;
pub mod geometry;
pub mod image;
pub mod ops;
pub mod par;
pub mod patchify;
pub mod qwen2vl;
pub mod resize;
pub mod video;

pub use error::{Error, Result};
pub mod family_pixels;
pub mod internvl;
pub mod llava_onevision;
pub mod many;
pub mod oryx;
pub mod sampling;
