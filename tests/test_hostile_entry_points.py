"""The newest entry points under hostile input (found by the ``tests/fuzz`` harness): each
refusal is a TypeError or a DynresError subclass naming the argument."""

import numpy as np
import pytest

from dynres_fast import BudgetError, DynresError, batch, cache, pixtral, pool, video
from dynres_fast.errors import VideoDecodeError
from fuzz import data


@pytest.mark.parametrize(
    "shape,dtype,err,msg",
    [
        ((2**40, 2**40), "float32", BudgetError, "pooled output"),
        ((3,), "PILLOW", TypeError, "dtype"),
        (None, "float32", TypeError, "shape"),
        ((1.5, 2), "float32", TypeError, "shape"),
        ((-1, 2), "float32", DynresError, "shape"),
    ],
)
def test_output_pool_take_refuses_bad_shapes_and_dtypes(shape, dtype, err, msg):
    with pytest.raises(err, match=msg):
        pool.OutputPool().take(shape, dtype)


def test_output_pool_take_still_reuses_its_buffer():
    p = pool.OutputPool()
    a = p.take((10, 3), np.float32)
    b = p.take((2, 3), "float32")
    assert a.shape == (10, 3) and b.shape == (2, 3) and p.nbytes >= 120


def test_content_key_of_empty_and_strided_arrays():
    empty = np.zeros((0, 4, 3), np.uint8)
    assert cache.content_key(empty) != cache.content_key(np.zeros((4, 0, 3), np.uint8))
    a = np.arange(24, dtype=np.int32).reshape(4, 6)
    assert cache.content_key(a[:, ::2]) == cache.content_key(np.ascontiguousarray(a[:, ::2]))


def test_pixtral_longest_edge_past_the_pixel_side_limit_only_caps():
    # Pixtral only shrinks: a maximum beyond 65536 plans as "no resize", as upstream does.
    assert pixtral.plan(300, 500, longest_edge=2**20) == pixtral.plan(300, 500)
    with pytest.raises(DynresError, match="longest_edge"):
        pixtral.plan(300, 500, longest_edge=2**25)
    with pytest.raises(DynresError, match="longest_edge"):
        pixtral.plan(300, 500, longest_edge=1)


@pytest.mark.parametrize(
    "src,msg",
    [
        (data.audio_file(), "no video stream"),
        (b"", "cannot open"),
        (data.mutate(data.video_file(38593), 266751), "no decoder"),
    ],
)
def test_video_probe_refuses_files_it_cannot_read(src, msg):
    with pytest.raises(VideoDecodeError, match=msg):
        video.probe(src)


def test_undecodable_metadata_does_not_stop_a_video():
    # Bytes flipped inside a metadata tag: PyAV's strict decoding raised UnicodeDecodeError.
    src = data.mutate(data.video_file(310593), 688819)
    with pytest.raises(VideoDecodeError, match="no frames"):
        video.probe(src)


@pytest.mark.parametrize(
    "grid,msg",
    [
        ([[1, 2]], r"\(n, 3\)"),
        ([[-1, 2, 2]], ">= 0"),
        ([[2**63 - 1, 2, 2]], "MAX_BATCH_LENGTH"),
    ],
)
def test_expand_video_tokens_checks_grids_before_expanding(grid, msg):
    with pytest.raises(DynresError, match=f"video_grid_thw.*{msg}"):
        batch.expand_video_tokens([1, 151652, 151656, 151653, 2], grid)


def test_expand_video_tokens_counts_huge_grids_exactly():
    # t·h·w overflows int64 (it wrapped negative and np.full refused a negative size); the
    # exact count over a huge merge is 0 pads.
    grid = [[2**63 - 1, 2, 2]]
    ids, _ = batch.expand_video_tokens([1, 151652, 151656, 151653, 2], grid, merge_size=2**40)
    assert ids.tolist() == [1, 151652, 151653, 2]


def test_pixtral_layout_names_image_sizes():
    with pytest.raises(TypeError, match="image_sizes"):
        pixtral.layout([1, 10, 2], None)


def test_fetch_video_names_a_huge_patch_size():
    pytest.importorskip("torch")
    from dynres_fast import qwen2vl

    ele = {"video": data.video_file(3), "resized_height": 56, "resized_width": 56}
    with pytest.raises(DynresError, match="image_patch_size"):
        qwen2vl.fetch_video(ele, image_patch_size=2**62)
