//! InternVL 1.5 / 2 / 2.5 dynamic tiling without pixels: candidate grids, the grid the
//! reference picks, tile boxes, token counts and video frame indices.
//!
//! The grid rule is OpenGVLab's `find_closest_aspect_ratio` (f64 aspect ratios, exact
//! `==` ties broken by `W·H > 0.5·S²·i·j` with the last passing candidate winning). Its
//! candidates are sorted by tile count, and within one count the reference keeps CPython's
//! `set` iteration order, which we reproduce by replaying the set insertions
//! ([`Reference::Original`]); transformers' GotOcr2 port orders them width-major
//! ([`Reference::Transformers`]). The two only disagree when `min_num > 1`.

use super::pipeline::{resized, rgb, tile_row_into, whole, Pixels};
use super::{Family, Plan, Reference};
use crate::core::error::{invalid_arg, Result};
use crate::core::geometry::MAX_SIDE;
use crate::core::image::ImageRef;
use crate::core::par;
use crate::core::resize::rows::RowResize;
use crate::core::sampling::check_frame_counts;

/// ViT patch size of InternViT; tiles are split into `S / 14` patches per side.
pub const PATCH_SIZE: u64 = 14;
/// Upper bound on `max_num`, so candidate lists stay small (the reference has none).
pub const MAX_TILES: u64 = 4096;
/// Upper bound on the tile side `image_size`.
pub const MAX_IMAGE_SIZE: u64 = 16384;
/// `<img>` and `</img>` around each image's context tokens.
pub const IMG_DELIMITER_TOKENS: u64 = 2;

/// The parameters of `dynamic_preprocess` (plus the reference, which orders the candidates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilingParams {
    /// Fewest tiles a grid may have (`min_num`, `min_dynamic_patch`).
    pub min_num: u64,
    /// Most tiles a grid may have (`max_num`, `max_dynamic_patch`).
    pub max_num: u64,
    /// Tile side in pixels (`image_size`, `force_image_size`; 448 for the checkpoints).
    pub image_size: u64,
    /// Whether a whole-image thumbnail follows the tiles of a grid with more than one tile.
    pub use_thumbnail: bool,
    /// Order of equal-area candidates: OpenGVLab's CPython `set` order or transformers'
    /// width-major one.
    pub reference: Reference,
}

impl TilingParams {
    /// Refuses parameter sets the reference cannot use (or that we bound).
    ///
    /// # Errors
    /// `min_num` of 0, `min_num > max_num`, `max_num` above [`MAX_TILES`], or an
    /// `image_size` of 0 or above [`MAX_IMAGE_SIZE`]. Any other side tiles as transformers'
    /// `GotOcr2ImageProcessor` does (the checkpoints' InternViT wants a multiple of 28).
    pub fn validate(&self) -> Result<()> {
        if self.min_num == 0 {
            return invalid_arg!("min_num must be >= 1, got 0");
        }
        if self.min_num > self.max_num {
            return invalid_arg!(
                "min_num ({}) must not exceed max_num ({})",
                self.min_num,
                self.max_num
            );
        }
        if self.max_num > MAX_TILES {
            return invalid_arg!("max_num must be <= {MAX_TILES}, got {}", self.max_num);
        }
        if self.image_size == 0 || self.image_size > MAX_IMAGE_SIZE {
            return invalid_arg!(
                "image_size must be between 1 and {MAX_IMAGE_SIZE}, got {}",
                self.image_size
            );
        }
        Ok(())
    }

    /// Vision tokens per tile: `(S / 14)² · 0.5²` (InternViT, pixel shuffle 0.5); 256 for 448,
    /// `⌊S / 28⌋²` for sides that are not multiples of 28.
    pub fn tokens_per_tile(&self) -> u64 {
        let side = self.image_size / (2 * PATCH_SIZE);
        side * side
    }
}

/// CPython's 64-bit tuple hash (xxHash-based, 3.8+) of a pair of small non-negative ints.
fn py_pair_hash(a: u64, b: u64) -> u64 {
    const P1: u64 = 11_400_714_785_074_694_791;
    const P2: u64 = 14_029_467_366_897_019_727;
    const P5: u64 = 2_870_177_450_012_600_261;
    let mut acc = P5;
    for lane in [a, b] {
        acc = acc.wrapping_add(lane.wrapping_mul(P2));
        acc = acc.rotate_left(31);
        acc = acc.wrapping_mul(P1);
    }
    acc = acc.wrapping_add(2 ^ (P5 ^ 3_527_539));
    if acc == u64::MAX {
        1_546_275_796
    } else {
        acc
    }
}

/// Replays CPython's `set` insertions (open addressing, 9 linear probes, perturbed
/// `i*5+1` jumps, growth to 4× the used count at 60 % fill) to recover its iteration order.
struct PySetOrder {
    table: Vec<Option<(u64, (u64, u64))>>,
    used: usize,
}

impl PySetOrder {
    const MIN_SIZE: usize = 8;
    const LINEAR_PROBES: usize = 9;
    const PERTURB_SHIFT: u32 = 5;

    fn new() -> Self {
        Self {
            table: vec![None; Self::MIN_SIZE],
            used: 0,
        }
    }

    /// The slot `hash` lands in within `table` (first empty one on its probe sequence).
    fn free_slot(table: &[Option<(u64, (u64, u64))>], hash: u64) -> usize {
        let mask = table.len() - 1;
        let mut perturb = hash;
        let mut i = (hash as usize) & mask;
        loop {
            let probes = if i + Self::LINEAR_PROBES <= mask {
                Self::LINEAR_PROBES
            } else {
                0
            };
            if let Some(k) = table[i..=i + probes].iter().position(Option::is_none) {
                return i + k;
            }
            perturb >>= Self::PERTURB_SHIFT;
            i = (i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize))
                & mask;
        }
    }

    /// Adds a key that is not in the set yet (callers insert each key once).
    fn insert_new(&mut self, key: (u64, u64)) {
        let hash = py_pair_hash(key.0, key.1);
        let slot = Self::free_slot(&self.table, hash);
        self.table[slot] = Some((hash, key));
        self.used += 1;
        let mask = self.table.len() - 1;
        if self.used * 5 >= mask * 3 {
            let min_used = if self.used > 50_000 {
                self.used * 2
            } else {
                self.used * 4
            };
            let mut size = Self::MIN_SIZE;
            while size <= min_used {
                size <<= 1;
            }
            let old = std::mem::replace(&mut self.table, vec![None; size]);
            for (h, k) in old.into_iter().flatten() {
                let s = Self::free_slot(&self.table, h);
                self.table[s] = Some((h, k));
            }
        }
    }

    fn iter_order(self) -> Vec<(u64, u64)> {
        self.table.into_iter().flatten().map(|(_, k)| k).collect()
    }
}

/// The candidate grids `(cols, rows)` with `min_num <= cols·rows <= max_num`, in the order
/// the chosen reference scans them (ascending tile count).
///
/// # Errors
/// As [`TilingParams::validate`] for `min_num` / `max_num`.
pub fn candidate_grids(
    min_num: u64,
    max_num: u64,
    reference: Reference,
) -> Result<Vec<(u64, u64)>> {
    TilingParams {
        min_num,
        max_num,
        image_size: 448,
        use_thumbnail: true,
        reference,
    }
    .validate()?;
    let ok = |i: u64, j: u64| (min_num..=max_num).contains(&(i * j));
    let mut grids = Vec::new();
    match reference {
        Reference::Transformers => {
            for i in 1..=max_num {
                for j in 1..=max_num / i {
                    if ok(i, j) {
                        grids.push((i, j));
                    }
                }
            }
        }
        Reference::Original => {
            // The generator `for n in min..=max for i in 1..=n for j in 1..=n` first yields
            // each key at n = max(i, j, min_num); replaying only first sightings, in
            // generator order, builds the same set table.
            let mut set = PySetOrder::new();
            for i in 1..=min_num {
                for j in 1..=min_num {
                    if ok(i, j) {
                        set.insert_new((i, j));
                    }
                }
            }
            for n in min_num + 1..=max_num {
                for i in 1..n {
                    if ok(i, n) {
                        set.insert_new((i, n));
                    }
                }
                for j in 1..=n {
                    if ok(n, j) {
                        set.insert_new((n, j));
                    }
                }
            }
            grids = set.iter_order();
        }
    }
    grids.sort_by_key(|&(i, j)| i * j);
    Ok(grids)
}

fn check_side(name: &str, v: u64) -> Result<()> {
    if v == 0 || v > MAX_SIDE {
        return invalid_arg!("{name} must be between 1 and {MAX_SIDE} pixels, got {v}");
    }
    Ok(())
}

/// The grid `find_closest_aspect_ratio` picks for a `height × width` image among
/// `candidates` (as from [`candidate_grids`]), with tiles of `image_size` pixels.
pub fn closest_grid(
    height: u64,
    width: u64,
    image_size: u64,
    candidates: &[(u64, u64)],
) -> (u64, u64) {
    let aspect = width as f64 / height as f64;
    let area = (width * height) as f64;
    let half_tile_area = 0.5 * image_size as f64 * image_size as f64;
    let mut best_diff = f64::INFINITY;
    let mut best = (1, 1);
    for &(i, j) in candidates {
        let diff = (aspect - i as f64 / j as f64).abs();
        if diff < best_diff {
            best_diff = diff;
            best = (i, j);
        } else if diff == best_diff && area > half_tile_area * i as f64 * j as f64 {
            best = (i, j);
        }
    }
    best
}

/// What InternVL does with one image: its grid, the canvas it is resized to, and the tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InternVLPlan {
    /// Grid columns (tiles across the width).
    pub cols: u64,
    /// Grid rows (tiles down the height).
    pub rows: u64,
    /// Canvas height the whole image is squashed to: `image_size · rows`.
    pub resized_height: u64,
    /// Canvas width: `image_size · cols`.
    pub resized_width: u64,
    /// Tile side in pixels.
    pub image_size: u64,
    /// Tiles fed to the ViT: `cols·rows`, plus the thumbnail when it is added.
    pub num_tiles: u64,
    /// Whether the last tile is a thumbnail of the whole image.
    pub has_thumbnail: bool,
    /// Vision tokens per tile (256 for 448).
    pub tokens_per_tile: u64,
}

impl Plan for InternVLPlan {
    /// `<IMG_CONTEXT>` tokens: one per vision feature, `tokens_per_tile · num_tiles`.
    fn num_tokens(&self) -> u64 {
        self.tokens_per_tile * self.num_tiles
    }

    /// `<img>` and `</img>` around the context tokens.
    fn wrapper_tokens(&self) -> u64 {
        IMG_DELIMITER_TOKENS
    }

    /// `num_tiles · 3 · S²`.
    fn pixel_len(&self) -> Option<usize> {
        let s = usize::try_from(self.image_size).ok()?;
        usize::try_from(self.num_tiles).ok()?.checked_mul(3 * s * s)
    }
}

impl InternVLPlan {
    /// The `(top, left, height, width)` of each grid tile in the resized canvas, row-major.
    /// The thumbnail (if any) is not a crop of the canvas and is not listed.
    pub fn boxes(&self) -> Vec<[u64; 4]> {
        let s = self.image_size;
        (0..self.rows)
            .flat_map(|r| (0..self.cols).map(move |c| [r * s, c * s, s, s]))
            .collect()
    }
}

/// Plans images for one parameter set; candidates are built once and reused.
#[derive(Debug, Clone)]
pub struct InternVL {
    params: TilingParams,
    candidates: Vec<(u64, u64)>,
    /// Per candidate: `i / j` and the tie threshold `0.5·S·S·i·j`, the very f64 values
    /// [`closest_grid`] computes, hoisted out of the per-image loop.
    scan: Vec<(f64, f64)>,
}

impl InternVL {
    /// Validates the parameters and builds the candidate list.
    ///
    /// # Errors
    /// As [`TilingParams::validate`].
    pub fn new(params: TilingParams) -> Result<Self> {
        params.validate()?;
        let candidates = candidate_grids(params.min_num, params.max_num, params.reference)?;
        let half_tile_area = 0.5 * params.image_size as f64 * params.image_size as f64;
        let scan = candidates
            .iter()
            .map(|&(i, j)| (i as f64 / j as f64, half_tile_area * i as f64 * j as f64))
            .collect();
        Ok(Self {
            params,
            candidates,
            scan,
        })
    }

    /// [`closest_grid`] over the precomputed candidate ratios and thresholds.
    fn grid(&self, height: u64, width: u64) -> (u64, u64) {
        let aspect = width as f64 / height as f64;
        let area = (width * height) as f64;
        let mut best_diff = f64::INFINITY;
        let mut best = 0;
        for (k, &(ratio, threshold)) in self.scan.iter().enumerate() {
            let diff = (aspect - ratio).abs();
            if diff < best_diff {
                best_diff = diff;
                best = k;
            } else if diff == best_diff && area > threshold {
                best = k;
            }
        }
        self.candidates[best]
    }

    /// The candidates in scan order.
    pub fn candidates(&self) -> &[(u64, u64)] {
        &self.candidates
    }
}

/// Pixels: InternVL `pixel_values` `(tiles, 3, S, S)` of one image, the row-major tiles of
/// the resized canvas, then the thumbnail (a squash of the whole image to `S × S`). With
/// threads enabled ([`par`]) the canvas and the thumbnail run in parallel.
impl Family for InternVL {
    type Plan = InternVLPlan;

    /// The plan for a `height × width` image.
    ///
    /// # Errors
    /// A side of 0 or above [`MAX_SIDE`].
    fn plan(&self, height: u64, width: u64) -> Result<InternVLPlan> {
        check_side("height", height)?;
        check_side("width", width)?;
        let p = &self.params;
        let (cols, rows) = self.grid(height, width);
        let has_thumbnail = p.use_thumbnail && cols * rows != 1;
        Ok(InternVLPlan {
            cols,
            rows,
            resized_height: p.image_size * rows,
            resized_width: p.image_size * cols,
            image_size: p.image_size,
            num_tiles: cols * rows + u64::from(has_thumbnail),
            has_thumbnail,
            tokens_per_tile: p.tokens_per_tile(),
        })
    }
    fn image_into<T: Copy + Send + Sync + 'static>(
        &self,
        img: &ImageRef<'_>,
        plan: &InternVLPlan,
        px: Pixels<'_, T>,
        out: &mut [T],
    ) -> Result<()> {
        let data = rgb(img)?;
        let src = ImageRef::new(&data, img.height, img.width, 3)?;
        let s = plan.image_size as usize;
        let grid_len = (plan.cols * plan.rows) as usize * 3 * s * s;
        let (grid, thumb) = out.split_at_mut(grid_len);
        let (rh, rw) = (plan.resized_height as usize, plan.resized_width as usize);
        let canvas = RowResize::new(&src, rh, rw, px.resampling.filter, px.resampling.compat)?;
        // Tile rows (each resized a block of rows at a time) and the thumbnail are
        // independent jobs for the opt-in threads.
        let mut parts: Vec<(Option<usize>, &mut [T])> = grid
            .chunks_exact_mut((plan.cols as usize) * 3 * s * s)
            .enumerate()
            .map(|(r, d)| (Some(r), d))
            .collect();
        if plan.has_thumbnail {
            parts.push((None, thumb));
        }
        par::try_for_each(parts, |_, (row, dst)| match row {
            Some(r) => tile_row_into(&canvas, r, s, &px.table, dst),
            None => {
                let thumb = resized(&src, s, s, px.resampling)?;
                whole(&ImageRef::new(&thumb, s, s, 3)?, &px.table, dst)
            }
        })
    }
}

/// OpenGVLab's `get_index`: segment centres over `[start_idx, end_idx]` with
/// `start_idx = max(first_idx, round(start·fps))`, `end_idx = min(round(end·fps), N-1)`,
/// `idx_k = int(start_idx + seg/2 + round_half_even(seg·k))`. Without `bound` the range is
/// `(-100000, 100000)` seconds, which only matters through `fps`; without `fps` (and
/// without `bound`) it is the whole clip.
///
/// # Errors
/// No frames, no segments, a bound without an fps, non-finite values, and bounds that put
/// an index outside `[0, N-1]` (the reference would read past the clip).
pub fn frame_indices_original(
    total_frames: u64,
    num_frames: u64,
    fps: Option<f64>,
    bound: Option<(f64, f64)>,
    first_idx: u64,
) -> Result<Vec<i64>> {
    if total_frames == 0 || total_frames > (1 << 40) {
        return invalid_arg!("total_frames must be between 1 and 2^40, got {total_frames}");
    }
    if num_frames == 0 || num_frames > (1 << 24) {
        return invalid_arg!("num_frames must be between 1 and 2^24, got {num_frames}");
    }
    if first_idx > (1 << 40) {
        return invalid_arg!("first_idx must be <= 2^40, got {first_idx}");
    }
    let max_frame = (total_frames - 1) as i64;
    let round_time = |t: f64, fps: f64| -> Result<i64> {
        let x = (t * fps).round_ties_even();
        if !x.is_finite() || x.abs() > 9.0e15 {
            return invalid_arg!("time {t} s at fps {fps} gives an out-of-range frame number");
        }
        Ok(x as i64)
    };
    let (start_idx, end_idx) = match (bound, fps) {
        (Some(_), None) => return invalid_arg!("bound needs fps (the video's frame rate)"),
        (b, Some(fps)) => {
            if !(fps.is_finite() && fps > 0.0) {
                return invalid_arg!("fps must be a finite number > 0, got {fps}");
            }
            let (start, end) = b.unwrap_or((-100_000.0, 100_000.0));
            if !(start.is_finite() && end.is_finite()) {
                return invalid_arg!("bound must hold finite times, got ({start}, {end})");
            }
            (
                (first_idx as i64).max(round_time(start, fps)?),
                round_time(end, fps)?.min(max_frame),
            )
        }
        (None, None) => (first_idx as i64, max_frame),
    };
    let seg = (end_idx - start_idx) as f64 / num_frames as f64;
    let idx: Vec<i64> = (0..num_frames)
        .map(|k| (start_idx as f64 + seg / 2.0 + (seg * k as f64).round_ties_even()).trunc() as i64)
        .collect();
    if let Some(&bad) = idx.iter().find(|&&i| i < 0 || i > max_frame) {
        return invalid_arg!(
            "frame index {bad} is outside the clip [0, {max_frame}] (start_idx={start_idx}, \
             end_idx={end_idx}); check bound and first_idx"
        );
    }
    Ok(idx)
}

/// transformers' `InternVLVideoProcessor.sample_frames` with `initial_shift=True`:
/// `torch.arange(N/n/2, N, N/n)` in float32, truncated to int. Refuses `n > N` as it does.
///
/// # Errors
/// No frames, no segments, or more segments than frames.
pub fn frame_indices_transformers(total_frames: u64, num_frames: u64) -> Result<Vec<i64>> {
    if total_frames == 0 || total_frames > (1 << 40) {
        return invalid_arg!("total_frames must be between 1 and 2^40, got {total_frames}");
    }
    if num_frames == 0 {
        return invalid_arg!("num_frames must be >= 1, got 0");
    }
    check_frame_counts(total_frames, num_frames)?;
    if num_frames > total_frames {
        return invalid_arg!(
            "Video can't be sampled. The `num_frames={num_frames}` exceeds \
             `total_num_frames={total_frames}`."
        );
    }
    let n_total = total_frames as f64;
    let step = n_total / num_frames as f64;
    let start = step / 2.0;
    // torch.arange: length ceil((end - start) / step) in f64, value start + step·i in the
    // f64 accumulator, stored as float32.
    let len = ((n_total - start) / step).ceil() as u64;
    let idx: Vec<i64> = (0..len)
        .map(|i| ((start + step * i as f64) as f32).trunc() as i64)
        .collect();
    // float32 rounds long clips' indices; one at or past the end would read no frame.
    if let Some(&bad) = idx.iter().find(|&&i| i as u64 >= total_frames) {
        return invalid_arg!(
            "total_frames={total_frames}: the float32 sampling of transformers puts frame \
             index {bad} outside the clip; clips this long cannot be sampled exactly"
        );
    }
    Ok(idx)
}

#[cfg(test)]
mod tests {
    use super::super::images_into;
    use super::super::pipeline::{Resampling, Tables};
    use super::*;
    use crate::core::resize::{resize, Compat, Filter};

    fn params(min_num: u64, max_num: u64) -> TilingParams {
        TilingParams {
            min_num,
            max_num,
            image_size: 448,
            use_thumbnail: true,
            reference: Reference::Original,
        }
    }

    #[test]
    fn python_tuple_hash() {
        // hash((1, 2)) in CPython 3.8+ on 64-bit platforms.
        assert_eq!(py_pair_hash(1, 2) as i64, -3_550_055_125_485_641_917);
    }

    #[test]
    fn spec_candidate_orders() {
        let o = candidate_grids(1, 6, Reference::Original).unwrap();
        let want = [
            (1, 1),
            (1, 2),
            (2, 1),
            (3, 1),
            (1, 3),
            (4, 1),
            (1, 4),
            (2, 2),
            (1, 5),
            (5, 1),
            (6, 1),
            (2, 3),
            (1, 6),
            (3, 2),
        ];
        assert_eq!(o, want);
        assert_eq!(
            candidate_grids(1, 12, Reference::Original).unwrap().len(),
            35
        );
        assert_eq!(
            candidate_grids(1, 40, Reference::Original).unwrap().len(),
            158
        );
        let t = candidate_grids(1, 4, Reference::Transformers).unwrap();
        assert_eq!(
            t,
            [
                (1, 1),
                (1, 2),
                (2, 1),
                (1, 3),
                (3, 1),
                (1, 4),
                (2, 2),
                (4, 1)
            ]
        );
    }

    #[test]
    fn spec_examples() {
        let t = InternVL::new(params(1, 12)).unwrap();
        let g = |w, h| {
            let p = t.plan(h, w).unwrap();
            (
                p.cols,
                p.rows,
                p.num_tiles,
                p.num_tokens() + p.wrapper_tokens(),
            )
        };
        assert_eq!(g(448, 448), (1, 1, 1, 258));
        assert_eq!(g(634, 634), (2, 2, 5, 1282));
        assert_eq!(g(633, 633), (1, 1, 1, 258));
        assert_eq!(g(800, 600), (4, 3, 13, 3330));
        assert_eq!(g(1920, 1080), (4, 2, 9, 2306));
        assert_eq!(g(300, 400), (3, 4, 13, 3330));
        assert_eq!(g(100, 1000), (1, 10, 11, 2818));
        assert_eq!(g(2480, 3508), (2, 3, 7, 1794));
        assert_eq!(g(700, 800), (2, 2, 5, 1282));
        assert_eq!(g(1400, 1600), (3, 4, 13, 3330));
        assert_eq!(g(7, 8), (1, 1, 1, 258));
        let p = t.plan(1080, 1920).unwrap();
        assert_eq!((p.resized_height, p.resized_width), (896, 1792));
        assert_eq!(p.boxes()[1], [0, 448, 448, 448]);
        assert_eq!(p.boxes()[7], [448, 1344, 448, 448]);
        let t40 = InternVL::new(params(1, 40)).unwrap();
        let p40 = t40.plan(1080, 1920).unwrap();
        assert_eq!(p40.num_tokens() + p40.wrapper_tokens(), 7426);
    }

    #[test]
    fn min_num_ties_follow_the_order() {
        let orig = InternVL::new(params(4, 4)).unwrap();
        let hf = InternVL::new(TilingParams {
            reference: Reference::Transformers,
            ..params(4, 4)
        })
        .unwrap();
        let grid = |t: &InternVL, h, w| {
            let p = t.plan(h, w).unwrap();
            (p.cols, p.rows)
        };
        assert_eq!(grid(&orig, 200, 500), (4, 1));
        assert_eq!(grid(&hf, 200, 500), (2, 2));
        assert_eq!(grid(&orig, 2000, 5000), (2, 2));
        assert_eq!(grid(&hf, 2000, 5000), (4, 1));
    }

    #[test]
    fn hoisted_scan_equals_closest_grid() {
        for (lo, hi) in [(1, 12), (4, 12), (1, 40)] {
            let t = InternVL::new(params(lo, hi)).unwrap();
            for h in (1..3000).step_by(37) {
                for w in (1..3000).step_by(41) {
                    assert_eq!(t.grid(h, w), closest_grid(h, w, 448, t.candidates()));
                }
            }
        }
    }

    #[test]
    fn refusals() {
        assert!(InternVL::new(params(0, 4)).is_err());
        assert!(InternVL::new(params(5, 4)).is_err());
        assert!(InternVL::new(params(1, MAX_TILES + 1)).is_err());
        for image_size in [0, MAX_IMAGE_SIZE + 1] {
            assert!(InternVL::new(TilingParams {
                image_size,
                ..params(1, 4)
            })
            .is_err());
        }
        // sides that are not multiples of 28 tile as GotOcr2 does, ⌊S/28⌋² tokens per tile
        let odd = TilingParams {
            image_size: 440,
            ..params(1, 4)
        };
        assert!(InternVL::new(odd).is_ok());
        assert_eq!(odd.tokens_per_tile(), 225);
        let t = InternVL::new(params(1, 4)).unwrap();
        assert!(t.plan(0, 5).is_err());
        assert!(t.plan(5, MAX_SIDE + 1).is_err());
    }

    #[test]
    fn get_index_examples() {
        let r = frame_indices_original(300, 8, Some(30.0), None, 0).unwrap();
        assert_eq!(r, [18, 55, 93, 130, 168, 205, 242, 280]);
        assert_eq!(
            frame_indices_original(8, 8, None, None, 0).unwrap(),
            [0, 1, 2, 3, 4, 4, 5, 6]
        );
        let b = frame_indices_original(900, 16, Some(30.0), Some((5.0, 20.0)), 0).unwrap();
        assert_eq!(b[..3], [164, 192, 220]);
        assert!(frame_indices_original(900, 4, None, Some((5.0, 20.0)), 0).is_err());
        assert!(frame_indices_original(900, 4, Some(30.0), Some((40.0, 50.0)), 0).is_err());
        assert!(frame_indices_original(0, 4, None, None, 0).is_err());
        assert!(frame_indices_original(10, 0, None, None, 0).is_err());
    }

    #[test]
    fn transformers_sampler_examples() {
        assert_eq!(
            frame_indices_transformers(300, 8).unwrap(),
            [18, 56, 93, 131, 168, 206, 243, 281]
        );
        assert_eq!(
            frame_indices_transformers(8, 8).unwrap(),
            [0, 1, 2, 3, 4, 5, 6, 7]
        );
        assert!(frame_indices_transformers(31, 32).is_err());
    }

    fn ramp(h: usize, w: usize) -> Vec<u8> {
        (0..h * w * 3).map(|v| (v * 7 % 251) as u8).collect()
    }

    #[test]
    fn torchvision_tiles_are_torchvision_resizes() {
        // A 1x2 grid: the canvas is the torchvision resize, tiles are its halves.
        let data = ramp(30, 70);
        let img = ImageRef::new(&data, 30, 70, 3).unwrap();
        let tiler = InternVL::new(TilingParams {
            min_num: 1,
            max_num: 2,
            image_size: 28,
            use_thumbnail: false,
            reference: Reference::Transformers,
        })
        .unwrap();
        let plan = tiler.plan(30, 70).unwrap();
        assert_eq!((plan.cols, plan.rows), (2, 1));
        let lut: Vec<u8> = (0..3).flat_map(|_| 0..=255u8).collect();
        let mut out = vec![0u8; 2 * 3 * 28 * 28];
        let px = Pixels {
            resampling: Resampling::new(Filter::Bicubic, Compat::Torchvision).unwrap(),
            table: Tables::new(&lut).unwrap(),
        };
        images_into(&tiler, &[(img, plan)], px, &mut out).unwrap();
        let canvas = resize(&img, 28, 56, Filter::Bicubic, Compat::Torchvision).unwrap();
        for (t, tile) in out.chunks_exact(3 * 28 * 28).enumerate() {
            for c in 0..3 {
                for y in 0..28 {
                    for x in 0..28 {
                        let want = canvas.data[(y * 56 + t * 28 + x) * 3 + c];
                        assert_eq!(tile[(c * 28 + y) * 28 + x], want);
                    }
                }
            }
        }
        let pillow = resize(&img, 28, 56, Filter::Bicubic, Compat::Pillow).unwrap();
        assert_ne!(
            pillow.data, canvas.data,
            "the two targets differ on this ramp"
        );
    }

    #[test]
    fn wrong_out_length_is_refused() {
        let data = ramp(3, 3);
        let img = ImageRef::new(&data, 3, 3, 3).unwrap();
        let tiler = InternVL::new(TilingParams {
            min_num: 1,
            max_num: 1,
            image_size: 28,
            use_thumbnail: true,
            reference: Reference::Original,
        })
        .unwrap();
        let plan = tiler.plan(3, 3).unwrap();
        let lut = vec![0f32; 768];
        let mut out = vec![0f32; 3 * 28 * 28 + 1];
        let px = Pixels {
            resampling: Resampling::new(Filter::Bicubic, Compat::Pillow).unwrap(),
            table: Tables::new(&lut).unwrap(),
        };
        assert!(images_into(&tiler, &[(img, plan)], px, &mut out).is_err());
        let mut out = vec![0f32; 3 * 28 * 28];
        images_into(&tiler, &[(img, plan)], px, &mut out).unwrap();
    }
}
