//! Reference passes: Pillow's integer loops written plainly. The SIMD passes must
//! produce the same bytes.

use super::coeffs::{clip8, Coeffs};

/// Resamples along rows: `src` holds `rows` rows of `in_w` pixels of `channels` bytes;
/// `dst` receives the same number of rows of `c.n_out()` pixels.
pub fn horizontal(src: &[u8], in_w: usize, channels: usize, c: &Coeffs, dst: &mut [u8]) {
    match channels {
        1 => horizontal_c::<1>(src, in_w, c, dst),
        2 => horizontal_c::<2>(src, in_w, c, dst),
        3 => horizontal_c::<3>(src, in_w, c, dst),
        _ => horizontal_c::<4>(src, in_w, c, dst),
    }
}

fn horizontal_c<const C: usize>(src: &[u8], in_w: usize, c: &Coeffs, dst: &mut [u8]) {
    let out_w = c.n_out();
    for (row_in, row_out) in src
        .chunks_exact(in_w * C)
        .zip(dst.chunks_exact_mut(out_w * C))
    {
        for (x, px_out) in row_out.chunks_exact_mut(C).enumerate() {
            let first = c.start[x] * C;
            let mut acc = [c.round(); C];
            for (t, &k) in c.weights(x).iter().enumerate() {
                let px = &row_in[first + t * C..first + t * C + C];
                for ch in 0..C {
                    acc[ch] = acc[ch].wrapping_add(i32::from(px[ch]).wrapping_mul(k));
                }
            }
            for ch in 0..C {
                px_out[ch] = clip8(acc[ch], c.precision);
            }
        }
    }
}

/// Resamples along columns: `src` holds rows of `row_bytes` bytes, its first row being
/// input row `first_row`; `dst` receives `c.n_out()` rows. Every byte is its own sample.
pub fn vertical(src: &[u8], row_bytes: usize, first_row: usize, c: &Coeffs, dst: &mut [u8]) {
    let mut acc = vec![0i32; row_bytes];
    for (y, row_out) in dst.chunks_exact_mut(row_bytes).enumerate() {
        acc.fill(c.round());
        let top = c.start[y] - first_row;
        for (t, &k) in c.weights(y).iter().enumerate() {
            let row_in = &src[(top + t) * row_bytes..(top + t + 1) * row_bytes];
            for (a, &p) in acc.iter_mut().zip(row_in) {
                *a = a.wrapping_add(i32::from(p).wrapping_mul(k));
            }
        }
        for (o, &a) in row_out.iter_mut().zip(&acc) {
            *o = clip8(a, c.precision);
        }
    }
}
