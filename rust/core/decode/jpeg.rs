//! JPEG: a marker walk that checks the file's structure the way libjpeg does (so what
//! Pillow refuses is refused here), then zune-jpeg for the pixels.

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;

use super::{check_size, invalid, truncated, DecodeOptions, Rgb};
use crate::core::error::Result;

/// libjpeg's `JPEG_MAX_DIMENSION`: larger frames are refused.
const MAX_SIDE: usize = 65_500;

/// What the marker walk of a JPEG found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct JpegLayout {
    /// `(width, height)` of the frame header, if one was read.
    frame: Option<(usize, usize)>,
    /// Component ids of the frame.
    components: Vec<u8>,
    /// Progressive (SOF2) frame.
    progressive: bool,
    /// Scans seen so far, and whether a sequential scan covered every component.
    scans: usize,
    complete_sequential_scan: bool,
    /// Entropy-coded bytes over all scans.
    scan_bytes: usize,
    /// Whether the end-of-image marker was reached.
    complete: bool,
}

fn corrupt(what: std::fmt::Arguments<'_>) -> crate::core::Error {
    invalid(format!("corrupt JPEG: {what}"))
}

/// A frame header (SOF): libjpeg refuses a second one, a wrong length, an empty size and
/// sampling factors outside 1..=4.
fn read_frame(l: &mut JpegLayout, marker: u8, body: &[u8]) -> Result<()> {
    if l.frame.is_some() {
        return Err(corrupt(format_args!("a second frame header (SOF)")));
    }
    let n = usize::from(*body.get(5).unwrap_or(&0));
    if body.len() < 6 || body.len() != 6 + 3 * n || n == 0 {
        return Err(corrupt(format_args!(
            "a frame header of {} bytes for {n} components",
            body.len()
        )));
    }
    if body[0] != 8 {
        return Err(invalid(format!(
            "unsupported JPEG: {}-bit samples; accepted: 8-bit",
            body[0]
        )));
    }
    let height = usize::from(u16::from_be_bytes([body[1], body[2]]));
    let width = usize::from(u16::from_be_bytes([body[3], body[4]]));
    if height == 0 || width == 0 {
        return Err(corrupt(format_args!("an empty frame of {width}x{height}")));
    }
    if height > MAX_SIDE || width > MAX_SIDE {
        return Err(invalid(format!(
            "unsupported JPEG: a {width}x{height} frame; libjpeg (and so Pillow) accepts at \
             most {MAX_SIDE} pixels per side"
        )));
    }
    for c in body[6..].chunks_exact(3) {
        let (h, v) = (c[1] >> 4, c[1] & 15);
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
            return Err(corrupt(format_args!(
                "sampling factors {h}x{v}; accepted: 1 to 4"
            )));
        }
    }
    check_integral_sampling(&body[6..])?;
    l.frame = Some((width, height));
    l.components = body[6..].chunks_exact(3).map(|c| c[0]).collect();
    l.progressive = marker == 0xC2;
    Ok(())
}

/// libjpeg upsamples a component only by whole factors: the largest horizontal and
/// vertical sampling factors of the frame must be multiples of every component's own
/// (`JERR_FRACT_SAMPLE_NOTIMPL`, raised before any scan is read, so Pillow refuses such a
/// file even with `LOAD_TRUNCATED_IMAGES`). zune-jpeg would decode it to a wrong picture.
/// `components` holds the frame's 3-byte component specifications.
fn check_integral_sampling(components: &[u8]) -> Result<()> {
    let factors = || {
        components
            .chunks_exact(3)
            .map(|c| (c[0], c[1] >> 4, c[1] & 15))
    };
    let max_h = factors().map(|(_, h, _)| h).max().unwrap_or(1);
    let max_v = factors().map(|(_, _, v)| v).max().unwrap_or(1);
    for (id, h, v) in factors() {
        if max_h % h != 0 || max_v % v != 0 {
            return Err(invalid(format!(
                "unsupported JPEG: component {id} has sampling factors {h}x{v}, which do not \
                 divide the frame's largest ({max_h}x{max_v}); libjpeg (and so Pillow) \
                 accepts only whole upsampling ratios"
            )));
        }
    }
    Ok(())
}

/// A scan header (SOS): libjpeg refuses it before the frame, with a wrong length, unknown
/// components, impossible spectral-selection / successive-approximation parameters, and
/// after a sequential scan that already held every component.
fn read_scan(l: &mut JpegLayout, body: &[u8]) -> Result<()> {
    if l.frame.is_none() {
        return Err(corrupt(format_args!("a scan before the frame header")));
    }
    if l.complete_sequential_scan {
        return Err(corrupt(format_args!(
            "a second scan after one that held every component (end of image expected)"
        )));
    }
    let n = usize::from(*body.first().unwrap_or(&0));
    if n == 0 || n > 4 || n > l.components.len() || body.len() != 4 + 2 * n {
        return Err(corrupt(format_args!(
            "a scan header of {} bytes for {n} components",
            body.len()
        )));
    }
    let ids: Vec<u8> = body[1..1 + 2 * n].chunks_exact(2).map(|c| c[0]).collect();
    for (i, &id) in ids.iter().enumerate() {
        if ids[..i].contains(&id) {
            return Err(corrupt(format_args!(
                "a scan that lists component {id} twice"
            )));
        }
    }
    for c in body[1..1 + 2 * n].chunks_exact(2) {
        if !l.components.contains(&c[0]) {
            return Err(corrupt(format_args!(
                "a scan of component {}, which the frame does not have",
                c[0]
            )));
        }
    }
    let (ss, se, ah, al) = (
        body[1 + 2 * n],
        body[2 + 2 * n],
        body[3 + 2 * n] >> 4,
        body[3 + 2 * n] & 15,
    );
    if l.progressive {
        let dc = ss == 0;
        let bad_band = if dc {
            se != 0
        } else {
            se < ss || se > 63 || n != 1
        };
        if bad_band || (ah != 0 && al + 1 != ah) || al > 13 {
            return Err(corrupt(format_args!(
                "a progressive scan with Ss={ss}, Se={se}, Ah={ah}, Al={al}"
            )));
        }
    } else if n == l.components.len() {
        l.complete_sequential_scan = true;
    }
    l.scans += 1;
    Ok(())
}

/// Huffman tables (DHT): class 0/1, id 0..=3, at most 256 symbols whose canonical codes
/// fit their lengths, and exactly the declared length (libjpeg's checks).
fn read_huffman(body: &[u8]) -> Result<()> {
    let mut rest = body;
    while !rest.is_empty() {
        let (class, id) = (rest[0] >> 4, rest[0] & 15);
        if class > 1 || id > 3 || rest.len() < 17 {
            return Err(corrupt(format_args!(
                "a Huffman table header {:#04x}",
                rest[0]
            )));
        }
        let counts = &rest[1..17];
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total > 256 || rest.len() < 17 + total {
            return Err(corrupt(format_args!("a Huffman table of {total} symbols")));
        }
        // Canonical codes: after each length that still has symbols to place, the next
        // code must fit in that many bits (no code may be all ones).
        let (mut code, mut left) = (0u32, total);
        for (bits, &count) in (1u32..).zip(counts) {
            if left == 0 {
                break;
            }
            code += u32::from(count);
            left -= usize::from(count);
            if code >= 1 << bits {
                return Err(corrupt(format_args!("a Huffman table with too many codes")));
            }
            code <<= 1;
        }
        if class == 0 && rest[17..17 + total].iter().any(|&v| v > 15) {
            return Err(corrupt(format_args!(
                "a DC Huffman table with a symbol over 15"
            )));
        }
        rest = &rest[17 + total..];
    }
    Ok(())
}

/// Quantisation tables (DQT): id 0..=3, 8- or 16-bit, exactly the declared length.
fn read_quant(body: &[u8]) -> Result<()> {
    let mut rest = body;
    while !rest.is_empty() {
        let (precision, id) = (rest[0] >> 4, rest[0] & 15);
        let size = 1 + 64 * (1 + usize::from(precision));
        if precision > 1 || id > 3 || rest.len() < size {
            return Err(corrupt(format_args!(
                "a quantisation table header {:#04x}",
                rest[0]
            )));
        }
        rest = &rest[size..];
    }
    Ok(())
}

/// Walks the marker segments of a JPEG with libjpeg's structural checks: every segment
/// must fit in the data, be one libjpeg knows, and be well formed; every scan must end at
/// a marker. Stops at the end-of-image marker; running out of data first leaves
/// `complete` false.
fn jpeg_layout(data: &[u8]) -> Result<JpegLayout> {
    let mut l = JpegLayout::default();
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
            return Ok(l);
        };
        pos += 1;
        match marker {
            0xD9 => {
                l.complete = true;
                return Ok(l);
            }
            // A stuffed zero (0xFF00) between segments is skipped like other stray bytes.
            0x00 | 0x01 | 0xD0..=0xD7 => continue,
            0xC0..=0xCF | 0xDA..=0xDD | 0xE0..=0xEF | 0xFE => {}
            _ => {
                return Err(corrupt(format_args!(
                    "unknown marker 0xFF{marker:02X} at byte {}",
                    pos - 2
                )))
            }
        }
        let Some(len) = data.get(pos..pos + 2) else {
            return Ok(l);
        };
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if len < 2 {
            return Err(corrupt(format_args!(
                "marker 0xFF{marker:02X} has a segment length of {len}"
            )));
        }
        let Some(body) = data.get(pos + 2..pos + len) else {
            return Ok(l);
        };
        pos += len;
        match marker {
            0xC4 => read_huffman(body)?,
            0xDB => read_quant(body)?,
            0xDD if body.len() != 2 => {
                return Err(corrupt(format_args!(
                    "a restart interval of {} bytes",
                    body.len()
                )))
            }
            0xC8 | 0xCC => {
                return Err(invalid(
                    "unsupported JPEG: arithmetic coding or a JPG extension",
                ))
            }
            0xC0..=0xCF => read_frame(&mut l, marker, body)?,
            0xDA => {
                read_scan(&mut l, body)?;
                let start = pos;
                loop {
                    match data.get(pos..pos + 2) {
                        None => return Ok(l),
                        Some([0xFF, 0x00 | 0xD0..=0xD7]) => pos += 2,
                        Some([0xFF, 0xFF]) => pos += 1,
                        Some([0xFF, _]) => break,
                        Some(_) => pos += 1,
                    }
                }
                l.scan_bytes += pos - start;
            }
            _ => {}
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

pub(super) fn decode(data: &[u8], opts: DecodeOptions) -> Result<Rgb> {
    let layout = jpeg_layout(data)?;
    if layout.scans == 0 && layout.complete {
        return Err(corrupt(format_args!("no scan before the end of the image")));
    }
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
        channels: 3,
        data: pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, marker];
        out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    /// SOI, one gray frame of `width x height`, one scan with `scan` entropy bytes, EOI.
    fn gray_jpeg(width: u16, height: u16, scan: usize) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        let mut sof = vec![8];
        sof.extend_from_slice(&height.to_be_bytes());
        sof.extend_from_slice(&width.to_be_bytes());
        sof.extend_from_slice(&[1, 1, 0x11, 0]);
        out.extend(segment(0xC0, &sof));
        out.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        out.extend(std::iter::repeat_n(0x55, scan));
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }

    #[test]
    fn the_walk_reads_frames_scans_and_the_end() {
        let l = jpeg_layout(&gray_jpeg(16, 8, 10)).unwrap();
        assert_eq!(
            (l.frame, l.scans, l.scan_bytes, l.complete),
            (Some((16, 8)), 1, 10, true)
        );
        let cut = gray_jpeg(16, 8, 10);
        assert!(!jpeg_layout(&cut[..cut.len() - 2]).unwrap().complete);
    }

    #[test]
    fn a_tiny_file_claiming_a_huge_frame_is_refused_before_decoding() {
        let bomb = gray_jpeg(2730, 65500, 600);
        let err = decode(&bomb, DecodeOptions::default()).unwrap_err();
        assert!(err.to_string().contains("truncated JPEG"), "{err}");
        assert!(check_jpeg_density(2730, 65535, 350_208).is_ok());
        assert!(check_jpeg_density(2730, 65535, 350_207).is_err());
    }

    #[test]
    fn what_libjpeg_refuses_is_refused() {
        let good = gray_jpeg(16, 8, 10);
        let mut twice = good[..good.len() - 2].to_vec();
        twice.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        twice.extend_from_slice(&[0x55, 0xFF, 0xD9]);
        let mut unknown = good.clone();
        unknown.splice(2..2, segment(0x5A, &[0; 4]));
        let mut second_frame = good.clone();
        second_frame.splice(2..2, good[2..15].to_vec());
        let mut bad_component = good.clone();
        bad_component[20] = 9; // the scan names component 9
        for (what, data) in [
            ("second scan", twice),
            ("unknown marker", unknown),
            ("second frame", second_frame),
            ("component 9", bad_component),
        ] {
            let err = jpeg_layout(&data).unwrap_err();
            assert!(err.to_string().starts_with("corrupt JPEG"), "{what}: {err}");
        }
        assert!(
            read_huffman(&[0x00, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]).is_err()
        );
        assert!(
            read_huffman(&[0x00, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 16]).is_err()
        );
        assert!(check_integral_sampling(&[1, 0x22, 0, 2, 0x13, 0, 3, 0x11, 0]).is_err());
        assert!(check_integral_sampling(&[1, 0x42, 0, 2, 0x21, 0, 3, 0x11, 0]).is_ok());
        assert!(
            read_huffman(&[0x10, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 16]).is_ok()
        );
    }
}
