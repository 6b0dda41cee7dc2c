"""dynres_fast.transformers against transformers 5.x itself, live, in the same process.

Every comparison is exact: same keys, shapes, dtypes and values as the upstream class. Calls
our kernels reproduce must not reach upstream's pixel code (a spy checks it); calls they do
not reproduce must reach it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torchvision")
transformers = pytest.importorskip("transformers")
if int(transformers.__version__.split(".")[0]) < 5:
    pytest.skip("the drop-in classes target transformers 5.x", allow_module_level=True)

import torch  # noqa: E402
from PIL import Image  # noqa: E402
from transformers.models.qwen2_vl import image_processing_pil_qwen2_vl as qwen2_pil  # noqa: E402
from transformers.models.qwen2_vl import image_processing_qwen2_vl as qwen2_tv  # noqa: E402
from transformers.models.qwen2_vl import video_processing_qwen2_vl as qwen2_video  # noqa: E402
from transformers.models.qwen3_vl import video_processing_qwen3_vl as qwen3_video  # noqa: E402
from transformers.video_utils import VideoMetadata  # noqa: E402

from dynres_fast import transformers as dt  # noqa: E402

SAMPLES = sorted((Path(dt.__file__).parent / "samples").glob("*.jpg"))
QWEN2_5 = {"min_pixels": 3136, "max_pixels": 200704}
QWEN3 = {
    "size": {"shortest_edge": 65536, "longest_edge": 262144},
    "patch_size": 16,
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
}
PAIRS = {
    "torchvision": (dt.Qwen2VLImageProcessor, qwen2_tv.Qwen2VLImageProcessor),
    "pil": (dt.Qwen2VLImageProcessorPil, qwen2_pil.Qwen2VLImageProcessorPil),
}


def _same(a, b, key):
    assert type(a) is type(b), key
    if isinstance(b, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape, key
        assert torch.equal(a, b), f"{key}: max |diff| {(a.double() - b.double()).abs().max()}"
    elif isinstance(b, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, key
        np.testing.assert_array_equal(a, b, err_msg=key)
    elif isinstance(b, (list, tuple)):
        assert len(a) == len(b), key
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{key}[{i}]")
    else:
        assert a == b, key


def assert_same(ours, theirs):
    """Same keys, and per key the same type, dtype, shape and values (lists element-wise)."""
    assert list(ours.keys()) == list(theirs.keys())
    for key in theirs:
        _same(ours[key], theirs[key], key)


@pytest.fixture
def upstream_calls(monkeypatch):
    """Counts calls of the upstream pixel code (images and videos)."""
    calls = []
    for cls in (
        qwen2_tv.Qwen2VLImageProcessor,
        qwen2_pil.Qwen2VLImageProcessorPil,
        qwen2_video.Qwen2VLVideoProcessor,
        qwen3_video.Qwen3VLVideoProcessor,
    ):
        original = cls._preprocess

        def spy(self, *a, _original=original, **k):
            calls.append(type(self).__name__)
            return _original(self, *a, **k)

        monkeypatch.setattr(cls, "_preprocess", spy)
    return calls


def photos():
    return [Image.open(p) for p in SAMPLES]


def rgba():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (61, 87, 4), dtype=np.uint8)
    pixels[:20, :, 3] = 0
    return pixels


INPUTS = {
    "photos": photos,
    "arrays": lambda: [np.asarray(im) for im in photos()],
    "nested": lambda: [[np.asarray(photos()[0])], [np.asarray(photos()[1]), photos()[2]]],
    "rgba_pil": lambda: Image.fromarray(rgba(), "RGBA"),
    "rgba_array": rgba,
    "gray_pil": lambda: photos()[0].convert("L"),
    "palette_pil": lambda: photos()[1].convert("P"),
    "chw_tensor": lambda: torch.from_numpy(np.array(photos()[3])).permute(2, 0, 1),
    "chw_array": lambda: np.ascontiguousarray(np.asarray(photos()[2]).transpose(2, 0, 1)),
}


@pytest.mark.parametrize("backend", PAIRS)
@pytest.mark.parametrize("settings", [QWEN2_5, QWEN3], ids=["qwen2.5", "qwen3"])
@pytest.mark.parametrize("inputs", INPUTS)
@pytest.mark.parametrize("return_tensors", [None, "pt", "np"])
def test_images_equal_upstream(backend, settings, inputs, return_tensors, upstream_calls):
    ours_cls, theirs_cls = PAIRS[backend]
    ours, theirs = ours_cls(**settings), theirs_cls(**settings)
    assert isinstance(ours, theirs_cls)
    expected = theirs(INPUTS[inputs](), return_tensors=return_tensors)
    del upstream_calls[:]
    assert_same(ours(INPUTS[inputs](), return_tensors=return_tensors), expected)
    assert upstream_calls == []


@pytest.mark.parametrize("backend", PAIRS)
@pytest.mark.parametrize(
    "overrides",
    [
        {"size": {"shortest_edge": 12544, "longest_edge": 50176}},
        {"resample": 2},  # bilinear
        {"image_mean": [0.2, 0.3, 0.4], "image_std": 0.5},
    ],
)
def test_call_overrides_equal_upstream(backend, overrides, upstream_calls):
    ours_cls, theirs_cls = PAIRS[backend]
    images = photos()
    expected = theirs_cls(**QWEN2_5)(images, return_tensors="pt", **overrides)
    del upstream_calls[:]
    assert_same(ours_cls(**QWEN2_5)(images, return_tensors="pt", **overrides), expected)
    assert upstream_calls == []


def test_min_max_pixels_call_kwargs_equal_upstream(upstream_calls):
    images = photos()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        expected = qwen2_tv.Qwen2VLImageProcessor()(images, min_pixels=3136, max_pixels=100352)
        del upstream_calls[:]
        got = dt.Qwen2VLImageProcessor()(images, min_pixels=3136, max_pixels=100352)
    assert_same(got, expected)
    assert upstream_calls == []


UNREPRODUCED = {
    "no-resize": ({"do_resize": False}, lambda: [np.zeros((56, 84, 3), np.uint8)]),
    "no-normalize": ({"do_normalize": False}, photos),
    "float-input": ({"do_rescale": False}, lambda: [np.asarray(photos()[0], np.float32) / 255]),
    "min-above-max": ({"size": {"shortest_edge": 1000, "longest_edge": 100}}, photos),
}
CASES = [(b, c) for b in PAIRS for c in UNREPRODUCED] + [("torchvision", "nearest")]
UNREPRODUCED["nearest"] = ({"resample": 0}, photos)  # torchvision's nearest is not ours


@pytest.mark.parametrize("backend, case", CASES)
def test_unreproduced_calls_run_upstream(backend, case, upstream_calls):
    ours_cls, theirs_cls = PAIRS[backend]
    overrides, inputs = UNREPRODUCED[case]
    expected = theirs_cls(**QWEN2_5)(inputs(), return_tensors="pt", **overrides)
    del upstream_calls[:]
    assert_same(ours_cls(**QWEN2_5)(inputs(), return_tensors="pt", **overrides), expected)
    assert upstream_calls == [ours_cls.__name__]


def test_pillow_backend_reproduces_every_pillow_filter(upstream_calls):
    for resample in range(6):  # nearest, lanczos, bilinear, bicubic, box, hamming
        proc = qwen2_pil.Qwen2VLImageProcessorPil(**QWEN2_5, resample=resample)
        expected = proc(photos(), return_tensors="np")
        del upstream_calls[:]
        ours = dt.Qwen2VLImageProcessorPil(**QWEN2_5, resample=resample)
        assert_same(ours(photos(), return_tensors="np"), expected)
        assert upstream_calls == []


def clip(frames, height=90, width=160, seed=0):
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (frames, height // 10, width // 10, 3), dtype=np.uint8)
    return np.repeat(np.repeat(small, 10, axis=1), 10, axis=2)


@pytest.mark.parametrize("frames", [1, 4, 7])
def test_qwen2vl_videos_equal_upstream(frames, upstream_calls):
    kw = {"cap_pixels_per_frame": False, "return_tensors": "pt"}
    videos = [clip(frames), clip(frames + 2, 120, 90, seed=1)]
    expected = qwen2_video.Qwen2VLVideoProcessor()(videos, **kw)
    del upstream_calls[:]
    assert_same(dt.Qwen2VLVideoProcessor()(videos, **kw), expected)
    assert upstream_calls == []


@pytest.mark.parametrize("frames, fps", [(2, None), (9, None), (40, 24.0), (61, 30.0)])
def test_qwen3vl_videos_equal_upstream(frames, fps, upstream_calls):
    video = clip(frames, 180, 320)
    kw = {"cap_pixels_per_frame": False, "return_metadata": True, "return_tensors": "pt"}
    if fps is not None:
        kw["video_metadata"] = VideoMetadata(total_num_frames=frames, fps=fps)
    else:
        kw["do_sample_frames"] = False
    expected = qwen3_video.Qwen3VLVideoProcessor()(video, **kw)
    del upstream_calls[:]
    got = dt.Qwen3VLVideoProcessor()(video, **kw)
    assert_same(
        {k: v for k, v in got.items() if k != "video_metadata"},
        {k: v for k, v in expected.items() if k != "video_metadata"},
    )
    for m, n in zip(got["video_metadata"], expected["video_metadata"]):
        assert m.fps == n.fps and np.array_equal(m.frames_indices, n.frames_indices)
    assert upstream_calls == []


@pytest.mark.parametrize(
    "frames, height, width",
    [(16, 360, 640), (7, 720, 1280), (5, 1080, 1920), (3, 90, 2000), (2, 40, 50), (11, 33, 35)],
)
def test_qwen3vl_clip_budget_equals_upstream(frames, height, width, upstream_calls):
    """Whole-clip budgets that shrink, keep or grow the frames (sides under the factor, 32,
    which upstream scales up first, included)."""
    video = clip(frames, height - height % 10, width - width % 10)
    kw = {"cap_pixels_per_frame": False, "do_sample_frames": False, "return_tensors": "pt"}
    expected = qwen3_video.Qwen3VLVideoProcessor()(video, **kw)
    del upstream_calls[:]
    got = dt.Qwen3VLVideoProcessor()(video, **kw)
    assert_same(
        {k: v for k, v in got.items() if k != "video_metadata"},
        {k: v for k, v in expected.items() if k != "video_metadata"},
    )
    assert upstream_calls == []


@pytest.mark.parametrize(
    "cls, theirs", [("Qwen2VLVideoProcessor", qwen2_video), ("Qwen3VLVideoProcessor", qwen3_video)]
)
@pytest.mark.parametrize("frames", [4, 30])
def test_capped_videos_equal_upstream(cls, theirs, frames, upstream_calls):
    """qwen-vl-utils' per-frame cap (``cap_pixels_per_frame=True``), as each class applies it."""
    video = clip(frames, 720, 1280)
    kw = {"cap_pixels_per_frame": True, "do_sample_frames": False, "return_tensors": "pt"}
    expected = getattr(theirs, cls)(max_video_tokens=300)(video, **kw)
    del upstream_calls[:]
    got = getattr(dt, cls)(max_video_tokens=300)(video, **kw)
    assert_same(
        {k: v for k, v in got.items() if k != "video_metadata"},
        {k: v for k, v in expected.items() if k != "video_metadata"},
    )
    assert upstream_calls == []
