//! Pixel-copying helpers: rectangular crops and RGB conversion (alpha dropped, or
//! composited onto white in the arithmetic of one of transformers 5.x's code paths).

use super::error::{invalid_arg, Error, Result};
use super::image::{ImageBuf, ImageRef};

/// What RGB conversion does with a fourth (alpha) channel.
///
/// transformers <= 4.57 and Pillow's `convert("RGB")` drop it; transformers 5.x's
/// `convert_to_rgb` composites onto white, rounding one way on PIL images and NumPy arrays
/// and another in its torchvision backend on arrays and tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alpha {
    /// Ignored: RGB copied as it is.
    Drop,
    /// Onto white, rounded to nearest: Pillow's `Image.alpha_composite` over opaque white
    /// (8-bit fixed point), which for every (value, alpha) pair equals NumPy's float64
    /// `round(a/255 · v + (1 − a/255) · 255)` — 5.x on PIL images (both backends) and on
    /// arrays in the Pil backend.
    OverWhite,
    /// Onto white in float32, truncated: `v/255 · a/255 + (1 − a/255)` then times 255.999
    /// (torchvision's `to_dtype` both ways) — 5.x's torchvision backend on arrays/tensors.
    OverWhiteTorch,
}

impl Alpha {
    /// Every rule, in the order the Python API lists them.
    pub const ALL: [Alpha; 3] = [Alpha::Drop, Alpha::OverWhite, Alpha::OverWhiteTorch];

    /// The name used by the Python API.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Alpha::Drop => "drop",
            Alpha::OverWhite => "white",
            Alpha::OverWhiteTorch => "white_torch",
        }
    }

    /// Parses `"drop"`, `"white"` or `"white_torch"`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] listing the accepted names.
    pub fn parse(name: &str) -> Result<Self> {
        match Self::ALL.into_iter().find(|a| a.name() == name) {
            Some(a) => Ok(a),
            None => invalid_arg!("unknown alpha rule {name:?}; accepted: drop, white, white_torch"),
        }
    }

    /// One channel value `v` with alpha `a`, converted by this rule.
    #[must_use]
    pub fn blend(self, v: u8, a: u8) -> u8 {
        match self {
            Alpha::Drop => v,
            Alpha::OverWhite => {
                // Pillow's coefficients over opaque white reduce to a·128 and (255 − a)·128;
                // its division by 255 is ((x >> 8) + x) >> 8 after adding a half.
                let (v, a) = (u32::from(v), u32::from(a));
                let x = (v * a + 255 * (255 - a)) * 128 + (0x80 << 7);
                ((((x >> 8) + x) >> 8) >> 7) as u8
            }
            Alpha::OverWhiteTorch => {
                let scale = (1.0f64 / 255.0) as f32;
                let (x, alpha) = (f32::from(v) * scale, f32::from(a) * scale);
                ((x * alpha + (1.0 - alpha)) * 255.999_f32) as u8
            }
        }
    }
}

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
    to_rgb_with(src, Alpha::Drop)
}

/// As [`to_rgb`], with RGBA converted by `alpha`.
///
/// # Errors
/// [`Error::InvalidImage`] for 2-channel images.
pub fn to_rgb_with(src: &ImageRef<'_>, alpha: Alpha) -> Result<ImageBuf> {
    let c = src.channels;
    let mut out = ImageBuf::zeros(src.height, src.width, 3)?;
    match c {
        1 => {
            for (px, &v) in out.data.chunks_exact_mut(3).zip(src.data) {
                px.fill(v);
            }
        }
        3 => out.data.copy_from_slice(src.data),
        4 if alpha == Alpha::Drop => {
            for (px, s) in out.data.chunks_exact_mut(3).zip(src.data.chunks_exact(4)) {
                px.copy_from_slice(&s[..3]);
            }
        }
        4 => {
            for (px, s) in out.data.chunks_exact_mut(3).zip(src.data.chunks_exact(4)) {
                for (d, &v) in px.iter_mut().zip(&s[..3]) {
                    *d = alpha.blend(v, s[3]);
                }
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

    #[test]
    fn every_rule_keeps_opaque_pixels_and_whitens_transparent_ones() {
        for rule in Alpha::ALL {
            assert_eq!(Alpha::parse(rule.name()).unwrap(), rule);
            for v in 0..=255u8 {
                assert_eq!(rule.blend(v, 255), v, "{rule:?} v={v}");
                if rule != Alpha::Drop {
                    assert_eq!(rule.blend(v, 0), 255, "{rule:?} v={v}");
                }
            }
        }
        assert!(Alpha::parse("blend").is_err());
        // rounding against truncation (values measured with Pillow 13 and torch 2.15)
        let nearly_clear: Vec<u8> = Alpha::ALL.iter().map(|r| r.blend(37, 1)).collect();
        assert_eq!(nearly_clear, vec![37, 254, 255]);
        let a = ImageRef::new(&[0, 100, 255, 128], 1, 1, 4).unwrap();
        let got = to_rgb_with(&a, Alpha::OverWhite).unwrap().data;
        assert_eq!(got, vec![127, 177, 255]);
    }
}
