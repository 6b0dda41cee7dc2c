//! JPEG and PNG bytes → RGB pixels, as close to Pillow's `Image.open(f).convert("RGB")` as
//! the decoders allow (feature `decode`).
//!
//! - PNG (zune-png, then our own channel conversion): identical to Pillow 13 for every
//!   colour type and bit depth, including its quirks: 16-bit samples keep the high byte,
//!   except 16-bit grayscale, which Pillow opens as `I;16` and converts by clipping at 255;
//!   alpha and transparency are dropped; palettes expand.
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

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_core::result::DecodingResult;

use super::error::{try_with_capacity, Error, Result};

/// Pillow's decompression-bomb limit (`2 * Image.MAX_IMAGE_PIXELS`): larger images are refused.
pub const MAX_PIXELS: u64 = 2 * 89_478_485;

/// A decoded image: `height * width * 3` bytes of RGB, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgb {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// `height * width * 3` interleaved RGB bytes.
    pub data: Vec<u8>,
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidImage(msg.into())
}

/// How strictly [`decode_with`] treats damaged files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Decode truncated files, filling what is missing (Pillow's `LOAD_TRUNCATED_IMAGES`);
    /// by default they are refused.
    pub allow_truncated: bool,
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
        decode_jpeg(data, options)
    } else if data.starts_with(PNG_SIGNATURE) {
        decode_png(data, options)
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

fn check_size(kind: &str, width: usize, height: usize) -> Result<()> {
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

/// What the marker walk of a JPEG found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct JpegLayout {
    /// `(width, height)` of the first frame header, if any.
    frame: Option<(usize, usize)>,
    /// Entropy-coded bytes over all scans.
    scan_bytes: usize,
    /// Whether the end-of-image marker was reached.
    complete: bool,
}

fn truncated(kind: &str, why: &str) -> Error {
    invalid(format!(
        "truncated {kind}: {why} (pass allow_truncated=True to decode what is there)"
    ))
}

/// Walks the marker segments of a JPEG: every segment must fit in the data and every
/// scan must end at a marker; stops at the end-of-image marker.
fn jpeg_layout(data: &[u8]) -> Result<JpegLayout> {
    let mut layout = JpegLayout {
        frame: None,
        scan_bytes: 0,
        complete: false,
    };
    let mut pos = 2; // after SOI
    loop {
        // Bytes before a marker are skipped (libjpeg warns and does the same).
        while pos < data.len() && data[pos] != 0xFF {
            pos += 1;
        }
        while pos < data.len() && data[pos] == 0xFF {
            pos += 1;
        }
        let Some(&marker) = data.get(pos) else {
            return Ok(layout);
        };
        pos += 1;
        match marker {
            0xD9 => {
                layout.complete = true;
                return Ok(layout);
            }
            0x01 | 0xD0..=0xD7 => continue,
            0x00 | 0xD8 => {
                return Err(invalid(format!(
                    "corrupt JPEG: unexpected marker 0xFF{marker:02X} at byte {}",
                    pos - 2
                )))
            }
            _ => {}
        }
        let Some(len) = data.get(pos..pos + 2) else {
            return Ok(layout);
        };
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if len < 2 {
            return Err(invalid(format!(
                "corrupt JPEG: marker 0xFF{marker:02X} has a segment length of {len}"
            )));
        }
        let Some(body) = data.get(pos + 2..pos + len) else {
            return Ok(layout);
        };
        pos += len;
        let is_frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame && layout.frame.is_none() && body.len() >= 5 {
            let height = usize::from(u16::from_be_bytes([body[1], body[2]]));
            let width = usize::from(u16::from_be_bytes([body[3], body[4]]));
            layout.frame = Some((width, height));
        }
        if marker == 0xDA {
            let start = pos;
            loop {
                match data.get(pos..pos + 2) {
                    None => return Ok(layout),
                    Some([0xFF, 0x00 | 0xD0..=0xD7]) => pos += 2,
                    Some([0xFF, 0xFF]) => pos += 1,
                    Some([0xFF, _]) => break,
                    Some(_) => pos += 1,
                }
            }
            layout.scan_bytes += pos - start;
        }
    }
}

/// Refuses a JPEG whose scans are too short for its frame: a Huffman-coded JPEG spends at
/// least one bit on every 8 x 8 block of its largest component.
fn check_jpeg_density(width: usize, height: usize, scan_bytes: usize) -> Result<()> {
    let blocks = width.div_ceil(8) * height.div_ceil(8);
    let need = blocks.div_ceil(8);
    if scan_bytes < need {
        return Err(truncated(
            "JPEG",
            &format!(
                "its scans hold {scan_bytes} bytes; a {width}x{height} frame needs at least \
                 {need} (one bit per 8x8 block)"
            ),
        ));
    }
    Ok(())
}

fn decode_jpeg(data: &[u8], opts: DecodeOptions) -> Result<Rgb> {
    let layout = jpeg_layout(data)?;
    if !opts.allow_truncated {
        if !layout.complete {
            return Err(truncated(
                "JPEG",
                "the data ends before the end-of-image marker",
            ));
        }
        if let Some((width, height)) = layout.frame {
            check_size("JPEG", width, height)?;
            check_jpeg_density(width, height, layout.scan_bytes)?;
        }
    }
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::RGB)
        .set_strict_mode(!opts.allow_truncated)
        .set_max_width(1 << 16)
        .set_max_height(1 << 16);
    let mut d = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(data), options);
    d.decode_headers()
        .map_err(|e| invalid(format!("corrupt or unsupported JPEG: {e:?}")))?;
    let (width, height) = d
        .dimensions()
        .ok_or_else(|| invalid("corrupt JPEG: no frame header"))?;
    check_size("JPEG", width, height)?;
    match d.input_colorspace() {
        Some(ColorSpace::CMYK | ColorSpace::YCCK) => {
            return Err(invalid(
                "CMYK/YCCK JPEGs are not supported; decode them with Pillow",
            ))
        }
        Some(ColorSpace::YCbCr | ColorSpace::RGB | ColorSpace::Luma) => {}
        other => {
            return Err(invalid(format!(
                "unsupported JPEG colour space {other:?}; accepted: YCbCr, RGB, grayscale"
            )))
        }
    }
    let pixels = d
        .decode()
        .map_err(|e| invalid(format!("corrupt or truncated JPEG: {e:?}")))?;
    if pixels.len() != width * height * 3 {
        return Err(invalid(format!(
            "corrupt JPEG: decoded {} bytes for {width}x{height} RGB",
            pixels.len()
        )));
    }
    Ok(Rgb {
        height,
        width,
        data: pixels,
    })
}

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

fn decode_png(data: &[u8], opts: DecodeOptions) -> Result<Rgb> {
    let layout = png_layout(data)?;
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
    let rgb = match decoded {
        DecodingResult::U8(v) if v.len() == n * channels => to_rgb(&v, channels, |x| x)?,
        DecodingResult::U16(v) if gray16 && v.len() == n * channels => {
            to_rgb(&v, channels, |x| x.min(255) as u8)?
        }
        _ => {
            return Err(invalid(format!(
                "corrupt PNG: unexpected sample layout for {width}x{height}, {channels} channels"
            )))
        }
    };
    Ok(Rgb {
        height,
        width,
        data: rgb,
    })
}

/// Gray (+alpha) replicated to RGB, RGB(A) copied, alpha dropped.
fn to_rgb<T: Copy>(samples: &[T], channels: usize, to_u8: impl Fn(T) -> u8) -> Result<Vec<u8>> {
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
        assert_eq!(rgba.data, vec![1, 2, 3]);
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
    }
}
