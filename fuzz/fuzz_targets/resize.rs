//! Small images, arbitrary output sizes, filters and pass orders: a resize returns the
//! requested shape or an error; nothing panics.
#![no_main]

use dynres_fast::core::image::ImageRef;
use dynres_fast::core::resize::{resize, Compat, Filter};
use libfuzzer_sys::fuzz_target;

const FILTERS: [&str; 6] = [
    "nearest", "box", "bilinear", "hamming", "bicubic", "lanczos",
];
const COMPATS: [&str; 3] = ["pillow", "pillow12", "torchvision"];

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (h, w, c) = (
        usize::from(data[0] % 40) + 1,
        usize::from(data[1] % 40) + 1,
        [1, 2, 3, 4][usize::from(data[2] % 4)],
    );
    let (oh, ow) = (usize::from(data[3]) * 2 + 1, usize::from(data[4]) * 2 + 1);
    let pixels: Vec<u8> = data[8..].iter().copied().cycle().take(h * w * c).collect();
    if pixels.len() != h * w * c {
        return;
    }
    let (Ok(filter), Ok(compat)) = (
        Filter::parse(FILTERS[usize::from(data[5]) % 6]),
        Compat::parse(COMPATS[usize::from(data[6]) % 3]),
    ) else {
        return;
    };
    let Ok(src) = ImageRef::new(&pixels, h, w, c) else {
        return;
    };
    if let Ok(out) = resize(&src, oh, ow, filter, compat) {
        assert_eq!(
            (out.height, out.width, out.data.len()),
            (oh, ow, oh * ow * c)
        );
    }
});
