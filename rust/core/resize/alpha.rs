//! Pillow's RGBA <-> RGBa (premultiplied alpha) conversions, which `Image.resize` wraps
//! around every non-NEAREST resize of an RGBA image (`Convert.c`).

/// `(a * b + 127) / 255` the way Pillow's `MULDIV255` computes it.
#[inline(always)]
fn muldiv255(a: u32, b: u32) -> u8 {
    let t = a * b + 128;
    (((t >> 8) + t) >> 8) as u8
}

/// RGBA -> RGBa in place: colour channels multiplied by alpha / 255.
pub fn premultiply(rgba: &mut [u8]) {
    for px in rgba.chunks_exact_mut(4) {
        let a = u32::from(px[3]);
        for c in &mut px[..3] {
            *c = muldiv255(u32::from(*c), a);
        }
    }
}

/// RGBa -> RGBA in place: colour channels divided by alpha / 255 (truncated, clamped);
/// pixels with alpha 0 or 255 are left as they are.
pub fn unpremultiply(rgba: &mut [u8]) {
    for px in rgba.chunks_exact_mut(4) {
        let a = u32::from(px[3]);
        if a == 0 || a == 255 {
            continue;
        }
        for c in &mut px[..3] {
            *c = (255 * u32::from(*c) / a).min(255) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_round_trip() {
        let mut px = [200, 100, 7, 128, 9, 9, 9, 0, 1, 2, 3, 255];
        premultiply(&mut px);
        // 200*128/255 = 100.39 -> 100; 100*128/255 = 50.2 -> 50; 7*128/255 = 3.5 -> 4.
        assert_eq!(px, [100, 50, 4, 128, 0, 0, 0, 0, 1, 2, 3, 255]);
        unpremultiply(&mut px);
        // 255*100/128 = 199.2 -> 199; 255*50/128 = 99.6 -> 99; 255*4/128 = 7.97 -> 7.
        assert_eq!(px, [199, 99, 7, 128, 0, 0, 0, 0, 1, 2, 3, 255]);
        let mut over = [200, 0, 0, 100];
        unpremultiply(&mut over);
        assert_eq!(over[0], 255);
    }
}
