//! Ids inside the vision tower: 2-D rotary ids per patch (`rot_pos_emb`), per-frame
//! attention segments (`cu_seqlens`) and Qwen2.5-VL's window order (`get_window_index`).
//!
//! Patches of one frame are ordered merge window by merge window: the `m x m` patches of
//! each merged token are adjacent (raster inside), and merged tokens follow in raster
//! order. Frames of a grid repeat the same ids.

use super::{check_merge, grid_rows, Grid};
use crate::core::error::{invalid_arg, try_with_capacity, Error, Result};

/// Most patches [`vision_position_ids`] and [`window_index`] accept over all grids (2^28:
/// a hundred times a long video at the hub budget; the ids then fill 4 GiB).
pub const MAX_TOTAL_PATCHES: u64 = 1 << 28;

/// Reads and checks every row of a flattened `(N, 3)` grid array.
fn read_grids(grids: &[i64], merge: i64) -> Result<Vec<Grid>> {
    check_merge(merge)?;
    let rows = grid_rows("grid_thw", grids)?;
    (0..rows)
        .map(|r| Grid::read("grid_thw", grids, r, merge))
        .collect()
}

/// Total patches over all grids, refusing totals that do not fit `limit`.
fn total_patches(grids: &[Grid], limit: u64) -> Result<usize> {
    let total = grids
        .iter()
        .try_fold(0u64, |acc, g| acc.checked_add((g.t * g.h * g.w) as u64))
        .filter(|&n| n <= limit)
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "grid_thw describes more than {limit} patches in total"
            ))
        })?;
    Ok(total as usize)
}

/// `(row, col)` of every patch in the order the vision tower sees them, flattened to
/// `2 * N` values (`N = Σ t·h·w`).
///
/// # Errors
/// Sides outside `1..=2^20`, `h`/`w` not divisible by `spatial_merge_size`, a total over
/// [`MAX_TOTAL_PATCHES`], or an invalid merge size.
pub fn vision_position_ids(grid_thw: &[i64], spatial_merge_size: i64) -> Result<Vec<i64>> {
    let m = spatial_merge_size;
    let grids = read_grids(grid_thw, m)?;
    let total = total_patches(&grids, MAX_TOTAL_PATCHES)?;
    let mut out = try_with_capacity(2 * total, "vision_position_ids of grid_thw")?;
    for g in &grids {
        let frame_start = out.len();
        for by in 0..g.h / m {
            for bx in 0..g.w / m {
                for dy in 0..m {
                    for dx in 0..m {
                        out.push(by * m + dy);
                        out.push(bx * m + dx);
                    }
                }
            }
        }
        let frame_end = out.len();
        for _ in 1..g.t {
            out.extend_from_within(frame_start..frame_end);
        }
    }
    Ok(out)
}

/// `[0, then the running patch count after every frame]`: one full-attention segment per
/// temporal frame of every grid, in `int32` as flash-attention and upstream use it.
///
/// # Errors
/// Sides outside `1..=2^20` or a total beyond `i32::MAX` patches.
pub fn cu_seqlens(grid_thw: &[i64]) -> Result<Vec<i32>> {
    let grids = read_grids(grid_thw, 1)?;
    total_patches(&grids, i32::MAX as u64)?;
    let frames: usize = grids.iter().map(|g| g.t as usize).sum();
    let mut out = try_with_capacity(frames + 1, "cu_seqlens of grid_thw")?;
    let mut acc = 0i64;
    out.push(0);
    for g in &grids {
        for _ in 0..g.t {
            acc += g.h * g.w;
            out.push(acc as i32); // total <= i32::MAX, checked above
        }
    }
    Ok(out)
}

/// Qwen2.5-VL `get_window_index`: the merged-token order that groups tokens by attention
/// window, and the **raw** cumulative window boundaries in patch units (one entry per
/// window, including the empty windows that padding creates; `np.unique` gives the
/// deduplicated boundaries the model uses, as the values never decrease).
///
/// Windows are `window_size / spatial_merge_size / patch_size` merged tokens per side,
/// laid out per frame from the top-left; padding always adds `ws - (n % ws)` cells,
/// i.e. a whole empty window row/column when the side is a multiple of `ws`.
///
/// # Errors
/// Grid errors as [`vision_position_ids`], or a window smaller than one merged token.
pub fn window_index(
    grid_thw: &[i64],
    window_size: i64,
    patch_size: i64,
    spatial_merge_size: i64,
) -> Result<(Vec<i64>, Vec<i64>)> {
    let m = spatial_merge_size;
    if patch_size < 1 || window_size < 1 {
        return invalid_arg!(
            "window_size and patch_size must be >= 1, got {window_size} and {patch_size}"
        );
    }
    let grids = read_grids(grid_thw, m)?;
    let ws = window_size / m / patch_size;
    if ws < 1 {
        return invalid_arg!(
            "window_size // spatial_merge_size // patch_size must be >= 1, got \
             {window_size} // {m} // {patch_size} = {ws}"
        );
    }
    let merged = total_patches(&grids, MAX_TOTAL_PATCHES)? / (m * m) as usize;
    let mut index = try_with_capacity(merged, "window_index of grid_thw")?;
    // Each factor is at most 2^20 + 1, so a frame's windows fit; the sum is checked.
    let windows = grids
        .iter()
        .try_fold(1usize, |acc, g| {
            let (lh, lw) = g.merged_hw(m);
            acc.checked_add(g.t as usize * ((lh / ws + 1) * (lw / ws + 1)) as usize)
        })
        .unwrap_or(usize::MAX);
    let mut cu = try_with_capacity(windows, "window boundaries of grid_thw")?;
    cu.push(0i64);
    let unit = m * m;
    let mut offset = 0i64;
    for g in &grids {
        let (lh, lw) = g.merged_hw(m);
        // ws - n % ws padding cells: always at least one more window per side than
        // n / ws when n % ws == 0 (the upstream quirk that creates empty windows).
        let (nwh, nww) = (lh / ws + 1, lw / ws + 1);
        for f in 0..g.t {
            let frame = offset + f * lh * lw;
            for wy in 0..nwh {
                let rows = (wy * ws)..((wy + 1) * ws).min(lh);
                for wx in 0..nww {
                    let cols = (wx * ws)..((wx + 1) * ws).min(lw);
                    for y in rows.clone() {
                        index.extend(cols.clone().map(|x| frame + y * lw + x));
                    }
                    let cells = rows.clone().count() as i64 * cols.count() as i64;
                    let last = *cu.last().unwrap_or(&0);
                    cu.push(last + cells * unit);
                }
            }
        }
        offset += g.t * lh * lw;
    }
    Ok((index, cu))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rot_pos_ids_follow_the_merge_windows() {
        // spec 5.1: grid (1, 4, 6)
        let ids = vision_position_ids(&[1, 4, 6], 2).unwrap();
        let h: Vec<i64> = ids.iter().step_by(2).copied().collect();
        let w: Vec<i64> = ids.iter().skip(1).step_by(2).copied().collect();
        assert_eq!(
            h,
            [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3, 2, 2, 3, 3]
        );
        assert_eq!(
            w,
            [0, 1, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 0, 1, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5]
        );
        // grid (2, 2, 4): frames repeat
        let ids = vision_position_ids(&[2, 2, 4], 2).unwrap();
        let h: Vec<i64> = ids.iter().step_by(2).copied().collect();
        assert_eq!(h, [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
    }

    #[test]
    fn cu_seqlens_one_segment_per_frame() {
        assert_eq!(cu_seqlens(&[1, 4, 6]).unwrap(), [0, 24]);
        assert_eq!(cu_seqlens(&[2, 2, 4]).unwrap(), [0, 8, 16]);
        assert_eq!(cu_seqlens(&[1, 2, 2, 1, 4, 4]).unwrap(), [0, 4, 20]);
        assert!(cu_seqlens(&[1 << 20, 1 << 20, 1 << 20]).is_err());
    }

    #[test]
    fn window_index_spec_examples() {
        let (idx, cu) = window_index(&[1, 4, 6], 112, 14, 2).unwrap();
        assert_eq!(idx, [0, 1, 2, 3, 4, 5]);
        assert_eq!(cu, [0, 24]);
        let (idx, cu) = window_index(&[1, 16, 16], 112, 14, 2).unwrap();
        assert_eq!(&idx[..8], [0, 1, 2, 3, 8, 9, 10, 11]);
        assert_eq!(&idx[16..20], [4, 5, 6, 7]);
        assert_eq!(cu, [0, 64, 128, 128, 192, 256, 256, 256, 256, 256]);
        let (idx, cu) = window_index(&[1, 10, 12], 112, 14, 2).unwrap();
        assert_eq!(
            idx,
            [
                0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15, 18, 19, 20, 21, 4, 5, 10, 11, 16, 17, 22,
                23, 24, 25, 26, 27, 28, 29
            ]
        );
        assert_eq!(cu, [0, 64, 96, 112, 120]);
        let (idx, cu) = window_index(&[2, 8, 4], 112, 14, 2).unwrap();
        assert_eq!(idx, (0..16).collect::<Vec<_>>());
        assert_eq!(cu, [0, 32, 32, 64, 64]);
        let (idx, cu) = window_index(&[1, 4, 4, 1, 10, 10], 112, 14, 2).unwrap();
        assert_eq!(
            idx,
            [
                0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22, 8, 13, 18,
                23, 24, 25, 26, 27, 28
            ]
        );
        assert_eq!(cu, [0, 16, 80, 96, 112, 116]);
    }

    #[test]
    fn vision_errors() {
        assert!(matches!(
            vision_position_ids(&[1, 3, 4], 2),
            Err(Error::GridMismatch(_))
        ));
        assert!(vision_position_ids(&[1, 0, 4], 2).is_err());
        assert!(vision_position_ids(&[1, 4], 2).is_err());
        assert!(vision_position_ids(&[1, 4, 4], 0).is_err());
        assert!(window_index(&[1, 4, 4], 20, 14, 2).is_err());
        assert!(window_index(&[1, 4, 4], 112, 0, 2).is_err());
    }
}
