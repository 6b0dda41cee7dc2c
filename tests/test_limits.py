"""Absurd sizes and counts get a DynresError before any allocation: never an abort, a hang
or a panic across the FFI boundary (found by review; one test per path)."""

import io as _io
import os

import numpy as np
import pytest
from PIL import Image

from dynres_fast import (
    BudgetError,
    DynresError,
    InvalidImageError,
    _core,
    batch,
    internvl,
    ops,
    oryx,
    pack,
    qwen2vl,
    rope,
)
from dynres_fast import io as dio
from dynres_fast import llava_onevision as ov

from reference import llava_onevision as ref_ov

LUT = np.zeros((3, 256), np.float32)
_F32_EMPTY = np.zeros((0,), np.float32)
_OV = _core.LlavaOnevisionConfig(
    pinpoints=[(768, 768)], reference="transformers", resample="bicubic", compat="pillow"
)
_QWEN = _core.Qwen2VLConfig(
    min_pixels=3136,
    max_pixels=1003520,
    patch_size=14,
    temporal_patch_size=2,
    merge_size=2,
    fps=2.0,
    total_pixels=None,
    resample="bicubic",
    compat="pillow",
)


@pytest.mark.parametrize(
    "call,msg",
    [
        (lambda: qwen2vl.sample_frames(2**40, 30.0, num_frames=2**40), "at most"),
        (lambda: qwen2vl.sample_frames(2**64 - 1, 30.0), "total_frames"),
        (lambda: ov.frame_indices(2**40, 2**40), "at most"),
        (lambda: ov.frame_indices(2**64 - 1, 3), "total_frames"),
        (lambda: ov.frame_indices(2**40, 0, sampler="fps", video_fps=1.0), "at most"),
        (lambda: ov.pool_features(np.zeros((2, 27, 27, 8), np.float32), (2**40, 2)), "out_hw"),
        # Plans cross the boundary as typed objects made by the family config, so an
        # absurd size cannot reach the kernels; what the caller still controls is checked.
        (
            lambda: _OV.pixel_values([np.zeros((10, 10, 3), np.uint8)], [], LUT, _F32_EMPTY),
            "1 images but 0 plans",
        ),
        (
            lambda: _QWEN.pixel_values(
                [np.zeros((28, 28, 3), np.uint8)], [_QWEN.plan(28, 28)], LUT, _F32_EMPTY
            ),
            "out holds 0 values",
        ),
    ],
)
def test_refused_with_a_message(call, msg):
    with pytest.raises(DynresError, match=msg):
        call()


def test_empty_feature_maps_return_at_once():
    assert ov.pool_features(np.zeros((2**20, 27, 27, 0), np.float32)).size == 0


def test_a_budget_beyond_the_resize_limit_is_refused_before_allocating():
    with pytest.raises(BudgetError, match="65536"):
        qwen2vl.ImageProcessor(min_pixels=1e12, max_pixels=1e13)(np.zeros((50, 50, 3), np.uint8))


# --- issue 12: sizes computed with checked arithmetic, compared with a documented limit
# (4 GiB per buffer) before allocating; fallible allocation past that (MemoryError).


@pytest.mark.parametrize(
    "call",
    [
        lambda: ops.resize(np.zeros((2, 2, 3), np.uint8), 65536, 65536),
        lambda: rope.vision_position_ids([[2048, 1024, 1024]]),
        lambda: rope.cu_seqlens([[2**20, 1, 1]] * 2047),
        lambda: rope.window_index([[2048, 2048, 2048]], window_size=28),
    ],
)
def test_huge_outputs_are_refused_not_aborted(call):
    with pytest.raises(DynresError, match="(grid_thw|height=65536).*(4 GiB|patches)"):
        call()


def _jpeg(h=40, w=56, **kw):
    buf = _io.BytesIO()
    rgb = np.random.default_rng(0).integers(0, 256, (h, w, 3), np.uint8)
    Image.fromarray(rgb).save(buf, "JPEG", **kw)
    return buf.getvalue()


def _png(h=40, w=56):
    buf = _io.BytesIO()
    rgb = np.random.default_rng(1).integers(0, 256, (h, w, 3), np.uint8)
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("cut", [40, 100, 400])
@pytest.mark.parametrize("kind", ["jpeg", "progressive", "png"])
def test_truncated_files_are_refused_unless_allowed(kind, cut):
    data = _png() if kind == "png" else _jpeg(progressive=kind == "progressive")
    with pytest.raises(InvalidImageError, match="truncated|corrupt"):
        dio.decode(data[:-cut])
    with pytest.raises(OSError):  # Pillow refuses them too
        Image.open(_io.BytesIO(data[:-cut])).convert("RGB")


def test_allow_truncated_decodes_what_is_there():
    data = _jpeg()
    full = dio.decode(data)
    assert dio.decode(data[:-2], allow_truncated=True).shape == full.shape
    png = _png()
    np.testing.assert_array_equal(dio.decode(png[:-12], allow_truncated=True), dio.decode(png))
    with pytest.raises(TypeError, match="allow_truncated"):
        dio.decode(data, allow_truncated=1)


def test_a_tiny_file_claiming_a_huge_frame_is_refused():
    data = bytearray(_jpeg(8, 8, quality=10))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (65500).to_bytes(2, "big") + (2730).to_bytes(2, "big")
    with pytest.raises(InvalidImageError, match="needs at least"):
        dio.decode(bytes(data))


def test_a_corrupt_jpeg_structure_is_refused_like_libjpeg():
    data = _jpeg()
    sos = data.index(b"\xff\xda")
    twice = data[:-2] + data[sos:]  # a second scan after a complete sequential one
    with pytest.raises(InvalidImageError, match="corrupt JPEG"):
        dio.decode(twice)
    with pytest.raises(OSError):
        Image.open(_io.BytesIO(twice)).convert("RGB")


@pytest.mark.parametrize(
    "path,msg",
    [("/tmp", "directory"), ("/dev/null", "character device"), ("/nonexistent.jpg", "no such")],
)
def test_non_regular_files_are_refused_by_name(path, msg):
    with pytest.raises(DynresError, match=msg):
        batch.load_image(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with pytest.raises(DynresError, match="FIFO"):
        dio.read_file(fifo)


@pytest.mark.parametrize("path", [True, 1, 0, None, b"/tmp/x.jpg"])
def test_a_path_must_be_a_str_or_pathlike(path):
    with pytest.raises(TypeError, match="path"):
        dio.read_file(path)
    os.fstat(1)  # stdout is still open


def test_read_json_object_refusals(tmp_path):
    cases = {"list.json": "[1, 2]", "deep.json": "[" * 100_000 + "]" * 100_000,
             "bad.json": "{", "latin1.json": b"\xff\xfe{"}  # fmt: skip
    for name, text in cases.items():
        p = tmp_path / name
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
        with pytest.raises(DynresError, match="config"):
            dio.read_json_object(p)


@pytest.mark.parametrize("value", [10**400, -(10**400), float("nan")])
def test_huge_ints_and_nan_for_floats_name_the_argument(value):
    with pytest.raises(DynresError, match="max_pixels"):
        qwen2vl.smart_resize(100, 100, max_pixels=value)


def test_a_pil_mode_pillow_cannot_convert_names_the_mode():
    im = Image.new("LA", (8, 8)).convert("La")
    with pytest.raises(InvalidImageError, match="'La'"):
        qwen2vl.ImageProcessor()(im)
    with pytest.raises(InvalidImageError, match="'La'"):
        ops.to_rgb(im)


def test_lower_bound_sums_exactly_and_refuses_negative_lengths():
    assert pack.lower_bound([2**62, 2**62, 2**62], 3) == 2**62
    with pytest.raises(DynresError, match="lengths"):
        pack.lower_bound([-5, 10], 3)
    with pytest.raises(DynresError, match="int32"):
        pack.cu_seqlens([2**62, 2**62], [np.array([0, 1])])


def test_collate_refuses_a_padded_length_past_the_limit():
    with pytest.raises(DynresError, match="pad_to_multiple_of"):
        batch.collate_features([{"input_ids": np.array([1, 2])}], pad_to_multiple_of=2**62)


def test_encode_sample_needs_a_qwen_processor():
    sample = {"input_ids": [1, batch.IMAGE_PAD_ID], "images": [np.zeros((30, 40, 3), np.uint8)]}
    with pytest.raises(TypeError, match="processor"):
        batch.encode_sample(sample, internvl.ImageProcessor())


@pytest.mark.parametrize("lo,hi", [(1e40, 1e40), (1e38, 1e40), (2.0**48 + 1e6, 1e50)])
def test_budgets_past_the_largest_square_are_refused(lo, hi):
    with pytest.raises(BudgetError, match="min_pixels"):
        qwen2vl.smart_resize(100, 100, min_pixels=lo, max_pixels=hi)
    with pytest.raises(BudgetError, match="min_pixels"):
        qwen2vl.smart_resize_many([100, 200, 300], [100, 50, 30], min_pixels=lo, max_pixels=hi)


def test_the_largest_minimum_still_plans_exactly():
    h, w = qwen2vl.smart_resize(4096, 4096, min_pixels=2.0**48, max_pixels=2.0**49)
    assert (h, w) == (16777236, 16777236)  # ceil(2^24 / 28) * 28


@pytest.mark.parametrize("total", [2**31 - 1, 2**31, 2**40])
def test_sample_frames_refuses_clips_whose_float32_indices_leave_the_clip(total):
    with pytest.raises(DynresError, match=rf"total_frames={total}: .*past the clip"):
        qwen2vl.sample_frames(total, 30.0)


def test_sample_frames_at_2_24_stays_in_the_clip():
    idx = qwen2vl.sample_frames(2**24, 30.0)
    assert idx.max() == 2**24 - 1 and len(idx) == 768


@pytest.mark.parametrize(
    "total,n", [(2**24 + 1, 768), (2**24 + 3, 8), (2**25 + 1, 768), (123_456_789, 64)]
)
def test_sample_frames_past_2_24_is_upstreams_float32_linspace(total, n):
    torch = pytest.importorskip("torch")
    want = torch.linspace(0, total - 1, n).round().long().numpy()
    assert want.max() < total  # inside the clip: upstream is right, so we answer
    assert np.array_equal(qwen2vl.sample_frames(total, 30.0, num_frames=n), want)


# --- the family-level reproducers of issue 12


def test_pool_features_refuses_a_huge_output_before_allocating():
    with pytest.raises(BudgetError, match=r"out_hw \(65536, 65536\)"):
        ov.pool_features(np.zeros((2, 2, 2, 4), np.float32), (65536, 65536))


def test_transformers_frame_sampling_is_bounded():
    with pytest.raises(DynresError, match="num_frames"):
        internvl.frame_indices(10**9, 10**9, reference="transformers")


def test_a_huge_pinpoint_plans_but_lists_no_boxes():
    p = ov.plan(300, 500, image_grid_pinpoints=[(16776960, 16776960)])
    want = ref_ov.plan(300, 500, pinpoints=[(16776960, 16776960)])
    assert (p.canvas, p.num_tokens) == (want["canvas"], want["num_tokens"])
    with pytest.raises(BudgetError, match=r"pinpoint canvas \(16776960, 16776960\)"):
        _ = p.boxes


def test_boxes_are_listed_up_to_the_buffer_limit():
    # 9709 crops of 384² uint8 fit in 4 GiB, 9710 do not.
    fits = ov.plan(30000, 30000, image_grid_pinpoints=[(384 * 7, 384 * 1387)])
    assert len(fits.boxes) == 7 * 1387 == 9709
    over = ov.plan(30000, 30000, image_grid_pinpoints=[(384 * 10, 384 * 971)])
    with pytest.raises(BudgetError, match="9710 crops"):
        _ = over.boxes


def test_a_pinpoint_past_the_output_limit_is_refused_when_used():
    proc = ov.ImageProcessor(image_grid_pinpoints=[(384 * 200, 384 * 200)])
    with pytest.raises(BudgetError, match="image_grid_pinpoints"):
        proc(np.zeros((3000, 3000, 3), np.uint8))


def test_long_pinpoint_lists_are_accepted_with_identical_results():
    # 5000 entries (once refused past 4096): the best canvas is the reference's, and the
    # pixels are those of the default list when the extra entries never win.
    long = list(ov.ANYRES_MAX_9) + [(384 * 6, 384 * 6)] * 5000
    assert ov.select_best_resolution(300, 500, long) == ref_ov.select_best_resolution(
        300, 500, long
    )
    spread = [(384 * i, 384 * j) for i in range(1, 101) for j in range(1, 51)]
    for h, w in [(300, 500), (20000, 900), (1000, 40000)]:
        assert ov.plan(h, w, image_grid_pinpoints=spread).canvas == tuple(
            ref_ov.select_best_resolution(h, w, spread)
        )
    im = np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    a, b = ov.ImageProcessor(image_grid_pinpoints=long)(im), ov.ImageProcessor()(im)
    assert np.array_equal(a["pixel_values"], b["pixel_values"])
    assert np.array_equal(a["image_sizes"], b["image_sizes"])


def test_a_pinpoint_of_more_than_1024_crops_that_fits_is_preprocessed():
    # 40 x 27 = 1080 crops (once refused past 1024), uint8: 478 MB, under the limit.
    proc = ov.ImageProcessor(image_grid_pinpoints=[(384 * 40, 384 * 27)], dtype="uint8")
    out = proc(np.zeros((40, 27, 3), np.uint8))["pixel_values"]
    assert out.shape == (1, 1081, 3, 384, 384)


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: oryx.ImageProcessor(min_res=65536)(np.zeros((30, 40, 3), np.uint8)), "min_res"),
        (
            lambda: oryx.ImageProcessor(lowres_base=65536)(np.zeros((30, 40, 3), np.uint8)),
            "lowres_base",
        ),
        (
            lambda: qwen2vl.ImageProcessor(temporal_patch_size=2**24)(
                np.zeros((30, 40, 3), np.uint8)
            ),
            "temporal_patch_size",
        ),
    ],
)
def test_outputs_past_the_buffer_limit_name_the_setting(call, name):
    with pytest.raises(DynresError, match=name):
        call()


@pytest.mark.parametrize("family", [internvl, ov, oryx])
def test_a_million_video_frames_are_refused_before_allocating(family):
    proc = family.ImageProcessor()
    with pytest.raises(BudgetError, match="num_frames=1048576"):
        proc.videos(np.zeros((4, 28, 28, 3), np.uint8), num_frames=2**20)


@pytest.mark.parametrize(
    "family,kw",
    [
        (internvl, {"image_size": 28}),
        (oryx, {"max_res": 256, "video_max_res": 128, "video_min_res": 64}),
    ],
    ids=["internvl", "oryx"],
)
def test_more_than_4096_sampled_frames_that_fit_are_the_frames_themselves(family, kw):
    # No count cap (it was 4096): sampling 5000 of 7 frames is the frames at the family's
    # indices, processed as an already-sampled clip. (LLaVA-OneVision shares the sampling
    # code; its fixed 384² frames make 5000 of them 2.2 GB even as uint8.)
    proc = family.ImageProcessor(**kw)
    video = np.random.default_rng(1).integers(0, 256, (7, 64, 64, 3), dtype=np.uint8)
    got = proc.videos(video, num_frames=5000)
    idx = family.frame_indices(7, 5000)
    want = proc.videos(video[idx])
    assert np.array_equal(got["frame_indices"][0], idx)
    assert np.array_equal(got["pixel_values_videos"][0], want["pixel_values_videos"][0])
    assert np.array_equal(got["num_video_tokens"], want["num_video_tokens"])


@pytest.mark.parametrize("source", [True, False, 1, 0, 3.5, None])
def test_from_pretrained_never_takes_a_bool_or_int_for_a_path(source):
    with pytest.raises(TypeError, match="config"):
        qwen2vl.ImageProcessor.from_pretrained(source)
    os.fstat(1)  # stdout is still open


@pytest.mark.parametrize("text", ["[1, 2]", "[" * 100_000 + "]" * 100_000, "{"])
def test_configs_that_are_not_json_objects_are_refused(tmp_path, text):
    p = tmp_path / "preprocessor_config.json"
    p.write_text(text)
    with pytest.raises(DynresError, match="config"):
        qwen2vl.ImageProcessor.from_pretrained(p)


def test_an_out_array_shared_by_two_threads_is_named():
    import threading

    proc = qwen2vl.ImageProcessor()
    im = np.zeros((560, 560, 3), np.uint8)
    out = np.empty_like(proc(im)["pixel_values"])
    errors = []

    def go():
        try:
            for _ in range(30):
                proc(im, out=out)
        except DynresError as e:
            errors.append(e)

    threads = [threading.Thread(target=go) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all("out is already in use" in str(e) for e in errors)


def test_num_tokens_many_refuses_impossible_frame_counts():
    with pytest.raises(DynresError, match="total_frames"):
        qwen2vl.num_tokens_many(
            np.array([300, 300, 300]),
            np.array([400, 400, 400]),
            total_frames=np.array([2**62, 0, 5]),
            video_fps=np.array([30.0, 30.0, 30.0]),
        )
