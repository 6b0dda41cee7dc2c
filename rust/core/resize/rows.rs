//! The same resize as [`super::resize_into`], produced a block of output rows at a time
//! for consumers that use a block and drop it (the fused patch writer): the whole resized
//! image is never written out, the block stays in cache between the last pass and its
//! consumer, and bands of blocks can run on different threads.
//!
//! Every output row is computed by the same pass functions on the same inputs as in the
//! whole-image resize, so the bytes are identical. Filters without convolution passes
//! (nearest) and premultiplied RGBA resize the whole image once and hand out its rows;
//! an unchanged size hands out the source's.

use std::ops::Range;

use super::coeffs::{self, Coeffs};
use super::{check_output_size, Compat, Filter, Kernel, Passes};
use crate::core::error::{invalid_arg, try_zeroed, Result};
use crate::core::image::ImageRef;

/// What a [`RowResize`] runs for each block.
enum Plan {
    /// No resize: rows of the source.
    Same,
    /// Rows of the whole resized image (nearest, premultiplied RGBA).
    Whole(Vec<u8>),
    /// Horizontal pass only.
    Horizontal(Coeffs),
    /// Vertical pass only.
    Vertical(Coeffs),
    /// Horizontal pass over the input rows a block needs (computed once, as the blocks
    /// advance), then the vertical pass into the block.
    HorizontalFirst { h: Coeffs, v: Coeffs },
    /// Vertical pass into a block-sized scratch, then the horizontal pass into the block.
    VerticalFirst { h: Coeffs, v: Coeffs },
}

/// A planned resize of one image whose output rows are produced in blocks ([`Band`]).
pub struct RowResize<'a> {
    src: ImageRef<'a>,
    out_w: usize,
    out_h: usize,
    passes: Passes,
    plan: Plan,
}

impl<'a> RowResize<'a> {
    /// Plans `src → out_height × out_width` as [`super::resize`] would.
    ///
    /// # Errors
    /// As [`super::resize`].
    pub fn new(
        src: &ImageRef<'a>,
        out_height: usize,
        out_width: usize,
        filter: Filter,
        compat: Compat,
    ) -> Result<Self> {
        check_output_size(out_height, out_width)?;
        compat.check_filter(filter)?;
        let (in_h, in_w, ch) = (src.height, src.width, src.channels);
        let kern = coeffs::kernel_for(filter);
        let premultiplied = ch == 4 && compat.premultiplies_alpha();
        let plan = match kern {
            _ if (in_h, in_w) == (out_height, out_width) && ch != 2 => Plan::Same,
            Some(k) if !premultiplied && ch != 2 => {
                let h = (in_w != out_width).then(|| compat.coeffs(in_w, out_width, k));
                let v = (in_h != out_height).then(|| compat.coeffs(in_h, out_height, k));
                match (h, v) {
                    (Some(h), None) => Plan::Horizontal(h),
                    (None, Some(v)) => Plan::Vertical(v),
                    (Some(h), Some(v))
                        if compat.vertical_first(in_h, in_w, out_height, out_width) =>
                    {
                        Plan::VerticalFirst { h, v }
                    }
                    (Some(h), Some(v)) => Plan::HorizontalFirst { h, v },
                    (None, None) => unreachable!("same size is handled by Same"),
                }
            }
            _ => {
                let mut whole = try_zeroed(out_height * out_width * ch, "resized image")?;
                super::resize_into(src, out_height, out_width, filter, compat, &mut whole)?;
                Plan::Whole(whole)
            }
        };
        Ok(Self {
            src: *src,
            out_w: out_width,
            out_h: out_height,
            passes: Kernel::Auto.passes()?,
            plan,
        })
    }

    /// Output `(height, width)`.
    #[must_use]
    pub fn size(&self) -> (usize, usize) {
        (self.out_h, self.out_w)
    }

    /// Bytes in one output row.
    #[must_use]
    pub fn row_bytes(&self) -> usize {
        self.out_w * self.src.channels
    }

    /// A producer of the output rows in `rows` (one thread's share), blocks in order.
    ///
    /// # Errors
    /// A range outside the output, or no memory for the pass intermediate.
    pub fn band(&self, rows: Range<usize>) -> Result<Band<'_, 'a>> {
        if rows.start >= rows.end || rows.end > self.out_h {
            return invalid_arg!(
                "row band {rows:?} is outside the {} output rows",
                self.out_h
            );
        }
        let (first, tmp) = match &self.plan {
            Plan::HorizontalFirst { v, .. } => {
                let (first, last) = v.outputs(rows.clone()).input_span();
                (
                    first,
                    try_zeroed((last - first) * self.row_bytes(), "resize intermediate")?,
                )
            }
            _ => (0, Vec::new()),
        };
        Ok(Band {
            resize: self,
            rows,
            first,
            done: first,
            tmp,
        })
    }
}

/// Output rows of one [`RowResize`] band, a block at a time.
pub struct Band<'r, 'a> {
    resize: &'r RowResize<'a>,
    rows: Range<usize>,
    /// First input row held in `tmp` (horizontal-first plans).
    first: usize,
    /// Input rows before this one are already resampled into `tmp`.
    done: usize,
    /// The horizontal pass's rows, or the vertical-first scratch.
    tmp: Vec<u8>,
}

impl Band<'_, '_> {
    /// Writes output rows `rows` (inside the band, any order; increasing order computes
    /// each intermediate row once and reads it back from cache) into `dst`, `rows.len()` rows of [`RowResize::row_bytes`].
    ///
    /// # Errors
    /// Rows outside the band or a wrongly sized `dst`.
    pub fn rows_into(&mut self, rows: Range<usize>, dst: &mut [u8]) -> Result<()> {
        let r = self.resize;
        let row_bytes = r.row_bytes();
        if rows.start < self.rows.start || rows.end > self.rows.end || rows.start >= rows.end {
            return invalid_arg!("rows {rows:?} are outside the band {:?}", self.rows);
        }
        if dst.len() != rows.len() * row_bytes {
            return invalid_arg!(
                "block buffer holds {} bytes, {} rows need {}",
                dst.len(),
                rows.len(),
                rows.len() * row_bytes
            );
        }
        let (src, in_w, ch) = (r.src.data, r.src.width, r.src.channels);
        let in_row = in_w * ch;
        match &r.plan {
            Plan::Same => dst.copy_from_slice(&src[rows.start * row_bytes..rows.end * row_bytes]),
            Plan::Whole(img) => {
                dst.copy_from_slice(&img[rows.start * row_bytes..rows.end * row_bytes])
            }
            Plan::Horizontal(h) => {
                (r.passes.horizontal)(
                    &src[rows.start * in_row..rows.end * in_row],
                    in_w,
                    ch,
                    h,
                    dst,
                );
            }
            Plan::Vertical(v) => (r.passes.vertical)(src, in_row, 0, &v.outputs(rows), dst),
            Plan::HorizontalFirst { h, v } => {
                let v = v.outputs(rows);
                let (_, need) = v.input_span();
                if need > self.done {
                    let at = (self.done - self.first) * row_bytes..(need - self.first) * row_bytes;
                    let input = &src[self.done * in_row..need * in_row];
                    (r.passes.horizontal)(input, in_w, ch, h, &mut self.tmp[at]);
                    self.done = need;
                }
                (r.passes.vertical)(&self.tmp, row_bytes, self.first, &v, dst);
            }
            Plan::VerticalFirst { h, v } => {
                self.tmp.resize(rows.len() * in_row, 0);
                (r.passes.vertical)(src, in_row, 0, &v.outputs(rows), &mut self.tmp);
                (r.passes.horizontal)(&self.tmp, in_w, ch, h, dst);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::resize::resize;

    #[test]
    fn blocks_of_any_band_are_the_whole_resize() {
        let (ih, iw) = (61, 47);
        for ch in [1, 3, 4] {
            let data: Vec<u8> = (0..ih * iw * ch).map(|i| (i * 131 % 253) as u8).collect();
            let src = ImageRef::new(&data, ih, iw, ch).unwrap();
            // Horizontal only, vertical only, both orders (Pillow 13 goes vertical first
            // when the height shrinks much more), same size, upscale.
            for (oh, ow) in [(61, 20), (17, 47), (15, 40), (40, 30), (61, 47), (90, 70)] {
                for filter in [Filter::Bicubic, Filter::Nearest, Filter::Box] {
                    for compat in [Compat::Pillow, Compat::Pillow12, Compat::Torchvision] {
                        if compat.check_filter(filter).is_err() {
                            continue;
                        }
                        let want = resize(&src, oh, ow, filter, compat).unwrap().data;
                        let r = RowResize::new(&src, oh, ow, filter, compat).unwrap();
                        let rb = r.row_bytes();
                        for (band, block) in [(0..oh, 5), (3..oh - 2, 4), (oh / 2..oh, 1)] {
                            let mut b = r.band(band.clone()).unwrap();
                            let mut y = band.start;
                            while y < band.end {
                                let end = (y + block).min(band.end);
                                let mut got = vec![0u8; (end - y) * rb];
                                b.rows_into(y..end, &mut got).unwrap();
                                assert_eq!(
                                    got,
                                    want[y * rb..end * rb],
                                    "{ch}ch {oh}x{ow} {filter:?} {compat:?} rows {y}..{end}"
                                );
                                y = end;
                            }
                            assert!(b.rows_into(band.end - 1..band.end + 1, &mut []).is_err());
                        }
                        assert!(r.band(0..oh + 1).is_err());
                    }
                }
            }
        }
    }
}
