//! AVX2 + FMA patch blocks for float32, float16 and bfloat16 outputs of RGB frames:
//! normalised in SIMD lanes, bit-identical to the table gather (see [`super::affine`]).
//!
//! A block row of `PS` pixels (42 or 48 bytes) is split into its three channels with byte
//! shuffles, widened to float32 and normalised 8 lanes at a time; each result vector is
//! stored into every temporal slot that repeats the frame. Division is `x * (1/d)` refined
//! by one FMA step, which gives the correctly rounded quotient here; [`Norm::new`] checks
//! that on all 256 bytes of each channel and refuses the parameters otherwise.
//! float16 lanes are rounded by F16C's `vcvtps2ph` (to nearest even, as NumPy's
//! `astype(float16)` that built the table), bfloat16 lanes by the integer round to nearest
//! even `_lut.py` uses; [`Norm::with_bits`] checks those on every byte too.
//!
//! Everything here may only run after [`available`] returned true.

use std::arch::x86_64::*;

use super::affine::{Affine, Order};
use crate::core::image::ImageRef;

/// Whether this CPU can run the kernels here.
#[must_use]
pub fn available() -> bool {
    is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
        && is_x86_feature_detected!("f16c")
}

/// The element type the lanes are stored as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// float32 values.
    F32,
    /// IEEE half bits (`u16` elements).
    F16,
    /// bfloat16 bits (`u16` elements).
    Bf16,
}

/// Stores 8 float32 lanes as one storage type.
pub trait Store {
    /// The output element.
    type Elem;
    /// Writes the 8 lanes of `v` to `p` (unaligned).
    ///
    /// # Safety
    /// [`available`]; 8 elements writable at `p`.
    unsafe fn store8(p: *mut Self::Elem, v: __m256);
}

/// float32 output.
pub struct F32;
/// float16 bits output.
pub struct F16;
/// bfloat16 bits output.
pub struct Bf16;

impl Store for F32 {
    type Elem = f32;
    #[inline(always)]
    unsafe fn store8(p: *mut f32, v: __m256) {
        _mm256_storeu_ps(p, v);
    }
}

impl Store for F16 {
    type Elem = u16;
    #[inline(always)]
    unsafe fn store8(p: *mut u16, v: __m256) {
        let h = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(v);
        _mm_storeu_si128(p.cast(), h);
    }
}

impl Store for Bf16 {
    type Elem = u16;
    #[inline(always)]
    unsafe fn store8(p: *mut u16, v: __m256) {
        // (bits + 0x7FFF + lowest kept bit) >> 16: round to nearest even (finite values).
        let b = _mm256_castps_si256(v);
        let odd = _mm256_and_si256(_mm256_srli_epi32::<16>(b), _mm256_set1_epi32(1));
        let r = _mm256_srli_epi32::<16>(_mm256_add_epi32(
            _mm256_add_epi32(b, _mm256_set1_epi32(0x7FFF)),
            odd,
        ));
        // Pack each 128-bit half to 4 u16 (values fit), then gather the two halves.
        let packed = _mm256_permute4x64_epi64::<0b1000>(_mm256_packus_epi32(r, r));
        _mm_storeu_si128(p.cast(), _mm256_castsi256_si128(packed));
    }
}

/// One channel's constants in lanes.
#[derive(Clone, Copy)]
struct Lanes {
    rescale: bool,
    mean: __m256,
    std: __m256,
    inv_std: __m256,
}

/// The three channels' normalisation, checked to equal the tables.
#[derive(Clone, Copy)]
pub struct Norm {
    ch: [Lanes; 3],
    /// `pshufb` masks: `masks[ch][k]` picks channel `ch`'s bytes out of source chunk `k`.
    masks: [[__m128i; 3]; 3],
    /// What the lanes are stored as.
    pub storage: Storage,
}

// SAFETY (for Send/Sync): the fields are plain vector values, no pointers.
unsafe impl Send for Norm {}
unsafe impl Sync for Norm {}

impl Norm {
    /// The lanes for `params` (one per RGB channel) if, on every byte, they give exactly
    /// `lut`'s values (`256` per channel). Call only when [`available`].
    #[must_use]
    pub fn new(params: &[Affine], lut: &[f32]) -> Option<Self> {
        if params.len() != 3 || lut.len() < 768 {
            return None;
        }
        // SAFETY: the caller checked `available()`.
        let norm = unsafe { Self::build(params) };
        let all_bytes: Vec<u8> = (0..=255).collect();
        (0..3)
            .all(|ch| {
                let mut got = [0f32; 256];
                for (i, chunk) in all_bytes.chunks_exact(8).enumerate() {
                    // SAFETY: `available()` as above; `chunk` holds 8 bytes and `got` 8 slots
                    // at `8 * i`.
                    unsafe {
                        let x = _mm_loadl_epi64(chunk.as_ptr().cast());
                        let y =
                            normalise(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(x)), &norm.ch[ch]);
                        _mm256_storeu_ps(got.as_mut_ptr().add(8 * i), y);
                    }
                }
                got.iter()
                    .zip(&lut[256 * ch..256 * ch + 256])
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            })
            .then_some(norm)
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn build(params: &[Affine]) -> Self {
        let lanes = |a: &Affine| Lanes {
            rescale: a.order == Order::Rescaled,
            mean: _mm256_set1_ps(a.mean),
            std: _mm256_set1_ps(a.std),
            inv_std: _mm256_set1_ps(1.0 / a.std),
        };
        let masks = std::array::from_fn(|ch| {
            std::array::from_fn(|k| {
                let mut m = [-1i8; 16];
                for (p, slot) in m.iter_mut().enumerate() {
                    let byte = 3 * p + ch;
                    if (16 * k..16 * k + 16).contains(&byte) {
                        *slot = (byte - 16 * k) as i8;
                    }
                }
                _mm_loadu_si128(m.as_ptr().cast())
            })
        });
        Self {
            ch: [lanes(&params[0]), lanes(&params[1]), lanes(&params[2])],
            masks,
            storage: Storage::F32,
        }
    }

    /// These (float32-checked) lanes stored as float16 or bfloat16, whichever gives exactly
    /// `bits` (`256` per channel, the table's rounding of the float32 table) on every byte.
    #[must_use]
    pub fn with_bits(self, bits: &[u16]) -> Option<Self> {
        if bits.len() < 768 {
            return None;
        }
        [Storage::F16, Storage::Bf16]
            .into_iter()
            .map(|storage| Self { storage, ..self })
            .find(|norm| {
                (0..3).all(|ch| {
                    let mut got = [0u16; 256];
                    // SAFETY: lanes exist only after `available()`; `got` holds 256 slots.
                    unsafe { norm.all_bytes(ch, &mut got) };
                    got == bits[256 * ch..256 * ch + 256]
                })
            })
    }

    /// Channel `ch`'s value of every byte, stored as `self.storage` (a `u16` one).
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn all_bytes(&self, ch: usize, got: &mut [u16; 256]) {
        let all_bytes: Vec<u8> = (0..=255).collect();
        for (i, chunk) in all_bytes.chunks_exact(8).enumerate() {
            let x = _mm_loadl_epi64(chunk.as_ptr().cast());
            let y = normalise(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(x)), &self.ch[ch]);
            let at = got.as_mut_ptr().add(8 * i);
            match self.storage {
                Storage::Bf16 => Bf16::store8(at, y),
                _ => F16::store8(at, y),
            }
        }
    }
}

/// `n / d` from the reciprocal `r ≈ 1/d`: `q = n·r`, then `q + (n − q·d)·r` with fused
/// steps (the classic one-step refinement; exact here as [`Norm::new`] verifies).
#[inline(always)]
unsafe fn div(n: __m256, d: __m256, r: __m256) -> __m256 {
    let q = _mm256_mul_ps(n, r);
    let e = _mm256_fnmadd_ps(q, d, n);
    _mm256_fmadd_ps(e, r, q)
}

#[inline(always)]
unsafe fn normalise(x: __m256, c: &Lanes) -> __m256 {
    let x = if c.rescale {
        div(x, _mm256_set1_ps(255.0), _mm256_set1_ps(1.0 / 255.0))
    } else {
        x
    };
    div(_mm256_sub_ps(x, c.mean), c.std, c.inv_std)
}

/// Writes the `PS × PS` blocks of all three channels at `(y0, x0)` of `frame` into `S`
/// temporal slots: channel `ch`, slot `s` goes to `dst[ch] + s·plane`, row-major.
///
/// # Safety
/// [`available`] must be true; `(y0 + PS, x0 + PS)` must lie inside `frame`; for each
/// channel, `S·plane` floats from `dst[ch]` (with `plane = PS²`) must be writable.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn write_block<const PS: usize, const S: usize, O: Store>(
    frame: &ImageRef<'_>,
    (y0, x0): (usize, usize),
    norm: &Norm,
    dst: [*mut O::Elem; 3],
) {
    const { assert!(PS == 14 || PS == 16) };
    let plane = PS * PS;
    let stride = frame.stride();
    let data = frame.data;
    let mut spill = [0u8; 48];
    for py in 0..PS {
        let off = (y0 + py) * stride + x0 * 3;
        // 48 bytes cover the 16 pixels the shuffles read; near the end of the image the
        // block's own bytes are copied out first so that no load leaves `data`.
        let src = if off + 48 <= data.len() {
            data.as_ptr().add(off)
        } else {
            spill[..3 * PS].copy_from_slice(&data[off..off + 3 * PS]);
            spill.as_ptr()
        };
        // The next merge window starts 2·PS pixels to the right: ask for its lines now
        // (a block's rows are a row stride apart, more streams than the hardware
        // prefetcher follows; measured 3.8 → 2.6 ms for a 1316×728 image).
        let ahead = data.as_ptr().wrapping_add(off + 12 * PS);
        _mm_prefetch::<_MM_HINT_T0>(ahead.cast());
        _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(47).cast());
        let chunks = [
            _mm_loadu_si128(src.cast()),
            _mm_loadu_si128(src.add(16).cast()),
            _mm_loadu_si128(src.add(32).cast()),
        ];
        for ((m, lanes), &out_ch) in norm.masks.iter().zip(&norm.ch).zip(&dst) {
            let bytes = _mm_or_si128(
                _mm_or_si128(
                    _mm_shuffle_epi8(chunks[0], m[0]),
                    _mm_shuffle_epi8(chunks[1], m[1]),
                ),
                _mm_shuffle_epi8(chunks[2], m[2]),
            );
            // Pixels 0-7, then 8-15 (PS = 16) or 6-13 (PS = 14, overlapping 6-7 with the
            // same values).
            let second = if PS == 16 {
                _mm_srli_si128::<8>(bytes)
            } else {
                _mm_srli_si128::<6>(bytes)
            };
            let to_f32 = |b: __m128i| _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
            let lo = normalise(to_f32(bytes), lanes);
            let hi = normalise(to_f32(second), lanes);
            for s in 0..S {
                let out = out_ch.add(s * plane + py * PS);
                O::store8(out, lo);
                O::store8(out.add(PS - 8), hi);
            }
        }
    }
}

/// One RGB row (`px`, 3 bytes per pixel) into three plane rows of `px.len() / 3` floats,
/// 16 pixels per step; the last `len % 16` pixels are left to the caller.
/// Returns how many pixels were written.
///
/// # Safety
/// [`available`] must be true.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn planes_row<O: Store>(px: &[u8], norm: &Norm, mut d: [&mut [O::Elem]; 3]) -> usize {
    let n = px.len() / 3;
    assert!(d.iter().all(|p| p.len() >= n));
    let full = n / 16;
    let src = px.as_ptr();
    let to_f32 = |b: __m128i| _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
    for i in 0..full {
        // SAFETY: pixels 16·i .. 16·i + 16 are inside `px` (48 bytes) and inside every
        // plane row (asserted above).
        let s = src.add(48 * i);
        let chunks = [
            _mm_loadu_si128(s.cast()),
            _mm_loadu_si128(s.add(16).cast()),
            _mm_loadu_si128(s.add(32).cast()),
        ];
        for ((m, lanes), out) in norm.masks.iter().zip(&norm.ch).zip(d.iter_mut()) {
            let bytes = _mm_or_si128(
                _mm_or_si128(
                    _mm_shuffle_epi8(chunks[0], m[0]),
                    _mm_shuffle_epi8(chunks[1], m[1]),
                ),
                _mm_shuffle_epi8(chunks[2], m[2]),
            );
            let o = out.as_mut_ptr().add(16 * i);
            O::store8(o, normalise(to_f32(bytes), lanes));
            O::store8(
                o.add(8),
                normalise(to_f32(_mm_srli_si128::<8>(bytes)), lanes),
            );
        }
    }
    16 * full
}
