# ruff: noqa: E501 - a catalogue of code strings, clearer unwrapped
"""The probe catalogue: hand-written hostile calls and generated ones.

Generated probes start from a valid call of a public entry point and replace one or two
arguments with a hostile value (huge, negative, NaN, infinite, ``10**400``, wrong type,
zero-stride giant arrays, …). An error must be a ``TypeError`` / ``DynresError`` naming a
replaced argument; a result must pass the entry's invariant or match its reference in
``tests/reference`` (checked only where the reference is cheap for these arguments).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Dict, Iterator, List, Sequence, Tuple

from .runner import Probe

# ------------------------------------------------------------------ hostile value pools

INTS = [
    "0", "-1", "1", "2", "3", "7", "65535", "65536", "65537", "2**20", "2**24", "2**31",
    "2**31 - 1", "2**32", "2**32 + 1", "2**53 + 1", "2**62", "2**63 - 1", "2**63", "2**64",
    "10**400", "-10**400", "-2**63", "np.int64(2**40)", "np.uint64(2**64 - 1)", "np.int8(-3)",
    "True", "False", "None", "1.5", "float('nan')", "'28'", "[1]", "object()",
]  # fmt: skip
FLOATS = [
    "0.0", "-0.0", "-1.0", "1e-300", "5e-324", "1e40", "1e38", "1e308", "1.7976931348623157e308",
    "float('inf')", "-float('inf')", "float('nan')", "10**400", "-10**400", "2**64", "2**63",
    "np.float32('nan')", "np.float16(65504)", "np.float64(1e300)", "0", "1", "True", "None",
    "'2.0'", "complex(1, 1)", "[2.0]",
]  # fmt: skip
STRINGS = ["''", "'x'", "'PILLOW'", "'pillow\\x00'", "None", "3", "b'pillow'", "['pillow']"]
BOOLS = ["None", "0", "1", "'yes'", "np.bool_(True)", "2"]
IMAGES = [
    "np.zeros((0, 4, 3), np.uint8)",
    "np.zeros((4, 0, 3), np.uint8)",
    "np.zeros((4, 4, 2), np.uint8)",
    "np.zeros((4, 4, 5), np.uint8)",
    "np.zeros((4, 4, 3), np.float32)",
    "np.zeros((4, 4, 3), np.uint16)",
    "np.zeros((2, 2, 2, 2, 2), np.uint8)",
    "np.zeros(5, np.uint8)",
    "np.uint8(3)",
    "np.zeros((1, 1, 3), np.uint8)",
    "np.zeros((1, 40000, 3), np.uint8)",
    "np.zeros((65537, 1, 1), np.uint8)",
    "np.broadcast_to(np.uint8(7), (65536, 65536, 3))",
    "np.broadcast_to(np.uint8(7), (100000, 3, 3))",
    "np.zeros((64, 64, 3), np.uint8)[::-1]",
    "np.zeros((64, 64, 4), np.uint8)[:, ::3]",
    "np.zeros((64, 64, 3), np.uint8).T",
    "np.zeros((3, 64, 64), np.uint8)",
    "[[1, 2], [3, 4]]",
    "None",
    "'image.png'",
    "b'\\x89PNG'",
]
VIDEOS = [
    "np.zeros((0, 8, 8, 3), np.uint8)",
    "np.zeros((1, 8, 8, 3), np.uint8)",
    "np.zeros((3, 8, 8, 3), np.uint8)",
    "np.broadcast_to(np.uint8(1), (2**20, 8, 8, 3))",
    "np.broadcast_to(np.uint8(1), (4, 65536, 65536, 3))",
    "np.zeros((2, 8, 8, 2), np.uint8)",
    "np.zeros((2, 8, 8, 3), np.float64)",
    "[np.zeros((8, 8, 3), np.uint8), np.zeros((9, 8, 3), np.uint8)]",
    "[]",
    "np.zeros((8, 8, 3), np.uint8)",
]
GRIDS = [
    "[[1, 2, 2]]", "[[0, 2, 2]]", "[[1, 3, 4]]", "[[-1, 2, 2]]", "[[2**20, 2**20, 2**20]]",
    "[[2048, 1024, 1024]]", "[[2**20, 2, 2]] * 2047", "[[1, 2, 2]] * 100000", "[[1, 2]]",
    "[[2**63 - 1, 2, 2]]", "np.zeros((0, 3), np.int64)", "[[1.5, 2, 2]]", "[[True, 2, 2]]",
    "np.array([[1, 2, 2]], np.uint64) * (2**64 - 1)", "[[1, 65536, 65536]]", "None",
]  # fmt: skip
INT_ARRAYS = [
    "[]", "[0]", "[-1, 5]", "[2**62, 2**62]", "[2**63 - 1] * 3", "np.arange(10**5)",
    "np.full(4, 2**31)", "[1.5]", "[True]", "[[1, 2]]", "np.array([2**64 - 1], np.uint64)",
    "np.broadcast_to(np.int64(9), (10**6,))", "[10**400]", "None", "'12'",
]  # fmt: skip
SIZE_PAIRS = [
    "(0, 5)", "(5, 0)", "(2**40, 2)", "(65536, 65536)", "(-1, 4)", "(1,)", "(1, 2, 3)",
    "(1.5, 2)", "None", "(10**400, 1)", "(True, 2)", "(14, 14)",
]  # fmt: skip
PINPOINTS = [
    "[(16776960, 16776960)]", "[(384 * 200, 384)]", "[(384 * 200, 384 * 200)]", "[]",
    "[(0, 384)]", "[(-384, 384)]", "[(384,)]", "[(384.5, 384)]", "[(10**400, 384)]",
    "[(384, 384)] * 100000", "[(65536, 65536)]", "[(1, 1)]", "None", "'384x384'",
]  # fmt: skip

VIDEO_SOURCES = [
    "data.video_file(3)[:200]", "data.video_file(3)[:-40]", "b''", "data.audio_file()",
    "data.mutate(data.video_file(5), 7)", "data.mutate(data.video_file(8), 11)",
    "data.video_with_size(data.video_file(2), 65535, 65535)", "b'\\x00' * 4096",
    "bytes(range(256)) * 8", "D", "FIFO", "'/dev/null'", "D + '/nope.mp4'", "True", "None", "3",
    "data.put(D, 'v.mp4', data.video_file(4))", "data.put(D, 'cut.mp4', data.video_file(4)[:300])",
    "data.put(D, 'empty.mp4', b'')", "memoryview(data.video_file(6))", "bytearray(data.video_file(6))",
    "open(data.put(D, 'f.mp4', data.video_file(9)), 'rb')", "open(data.put(D, 't.txt', 'x'), 'r')",
]  # fmt: skip
VIDEO_ELEMENTS = [
    "{'video': data.video_file(3), 'fps': float('nan')}", "{'video': data.video_file(3), 'fps': 10**400}",
    "{'video': data.video_file(3), 'nframes': 10**9}", "{'video': data.video_file(3), 'nframes': 0}",
    "{'video': data.video_file(3), 'nframes': -2}", "{'video': data.video_file(3), 'min_pixels': 1e40}",
    "{'video': data.video_file(3), 'max_pixels': -1}", "{'video': data.video_file(3), 'total_pixels': float('inf')}",
    "{'video': data.video_file(3), 'video_start': 5.0, 'video_end': 1.0}",
    "{'video': data.video_file(3), 'video_start': float('nan')}",
    "{'video': data.video_file(3), 'resized_height': 2**20, 'resized_width': 28}",
    "{'video': data.video_file(3), 'max_frames': 2**62}", "{'video': data.video_file(3), 'min_frames': 10**9}",
    "{'video': b''}", "{'video': D}", "{'video': FIFO}", "{'video': data.audio_file()}", "{}", "None", "[1]",
    "{'video': data.mutate(data.video_file(5), 3)}", "{'video': 'file://' + D + '/nope.mp4'}",
]  # fmt: skip
CONFIG_DIRS = [
    "data.config_dir(D, '{}')", "data.config_dir(D, '[]')", "data.config_dir(D, b'\\xff\\xfe{')",
    "data.config_dir(D, '{\"image_processor_type\": \"Nope\"}')",
    "data.config_dir(D, '{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"min_pixels\": 1e400}')",
    "data.config_dir(D, '{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"patch_size\": -1}')",
    "data.config_dir(D, '{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"merge_size\": \"2\"}')",
    "data.config_dir(D, '{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"size\": {\"shortest_edge\": 1e40, \"longest_edge\": 1e41}}')",
    "data.config_dir(D, '{\"image_processor_type\": \"LlavaOnevisionImageProcessor\", \"image_grid_pinpoints\": [[0, 384]]}')",
    "data.config_dir(D, '{\"image_processor_type\": \"PixtralImageProcessor\", \"patch_size\": {\"height\": 0, \"width\": 16}}')",
    "data.config_dir(D, '{\"image_processor_type\": \"GotOcr2ImageProcessor\", \"max_patches\": 10**9}')",
    "data.config_dir(D, '{\"model_type\": \"qwen2_vl\", \"image_processor_type\": \"InternVLImageProcessor\"}', 'config.json')",
    "data.config_dir(D, '[' * 100000 + ']' * 100000)", "data.odd_config_dir(D, 'dir')", "data.odd_config_dir(D, 'fifo')",
    "D", "FIFO", "'/dev/null'", "True", "None", "3", "D + '/nope'",
]  # fmt: skip
PROCESSORS = [
    "None",
    "qwen2vl.ImageProcessor()",
    "object()",
    "3",
    "'x'",
    "internvl.ImageProcessor()",
]

POOLS: Dict[str, List[str]] = {
    "int": INTS,
    "float": FLOATS + INTS[:12],
    "str": STRINGS,
    "bool": BOOLS,
    "image": IMAGES,
    "video": VIDEOS,
    "grid": GRIDS,
    "ints": INT_ARRAYS,
    "pair": SIZE_PAIRS,
    "pinpoints": PINPOINTS,
    "vsrc": VIDEO_SOURCES,
    "vele": VIDEO_ELEMENTS,
    "cfgdir": CONFIG_DIRS,
    "proc": PROCESSORS,
}


@dataclass(frozen=True)
class Entry:
    """A valid call ``func(**base)`` with each argument's kind (its hostile pool), the
    names an error may use for it, and a check run when the call returns."""

    func: str
    base: Tuple[Tuple[str, str, str], ...]  # (argument, kind, valid value source)
    check: str = ""
    setup: str = ""
    positional: int = 0  # leading arguments passed positionally
    # Words an error may use for any hostile argument: the other side of a consistency
    # rule (tokens vs grids, a rectangle vs its image).
    related: Tuple[str, ...] = ()
    heavy: bool = False  # needs torch (see ``Probe.heavy``)

    def call(self, values: Dict[str, str]) -> str:
        args = [values[a] for a, _, _ in self.base[: self.positional]]
        kws = [f"{a}={values[a]}" for a, _, _ in self.base[self.positional :]]
        return f"{self.func}({', '.join(args + kws)})"


IMG = "np.zeros((30, 40, 3), np.uint8)"

# Checks see the arguments as ``kw`` (a dict of the values used) and the return value as
# ``result``; ``small`` guards references that loop in Python.
ENTRIES: List[Entry] = [
    Entry(
        "ops.resize",
        (
            ("image", "image", IMG),
            ("height", "int", "7"),
            ("width", "int", "9"),
            ("filter", "str", "'bicubic'"),
            ("compat", "str", "'pillow'"),
        ),
        check="assert result.shape[:2] == (kw['height'], kw['width']), result.shape\n"
        "if kw['compat'] == 'pillow' and kw['image'].ndim == 3 and kw['image'].shape[2] == 3 "
        "and kw['image'].size < 10**6:\n"
        "    from PIL import Image\n"
        "    f = getattr(Image.Resampling, kw['filter'].upper())\n"
        "    want = np.asarray(Image.fromarray(np.ascontiguousarray(kw['image']))"
        ".resize((kw['width'], kw['height']), f))\n"
        "    assert np.array_equal(result, want), 'differs from Pillow'",
        positional=3,
    ),  # fmt: skip
    Entry(
        "ops.crop",
        (
            ("image", "image", IMG),
            ("top", "int", "3"),
            ("left", "int", "4"),
            ("height", "int", "5"),
            ("width", "int", "6"),
        ),
        check="t, l, h, w = kw['top'], kw['left'], kw['height'], kw['width']\n"
        "want = np.asarray(kw['image'])[t:t + h, l:l + w]\n"
        "assert np.array_equal(result.reshape(want.shape), want), 'crop differs'",
        positional=5,
    ),  # fmt: skip
    Entry(
        "ops.to_rgb",
        (("image", "image", IMG),),
        check="assert result.shape[-1] == 3 and result.dtype == np.uint8",
        positional=1,
    ),
    Entry(
        "qwen2vl.smart_resize",
        (
            ("height", "int", "100"),
            ("width", "int", "120"),
            ("factor", "int", "28"),
            ("min_pixels", "float", "3136"),
            ("max_pixels", "float", "1003520"),
            ("reference", "str", "'transformers'"),
        ),
        check="try:\n"
        "    want = ref_qwen2vl.smart_resize(kw['height'], kw['width'], kw['factor'], "
        "kw['min_pixels'], kw['max_pixels'], kw['reference'])\n"
        "except (ValueError, ZeroDivisionError, OverflowError):\n"
        "    want = None\n"
        "assert want is not None, f'reference refuses, got {result}'\n"
        "assert tuple(result) == tuple(want), f'{result} != reference {want}'",
        positional=2,
    ),  # fmt: skip
    Entry(
        "qwen2vl.smart_resize_many",
        (
            ("heights", "ints", "[100, 3000]"),
            ("widths", "ints", "[120, 28]"),
            ("factor", "int", "28"),
            ("min_pixels", "float", "3136"),
            ("max_pixels", "float", "1003520"),
            ("errors", "str", "'raise'"),
        ),
        check="hs, ws = result\n"
        "for i, (a, b) in enumerate(zip(np.asarray(kw['heights']).tolist()[:50], "
        "np.asarray(kw['widths']).tolist()[:50])):\n"
        "    try:\n"
        "        want = ref_qwen2vl.smart_resize(a, b, kw['factor'], float(kw['min_pixels']), "
        "float(kw['max_pixels']))\n"
        "    except (ValueError, ZeroDivisionError, OverflowError):\n"
        "        want = None\n"
        "    if want is None:\n"
        "        assert kw['errors'] != 'raise' and hs[i] <= 0, f'row {i}: reference refuses'\n"
        "    else:\n"
        "        assert (int(hs[i]), int(ws[i])) == want, f'row {i}: {hs[i], ws[i]} != {want}'",
        positional=2,
    ),  # fmt: skip
    Entry(
        "qwen2vl.sample_frames",
        (
            ("total_frames", "int", "300"),
            ("video_fps", "float", "30.0"),
            ("fps", "float", "2.0"),
            ("min_frames", "float", "4"),
            ("max_frames", "float", "768"),
            ("num_frames", "float", "None"),
        ),
        check="n = len(result)\n"
        "assert n <= kw['total_frames'], 'more frames than the video'\n"
        "assert (np.diff(result) >= 0).all() and result.min() >= 0 "
        "and result.max() < kw['total_frames'], 'indices out of order or range'\n"
        "if kw['total_frames'] <= 10**6:\n"
        "    want = ref_qwen2vl.sample_frames(kw['total_frames'], kw['video_fps'], fps=kw['fps'], "
        "min_frames=kw['min_frames'], max_frames=kw['max_frames'], nframes=kw['num_frames'])\n"
        "    assert np.array_equal(result, want), 'differs from the reference'",
        positional=2,
    ),  # fmt: skip
    Entry(
        "qwen2vl.video_budget",
        (
            ("num_frames", "int", "16"),
            ("height", "int", "360"),
            ("width", "int", "640"),
            ("min_pixels", "float", "None"),
            ("max_pixels", "float", "None"),
            ("total_pixels", "float", "None"),
            ("model_seq_len", "float", "128000"),
        ),
        # The reference in Python floats (a NumPy float16 argument would compute in float16).
        check="f = lambda v: None if v is None else float(v)\n"
        "want = ref_qwen2vl.video_budget(kw['num_frames'], kw['height'], kw['width'], 14, "
        "f(kw['min_pixels']), f(kw['max_pixels']), f(kw['total_pixels']), f(kw['model_seq_len']))\n"
        "assert tuple(result)[-2:] == tuple(want), f'{result} != reference {want}'",
        positional=3,
    ),  # fmt: skip
    Entry(
        "qwen2vl.video_smart_resize",
        (
            ("num_frames", "int", "16"),
            ("height", "int", "360"),
            ("width", "int", "640"),
            ("temporal_factor", "int", "2"),
            ("factor", "int", "32"),
            ("min_pixels", "float", "16384"),
            ("max_pixels", "float", "12582912"),
        ),
        check="h, w = result\nassert h % kw['factor'] == 0 and w % kw['factor'] == 0 "
        "and 0 < h <= 2**20 and 0 < w <= 2**20, result",
        positional=3,
    ),  # fmt: skip
    Entry(
        "(lambda **k: qwen2vl.ImageProcessor(**k)(IMAGE))",
        (
            ("min_pixels", "float", "3136"),
            ("max_pixels", "float", "200000"),
            ("patch_size", "int", "14"),
            ("temporal_patch_size", "int", "2"),
            ("merge_size", "int", "2"),
            ("resample", "str", "'bicubic'"),
            ("dtype", "str", "'float32'"),
        ),
        setup="IMAGE = np.zeros((50, 60, 3), np.uint8)",
        check="g = result['image_grid_thw']\n"
        "assert result['pixel_values'].shape[0] == int(g.prod(axis=1).sum()), 'rows != grid'",
    ),  # fmt: skip
    Entry(
        "qwen2vl.ImageProcessor().videos",
        (("videos", "video", "np.zeros((4, 28, 28, 3), np.uint8)"),),
        check="assert result['pixel_values_videos'].shape[0] == "
        "int(result['video_grid_thw'].prod(axis=1).sum())",
        positional=1,
    ),  # fmt: skip
    Entry(
        "qwen2vl.ImageProcessor()",
        (("images", "image", IMG),),
        check="assert result['pixel_values'].shape[0] == "
        "int(result['image_grid_thw'].prod(axis=1).sum())",
        positional=1,
    ),
    Entry(
        "internvl.plan",
        (
            ("height", "int", "300"),
            ("width", "int", "500"),
            ("min_num", "int", "1"),
            ("max_num", "int", "12"),
            ("image_size", "int", "448"),
            ("use_thumbnail", "bool", "True"),
            ("reference", "str", "'original'"),
        ),
        check="assert result.num_tiles == len(result.boxes) + (1 if result.has_thumbnail else 0) "
        "or result.num_tiles == len(result.boxes), result",
        positional=2,
    ),  # fmt: skip
    Entry(
        "internvl.frame_indices",
        (
            ("total_frames", "int", "300"),
            ("num_frames", "int", "8"),
            ("fps", "float", "None"),
            ("first_idx", "int", "0"),
            ("reference", "str", "'original'"),
        ),
        check="assert len(result) <= max(kw['num_frames'], 1)\n"
        "if kw['reference'] == 'original' and kw['fps'] is None and kw['num_frames'] <= 10**5:\n"
        "    want = ref_internvl.get_index(kw['total_frames'], kw['num_frames'], "
        "first_idx=kw['first_idx'])\n"
        "    assert list(result) == want, 'differs from the reference'",
        positional=2,
    ),  # fmt: skip
    Entry(
        "internvl.candidate_grids",
        (("min_num", "int", "1"), ("max_num", "int", "12"), ("reference", "str", "'original'")),
        check="assert all(kw['min_num'] <= a * b <= kw['max_num'] for a, b in result)",
        positional=2,
    ),  # fmt: skip
    Entry(
        "(lambda **k: internvl.ImageProcessor(**k)(IMAGE))",
        (
            ("image_size", "int", "56"),
            ("min_num", "int", "1"),
            ("max_num", "int", "4"),
            ("use_thumbnail", "bool", "True"),
            ("dtype", "str", "'float32'"),
        ),
        setup="IMAGE = np.zeros((50, 60, 3), np.uint8)",
    ),  # fmt: skip
    Entry(
        "internvl.ImageProcessor(image_size=56).videos",
        (("videos", "video", "np.zeros((4, 28, 28, 3), np.uint8)"), ("num_frames", "int", "4")),
        positional=1,
    ),  # fmt: skip
    Entry(
        "ov.plan",
        (
            ("height", "int", "300"),
            ("width", "int", "500"),
            ("image_grid_pinpoints", "pinpoints", "[(384, 384), (384, 768)]"),
        ),
        # Boxes are listed while the crops, as uint8 pixels, fit one 4 GiB buffer.
        check="crops = result.grid[0] * result.grid[1]\n"
        "try:\n    boxes = result.boxes\nexcept errors.BudgetError:\n"
        "    assert crops * 3 * 384 * 384 > 2**32, f'refused {crops} crops'\n"
        "else:\n    assert len(boxes) + 1 == result.num_crops == crops + 1, result",
        positional=2,
    ),  # fmt: skip
    Entry(
        "ov.select_best_resolution",
        (
            ("height", "int", "300"),
            ("width", "int", "500"),
            ("pinpoints", "pinpoints", "[(384, 384), (384, 768)]"),
        ),
        check="pts = [tuple(p) for p in kw['pinpoints']]\n"
        "assert tuple(result) in pts or tuple(result)[::-1] in pts, result\n"
        "if len(pts) < 1000:\n"
        "    assert tuple(result) == tuple(ref_llava_onevision.select_best_resolution("
        "kw['height'], kw['width'], pts)), 'differs from the reference'",
        positional=3,
    ),  # fmt: skip
    Entry(
        "ov.frame_indices",
        (
            ("total_frames", "int", "300"),
            ("num_frames", "int", "8"),
            ("sampler", "str", "'uniform'"),
            ("video_fps", "float", "None"),
            ("fps", "float", "1.0"),
        ),
        check="assert len(result) == 0 or (result.min() >= 0 and result.max() < kw['total_frames'])",
        positional=2,
    ),  # fmt: skip
    Entry(
        "ov.pool_features",
        (
            ("features", "video", "np.ones((2, 27, 27, 4), np.float32)"),
            ("out_hw", "pair", "(14, 14)"),
        ),
        check="f = np.asarray(kw['features'])\n"
        "assert result.shape == f.shape[:-3] + tuple(kw['out_hw']) + f.shape[-1:]\n"
        "if f.size < 10**5 and f.dtype == np.float32:\n"
        "    assert np.allclose(result, ref_llava_onevision.pool(f, kw['out_hw']), rtol=0, atol=0)",
        positional=2,
    ),  # fmt: skip
    Entry(
        "(lambda **k: ov.ImageProcessor(**k)(IMAGE))",
        (("image_grid_pinpoints", "pinpoints", "[(384, 384)]"), ("dtype", "str", "'float32'")),
        setup="IMAGE = np.zeros((50, 60, 3), np.uint8)",
    ),  # fmt: skip
    Entry(
        "ov.ImageProcessor().videos",
        (("videos", "video", "np.zeros((4, 28, 28, 3), np.uint8)"), ("num_frames", "int", "4")),
        positional=1,
    ),  # fmt: skip
    Entry(
        "oryx.plan",
        (
            ("height", "int", "300"),
            ("width", "int", "500"),
            ("max_res", "int", "1536"),
            ("min_res", "int", "0"),
            ("lowres_base", "int", "384"),
            ("lowres_patch", "int", "32"),
            ("highres_patch", "int", "32"),
        ),
        check="want = ref_oryx.plan(kw['height'], kw['width'], kw['max_res'], kw['min_res'], "
        "kw['lowres_base'], kw['lowres_patch'], kw['highres_patch'])\n"
        "assert want is not None, f'the reference refuses, got {result}'\n"
        "assert result.num_tokens == want[2], (result, want)",
        positional=2,
    ),  # fmt: skip
    Entry(
        "oryx.frame_indices",
        (
            ("total_frames", "int", "300"),
            ("num_frames", "int", "8"),
            ("sampler", "str", "'uniform'"),
            ("video_fps", "float", "None"),
            ("fps", "float", "1.0"),
        ),
        check="assert len(result) == 0 or (result.min() >= 0 and result.max() < kw['total_frames'])",
        positional=2,
    ),  # fmt: skip
    Entry(
        "(lambda **k: oryx.ImageProcessor(**k)(IMAGE))",
        (
            ("max_res", "int", "256"),
            ("min_res", "int", "0"),
            ("lowres_base", "int", "64"),
            ("lowres_patch", "int", "32"),
            ("highres_patch", "int", "32"),
            ("video_max_res", "int", "128"),
            ("video_min_res", "int", "64"),
            ("video_patch", "int", "64"),
        ),
        setup="IMAGE = np.zeros((50, 60, 3), np.uint8)",
    ),  # fmt: skip
    Entry(
        "oryx.ImageProcessor(max_res=256, video_max_res=128, video_min_res=64).videos",
        (("videos", "video", "np.zeros((4, 28, 28, 3), np.uint8)"), ("num_frames", "int", "4")),
        positional=1,
    ),  # fmt: skip
    Entry(
        "oryx.video_num_tokens",
        (
            ("num_frames", "int", "8"),
            ("height", "int", "300"),
            ("width", "int", "500"),
            ("video_max_res", "int", "480"),
            ("video_min_res", "int", "288"),
            ("video_patch", "int", "64"),
        ),
        check="assert 0 < result < 2**62, result",
        positional=3,
    ),  # fmt: skip
    Entry(
        "rope.vision_position_ids",
        (("grid_thw", "grid", "[[1, 4, 6]]"), ("spatial_merge_size", "int", "2")),
        check="g = np.asarray(kw['grid_thw'])\n"
        "if g.size and g.prod(axis=1).sum() < 10**5:\n"
        "    assert np.array_equal(result, ref_rope.vision_position_ids(g, "
        "kw['spatial_merge_size']))",
        positional=1,
    ),  # fmt: skip
    Entry(
        "rope.cu_seqlens",
        (("grid_thw", "grid", "[[2, 4, 6]]"),),
        check="g = np.asarray(kw['grid_thw'])\n"
        "if g.size and g[:, 0].sum() < 10**5:\n"
        "    assert np.array_equal(result, ref_rope.cu_seqlens(g))",
        positional=1,
    ),  # fmt: skip
    Entry(
        "rope.window_index",
        (
            ("grid_thw", "grid", "[[1, 8, 8]]"),
            ("window_size", "int", "112"),
            ("patch_size", "int", "14"),
            ("spatial_merge_size", "int", "2"),
        ),
        check="g = np.asarray(kw['grid_thw'])\n"
        "if g.size and g.prod(axis=1).sum() < 10**5 and kw['window_size'] <= 4096:\n"
        "    want = ref_rope.window_index(g, kw['window_size'], kw['patch_size'], "
        "kw['spatial_merge_size'])\n"
        "    assert all(np.array_equal(a, b) for a, b in zip(result, want))",
        positional=1,
    ),  # fmt: skip
    Entry(
        "rope.mrope_position_ids",
        (
            ("input_ids", "ints", "[[1, 151652, 151655, 151655, 151655, 151655, 2]]"),
            ("image_grid_thw", "grid", "[[1, 4, 4]]"),
            ("spatial_merge_size", "int", "2"),
            ("image_token_id", "int", "151655"),
            ("vision_start_token_id", "int", "151652"),
        ),
        check="assert result[0].shape[1:] == np.atleast_2d(np.asarray(kw['input_ids'])).shape",
        positional=1,
        related=("image_grid_thw", "input_ids", "token"),
    ),  # fmt: skip
    Entry(
        "pack.pack",
        (
            ("lengths", "ints", "[5, 3, 9, 1]"),
            ("max_tokens", "int", "10"),
            ("oversize", "str", "'skip'"),
        ),
        check="lens = np.asarray(kw['lengths']).tolist()\n"
        "cap = kw['max_tokens']\n"
        "seen = sorted([int(i) for b in result for i in b] + [int(i) for i in result.skipped])\n"
        "assert seen == list(range(len(lens))), 'items lost or repeated'\n"
        "if len(lens) <= 10**4:\n"
        "    assert all(sum(min(lens[i], cap) for i in b) <= cap for b in result), 'bin over capacity'",
        positional=2,
    ),  # fmt: skip
    Entry(
        "pack.lower_bound",
        (("lengths", "ints", "[5, 3, 9, 1]"), ("max_tokens", "int", "10")),
        check="lens = [int(x) for x in np.asarray(kw['lengths']).reshape(-1)]\n"
        "assert result == -(-sum(lens) // kw['max_tokens']), result",
        positional=2,
    ),  # fmt: skip
    Entry(
        "pack.cu_seqlens",
        (
            ("lengths", "ints", "[5, 3, 9, 1]"),
            ("bins", "ints", "[np.array([2]), np.array([0, 1])]"),
        ),
        check="lens = np.asarray(kw['lengths'])\n"
        "for b, c in zip(kw['bins'], result):\n"
        "    assert c.tolist() == [0] + np.cumsum(lens[np.asarray(b)]).tolist()",
        positional=2,
    ),  # fmt: skip
    Entry(
        "batch.expand_image_tokens",
        (("input_ids", "ints", "[1, 151655, 2, 151655]"), ("tokens_per_image", "ints", "[3, 2]")),
        check="ids, _ = result\n"
        "n_img = int(np.count_nonzero(np.asarray(kw['input_ids']) == 151655))\n"
        "assert ids.size == len(kw['input_ids']) - n_img + sum(kw['tokens_per_image'])",
        positional=2,
        related=("image token", "images", "input_ids", "tokens_per_image"),
    ),  # fmt: skip
    Entry(
        "batch.collate_features",
        (
            ("features", "ints", "[{'input_ids': np.array([1, 2, 3])}]"),
            ("pad_to_multiple_of", "int", "8"),
            ("pad_token_id", "int", "0"),
        ),
        check="assert result['input_ids'].shape[1] % (kw['pad_to_multiple_of'] or 1) == 0",
        positional=1,
    ),  # fmt: skip
    Entry(
        "models.get('qwen2.5-vl').num_tokens_many",
        (
            ("heights", "ints", "[300, 600]"),
            ("widths", "ints", "[400, 200]"),
            ("total_frames", "ints", "None"),
            ("video_fps", "float", "None"),
            ("min_pixels", "float", "3136"),
            ("max_pixels", "float", "1003520"),
            ("errors", "str", "'raise'"),
        ),
        check="assert (result > 0).all() and (result < 2**62).all(), result",
        positional=2,
    ),  # fmt: skip
    Entry(
        "models.get('internvl').num_tokens_many",
        (("heights", "ints", "[300, 600]"), ("widths", "ints", "[400, 200]")),
        check="assert (result > 0).all(), result",
        positional=2,
    ),  # fmt: skip
    Entry(
        "models.get('llava-onevision').num_tokens_many",
        (("heights", "ints", "[300, 600]"), ("widths", "ints", "[400, 200]")),
        check="assert (result > 0).all(), result",
        positional=2,
    ),  # fmt: skip
    Entry(
        "models.get('oryx').num_tokens_many",
        (("heights", "ints", "[300, 600]"), ("widths", "ints", "[400, 200]")),
        check="assert (result > 0).all(), result",
        positional=2,
    ),  # fmt: skip
    Entry(
        "dynres_fast.set_num_threads",
        (("n", "int", "2"),),
        check="assert dynres_fast.get_num_threads() == kw['n']\ndynres_fast.set_num_threads(1)",
        positional=1,
    ),
    Entry(
        "io.decode",
        (("data", "image", "data.encoded(3)"), ("allow_truncated", "bool", "False")),
        check="data.check_decoded(kw['data'], result)",
        positional=1,
    ),
    Entry(
        "batch.load_image",
        (("item", "str", "'python/dynres_fast/samples/coffee.jpg'"), ("decode", "str", "'dynres'")),
        check="assert result.ndim == 3",
        positional=1,
    ),
    Entry(
        "io.read_file",
        (("path", "str", "'README.md'"),),
        check="assert isinstance(result, bytes)",
        positional=1,
    ),
]


# Files made by probes of files (videos, config directories).
FILES = "import os\nD = data.files_dir()\nFIFO = os.path.join(D, 'pipe.mp4')\nos.mkfifo(FIFO)\n"
VID = "np.zeros((4, 56, 56, 3), np.uint8)"
VIDEO_CHECK = (
    "if isinstance(result, dict) and 'video_grid_thw' in result:\n"
    "    g = np.asarray(result['video_grid_thw'])\n"
    "    assert np.asarray(result['pixel_values_videos']).shape[0] == int(g.prod(axis=1).sum()), 'rows != grid'"
)
# The transformers drop-ins, with upstream's class of the same name as the reference for
# errors; made in the worker (torch and transformers imported once, before forking).
DROPIN = (
    "def call(name, kw, inputs, **call_kw):\n"
    "    ours = lambda: getattr(dropins, name)(**kw)(inputs, return_tensors='np', **call_kw)\n"
    "    theirs = lambda: getattr(upstream, name)(**kw)(inputs, return_tensors='np', **call_kw)\n"
    "    return data.same_as_upstream(ours, theirs)\n"
)

ENTRIES += [
    Entry(
        "pixtral.plan",
        (
            ("height", "int", "300"),
            ("width", "int", "500"),
            ("longest_edge", "int", "1024"),
            ("patch_size", "int", "16"),
            ("spatial_merge_size", "int", "1"),
        ),
        check="gh, gw = result.grid\nassert result.num_tokens == gh * gw and result.resized[0] % kw['patch_size'] == 0, result",
        positional=2,
    ),  # fmt: skip
    Entry(
        "pixtral.num_tokens_many",
        (
            ("heights", "ints", "[300, 600]"),
            ("widths", "ints", "[400, 200]"),
            ("errors", "str", "'raise'"),
            ("wrappers", "bool", "False"),
            ("longest_edge", "int", "1024"),
        ),
        check="assert (result > 0).all() or kw['errors'] != 'raise', result",
        positional=2,
    ),  # fmt: skip
    Entry(
        "pixtral.layout",
        (("input_ids", "ints", "[1, 10, 2, 10]"), ("image_sizes", "grid", "[(32, 48), (16, 16)]")),
        check="assert result.ndim == 1",
        positional=2,
        related=("image token", "images", "input_ids", "image_sizes"),
    ),  # fmt: skip
    Entry(
        "(lambda **k: pixtral.ImageProcessor(**k)(IMAGE))",
        (
            ("longest_edge", "int", "64"),
            ("patch_size", "int", "16"),
            ("spatial_merge_size", "int", "1"),
            ("do_pad", "bool", "True"),
            ("resample", "str", "'bicubic'"),
            ("dtype", "str", "'float32'"),
        ),
        setup="IMAGE = np.zeros((50, 60, 3), np.uint8)",
    ),  # fmt: skip
    Entry("pixtral.ImageProcessor(longest_edge=64)", (("images", "image", IMG),), positional=1),
    Entry(
        "video.sample_indices",
        (
            ("total_frames", "int", "300"),
            ("rule", "str", "'qwen2_vl'"),
            ("video_fps", "float", "30.0"),
            ("fps", "float", "2.0"),
            ("num_frames", "float", "None"),
            ("min_frames", "float", "None"),
            ("max_frames", "float", "None"),
        ),
        check="assert len(result) == 0 or (result.min() >= 0 and result.max() < kw['total_frames'])",
        positional=1,
    ),  # fmt: skip
    Entry(
        "video.probe",
        (("src", "vsrc", "data.video_file(3)"),),
        check="assert result.num_frames >= 1 and result.height >= 1 and result.width >= 1, result",
        setup=FILES,
        positional=1,
    ),  # fmt: skip
    Entry(
        "video.read_frames",
        (
            ("src", "vsrc", "data.video_file(3)"),
            ("indices", "ints", "[0, 1, 1, 0]"),
            ("threads", "int", "None"),
        ),
        check="assert result.shape[0] == np.asarray(kw['indices']).size and result.shape[-1] == 3, result.shape",
        setup=FILES,
        positional=2,
    ),  # fmt: skip
    Entry(
        "qwen2vl.fetch_video",
        (
            ("ele", "vele", "{'video': data.video_file(3)}"),
            ("image_patch_size", "int", "14"),
            ("model_seq_len", "float", "128000"),
            ("threads", "int", "None"),
        ),
        check="frames, fps, idx = result\nassert len(frames) == len(idx), (frames.shape, idx)",
        setup=FILES,
        positional=1,
        heavy=True,
    ),  # fmt: skip
    Entry(
        "(lambda **k: qwen2vl.VideoProcessor(**k)(VIDEO))",
        (
            ("min_pixels", "float", "3136"),
            ("max_pixels", "float", "200000"),
            ("budget", "str", "'frame'"),
            ("temporal_patch_size", "int", "2"),
            ("do_sample_frames", "bool", "False"),
            ("fps", "float", "None"),
            ("num_frames", "int", "None"),
            ("max_frames", "int", "768"),
            ("max_video_tokens", "int", "128000"),
            ("dtype", "str", "'float32'"),
        ),
        setup=f"VIDEO = {VID}",
        check=VIDEO_CHECK,
    ),  # fmt: skip
    Entry(
        "qwen2vl.VideoProcessor(min_pixels=3136, max_pixels=50000)",
        (
            ("videos", "video", VID),
            ("video_metadata", "ints", "None"),
            ("do_sample_frames", "bool", "None"),
            ("fps", "float", "None"),
            ("num_frames", "int", "None"),
        ),
        check=VIDEO_CHECK,
        positional=1,
    ),  # fmt: skip
    Entry(
        "qwen2vl.VideoProcessor.qwen3_vl(min_pixels=4096, max_pixels=50000)",
        (
            ("videos", "video", VID),
            ("do_sample_frames", "bool", "None"),
            ("fps", "float", "None"),
            ("num_frames", "int", "None"),
        ),
        check=VIDEO_CHECK,
        positional=1,
    ),  # fmt: skip
    Entry(
        "qwen2vl.VideoProcessor(min_pixels=3136, max_pixels=50000).from_file",
        (
            ("src", "vsrc", "data.video_file(3)"),
            ("do_sample_frames", "bool", "True"),
            ("fps", "float", "2.0"),
            ("num_frames", "int", "None"),
            ("threads", "int", "None"),
        ),
        check=VIDEO_CHECK,
        related=("total_frames", "video frame", "would sample"),  # the clip: length, sides
        setup=FILES,
        positional=1,
    ),  # fmt: skip
    Entry(
        "(lambda **k: internvl.VideoProcessor(**k)(VIDEO))",
        (
            ("size", "pair", "(56, 56)"),
            ("do_sample_frames", "bool", "False"),
            ("fps", "float", "None"),
            ("num_frames", "int", "None"),
            ("dtype", "str", "'float32'"),
        ),
        setup=f"VIDEO = {VID}",
    ),  # fmt: skip
    Entry(
        "internvl.VideoProcessor(size=(56, 56)).from_file",
        (
            ("src", "vsrc", "data.video_file(3)"),
            ("do_sample_frames", "bool", "True"),
            ("fps", "float", "None"),
            ("num_frames", "int", "4"),
        ),
        related=("total_frames", "video frame", "would sample"),  # the clip: length, sides
        setup=FILES,
        positional=1,
    ),  # fmt: skip
    Entry(
        "(lambda **k: ov.VideoProcessor(**k)(VIDEO))",
        (
            ("size", "pair", "(56, 56)"),
            ("do_sample_frames", "bool", "False"),
            ("fps", "float", "None"),
            ("num_frames", "int", "None"),
        ),
        setup=f"VIDEO = {VID}",
    ),  # fmt: skip
    Entry(
        "ov.VideoProcessor(size=(56, 56)).from_file",
        (
            ("src", "vsrc", "data.video_file(3)"),
            ("do_sample_frames", "bool", "True"),
            ("fps", "float", "None"),
            ("num_frames", "int", "4"),
        ),
        related=("total_frames", "video frame", "would sample"),  # the clip: length, sides
        setup=FILES,
        positional=1,
    ),  # fmt: skip
    Entry(
        "oryx.ImageProcessor(max_res=256, video_max_res=128, video_min_res=64).from_file",
        (
            ("src", "vsrc", "data.video_file(3)"),
            ("sampler", "str", "'fps'"),
            ("num_frames", "int", "8"),
            ("fps", "float", "1.0"),
            ("force_sample", "bool", "False"),
        ),
        related=("total_frames", "video frame", "would sample"),  # the clip: length, sides
        setup=FILES,
        positional=1,
    ),  # fmt: skip
    Entry(
        "batch.expand_video_tokens",
        (
            ("input_ids", "ints", "[1, 151652, 151656, 151653, 2]"),
            ("video_grid_thw", "grid", "[[2, 4, 4]]"),
            ("merge_size", "int", "2"),
            ("layout", "str", "'transformers5'"),
        ),
        check="ids, _ = result\nassert ids.ndim >= 1",
        positional=2,
        related=("video token", "videos", "input_ids", "video_grid_thw", "grid"),
    ),  # fmt: skip
    Entry(
        "cache.content_key",
        (("data", "image", IMG), ("processor", "proc", "qwen2vl.ImageProcessor()")),
        check="assert isinstance(result, str) and result",
        positional=2,
    ),  # fmt: skip
    Entry(
        "dynres_fast.auto.from_pretrained",
        (
            (
                "source",
                "cfgdir",
                'data.config_dir(D, \'{"image_processor_type": "Qwen2VLImageProcessor"}\')',
            ),
        ),
        setup=FILES,
        positional=1,
    ),  # fmt: skip
    Entry(
        "dynres_fast.auto.video_processor_from_pretrained",
        (
            (
                "source",
                "cfgdir",
                "data.config_dir(D, '{\"video_processor_type\": \"Qwen2VLVideoProcessor\"}', 'video_preprocessor_config.json')",
            ),
        ),
        setup=FILES,
        positional=1,
    ),  # fmt: skip
    Entry(
        "dynres_fast.pool.OutputPool().take",
        (("shape", "pair", "(10, 3)"), ("dtype", "str", "'float32'")),
        check="assert result.shape == tuple(kw['shape'])",
        positional=2,
    ),  # fmt: skip
    Entry(
        "(lambda **k: call('Qwen2VLImageProcessor', k, IMAGE))",
        (
            ("min_pixels", "float", "3136"),
            ("max_pixels", "float", "200000"),
            ("patch_size", "int", "14"),
            ("temporal_patch_size", "int", "2"),
            ("merge_size", "int", "2"),
            ("do_resize", "bool", "True"),
        ),
        setup=DROPIN + "IMAGE = np.zeros((50, 60, 3), np.uint8)",
        heavy=True,
    ),  # fmt: skip
    Entry(
        "(lambda **k: call('Qwen2VLVideoProcessor', {}, VIDEO, **k))",
        (
            ("do_sample_frames", "bool", "False"),
            ("fps", "float", "None"),
            ("num_frames", "int", "None"),
        ),
        setup=DROPIN + f"VIDEO = {VID}",
        heavy=True,
    ),  # fmt: skip
    Entry(
        "(lambda **k: call('LlavaOnevisionImageProcessor', k, IMAGE))",
        (("image_grid_pinpoints", "pinpoints", "[[384, 384]]"), ("do_pad", "bool", "True")),
        setup=DROPIN + "IMAGE = np.zeros((50, 60, 3), np.uint8)",
        heavy=True,
    ),  # fmt: skip
    Entry(
        "(lambda **k: call('GotOcr2ImageProcessor', k, IMAGE))",
        # max_patches is not made hostile: past our 4096 the drop-in hands the call to
        # upstream, whose aspect-ratio enumeration is quadratic in it (minutes at 65535).
        (("min_patches", "int", "1"), ("crop_to_patches", "bool", "True")),
        setup=DROPIN + "IMAGE = np.zeros((50, 60, 3), np.uint8)",
        heavy=True,
    ),  # fmt: skip
    Entry(
        "(lambda images: call('Qwen2VLImageProcessor', {}, images))",
        (("images", "image", IMG),),
        positional=1,
        setup=DROPIN,
        heavy=True,
    ),  # fmt: skip
]


# Aliases an error message may use for an argument (besides its own name).
ALIASES: Dict[str, Tuple[str, ...]] = {
    "image": ("image", "shape", "array", "dtype", "channels", "images"),
    "images": ("image", "shape", "array", "dtype", "channels"),
    "videos": ("video", "frame", "shape", "dtype"),
    "features": ("feature", "shape", "dtype", "input_ids", "array"),
    "height": ("height", "size", "side", "shape", "aspect"),
    "width": ("width", "size", "side", "shape", "aspect"),
    "heights": ("height", "size", "side", "aspect"),
    "widths": ("width", "size", "side", "aspect"),
    "grid_thw": ("grid",),
    "image_grid_thw": ("grid",),
    "lengths": ("length",),
    "pinpoints": ("pinpoint",),
    "image_grid_pinpoints": ("pinpoint",),
    "out_hw": ("out_hw", "output"),
    "input_ids": ("input_ids", "token"),
    "bins": ("bin",),
    "path": ("path",),
    "item": ("image", "path"),
    "data": ("data", "jpeg", "png", "image"),
    "src": ("src", "video", "file", "path"),
    "ele": (
        "ele",
        "video",
        "fps",
        "frames",
        "pixels",
        "start",
        "end",
        "resized",
        "file",
        "read",
        "height",
        "aspect",
    ),
    # A config's refusal names the key at fault (or the types no family claims).
    "source": (
        "source",
        "config",
        "path",
        "directory",
        "json",
        "model",
        "processor",
        "pixels",
        "patch",
        "merge",
        "size",
        "pinpoint",
        "type",
    ),
    "processor": ("processor",),
    "video_grid_thw": ("grid",),
    "image_sizes": ("image_sizes", "size", "height", "width"),
    "shape": ("shape",),
    "dtype": ("dtype",),
    "size": ("size", "height", "width"),
    "indices": ("indices", "index", "frame"),
}


def _names(args: Sequence[str]) -> Tuple[str, ...]:
    out: List[str] = []
    for a in args:
        out.append(a)
        out.extend(ALIASES.get(a, ()))
    return tuple(out)


def generated(seed: int) -> Iterator[Probe]:
    """Endless generated probes, reproducible from ``seed``."""
    r = random.Random(seed)
    n = 0
    while True:
        e = r.choice(ENTRIES)
        values = {a: v for a, _, v in e.base}
        hostile = r.sample(range(len(e.base)), k=1 if len(e.base) == 1 or r.random() < 0.8 else 2)
        changed = []
        for k in hostile:
            arg, kind, _ = e.base[k]
            values[arg] = r.choice(POOLS[kind])
            changed.append(arg)
        kw = "{" + ", ".join(f"{a!r}: {values[a]}" for a, _, _ in e.base) + "}"
        code = f"kw = {kw}\nresult = {e.call({a: f'kw[{a!r}]' for a, _, _ in e.base})}"
        desc = ", ".join(f"{a}={values[a]}" for a in changed)
        names = _names(changed) + e.related
        yield Probe(f"gen{n} {e.func}({desc})", code, names, e.check, e.setup, e.heavy)
        n += 1


def decoder_probes(seed: int) -> Iterator[Probe]:
    """Endless mutated JPEG/PNG files, judged against Pillow."""
    r = random.Random(seed)
    n = 0
    while True:
        file_seed, mut_seed = r.randrange(10**6), r.randrange(10**6)
        setup = f"DATA = data.mutate(data.encoded({file_seed}), {mut_seed})"
        yield Probe(
            f"decode{n} mutate(encoded({file_seed}), {mut_seed})",
            "result = io.decode(DATA)",
            ("jpeg", "png", "image", "data", "truncated", "corrupt"),
            "data.check_decoded(DATA, result)",
            setup,
        )
        n += 1


def _p(name: str, code: str, names: Sequence[str] = (), check: str = "", setup: str = "") -> Probe:
    return Probe(name, code, tuple(names), check, setup)


FIFO_SETUP = "import os, tempfile\nD = tempfile.mkdtemp()\nFIFO = os.path.join(D, 'pipe.jpg')\nos.mkfifo(FIFO)"
BIG = "np.zeros((2, 2, 3), np.uint8)"

# The reproducers of issue 12, and their neighbours.
HANDWRITTEN: List[Probe] = [
    _p("resize to 65536x65536", f"result = ops.resize({BIG}, 65536, 65536)", ["65536", "height"]),
    _p(
        "resize 1x65536 -> 65536x65536 bilinear",
        "result = ops.resize(np.zeros((1, 65536, 3), np.uint8), 65536, 65536, filter='bilinear')",
        ["65536", "height"],
    ),  # fmt: skip
    _p(
        "pool_features 65536^2",
        "result = ov.pool_features(np.zeros((1, 2, 2, 1), np.float32), (65536, 65536))",
        ["out_hw", "65536"],
    ),  # fmt: skip
    _p(
        "vision_position_ids 2048x1024x1024",
        "result = rope.vision_position_ids([[2048, 1024, 1024]])",
        ["grid"],
    ),
    _p(
        "window_index 2048x1024x1024",
        "result = rope.window_index([[2048, 1024, 1024]], window_size=28)",
        ["grid", "window"],
    ),
    _p(
        "cu_seqlens 2047 x 2**20 frames",
        "result = rope.cu_seqlens([[2**20, 1, 1]] * 2047)",
        ["grid", "cu_seqlens"],
    ),  # fmt: skip
    _p(
        "internvl.frame_indices 1e9 transformers",
        "result = internvl.frame_indices(10**9, 10**9, reference='transformers')",
        ["num_segments", "num_frames"],
    ),  # fmt: skip
    _p(
        "internvl.frame_indices 1e9 original",
        "result = internvl.frame_indices(10**9, 10**9)",
        ["num_segments", "num_frames"],
    ),
    _p(
        "ov.plan huge pinpoint",
        "result = ov.plan(300, 500, image_grid_pinpoints=[(16776960, 16776960)])",
        ["pinpoint"],
    ),
    _p(
        "ov.ImageProcessor huge pinpoint",
        "result = ov.ImageProcessor(image_grid_image_grid_pinpoints=[(16776960, 16776960)])"
        "(np.zeros((30, 40, 3), np.uint8))",
        ["pinpoint"],
    ),  # fmt: skip
    _p(
        "ov pinpoint 384*200",
        "result = ov.ImageProcessor(image_grid_pinpoints=[(384 * 200, 384 * 200)])"
        "(np.zeros((3000, 3000, 3), np.uint8))",
        ["pinpoint"],
    ),  # fmt: skip
    _p(
        "load_image on a FIFO",
        "result = batch.load_image(FIFO)",
        ["fifo", "regular"],
        setup=FIFO_SETUP,
    ),  # fmt: skip
    _p("load_image on a directory", "result = batch.load_image('/tmp')", ["directory"]),
    _p("load_image on /dev/null", "result = batch.load_image('/dev/null')", ["device", "regular"]),
    _p("load_image True", "result = batch.load_image(True)", ["image", "bool"]),
    _p(
        "qwen2vl temporal_patch_size 2**24",
        "result = qwen2vl.ImageProcessor(temporal_patch_size=2**24)(np.zeros((30, 40, 3), np.uint8))",
        ["temporal_patch_size"],
    ),  # fmt: skip
    _p(
        "oryx min_res 65536",
        "result = oryx.ImageProcessor(min_res=65536)(np.zeros((30, 40, 3), np.uint8))",
        ["min_res", "max_res"],
    ),  # fmt: skip
    _p(
        "oryx lowres_base 65536",
        "result = oryx.ImageProcessor(lowres_base=65536)(np.zeros((30, 40, 3), np.uint8))",
        ["lowres_base"],
    ),  # fmt: skip
    _p(
        "internvl videos num_frames 2**20",
        "result = internvl.ImageProcessor().videos(np.zeros((4, 28, 28, 3), np.uint8), num_frames=2**20)",
        ["num_frames"],
    ),  # fmt: skip
    _p(
        "ov videos num_frames 2**20",
        "result = ov.ImageProcessor().videos(np.zeros((4, 28, 28, 3), np.uint8), num_frames=2**20)",
        ["num_frames"],
    ),  # fmt: skip
    _p(
        "oryx videos num_frames 2**20",
        "result = oryx.ImageProcessor().videos(np.zeros((4, 28, 28, 3), np.uint8), num_frames=2**20)",
        ["num_frames"],
    ),  # fmt: skip
    _p(
        "mrope split_video_frames 300 x 2**20",
        "ids = np.array([[151652] + [151656] * 4 + [7]])\n"
        "result = rope.mrope_position_ids(ids, None, [[2**20, 4, 4]] * 300, "
        "split_video_frames=True)",
        ["grid", "video", "frames", "split_video_frames"],
    ),  # fmt: skip
    _p(
        "smart_resize 1e40 budgets",
        "result = qwen2vl.smart_resize(100, 100, min_pixels=1e40, max_pixels=1e40)",
        ["min_pixels", "max_pixels"],
        check="assert max(result) <= 2**63, result",
    ),  # fmt: skip
    _p(
        "sample_frames 2**31",
        "result = qwen2vl.sample_frames(2**31, 30.0)",
        ["total_frames"],
        check="want = ref_qwen2vl.smart_nframes(2**31, 30.0, max_frames=768)\n"
        "assert len(result) == want and result.max() < 2**31, (len(result), want)",
    ),  # fmt: skip
    _p(
        "sample_frames 2**40",
        "result = qwen2vl.sample_frames(2**40, 30.0)",
        ["total_frames"],
        check="assert len(result) <= 768 and result.max() < 2**40",
    ),  # fmt: skip
    _p(
        "smart_resize_many 1e38..1e40",
        "result = qwen2vl.smart_resize_many([100, 200, 300], [100, 50, 30], min_pixels=1e38, "
        "max_pixels=1e40)",
        ["min_pixels", "max_pixels"],
        check="assert (result[0] > 0).all() and (result[0] < 2**62).all(), result",
    ),  # fmt: skip
    _p(
        "video_budget max_pixels nan",
        "result = qwen2vl.video_budget(16, 360, 640, max_pixels=float('nan'))",
        ["max_pixels"],
        check="raise AssertionError(f'accepted nan: {result}')",
    ),  # fmt: skip
    _p(
        "num_tokens_many frames 2**62",
        "result = models.get('qwen2.5-vl').num_tokens_many(np.array([300, 300, 300]), "
        "np.array([400, 400, 400]), total_frames=np.array([2**62, 0, 5]), video_fps=np.array([30.0, 30.0, 30.0]))",
        ["total_frames"],
        check="assert (result >= 0).all() and (result < 2**62).all(), result",
    ),  # fmt: skip
    _p(
        "huge int as float",
        "result = qwen2vl.smart_resize(100, 100, max_pixels=10**400)",
        ["max_pixels"],
        check="assert max(result) < 2**40, result",
    ),  # fmt: skip
    _p(
        "PIL mode La",
        "from PIL import Image\nim = Image.new('LA', (8, 8)).convert('La')\n"
        "result = qwen2vl.ImageProcessor()(im)",
        ["mode", "image"],
    ),  # fmt: skip
    _p(
        "from_pretrained(True)",
        "import os\nbefore = os.fstat(1)\n"
        "try:\n    result = qwen2vl.ImageProcessor.from_pretrained(True)\n"
        "finally:\n    os.fstat(1)",
        ["config", "bool"],
    ),  # fmt: skip
    _p(
        "from_pretrained(1)",
        "import os\n"
        "try:\n    result = qwen2vl.ImageProcessor.from_pretrained(1)\n"
        "finally:\n    os.fstat(1)",
        ["config"],
    ),  # fmt: skip
    _p(
        "config JSON list",
        "import json, tempfile\nf = tempfile.NamedTemporaryFile('w', suffix='.json', delete=False)\n"
        "f.write('[1, 2]'); f.close()\nresult = qwen2vl.ImageProcessor.from_pretrained(f.name)",
        ["config", "object", "list"],
    ),  # fmt: skip
    _p(
        "config deep nesting",
        "import tempfile\nf = tempfile.NamedTemporaryFile('w', suffix='.json', delete=False)\n"
        "f.write('[' * 100000 + ']' * 100000); f.close()\n"
        "result = qwen2vl.ImageProcessor.from_pretrained(f.name)",
        ["config", "json", "nest"],
    ),  # fmt: skip
    _p(
        "out= shared by two threads",
        "import threading\nproc = qwen2vl.ImageProcessor()\nim = np.zeros((280, 280, 3), np.uint8)\n"
        "want = proc(im)['pixel_values']\nout = np.empty_like(want)\nerrs = []\n"
        "def go():\n    try:\n        for _ in range(20):\n            proc(im, out=out)\n"
        "    except Exception as e:\n        errs.append(e)\n"
        "ts = [threading.Thread(target=go) for _ in range(2)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "if errs:\n    raise errs[0]\nresult = out",
        ["out"],
        check="assert np.array_equal(result, want)",
    ),  # fmt: skip
    _p(
        "encode_sample with InternVL",
        "result = batch.encode_sample({'input_ids': [1, 151655], 'images': "
        "[np.zeros((30, 40, 3), np.uint8)]}, internvl.ImageProcessor())",
        ["processor"],
    ),
    _p(
        "collate pad_to_multiple_of 2**62",
        "result = batch.collate_features([{'input_ids': np.array([1, 2])}], pad_to_multiple_of=2**62)",
        ["pad_to_multiple_of"],
    ),  # fmt: skip
    _p(
        "lower_bound overflow",
        "result = pack.lower_bound([2**62, 2**62, 2**62], 3)",
        check="assert result == -(-3 * 2**62 // 3), result",
    ),  # fmt: skip
    _p(
        "lower_bound negative",
        "result = pack.lower_bound([-5, 10], 3)",
        ["length"],
        check="raise AssertionError(f'accepted a negative length: {result}')",
    ),  # fmt: skip
    _p(
        "tiny JPEG claiming 2730x65535",
        "result = io.decode(data.with_size(data.encoded(1), 65535, 2730))",
        ["jpeg", "png", "truncated"],
        check="raise AssertionError('decoded a bomb')",
    ),  # fmt: skip
    _p(
        "JPEG without its last bytes",
        "d = data.encoded(1)\nresult = io.decode(d[:-2] if d[:2] == b'\\xff\\xd8' else d[:-12])",
        ["truncated"],
        check="raise AssertionError('decoded a truncated file')",
    ),  # fmt: skip
    _p(
        "decode allow_truncated",
        "d = data.encoded(1)\nresult = io.decode(d[: len(d) * 2 // 3], allow_truncated=True)",
        ["truncated", "jpeg"],
    ),
    _p(
        "tiny JPEG claiming 2730x65500",
        "result = io.decode(data.with_size(data.encoded(1), 65500, 2730))",
        ["jpeg", "png", "truncated"],
        check="raise AssertionError('decoded a bomb')",
    ),  # fmt: skip
    _p(
        "JPEG without its last bytes",
        "d = data.encoded(1)\nresult = io.decode(d[:-2] if d[:2] == b'\\xff\\xd8' else d[:-12])",
        ["truncated"],
        check="raise AssertionError('decoded a truncated file')",
    ),  # fmt: skip
    _p(
        "decode allow_truncated",
        "d = data.encoded(1)\nresult = io.decode(d[: len(d) * 2 // 3], allow_truncated=True)",
        ["truncated", "jpeg"],
    ),
    _p(
        "fork while set_num_threads",
        "import os, threading\n"
        "im = np.arange(400 * 300 * 3, dtype=np.uint32).astype(np.uint8).reshape(400, 300, 3)\n"
        "dynres_fast.set_num_threads(1)\nwant = ops.resize(im, 123, 77)\nstop = False\n"
        "def churn():\n    i = 0\n    while not stop:\n        dynres_fast.set_num_threads(2 + i % 3)\n"
        "        ops.resize(im, 123, 77)\n        i += 1\n"
        "t = threading.Thread(target=churn)\nt.start()\nbad = 0\n"
        "for _ in range(8):\n    pid = os.fork()\n    if pid == 0:\n"
        "        import signal\n        signal.alarm(10)\n"
        "        ok = np.array_equal(ops.resize(im, 123, 77), want)\n        os._exit(0 if ok else 1)\n"
        "    _, st = os.waitpid(pid, 0)\n    bad += st != 0\n"
        "stop = True\nt.join()\nresult = bad",
        check="assert result == 0, f'{result} children differ'",
    ),  # fmt: skip
]


CLI_RUN = (
    "import contextlib, io as _sio\n"
    "_err, _out = _sio.StringIO(), _sio.StringIO()\n"
    "with contextlib.redirect_stderr(_err), contextlib.redirect_stdout(_out):\n"
    "    try:\n"
    "        rc = dynres_fast.cli.main(ARGV)\n"
    "    except SystemExit as e:\n"
    "        rc = e.code\n"
    "result = (rc, _out.getvalue(), _err.getvalue())"
)
# A refusal is a non-zero status with one ``dynres-fast: error: ...`` line per problem
# (argparse adds its usage line), never a traceback; ``WANT`` words must be in it.
CLI_CHECK = (
    "rc, out, err = result\n"
    "assert rc != 0, f'status 0 for bad input: {out[-300:]!r}'\n"
    "if 'Traceback' in err:\n"
    "    raise Unclear(err[-400:])\n"
    "lines = [l for l in err.splitlines() if l and not l.startswith(('usage:', ' '))]\n"
    "if not lines or not all(l.startswith('dynres-fast: ') for l in lines):\n"
    "    raise Unclear(f'not one dynres-fast: line per problem: {err[-400:]!r}')\n"
    "if not all(w.lower() in err.lower() for w in WANT):\n"
    "    raise Unclear(f'{WANT} not in {err!r}')"
)
CLI_FILES = (
    "import os, tempfile\n"
    "D = tempfile.mkdtemp()\n"
    "def put(name, data):\n"
    "    p = os.path.join(D, name)\n"
    "    with open(p, 'wb') as f:\n"
    "        f.write(data)\n"
    "    return p\n"
    "GOOD = put('good.jpg', data.encoded(4) if data.encoded(4)[:2] == b'\\xff\\xd8' else data.encoded(1))\n"
    "FIFO = os.path.join(D, 'pipe.jpg')\n"
    "os.mkfifo(FIFO)\n"
)


def _cli(name: str, argv: str, want: Sequence[str], setup: str = "", check: str = "") -> Probe:
    """A CLI call; ``want``: words its error must contain (``"D"``: the temp directory)."""
    return Probe(
        f"cli {name}",
        f"ARGV = {argv}\nWANT = [{', '.join(w if w == 'D' else repr(w) for w in want)}]\n"
        + CLI_RUN,
        (),
        check or CLI_CHECK,
        CLI_FILES + setup,
    )


CLI: List[Probe] = [
    _cli("plan a directory", "['plan', '-m', 'qwen2.5-vl', D]", ["directory"]),
    _cli("plan /dev/null", "['plan', '-m', 'qwen2.5-vl', '/dev/null']", ["/dev/null", "device"]),
    _cli("plan a FIFO", "['plan', '-m', 'qwen2.5-vl', FIFO]", ["pipe.jpg", "fifo"]),
    _cli("plan a missing file", "['plan', '-m', 'qwen2.5-vl', D + '/nope.jpg']", ["no such file"]),
    _cli("plan text", "['plan', '-m', 'qwen2.5-vl', put('a.txt', b'hello')]", ["a.txt"]),
    _cli(
        "plan a truncated JPEG",
        "['plan', '-m', 'qwen2.5-vl', put('cut.jpg', data.encoded(4)[:200])]",
        ["cut.jpg"],
        # Planning reads only the header: a cut file with a whole header may plan.
        check="if result[0] == 0:\n    assert 'cut.jpg' in result[1], result\nelse:\n"
        + "\n".join("    " + line for line in CLI_CHECK.splitlines()),
    ),
    _cli(
        "plan a decompression bomb",
        "['plan', '-m', 'qwen2.5-vl', put('bomb.png', data.with_size(data.encoded(2) "
        "if data.encoded(2)[:4] == b'\\x89PNG' else data.encoded(5), 65535, 65535))]",
        ["bomb.png"],
    ),  # fmt: skip
    _cli(
        "plan continues past a bad file",
        "['plan', '-m', 'qwen2.5-vl', GOOD, D + '/nope.jpg', GOOD]",
        ["nope.jpg"],
        check=CLI_CHECK + "\nassert out.count('good.jpg') == 2, out",
    ),  # fmt: skip
    _cli("plan an unknown model", "['plan', '-m', 'gpt-9', GOOD]", ["gpt-9"]),
    _cli(
        "plan huge budget",
        "['plan', '-m', 'qwen2.5-vl', '--min-pixels', '1e40', '--max-pixels', '1e40', GOOD]",
        ["min_pixels"],
    ),  # fmt: skip
    _cli(
        "plan nan budget",
        "['plan', '-m', 'qwen2.5-vl', '--max-pixels', 'nan', GOOD]",
        ["max_pixels"],
    ),  # fmt: skip
    _cli(
        "count a long CSV field",
        "['count', '-m', 'qwen2.5-vl', put('m.csv', b'height,width\\n' + b'1' * 200000 + b',5\\n'), "
        "'-o', D + '/o.csv']",
        ["m.csv"],
    ),  # fmt: skip
    _cli(
        "count a binary manifest",
        "['count', '-m', 'qwen2.5-vl', put('m.csv', b'\\xff\\xfe\\x00height'), '-o', D + '/o.csv']",
        ["m.csv"],
    ),  # fmt: skip
    _cli(
        "count deep JSONL",
        "['count', '-m', 'qwen2.5-vl', put('m.jsonl', b'[' * 100000 + b']' * 100000), '-o', D + '/o.csv']",
        ["m.jsonl"],
    ),  # fmt: skip
    _cli(
        "count a JSONL list row",
        "['count', '-m', 'qwen2.5-vl', put('m.jsonl', b'[1, 2]\\n'), '-o', D + '/o.csv']",
        ["m.jsonl"],
    ),  # fmt: skip
    _cli(
        "count a directory", "['count', '-m', 'qwen2.5-vl', D, '-o', D + '/o.csv']", ["directory"]
    ),
    _cli("count a FIFO", "['count', '-m', 'qwen2.5-vl', FIFO, '-o', D + '/o.csv']", ["fifo"]),
    _cli(
        "count huge sizes",
        "['count', '-m', 'qwen2.5-vl', put('m.csv', b'height,width\\n1e400,5\\n'), '-o', D + '/o.csv']",
        ["m.csv"],
    ),  # fmt: skip
    _cli(
        "count to a directory",
        "['count', '-m', 'qwen2.5-vl', put('m.csv', b'height,width\\n10,5\\n'), '-o', D]",
        ["D"],
    ),
    _cli("show a FIFO", "['show', '-m', 'qwen2.5-vl', FIFO, '-o', D + '/x.png']", ["fifo"]),
    _cli("show into a directory", "['show', '-m', 'qwen2.5-vl', GOOD, '-o', D]", ["D"]),
]


def video_decoder_probes(seed: int) -> Iterator[Probe]:
    """Endless mutated MP4 clips: probed, then every frame read. Either step may refuse
    (``VideoDecodeError``); what is read must be the frames asked for."""
    r = random.Random(seed)
    n = 0
    while True:
        file_seed, mut_seed = r.randrange(10**6), r.randrange(10**6)
        setup = f"DATA = data.mutate(data.video_file({file_seed}), {mut_seed})"
        yield Probe(
            f"video{n} mutate(video_file({file_seed}), {mut_seed})",
            "info = video.probe(DATA)\nresult = video.read_frames(DATA, np.arange(info.num_frames))",
            ("video", "src", "frame", "decode", "stream"),
            "assert result.shape[:1] == (info.num_frames,) and result.shape[1:] == "
            "(info.height, info.width, 3), (result.shape, info)",
            setup,
        )
        n += 1


def catalogue(seed: int) -> Iterator[Probe]:
    """Every hand-written and CLI probe, then generated, image-decoder and video-decoder
    probes interleaved (6:2:1)."""
    yield from HANDWRITTEN
    yield from CLI
    gen, dec, vdec = generated(seed), decoder_probes(seed + 1), video_decoder_probes(seed + 2)
    while True:
        for _ in range(2):
            for _ in range(3):
                yield next(gen)
            yield next(dec)
        yield next(vdec)
