//! Lengths and capacity from arbitrary bytes: every packing keeps each item once and no
//! bin over capacity, or is refused.
#![no_main]

use dynres_fast::core::pack::{pack_ffd, Oversize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let cap = i64::from_le_bytes(data[..8].try_into().unwrap_or([0; 8])) >> (data[8] % 64);
    let lengths: Vec<i64> = data[9..]
        .chunks(2)
        .map(|c| i64::from(c[0]) * i64::from(*c.get(1).unwrap_or(&1)) - 8)
        .collect();
    for oversize in [Oversize::Raise, Oversize::Skip, Oversize::Truncate] {
        let Ok(p) = pack_ffd(&lengths, cap, oversize) else {
            continue;
        };
        let mut seen: Vec<i64> = p.order.iter().chain(&p.skipped).copied().collect();
        seen.sort_unstable();
        assert!(seen.iter().enumerate().all(|(i, &v)| v == i as i64));
        for w in p.offsets.windows(2) {
            let bin = &p.order[w[0] as usize..w[1] as usize];
            let used: i64 = bin.iter().map(|&i| lengths[i as usize].min(cap)).sum();
            assert!(used <= cap);
        }
    }
});
