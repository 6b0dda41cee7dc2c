"""Writes tests/data/transformers4_slow.npz: what transformers 4.57.6's slow (Pillow)
processors return where 5.x differs and dynres_fast keeps the 4.57 rule.

- the Qwen2-VL slow video path (``Qwen2VLImageProcessor(videos=...)``, Pillow resize per
  frame; 5.x has only the torchvision video processor) on ``vid_a`` of tests/data/inputs.npz;
- transparent PIL images (tests/reference/alpha.py: RGBA, LA, P with a transparency table,
  RGB with a colour key) through ``Qwen2VLImageProcessor``, ``GotOcr2ImageProcessor``
  (crop_to_patches, 56-pixel tiles) and ``LlavaOnevisionImageProcessor`` (SigLIP mean/std):
  4.57 converts with ``convert("RGB")``, which drops alpha; 5.x composites onto white.

Run in a venv over transformers 4.57.6 (``/work/mkvenv oracle4 4``):
    /work/venvs/oracle4/bin/python scripts/gen_transformers4_golden.py [out.npz]

Keys: ``{case}__{output}`` arrays, whole when under FULL_BYTES, else ``…__sha256`` (of the
C-order bytes), ``…__shape`` and ``…__head`` (the first HEAD values, for a readable failure).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from reference.alpha import transparent_images  # noqa: E402

IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
SIGLIP = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
FULL_BYTES = 64_000
HEAD = 256


def _store(out: dict, key: str, value) -> None:
    arr = np.ascontiguousarray(value)
    if arr.nbytes <= FULL_BYTES:
        out[key] = arr
        return
    out[f"{key}__sha256"] = np.array(hashlib.sha256(arr.tobytes()).hexdigest())
    out[f"{key}__shape"] = np.array(arr.shape, np.int64)
    out[f"{key}__head"] = arr.reshape(-1)[:HEAD]


def main(path: Path) -> None:
    import transformers as T

    assert T.__version__ == "4.57.6", T.__version__
    out: dict = {}
    vid = np.load(ROOT / "tests" / "data" / "inputs.npz")["vid_a_5x60x80"]
    proc = T.Qwen2VLImageProcessor(min_pixels=3136, max_pixels=12845056)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = proc(images=None, videos=[list(vid)], return_tensors="np")
    _store(out, "qwen2vl_video__pixel_values_videos", got["pixel_values_videos"])
    _store(out, "qwen2vl_video__video_grid_thw", got["video_grid_thw"])

    processors = {
        "qwen2vl": T.Qwen2VLImageProcessor(),
        "internvl": T.GotOcr2ImageProcessor(
            crop_to_patches=True,
            max_patches=4,
            size={"height": 56, "width": 56},
            image_mean=IMAGENET[0],
            image_std=IMAGENET[1],
        ),
        "llava_ov": T.LlavaOnevisionImageProcessor(image_mean=SIGLIP[0], image_std=SIGLIP[1]),
    }
    for name, image in transparent_images().items():
        for family, proc in processors.items():
            got = proc([image], return_tensors="np")
            for key, value in got.items():
                _store(out, f"alpha_{family}_{name}__{key}", value)
    env = {k: importlib.metadata.version(k) for k in ("transformers", "pillow", "numpy")}
    out["_env"] = np.array(json.dumps(env))
    np.savez_compressed(path, **out)
    print(f"{path}: {len(out)} arrays, {path.stat().st_size} bytes, {env}")


if __name__ == "__main__":
    default = ROOT / "tests" / "data" / "transformers4_slow.npz"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
