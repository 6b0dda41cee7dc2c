"""M-RoPE and vision-tower position ids against upstream goldens and the reference."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynres_fast import DynresError, GridMismatchError, rope

from conftest import DATA
from reference import rope as ref

T, VS, VE, IMG, VID = 100, 151652, 151653, 151655, 151656

T4 = np.load(DATA / "rope_public.npz")
T5 = np.load(DATA / "rope_public_t5.npz")
ROPE_JSON = json.loads((DATA / "rope_index.json").read_text())
TOWER_JSON = json.loads((DATA / "vision_tower.json").read_text())


def _batch(npz, k):
    """Arguments of golden batch ``k`` (empty grid arrays stand for None) and its outputs."""

    def g(name):
        return npz[f"r{k}_{name}"]

    tps = int(g("tokens_per_second")) or None  # stored as 0 for Qwen2-VL
    kwargs = {
        "spatial_merge_size": int(g("spatial_merge_size")),
        "tokens_per_second": tps,
        "second_per_grid_ts": g("second_per_grid_ts") if g("second_per_grid_ts").size else None,
    }
    args = (
        g("input_ids"),
        g("image_grid_thw") if g("image_grid_thw").size else None,
        g("video_grid_thw") if g("video_grid_thw").size else None,
        g("attention_mask"),
    )
    return args, kwargs, (g("position_ids"), g("mrope_position_deltas"))


def _assert_same(got, want):
    pos, deltas = got
    assert pos.dtype == np.int64 and deltas.dtype == np.int64
    np.testing.assert_array_equal(pos, want[0])
    np.testing.assert_array_equal(deltas, want[1])


# --- the 120 reference batches: rope_public.npz is transformers 4.57.6, _t5 is 5.18.0 ---


@pytest.mark.parametrize("k", range(120))
@pytest.mark.parametrize("npz,convention", [(T4, "transformers4"), (T5, "transformers5")])
def test_golden_batches(npz, convention, k):
    args, kwargs, want = _batch(npz, k)
    _assert_same(rope.mrope_position_ids(*args, **kwargs, convention=convention), want)
    # the reference states the same convention
    _assert_same(ref.mrope_position_ids(*args, **kwargs, convention=convention), want)


def test_golden_inputs_are_shared_and_conventions_differ():
    differ = 0
    for k in range(120):
        for name in ("input_ids", "attention_mask", "image_grid_thw", "video_grid_thw"):
            np.testing.assert_array_equal(T4[f"r{k}_{name}"], T5[f"r{k}_{name}"])
        differ += not np.array_equal(T4[f"r{k}_position_ids"], T5[f"r{k}_position_ids"])
    assert differ > 90


@pytest.mark.parametrize("k", range(120))
def test_qwen_convention_on_golden_inputs(k):
    args, kwargs, want = _batch(T4, k)
    got = rope.mrope_position_ids(*args, **kwargs, convention="qwen")
    _assert_same(got, ref.mrope_position_ids(*args, **kwargs, convention="qwen"))
    if kwargs["second_per_grid_ts"] is None or np.all(
        kwargs["second_per_grid_ts"] == np.trunc(kwargs["second_per_grid_ts"])
    ):
        _assert_same(got, want)  # whole seconds: the float rule equals the truncated one


# --- worked examples (rope_index.json: transformers 4.57.6, cases A–F) ---


def _json_cases():
    """Cases without inputs reuse those of the case before them (as the golden lists them)."""
    inputs = {}
    for name, case in ROPE_JSON.items():
        if "input_ids" in case:
            inputs = {k: v for k, v in case.items() if k in ("input_ids", "attention_mask")}
            inputs.update({k: v for k, v in case.items() if k.endswith("grid_thw")})
        yield name, {**inputs, **case}


@pytest.mark.parametrize("name,case", list(_json_cases()))
def test_rope_index_json(name, case):
    kwargs = {}
    if name.startswith(("B_qwen25vl", "C_qwen25vl")):
        kwargs["tokens_per_second"] = case.get("tokens_per_second", 2)
        s = case.get("second_per_grid_ts")
        if name.endswith("list"):
            s = [2.5]
        kwargs["second_per_grid_ts"] = None if s is None else np.atleast_1d(s)
    if name.startswith("E_qwen3vl"):
        kwargs["split_video_frames"] = True
    if name == "D_textonly_nomask":
        case = {k: v for k, v in case.items() if k != "attention_mask"}
    args = (
        case["input_ids"],
        case.get("image_grid_thw"),
        case.get("video_grid_thw"),
        case.get("attention_mask"),
    )
    want = (np.array(case["position_ids"]), np.array(case["mrope_position_deltas"]))
    _assert_same(rope.mrope_position_ids(*args, **kwargs, convention="transformers4"), want)


def test_spec_float_semantics_for_qwen():
    # spec 4.4 B: "with float semantics s = 2.5 would give 2, 7, 12 and s = 0.5 would give 2, 3, 4"
    ids = [T, VS] + [VID] * 12 + [VE, T]
    for s, frames in ((2.5, [2, 7, 12]), (0.5, [2, 3, 4])):
        pos, _ = rope.mrope_position_ids(
            ids, video_grid_thw=[[3, 4, 4]], second_per_grid_ts=[s], tokens_per_second=2
        )
        assert pos[0, 0, 2:14].tolist() == [f for f in frames for _ in range(4)]


def test_one_dimensional_ids_are_one_row():
    ids = [T, VS, IMG, IMG, IMG, IMG, VE, T]
    pos, deltas = rope.mrope_position_ids(ids, [[1, 4, 4]], attention_mask=[1] * 8)
    pos2, deltas2 = rope.mrope_position_ids([ids], [[1, 4, 4]], attention_mask=[[1] * 8])
    assert pos.shape == (3, 1, 8) and deltas.shape == (1, 1)
    np.testing.assert_array_equal(pos, pos2)
    np.testing.assert_array_equal(deltas, deltas2)


def test_bool_mask_and_narrow_dtypes():
    args, kwargs, want = _batch(T4, 3)
    ids, img, vid, mask = args
    got = rope.mrope_position_ids(
        ids.astype(np.int32), img, vid, mask.astype(bool), **kwargs, convention="transformers4"
    )
    _assert_same(got, want)


# --- vision tower (rope_public.npz v-cases and vision_tower.json) ---


@pytest.mark.parametrize("j", range(40))
def test_vision_golden(j):
    def g(name):
        return T4[f"v{j}_{name}"]

    grid, m = g("grid_thw"), int(g("spatial_merge_size"))
    np.testing.assert_array_equal(rope.vision_position_ids(grid, m), g("rot_pos_ids"))
    index, cu = rope.window_index(
        grid,
        window_size=int(g("window_size")),
        patch_size=int(g("patch_size")),
        spatial_merge_size=m,
    )
    assert index.dtype == np.int64 and cu.dtype == np.int64
    np.testing.assert_array_equal(index, g("window_index"))
    np.testing.assert_array_equal(cu, g("cu_window_seqlens"))  # raw, repeats kept
    cs = rope.cu_seqlens(grid)
    assert cs.dtype == np.int32
    np.testing.assert_array_equal(cs, g("cu_seqlens"))
    # the reference agrees
    np.testing.assert_array_equal(ref.vision_position_ids(grid, m), g("rot_pos_ids"))
    np.testing.assert_array_equal(ref.window_index(grid)[1], g("cu_window_seqlens"))
    np.testing.assert_array_equal(ref.cu_seqlens(grid), g("cu_seqlens"))


def _grid_of(key):
    return json.loads(key.split("grid_thw=")[1])


@pytest.mark.parametrize("key", [k for k in TOWER_JSON if k.startswith("rot_pos_ids")])
def test_vision_tower_json_rot_ids(key):
    case, grid = TOWER_JSON[key], _grid_of(key)
    ids = rope.vision_position_ids(grid)
    assert ids[:, 0].tolist() == case["hpos"] and ids[:, 1].tolist() == case["wpos"]
    assert rope.cu_seqlens(grid).tolist() == case["cu_seqlens"]


@pytest.mark.parametrize("key", [k for k in TOWER_JSON if k.startswith("window_index")])
def test_vision_tower_json_windows(key):
    case, grid = TOWER_JSON[key], _grid_of(key)
    index, cu = rope.window_index(grid)
    assert index.tolist() == case["window_index"]
    assert cu.tolist() == case["cu_window_seqlens_raw"]
    assert np.unique(cu).tolist() == case["cu_window_seqlens"]


@given(
    grids=st.lists(
        st.tuples(st.integers(1, 3), st.integers(1, 12), st.integers(1, 12)), min_size=1, max_size=4
    ),
    m=st.sampled_from([1, 2]),
    ws=st.sampled_from([56, 112, 224]),
)
@settings(max_examples=60)
def test_vision_random_grids_vs_reference(grids, m, ws):
    grid = np.array([(t, h * m, w * m) for t, h, w in grids])
    np.testing.assert_array_equal(
        rope.vision_position_ids(grid, m), ref.vision_position_ids(grid, m)
    )
    for a, b in zip(
        rope.window_index(grid, window_size=ws, spatial_merge_size=m),
        ref.window_index(grid, window_size=ws, spatial_merge_size=m),
    ):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(rope.cu_seqlens(grid), ref.cu_seqlens(grid))


# --- random batches vs the reference, all three conventions ---

CONVENTIONS = ("qwen", "transformers4", "transformers5")


@st.composite
def batches(draw, strict=True):
    """A random padded batch of text, image and video blocks with matching grids."""
    m = draw(st.sampled_from([1, 2]))
    tps = draw(st.sampled_from([None, 2, 4]))
    images, videos, rows = [], [], []
    for _ in range(draw(st.integers(1, 4))):
        row = []
        for _ in range(draw(st.integers(0, 4))):
            kind = draw(st.sampled_from(["text", "image", "video"]))
            if kind == "text":
                row += draw(st.lists(st.sampled_from([T, T + 1, VS, VE]), max_size=4))
                continue
            t = draw(st.integers(1, 4)) if kind == "video" else draw(st.sampled_from([1, 1, 2]))
            h, w = m * draw(st.integers(1, 4)), m * draw(st.integers(1, 4))
            (videos if kind == "video" else images).append((t, h, w))
            pad = VID if kind == "video" else IMG
            lead = [VS] if strict or draw(st.booleans()) else [T]
            row += lead + [pad] * (t * h * w // (m * m)) + [VE]
        rows.append(row)
    width = max(len(r) for r in rows) + draw(st.integers(0, 3))
    ids, mask = [], []
    for r in rows:
        n = width - len(r)
        left = draw(st.booleans())
        ids.append(([0] * n + r) if left else (r + [0] * n))
        mask.append(([0] * n + [1] * len(r)) if left else ([1] * len(r) + [0] * n))
    ids = np.array(ids, dtype=np.int64).reshape(len(rows), width)
    mask = np.array(mask, dtype=np.int64).reshape(len(rows), width)
    use_mask = draw(st.integers(0, 3)) > 0
    # sometimes hide a few tokens inside the rows as well (upstream drops them first)
    holes = draw(st.lists(st.integers(0, width), max_size=2)) if use_mask else []
    for j in holes:
        ids = np.insert(ids, j, 7, axis=1)
        mask = np.insert(mask, j, 0, axis=1)
    seconds = None
    if videos and draw(st.booleans()):
        seconds = draw(
            st.lists(
                st.floats(0, 3, width=32).map(lambda x: round(x, 3)),
                min_size=len(videos),
                max_size=len(videos),
            )
        )
    kwargs = {
        "spatial_merge_size": m,
        "tokens_per_second": tps,
        "second_per_grid_ts": seconds,
    }
    return (
        ids,
        np.array(images).reshape(-1, 3) if images or draw(st.booleans()) else None,
        np.array(videos).reshape(-1, 3) if videos or draw(st.booleans()) else None,
        mask if use_mask else None,
    ), kwargs


@given(batch=batches(), convention=st.sampled_from(CONVENTIONS))
@settings(max_examples=400)
def test_random_batches_vs_reference(batch, convention):
    args, kwargs = batch
    want = ref.mrope_position_ids(*args, **kwargs, convention=convention)
    _assert_same(rope.mrope_position_ids(*args, **kwargs, convention=convention), want)


@given(batch=batches(strict=False), convention=st.sampled_from(CONVENTIONS))
@settings(max_examples=200)
def test_blocks_without_vision_start(batch, convention):
    # transformers5 accepts pad runs without a vision-start token; the others refuse them
    args, kwargs = batch
    try:
        want = ref.mrope_position_ids(*args, **kwargs, convention=convention)
    except ref.RefMismatch:
        with pytest.raises(GridMismatchError):
            rope.mrope_position_ids(*args, **kwargs, convention=convention)
        return
    _assert_same(rope.mrope_position_ids(*args, **kwargs, convention=convention), want)


@given(
    ids=st.lists(st.sampled_from([T, VS, VE, IMG, VID]), min_size=1, max_size=24),
    images=st.lists(st.tuples(*[st.integers(0, 4)] * 3), max_size=3),
    videos=st.lists(st.tuples(*[st.integers(0, 4)] * 3), max_size=3),
    m=st.sampled_from([1, 2]),
    convention=st.sampled_from(CONVENTIONS),
)
@settings(max_examples=400)
def test_garbage_is_refused_or_matches(ids, images, videos, m, convention):
    # arbitrary tokens and grids: either both accept with equal ids, or we raise a
    # DynresError exactly when the reference refuses (never an IndexError or a panic)
    args = ([ids], np.array(images).reshape(-1, 3), np.array(videos).reshape(-1, 3))
    kw = {"spatial_merge_size": m, "convention": convention}
    try:
        want = ref.mrope_position_ids(*args, **kw)
    except ref.RefMismatch:
        want = None
    if any(0 in g for g in images + videos):
        want = None  # zero sides: the reference does not check them, we refuse them
    if want is None:
        try:
            rope.mrope_position_ids(*args, **kw)
        except DynresError:
            return
        # accepted: only possible when the bad grid rows were never reached... which
        # cannot be, since every row must be used
        raise AssertionError("accepted a batch the reference refuses")
    _assert_same(rope.mrope_position_ids(*args, **kw), want)


# --- errors ---

IDS = [T, VS, IMG, IMG, IMG, IMG, VE, T]


@pytest.mark.parametrize(
    "kwargs,exc,needle",
    [
        ({"image_grid_thw": [[1, 4, 4], [1, 2, 2]]}, GridMismatchError, "unused"),
        ({"image_grid_thw": np.zeros((0, 3), int)}, GridMismatchError, "only 0 rows"),
        ({"image_grid_thw": [[1, 2, 4]]}, GridMismatchError, "longer than"),
        ({"image_grid_thw": [[1, 4, 6]]}, GridMismatchError, "needs t*h*w/merge^2 = 6"),
        ({"image_grid_thw": [[1, 4, 4]], "spatial_merge_size": 3}, GridMismatchError, "multiples"),
        ({"image_grid_thw": [[1, 40, 40]]}, GridMismatchError, "more than the row length"),
        ({"image_grid_thw": [[0, 4, 4]]}, DynresError, "between 1 and"),
        ({"image_grid_thw": [[1, -4, 4]]}, DynresError, "between 1 and"),
        ({"image_grid_thw": [[1, 2**40, 4]]}, DynresError, "between 1 and"),
        ({"image_grid_thw": [[1, 4]]}, DynresError, "shape (N, 3)"),
        ({"image_grid_thw": [1, 4, 4]}, DynresError, "shape (N, 3)"),
        ({}, GridMismatchError, "no image_grid_thw or video_grid_thw"),
        ({"video_grid_thw": [[1, 4, 4]]}, GridMismatchError, "image_grid_thw has only 0 rows"),
        ({"image_grid_thw": [[1, 4, 4]], "convention": "hf"}, DynresError, "convention"),
        ({"image_grid_thw": [[1, 4, 4]], "attention_mask": [1] * 7}, DynresError, "shape"),
        ({"image_grid_thw": [[1, 4, 4]], "attention_mask": [2] * 8}, DynresError, "only 0 and 1"),
        ({"image_grid_thw": [[1, 4, 4]], "spatial_merge_size": 0}, DynresError, ">= 1"),
        ({"image_grid_thw": [[1, 4, 4]], "tokens_per_second": 0}, DynresError, ">= 1"),
        (
            {"image_grid_thw": [[1, 4, 4]], "image_token_id": VS},
            DynresError,
            "must differ",
        ),
    ],
)
def test_errors(kwargs, exc, needle):
    kwargs = dict(kwargs)
    grids = {k: kwargs.pop(k) for k in ("image_grid_thw", "video_grid_thw") if k in kwargs}
    with pytest.raises(exc) as info:
        rope.mrope_position_ids(IDS, **grids, **kwargs)
    assert needle in str(info.value)


VIDEO_IDS = [T, VS] + [VID] * 12 + [VE, T]


@pytest.mark.parametrize(
    "kwargs,needle",
    [
        ({"second_per_grid_ts": [1.0, 2.0]}, "one per video"),
        ({"second_per_grid_ts": [-0.5]}, "second_per_grid_ts[0]"),
        ({"second_per_grid_ts": [float("inf")]}, "finite"),
        ({"second_per_grid_ts": [[1.0]]}, "1-D"),
        ({"second_per_grid_ts": [3e38], "tokens_per_second": 2**20}, "overflow"),
        ({"second_per_grid_ts": [1.0, 2.0], "split_video_frames": True}, "one per video"),
        ({"split_video_frames": True, "video_grid_thw": [[0, 4, 4]]}, "t must be"),
    ],
)
def test_video_errors(kwargs, needle):
    kwargs = {"video_grid_thw": [[3, 4, 4]], "tokens_per_second": 2, **kwargs}
    with pytest.raises(DynresError) as info:
        rope.mrope_position_ids(VIDEO_IDS, **kwargs)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda: rope.mrope_position_ids(np.array(IDS, float), [[1, 4, 4]]),
        lambda: rope.mrope_position_ids(IDS, [[1.0, 4.0, 4.0]]),
        lambda: rope.mrope_position_ids(IDS, [[1, 4, 4]], np.ones(8, np.float32)),
        lambda: rope.mrope_position_ids(np.array(IDS, bool), [[1, 4, 4]]),
        lambda: rope.mrope_position_ids(IDS, [[1, 4, 4]], tokens_per_second=2.0),
        lambda: rope.mrope_position_ids(VIDEO_IDS, None, [[3, 4, 4]], second_per_grid_ts=["a"]),
        lambda: rope.vision_position_ids([[1.0, 4.0, 4.0]]),
        lambda: rope.cu_seqlens(None),
        lambda: rope.window_index([[1, 4, 4]], window_size=112.0),
    ],
)
def test_type_errors(call):
    with pytest.raises(TypeError):
        call()


def test_shape_errors():
    with pytest.raises(DynresError, match="input_ids must be"):
        rope.mrope_position_ids(np.zeros((1, 1, 8), np.int64), [[1, 4, 4]])
    with pytest.raises(GridMismatchError, match="multiples"):
        rope.vision_position_ids([[1, 3, 4]])
    with pytest.raises(GridMismatchError, match="multiples"):
        rope.window_index([[1, 4, 6]], spatial_merge_size=4)
    with pytest.raises(DynresError, match="window_size // spatial_merge_size"):
        rope.window_index([[1, 4, 4]], window_size=14)
    with pytest.raises(DynresError, match="int32|more than"):
        rope.cu_seqlens([[2**20, 2**20, 2**20]])
    with pytest.raises(DynresError, match="between 1 and"):
        rope.cu_seqlens([[1, 0, 4]])


def test_empty_rows_and_no_tokens():
    ids = np.array([[0, 0, 0], [VS, IMG, VE]])
    mask = np.array([[0, 0, 0], [1, 1, 1]])
    for conv, pad, d0 in (("transformers4", 1, -3), ("qwen", 1, -3), ("transformers5", 0, 0)):
        pos, deltas = rope.mrope_position_ids(ids, [[1, 2, 2]], None, mask, convention=conv)
        assert (pos[:, 0] == pad).all() and deltas[0, 0] == d0
    pos, deltas = rope.mrope_position_ids(np.zeros((2, 0), np.int64))
    assert pos.shape == (3, 2, 0) and deltas.tolist() == [[0], [0]]
