//! AVX2 passes, byte-identical to [`super::scalar`].
//!
//! Pillow's weights have 22 fraction bits, too wide for `vpmaddwd`'s 16-bit operands, so
//! each weight is split as `k = hi * 2^11 + lo` (`hi` signed, `lo` in `0..2^11`, both fit
//! i16). Two multiply-adds give `sum(p * hi)` and `sum(p * lo)`, and
//! `(sum_hi << 11) + sum_lo` is the exact accumulator: all arithmetic wraps modulo 2^32
//! and the true value fits an i32 (Pillow relies on that too), so the order of the
//! additions does not matter. Tables whose weights fit i16 (torchvision's) take the
//! `NARROW` instantiation: the weight itself is the `hi` operand and `lo` is skipped, so
//! one multiply-add per tap.
//!
//! Both public functions may only be called after `is_x86_feature_detected!("avx2")`;
//! [`super::Kernel`] guarantees that.

use std::arch::x86_64::*;

use super::coeffs::{clip8, Coeffs, PRECISION_BITS};
use super::scalar;

const SPLIT: u32 = 11;

/// Splits a weight into `(hi, lo)` with `k == hi * 2^11 + lo`; a narrow weight (known to
/// fit i16) is its own `hi`, with `lo = 0`.
#[inline(always)]
fn split<const NARROW: bool>(k: i32) -> (i16, i16) {
    if NARROW {
        (k as i16, 0)
    } else {
        ((k >> SPLIT) as i16, (k & ((1 << SPLIT) - 1)) as i16)
    }
}

/// Which instantiation runs a table: `Some(true)` narrow (any precision), `Some(false)`
/// wide (Pillow's 22 bits, shifted by an immediate), `None` for anything else (scalar).
fn narrow(c: &Coeffs) -> Option<bool> {
    if c.fits_i16() {
        Some(true)
    } else if c.precision == PRECISION_BITS {
        Some(false)
    } else {
        None
    }
}

/// `v >> precision`: an immediate shift for wide (22-bit) tables, a register shift for
/// narrow ones (torchvision's precision varies per axis).
#[inline(always)]
unsafe fn shift_out<const NARROW: bool>(v: __m256i, count: __m128i) -> __m256i {
    if NARROW {
        _mm256_sra_epi32(v, count)
    } else {
        _mm256_srai_epi32::<22>(v)
    }
}

/// The exact accumulators `(sum_hi << 11) + sum_lo` (or `sum_hi` alone when narrow).
#[inline(always)]
unsafe fn combine<const NARROW: bool>(hi: __m256i, lo: __m256i) -> __m256i {
    if NARROW {
        hi
    } else {
        _mm256_add_epi32(_mm256_slli_epi32::<11>(hi), lo)
    }
}

/// Packs two i16 into the i32 pattern `vpmaddwd` pairs with interleaved samples.
#[inline(always)]
fn pair(a: i16, b: i16) -> i32 {
    (i32::from(a) & 0xFFFF) | (i32::from(b) << 16)
}

/// The AVX2 vertical pass (same contract as [`scalar::vertical`]).
pub fn vertical(src: &[u8], row_bytes: usize, first_row: usize, c: &Coeffs, dst: &mut [u8]) {
    debug_assert!(is_x86_feature_detected!("avx2"));
    assert!(c
        .n_out()
        .checked_mul(row_bytes)
        .is_some_and(|n| dst.len() >= n));
    for y in 0..c.n_out() {
        let end = c.start[y]
            .checked_sub(first_row)
            .and_then(|top| top.checked_add(c.len[y]))
            .and_then(|rows| rows.checked_mul(row_bytes));
        assert!(
            end.is_some_and(|e| e <= src.len()),
            "window of output row {y} leaves src"
        );
    }
    // SAFETY: the dispatcher selects this pass only when AVX2 is present; the asserts
    // above bound every row the kernel reads and writes.
    unsafe {
        match narrow(c) {
            Some(true) => vertical_avx2::<true>(src, row_bytes, first_row, c, dst),
            Some(false) => vertical_avx2::<false>(src, row_bytes, first_row, c, dst),
            None => scalar::vertical(src, row_bytes, first_row, c, dst),
        }
    }
}

#[target_feature(enable = "avx2")]
unsafe fn vertical_avx2<const NARROW: bool>(
    src: &[u8],
    row_bytes: usize,
    first_row: usize,
    c: &Coeffs,
    dst: &mut [u8],
) {
    let mut hi_pairs = Vec::with_capacity(c.ksize / 2 + 1);
    let mut lo_pairs = Vec::with_capacity(c.ksize / 2 + 1);
    let zero = _mm256_setzero_si256();
    let round = _mm256_set1_epi32(c.round());
    let shift = _mm_cvtsi32_si128(c.precision as i32);
    for y in 0..c.n_out() {
        let w = c.weights(y);
        let top = c.start[y] - first_row;
        hi_pairs.clear();
        lo_pairs.clear();
        for t in (0..w.len()).step_by(2) {
            let (h0, l0) = split::<NARROW>(w[t]);
            let (h1, l1) = split::<NARROW>(w.get(t + 1).copied().unwrap_or(0));
            hi_pairs.push(_mm256_set1_epi32(pair(h0, h1)));
            lo_pairs.push(_mm256_set1_epi32(pair(l0, l1)));
        }
        let row = |t: usize| src.as_ptr().add((top + t.min(w.len() - 1)) * row_bytes);
        let out = dst.as_mut_ptr().add(y * row_bytes);
        let mut x = 0;
        while x + 32 <= row_bytes {
            let mut acc_hi = [zero; 4];
            let mut acc_lo = [zero; 4];
            for (p, (&hv, &lv)) in hi_pairs.iter().zip(&lo_pairs).enumerate() {
                // The odd tail pairs its last row with itself at weight 0.
                let a = _mm256_loadu_si256(row(2 * p).add(x).cast());
                let b = _mm256_loadu_si256(row(2 * p + 1).add(x).cast());
                let (a_l, a_h) = (_mm256_unpacklo_epi8(a, zero), _mm256_unpackhi_epi8(a, zero));
                let (b_l, b_h) = (_mm256_unpacklo_epi8(b, zero), _mm256_unpackhi_epi8(b, zero));
                // i32 lane j of v[i] holds byte positions in the order packs/packus undo.
                let v = [
                    _mm256_unpacklo_epi16(a_l, b_l),
                    _mm256_unpackhi_epi16(a_l, b_l),
                    _mm256_unpacklo_epi16(a_h, b_h),
                    _mm256_unpackhi_epi16(a_h, b_h),
                ];
                for i in 0..4 {
                    acc_hi[i] = _mm256_add_epi32(acc_hi[i], _mm256_madd_epi16(v[i], hv));
                    if !NARROW {
                        acc_lo[i] = _mm256_add_epi32(acc_lo[i], _mm256_madd_epi16(v[i], lv));
                    }
                }
            }
            let mut s = [zero; 4];
            for i in 0..4 {
                let total = _mm256_add_epi32(combine::<NARROW>(acc_hi[i], acc_lo[i]), round);
                s[i] = shift_out::<NARROW>(total, shift);
            }
            // Per lane, packs restores bytes 0-7 | 16-23 and 8-15 | 24-31 and packus
            // joins them to 0-15 | 16-31: the stored order is the source order.
            let w01 = _mm256_packs_epi32(s[0], s[1]);
            let w23 = _mm256_packs_epi32(s[2], s[3]);
            let bytes = _mm256_packus_epi16(w01, w23);
            _mm256_storeu_si256(out.add(x).cast(), bytes);
            x += 32;
        }
        // Tail bytes: the reference loop.
        for b in x..row_bytes {
            let mut acc = c.round();
            for (t, &k) in w.iter().enumerate() {
                acc = acc.wrapping_add(i32::from(*row(t).add(b)).wrapping_mul(k));
            }
            *out.add(b) = clip8(acc, c.precision);
        }
    }
}

/// Per-output SIMD weights for the horizontal pass: groups of 4 taps, each stored as
/// `[hi0, hi1, hi2, hi3, lo0, lo1, lo2, lo3]` (i16), zero past the window.
struct GroupTable {
    groups: Vec<usize>,
    offset: Vec<usize>,
    data: Vec<i16>,
}

impl GroupTable {
    fn new<const NARROW: bool>(c: &Coeffs) -> Self {
        let mut groups = Vec::with_capacity(c.n_out());
        let mut offset = Vec::with_capacity(c.n_out());
        let mut data = Vec::new();
        for x in 0..c.n_out() {
            let w = c.weights(x);
            let g = w.len().div_ceil(4);
            groups.push(g);
            offset.push(data.len());
            for q in 0..g {
                let mut rec = [0i16; 8];
                for j in 0..4 {
                    let (h, l) = split::<NARROW>(w.get(4 * q + j).copied().unwrap_or(0));
                    rec[j] = h;
                    rec[4 + j] = l;
                }
                data.extend_from_slice(&rec);
            }
        }
        Self {
            groups,
            offset,
            data,
        }
    }
}

/// The AVX2 horizontal pass (same contract as [`scalar::horizontal`]).
pub fn horizontal(src: &[u8], in_w: usize, channels: usize, c: &Coeffs, dst: &mut [u8]) {
    let rows = src.len() / (in_w * channels);
    assert!(src.len() == rows * in_w * channels && dst.len() >= rows * c.n_out() * channels);
    for x in 0..c.n_out() {
        assert!(c.start[x] + c.len[x] <= in_w);
    }
    debug_assert!(is_x86_feature_detected!("avx2"));
    // SAFETY: the dispatcher selects this pass only when AVX2 is present, and the asserts
    // above bound every window; the kernels check each load against the row end.
    unsafe {
        match (channels, narrow(c)) {
            (1, Some(false)) => horizontal_gray::<false>(src, in_w, c, dst),
            (1, Some(true)) => horizontal_gray::<true>(src, in_w, c, dst),
            (3, Some(false)) => horizontal_px::<3, false>(src, in_w, c, dst),
            (3, Some(true)) => horizontal_px::<3, true>(src, in_w, c, dst),
            (4, Some(false)) => horizontal_px::<4, false>(src, in_w, c, dst),
            (4, Some(true)) => horizontal_px::<4, true>(src, in_w, c, dst),
            _ => scalar::horizontal(src, in_w, channels, c, dst),
        }
    }
}

/// Loads 16 bytes at `off` of a row, zero-filling past its end.
#[inline(always)]
unsafe fn load16(row: *const u8, off: usize, row_len: usize) -> __m128i {
    if off + 16 <= row_len {
        _mm_loadu_si128(row.add(off).cast())
    } else {
        let mut buf = [0u8; 16];
        std::ptr::copy_nonoverlapping(row.add(off), buf.as_mut_ptr(), row_len - off);
        _mm_loadu_si128(buf.as_ptr().cast())
    }
}

/// Loads 4 bytes at `off` of a row, zero-filling past its end.
#[inline(always)]
unsafe fn load4(row: *const u8, off: usize, row_len: usize) -> i32 {
    let mut buf = [0u8; 4];
    let n = (row_len - off).min(4);
    std::ptr::copy_nonoverlapping(row.add(off), buf.as_mut_ptr(), n);
    i32::from_le_bytes(buf)
}

/// Shuffle that turns 4 pixels (both 128-bit lanes holding the same 16 bytes) into
/// per-channel i16 pairs: taps 0, 1 in the low lane, taps 2, 3 in the high lane.
#[inline(always)]
unsafe fn pair_shuffle<const C: usize>() -> __m256i {
    let mut m = [-1i8; 32];
    for lane in 0..2 {
        for ch in 0..C {
            let base = lane * 16 + ch * 4;
            m[base] = (lane * 2 * C + ch) as i8;
            m[base + 2] = ((lane * 2 + 1) * C + ch) as i8;
        }
    }
    _mm256_loadu_si256(m.as_ptr().cast())
}

#[target_feature(enable = "avx2")]
unsafe fn horizontal_px<const C: usize, const NARROW: bool>(
    src: &[u8],
    in_w: usize,
    c: &Coeffs,
    dst: &mut [u8],
) {
    let table = GroupTable::new::<NARROW>(c);
    let out_w = c.n_out();
    let (row_in, row_out) = (in_w * C, out_w * C);
    let rows = src.len() / row_in;
    let shuffle = pair_shuffle::<C>();
    let hi_idx = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
    let lo_idx = _mm256_setr_epi32(2, 2, 2, 2, 3, 3, 3, 3);
    let round = _mm256_set1_epi32(c.round());
    let shift = _mm_cvtsi32_si128(c.precision as i32);
    // A window whose last 16-byte load stays inside the row needs no bounds checks.
    let fast: Vec<bool> = (0..out_w)
        .map(|x| (c.start[x] + 4 * table.groups[x] - 4) * C + 16 <= row_in)
        .collect();
    let mut y = 0;
    while y < rows {
        // Four rows share each weight load; a short last block repeats its first row.
        let n = (rows - y).min(4);
        let ins: [*const u8; 4] =
            std::array::from_fn(|r| src.as_ptr().add((y + if r < n { r } else { 0 }) * row_in));
        for (x, &fast_x) in fast.iter().enumerate() {
            let mut acc_hi = [_mm256_setzero_si256(); 4];
            let mut acc_lo = [_mm256_setzero_si256(); 4];
            let recs = table.data.as_ptr().add(table.offset[x]);
            for q in 0..table.groups[x] {
                let rec = _mm256_castsi128_si256(_mm_loadu_si128(recs.add(8 * q).cast()));
                let hv = _mm256_permutevar8x32_epi32(rec, hi_idx);
                let lv = _mm256_permutevar8x32_epi32(rec, lo_idx);
                let off = (c.start[x] + 4 * q) * C;
                for r in 0..4 {
                    let px = if fast_x {
                        _mm_loadu_si128(ins[r].add(off).cast())
                    } else {
                        load16(ins[r], off, row_in)
                    };
                    let v = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(px), shuffle);
                    acc_hi[r] = _mm256_add_epi32(acc_hi[r], _mm256_madd_epi16(v, hv));
                    if !NARROW {
                        acc_lo[r] = _mm256_add_epi32(acc_lo[r], _mm256_madd_epi16(v, lv));
                    }
                }
            }
            // Rows r and r + 1 reduce together: the 128-bit halves of their exact sums
            // are regrouped as [r low | r+1 low] + [r high | r+1 high].
            let t: [__m256i; 4] = std::array::from_fn(|r| combine::<NARROW>(acc_hi[r], acc_lo[r]));
            let pair_sum = |a: __m256i, b: __m256i| {
                let sum = _mm256_add_epi32(
                    _mm256_permute2x128_si256::<0x20>(a, b),
                    _mm256_permute2x128_si256::<0x31>(a, b),
                );
                shift_out::<NARROW>(_mm256_add_epi32(sum, round), shift)
            };
            let (s01, s23) = (pair_sum(t[0], t[1]), pair_sum(t[2], t[3]));
            // Dwords 0, 4, 1, 5 now hold the clamped pixels of rows 0, 1, 2, 3.
            let b = _mm256_packus_epi16(_mm256_packs_epi32(s01, s23), _mm256_setzero_si256());
            let lanes = [
                _mm256_extract_epi32::<0>(b),
                _mm256_extract_epi32::<4>(b),
                _mm256_extract_epi32::<1>(b),
                _mm256_extract_epi32::<5>(b),
            ];
            if n == 4 && (C == 4 || x + 1 < out_w) {
                // A 3-channel pixel's fourth byte lands on the next pixel of the same
                // row, which the next iteration of `x` overwrites.
                let o = y * row_out + x * C;
                assert!(o + 3 * row_out + 4 <= dst.len());
                // SAFETY: the assert bounds the four 4-byte writes, rows 0-3 at `o`.
                for (r, v) in lanes.iter().enumerate() {
                    std::ptr::write_unaligned(dst.as_mut_ptr().add(o + r * row_out).cast(), *v);
                }
            } else {
                for (r, v) in lanes.iter().enumerate().take(n) {
                    let o = (y + r) * row_out + x * C;
                    let k = if C == 4 || x + 1 < out_w { 4 } else { C };
                    dst[o..o + k].copy_from_slice(&v.to_le_bytes()[..k]);
                }
            }
        }
        y += n;
    }
}

#[target_feature(enable = "avx2")]
unsafe fn horizontal_gray<const NARROW: bool>(src: &[u8], in_w: usize, c: &Coeffs, dst: &mut [u8]) {
    let table = GroupTable::new::<NARROW>(c);
    let out_w = c.n_out();
    let rows = src.len() / in_w;
    // (hi0, hi1), (hi2, hi3) repeated for the four rows; likewise lo.
    let hi_idx = _mm256_setr_epi32(0, 1, 0, 1, 0, 1, 0, 1);
    let lo_idx = _mm256_setr_epi32(2, 3, 2, 3, 2, 3, 2, 3);
    let mut y = 0;
    while y < rows {
        let n = (rows - y).min(4);
        let ins: [*const u8; 4] =
            std::array::from_fn(|r| src.as_ptr().add((y + if r < n { r } else { 0 }) * in_w));
        for x in 0..out_w {
            let mut acc_hi = _mm256_setzero_si256();
            let mut acc_lo = _mm256_setzero_si256();
            let recs = table.data.as_ptr().add(table.offset[x]);
            for q in 0..table.groups[x] {
                let rec = _mm256_castsi128_si256(_mm_loadu_si128(recs.add(8 * q).cast()));
                let hv = _mm256_permutevar8x32_epi32(rec, hi_idx);
                let lv = _mm256_permutevar8x32_epi32(rec, lo_idx);
                let off = c.start[x] + 4 * q;
                let px = if off + 4 <= in_w {
                    let ld = |r: usize| std::ptr::read_unaligned(ins[r].add(off).cast::<i32>());
                    _mm_setr_epi32(ld(0), ld(1), ld(2), ld(3))
                } else {
                    let ld = |r: usize| load4(ins[r], off, in_w);
                    _mm_setr_epi32(ld(0), ld(1), ld(2), ld(3))
                };
                let v = _mm256_cvtepu8_epi16(px);
                acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(v, hv));
                if !NARROW {
                    acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(v, lv));
                }
            }
            // Lanes hold (row r: taps 0-1, taps 2-3) for r = 0, 1 | 2, 3.
            let total = combine::<NARROW>(acc_hi, acc_lo);
            let mut lanes = [0i32; 8];
            _mm256_storeu_si256(lanes.as_mut_ptr().cast(), total);
            for r in 0..n {
                let acc = c
                    .round()
                    .wrapping_add(lanes[2 * r])
                    .wrapping_add(lanes[2 * r + 1]);
                dst[(y + r) * out_w + x] = clip8(acc, c.precision);
            }
        }
        y += n;
    }
}

// `hi = k >> 11` fits i16 for |k| < 2^26: 22-bit weights up to 16 in magnitude.
const _: () = assert!(PRECISION_BITS + 4 <= 15 + SPLIT && PRECISION_BITS == 22);
