//! Core tests: hand-checked cases, the pass-order rule, errors, and scalar == AVX2.

use super::coeffs::PRECISION_BITS;
use super::*;

/// A small deterministic generator (no external crates in the core's tests).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn run(
    data: &[u8],
    (h, w, c): (usize, usize, usize),
    (oh, ow): (usize, usize),
    filter: Filter,
    compat: Compat,
    kernel: Kernel,
) -> Vec<u8> {
    let src = ImageRef::new(data, h, w, c).unwrap();
    let mut out = vec![0u8; oh * ow * c];
    resize_with(&src, oh, ow, filter, compat, kernel, &mut out).unwrap();
    out
}

#[test]
fn constant_images_stay_constant() {
    for f in Filter::ALL {
        for (h, w, oh, ow) in [(5, 7, 3, 11), (1, 1, 9, 4), (40, 3, 2, 2), (8, 8, 1, 1)] {
            let data = vec![77u8; h * w * 3];
            let out = run(
                &data,
                (h, w, 3),
                (oh, ow),
                f,
                Compat::Pillow,
                Kernel::Scalar,
            );
            assert!(out.iter().all(|&v| v == 77), "{f:?} {h}x{w}->{oh}x{ow}");
        }
    }
}

#[test]
fn hand_checked_gray_cases() {
    // 1x4 -> 1x2 bilinear: outputs (3a + 3b + c) / 7 and (b + 3c + 3d) / 7, rounded.
    let data = [0u8, 70, 140, 210];
    let out = run(
        &data,
        (1, 4, 1),
        (1, 2),
        Filter::Bilinear,
        Compat::Pillow,
        Kernel::Scalar,
    );
    assert_eq!(out, vec![50, 160]);
    // Box 2x2 -> 1x1: rows first (15, 35.5 -> 36, uint8 in between), then 25.5 -> 26.
    let out = run(
        &[10, 20, 30, 41],
        (2, 2, 1),
        (1, 1),
        Filter::Box,
        Compat::Pillow,
        Kernel::Scalar,
    );
    assert_eq!(out, vec![26]);
    // Nearest 1x4 -> 1x2 takes pixels 1 and 3.
    let out = run(
        &data,
        (1, 4, 1),
        (1, 2),
        Filter::Nearest,
        Compat::Pillow,
        Kernel::Scalar,
    );
    assert_eq!(out, vec![70, 210]);
}

#[test]
fn same_size_is_a_copy() {
    let data: Vec<u8> = (0..60).collect();
    for f in Filter::ALL {
        let out = run(&data, (4, 5, 3), (4, 5), f, Compat::Pillow, Kernel::Auto);
        assert_eq!(out, data);
    }
}

#[test]
fn pass_order_rule() {
    assert!(Compat::Pillow.vertical_first(480, 640, 476, 644));
    assert!(Compat::Pillow.vertical_first(900, 300, 364, 112));
    assert!(Compat::Pillow.vertical_first(100, 100, 80, 91));
    assert!(!Compat::Pillow.vertical_first(100, 100, 80, 90)); // dh == 2 * dw
    assert!(!Compat::Pillow.vertical_first(1080, 1920, 728, 1316));
    assert!(!Compat::Pillow.vertical_first(10, 10, 20, 5));
    assert!(!Compat::Pillow12.vertical_first(900, 300, 364, 112));
}

#[test]
fn pass_order_changes_bytes_only_when_the_rule_says_so() {
    let mut g = Lcg(7);
    let data = g.bytes(48 * 64 * 3);
    let one = |shape, compat| {
        run(
            &data,
            (48, 64, 3),
            shape,
            Filter::Bicubic,
            compat,
            Kernel::Scalar,
        )
    };
    assert_ne!(
        one((44, 66), Compat::Pillow),
        one((44, 66), Compat::Pillow12)
    );
    assert_eq!(
        one((30, 20), Compat::Pillow),
        one((30, 20), Compat::Pillow12)
    );
}

#[test]
fn rgba_alpha_zero_pixels_do_not_bleed_colour() {
    // Premultiplication: a transparent red pixel next to opaque blue adds no red.
    let data = [255u8, 0, 0, 0, 0, 0, 255, 255];
    let out = run(
        &data,
        (1, 2, 4),
        (1, 1),
        Filter::Bilinear,
        Compat::Pillow,
        Kernel::Scalar,
    );
    assert_eq!(out, vec![0, 0, 255, 128]);
}

#[test]
fn errors_are_reported_not_panicked() {
    let data = vec![0u8; 12];
    let src = ImageRef::new(&data, 2, 3, 2).unwrap();
    assert!(matches!(
        resize(&src, 1, 1, Filter::Box, Compat::Pillow),
        Err(Error::InvalidImage(_))
    ));
    let src = ImageRef::new(&data, 2, 2, 3).unwrap();
    assert!(matches!(
        resize(&src, 0, 1, Filter::Box, Compat::Pillow),
        Err(Error::InvalidArgument(_))
    ));
    let mut small = vec![0u8; 5];
    assert!(matches!(
        resize_into(&src, 1, 2, Filter::Box, Compat::Pillow, &mut small),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        Filter::parse("cubic"),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        Compat::parse("pillow11"),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        Kernel::parse("sse"),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn scalar_and_avx2_agree_on_random_sizes() {
    if !Kernel::avx2_available() {
        return;
    }
    let mut g = Lcg(42);
    for case in 0..600 {
        let big = case % 10 == 0;
        let side = |g: &mut Lcg| 1 + g.below(if big { 300 } else { 48 });
        let (h, w, oh, ow) = (side(&mut g), side(&mut g), side(&mut g), side(&mut g));
        let c = [1, 3, 4][case % 3];
        let f = Filter::ALL[case % 6];
        let compat = if case % 5 == 0 {
            Compat::Pillow12
        } else {
            Compat::Pillow
        };
        let (f, compat) = if case % 7 == 0 {
            let tv = [Filter::Bilinear, Filter::Bicubic][case % 2];
            (tv, Compat::Torchvision)
        } else {
            (f, compat)
        };
        let data = g.bytes(h * w * c);
        let a = run(&data, (h, w, c), (oh, ow), f, compat, Kernel::Scalar);
        let b = run(&data, (h, w, c), (oh, ow), f, compat, Kernel::Avx2);
        assert_eq!(a, b, "{f:?} {compat:?} ({h},{w},{c}) -> ({oh},{ow})");
    }
}

#[test]
fn scalar_and_avx2_agree_on_extreme_ratios() {
    if !Kernel::avx2_available() {
        return;
    }
    let mut g = Lcg(3);
    for (h, w, oh, ow) in [
        (1, 2000, 1, 3),
        (2000, 1, 5, 1),
        (3, 1500, 700, 2),
        (1, 1, 300, 200),
        (600, 700, 1, 1),
    ] {
        for c in [1, 3, 4] {
            let data = g.bytes(h * w * c);
            for f in [Filter::Lanczos, Filter::Bicubic, Filter::Box] {
                let a = run(
                    &data,
                    (h, w, c),
                    (oh, ow),
                    f,
                    Compat::Pillow,
                    Kernel::Scalar,
                );
                let b = run(&data, (h, w, c), (oh, ow), f, Compat::Pillow, Kernel::Avx2);
                assert_eq!(a, b, "{f:?} ({h},{w},{c}) -> ({oh},{ow})");
            }
        }
    }
}

/// torch's uint8 antialiased resize written plainly with its own i16 weights and shift:
/// horizontal pass over every row, then vertical, `clamp((2^(p-1) + sum) >> p, 0, 255)`.
fn torch_reference(
    data: &[u8],
    (h, w, c): (usize, usize, usize),
    (oh, ow): (usize, usize),
    filter: Filter,
) -> Vec<u8> {
    use torchvision::Int16Coeffs;
    let kern = coeffs::kernel_for(filter).unwrap();
    let pass = |v: &[u8], stride: usize, k: &Int16Coeffs, i: usize, at: usize| {
        let mut acc = 1i64 << (k.precision - 1);
        for (t, &wt) in k.weights(i).iter().enumerate() {
            acc += i64::from(v[at + (k.start[i] + t) * stride]) * i64::from(wt);
        }
        (acc >> k.precision).clamp(0, 255) as u8
    };
    let mut tmp = data.to_vec();
    let mut tw = w;
    if ow != w {
        let k = Int16Coeffs::new(w, ow, kern);
        let mut next = vec![0u8; h * ow * c];
        for y in 0..h {
            for x in 0..ow {
                for ch in 0..c {
                    next[(y * ow + x) * c + ch] = pass(&tmp, c, &k, x, y * w * c + ch);
                }
            }
        }
        tmp = next;
        tw = ow;
    }
    if oh != h {
        let k = Int16Coeffs::new(h, oh, kern);
        let mut next = vec![0u8; oh * tw * c];
        for y in 0..oh {
            for b in 0..tw * c {
                next[y * tw * c + b] = pass(&tmp, tw * c, &k, y, b);
            }
        }
        tmp = next;
    }
    tmp
}

#[test]
fn torchvision_matches_the_plain_int16_statement() {
    let mut g = Lcg(11);
    let kernels: Vec<Kernel> = if Kernel::avx2_available() {
        vec![Kernel::Scalar, Kernel::Avx2]
    } else {
        vec![Kernel::Scalar]
    };
    for case in 0..300 {
        let big = case % 10 == 0;
        let side = |g: &mut Lcg| 1 + g.below(if big { 260 } else { 40 });
        let (h, w, oh, ow) = (side(&mut g), side(&mut g), side(&mut g), side(&mut g));
        let c = [1, 3, 4][case % 3];
        let f = [Filter::Bilinear, Filter::Bicubic][case % 2];
        let data = g.bytes(h * w * c);
        let want = torch_reference(&data, (h, w, c), (oh, ow), f);
        for &k in &kernels {
            let got = run(&data, (h, w, c), (oh, ow), f, Compat::Torchvision, k);
            assert_eq!(got, want, "{f:?} {k:?} ({h},{w},{c}) -> ({oh},{ow})");
        }
    }
}

#[test]
fn torchvision_differs_from_pillow_and_keeps_rgba_channels_apart() {
    let mut g = Lcg(5);
    let data = g.bytes(60 * 80 * 3);
    let tv = run(
        &data,
        (60, 80, 3),
        (45, 97),
        Filter::Bicubic,
        Compat::Torchvision,
        Kernel::Scalar,
    );
    let pil = run(
        &data,
        (60, 80, 3),
        (45, 97),
        Filter::Bicubic,
        Compat::Pillow12,
        Kernel::Scalar,
    );
    let diff = tv.iter().zip(&pil).filter(|(a, b)| a != b).count();
    assert!(diff > 0 && diff < tv.len() / 20, "{diff} of {}", tv.len());
    assert!(tv
        .iter()
        .zip(&pil)
        .all(|(&a, &b)| (i32::from(a) - i32::from(b)).abs() <= 2));
    // No premultiplication: a transparent red pixel still contributes its red.
    let rgba = [255u8, 0, 0, 0, 0, 0, 255, 255];
    let out = run(
        &rgba,
        (1, 2, 4),
        (1, 1),
        Filter::Bilinear,
        Compat::Torchvision,
        Kernel::Scalar,
    );
    assert_eq!(out, vec![128, 0, 128, 128]);
}

#[test]
fn torchvision_refuses_other_filters_and_copies_same_size() {
    let data: Vec<u8> = (0..60).collect();
    let src = ImageRef::new(&data, 4, 5, 3).unwrap();
    for f in [
        Filter::Nearest,
        Filter::Box,
        Filter::Hamming,
        Filter::Lanczos,
    ] {
        let err = resize(&src, 2, 2, f, Compat::Torchvision).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument(m) if m.contains("bilinear and bicubic")),
            "{err:?}"
        );
    }
    let out = run(
        &data,
        (4, 5, 3),
        (4, 5),
        Filter::Bicubic,
        Compat::Torchvision,
        Kernel::Auto,
    );
    assert_eq!(out, data);
    assert_eq!(Compat::parse("torchvision").unwrap(), Compat::Torchvision);
    assert!(!Compat::Torchvision.vertical_first(480, 640, 476, 644));
}

#[test]
fn banded_passes_on_several_threads_give_the_same_bytes() {
    let (h, w) = (301, 257);
    let src: Vec<u8> = (0..h * w * 3).map(|i| (i * 7919 % 251) as u8).collect();
    let img = ImageRef::new(&src, h, w, 3).unwrap();
    let cases: Vec<(usize, usize, Compat)> =
        [(97, 400), (700, 129), (301, 90), (45, 257), (600, 600)]
            .into_iter()
            .flat_map(|(oh, ow)| [Compat::Pillow, Compat::Pillow12].map(|c| (oh, ow, c)))
            .collect();
    let run = || -> Vec<ImageBuf> {
        cases
            .iter()
            .map(|&(oh, ow, c)| resize(&img, oh, ow, Filter::Bicubic, c).unwrap())
            .collect()
    };
    let one = run();
    crate::core::par::set_num_threads(3);
    let three = run();
    crate::core::par::set_num_threads(1);
    assert_eq!(one, three);
}

/// A random weight table for `n_in -> n_out`: windows of 1..=`max_len` taps anywhere in
/// the input, weights of any sign up to `bound` in magnitude, at `precision` bits.
fn random_coeffs(g: &mut Lcg, n_in: usize, n_out: usize, max_len: usize, bound: i32) -> Coeffs {
    let ksize = max_len.min(n_in);
    let mut c = Coeffs {
        start: Vec::new(),
        len: Vec::new(),
        ksize,
        k: vec![0; n_out * ksize],
        precision: PRECISION_BITS,
        simd_pairs: std::sync::OnceLock::new(),
    };
    for i in 0..n_out {
        let len = 1 + g.below(ksize as u64);
        c.start.push(g.below((n_in - len + 1) as u64));
        c.len.push(len);
        for k in &mut c.k[i * ksize..i * ksize + len] {
            *k = g.below(2 * bound as u64 + 1) as i32 - bound;
        }
    }
    c
}

#[test]
fn avx2_passes_match_scalar_on_random_tables() {
    if !Kernel::avx2_available() {
        return;
    }
    let mut g = Lcg(7);
    // Wide 22-bit tables up to the split's limit (|k| < 2^26) and narrow i16 ones.
    let tables: [(i32, u32); 4] = [
        ((1 << 26) - 1, 22),
        (1 << 22, 22),
        (i16::MAX as i32, 14),
        (300, 9),
    ];
    for case in 0..400 {
        let (bound, precision) = tables[case % 4];
        let c_in = [1, 3, 4][case % 3];
        let (n_in, n_out) = (1 + g.below(70), 1 + g.below(40));
        let max_len = 1 + g.below(24);
        let mut c = random_coeffs(&mut g, n_in, n_out, max_len, bound);
        c.precision = precision;
        // Every remainder of the four-row blocks, and rows of a single pixel.
        let rows = 1 + case % 9;
        let src = g.bytes(rows * n_in * c_in);
        let (mut a, mut b) = (vec![0; rows * n_out * c_in], vec![0; rows * n_out * c_in]);
        scalar::horizontal(&src, n_in, c_in, &c, &mut a);
        avx2::horizontal(&src, n_in, c_in, &c, &mut b);
        assert_eq!(
            a, b,
            "horizontal case {case}: {rows}x{n_in}x{c_in} -> {n_out}"
        );
        // A table of the same kind vertically, on rows of any length (32-byte blocks and
        // tails), the band starting at input row `first`.
        let (row_bytes, first) = (1 + g.below(100), g.below(3));
        let mut c = random_coeffs(&mut g, n_in, n_out, max_len, bound);
        c.precision = precision;
        c.start.iter_mut().for_each(|s| *s += first);
        let src = g.bytes(n_in * row_bytes);
        let (mut a, mut b) = (vec![0; n_out * row_bytes], vec![0; n_out * row_bytes]);
        scalar::vertical(&src, row_bytes, first, &c, &mut a);
        avx2::vertical(&src, row_bytes, first, &c, &mut b);
        assert_eq!(
            a, b,
            "vertical case {case}: {n_in} rows of {row_bytes} from {first}"
        );
    }
}

#[test]
fn avx2_and_scalar_agree_on_saturating_and_edge_images() {
    if !Kernel::avx2_available() {
        return;
    }
    let mut g = Lcg(11);
    // Lanczos and bicubic overshoot on hard edges (clamped at 0 and 255); sizes straddle
    // the 16-byte loads, the two-pixel output steps and the four-row blocks.
    for (h, w, oh, ow) in [
        (9, 33, 5, 17),
        (7, 16, 13, 31),
        (5, 6, 3, 1),
        (1, 40, 1, 13),
        (40, 1, 13, 1),
        (2, 2, 7, 9),
        (13, 257, 6, 64),
        (64, 21, 63, 22),
    ] {
        for c in [1, 3, 4] {
            let data: Vec<u8> = (0..h * w * c)
                .map(|i| {
                    if (i / c + i / (w * c)) % 2 == 0 {
                        255
                    } else {
                        0
                    }
                })
                .collect();
            let noise = g.bytes(h * w * c);
            for img in [&data, &noise] {
                for f in [
                    Filter::Lanczos,
                    Filter::Bicubic,
                    Filter::Bilinear,
                    Filter::Hamming,
                ] {
                    for compat in [Compat::Pillow, Compat::Pillow12, Compat::Torchvision] {
                        if compat.check_filter(f).is_err() {
                            continue;
                        }
                        let a = run(img, (h, w, c), (oh, ow), f, compat, Kernel::Scalar);
                        let b = run(img, (h, w, c), (oh, ow), f, compat, Kernel::Avx2);
                        assert_eq!(a, b, "{f:?} {compat:?} ({h},{w},{c}) -> ({oh},{ow})");
                    }
                }
            }
        }
    }
}
