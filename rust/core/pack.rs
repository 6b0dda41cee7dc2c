//! Sequence packing: first-fit-decreasing bin packing of token lengths into fixed-size bins.
//!
//! Items are taken longest first (ties: lower index first) and each goes into the
//! lowest-numbered open bin with room, else a new bin. "Lowest bin with room" is a
//! leftmost-descent in a max segment tree over the bins' remaining capacities, so the
//! whole packing is O(n log n) for n items.

use super::error::{Error, Result};

/// What to do with an item longer than the bin capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversize {
    /// Refuse the whole call, naming the items.
    Raise,
    /// Leave such items out and report their indices.
    Skip,
    /// Keep them, each counted as exactly `max_tokens` (alone in its bin).
    Truncate,
}

/// A packing: bins as runs of item indices in one flat array.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Packing {
    /// Item indices, bin after bin; inside a bin in the order they were placed
    /// (longest first, ties by index).
    pub order: Vec<i64>,
    /// Bin `b` holds `order[offsets[b]..offsets[b + 1]]`; `offsets.len() == bins + 1`.
    pub offsets: Vec<i64>,
    /// Items left out (`Oversize::Skip`), ascending.
    pub skipped: Vec<i64>,
}

/// Max segment tree over bins' remaining capacity; unopened bins hold the full capacity,
/// so the leftmost fitting leaf is either an open bin or the next bin to open.
struct FirstFit {
    size: usize,
    tree: Vec<i64>,
}

impl FirstFit {
    fn new(bins: usize, capacity: i64) -> Self {
        let size = bins.max(1).next_power_of_two();
        let mut tree = vec![0i64; 2 * size];
        tree[size..size + bins].fill(capacity);
        for i in (1..size).rev() {
            tree[i] = tree[2 * i].max(tree[2 * i + 1]);
        }
        Self { size, tree }
    }

    /// The leftmost bin with at least `need` remaining (callers guarantee one exists).
    fn first_fit(&self, need: i64) -> usize {
        let mut i = 1;
        while i < self.size {
            i = if self.tree[2 * i] >= need {
                2 * i
            } else {
                2 * i + 1
            };
        }
        i - self.size
    }

    fn take(&mut self, bin: usize, amount: i64) {
        let mut i = bin + self.size;
        self.tree[i] -= amount;
        while i > 1 {
            i /= 2;
            self.tree[i] = self.tree[2 * i].max(self.tree[2 * i + 1]);
        }
    }
}

/// First-fit-decreasing packing of `lengths` into bins of `max_tokens`.
///
/// # Errors
/// `max_tokens < 1`, a negative length, or (with [`Oversize::Raise`]) items longer than
/// `max_tokens` — the message names up to five of them.
pub fn pack_ffd(lengths: &[i64], max_tokens: i64, oversize: Oversize) -> Result<Packing> {
    if max_tokens < 1 {
        return Err(Error::InvalidArgument(format!(
            "max_tokens must be >= 1, got {max_tokens}"
        )));
    }
    if let Some(i) = lengths.iter().position(|&l| l < 0) {
        return Err(Error::InvalidArgument(format!(
            "lengths must be >= 0, got {} at index {i}",
            lengths[i]
        )));
    }
    let over: Vec<usize> = (0..lengths.len())
        .filter(|&i| lengths[i] > max_tokens)
        .collect();
    if oversize == Oversize::Raise && !over.is_empty() {
        let named: Vec<String> = over
            .iter()
            .take(5)
            .map(|&i| format!("index {i} ({} tokens)", lengths[i]))
            .collect();
        let more = if over.len() > 5 { ", ..." } else { "" };
        return Err(Error::Budget(format!(
            "{} item(s) longer than max_tokens={max_tokens}: {}{more}; pass oversize=\"skip\" \
             or \"truncate\"",
            over.len(),
            named.join(", ")
        )));
    }
    let effective = |i: usize| lengths[i].min(max_tokens);
    let mut items: Vec<usize> = match oversize {
        Oversize::Skip => (0..lengths.len())
            .filter(|&i| lengths[i] <= max_tokens)
            .collect(),
        _ => (0..lengths.len()).collect(),
    };
    // Stable sort: equal lengths keep ascending index order.
    items.sort_by_key(|&i| std::cmp::Reverse(effective(i)));

    let mut tree = FirstFit::new(items.len(), max_tokens);
    let mut bin_of = Vec::with_capacity(items.len());
    let mut bins = 0usize;
    for &i in &items {
        let b = tree.first_fit(effective(i));
        tree.take(b, effective(i));
        bins = bins.max(b + 1);
        bin_of.push(b);
    }
    // Counting sort by bin keeps each bin's placement order.
    let mut offsets = vec![0i64; bins + 1];
    for &b in &bin_of {
        offsets[b + 1] += 1;
    }
    for b in 0..bins {
        offsets[b + 1] += offsets[b];
    }
    let mut cursor: Vec<i64> = offsets[..bins].to_vec();
    let mut order = vec![0i64; items.len()];
    for (&i, &b) in items.iter().zip(&bin_of) {
        order[cursor[b] as usize] = i as i64;
        cursor[b] += 1;
    }
    let skipped = if oversize == Oversize::Skip {
        over.iter().map(|&i| i as i64).collect()
    } else {
        Vec::new()
    };
    Ok(Packing {
        order,
        offsets,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bins(p: &Packing) -> Vec<Vec<i64>> {
        p.offsets
            .windows(2)
            .map(|w| p.order[w[0] as usize..w[1] as usize].to_vec())
            .collect()
    }

    /// O(n · bins) first-fit-decreasing, the obvious way.
    fn naive(lengths: &[i64], cap: i64) -> Vec<Vec<i64>> {
        let mut idx: Vec<usize> = (0..lengths.len()).collect();
        idx.sort_by_key(|&i| std::cmp::Reverse(lengths[i]));
        let mut out: Vec<(i64, Vec<i64>)> = Vec::new();
        for i in idx {
            match out.iter_mut().find(|(room, _)| *room >= lengths[i]) {
                Some((room, items)) => {
                    *room -= lengths[i];
                    items.push(i as i64);
                }
                None => out.push((cap - lengths[i], vec![i as i64])),
            }
        }
        out.into_iter().map(|(_, v)| v).collect()
    }

    #[test]
    fn matches_naive_ffd() {
        let mut x = 12345u64;
        for n in [0usize, 1, 2, 7, 50, 300] {
            let lengths: Vec<i64> = (0..n)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((x >> 33) % 100) as i64
                })
                .collect();
            let p = pack_ffd(&lengths, 100, Oversize::Raise).unwrap();
            assert_eq!(bins(&p), naive(&lengths, 100));
        }
    }

    #[test]
    fn oversize_modes() {
        let l = [5, 12, 3, 10, 11];
        let e = pack_ffd(&l, 10, Oversize::Raise).unwrap_err();
        assert!(
            matches!(e, Error::Budget(ref m) if m.contains("index 1 (12 tokens)")
            && m.contains("index 4 (11 tokens)"))
        );
        let s = pack_ffd(&l, 10, Oversize::Skip).unwrap();
        assert_eq!(s.skipped, vec![1, 4]);
        assert_eq!(bins(&s), vec![vec![3], vec![0, 2]]);
        let t = pack_ffd(&l, 10, Oversize::Truncate).unwrap();
        assert_eq!(bins(&t), vec![vec![1], vec![3], vec![4], vec![0, 2]]);
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(pack_ffd(&[1], 0, Oversize::Raise).is_err());
        assert!(pack_ffd(&[1, -2], 5, Oversize::Raise).is_err());
    }
}
