"""The family contract: every family module has the same verbs, with the same meanings.

A new family appends its module to ``FAMILIES`` and must pass every test here.
"""

from __future__ import annotations

import inspect
import json
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynres_fast import DynresError, internvl, oryx, qwen2vl
from dynres_fast import llava_onevision as ov

FAMILIES = [qwen2vl, internvl, ov, oryx]
VIDEO_FAMILIES = [qwen2vl, internvl, ov, oryx]

family = pytest.mark.parametrize("family", FAMILIES, ids=lambda m: m.__name__.split(".")[-1])


def image(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@family
def test_same_verbs(family):
    for name in ("plan", "num_tokens_many", "ImageProcessor", "describe", "draw"):
        assert callable(getattr(family, name)), name
    proc = family.ImageProcessor
    for name in ("plan", "num_tokens_many", "from_pretrained", "__call__"):
        assert callable(getattr(proc, name)), name
    if family in VIDEO_FAMILIES:
        assert callable(proc.videos)


@family
def test_keyword_only_constructor_with_dtype_and_compat(family):
    params = list(inspect.signature(family.ImageProcessor.__init__).parameters.values())[1:]
    assert params and all(p.kind is p.KEYWORD_ONLY for p in params)
    names = {p.name for p in params}
    assert {"dtype", "compat", "image_mean", "image_std", "resample"} <= names
    out = inspect.signature(family.ImageProcessor.__call__).parameters["out"]
    assert out.kind is out.KEYWORD_ONLY and out.default is None
    with pytest.raises(TypeError):
        family.ImageProcessor(1)


@family
def test_plans_carry_tokens_and_wrappers(family):
    p = family.plan(480, 640)
    assert p == family.ImageProcessor().plan(480, 640)
    assert isinstance(p.num_tokens, int) and p.num_tokens > 0
    assert isinstance(p.wrapper_tokens, int) and p.wrapper_tokens >= 0
    assert repr(p).startswith(type(p).__name__ + "(")
    size, cut = family.describe(p)
    assert isinstance(size, str) and isinstance(cut, str)


@family
def test_same_error_classes(family):
    with pytest.raises(DynresError):
        family.plan(0, 5)
    with pytest.raises(TypeError):
        family.plan(5.0, 5)
    with pytest.raises(TypeError):
        family.plan(5, 5, no_such_option=1)
    with pytest.raises(DynresError):
        family.ImageProcessor(compat="nope")
    with pytest.raises(DynresError):
        family.ImageProcessor(dtype="float64")
    with pytest.raises(DynresError):
        family.ImageProcessor(resample="cubic")
    with pytest.raises(DynresError, match="differ in length"):
        family.num_tokens_many([5], [5, 6])
    with pytest.raises(DynresError):
        family.num_tokens_many([5], [5], errors="ignore")
    with pytest.raises(TypeError):
        family.num_tokens_many([5.0], [5.0])
    with pytest.raises(DynresError, match="row 1"):
        family.num_tokens_many([500, 0], [500, 500])


@family
def test_out_buffer_and_pickle(family):
    proc = family.ImageProcessor()
    img = image(90, 130)
    fresh = proc([img])
    key = "pixel_values"
    first = fresh[key] if isinstance(fresh[key], np.ndarray) else fresh[key][0]
    base = first.base if first.base is not None else first
    buf = np.full_like(base, 7)
    again = proc([img], out=buf)
    if isinstance(fresh[key], np.ndarray):
        np.testing.assert_array_equal(again[key], fresh[key])
        assert np.shares_memory(again[key], buf)
    else:
        np.testing.assert_array_equal(again[key][0], fresh[key][0])
        assert np.shares_memory(again[key][0], buf)
    with pytest.raises(DynresError):
        proc([img], out=np.empty(3, buf.dtype))
    with pytest.raises(TypeError):
        proc([img], out=np.empty_like(buf, np.float64))
    copy = pickle.loads(pickle.dumps(proc))
    np.testing.assert_array_equal(copy([img])["pixel_values"][0], fresh["pixel_values"][0])


@family
def test_from_pretrained_round_trip(family, tmp_path):
    mean, std = [0.25, 0.5, 0.75], [0.2, 0.3, 0.4]
    cfg = {"image_mean": mean, "image_std": std, "resample": 2, "do_normalize": True}
    path = tmp_path / "preprocessor_config.json"
    path.write_text(json.dumps(cfg))
    want = family.ImageProcessor(image_mean=mean, image_std=std, resample="bilinear")
    img = image(70, 50)
    for source in (cfg, path, tmp_path, str(tmp_path)):
        got = family.ImageProcessor.from_pretrained(source)
        np.testing.assert_array_equal(got([img])["pixel_values"][0], want([img])["pixel_values"][0])
    assert family.ImageProcessor.from_pretrained(cfg, dtype="uint8").dtype == "uint8"
    with pytest.raises(DynresError, match="do_normalize"):
        family.ImageProcessor.from_pretrained({**cfg, "do_normalize": False})
    with pytest.raises(DynresError, match="rescale_factor"):
        family.ImageProcessor.from_pretrained({**cfg, "rescale_factor": 1.0})
    with pytest.raises(DynresError, match="hub ids are not downloaded"):
        family.ImageProcessor.from_pretrained(tmp_path / "missing")


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(FAMILIES),
    st.lists(st.tuples(st.integers(1, 5000), st.integers(1, 5000)), min_size=0, max_size=30),
)
def test_num_tokens_many_equals_plan(family, sizes):
    hs = np.array([s[0] for s in sizes], np.int64)
    ws = np.array([s[1] for s in sizes], np.int64)
    got = family.num_tokens_many(hs, ws, errors="mask")
    assert got.dtype == np.int64 and got.shape == (len(sizes),)
    for (h, w), n in zip(sizes, got.tolist()):
        try:
            want = family.plan(h, w).num_tokens
        except DynresError:
            want = -1
        assert n == want, (h, w)
