//! One error type for the whole core; the binding layer maps each variant to one Python class.

use std::fmt;

/// Everything the core can refuse. Each variant carries a message that says what was
/// received and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An argument is outside what the operation accepts (sizes, options, lengths).
    InvalidArgument(String),
    /// An image or video has an unusable shape, channel count or size.
    InvalidImage(String),
    /// The aspect ratio is one the model refuses (e.g. above 200:1 for Qwen2-VL).
    AspectRatio(String),
    /// A pixel or token budget cannot be met or is inconsistent.
    Budget(String),
    /// Grids and the vision tokens they must describe do not agree.
    GridMismatch(String),
}

/// Result alias used throughout the core.
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(m)
            | Error::InvalidImage(m)
            | Error::AspectRatio(m)
            | Error::Budget(m)
            | Error::GridMismatch(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The same error with `context: ` in front of its message (e.g. `"image 3"`).
    #[must_use]
    pub fn context(self, context: &str) -> Self {
        let wrap = |m: String| format!("{context}: {m}");
        match self {
            Error::InvalidArgument(m) => Error::InvalidArgument(wrap(m)),
            Error::InvalidImage(m) => Error::InvalidImage(wrap(m)),
            Error::AspectRatio(m) => Error::AspectRatio(wrap(m)),
            Error::Budget(m) => Error::Budget(wrap(m)),
            Error::GridMismatch(m) => Error::GridMismatch(wrap(m)),
        }
    }
}

/// Shorthand for `Err(Error::InvalidArgument(format!(...)))`.
macro_rules! invalid_arg {
    ($($t:tt)*) => { Err($crate::core::error::Error::InvalidArgument(format!($($t)*))) };
}
pub(crate) use invalid_arg;
