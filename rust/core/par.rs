//! The only place that knows about threads.
//!
//! Kernels run on the calling thread unless the user opts in with
//! [`set_num_threads`] (or `DYNRES_NUM_THREADS`): DataLoader workers are already one
//! process per core, and a pool per worker would oversubscribe. The opt-in pool is private
//! (never rayon's global one) and rebuilt after `fork`, whose child has no pool threads.
//!
//! Fork safety: the slot that holds the pool is guarded by a spin lock that records the
//! process id of its holder and is held only to clone or swap an `Arc` (pools are built
//! outside it). A child forked while a parent thread held it finds a holder from another
//! process, which can never release it, and takes the lock over, leaking the parent's
//! pool (its threads do not exist in the child). No lock is ever held across `fork`.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};

/// Upper bound on the pool size; more is a typo, not a machine.
pub const MAX_THREADS: usize = 1024;

/// 0 until first read: then the env var or 1.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// A pool with the process id that built it and its size.
type Entry = (u32, usize, Arc<ThreadPool>);

/// The current pool, behind a lock that knows which process holds it.
struct PoolSlot {
    /// 0 when free, else the process id of the holder.
    holder: AtomicU32,
    entry: UnsafeCell<Option<Entry>>,
}

// SAFETY: `entry` is only touched by the thread that holds `holder` (see `with_entry`).
unsafe impl Sync for PoolSlot {}

static POOL: PoolSlot = PoolSlot {
    holder: AtomicU32::new(0),
    entry: UnsafeCell::new(None),
};

/// Runs `f` on the pool slot under its lock. The critical sections only clone or swap an
/// `Arc`, so waiting is a short spin.
fn with_entry<R>(f: impl FnOnce(&mut Option<Entry>) -> R) -> R {
    let pid = std::process::id();
    loop {
        match POOL
            .holder
            .compare_exchange_weak(0, pid, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => break,
            Err(other) if other != 0 && other != pid => {
                // Held by a thread of the parent we were forked from: it will never
                // release it here. Take it over and forget the parent's entry unread (it
                // may be half-written, and its pool has no threads in this process).
                if POOL
                    .holder
                    .compare_exchange(other, pid, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    // SAFETY: we hold the lock; writing without dropping leaks the old
                    // value instead of reading it.
                    unsafe { std::ptr::write(POOL.entry.get(), None) };
                    break;
                }
            }
            Err(_) => std::thread::yield_now(),
        }
    }
    // SAFETY: this thread holds the lock, so no other reference to `entry` exists.
    let r = f(unsafe { &mut *POOL.entry.get() });
    POOL.holder.store(0, Ordering::Release);
    r
}

/// Sets how many threads one call may use (1 = run on the calling thread).
pub fn set_num_threads(n: usize) {
    THREADS.store(n.clamp(1, MAX_THREADS), Ordering::Relaxed);
}

/// How many threads one call may use: [`set_num_threads`], else `DYNRES_NUM_THREADS`, else 1.
#[must_use]
pub fn num_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => {
            let n = std::env::var("DYNRES_NUM_THREADS")
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(1)
                .clamp(1, MAX_THREADS);
            THREADS.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// The private pool for `n > 1` threads, built on first use in this process (and again
/// when the size changes). Threads that still use a replaced pool keep it alive until
/// they finish.
fn pool(n: usize) -> Option<Arc<ThreadPool>> {
    let pid = std::process::id();
    let current = with_entry(|slot| match slot.as_ref() {
        Some((owner, size, p)) if *owner == pid && *size == n => Some(Arc::clone(p)),
        _ => None,
    });
    if current.is_some() {
        return current;
    }
    let built = ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("dynres-{i}"))
        .build()
        .ok()
        .map(Arc::new)?;
    let stale = with_entry(|slot| slot.replace((pid, n, Arc::clone(&built))));
    match stale {
        // Forked child: that pool's threads do not exist here, so dropping it could wait
        // on them forever. Leak the handle instead (a few bytes, once per fork).
        Some((owner, _, p)) if owner != pid => std::mem::forget(p),
        // Dropped outside the lock: the last user's drop joins nothing, rayon's threads
        // exit on their own.
        other => drop(other),
    }
    Some(built)
}

/// Runs `f(index, item)` for every item, in parallel when more than one thread is allowed.
/// Returns the first error, if any.
///
/// # Errors
/// Whatever `f` returns.
pub fn try_for_each<I, E, F>(items: Vec<I>, f: F) -> Result<(), E>
where
    I: Send,
    E: Send,
    F: Fn(usize, I) -> Result<(), E> + Sync + Send,
{
    let n = num_threads();
    match (items.len() > 1 && n > 1).then(|| pool(n)).flatten() {
        Some(p) => p.install(|| {
            items
                .into_par_iter()
                .enumerate()
                .try_for_each(|(i, item)| f(i, item))
        }),
        None => items
            .into_iter()
            .enumerate()
            .try_for_each(|(i, item)| f(i, item)),
    }
}

/// Splits `dst` (rows of `row_len` values) into up to one band per allowed thread, each of
/// at least `min_rows` rows, and runs `f(first_row, band)` on each in parallel. One thread
/// (the default), or too few rows, runs `f(0, dst)` directly.
pub fn for_each_band<T, F>(dst: &mut [T], row_len: usize, min_rows: usize, f: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Sync + Send,
{
    let rows = dst.len().checked_div(row_len).unwrap_or(0);
    let threads = num_threads();
    let n = threads.min(rows / min_rows.max(1)).max(1);
    // Always the pool of `threads`: a pool per band count would be rebuilt between passes.
    match (n > 1).then(|| pool(threads)).flatten() {
        Some(p) => {
            let per = rows.div_ceil(n);
            p.install(|| {
                dst.par_chunks_mut(per * row_len)
                    .enumerate()
                    .for_each(|(i, band)| f(i * per, band));
            });
        }
        None => f(0, dst),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_every_item_with_and_without_a_pool() {
        for threads in [1, 3] {
            set_num_threads(threads);
            let hits: Vec<AtomicUsize> = (0..50).map(|_| AtomicUsize::new(0)).collect();
            try_for_each::<_, (), _>((0..50).collect(), |i, v: usize| {
                assert_eq!(i, v);
                hits[v].fetch_add(1, Ordering::Relaxed);
                Ok(())
            })
            .unwrap();
            assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
        }
        let r = try_for_each(
            (0..10).collect(),
            |_, v: i32| if v == 7 { Err(v) } else { Ok(()) },
        );
        assert_eq!(r, Err(7));
        set_num_threads(1);
    }

    #[test]
    fn bands_cover_every_row_once() {
        for threads in [1, 2, 3] {
            set_num_threads(threads);
            for rows in [1, 31, 64, 97, 200] {
                let mut dst = vec![0usize; rows * 5];
                for_each_band(&mut dst, 5, 16, |first, band| {
                    for (r, row) in band.chunks_exact_mut(5).enumerate() {
                        row.iter_mut().for_each(|v| *v += first + r + 1);
                    }
                });
                let want: Vec<usize> = (0..rows).flat_map(|r| [r + 1; 5]).collect();
                assert_eq!(dst, want, "{threads} threads, {rows} rows");
            }
        }
        set_num_threads(1);
    }
}
