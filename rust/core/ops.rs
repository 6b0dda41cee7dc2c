//! Pixel-copying helpers: rectangular crops and Pillow's `convert("RGB")` for arrays.

use super::error::{invalid_arg, Error, Result};
use super::image::{ImageBuf, ImageRef};

/// Copies the `height x width` rectangle whose top-left corner is `(top, left)`.
///
/// # Errors
/// [`Error::InvalidArgument`] when the rectangle is empty or leaves the image.
pub fn crop(
    src: &ImageRef<'_>,
    top: usize,
    left: usize,
    height: usize,
    width: usize,
) -> Result<ImageBuf> {
    if height == 0 || width == 0 {
        return invalid_arg!("crop of {height}x{width} is empty; both sides must be >= 1");
    }
    if top.checked_add(height).is_none_or(|b| b > src.height)
        || left.checked_add(width).is_none_or(|r| r > src.width)
    {
        return invalid_arg!(
            "crop (top={top}, left={left}, height={height}, width={width}) leaves the {}x{} \
             image: it needs top + height <= {} and left + width <= {}",
            src.height,
            src.width,
            src.height,
            src.width
        );
    }
    let c = src.channels;
    let mut out = ImageBuf::zeros(height, width, c)?;
    for (y, dst) in out.data.chunks_exact_mut(width * c).enumerate() {
        dst.copy_from_slice(&src.row(top + y)[left * c..(left + width) * c]);
    }
    Ok(out)
}

/// Three-channel copy: gray is replicated, RGB copied, RGBA loses its alpha (what
/// Pillow's `convert("RGB")` does for modes L, RGB and RGBA).
///
/// # Errors
/// [`Error::InvalidImage`] for 2-channel images.
pub fn to_rgb(src: &ImageRef<'_>) -> Result<ImageBuf> {
    let c = src.channels;
    let mut out = ImageBuf::zeros(src.height, src.width, 3)?;
    match c {
        1 => {
            for (px, &v) in out.data.chunks_exact_mut(3).zip(src.data) {
                px.fill(v);
            }
        }
        3 => out.data.copy_from_slice(src.data),
        4 => {
            for (px, s) in out.data.chunks_exact_mut(3).zip(src.data.chunks_exact(4)) {
                px.copy_from_slice(&s[..3]);
            }
        }
        _ => {
            return Err(Error::InvalidImage(format!(
                "image of shape ({}, {}, {c}) has {c} channels; to_rgb accepts 1, 3 or 4",
                src.height, src.width
            )))
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_copies_the_rectangle() {
        let data: Vec<u8> = (0..24).collect(); // 4x3x2
        let src = ImageRef::new(&data, 4, 3, 2).unwrap();
        let out = crop(&src, 1, 1, 2, 2).unwrap();
        assert_eq!(out.data, vec![8, 9, 10, 11, 14, 15, 16, 17]);
        assert!(crop(&src, 3, 0, 2, 1).is_err());
        assert!(crop(&src, 0, 0, 0, 1).is_err());
        assert!(crop(&src, usize::MAX, 0, 1, 1).is_err());
    }

    #[test]
    fn to_rgb_by_channel_count() {
        let g = ImageRef::new(&[5, 6], 1, 2, 1).unwrap();
        assert_eq!(to_rgb(&g).unwrap().data, vec![5, 5, 5, 6, 6, 6]);
        let a = ImageRef::new(&[1, 2, 3, 4], 1, 1, 4).unwrap();
        assert_eq!(to_rgb(&a).unwrap().data, vec![1, 2, 3]);
        let la = ImageRef::new(&[1, 2], 1, 1, 2).unwrap();
        assert!(to_rgb(&la).is_err());
    }
}
