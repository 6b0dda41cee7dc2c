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
    // Per output row: each pair of taps' weights (hi, lo) and its two source rows.
    let mut taps: Vec<(__m256i, __m256i, *const u8, *const u8)> =
        Vec::with_capacity(c.ksize / 2 + 1);
    let zero = _mm256_setzero_si256();
    // The rounding half, pre-shifted for wide tables (it is added to `hi << 11`).
    let init = _mm256_set1_epi32(if NARROW {
        c.round()
    } else {
        c.round() >> SPLIT
    });
    let shift = _mm_cvtsi32_si128(c.precision as i32);
    for y in 0..c.n_out() {
        let w = c.weights(y);
        let top = c.start[y] - first_row;
        let row = |t: usize| src.as_ptr().add((top + t.min(w.len() - 1)) * row_bytes);
        taps.clear();
        for t in (0..w.len()).step_by(2) {
            // The odd tail pairs its last row with itself at weight 0.
            let (h0, l0) = split::<NARROW>(w[t]);
            let (h1, l1) = split::<NARROW>(w.get(t + 1).copied().unwrap_or(0));
            taps.push((
                _mm256_set1_epi32(pair(h0, h1)),
                _mm256_set1_epi32(pair(l0, l1)),
                row(t),
                row(t + 1),
            ));
        }
        let out = dst.as_mut_ptr().add(y * row_bytes);
        // 32-byte blocks; a ragged end recomputes the last 32 bytes (same values).
        let ragged = row_bytes % 32 != 0 && row_bytes > 32;
        let blocks = (0..row_bytes / 32)
            .map(|i| 32 * i)
            .chain(ragged.then_some(row_bytes.saturating_sub(32)));
        for x in blocks {
            let mut acc_hi = [init; 4];
            let mut acc_lo = [zero; 4];
            for &(hv, lv, ra, rb) in &taps {
                let a = _mm256_loadu_si256(ra.add(x).cast());
                let b = _mm256_loadu_si256(rb.add(x).cast());
                // Interleave the rows' bytes, then widen: i16 pairs (a, b) per position.
                let (ab_l, ab_h) = (_mm256_unpacklo_epi8(a, b), _mm256_unpackhi_epi8(a, b));
                // i32 lane j of v[i] holds byte positions in the order packs/packus undo.
                let v = [
                    _mm256_unpacklo_epi8(ab_l, zero),
                    _mm256_unpackhi_epi8(ab_l, zero),
                    _mm256_unpacklo_epi8(ab_h, zero),
                    _mm256_unpackhi_epi8(ab_h, zero),
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
                s[i] = shift_out::<NARROW>(combine::<NARROW>(acc_hi[i], acc_lo[i]), shift);
            }
            // Per lane, packs restores bytes 0-7 | 16-23 and 8-15 | 24-31 and packus
            // joins them to 0-15 | 16-31: the stored order is the source order.
            let w01 = _mm256_packs_epi32(s[0], s[1]);
            let w23 = _mm256_packs_epi32(s[2], s[3]);
            let bytes = _mm256_packus_epi16(w01, w23);
            _mm256_storeu_si256(out.add(x).cast(), bytes);
        }
        // Rows shorter than 32 bytes: the reference loop.
        for b in (if row_bytes < 32 { 0 } else { row_bytes })..row_bytes {
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

/// Loads 16 bytes at `off` of a row, zero-filling past its end (all zero when `off` is
/// past it: padded windows of the last outputs).
#[inline(always)]
unsafe fn load16(row: *const u8, off: usize, row_len: usize) -> __m128i {
    if off + 16 <= row_len {
        _mm_loadu_si128(row.add(off).cast())
    } else {
        let mut buf = [0u8; 16];
        if off < row_len {
            std::ptr::copy_nonoverlapping(row.add(off), buf.as_mut_ptr(), row_len - off);
        }
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

/// Per-output weights of the multi-channel horizontal pass, `pairs` records per output
/// (one per pair of taps, zero past the window): the `vpmaddwd` pattern of the `hi`
/// halves, then (wide tables only) of the `lo` halves. Built once per table.
struct PairTable<'c> {
    /// Tap pairs per output: `ceil(len / 2)` of the longest window.
    pairs: usize,
    /// Records per output.
    stride: usize,
    data: &'c [i32],
}

impl<'c> PairTable<'c> {
    fn new<const NARROW: bool>(c: &'c Coeffs) -> Self {
        let pairs = c.len.iter().map(|l| l.div_ceil(2)).max().unwrap_or(0);
        let stride = pairs * if NARROW { 1 } else { 2 };
        let data = c.simd_pairs.get_or_init(|| {
            let mut data = Vec::with_capacity(c.n_out() * stride);
            for x in 0..c.n_out() {
                let w = c.weights(x);
                for t in (0..2 * pairs).step_by(2) {
                    let (h0, l0) = split::<NARROW>(w.get(t).copied().unwrap_or(0));
                    let (h1, l1) = split::<NARROW>(w.get(t + 1).copied().unwrap_or(0));
                    data.push(pair(h0, h1));
                    if !NARROW {
                        data.push(pair(l0, l1));
                    }
                }
            }
            data
        });
        assert_eq!(
            data.len(),
            c.n_out() * stride,
            "weight records of another table"
        );
        Self {
            pairs,
            stride,
            data,
        }
    }
}

/// Shuffle that turns 4 pixels of a row (in each 128-bit lane) into per-channel i16 pairs
/// of taps `first` and `first + 1`; a 3-channel pixel's fourth slot is zero.
#[inline(always)]
unsafe fn pair_shuffle<const C: usize>(first: usize) -> __m256i {
    let mut m = [-1i8; 32];
    for lane in 0..2 {
        for ch in 0..C {
            let base = lane * 16 + ch * 4;
            m[base] = (first * C + ch) as i8;
            m[base + 2] = ((first + 1) * C + ch) as i8;
        }
    }
    _mm256_loadu_si256(m.as_ptr().cast())
}

/// Shuffle that packs each 8-byte half-lane `[p0 (4 bytes), p1 (4 bytes)]` into the
/// `2 * C` bytes of the two pixels, first.
#[inline(always)]
unsafe fn pixel_compact<const C: usize>() -> __m256i {
    let mut m = [-1i8; 32];
    for q in 0..4 {
        for p in 0..2 {
            for ch in 0..C {
                m[8 * q + p * C + ch] = ((8 * q) % 16 + 4 * p + ch) as i8;
            }
        }
    }
    _mm256_loadu_si256(m.as_ptr().cast())
}

/// 16 bytes at `off` of row `a` (low lane) and of row `b` (high lane); zero past the row
/// end unless `fast` says the loads stay inside it.
#[inline(always)]
unsafe fn load_row_pair(
    a: *const u8,
    b: *const u8,
    off: usize,
    row_len: usize,
    fast: bool,
) -> __m256i {
    let (lo, hi) = if fast {
        (
            _mm_loadu_si128(a.add(off).cast()),
            _mm_loadu_si128(b.add(off).cast()),
        )
    } else {
        (load16(a, off, row_len), load16(b, off, row_len))
    };
    _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(lo), hi)
}

/// Adds one output pixel's window (`np` tap pairs from byte `off` of each row) to the
/// accumulators of rows 0, 1 and 2, 3; `FAST` when every 16-byte load stays in the row.
#[inline(always)]
unsafe fn window<const C: usize, const NARROW: bool, const FAST: bool>(
    ins: &[*const u8; 4],
    off: usize,
    row_in: usize,
    recs: *const i32,
    np: usize,
    acc: &mut [__m256i; 2],
    acc_lo: &mut [__m256i; 2],
) {
    let (taps01, taps23) = (pair_shuffle::<C>(0), pair_shuffle::<C>(2));
    let mut tap_pair = |j: usize, v: &[__m256i; 2], taps: __m256i| {
        let (hv, lv) = if NARROW {
            (_mm256_set1_epi32(*recs.add(j)), _mm256_setzero_si256())
        } else {
            (
                _mm256_set1_epi32(*recs.add(2 * j)),
                _mm256_set1_epi32(*recs.add(2 * j + 1)),
            )
        };
        for rp in 0..2 {
            let s = _mm256_shuffle_epi8(v[rp], taps);
            acc[rp] = _mm256_add_epi32(acc[rp], _mm256_madd_epi16(s, hv));
            if !NARROW {
                acc_lo[rp] = _mm256_add_epi32(acc_lo[rp], _mm256_madd_epi16(s, lv));
            }
        }
    };
    let load = |o: usize| {
        [
            load_row_pair(ins[0], ins[1], o, row_in, FAST),
            load_row_pair(ins[2], ins[3], o, row_in, FAST),
        ]
    };
    for q in 0..np / 2 {
        let v = load(off + 4 * q * C);
        tap_pair(2 * q, &v, taps01);
        tap_pair(2 * q + 1, &v, taps23);
    }
    if np % 2 == 1 {
        let v = load(off + 2 * (np - 1) * C);
        tap_pair(np - 1, &v, taps01);
    }
}

/// 3 or 4 channels, four rows and two output pixels at a time: rows 0, 1 share one
/// register (one per 128-bit lane), rows 2, 3 another, so each lane accumulates a whole
/// pixel and no cross-lane reduction is needed; taps go two by two (`ceil(len / 2)`
/// multiply-adds per row pair, two for wide tables).
#[target_feature(enable = "avx2")]
unsafe fn horizontal_px<const C: usize, const NARROW: bool>(
    src: &[u8],
    in_w: usize,
    c: &Coeffs,
    dst: &mut [u8],
) {
    let table = PairTable::new::<NARROW>(c);
    let (np, stride) = (table.pairs, table.stride);
    let out_w = c.n_out();
    let (row_in, row_out) = (in_w * C, out_w * C);
    let rows = src.len() / row_in;
    let compact = pixel_compact::<C>();
    // The rounding half, pre-shifted for wide tables (it is added to `hi << 11`).
    let init = _mm256_set1_epi32(if NARROW {
        c.round()
    } else {
        c.round() >> SPLIT
    });
    let shift = _mm_cvtsi32_si128(c.precision as i32);
    // A window whose last 16-byte load stays inside the row needs no bounds checks.
    let fast: Vec<bool> = (0..out_w)
        .map(|x| (c.start[x] + 4 * (np.div_ceil(2) - 1)) * C + 16 <= row_in)
        .collect();
    let mut y = 0;
    while y < rows {
        // A short last block repeats its first row.
        let n = (rows - y).min(4);
        let ins: [*const u8; 4] =
            std::array::from_fn(|r| src.as_ptr().add((y + if r < n { r } else { 0 }) * row_in));
        let mut x = 0;
        while x < out_w {
            // The second pixel of an odd last pair repeats the first.
            let xs = [x, (x + 1).min(out_w - 1)];
            let mut acc = [[init; 2]; 2];
            let mut acc_lo = [[_mm256_setzero_si256(); 2]; 2];
            let both_fast = fast[xs[0]] && fast[xs[1]];
            for (k, &xk) in xs.iter().enumerate() {
                let recs = table.data.as_ptr().add(xk * stride);
                let off = c.start[xk] * C;
                let (a, a_lo) = (&mut acc[k], &mut acc_lo[k]);
                if both_fast {
                    window::<C, NARROW, true>(&ins, off, row_in, recs, np, a, a_lo);
                } else {
                    window::<C, NARROW, false>(&ins, off, row_in, recs, np, a, a_lo);
                }
            }
            let out = |k: usize, rp: usize| {
                shift_out::<NARROW>(combine::<NARROW>(acc[k][rp], acc_lo[k][rp]), shift)
            };
            // Bytes: lane 0 holds rows 0 | 2, lane 1 rows 1 | 3, each as pixel x, x + 1.
            let b = _mm256_packus_epi16(
                _mm256_packs_epi32(out(0, 0), out(1, 0)),
                _mm256_packs_epi32(out(0, 1), out(1, 1)),
            );
            let b = _mm256_shuffle_epi8(b, compact);
            let lanes = [
                _mm256_extract_epi64::<0>(b),
                _mm256_extract_epi64::<2>(b),
                _mm256_extract_epi64::<1>(b),
                _mm256_extract_epi64::<3>(b),
            ];
            let k = if x + 1 < out_w { 2 * C } else { C };
            if n == 4 && x + 2 < out_w {
                // Bytes past the two pixels land on pixel x + 2 of the same row, which
                // the next iteration overwrites.
                let o = y * row_out + x * C;
                assert!(o + 3 * row_out + 8 <= dst.len());
                // SAFETY: the assert bounds the four 8-byte writes, rows 0-3 at `o`.
                for (r, v) in lanes.iter().enumerate() {
                    std::ptr::write_unaligned(dst.as_mut_ptr().add(o + r * row_out).cast(), *v);
                }
            } else {
                for (r, v) in lanes.iter().enumerate().take(n) {
                    let o = (y + r) * row_out + x * C;
                    dst[o..o + k].copy_from_slice(&v.to_le_bytes()[..k]);
                }
            }
            x += 2;
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
