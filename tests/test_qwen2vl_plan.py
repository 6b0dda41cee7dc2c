"""Qwen2-VL planning: smart_resize, frame sampling and video budgets."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynres_fast import AspectRatioError, BudgetError, DynresError, qwen2vl

from conftest import DATA
from reference import qwen2vl as ref

tf_smart_resize = pytest.importorskip(
    "transformers.models.qwen2_vl.image_processing_qwen2_vl"
).smart_resize

GOLDEN = json.loads((DATA / "smart_resize.json").read_text())


def _budget_from_key(key):
    _, f, lo, hi = key.split("_")
    return int(f[1:]), int(lo), int(hi)


def _golden_rows():
    for row in GOLDEN["image"]:
        for key, want in row.items():
            if key in ("h", "w"):
                continue
            yield row["h"], row["w"], key, want


@pytest.mark.parametrize("h,w,key,want", list(_golden_rows()))
def test_smart_resize_golden(h, w, key, want):
    factor, lo, hi = _budget_from_key(key)
    rule = "transformers" if key.startswith("tf") else "qwen_vl_utils"
    kw = {"factor": factor, "min_pixels": lo, "max_pixels": hi, "reference": rule}
    if isinstance(want, list) and 0 not in want:
        assert qwen2vl.smart_resize(h, w, **kw) == tuple(want)
    else:
        # upstream raises here, or returns a zero side that we refuse
        with pytest.raises(DynresError):
            qwen2vl.smart_resize(h, w, **kw)


def _video_rows():
    for row in GOLDEN["video_qwen3"]:
        for key, want in row.items():
            if key.startswith("q3video"):
                _, _, f, lo, hi = key.split("_")
                yield (row["T"], row["h"], row["w"]), (int(f[1:]), int(lo), int(hi)), want


@pytest.mark.parametrize("thw,budget,want", list(_video_rows()))
def test_video_smart_resize_golden(thw, budget, want):
    factor, lo, hi = budget
    kw = {"factor": factor, "min_pixels": lo, "max_pixels": hi}
    if isinstance(want, list):
        assert qwen2vl.video_smart_resize(*thw, **kw) == tuple(want)
    else:
        with pytest.raises(DynresError):
            qwen2vl.video_smart_resize(*thw, **kw)


sides = st.integers(1, 20000)
budgets = st.sampled_from(
    [
        (28, 3136, 12845056),
        (28, 3136, 1003520),
        (28, 200704, 1003520),
        (32, 65536, 16777216),
        (28, 784, 3136),
        (14, 0, 50000),
    ]
)


@given(sides, sides, budgets)
def test_smart_resize_matches_transformers(h, w, budget):
    factor, lo, hi = budget
    try:
        want = tf_smart_resize(h, w, factor=factor, min_pixels=lo, max_pixels=hi)
    except ValueError:
        with pytest.raises(AspectRatioError):
            qwen2vl.smart_resize(h, w, factor=factor, min_pixels=lo, max_pixels=hi)
        return
    if 0 in want:
        with pytest.raises(BudgetError):
            qwen2vl.smart_resize(h, w, factor=factor, min_pixels=lo, max_pixels=hi)
        return
    assert qwen2vl.smart_resize(h, w, factor=factor, min_pixels=lo, max_pixels=hi) == want
    assert ref.smart_resize(h, w, factor, lo, hi) == want


@given(
    st.lists(st.tuples(sides, sides), min_size=0, max_size=50),
    budgets,
    st.sampled_from(["transformers", "qwen_vl_utils"]),
)
def test_smart_resize_many_matches_scalar(pairs, budget, rule):
    factor, lo, hi = budget
    hs = np.array([p[0] for p in pairs], dtype=np.int64)
    ws = np.array([p[1] for p in pairs], dtype=np.int64)
    oh, ow = qwen2vl.smart_resize_many(
        hs, ws, factor=factor, min_pixels=lo, max_pixels=hi, reference=rule, errors="mask"
    )
    assert oh.dtype == np.int64 and oh.shape == hs.shape
    for h, w, a, b in zip(hs, ws, oh, ow):
        try:
            want = qwen2vl.smart_resize(
                int(h), int(w), factor=factor, min_pixels=lo, max_pixels=hi, reference=rule
            )
        except DynresError:
            want = (-1, -1)
        assert (a, b) == want


def test_smart_resize_many_raise_names_row():
    with pytest.raises(AspectRatioError, match="row 2"):
        qwen2vl.smart_resize_many([10, 20, 1], [10, 20, 500])
    with pytest.raises(DynresError, match="row 1"):
        qwen2vl.smart_resize_many([10, -3], [10, 20])
    with pytest.raises(DynresError, match="same length"):
        qwen2vl.smart_resize_many([10, 20], [10])
    with pytest.raises(TypeError, match="float64"):
        qwen2vl.smart_resize_many(np.array([1.5]), np.array([2.0]))
    with pytest.raises(DynresError, match="1-D"):
        qwen2vl.smart_resize_many(np.ones((2, 2), np.int64), np.ones((2, 2), np.int64))
    with pytest.raises(DynresError, match="errors must be"):
        qwen2vl.smart_resize_many([10], [10], errors="ignore")


@pytest.mark.parametrize(
    "args,exc,msg",
    [
        ((0, 10), DynresError, "height must be >= 1"),
        ((-5, 10), DynresError, "height must be >= 1"),
        ((10, 2001), AspectRatioError, r"got 200\.1"),
        ((1, 201), AspectRatioError, r"got 201\.0"),
        ((2**40, 10), DynresError, "larger than the supported maximum"),
    ],
)
def test_smart_resize_errors(args, exc, msg):
    with pytest.raises(exc, match=msg):
        qwen2vl.smart_resize(*args)


def test_smart_resize_budget_errors():
    with pytest.raises(BudgetError, match="must not exceed"):
        qwen2vl.smart_resize(100, 100, min_pixels=5000, max_pixels=4000)
    with pytest.raises(BudgetError, match="zero side"):
        qwen2vl.smart_resize(10, 10, min_pixels=0)
    with pytest.raises(TypeError):
        qwen2vl.smart_resize(10.5, 10)
    with pytest.raises(TypeError):
        qwen2vl.smart_resize(10, 10, max_pixels="big")
    with pytest.raises(DynresError, match="reference"):
        qwen2vl.smart_resize(10, 10, reference="pillow")


SPEC_FRAMES = [
    (
        (300, 30),
        {},
        [
            0,
            16,
            31,
            47,
            63,
            79,
            94,
            110,
            126,
            142,
            157,
            173,
            189,
            205,
            220,
            236,
            252,
            268,
            283,
            299,
        ],
    ),
    (
        (301, 29.97),
        {},
        [
            0,
            16,
            32,
            47,
            63,
            79,
            95,
            111,
            126,
            142,
            158,
            174,
            189,
            205,
            221,
            237,
            253,
            268,
            284,
            300,
        ],
    ),
    ((10, 30), {}, [0, 3, 6, 9]),
    ((3, 30), {}, [0, 2]),
    ((5, 1), {}, [0, 1, 3, 4]),
    ((30, 30), {"fps": 4}, [0, 10, 19, 29]),
    ((100, 30), {"num_frames": 7}, [0, 14, 28, 42, 57, 71, 85, 99]),
    ((100, 30), {"num_frames": 5}, [0, 33, 66, 99]),
    ((100, 30), {"num_frames": 3}, [0, 33, 66, 99]),
    ((600, 30), {"min_frames": 5, "max_frames": 9}, [0, 86, 171, 257, 342, 428, 513, 599]),
]


@pytest.mark.parametrize("args,kw,want", SPEC_FRAMES)
def test_sample_frames_spec(args, kw, want):
    got = qwen2vl.sample_frames(*args, **kw)
    assert got.dtype == np.int64
    assert got.tolist() == want


def test_sample_frames_long_video():
    got = qwen2vl.sample_frames(20000, 30)
    assert len(got) == 768 and got[:8].tolist() == [0, 26, 52, 78, 104, 130, 156, 183]


@given(
    st.integers(1, 5000),
    st.floats(0.5, 120),
    st.floats(0.1, 8),
    st.integers(0, 40),
    st.one_of(st.none(), st.integers(0, 900)),
)
def test_sample_frames_matches_reference(total, vfps, fps, min_frames, max_frames):
    kw = {"fps": fps, "min_frames": min_frames, "max_frames": max_frames}
    try:
        want = ref.sample_frames(total, vfps, **kw)
    except ValueError:
        with pytest.raises(DynresError, match="nframes should in interval"):
            qwen2vl.sample_frames(total, vfps, **kw)
        return
    assert qwen2vl.sample_frames(total, vfps, **kw).tolist() == want.tolist()


def test_sample_frames_errors():
    with pytest.raises(DynresError, match=r"got 0\."):
        qwen2vl.sample_frames(100, 30, num_frames=1)
    with pytest.raises(DynresError, match="video_fps"):
        qwen2vl.sample_frames(100, 0)
    with pytest.raises(DynresError, match="total_frames"):
        qwen2vl.sample_frames(0, 30)
    with pytest.raises(DynresError, match="fps"):
        qwen2vl.sample_frames(100, 30, fps=-1)


@pytest.mark.parametrize(
    "n,h,w,want",
    [
        (20, 1080, 1920, (560, 1008)),
        (20, 480, 640, (476, 644)),
        (768, 1080, 1920, (336, 644)),
        (768, 480, 640, (420, 560)),
    ],
)
def test_video_budget_spec(n, h, w, want):
    assert qwen2vl.video_budget(n, h, w) == want


@given(
    st.integers(1, 1000),
    sides,
    sides,
    st.sampled_from([14, 16]),
    st.one_of(st.none(), st.integers(1000, 500000)),
)
def test_video_budget_matches_reference(n, h, w, patch, max_pixels):
    try:
        want = ref.video_budget(n, h, w, image_patch_size=patch, max_pixels=max_pixels)
    except ValueError:
        want = None
    if want is None or 0 in want:
        with pytest.raises(DynresError):
            qwen2vl.video_budget(n, h, w, image_patch_size=patch, max_pixels=max_pixels)
    else:
        assert qwen2vl.video_budget(n, h, w, image_patch_size=patch, max_pixels=max_pixels) == want
