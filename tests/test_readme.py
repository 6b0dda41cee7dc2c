"""The README's commands and examples work as written."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_readme_opens_with_the_two_commands():
    first = _blocks("bash")[0].strip().splitlines()
    assert len(first) == 2
    assert first[0].endswith("dynres-fast demo")
    assert first[1].endswith("pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = _blocks("bash")[0].strip().splitlines()[1]
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_python_examples_run():
    namespace: dict = {}  # blocks build on each other, as a reader's session would
    for block in _blocks("python"):
        exec(compile(block, "README.md", "exec"), namespace)


def test_quickstart_comments_state_what_the_code_returns():
    """The values the README's quickstart comments promise (kept in sync by hand)."""
    import numpy as np

    from dynres_fast import internvl, oryx, qwen2vl, rope
    from dynres_fast import llava_onevision as ov

    image = np.zeros((1080, 1920, 3), np.uint8)
    out = qwen2vl.ImageProcessor.qwen2_5_vl()([image, image[:500]])
    assert out["image_grid_thw"].tolist() == [[1, 78, 138], [1, 36, 138]]
    assert out["pixel_values"].shape[1] == 1176
    assert qwen2vl.smart_resize(1080, 1920, max_pixels=12845056) == (1092, 1932)
    assert len(qwen2vl.sample_frames(300, 30.0)) == 20
    assert qwen2vl.video_budget(20, 1080, 1920) == (560, 1008)
    video = qwen2vl.ImageProcessor.qwen2_5_vl().videos(np.zeros((5, 60, 80, 3), np.uint8))
    assert video["video_grid_thw"].tolist() == [[3, 4, 6]]

    p = internvl.plan(1080, 1920)
    assert (p.grid, p.num_tiles, p.num_tokens + p.wrapper_tokens) == ((2, 4), 9, 2306)
    assert internvl.ImageProcessor(max_num=12)(image)["pixel_values"].shape == (9, 3, 448, 448)
    p = ov.plan(1080, 1920)
    assert (p.canvas, p.grid, p.final, p.num_tokens) == ((1152, 1920), (3, 5), (60, 108), 7269)
    assert ov.ImageProcessor.llava_onevision()([image])["pixel_values"].shape == (
        1,
        16,
        3,
        384,
        384,
    )
    assert ov.pool_features(np.zeros((2, 27, 27, 8), np.float32)).shape == (2, 14, 14, 8)
    p = oryx.plan(1080, 1920)
    assert (p.highres, p.lowres, p.num_tokens) == ((1056, 1920), (256, 512), 8517)
    frames = np.zeros((16, 360, 640, 3), np.uint8)
    assert oryx.ImageProcessor().videos(frames, num_frames=8)["pixel_values_videos"][0].shape == (
        8,
        3,
        320,
        640,
    )

    ids = np.array([[100, 151652] + [151655] * 6 + [151653, 100, 100]])
    pos, delta = rope.mrope_position_ids(ids, image_grid_thw=[[1, 4, 6]])
    assert pos.shape == (3, 1, 11) and delta.tolist() == [[-3]]
    assert rope.cu_seqlens([[2, 2, 4]]).tolist() == [0, 8, 16]
