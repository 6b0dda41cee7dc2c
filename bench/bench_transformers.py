"""AutoProcessor with and without dynres_fast.transformers.install(), same run.

Run: python bench/bench_transformers.py [--repeat N]

For Qwen2.5-VL and Qwen3-VL (local model directories with the hub checkpoints' processor
settings, written by tests/hf_model_dir.py), times the full ``processor(text=...,
images=...)`` call on the bundled photos (as they are and scaled to 1080p) and
``processor(text=..., videos=...)`` on a 16-frame 1280x720 clip, with torch and dynres_fast
both at 1 and then 2 threads. Every timed output is first checked equal to upstream's (keys,
dtypes, values). Needs transformers 5.x, torch, torchvision.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
import transformers
from PIL import Image
from transformers import AutoProcessor

import dynres_fast
from dynres_fast import transformers as dt

from _common import machine, median_seconds, table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from hf_model_dir import write_model_dir  # noqa: E402

SAMPLES = sorted((Path(dynres_fast.__file__).parent / "samples").glob("*.jpg"))
MODELS = {"Qwen2.5-VL": "qwen2_5_vl", "Qwen3-VL": "qwen3_vl"}
PAD = {"images": "<|image_pad|>", "videos": "<|video_pad|>"}


def photos(size=None) -> list:
    """The bundled photos (0.14-0.27 MP), or each scaled to ``size`` (width, height)."""
    images = [Image.open(p).convert("RGB") for p in SAMPLES]
    return images if size is None else [im.resize(size, Image.BICUBIC) for im in images]


def clip(frames: int = 16) -> np.ndarray:
    """A 1280x720 pan across a bundled photo."""
    with Image.open(SAMPLES[-1]) as im:
        wide = np.asarray(im.convert("RGB").resize((1280 + 8 * frames, 720), Image.BICUBIC))
    return np.stack([wide[:, 8 * i : 8 * i + 1280] for i in range(frames)])


CASES = {  # label -> (kind, media)
    "4 photos (0.14-0.27 MP)": ("images", photos),
    "4 photos scaled to 1920x1080": ("images", lambda: photos((1920, 1080))),
    "16 frames of 1280x720": ("videos", lambda: [clip()]),
}


def inputs(kind: str, media: list) -> dict:
    vision = f"<|vision_start|>{PAD[kind]}<|vision_end|>" * len(media)
    kw = {"text": [f"describe {vision} please"], kind: media, "return_tensors": "pt"}
    if kind == "videos":
        kw["do_sample_frames"] = False
    return kw


def check_equal(a, b) -> None:
    assert list(a.keys()) == list(b.keys())
    for k in b:
        if isinstance(b[k], torch.Tensor):
            assert a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]), k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, model_type in MODELS.items():
            path = write_model_dir(Path(tmp) / model_type, model_type)
            upstream = AutoProcessor.from_pretrained(path)
            dt.install()
            ours = AutoProcessor.from_pretrained(path)
            dt.uninstall()
            for what, (kind, make) in CASES.items():
                kw = inputs(kind, make())
                check_equal(ours(**kw), upstream(**kw))
                for threads in (1, 2):
                    torch.set_num_threads(threads)
                    dynres_fast.set_num_threads(threads)
                    t_up = median_seconds(lambda p=upstream, k=kw: p(**k), args.repeat)
                    t_ours = median_seconds(lambda p=ours, k=kw: p(**k), args.repeat)
                    rows.append(
                        (
                            label,
                            what,
                            threads,
                            f"{t_up * 1e3:.1f} ms",
                            f"{t_ours * 1e3:.1f} ms",
                            f"**{t_up / t_ours:.1f}x**",
                        )
                    )
    versions = f"transformers {transformers.__version__}, torch {torch.__version__}"
    print(f"{machine()}; {versions}")
    print(table(rows, ("model", "input", "threads", "AutoProcessor", "with install()", "speed-up")))


if __name__ == "__main__":
    main()
