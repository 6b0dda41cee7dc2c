//! The worked examples of spec section 4.4 (cases A–F) and the error paths.

use super::*;

const T: i64 = 100;
const VS: i64 = 151652;
const VE: i64 = 151653;
const I: i64 = 151655;
const V: i64 = 151656;

fn spec(tps: Option<i64>, convention: Convention) -> MropeSpec {
    MropeSpec {
        spatial_merge_size: 2,
        image_token_id: I,
        video_token_id: V,
        vision_start_token_id: VS,
        tokens_per_second: tps,
        convention,
    }
}

struct Case<'a> {
    ids: Vec<i64>,
    batch: usize,
    mask: Option<Vec<i64>>,
    images: Option<&'a [i64]>,
    videos: Option<&'a [i64]>,
    seconds: Option<&'a [f32]>,
}

impl<'a> Case<'a> {
    fn row(ids: Vec<i64>) -> Self {
        Case {
            ids,
            batch: 1,
            mask: None,
            images: None,
            videos: None,
            seconds: None,
        }
    }

    fn run(&self, spec: &MropeSpec) -> Result<(Vec<i64>, Vec<i64>)> {
        let len = self.ids.len() / self.batch;
        let input = MropeInput {
            input_ids: &self.ids,
            batch: self.batch,
            len,
            attention_mask: self.mask.as_deref(),
            image_grid_thw: self.images,
            video_grid_thw: self.videos,
            second_per_grid_ts: self.seconds,
        };
        let mut pos = vec![-7; 3 * self.ids.len()];
        let mut deltas = vec![-7; self.batch];
        mrope_position_ids(&input, spec, &mut pos, &mut deltas)?;
        Ok((pos, deltas))
    }
}

fn rep(v: i64, n: usize) -> Vec<i64> {
    vec![v; n]
}

fn cat(parts: &[&[i64]]) -> Vec<i64> {
    parts.concat()
}

/// Plane `r` (0 t, 1 h, 2 w) of row `b` of a `(3, B, L)` result.
fn plane(pos: &[i64], batch: usize, r: usize, b: usize) -> Vec<i64> {
    let len = pos.len() / 3 / batch;
    pos[(r * batch + b) * len..(r * batch + b + 1) * len].to_vec()
}

const ALL: [Convention; 3] = [
    Convention::Qwen,
    Convention::Transformers4,
    Convention::Transformers5,
];

#[test]
fn a_one_image() {
    let mut c = Case::row(cat(&[&[T, T, VS], &rep(I, 6), &[VE, T, T]]));
    c.images = Some(&[1, 4, 6]);
    for conv in ALL {
        let (pos, d) = c.run(&spec(None, conv)).unwrap();
        assert_eq!(plane(&pos, 1, 0, 0), [0, 1, 2, 3, 3, 3, 3, 3, 3, 6, 7, 8]);
        assert_eq!(plane(&pos, 1, 1, 0), [0, 1, 2, 3, 3, 3, 4, 4, 4, 6, 7, 8]);
        assert_eq!(plane(&pos, 1, 2, 0), [0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 7, 8]);
        assert_eq!(d, [-3]);
    }
}

fn case_b<'a>() -> Case<'a> {
    let mut c = Case::row(cat(&[&[T, VS], &rep(V, 12), &[VE, T]]));
    c.videos = Some(&[3, 4, 4]);
    c
}

#[test]
fn b_video_qwen2vl() {
    let c = case_b();
    for conv in [Convention::Qwen, Convention::Transformers4] {
        let (pos, d) = c.run(&spec(None, conv)).unwrap();
        assert_eq!(
            plane(&pos, 1, 0, 0),
            [0, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 6]
        );
        assert_eq!(
            plane(&pos, 1, 1, 0),
            [0, 1, 2, 2, 3, 3, 2, 2, 3, 3, 2, 2, 3, 3, 5, 6]
        );
        assert_eq!(d, [-9]);
    }
    // transformers 5: text resumes at 2 + max(4, 4) / 2 = 4, padding-free delta
    let (pos, d) = c.run(&spec(None, Convention::Transformers5)).unwrap();
    assert_eq!(
        plane(&pos, 1, 0, 0),
        [0, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5]
    );
    assert_eq!(d, [5 + 1 - 16]);
}

/// Temporal row of case B under Qwen2.5-VL (tps 2) for one `second_per_grid_t`.
fn b_temporal(s: Option<f32>, conv: Convention) -> (Vec<i64>, i64) {
    let mut c = case_b();
    let seconds = s.map(|s| [s]);
    c.seconds = seconds.as_ref().map(|s| &s[..]);
    let (pos, d) = c.run(&spec(Some(2), conv)).unwrap();
    (plane(&pos, 1, 0, 0), d[0])
}

fn frames(base: i64, ids: [i64; 3]) -> Vec<i64> {
    ids.iter().flat_map(|&t| rep(base + t, 4)).collect()
}

#[test]
fn b_video_qwen25vl_transformers4_truncates_seconds() {
    let conv = Convention::Transformers4;
    for s in [None, Some(1.0), Some(1.004_337_7), Some(1.666_666_7)] {
        let (t, d) = b_temporal(s, conv);
        assert_eq!(t, cat(&[&[0, 1], &frames(2, [0, 2, 4]), &[7, 8]]));
        assert_eq!(d, -7);
    }
    let (t, d) = b_temporal(Some(0.5), conv);
    assert_eq!(t, cat(&[&[0, 1], &rep(2, 12), &[4, 5]]));
    assert_eq!(d, -10);
    let (t, d) = b_temporal(Some(2.5), conv);
    assert_eq!(t, cat(&[&[0, 1], &frames(2, [0, 4, 8]), &[11, 12]]));
    assert_eq!(d, -3);
}

#[test]
fn b_video_qwen_float_seconds() {
    // spec: "with float semantics s = 2.5 would give 2, 7, 12 and s = 0.5 would give 2, 3, 4"
    let (t, d) = b_temporal(Some(2.5), Convention::Qwen);
    assert_eq!(t, cat(&[&[0, 1], &frames(2, [0, 5, 10]), &[13, 14]]));
    assert_eq!(d, -1);
    let (t, _) = b_temporal(Some(0.5), Convention::Qwen);
    assert_eq!(t, cat(&[&[0, 1], &frames(2, [0, 1, 2]), &[5, 6]]));
    // k * 1.6666666 * 2 = 0, 3.33, 6.67 -> 0, 3, 6
    let (t, _) = b_temporal(Some(1.666_666_7), Convention::Qwen);
    assert_eq!(&t[2..14], frames(2, [0, 3, 6]));
}

#[test]
fn b_video_transformers5_interval() {
    let (t, d) = b_temporal(Some(2.5), Convention::Transformers5);
    // interval 5: 0, 5, 10; text resumes at 2 + 2 = 4
    assert_eq!(t, cat(&[&[0, 1], &frames(2, [0, 5, 10]), &[4, 5]]));
    assert_eq!(d, 12 + 1 - 16);
}

fn case_c<'a>() -> Case<'a> {
    let row0 = cat(&[
        &[0, 0, T, VS],
        &rep(I, 4),
        &[VE, T, VS],
        &rep(V, 8),
        &[VE, T],
    ]);
    let mut c = Case::row(cat(&[&row0, &rep(T, 21)]));
    c.batch = 2;
    c.mask = Some(cat(&[&[0, 0], &rep(1, 19), &rep(1, 21)]));
    c.images = Some(&[1, 4, 4]);
    c.videos = Some(&[2, 4, 4]);
    c.seconds = Some(&[1.0]);
    c
}

#[test]
fn c_left_padding_and_text_only_row() {
    let c = case_c();
    let (pos, d) = c.run(&spec(Some(2), Convention::Transformers4)).unwrap();
    assert_eq!(
        plane(&pos, 2, 0, 0),
        [1, 1, 0, 1, 2, 2, 2, 2, 4, 5, 6, 7, 7, 7, 7, 9, 9, 9, 9, 10, 11]
    );
    assert_eq!(
        plane(&pos, 2, 1, 0),
        [1, 1, 0, 1, 2, 2, 3, 3, 4, 5, 6, 7, 7, 8, 8, 7, 7, 8, 8, 10, 11]
    );
    assert_eq!(
        plane(&pos, 2, 2, 0),
        [1, 1, 0, 1, 2, 3, 2, 3, 4, 5, 6, 7, 8, 7, 8, 7, 8, 7, 8, 10, 11]
    );
    assert_eq!(plane(&pos, 2, 1, 1), (0..21).collect::<Vec<_>>());
    assert_eq!(d, [-9, 0]);
    // Qwen2-VL on the same input: video t-row 7x4, 8x4, then text 9, 10; delta -10
    let (pos, d) = c.run(&spec(None, Convention::Transformers4)).unwrap();
    assert_eq!(&plane(&pos, 2, 0, 0)[11..], [7, 7, 7, 7, 8, 8, 8, 8, 9, 10]);
    assert_eq!(d, [-10, 0]);
    // transformers 5: padding 0, deltas against the 19 unpadded tokens
    let (pos, d) = c.run(&spec(Some(2), Convention::Transformers5)).unwrap();
    assert_eq!(&plane(&pos, 2, 0, 0)[..2], [0, 0]);
    assert_eq!(d[1], 0);
}

#[test]
fn d_no_grids() {
    let mut c = Case::row(cat(&[&[0, 0, T, T, T], &rep(T, 5)]));
    c.batch = 2;
    c.mask = Some(vec![0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    for conv in [Convention::Qwen, Convention::Transformers4] {
        let (pos, d) = c.run(&spec(None, conv)).unwrap();
        for r in 0..3 {
            assert_eq!(plane(&pos, 2, r, 0), [1, 1, 0, 1, 2]);
            assert_eq!(plane(&pos, 2, r, 1), [0, 1, 2, 3, 4]);
        }
        assert_eq!(d, [-2, 0]);
    }
    let (pos, d) = c.run(&spec(None, Convention::Transformers5)).unwrap();
    assert_eq!(plane(&pos, 2, 0, 0), [0, 0, 0, 1, 2]);
    assert_eq!(d, [0, 0]);
    c.mask = None;
    for conv in ALL {
        let (pos, d) = c.run(&spec(None, conv)).unwrap();
        assert_eq!(plane(&pos, 2, 2, 0), [0, 1, 2, 3, 4]);
        assert_eq!(d, [0, 0]);
    }
    // the text-only branch counts padding's 1 in the row maximum
    let mut c = Case::row(vec![0, 0, T]);
    c.mask = Some(vec![0, 0, 1]);
    let (_, d) = c.run(&spec(None, Convention::Transformers4)).unwrap();
    assert_eq!(d, [1 + 1 - 3]);
}

#[test]
fn e_qwen3vl_split_frames() {
    // Qwen3-VL: video grid (2, 4, 4) split into two (1, 4, 4) blocks by the caller.
    let mut c = Case::row(cat(&[
        &[T, 1, VS],
        &rep(V, 4),
        &[VE, 2, VS],
        &rep(V, 4),
        &[VE, T],
    ]));
    c.videos = Some(&[1, 4, 4, 1, 4, 4]);
    let (pos, d) = c.run(&spec(None, Convention::Transformers4)).unwrap();
    assert_eq!(
        plane(&pos, 1, 0, 0),
        [0, 1, 2, 3, 3, 3, 3, 5, 6, 7, 8, 8, 8, 8, 10, 11]
    );
    assert_eq!(
        plane(&pos, 1, 1, 0),
        [0, 1, 2, 3, 3, 4, 4, 5, 6, 7, 8, 8, 9, 9, 10, 11]
    );
    assert_eq!(d, [-4]);
}

#[test]
fn f_two_adjacent_images() {
    let mut c = Case::row(cat(&[&[VS], &rep(I, 4), &[VE, VS], &rep(I, 2), &[VE]]));
    c.images = Some(&[1, 4, 4, 1, 2, 4]);
    let (pos, d) = c.run(&spec(None, Convention::Transformers4)).unwrap();
    assert_eq!(plane(&pos, 1, 0, 0), [0, 1, 1, 1, 1, 3, 4, 5, 5, 7]);
    assert_eq!(plane(&pos, 1, 1, 0), [0, 1, 1, 2, 2, 3, 4, 5, 5, 7]);
    assert_eq!(plane(&pos, 1, 2, 0), [0, 1, 2, 1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(d, [-2]);
}

#[test]
fn padding_inside_a_block_is_skipped() {
    let mut c = Case::row(cat(&[&[T, VS, I, I], &[0], &[I, I, VE]]));
    c.mask = Some(vec![1, 1, 1, 1, 0, 1, 1, 1]);
    c.images = Some(&[1, 4, 4]);
    let (pos, d) = c.run(&spec(None, Convention::Transformers4)).unwrap();
    assert_eq!(plane(&pos, 1, 2, 0), [0, 1, 2, 3, 1, 2, 3, 4]);
    assert_eq!(d, [4 + 1 - 8]);
}

#[test]
fn empty_row_gets_padding_and_a_neutral_delta() {
    let mut c = Case::row(cat(&[&rep(0, 3), &[VS, I, VE]]));
    c.batch = 2;
    c.mask = Some(vec![0, 0, 0, 1, 1, 1]);
    c.images = Some(&[1, 2, 2]);
    let (pos, d) = c.run(&spec(None, Convention::Transformers4)).unwrap();
    assert_eq!(plane(&pos, 2, 0, 0), [1, 1, 1]);
    assert_eq!(d, [-3, 2 + 1 - 3]);
    let (_, d) = c.run(&spec(None, Convention::Transformers5)).unwrap();
    assert_eq!(d, [0, 0]);
}

fn mismatch(r: Result<(Vec<i64>, Vec<i64>)>, needle: &str) {
    match r {
        Err(Error::GridMismatch(m)) => assert!(m.contains(needle), "{m}"),
        other => panic!("expected GridMismatch containing {needle:?}, got {other:?}"),
    }
}

fn invalid(r: Result<(Vec<i64>, Vec<i64>)>, needle: &str) {
    match r {
        Err(Error::InvalidArgument(m)) => assert!(m.contains(needle), "{m}"),
        other => panic!("expected InvalidArgument containing {needle:?}, got {other:?}"),
    }
}

#[test]
fn grid_token_mismatches() {
    let s4 = spec(None, Convention::Transformers4);
    let mut c = Case::row(cat(&[&[VS], &rep(I, 4), &[VE, VS], &rep(I, 2), &[VE]]));
    c.images = Some(&[1, 4, 4]);
    mismatch(c.run(&s4), "only 1 rows");
    c.images = Some(&[1, 4, 4, 1, 2, 4, 1, 2, 2]);
    mismatch(c.run(&s4), "unused");
    c.images = Some(&[1, 4, 4, 1, 4, 4]);
    mismatch(c.run(&s4), "needs t*h*w/merge^2 = 4 tokens");
    c.images = Some(&[1, 2, 4, 1, 2, 4]);
    mismatch(c.run(&s4), "longer than");
    c.images = Some(&[1, 4, 3, 1, 2, 4]);
    mismatch(c.run(&s4), "multiples of spatial_merge_size");
    // a pad run without vision start: an error for transformers4/qwen only
    let mut c = Case::row(cat(&[&[T], &rep(I, 4), &[T]]));
    c.images = Some(&[1, 4, 4]);
    mismatch(c.run(&s4), "does not follow vision_start");
    assert!(c.run(&spec(None, Convention::Transformers5)).is_ok());
    // video tokens with only image grids
    let mut c = Case::row(cat(&[&[VS], &rep(V, 4)]));
    c.images = Some(&[]);
    mismatch(c.run(&s4), "video_grid_thw has only 0 rows");
    // pad tokens with no grids at all
    let c = Case::row(vec![T, VS, I]);
    mismatch(c.run(&s4), "no image_grid_thw");
    // a grid bigger than the row
    let mut c = Case::row(cat(&[&[VS], &rep(I, 4)]));
    c.images = Some(&[8, 8, 8]);
    mismatch(c.run(&s4), "more than the row length");
}

#[test]
fn argument_errors() {
    let mut c = case_b();
    invalid(c.run(&spec(Some(0), Convention::Qwen)), "tokens_per_second");
    c.seconds = Some(&[1.0, 2.0]);
    invalid(c.run(&spec(Some(2), Convention::Qwen)), "one per video");
    c.seconds = Some(&[-1.0]);
    invalid(
        c.run(&spec(Some(2), Convention::Qwen)),
        "second_per_grid_ts[0]",
    );
    c.seconds = Some(&[f32::NAN]);
    invalid(c.run(&spec(Some(2), Convention::Qwen)), "finite");
    c.seconds = Some(&[3.0e38]);
    for conv in ALL {
        invalid(c.run(&spec(Some(1_000_000), conv)), "overflow");
    }
    c.seconds = None;
    c.videos = Some(&[3, 4]);
    invalid(c.run(&spec(None, Convention::Qwen)), "shape (N, 3)");
    c.videos = Some(&[0, 4, 4]);
    invalid(c.run(&spec(None, Convention::Qwen)), "between 1 and");
    c.videos = Some(&[3, 4, 4]);
    c.mask = Some(vec![1; 3]);
    invalid(
        c.run(&spec(None, Convention::Qwen)),
        "attention_mask holds 3",
    );
    c.mask = Some(cat(&[&rep(1, 15), &[2]]));
    invalid(c.run(&spec(None, Convention::Qwen)), "only 0 and 1");
    c.mask = None;
    let mut s = spec(None, Convention::Qwen);
    s.spatial_merge_size = 0;
    invalid(c.run(&s), "spatial_merge_size");
    let mut s = spec(None, Convention::Qwen);
    s.video_token_id = I;
    invalid(c.run(&s), "must differ");
    assert!(Convention::parse("transformers6").is_err());
    assert_eq!(Convention::parse("qwen").unwrap(), Convention::Qwen);
}
