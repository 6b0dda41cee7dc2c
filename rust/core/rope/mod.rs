//! Position ids for Qwen2-VL-style models: 3-D M-RoPE ids for the language model
//! ([`mrope`]) and the ids, windows and segments of the vision tower ([`vision`]).
//!
//! Everything here is integer bookkeeping: exact, single pass, written straight into
//! caller-provided or freshly allocated buffers.

pub mod mrope;
pub mod vision;

pub use mrope::{mrope_position_ids, Convention, MropeInput, MropeSpec};
pub use vision::{cu_seqlens, vision_position_ids, window_index};

use super::error::{invalid_arg, Result};

/// Largest accepted grid side or frame count (patches); far beyond any real input, small
/// enough that products of three sides cannot overflow `i64`.
pub const MAX_GRID_SIDE: i64 = 1 << 20;

/// One `(t, h, w)` row of an `image_grid_thw` / `video_grid_thw` array, in patch units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    /// Temporal patches (frame groups); 1 for images.
    pub t: i64,
    /// Patch rows.
    pub h: i64,
    /// Patch columns.
    pub w: i64,
}

impl Grid {
    /// Reads and checks row `row` of a flattened `(N, 3)` grid array: every side must be
    /// in `1..=MAX_GRID_SIDE` and `h`, `w` divisible by `merge`.
    pub(crate) fn read(what: &str, grids: &[i64], row: usize, merge: i64) -> Result<Grid> {
        let g = Grid {
            t: grids[3 * row],
            h: grids[3 * row + 1],
            w: grids[3 * row + 2],
        };
        let (t, h, w) = (g.t, g.h, g.w);
        for v in [t, h, w] {
            if !(1..=MAX_GRID_SIDE).contains(&v) {
                return invalid_arg!(
                    "{what}[{row}] = ({t}, {h}, {w}): every side must be between 1 and {MAX_GRID_SIDE}"
                );
            }
        }
        if h % merge != 0 || w % merge != 0 {
            return Err(super::Error::GridMismatch(format!(
                "{what}[{row}] = ({t}, {h}, {w}): h and w must be multiples of \
                 spatial_merge_size={merge}"
            )));
        }
        Ok(g)
    }

    /// Merged tokens per frame group: `(h / merge) * (w / merge)`.
    pub(crate) fn merged_hw(&self, merge: i64) -> (i64, i64) {
        (self.h / merge, self.w / merge)
    }
}

/// Checks that a flattened grid array holds whole `(t, h, w)` rows; returns the row count.
pub(crate) fn grid_rows(what: &str, grids: &[i64]) -> Result<usize> {
    if grids.len() % 3 != 0 {
        return invalid_arg!("{what} must have shape (N, 3), got {} values", grids.len());
    }
    Ok(grids.len() / 3)
}

/// Checks a merge size (1..=64 covers every released model with room to spare).
pub(crate) fn check_merge(merge: i64) -> Result<()> {
    if !(1..=64).contains(&merge) {
        return invalid_arg!("spatial_merge_size must be between 1 and 64, got {merge}");
    }
    Ok(())
}
