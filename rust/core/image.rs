//! Borrowed and owned interleaved (HWC) uint8 images with validated shapes.

use super::error::{try_zeroed, Error, Result};

/// Largest side accepted for pixel work; keeps every byte offset far from overflow.
pub const MAX_IMAGE_SIDE: usize = 1 << 16;

/// A borrowed C-contiguous `(height, width, channels)` uint8 image.
#[derive(Debug, Clone, Copy)]
pub struct ImageRef<'a> {
    /// Pixels, row-major, channels interleaved; exactly `height * width * channels` long.
    pub data: &'a [u8],
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Interleaved channels per pixel (1, 3 or 4 in practice).
    pub channels: usize,
}

impl<'a> ImageRef<'a> {
    /// Wraps `data` after checking that the shape is non-empty, in range and matches its length.
    ///
    /// # Errors
    /// [`Error::InvalidImage`] naming the shape and what is accepted.
    pub fn new(data: &'a [u8], height: usize, width: usize, channels: usize) -> Result<Self> {
        check_shape(height, width, channels)?;
        if data.len() != height * width * channels {
            return Err(Error::InvalidImage(format!(
                "buffer of {} bytes does not hold a ({height}, {width}, {channels}) image",
                data.len()
            )));
        }
        Ok(Self {
            data,
            height,
            width,
            channels,
        })
    }

    /// Bytes per row.
    #[must_use]
    pub fn stride(&self) -> usize {
        self.width * self.channels
    }

    /// One row of interleaved pixels.
    #[must_use]
    pub fn row(&self, y: usize) -> &'a [u8] {
        let s = self.stride();
        &self.data[y * s..(y + 1) * s]
    }
}

/// An owned C-contiguous `(height, width, channels)` uint8 image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageBuf {
    /// Pixels, row-major, channels interleaved.
    pub data: Vec<u8>,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Interleaved channels per pixel.
    pub channels: usize,
}

impl ImageBuf {
    /// A zero-filled image of the given shape.
    ///
    /// # Errors
    /// [`Error::InvalidImage`] for empty or oversized shapes, [`Error::Budget`] /
    /// [`Error::OutOfMemory`] when the buffer is over the limit or cannot be allocated.
    pub fn zeros(height: usize, width: usize, channels: usize) -> Result<Self> {
        check_shape(height, width, channels)?;
        let what = format!("image of shape ({height}, {width}, {channels})");
        Ok(Self {
            data: try_zeroed(height * width * channels, &what)?,
            height,
            width,
            channels,
        })
    }

    /// Borrows this image.
    #[must_use]
    pub fn view(&self) -> ImageRef<'_> {
        ImageRef {
            data: &self.data,
            height: self.height,
            width: self.width,
            channels: self.channels,
        }
    }
}

/// Checks that a shape is non-empty and within [`MAX_IMAGE_SIDE`], channels in 1..=4.
///
/// # Errors
/// [`Error::InvalidImage`] naming the shape.
pub fn check_shape(height: usize, width: usize, channels: usize) -> Result<()> {
    if height == 0 || width == 0 {
        return Err(Error::InvalidImage(format!(
            "image of shape ({height}, {width}, {channels}) is empty; both sides must be >= 1"
        )));
    }
    if height > MAX_IMAGE_SIDE || width > MAX_IMAGE_SIDE {
        return Err(Error::InvalidImage(format!(
            "image of shape ({height}, {width}, {channels}) exceeds the maximum side of {MAX_IMAGE_SIDE}"
        )));
    }
    if !(1..=4).contains(&channels) {
        return Err(Error::InvalidImage(format!(
            "image of shape ({height}, {width}, {channels}) has {channels} channels; 1, 3 or 4 are accepted"
        )));
    }
    Ok(())
}
