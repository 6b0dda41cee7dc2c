//! JPEG and PNG bytes → RGB pixels, as close to Pillow's `Image.open(f).convert("RGB")` as
//! the decoders allow (feature `decode`).
//!
//! - PNG (zune-png, then our own channel conversion): identical to Pillow 13 for every
//!   colour type and bit depth, including its quirks: 16-bit samples keep the high byte,
//!   except 16-bit grayscale, which Pillow opens as `I;16` and converts by clipping at 255;
//!   alpha and transparency are dropped, or kept as RGBA with
//!   [`DecodeOptions::keep_alpha`] (Pillow's `convert("RGBA")`); palettes expand.
//! - JPEG (zune-jpeg): Pillow uses libjpeg-turbo's ISLOW IDCT and "fancy" chroma
//!   upsampling; zune-jpeg's IDCT and upsampling round differently, so pixels differ by a
//!   few levels (measured bounds in `dynres_fast.io.decode`'s docstring). CMYK/YCCK JPEGs
//!   are refused (Pillow converts them with its own Adobe-inversion rule).
//!
//! Every malformed, truncated or unsupported input is an [`Error::InvalidImage`]. Before
//! anything is decoded, the file's structure is walked ([`jpeg_layout`], [`png_layout`]):
//! a JPEG must reach its end-of-image marker and a PNG its IEND chunk, and the compressed
//! data must be large enough for the size the header claims (a JPEG spends at least one
//! bit per 8 x 8 block, deflate expands at most 1032-fold), so a tiny file claiming a huge
//! frame is refused before its pixels are allocated. [`DecodeOptions::allow_truncated`]
//! (Pillow's `ImageFile.LOAD_TRUNCATED_IMAGES`) skips those two checks and fills what is
//! missing.

mod jpeg;
mod png;

use super::error::{try_with_capacity, Error, Result};

/// Pillow's decompression-bomb limit (`2 * Image.MAX_IMAGE_PIXELS`): larger images are refused.
pub const MAX_PIXELS: u64 = 2 * 89_478_485;

/// A decoded image: `height * width * channels` bytes of RGB (or RGBA), row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgb {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// 3 (RGB), or 4 (RGBA) for a file with transparency decoded with
    /// [`DecodeOptions::keep_alpha`].
    pub channels: usize,
    /// `height * width * channels` interleaved bytes.
    pub data: Vec<u8>,
}

pub(crate) const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

pub(crate) fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidImage(msg.into())
}

/// How strictly [`decode_with`] treats damaged files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Decode truncated files, filling what is missing (Pillow's `LOAD_TRUNCATED_IMAGES`);
    /// by default they are refused.
    pub allow_truncated: bool,
    /// Return RGBA when the file has transparency (an alpha channel or a `tRNS` chunk), as
    /// Pillow's `convert("RGBA")` gives it, so a caller can composite it (transformers
    /// 5.x puts transparent images onto white); by default alpha is dropped.
    pub keep_alpha: bool,
}

/// Decodes JPEG or PNG bytes (sniffed from the first bytes) to RGB, refusing truncated
/// files.
///
/// # Errors
/// [`Error::InvalidImage`] for empty, unknown, corrupt, truncated or unsupported data and
/// for images over [`MAX_PIXELS`].
pub fn decode(data: &[u8]) -> Result<Rgb> {
    decode_with(data, DecodeOptions::default())
}

/// [`decode`] with explicit options.
///
/// # Errors
/// As [`decode`]; with `allow_truncated`, truncation is no longer an error.
pub fn decode_with(data: &[u8], options: DecodeOptions) -> Result<Rgb> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg::decode(data, options)
    } else if data.starts_with(PNG_SIGNATURE) {
        png::decode(data, options)
    } else {
        let head: Vec<String> = data.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Err(invalid(format!(
            "unsupported or unrecognised image data ({} bytes starting {}); accepted: JPEG, PNG",
            data.len(),
            if head.is_empty() {
                "with nothing".to_string()
            } else {
                head.join(" ")
            }
        )))
    }
}

pub(crate) fn check_size(kind: &str, width: usize, height: usize) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(invalid(format!(
            "{kind} has an empty size {width}x{height}"
        )));
    }
    if (width as u64) * (height as u64) > MAX_PIXELS {
        return Err(invalid(format!(
            "{kind} of {width}x{height} pixels exceeds the {MAX_PIXELS}-pixel limit \
             (Pillow's decompression-bomb limit)"
        )));
    }
    Ok(())
}

/// The error for a truncated file, with the way out.
pub(crate) fn truncated(kind: &str, why: &str) -> Error {
    invalid(format!(
        "truncated {kind}: {why} (pass allow_truncated=True to decode what is there)"
    ))
}

/// Gray + alpha replicated to RGBA, RGBA copied (the samples of a file with alpha).
pub(crate) fn to_rgba<T: Copy>(
    samples: &[T],
    channels: usize,
    to_u8: impl Fn(T) -> u8,
) -> Result<Vec<u8>> {
    let mut out = try_with_capacity(samples.len() / channels * 4, "decoded RGBA image")?;
    for px in samples.chunks_exact(channels) {
        let (g, a) = (to_u8(px[0]), to_u8(px[channels - 1]));
        if channels == 2 {
            out.extend_from_slice(&[g, g, g, a]);
        } else {
            out.extend_from_slice(&[g, to_u8(px[1]), to_u8(px[2]), a]);
        }
    }
    Ok(out)
}

/// Gray (+alpha) replicated to RGB, RGB(A) copied, alpha dropped.
pub(crate) fn to_rgb<T: Copy>(
    samples: &[T],
    channels: usize,
    to_u8: impl Fn(T) -> u8,
) -> Result<Vec<u8>> {
    let mut out = try_with_capacity(samples.len() / channels * 3, "decoded RGB image")?;
    match channels {
        1 | 2 => {
            for px in samples.chunks_exact(channels) {
                let g = to_u8(px[0]);
                out.extend_from_slice(&[g, g, g]);
            }
        }
        _ => {
            for px in samples.chunks_exact(channels) {
                out.extend_from_slice(&[to_u8(px[0]), to_u8(px[1]), to_u8(px[2])]);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8], body: &[u8]) -> Vec<u8> {
        // CRC-32 (IEEE), bitwise: small and obviously right.
        let mut crc = 0xFFFF_FFFFu32;
        for &b in kind.iter().chain(body) {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        let mut out = (body.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out.extend_from_slice(&(!crc).to_be_bytes());
        out
    }

    /// A PNG with stored (uncompressed) deflate blocks: no compressor needed.
    fn png(width: u32, height: u32, depth: u8, color: u8, rows: &[Vec<u8>]) -> Vec<u8> {
        let mut raw = Vec::new();
        for r in rows {
            raw.push(0);
            raw.extend_from_slice(r);
        }
        let mut z = vec![0x78, 0x01, 1];
        z.extend_from_slice(&(raw.len() as u16).to_le_bytes());
        z.extend_from_slice(&(!(raw.len() as u16)).to_le_bytes());
        z.extend_from_slice(&raw);
        let (mut a, mut b) = (1u32, 0u32);
        for &x in &raw {
            a = (a + u32::from(x)) % 65521;
            b = (b + a) % 65521;
        }
        z.extend_from_slice(&((b << 16) | a).to_be_bytes());
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[depth, color, 0, 0, 0]);
        let mut out = PNG_SIGNATURE.to_vec();
        out.extend(chunk(b"IHDR", &ihdr));
        out.extend(chunk(b"IDAT", &z));
        out.extend(chunk(b"IEND", b""));
        out
    }

    #[test]
    fn png_layouts_follow_pillow() {
        let g = decode(&png(2, 1, 8, 0, &[vec![7, 200]])).unwrap();
        assert_eq!(
            (g.height, g.width, g.data),
            (1, 2, vec![7, 7, 7, 200, 200, 200])
        );
        let rgba = decode(&png(1, 1, 8, 6, &[vec![1, 2, 3, 4]])).unwrap();
        assert_eq!((rgba.channels, rgba.data), (3, vec![1, 2, 3]));
        let keep = DecodeOptions {
            keep_alpha: true,
            ..DecodeOptions::default()
        };
        let rgba = decode_with(&png(1, 1, 8, 6, &[vec![1, 2, 3, 4]]), keep).unwrap();
        assert_eq!((rgba.channels, rgba.data), (4, vec![1, 2, 3, 4]));
        let la = decode_with(&png(1, 1, 8, 4, &[vec![9, 0]]), keep).unwrap();
        assert_eq!((la.channels, la.data), (4, vec![9, 9, 9, 0]));
        // Without transparency the file stays RGB.
        let rgb = decode_with(&png(1, 1, 8, 2, &[vec![1, 2, 3]]), keep).unwrap();
        assert_eq!((rgb.channels, rgb.data), (3, vec![1, 2, 3]));
        // 16-bit RGB keeps the high byte; 16-bit gray clips at 255 (Pillow's I;16 rule).
        let rgb16 = decode(&png(1, 1, 16, 2, &[vec![1, 2, 3, 4, 5, 6]])).unwrap();
        assert_eq!(rgb16.data, vec![1, 3, 5]);
        let g16 = decode(&png(2, 1, 16, 0, &[vec![0, 77, 1, 0]])).unwrap();
        assert_eq!(g16.data, vec![77, 77, 77, 255, 255, 255]);
    }

    #[test]
    fn refuses_bad_data() {
        for bad in [
            &b""[..],
            b"GIF89a",
            b"\xff\xd8\xff\xe0garbage",
            PNG_SIGNATURE,
        ] {
            assert!(matches!(decode(bad), Err(Error::InvalidImage(_))));
        }
        let good = png(2, 2, 8, 2, &[vec![9; 6], vec![9; 6]]);
        for cut in [20, 40, good.len() - 14] {
            assert!(matches!(decode(&good[..cut]), Err(Error::InvalidImage(_))));
        }
        let mut flipped = good.clone();
        flipped[45] ^= 0x55; // inside IDAT: CRC mismatch
        assert!(matches!(decode(&flipped), Err(Error::InvalidImage(_))));
        // Without IEND: truncated, unless truncation is allowed.
        let no_end = &good[..good.len() - 12];
        assert!(decode(no_end)
            .unwrap_err()
            .to_string()
            .contains("truncated PNG"));
        let opts = DecodeOptions {
            allow_truncated: true,
            ..DecodeOptions::default()
        };
        assert_eq!(decode_with(no_end, opts).unwrap(), decode(&good).unwrap());
    }

    #[test]
    fn a_png_header_larger_than_its_data_can_hold_is_refused() {
        // 13 bytes of IDAT cannot inflate to 10000 x 10000 RGB rows (deflate expands at
        // most 1032-fold).
        let mut bomb = png(2, 2, 8, 2, &[vec![9; 6], vec![9; 6]]);
        bomb[16..20].copy_from_slice(&10_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&10_000u32.to_be_bytes());
        let err = decode(&bomb).unwrap_err().to_string();
        assert!(
            err.contains("truncated PNG") && err.contains("10000x10000"),
            "{err}"
        );
    }
}
