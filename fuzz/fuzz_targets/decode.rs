//! Any bytes: decoding returns an image of the size it claims or an error, never panics,
//! and never allocates past the decoder's limits (libFuzzer's `-rss_limit_mb` enforces it).
#![no_main]

use dynres_fast::core::decode::{decode, decode_with, DecodeOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for (allow_truncated, keep_alpha) in [(false, false), (true, false), (true, true)] {
        let got = if allow_truncated {
            decode_with(
                data,
                DecodeOptions {
                    allow_truncated,
                    keep_alpha,
                },
            )
        } else {
            decode(data)
        };
        if let Ok(img) = got {
            assert!(img.channels == 3 || (keep_alpha && img.channels == 4));
            assert_eq!(img.data.len(), img.height * img.width * img.channels);
        }
    }
});
