//! Grids from arbitrary bytes: the vision-tower ids, segments and windows either agree in
//! length with the grids or are refused; no panic, no abort on huge grids.
#![no_main]

use dynres_fast::core::rope::{cu_seqlens, vision_position_ids, window_index};
use libfuzzer_sys::fuzz_target;

/// Small sides mostly (0..32), huge ones (2^21..2^62) when the top bit is set: valid
/// grids stay small enough to run fast, the rest must be refused.
fn side(b: u8) -> i64 {
    if b & 0x80 == 0 {
        i64::from(b & 0x1F)
    } else {
        1i64 << (21 + (b & 0x3F) % 42)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&merge, rest)) = data.split_first() else {
        return;
    };
    let grids: Vec<i64> = rest.iter().take(30).map(|&b| side(b)).collect();
    let merge = i64::from(merge % 5);
    if let Ok(ids) = vision_position_ids(&grids, merge) {
        let patches: i64 = grids.chunks(3).map(|g| g[0] * g[1] * g[2]).sum();
        assert_eq!(ids.len() as i64, 2 * patches);
    }
    if let Ok(cu) = cu_seqlens(&grids) {
        assert!(cu.windows(2).all(|w| w[0] <= w[1]));
    }
    if let Ok((index, cu)) = window_index(&grids, 112, 14, merge) {
        assert!(cu.windows(2).all(|w| w[0] <= w[1]));
        let mut seen = index.clone();
        seen.sort_unstable();
        assert!(seen.iter().enumerate().all(|(i, &v)| v == i as i64));
    }
});
