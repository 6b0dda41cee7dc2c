//! Sizes, budgets and frame counts from arbitrary bytes: the Qwen-VL resolution and frame
//! planners return sides that are multiples of the factor and indices inside the clip, or
//! refuse; nothing panics, wraps or allocates without bound.
#![no_main]

use dynres_fast::core::geometry::{
    smart_resize, video_smart_resize, SmartResizeRule, VideoResizeRule,
};
use dynres_fast::core::sampling::{linspace_indices, stride_indices};
use dynres_fast::core::video::{sample_frames, FrameCount};
use libfuzzer_sys::fuzz_target;

/// A u64 from 8 bytes, shifted right by a byte-chosen amount (small values are common).
fn int(b: &[u8], shift: u8) -> u64 {
    u64::from_le_bytes(b.try_into().unwrap_or([0; 8])) >> (shift % 64)
}

/// A float: finite from a small range mostly, any bit pattern (NaN, inf) sometimes.
fn float(b: &[u8], pick: u8) -> f64 {
    let bits = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
    if pick & 1 == 0 {
        (bits >> 11) as f64 / f64::from(1u32 << (pick % 24))
    } else {
        f64::from_bits(bits)
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 48 {
        return;
    }
    let k = &data[40..48];
    let (h, w) = (int(&data[0..8], k[0]), int(&data[8..16], k[1]));
    let factor = int(&data[16..24], k[2] | 0x30);
    let (lo, hi) = (float(&data[24..32], k[3]), float(&data[32..40], k[4]));
    for rule in [SmartResizeRule::Transformers, SmartResizeRule::QwenVlUtils] {
        if let Ok((rh, rw)) = smart_resize(h, w, factor, lo, hi, rule) {
            assert!(rh % factor == 0 && rw % factor == 0 && rh > 0 && rw > 0);
            assert!(rh < 1 << 40 && rw < 1 << 40, "{rh}x{rw}");
        }
    }
    let frames = int(&data[0..8], k[5]);
    for rule in [
        VideoResizeRule::Transformers4,
        VideoResizeRule::Transformers5,
    ] {
        if let Ok((rh, rw)) = video_smart_resize(frames, h, w, 2, factor, lo, hi, rule) {
            assert!(rh % factor == 0 && rw % factor == 0);
        }
    }
    let total = int(&data[0..8], k[6]);
    let count = if k[7] & 1 == 0 {
        FrameCount::Exact(lo)
    } else {
        FrameCount::Rate {
            fps: lo,
            min_frames: hi,
            max_frames: (k[7] & 2 == 0).then_some(float(&data[8..16], k[1])),
        }
    };
    if let Ok(idx) = sample_frames(total, hi, count) {
        assert!(
            idx.iter().all(|&i| i >= 0 && (i as u64) < total),
            "{total}: {idx:?}"
        );
    }
    if let Ok(idx) = linspace_indices(total, int(&data[8..16], k[2])) {
        assert!(idx.iter().all(|&i| i >= 0 && (i as u64) < total.max(1)));
    }
    if let Ok(idx) = stride_indices(total, lo, hi, int(&data[16..24], k[3]), k[4] & 1 == 1) {
        assert!(idx.iter().all(|&i| i >= 0 && (i as u64) < total.max(1)));
    }
});
