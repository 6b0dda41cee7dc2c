//! Pillow's NEAREST resize: an affine scale (`Geometry.c`, `ImagingScaleAffine`).
//!
//! The source position is a double that starts at `step / 2` and is advanced by repeated
//! addition, then truncated; positions that land outside the image leave a zero pixel.

/// Source index per output index (`None`: outside the source, Pillow leaves 0).
#[must_use]
pub fn indices(n_in: usize, n_out: usize) -> Vec<Option<usize>> {
    // Pillow divides a float box width by the int size in double precision.
    let step = f64::from(n_in as f32) / n_out as f64;
    let mut pos = step * 0.5;
    (0..n_out)
        .map(|_| {
            let i = pos as usize; // pos >= 0: truncation is floor
            pos += step;
            (i < n_in).then_some(i)
        })
        .collect()
}

/// Nearest-neighbour resize of `src` (`in_h x in_w x channels`) into `out`.
pub fn resize(
    src: &[u8],
    in_h: usize,
    in_w: usize,
    channels: usize,
    out_h: usize,
    out_w: usize,
    out: &mut [u8],
) {
    let ys = indices(in_h, out_h);
    let xs = indices(in_w, out_w);
    let (row_in, row_out) = (in_w * channels, out_w * channels);
    for (y, dst) in ys.iter().zip(out.chunks_exact_mut(row_out)) {
        let Some(y) = *y else {
            dst.fill(0);
            continue;
        };
        let line = &src[y * row_in..(y + 1) * row_in];
        for (x, px) in xs.iter().zip(dst.chunks_exact_mut(channels)) {
            match *x {
                Some(x) => px.copy_from_slice(&line[x * channels..(x + 1) * channels]),
                None => px.fill(0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_centres() {
        // 4 -> 2: positions 1.0 and 3.0; 2 -> 4: 0.25, 0.75, 1.25, 1.75.
        assert_eq!(indices(4, 2), vec![Some(1), Some(3)]);
        assert_eq!(indices(2, 4), vec![Some(0), Some(0), Some(1), Some(1)]);
        assert_eq!(indices(5, 1), vec![Some(2)]);
    }
}
