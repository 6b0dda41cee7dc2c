//! PNG: a chunk walk (IHDR fields, completeness, data size), then zune-png and Pillow's
//! channel conversion.

use zune_core::bytestream::ZCursor;
use zune_core::options::DecoderOptions;
use zune_core::result::DecodingResult;

use super::{check_size, invalid, to_rgb, to_rgba, truncated, DecodeOptions, Rgb, PNG_SIGNATURE};
use crate::core::error::Result;

/// What the chunk walk of a PNG found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PngLayout {
    width: usize,
    height: usize,
    depth: u8,
    color_type: u8,
    /// Bytes of compressed image data (all IDAT chunks).
    idat_bytes: usize,
    /// Whether the IEND chunk was reached.
    complete: bool,
    /// Where the last whole chunk ends.
    whole: usize,
    /// The raw 16-bit colour key of a grayscale image's tRNS chunk.
    gray_key: Option<u16>,
}

/// Reads IHDR (the decoder hides bit depth and colour type) and walks the chunks: every
/// chunk must fit in the data; stops at IEND.
fn png_layout(data: &[u8]) -> Result<PngLayout> {
    if data.len() < 33 || &data[12..16] != b"IHDR" {
        return Err(invalid("corrupt PNG: no IHDR chunk after the signature"));
    }
    let be32 = |at: usize| u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
    let mut layout = PngLayout {
        width: be32(16) as usize,
        height: be32(20) as usize,
        depth: data[24],
        color_type: data[25],
        idat_bytes: 0,
        complete: false,
        whole: PNG_SIGNATURE.len(),
        gray_key: None,
    };
    let mut pos = PNG_SIGNATURE.len();
    while pos + 8 <= data.len() {
        let len = be32(pos) as usize;
        let kind = &data[pos + 4..pos + 8];
        // Length, type, body, CRC.
        let Some(end) = (pos + 12).checked_add(len).filter(|&e| e <= data.len()) else {
            break;
        };
        if kind == b"IDAT" {
            layout.idat_bytes += len;
        }
        if kind == b"tRNS" && layout.color_type == 0 && len >= 2 {
            layout.gray_key = Some(u16::from_be_bytes([data[pos + 8], data[pos + 9]]));
        }
        layout.whole = end;
        if kind == b"IEND" {
            layout.complete = true;
            break;
        }
        pos = end;
    }
    Ok(layout)
}

/// Refuses a PNG whose compressed data is too short for its header: deflate expands at
/// most 1032-fold (a 258-byte match coded in two bits), so the filtered rows of a
/// `width x height` image need at least `rows_bytes / 1032` compressed bytes.
fn check_png_density(l: &PngLayout) -> Result<()> {
    let samples: u64 = match l.color_type {
        2 => 3,
        4 => 2,
        6 => 4,
        _ => 1,
    };
    let row_bits = l.width as u64 * samples * u64::from(l.depth);
    let rows_bytes = l.height as u64 * (1 + row_bits.div_ceil(8));
    let need = rows_bytes / 1032;
    if (l.idat_bytes as u64) < need {
        return Err(truncated(
            "PNG",
            &format!(
                "its image data holds {} bytes; a {}x{} image needs at least {need}",
                l.idat_bytes, l.width, l.height
            ),
        ));
    }
    Ok(())
}

/// The IEND chunk (empty body, its CRC).
const IEND: &[u8] = b"\0\0\0\0IEND\xAE\x42\x60\x82";

pub(super) fn decode(data: &[u8], opts: DecodeOptions) -> Result<Rgb> {
    let layout = png_layout(data)?;
    if opts.allow_truncated && !layout.complete {
        // Whole chunks, then the end: what a truncated file still holds.
        let mut whole = data[..layout.whole].to_vec();
        whole.extend_from_slice(IEND);
        return decode(&whole, opts);
    }
    let (depth, color_type) = (layout.depth, layout.color_type);
    if !opts.allow_truncated {
        if !layout.complete {
            return Err(truncated("PNG", "the data ends before the IEND chunk"));
        }
        check_size("PNG", layout.width, layout.height)?;
        check_png_density(&layout)?;
    }
    // Pillow opens 16-bit grayscale as I;16 and clips to 255 in convert("RGB");
    // every other 16-bit layout keeps the high byte (what strip-to-8-bit does).
    let gray16 = depth == 16 && color_type == 0;
    let options = DecoderOptions::default()
        .png_set_strip_to_8bit(!gray16)
        .png_set_confirm_crc(!opts.allow_truncated)
        .inflate_set_confirm_adler(!opts.allow_truncated)
        .set_max_width(1 << 24)
        .set_max_height(1 << 24);
    let mut d = zune_png::PngDecoder::new_with_options(ZCursor::new(data), options);
    d.decode_headers()
        .map_err(|e| invalid(format!("corrupt or unsupported PNG: {e:?}")))?;
    let (width, height) = d
        .dimensions()
        .ok_or_else(|| invalid("corrupt PNG: no image header"))?;
    check_size("PNG", width, height)?;
    let channels = d
        .colorspace()
        .ok_or_else(|| invalid("corrupt PNG: no colour type"))?
        .num_components();
    let decoded = d
        .decode()
        .map_err(|e| invalid(format!("corrupt or truncated PNG: {e:?}")))?;
    let n = width * height;
    // Gray + alpha (2) and RGBA (4) samples: the file had an alpha channel or a tRNS chunk.
    let rgba = opts.keep_alpha && channels % 2 == 0;
    let rgb = match decoded {
        DecodingResult::U8(v) if v.len() == n * channels => {
            if rgba {
                to_rgba(&v, channels, |x| x)?
            } else {
                to_rgb(&v, channels, |x| x)?
            }
        }
        DecodingResult::U16(v) if gray16 && v.len() == n * channels => {
            let clip = |x: u16| x.min(255) as u8;
            if rgba {
                to_rgba(&v, channels, clip)?
            } else {
                to_rgb(&v, channels, clip)?
            }
        }
        _ => {
            return Err(invalid(format!(
                "corrupt PNG: unexpected sample layout for {width}x{height}, {channels} channels"
            )))
        }
    };
    let mut rgb = rgb;
    if let (true, true, Some(key)) = (rgba, depth < 8, layout.gray_key) {
        // 1-bit images open as mode "1", whose key Pillow scales to 0 / 255 itself.
        let key = if depth == 1 && key != 0 { 255 } else { key };
        pillow_low_bit_key(&mut rgb, key);
    }
    Ok(Rgb {
        height,
        width,
        channels: if rgba { 4 } else { 3 },
        data: rgb,
    })
}

/// Pillow's transparency for 2/4-bit grayscale: it compares the *raw* key of the tRNS
/// chunk with the samples scaled to 0..255, so a pixel is transparent only where its
/// scaled value equals the key (the decoder compared raw samples).
fn pillow_low_bit_key(rgba: &mut [u8], key: u16) {
    for px in rgba.chunks_exact_mut(4) {
        px[3] = if u16::from(px[0]) == key { 0 } else { 255 };
    }
}
