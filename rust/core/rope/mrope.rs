//! 3-D M-RoPE position ids for the language model (`get_rope_index`), in three
//! conventions that differ in where text resumes after a vision block, how video time is
//! scaled, what padding holds and what the decode delta is measured against.
//!
//! | convention      | text after a block resumes at         | video temporal id (tps set)      | padding | delta base      |
//! |-----------------|---------------------------------------|----------------------------------|---------|-----------------|
//! | `Transformers4` | block max over t, h, w + 1            | `k * trunc(s) * tps`             | 1       | padded length   |
//! | `Qwen`          | block max over t, h, w + 1            | `trunc(f32(f32(k * s) * tps))`   | 1       | padded length   |
//! | `Transformers5` | block start + max(h, w) / merge       | `trunc(f32(k * f32(tps * s)))`   | 0       | unpadded length |
//!
//! Without `tokens_per_second` (Qwen2-VL) the temporal id is the frame-group index `k`.
//! Image blocks: temporal id 0 when `tokens_per_second` is set (`k` under
//! `Transformers5`), `k` otherwise.
//!
//! One pass over each row writes straight into the `(3, B, L)` output. Validation is
//! strict where upstream silently misplaces tokens: every maximal run of image (video)
//! pad tokens is one block, must be preceded by the vision-start token (not required by
//! `Transformers5`, which groups runs by token type), must hold exactly
//! `t * h * w / merge²` tokens of the next unused grid row, and every grid row must be
//! used by the end of the batch.

use super::{check_merge, grid_rows, Grid};
use crate::core::error::{invalid_arg, Error, Result};

/// Which implementation's position ids to reproduce (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    /// The original Qwen2/2.5-VL rule (float temporal scaling, float32).
    Qwen,
    /// transformers 4.57.6 `get_rope_index` (`second_per_grid_t` truncated to an integer).
    Transformers4,
    /// transformers 5.x `get_rope_index` (checked against 5.18.0).
    Transformers5,
}

impl Convention {
    /// Parses `"qwen"`, `"transformers4"` or `"transformers5"`.
    ///
    /// # Errors
    /// Any other name.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "qwen" => Ok(Self::Qwen),
            "transformers4" => Ok(Self::Transformers4),
            "transformers5" => Ok(Self::Transformers5),
            other => invalid_arg!(
                "convention must be 'qwen', 'transformers4' or 'transformers5', got {other:?}"
            ),
        }
    }

    /// The value left in padded (attention-mask 0) slots.
    fn padding(self) -> i64 {
        match self {
            Self::Transformers5 => 0,
            Self::Qwen | Self::Transformers4 => 1,
        }
    }
}

/// The model constants `get_rope_index` reads from its config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MropeSpec {
    /// Patches merged per side by the vision merger (2 for every released Qwen-VL).
    pub spatial_merge_size: i64,
    /// `<|image_pad|>` id.
    pub image_token_id: i64,
    /// `<|video_pad|>` id.
    pub video_token_id: i64,
    /// `<|vision_start|>` id.
    pub vision_start_token_id: i64,
    /// Qwen2.5-VL's `vision_config.tokens_per_second`; `None` for Qwen2-VL / Qwen3-VL.
    pub tokens_per_second: Option<i64>,
    /// Which implementation to reproduce.
    pub convention: Convention,
}

/// The batch: borrowed, row-major arrays exactly as they come from NumPy.
#[derive(Debug, Clone, Copy)]
pub struct MropeInput<'a> {
    /// `(batch, len)` token ids.
    pub input_ids: &'a [i64],
    /// Rows.
    pub batch: usize,
    /// Tokens per row (padded length).
    pub len: usize,
    /// `(batch, len)` 0/1 mask; `None` means every token counts.
    pub attention_mask: Option<&'a [i64]>,
    /// Flattened `(N_img, 3)` image grids, consumed in order across the whole batch.
    pub image_grid_thw: Option<&'a [i64]>,
    /// Flattened `(N_vid, 3)` video grids, consumed in order across the whole batch.
    pub video_grid_thw: Option<&'a [i64]>,
    /// Seconds per temporal grid, one per video row (float32, as the processors emit it);
    /// `None` means 1 for every video.
    pub second_per_grid_ts: Option<&'a [f32]>,
}

/// Largest accepted `tokens_per_second`: keeps it exact in `f32` and products in `i64`.
const MAX_TOKENS_PER_SECOND: i64 = 1 << 20;
/// Largest temporal id a block may reach (keeps every sum far from `i64` overflow).
const MAX_TEMPORAL: f64 = (1u64 << 52) as f64;

/// Computes `position_ids` `(3, batch, len)` and `mrope_position_deltas` `(batch,)`.
///
/// `positions` must hold `3 * batch * len` values and `deltas` `batch`; both are fully
/// overwritten. Without any grid (both `None`) rows get plain 1-D positions (see the
/// module docs of each convention in the Python package).
///
/// # Errors
/// [`Error::GridMismatch`] when grids and vision tokens disagree (named row, token
/// position and grid row); [`Error::InvalidArgument`] for inconsistent lengths, mask
/// values other than 0/1, non-positive sizes, bad `second_per_grid_ts` or overflow.
pub fn mrope_position_ids(
    input: &MropeInput<'_>,
    spec: &MropeSpec,
    positions: &mut [i64],
    deltas: &mut [i64],
) -> Result<()> {
    let (batch, len) = (input.batch, input.len);
    let cells = batch
        .checked_mul(len)
        .filter(|c| c.checked_mul(3).is_some())
        .ok_or_else(|| Error::InvalidArgument(format!("batch {batch} x length {len} overflows")))?;
    if input.input_ids.len() != cells {
        return invalid_arg!(
            "input_ids holds {} values, expected batch {batch} x length {len}",
            input.input_ids.len()
        );
    }
    if let Some(m) = input.attention_mask {
        if m.len() != cells {
            return invalid_arg!(
                "attention_mask holds {} values, expected the shape of input_ids ({batch}, {len})",
                m.len()
            );
        }
    }
    if positions.len() != 3 * cells || deltas.len() != batch {
        return invalid_arg!(
            "output buffers must hold 3 x {batch} x {len} positions and {batch} deltas, got {} and {}",
            positions.len(),
            deltas.len()
        );
    }
    check_spec(spec)?;

    let (pt, rest) = positions.split_at_mut(cells);
    let (ph, pw) = rest.split_at_mut(cells);
    let rows = (0..batch).map(|b| b * len..(b + 1) * len);

    if input.image_grid_thw.is_none() && input.video_grid_thw.is_none() {
        for (b, r) in rows.enumerate() {
            let out = RowOut {
                t: &mut pt[r.clone()],
                h: &mut ph[r.clone()],
                w: &mut pw[r.clone()],
            };
            let mask = input.attention_mask.map(|m| &m[r.clone()]);
            deltas[b] = text_only_row(&input.input_ids[r], mask, out, spec, b)?;
        }
        return Ok(());
    }

    let mut blocks = Blocks::new(input, spec)?;
    for (b, r) in rows.enumerate() {
        let out = RowOut {
            t: &mut pt[r.clone()],
            h: &mut ph[r.clone()],
            w: &mut pw[r.clone()],
        };
        let mask = input.attention_mask.map(|m| &m[r.clone()]);
        let (max_pos, unmasked) = vision_row(&input.input_ids[r], mask, out, &mut blocks, b)?;
        let base = match spec.convention {
            Convention::Transformers5 => unmasked,
            Convention::Qwen | Convention::Transformers4 => len,
        };
        deltas[b] = max_pos + 1 - base as i64;
    }
    blocks.check_all_used()
}

fn check_spec(spec: &MropeSpec) -> Result<()> {
    check_merge(spec.spatial_merge_size)?;
    let ids = [
        spec.image_token_id,
        spec.video_token_id,
        spec.vision_start_token_id,
    ];
    if ids[0] == ids[1] || ids[0] == ids[2] || ids[1] == ids[2] {
        return invalid_arg!(
            "image_token_id, video_token_id and vision_start_token_id must differ, got {}, {}, {}",
            ids[0],
            ids[1],
            ids[2]
        );
    }
    if let Some(tps) = spec.tokens_per_second {
        if !(1..=MAX_TOKENS_PER_SECOND).contains(&tps) {
            return invalid_arg!(
                "tokens_per_second must be between 1 and {MAX_TOKENS_PER_SECOND} (or None), got {tps}"
            );
        }
    }
    Ok(())
}

/// One row of each of the three output planes.
struct RowOut<'a> {
    t: &'a mut [i64],
    h: &'a mut [i64],
    w: &'a mut [i64],
}

impl RowOut<'_> {
    #[inline(always)]
    fn put(&mut self, j: usize, t: i64, h: i64, w: i64) {
        self.t[j] = t;
        self.h[j] = h;
        self.w[j] = w;
    }
}

#[inline(always)]
fn mask_at(mask: Option<&[i64]>, j: usize, row: usize) -> Result<bool> {
    match mask.map_or(1, |m| m[j]) {
        1 => Ok(true),
        0 => Ok(false),
        v => invalid_arg!("attention_mask[{row}, {j}] = {v}; the mask must hold only 0 and 1"),
    }
}

/// A row without any grid: positions count the unmasked tokens. Returns the delta.
fn text_only_row(
    ids: &[i64],
    mask: Option<&[i64]>,
    mut out: RowOut<'_>,
    spec: &MropeSpec,
    row: usize,
) -> Result<i64> {
    let pad = spec.convention.padding();
    let mut next = 0i64;
    let mut padded = false;
    for (j, &tok) in ids.iter().enumerate() {
        if !mask_at(mask, j, row)? {
            out.put(j, pad, pad, pad);
            padded = true;
            continue;
        }
        if tok == spec.image_token_id || tok == spec.video_token_id {
            let what = if tok == spec.image_token_id {
                "image"
            } else {
                "video"
            };
            return Err(Error::GridMismatch(format!(
                "input_ids[{row}, {j}] is a {what} token but no image_grid_thw or \
                 video_grid_thw was given"
            )));
        }
        out.put(j, next, next, next);
        next += 1;
    }
    Ok(match spec.convention {
        // get_rope_index called with no grid: every unmasked row ends at n - 1.
        Convention::Transformers5 => 0,
        // The text-only branch of 4.57.6: without a mask, arange and delta 0; with one,
        // the row maximum (padding's 1 included) + 1 - padded length.
        Convention::Qwen | Convention::Transformers4 => match mask {
            None => 0,
            Some(_) => {
                let top = if padded { (next - 1).max(1) } else { next - 1 };
                top + 1 - ids.len() as i64
            }
        },
    })
}

/// The grid rows of one kind (image or video) and how many the batch has used so far.
struct GridList<'a> {
    what: &'static str,
    grids: &'a [i64],
    rows: usize,
    used: usize,
}

impl<'a> GridList<'a> {
    fn new(what: &'static str, grids: Option<&'a [i64]>) -> Result<Self> {
        let grids = grids.unwrap_or(&[]);
        Ok(GridList {
            what,
            grids,
            rows: grid_rows(what, grids)?,
            used: 0,
        })
    }
}

/// Everything a block needs to lay out its positions.
struct Block {
    kind: &'static str,
    row: usize,
    grid: Grid,
    lh: i64,
    lw: i64,
    tokens: usize,
    temporal: Temporal,
}

/// The temporal id of frame group `k` inside one block.
#[derive(Clone, Copy)]
enum Temporal {
    /// `k`.
    Index,
    /// `0` for every `k` (Qwen2.5-VL images).
    Zero,
    /// `k * step` in integers.
    Step(i64),
    /// `trunc(f32(f32(k * s) * tps))` (the original Qwen rule).
    QwenFloat { s: f32, tps: f32 },
    /// `trunc(f32(k * interval))` with `interval = f32(tps * s)` (transformers 5).
    Interval(f32),
}

impl Temporal {
    #[inline(always)]
    fn at(self, k: i64) -> i64 {
        match self {
            Temporal::Index => k,
            Temporal::Zero => 0,
            Temporal::Step(step) => k * step,
            Temporal::QwenFloat { s, tps } => (((k as f32) * s) * tps).trunc() as i64,
            Temporal::Interval(i) => ((k as f32) * i).trunc() as i64,
        }
    }

    /// The largest id over `k < t`, checked; all rules are non-decreasing in `k`.
    fn max_checked(self, t: i64) -> Option<i64> {
        let k = t - 1;
        let exact = match self {
            Temporal::Index => k as f64,
            Temporal::Zero => 0.0,
            Temporal::Step(step) => (k as f64) * (step as f64),
            Temporal::QwenFloat { s, tps } => ((((k as f32) * s) * tps).trunc()) as f64,
            Temporal::Interval(i) => (((k as f32) * i).trunc()) as f64,
        };
        (exact.is_finite() && exact <= MAX_TEMPORAL).then(|| self.at(k))
    }
}

/// The image and video grid lists plus the per-video seconds: hands out the next block.
struct Blocks<'a> {
    spec: MropeSpec,
    images: GridList<'a>,
    videos: GridList<'a>,
    seconds: Option<&'a [f32]>,
    longest: usize,
}

impl<'a> Blocks<'a> {
    fn new(input: &MropeInput<'a>, spec: &MropeSpec) -> Result<Self> {
        let images = GridList::new("image_grid_thw", input.image_grid_thw)?;
        let videos = GridList::new("video_grid_thw", input.video_grid_thw)?;
        if let Some(s) = input.second_per_grid_ts {
            if s.len() != videos.rows {
                return invalid_arg!(
                    "second_per_grid_ts has {} values but video_grid_thw has {} rows; \
                     give one per video",
                    s.len(),
                    videos.rows
                );
            }
            if let Some((i, v)) = s
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                return invalid_arg!(
                    "second_per_grid_ts[{i}] = {v}; it must be a finite number >= 0"
                );
            }
        }
        Ok(Blocks {
            spec: *spec,
            images,
            videos,
            seconds: input.second_per_grid_ts,
            longest: input.len,
        })
    }

    /// The next block for a run of `tok` starting at `input_ids[row, at]`.
    fn next(&mut self, is_video: bool, row: usize, at: usize) -> Result<Block> {
        let spec = self.spec;
        let merge = spec.spatial_merge_size;
        let list = if is_video {
            &mut self.videos
        } else {
            &mut self.images
        };
        let kind = if is_video { "video" } else { "image" };
        if list.used >= list.rows {
            return Err(Error::GridMismatch(format!(
                "input_ids[{row}, {at}] starts {kind} block number {} of the batch but {} has \
                 only {} rows",
                list.used + 1,
                list.what,
                list.rows
            )));
        }
        let g = list.used;
        list.used += 1;
        let grid = Grid::read(list.what, list.grids, g, merge)?;
        let (lh, lw) = grid.merged_hw(merge);
        let tokens = grid.t * lh * lw; // sides <= 2^20: no overflow
        if tokens as u64 > self.longest as u64 {
            return Err(Error::GridMismatch(format!(
                "{}[{g}] = ({}, {}, {}) needs {tokens} {kind} tokens, more than the row length \
                 {} (input_ids[{row}, {at}] starts its block)",
                list.what, grid.t, grid.h, grid.w, self.longest
            )));
        }
        let temporal = match spec.tokens_per_second {
            None => Temporal::Index,
            Some(tps) => {
                let s = self.seconds.filter(|_| is_video).map(|s| s[g]);
                match (spec.convention, is_video, s) {
                    (Convention::Transformers5, false, _) => Temporal::Index,
                    (_, false, _) => Temporal::Zero,
                    (Convention::Transformers5 | Convention::Transformers4, true, None) => {
                        Temporal::Step(tps)
                    }
                    (Convention::Transformers4, true, Some(s)) => {
                        Temporal::Step((s.trunc() as i64).saturating_mul(tps))
                    }
                    (Convention::Qwen, true, s) => Temporal::QwenFloat {
                        s: s.unwrap_or(1.0),
                        tps: tps as f32,
                    },
                    (Convention::Transformers5, true, Some(s)) => {
                        Temporal::Interval((tps as f32) * s)
                    }
                }
            }
        };
        Ok(Block {
            kind,
            row: g,
            grid,
            lh,
            lw,
            tokens: tokens as usize,
            temporal,
        })
    }

    fn check_all_used(&self) -> Result<()> {
        for list in [&self.images, &self.videos] {
            if list.used != list.rows {
                return Err(Error::GridMismatch(format!(
                    "{} has {} rows but the batch holds only {} such blocks (rows {}.. unused)",
                    list.what, list.rows, list.used, list.used
                )));
            }
        }
        Ok(())
    }
}

/// A row with vision blocks. Returns (largest position, unmasked token count).
fn vision_row(
    ids: &[i64],
    mask: Option<&[i64]>,
    mut out: RowOut<'_>,
    blocks: &mut Blocks<'_>,
    row: usize,
) -> Result<(i64, usize)> {
    let spec = blocks.spec;
    let pad = spec.convention.padding();
    let len = ids.len();
    let mut next = 0i64; // where the next text token goes
    let mut block_max = -1i64;
    let mut unmasked = 0usize;
    let mut prev: Option<i64> = None;
    let mut last_block: Option<(&'static str, usize)> = None;
    let mut j = 0usize;
    while j < len {
        if !mask_at(mask, j, row)? {
            out.put(j, pad, pad, pad);
            j += 1;
            continue;
        }
        let tok = ids[j];
        let is_image = tok == spec.image_token_id;
        if !is_image && tok != spec.video_token_id {
            out.put(j, next, next, next);
            next += 1;
            unmasked += 1;
            prev = Some(tok);
            j += 1;
            continue;
        }
        if prev == Some(tok) {
            let (kind, g) = last_block.unwrap_or(("", 0));
            return Err(Error::GridMismatch(format!(
                "input_ids[{row}, {j}]: the run of {kind} tokens is longer than \
                 {kind}_grid_thw[{g}] describes"
            )));
        }
        if spec.convention != Convention::Transformers5 && prev != Some(spec.vision_start_token_id)
        {
            let kind = if is_image { "image" } else { "video" };
            return Err(Error::GridMismatch(format!(
                "input_ids[{row}, {j}]: a run of {kind} tokens that does not follow \
                 vision_start_token_id={}; every vision block must start with it",
                spec.vision_start_token_id
            )));
        }
        let block = blocks.next(!is_image, row, j)?;
        let extent = block
            .temporal
            .max_checked(block.grid.t)
            .map(|t| t.max(block.lh - 1).max(block.lw - 1))
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "{}_grid_thw[{}]: temporal position ids overflow (check \
                     second_per_grid_ts and tokens_per_second)",
                    block.kind, block.row
                ))
            })?;
        j = write_block(ids, mask, &mut out, &block, tok, next, j, row, pad)?;
        block_max = block_max.max(next + extent);
        next = match spec.convention {
            Convention::Transformers5 => {
                next + block.grid.h.max(block.grid.w) / spec.spatial_merge_size
            }
            Convention::Qwen | Convention::Transformers4 => next + extent + 1,
        };
        if next.checked_add(len as i64).is_none() {
            return invalid_arg!("row {row}: position ids overflow int64");
        }
        unmasked += block.tokens;
        prev = Some(tok);
        last_block = Some((block.kind, block.row));
    }
    // Text positions only grow, so the last one (next - 1) is the text maximum.
    let text_max = if unmasked > 0 { next - 1 } else { -1 };
    Ok((block_max.max(text_max), unmasked))
}

/// Writes one block whose first token is `input_ids[row, start]`; returns the index just
/// past its last token. Checks that the block's tokens are all `tok`.
#[allow(clippy::too_many_arguments)]
fn write_block(
    ids: &[i64],
    mask: Option<&[i64]>,
    out: &mut RowOut<'_>,
    block: &Block,
    tok: i64,
    base: i64,
    start: usize,
    row: usize,
    pad: i64,
) -> Result<usize> {
    let (t, lh, lw) = (block.grid.t, block.lh, block.lw);
    let n = block.tokens;
    let end = start + n;
    let contiguous = end <= ids.len()
        && mask.is_none_or(|m| all_equal(&m[start..end], 1))
        && all_equal(&ids[start..end], tok);
    if contiguous {
        let lw_u = lw as usize;
        let mut p = start;
        for k in 0..t {
            let tv = base + block.temporal.at(k);
            for y in 0..lh {
                let q = p + lw_u;
                out.t[p..q].fill(tv);
                out.h[p..q].fill(base + y);
                for (o, x) in out.w[p..q].iter_mut().zip(base..) {
                    *o = x;
                }
                p = q;
            }
        }
        return Ok(end);
    }
    // Padding inside the block, or a mismatch to report: walk token by token.
    let mut p = start;
    let mut found = 0usize;
    for k in 0..t {
        let tv = base + block.temporal.at(k);
        for y in 0..lh {
            for x in 0..lw {
                loop {
                    if p >= ids.len() {
                        return Err(short_run(block, row, start, found));
                    }
                    if mask_at(mask, p, row)? {
                        break;
                    }
                    out.put(p, pad, pad, pad);
                    p += 1;
                }
                if ids[p] != tok {
                    return Err(short_run(block, row, start, found));
                }
                out.put(p, tv, base + y, base + x);
                found += 1;
                p += 1;
            }
        }
    }
    Ok(p)
}

/// `values.iter().all(|&v| v == want)` without the per-element early exit, so that it
/// vectorises; stops at the first 256-value chunk that differs.
fn all_equal(values: &[i64], want: i64) -> bool {
    values
        .chunks(256)
        .all(|c| c.iter().fold(0i64, |acc, &v| acc | (v ^ want)) == 0)
}

fn short_run(block: &Block, row: usize, start: usize, found: usize) -> Error {
    let g = block.grid;
    Error::GridMismatch(format!(
        "input_ids[{row}, {start}]: a run of {found} {kind} tokens, but {kind}_grid_thw[{r}] = \
         ({}, {}, {}) needs t*h*w/merge^2 = {} tokens",
        g.t,
        g.h,
        g.w,
        block.tokens,
        kind = block.kind,
        r = block.row
    ))
}

#[cfg(test)]
mod tests;
