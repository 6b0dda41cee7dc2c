"""Qwen-VL batches (dynres_fast.batch, dynres_fast.torch) against readable references.

Token expansion, padding and labels are checked against ``reference/batch.py``, position
ids against ``reference/rope.py``, pixels against direct processor calls. The torch
conversion needs torch (a test dependency); everything else runs on NumPy.
"""

import multiprocessing as mp
import os
import pickle
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import dynres_fast
from dynres_fast import DynresError, GridMismatchError, InvalidImageError, io, qwen2vl
from dynres_fast.batch import collate_features, encode_sample, expand_image_tokens, load_image
from dynres_fast.torch import QwenVLDataset, collate

from reference import batch as ref
from reference import rope as ref_rope

SAMPLES = Path(dynres_fast.__file__).parent / "samples"
JPEGS = sorted(SAMPLES.glob("*.jpg"))
IMG, START, END = 151655, 151652, 151653
# A small budget keeps every test fast; the logic does not depend on it.
PROC = qwen2vl.ImageProcessor(min_pixels=28 * 28, max_pixels=28 * 28 * 16)

try:
    import torch
except ImportError:
    torch = None


def _prompt(n_images, rng, *, words=3):
    ids = [int(x) for x in rng.integers(0, 1000, words)]
    for _ in range(n_images):
        ids += [START, IMG, END] + [int(x) for x in rng.integers(0, 1000, rng.integers(0, 4))]
    return ids


def _image(rng, h=None, w=None):
    h = h or int(rng.integers(20, 120))
    w = w or int(rng.integers(20, 120))
    return rng.integers(0, 256, (h, w, 3), np.uint8)


@settings(max_examples=200)
@given(
    st.lists(st.integers(0, 5), min_size=1, max_size=20),
    st.data(),
)
def test_expand_matches_reference(tokens, data):
    ids = [IMG if t == 0 else t for t in tokens]
    n_img = ids.count(IMG)
    grids = data.draw(
        st.lists(
            st.tuples(st.integers(1, 2), st.integers(1, 4), st.integers(1, 4)).map(
                lambda g: (g[0], 2 * g[1], 2 * g[2])
            ),
            min_size=n_img,
            max_size=n_img,
        )
    )
    labels = data.draw(st.lists(st.integers(-100, 50), min_size=len(ids), max_size=len(ids)))
    counts = [t * h * w // 4 for t, h, w in grids]
    got_ids, got_labels = expand_image_tokens(ids, np.array(counts, np.int64), labels=labels)
    want_ids, want_labels = ref.expand(ids, grids, labels)
    assert got_ids.dtype == np.int64 and got_labels.dtype == np.int64
    assert got_ids.tolist() == want_ids
    assert got_labels.tolist() == want_labels
    no_labels = expand_image_tokens(ids, counts)
    assert no_labels[1] is None and no_labels[0].tolist() == want_ids


@pytest.mark.parametrize(
    "ids, counts, kw, exc, msg",
    [
        ([1, IMG, 2], [], {}, GridMismatchError, "1 image tokens .* 0 images"),
        ([1, IMG, IMG, 2], [2], {}, GridMismatchError, "2 image tokens .* 1 images"),
        ([1, 2], [4], {}, GridMismatchError, "0 image tokens"),
        ([1, IMG], [0], {}, DynresError, "must be >= 1"),
        ([1, IMG], [4], {"labels": [1, 2, 3]}, DynresError, "labels have 3 tokens"),
        ([[1, IMG]], [4], {}, DynresError, "must be 1-D"),
        ([1.5, IMG], [4], {}, TypeError, "input_ids"),
        ([1, IMG], [4.0], {}, TypeError, "tokens_per_image"),
    ],
)
def test_expand_errors(ids, counts, kw, exc, msg):
    with pytest.raises(exc, match=msg):
        expand_image_tokens(ids, counts, **kw)


def test_load_image_accepts_bytes_paths_arrays_and_pil(tmp_path):
    data = JPEGS[0].read_bytes()
    decoded = io.decode(data)
    np.testing.assert_array_equal(load_image(data), decoded)
    np.testing.assert_array_equal(load_image(bytearray(data)), decoded)
    np.testing.assert_array_equal(load_image(memoryview(data)), decoded)
    np.testing.assert_array_equal(load_image(str(JPEGS[0])), decoded)
    np.testing.assert_array_equal(load_image(JPEGS[0]), decoded)
    pil = np.asarray(Image.open(JPEGS[0]).convert("RGB"))
    np.testing.assert_array_equal(load_image(data, "pillow"), pil)
    np.testing.assert_array_equal(load_image(data, lambda b: np.zeros((2, 2, 3))), 0)
    arr = np.zeros((3, 4, 3), np.uint8)
    assert load_image(arr) is arr
    im = Image.new("L", (5, 6))
    assert load_image(im) is im
    with pytest.raises(TypeError, match="got int"):
        load_image(3)
    with pytest.raises(InvalidImageError):
        load_image(b"not an image")
    with pytest.raises(DynresError, match="decode must be one of"):
        load_image(data, "opencv")


def test_encode_sample_is_one_processor_call_per_sample():
    rng = np.random.default_rng(0)
    arr = _image(rng)
    data = JPEGS[1].read_bytes()
    ids = _prompt(4, rng)
    sample = {
        "images": [data, arr, Image.fromarray(arr), JPEGS[2]],
        "input_ids": ids,
        "labels": list(range(len(ids))),
        "caption": "extra keys are ignored",
    }
    feats = encode_sample(sample, PROC)
    direct = PROC([io.decode(data), arr, arr, io.decode(JPEGS[2].read_bytes())])
    np.testing.assert_array_equal(feats["pixel_values"], direct["pixel_values"])
    np.testing.assert_array_equal(feats["image_grid_thw"], direct["image_grid_thw"])
    tokens = [PROC.plan(*a.shape[:2]).num_tokens for a in (io.decode(data), arr, arr)]
    n_img = (feats["input_ids"] == IMG).sum()
    assert n_img == sum(tokens) + PROC.plan(*io.decode(JPEGS[2].read_bytes()).shape[:2]).num_tokens
    want_ids, want_labels = ref.expand(
        sample["input_ids"], direct["image_grid_thw"].tolist(), sample["labels"]
    )
    assert feats["input_ids"].tolist() == want_ids
    assert feats["labels"].tolist() == want_labels


def test_encode_sample_pillow_decode_and_text_only():
    data = JPEGS[0].read_bytes()
    feats = encode_sample({"images": [data], "input_ids": [START, IMG, END]}, PROC, decode="pillow")
    pil = PROC(Image.open(JPEGS[0]))
    np.testing.assert_array_equal(feats["pixel_values"], pil["pixel_values"])
    text = encode_sample({"input_ids": [1, 2, 3]}, PROC)
    assert text["pixel_values"].shape == (0, 1176) and text["image_grid_thw"].shape == (0, 3)
    assert text["input_ids"].tolist() == [1, 2, 3] and "labels" not in text


@pytest.mark.parametrize(
    "sample, exc, msg",
    [
        ([1, 2], TypeError, "must be a mapping"),
        ({"images": []}, DynresError, "needs 'input_ids'"),
        ({"image": [b""], "input_ids": [IMG]}, DynresError, "under 'images'"),
        ({"images": b"x", "input_ids": [IMG]}, TypeError, "must be a list"),
        ({"images": [b"junk"], "input_ids": [IMG]}, InvalidImageError, "image 0:"),
        ({"images": [np.zeros((9, 9, 3), np.uint8), 7], "input_ids": [IMG]}, TypeError, "image 1:"),
        (
            {"images": [np.zeros((56, 56, 3), np.uint8)], "input_ids": [1]},
            GridMismatchError,
            "0 im",
        ),
    ],
)
def test_encode_sample_errors(sample, exc, msg):
    with pytest.raises(exc, match=msg):
        encode_sample(sample, PROC)


def _random_samples(seed, n):
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n):
        k = int(rng.integers(0, 3))
        ids = _prompt(k, rng, words=int(rng.integers(1, 6)))
        samples.append(
            {
                "images": [_image(rng) for _ in range(k)],
                "input_ids": ids,
                "labels": [int(x) for x in rng.integers(0, 1000, len(ids))],
            }
        )
    return samples


@settings(max_examples=100)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 5),
    st.sampled_from(["qwen", "transformers4", "transformers5"]),
    st.sampled_from([None, 8]),
)
def test_collate_matches_reference(seed, n, convention, multiple):
    samples = _random_samples(seed, n)
    feats = [encode_sample(s, PROC) for s in samples]
    batch = collate_features(feats, convention=convention, pad_to_multiple_of=multiple)

    images = [im for s in samples for im in s["images"]]
    direct = PROC(images)
    grids = direct["image_grid_thw"].tolist()
    rows, labels, used = [], [], 0
    for s in samples:
        k = len(s["images"])
        r, lab = ref.expand(s["input_ids"], grids[used : used + k], s["labels"])
        used += k
        rows.append(r)
        labels.append(lab)
    length = max(map(len, rows))
    if multiple:
        length = -(-length // multiple) * multiple
    ids, mask = ref.pad_right(rows, ref.PAD, length)
    want_labels, _ = ref.pad_right(labels, ref.IGNORE, length)
    assert batch["input_ids"].tolist() == ids
    assert batch["attention_mask"].tolist() == mask
    assert batch["labels"].tolist() == want_labels
    want_pos, want_delta = ref_rope.mrope_position_ids(
        np.array(ids), grids or None, None, np.array(mask), convention=convention
    )
    np.testing.assert_array_equal(batch["position_ids"], want_pos)
    np.testing.assert_array_equal(batch["rope_deltas"], want_delta)
    assert batch["position_ids"].shape == (3, n, length)
    assert batch["rope_deltas"].shape == (n, 1)
    for key in ("input_ids", "attention_mask", "labels", "position_ids", "rope_deltas"):
        assert batch[key].dtype == np.int64, key
    if images:
        np.testing.assert_array_equal(batch["pixel_values"], direct["pixel_values"])
        np.testing.assert_array_equal(batch["image_grid_thw"], direct["image_grid_thw"])
    else:
        assert "pixel_values" not in batch and "image_grid_thw" not in batch


def test_collate_options_and_errors():
    rng = np.random.default_rng(5)
    a = encode_sample({"images": [_image(rng)], "input_ids": _prompt(1, rng)}, PROC)
    b = encode_sample({"input_ids": [7, 8]}, PROC)
    batch = collate_features([a, b], pad_token_id=-1)
    assert "labels" not in batch
    assert batch["input_ids"][1].tolist() == [7, 8] + [-1] * (batch["input_ids"].shape[1] - 2)
    # text-only rows: 1-D positions; padding 1 under "qwen", 0 under "transformers5"
    only_text = collate_features([b, encode_sample({"input_ids": [1, 2, 3]}, PROC)])
    assert only_text["position_ids"][:, 0].tolist() == [[0, 1, 1]] * 3
    t5 = collate_features([b, b, {"input_ids": np.array([4])}], convention="transformers5")
    assert t5["position_ids"][:, 2].tolist() == [[0, 0]] * 3
    with pytest.raises(DynresError, match="non-empty list"):
        collate_features([])
    with_labels = {**b, "labels": np.array([1, 2])}
    with pytest.raises(DynresError, match="some samples have labels"):
        collate_features([with_labels, b])
    with pytest.raises(DynresError, match="2 input_ids"):
        collate_features([{**b, "labels": np.array([1])}])
    half = encode_sample(
        {"images": [_image(rng)], "input_ids": _prompt(1, rng)},
        qwen2vl.ImageProcessor(min_pixels=784, max_pixels=784 * 16, dtype="float16"),
    )
    with pytest.raises(DynresError, match="cannot be concatenated"):
        collate_features([a, half])
    with pytest.raises(DynresError, match="convention"):
        collate_features([a], convention="llama")
    with pytest.raises(GridMismatchError):  # image tokens without a vision start
        collate_features([{**a, "input_ids": a["input_ids"][a["input_ids"] != START]}])


def test_dataset_and_collate_np():
    samples = _random_samples(11, 6)
    ds = QwenVLDataset(samples, PROC)
    assert len(ds) == 6
    items = [ds[i] for i in range(len(ds))]
    for item, s in zip(items, samples):
        want = encode_sample(s, PROC)
        for key in want:
            np.testing.assert_array_equal(item[key], want[key])
    batch = collate(items, return_tensors="np", convention="transformers5")
    np.testing.assert_array_equal(
        batch["position_ids"], collate_features(items, convention="transformers5")["position_ids"]
    )
    copy = pickle.loads(pickle.dumps(ds))  # what spawned workers and Ray tasks receive
    np.testing.assert_array_equal(copy[2]["pixel_values"], items[2]["pixel_values"])
    assert QwenVLDataset([]).processor.max_pixels == 12845056
    bad = QwenVLDataset([samples[0], {"input_ids": [IMG]}], PROC)
    with pytest.raises(GridMismatchError, match="^sample 1: "):
        bad[1]
    with pytest.raises(DynresError, match="return_tensors"):
        collate(items, return_tensors="tf")


def test_collate_pt_without_torch_says_what_to_do():
    """Run where torch cannot be imported (a meta-path finder hides it, as if uninstalled)."""
    code = (
        "import sys\n"
        "class NoTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}')\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "from dynres_fast import qwen2vl\n"
        "from dynres_fast.batch import encode_sample\n"
        "from dynres_fast.torch import collate\n"
        "items = [encode_sample({'input_ids': [1, 2]}, qwen2vl.ImageProcessor())]\n"
        "try:\n"
        "    collate(items)\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "return_tensors='np'" in out.stdout


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_collate_pt_shares_memory_with_numpy():
    samples = _random_samples(3, 4)
    items = [encode_sample(s, PROC) for s in samples]
    want = collate_features(items)
    got = collate(items)
    assert set(got) == set(want)
    for key, arr in want.items():
        assert isinstance(got[key], torch.Tensor), key
        np.testing.assert_array_equal(got[key].numpy(), arr)
    batch = collate_features(items)
    tensors = dynres_fast.torch.to_torch(batch)
    assert np.shares_memory(tensors["pixel_values"].numpy(), batch["pixel_values"])
    bf16 = qwen2vl.ImageProcessor(min_pixels=784, max_pixels=784 * 16, dtype="bfloat16")
    if bf16([_image(np.random.default_rng(0))])["pixel_values"].dtype.name == "bfloat16":
        feats = [encode_sample(s, bf16) for s in samples]
        pv = collate(feats)["pixel_values"]
        assert pv.dtype == torch.bfloat16
        f32 = collate([encode_sample(s, PROC) for s in samples])["pixel_values"]
        assert torch.allclose(pv.float(), f32, rtol=2**-7, atol=0)


def test_importing_dynres_fast_never_imports_torch():
    code = (
        "import sys\n"
        "class NoTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise AssertionError('torch was imported')\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "import dynres_fast, dynres_fast.torch, dynres_fast.batch\n"
        "from dynres_fast.torch import QwenVLDataset, collate\n"
        "ds = QwenVLDataset([{'input_ids': [1, 2]}])\n"
        "collate([ds[0]], return_tensors='np')\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


_DATASET = None


def _worker_batch(indices):
    items = [_DATASET[i] for i in indices]
    return collate(items, return_tensors="np")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_dataset_in_forked_workers_with_a_thread_pool_in_the_parent():
    global _DATASET
    rng = np.random.default_rng(9)
    samples = [
        {"images": [JPEGS[i % len(JPEGS)].read_bytes(), _image(rng)], "input_ids": _prompt(2, rng)}
        for i in range(8)
    ]
    _DATASET = QwenVLDataset(samples, PROC)
    chunks = [[0, 1, 2], [3, 4], [5, 6, 7], [1, 6]]
    dynres_fast.set_num_threads(2)
    try:
        want = [_worker_batch(c) for c in chunks]  # the parent's pool is up before fork
        with mp.get_context("fork").Pool(2) as pool:
            got = pool.map_async(_worker_batch, chunks).get(timeout=120)
        # and a dataset that came through pickle, as spawned workers get it
        with mp.get_context("fork").Pool(2) as pool:
            got_pickled = pool.map_async(partial(_items_of, pickle.dumps(_DATASET)), chunks).get(
                timeout=120
            )
    finally:
        dynres_fast.set_num_threads(1)
        _DATASET = None
    for w, g, gp in zip(want, got, got_pickled):
        assert set(w) == set(g) == set(gp)
        for key in w:
            np.testing.assert_array_equal(g[key], w[key])
            np.testing.assert_array_equal(gp[key], w[key])


def _items_of(dataset_bytes, indices):
    ds = pickle.loads(dataset_bytes)
    return collate([ds[i] for i in indices], return_tensors="np")


def test_torch_dataloader_example_runs():
    example = Path(__file__).resolve().parent.parent / "examples" / "torch_dataloader.py"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    run = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, env=env, timeout=240
    )
    assert run.returncode == 0, run.stderr[-3000:]
    if torch is None:
        assert run.stdout.startswith("PyTorch is not installed (pip install torch)")
        assert "position_ids    ndarray  (3, 4, " in run.stdout
    else:
        assert run.stdout.count("batch ") == 3  # 12 samples, batch_size 4
        assert "position_ids    Tensor   (3, 4, " in run.stdout
