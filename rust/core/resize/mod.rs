//! Pillow-exact 8-bit resize: NEAREST plus the five convolution filters; and
//! torchvision's uint8 antialiased bilinear / bicubic ([`Compat::Torchvision`]).
//!
//! Structure: [`coeffs`] builds one fixed-point weight table per axis ([`torchvision`]
//! builds torch's int16 table with its own precision); a pass
//! implementation ([`scalar`] reference, `avx2` fast path) applies it along rows or
//! columns with a uint8 intermediate; [`Compat`] decides the pass order; RGBA is
//! premultiplied around the passes like `Image.resize` does ([`alpha`]).
//!
//! Pass kernels are chosen at run time ([`Kernel::Auto`]: AVX2 when the CPU has it);
//! [`resize_with`] forces one so tests can prove the paths agree byte for byte.

pub mod alpha;
#[cfg(target_arch = "x86_64")]
mod avx2;
pub mod coeffs;
pub mod nearest;
pub mod rows;
pub mod scalar;
pub mod torchvision;

use super::error::{invalid_arg, try_zeroed, Error, Result};
use super::image::{ImageBuf, ImageRef, MAX_IMAGE_SIDE};
use super::par;
use coeffs::Coeffs;

/// A resampling filter, named as in `PIL.Image.Resampling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Filter {
    /// Pick the nearest source pixel (an affine scale in Pillow, no convolution).
    Nearest,
    /// Box (area average), support 0.5.
    Box,
    /// Triangle, support 1.
    Bilinear,
    /// Hamming-windowed sinc, support 1.
    Hamming,
    /// Keys cubic with a = -0.5, support 2 (Pillow's default).
    Bicubic,
    /// Lanczos-3 windowed sinc, support 3.
    Lanczos,
}

impl Filter {
    /// Every filter, in Pillow's enum order.
    pub const ALL: [Filter; 6] = [
        Filter::Nearest,
        Filter::Lanczos,
        Filter::Bilinear,
        Filter::Bicubic,
        Filter::Box,
        Filter::Hamming,
    ];

    /// The lower-case name used by the Python API.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Filter::Nearest => "nearest",
            Filter::Box => "box",
            Filter::Bilinear => "bilinear",
            Filter::Hamming => "hamming",
            Filter::Bicubic => "bicubic",
            Filter::Lanczos => "lanczos",
        }
    }

    /// Parses a lower-case filter name.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] listing the accepted names.
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "unknown filter {name:?}; accepted: nearest, box, bilinear, hamming, bicubic, lanczos"
                ))
            })
    }
}

/// Which implementation's rounding and pass order to reproduce.
///
/// To add a target, add a variant, its pass-order rule in [`Compat::vertical_first`],
/// the filters it supports in [`Compat::check_filter`] and, if its weights differ, a
/// coefficient builder in [`Compat::coeffs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compat {
    /// Pillow >= 13: vertical pass first when the height shrinks much more than the width.
    Pillow,
    /// Pillow <= 12: always horizontal first.
    Pillow12,
    /// `torchvision.transforms.v2.functional.resize(uint8, antialias=True)` on CPU (torch's
    /// AVX2 uint8 kernel, the same bytes as pillow-simd): int16 weights with a per-axis
    /// precision, always horizontal first, channels independent (no alpha premultiply).
    /// Bilinear and bicubic only.
    Torchvision,
}

impl Compat {
    /// Every target, in the order the Python API lists them.
    pub const ALL: [Compat; 3] = [Compat::Pillow, Compat::Pillow12, Compat::Torchvision];

    /// The name used by the Python API.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Compat::Pillow => "pillow",
            Compat::Pillow12 => "pillow12",
            Compat::Torchvision => "torchvision",
        }
    }

    /// Parses `"pillow"`, `"pillow12"` or `"torchvision"`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] listing the accepted names.
    pub fn parse(name: &str) -> Result<Self> {
        match Self::ALL.into_iter().find(|c| c.name() == name) {
            Some(c) => Ok(c),
            None => {
                invalid_arg!("unknown compat {name:?}; accepted: pillow, pillow12, torchvision")
            }
        }
    }

    /// Refuses filters the target has no exact equivalent for.
    ///
    /// torchvision's other modes are not this algorithm: nearest has no antialiasing and
    /// its own index rule, and there is no box / hamming / lanczos.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the filter and the accepted ones.
    pub fn check_filter(self, filter: Filter) -> Result<()> {
        match (self, filter) {
            (Compat::Torchvision, Filter::Bilinear | Filter::Bicubic) => Ok(()),
            (Compat::Torchvision, f) => invalid_arg!(
                "compat 'torchvision' supports filters bilinear and bicubic (torchvision's uint8 \
                 antialiased resize), got {:?}",
                f.name()
            ),
            (Compat::Pillow | Compat::Pillow12, _) => Ok(()),
        }
    }

    /// Whether 4-channel images are treated as RGBA and premultiplied around the passes
    /// (Pillow) or resized as four independent channels (torch).
    #[must_use]
    pub fn premultiplies_alpha(self) -> bool {
        !matches!(self, Compat::Torchvision)
    }

    /// The fixed-point weights this target uses for `n_in -> n_out` samples.
    #[must_use]
    pub fn coeffs(self, n_in: usize, n_out: usize, kernel: coeffs::Kernel1d) -> Coeffs {
        match self {
            Compat::Pillow | Compat::Pillow12 => Coeffs::new(n_in, n_out, kernel),
            Compat::Torchvision => torchvision::Int16Coeffs::new(n_in, n_out, kernel).into_coeffs(),
        }
    }

    /// Whether the vertical pass runs before the horizontal one for this size change.
    ///
    /// Pillow 13.0.0 (checked against the installed build): vertical first iff
    /// `dh > 0 && dh > 2 * dw` with `dh = in_h - out_h`, `dw = in_w - out_w`. torch
    /// (`upsample_avx_bilinear_bicubic_uint8`) and pillow-simd: always horizontal first.
    #[must_use]
    pub fn vertical_first(self, in_h: usize, in_w: usize, out_h: usize, out_w: usize) -> bool {
        match self {
            Compat::Pillow12 | Compat::Torchvision => false,
            Compat::Pillow => {
                let dh = in_h as i64 - out_h as i64;
                let dw = in_w as i64 - out_w as i64;
                dh > 0 && dh > 2 * dw
            }
        }
    }
}

/// Which pass implementation to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// AVX2 when the CPU supports it, else scalar.
    Auto,
    /// The portable reference loops.
    Scalar,
    /// The AVX2 passes; refused on CPUs without AVX2.
    Avx2,
}

impl Kernel {
    /// Parses `"auto"`, `"scalar"` or `"avx2"`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] listing the accepted names.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "auto" => Ok(Kernel::Auto),
            "scalar" => Ok(Kernel::Scalar),
            "avx2" => Ok(Kernel::Avx2),
            other => invalid_arg!("unknown kernel {other:?}; accepted: auto, scalar, avx2"),
        }
    }

    /// Whether this machine can run the AVX2 passes.
    #[must_use]
    pub fn avx2_available() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            is_x86_feature_detected!("avx2")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    fn passes(self) -> Result<Passes> {
        let scalar = Passes {
            horizontal: scalar::horizontal,
            vertical: scalar::vertical,
        };
        match self {
            Kernel::Scalar => Ok(scalar),
            Kernel::Auto if !Self::avx2_available() => Ok(scalar),
            Kernel::Avx2 if !Self::avx2_available() => {
                invalid_arg!("kernel 'avx2' requested but this CPU has no AVX2")
            }
            #[cfg(target_arch = "x86_64")]
            Kernel::Auto | Kernel::Avx2 => Ok(Passes {
                horizontal: avx2::horizontal,
                vertical: avx2::vertical,
            }),
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Auto | Kernel::Avx2 => Ok(scalar),
        }
    }
}

/// One implementation of the two passes (same signatures as [`scalar`]).
struct Passes {
    horizontal: fn(&[u8], usize, usize, &Coeffs, &mut [u8]),
    vertical: fn(&[u8], usize, usize, &Coeffs, &mut [u8]),
}

/// Output rows below which a band is not worth a thread hop.
const MIN_BAND_ROWS: usize = 32;

/// The horizontal pass over bands of rows (one per allowed thread; see [`par`]).
fn horizontal_bands(p: &Passes, src: &[u8], in_w: usize, ch: usize, c: &Coeffs, dst: &mut [u8]) {
    let (in_row, out_row) = (in_w * ch, c.n_out() * ch);
    par::for_each_band(dst, out_row, MIN_BAND_ROWS, |first, band| {
        let rows = band.len() / out_row;
        (p.horizontal)(
            &src[first * in_row..(first + rows) * in_row],
            in_w,
            ch,
            c,
            band,
        );
    });
}

/// The vertical pass over bands of output rows, each with its slice of the weight table.
fn vertical_bands(
    p: &Passes,
    src: &[u8],
    row_bytes: usize,
    first: usize,
    c: &Coeffs,
    dst: &mut [u8],
) {
    par::for_each_band(dst, row_bytes, MIN_BAND_ROWS, |y0, band| {
        let rows = band.len() / row_bytes;
        if rows == c.n_out() {
            (p.vertical)(src, row_bytes, first, c, band);
        } else {
            (p.vertical)(src, row_bytes, first, &c.outputs(y0..y0 + rows), band);
        }
    });
}

/// Checks a requested output size before anything is allocated for it.
///
/// # Errors
/// [`Error::InvalidArgument`] for sides outside `1..=65536`.
pub fn check_output_size(out_height: usize, out_width: usize) -> Result<()> {
    for (name, v) in [("height", out_height), ("width", out_width)] {
        if v == 0 || v > MAX_IMAGE_SIDE {
            return invalid_arg!("output {name} must be in 1..={MAX_IMAGE_SIDE}, got {v}");
        }
    }
    Ok(())
}

/// `Image.fromarray(src).resize((out_width, out_height), filter)`, bit for bit (or the
/// torchvision equivalent for [`Compat::Torchvision`]).
///
/// # Errors
/// [`Error::InvalidImage`] for 2-channel images, [`Error::InvalidArgument`] for output
/// sizes outside `1..=65536` or a filter the compat target does not support.
pub fn resize(
    src: &ImageRef<'_>,
    out_height: usize,
    out_width: usize,
    filter: Filter,
    compat: Compat,
) -> Result<ImageBuf> {
    check_output_size(out_height, out_width)?;
    let mut out = ImageBuf::zeros(out_height, out_width, src.channels)?;
    resize_into(src, out_height, out_width, filter, compat, &mut out.data)?;
    Ok(out)
}

/// [`resize`] into a caller-provided buffer of `out_height * out_width * channels` bytes.
///
/// # Errors
/// As [`resize`], plus [`Error::InvalidArgument`] for a wrongly sized `out`.
pub fn resize_into(
    src: &ImageRef<'_>,
    out_height: usize,
    out_width: usize,
    filter: Filter,
    compat: Compat,
    out: &mut [u8],
) -> Result<()> {
    resize_with(
        src,
        out_height,
        out_width,
        filter,
        compat,
        Kernel::Auto,
        out,
    )
}

/// [`resize_into`] with an explicit pass implementation (tests and benchmarks).
///
/// # Errors
/// As [`resize_into`], plus [`Error::InvalidArgument`] for `Kernel::Avx2` without AVX2.
pub fn resize_with(
    src: &ImageRef<'_>,
    out_height: usize,
    out_width: usize,
    filter: Filter,
    compat: Compat,
    kernel: Kernel,
    out: &mut [u8],
) -> Result<()> {
    let (in_h, in_w, ch) = (src.height, src.width, src.channels);
    if ch == 2 {
        return Err(Error::InvalidImage(format!(
            "image of shape ({in_h}, {in_w}, 2) has 2 channels; resize accepts 1, 3 or 4"
        )));
    }
    check_output_size(out_height, out_width)?;
    compat.check_filter(filter)?;
    let need = out_height * out_width * ch;
    if out.len() != need {
        return invalid_arg!(
            "output buffer holds {} bytes; a ({out_height}, {out_width}, {ch}) image needs {need}",
            out.len()
        );
    }
    let passes = kernel.passes()?;
    if (in_h, in_w) == (out_height, out_width) {
        out.copy_from_slice(src.data);
        return Ok(());
    }
    let Some(kern) = coeffs::kernel_for(filter) else {
        nearest::resize(src.data, in_h, in_w, ch, out_height, out_width, out);
        return Ok(());
    };

    let premultiply = ch == 4 && compat.premultiplies_alpha();
    let premultiplied;
    let data: &[u8] = if premultiply {
        let mut p = src.data.to_vec();
        alpha::premultiply(&mut p);
        premultiplied = p;
        &premultiplied
    } else {
        src.data
    };
    let (need_h, need_v) = (in_w != out_width, in_h != out_height);
    let cv = need_v.then(|| compat.coeffs(in_h, out_height, kern));
    let ch_ = need_h.then(|| compat.coeffs(in_w, out_width, kern));
    match (ch_, cv) {
        (Some(chz), None) => horizontal_bands(&passes, data, in_w, ch, &chz, out),
        (None, Some(cv)) => vertical_bands(&passes, data, in_w * ch, 0, &cv, out),
        (Some(chz), Some(cv)) => {
            if compat.vertical_first(in_h, in_w, out_height, out_width) {
                let mut tmp = try_zeroed(out_height * in_w * ch, "resize intermediate")?;
                vertical_bands(&passes, data, in_w * ch, 0, &cv, &mut tmp);
                horizontal_bands(&passes, &tmp, in_w, ch, &chz, out);
            } else {
                // Only the rows the vertical pass reads are resampled horizontally.
                let (first, last) = cv.input_span();
                let mut tmp = try_zeroed((last - first) * out_width * ch, "resize intermediate")?;
                let band = &data[first * in_w * ch..last * in_w * ch];
                horizontal_bands(&passes, band, in_w, ch, &chz, &mut tmp);
                vertical_bands(&passes, &tmp, out_width * ch, first, &cv, out);
            }
        }
        (None, None) => unreachable!("same-size resize returned above"),
    }
    if premultiply {
        alpha::unpremultiply(out);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
