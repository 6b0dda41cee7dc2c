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
    /// A buffer within [`MAX_ALLOC_BYTES`] could not be allocated (Python's `MemoryError`).
    OutOfMemory(String),
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
            | Error::GridMismatch(m)
            | Error::OutOfMemory(m) => f.write_str(m),
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
            Error::OutOfMemory(m) => Error::OutOfMemory(wrap(m)),
        }
    }
}

/// Largest single buffer the core allocates (4 GiB): far above any model input (a
/// 65536 x 65536 RGB image is 12 GiB), small enough that a hostile size is refused before
/// the machine is.
pub const MAX_ALLOC_BYTES: usize = 1 << 32;

/// Element types whose all-zero bit pattern is a valid value (so a zeroed allocation is an
/// initialised vector).
pub trait Zeroable: Copy {}
impl Zeroable for u8 {}
impl Zeroable for u16 {}
impl Zeroable for i32 {}
impl Zeroable for i64 {}
impl Zeroable for f32 {}
impl Zeroable for usize {}

/// Bytes for `len` values of `T`, refused past [`MAX_ALLOC_BYTES`].
fn checked_bytes<T>(len: usize, what: &str) -> Result<usize> {
    let size = std::mem::size_of::<T>();
    len.checked_mul(size)
        .filter(|&b| b <= MAX_ALLOC_BYTES)
        .ok_or_else(|| {
            Error::Budget(format!(
                "{what} needs {len} x {size} bytes, over the limit of {MAX_ALLOC_BYTES} bytes \
                 (4 GiB) for one buffer"
            ))
        })
}

fn out_of_memory(what: &str, bytes: usize) -> Error {
    Error::OutOfMemory(format!("{what}: could not allocate {bytes} bytes"))
}

/// An empty vector with room for `len` values: the size is checked against
/// [`MAX_ALLOC_BYTES`] and the reservation is fallible, so a huge request is an error,
/// never an abort.
///
/// # Errors
/// [`Error::Budget`] past the limit, [`Error::OutOfMemory`] when the allocator refuses.
pub fn try_with_capacity<T>(len: usize, what: &str) -> Result<Vec<T>> {
    let bytes = checked_bytes::<T>(len, what)?;
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| out_of_memory(what, bytes))?;
    Ok(v)
}

/// `vec![0; len]` with the checks of [`try_with_capacity`] (zeroed pages, like `calloc`).
///
/// # Errors
/// As [`try_with_capacity`].
pub fn try_zeroed<T: Zeroable>(len: usize, what: &str) -> Result<Vec<T>> {
    let bytes = checked_bytes::<T>(len, what)?;
    if bytes == 0 {
        return Ok(Vec::new()); // len == 0: every `Zeroable` type has a non-zero size
    }
    let layout = std::alloc::Layout::array::<T>(len).map_err(|_| out_of_memory(what, bytes))?;
    // SAFETY: `layout` has a non-zero size (checked above).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if ptr.is_null() {
        return Err(out_of_memory(what, bytes));
    }
    // SAFETY: `ptr` comes from the global allocator with the layout of `[T; len]`, and all
    // `len` values are initialised: all-zero bits are a valid `T` (the `Zeroable` bound).
    Ok(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

/// Shorthand for `Err(Error::InvalidArgument(format!(...)))`.
macro_rules! invalid_arg {
    ($($t:tt)*) => { Err($crate::core::error::Error::InvalidArgument(format!($($t)*))) };
}
pub(crate) use invalid_arg;
