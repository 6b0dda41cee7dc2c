"""Writes tests/data/family_fast.npz: transformers' fast InternVL (GotOcr2ImageProcessorFast,
crop_to_patches) and LLaVA-OneVision (LlavaOnevisionImageProcessorFast, its multi-image
path, LlavaOnevisionVideoProcessor / InternVLVideoProcessor) outputs, for
compat="torchvision".

torch is not installable here, so the oracle is a composition: every resize is pillow-simd
(which reproduces torchvision's uint8 antialiased resize byte for byte, see
scripts/gen_torchvision_golden.py) and every other step is the NumPy statement of the fast
processors in tests/reference/family_fast.py. Run in the pillow-simd venv:
    /work/venvs/tv/bin/python scripts/gen_family_fast_golden.py [out.npz]

Inputs are not stored: ``seeded_image(h, w, seed, block)`` (blocks of
reference/seeded.py's hash noise) rebuilds them. Case ``k`` stores
``{k}__spec`` (JSON: family, kind, images, parameters), ``{k}__shape``, ``{k}__counts``
(tiles / crops per image), SHA-256 digests of the output as float32, float16, bfloat16
(round to nearest even, as ``tensor.to(dtype)``) and of the uint8 tiles before normalising
(the processors' ``dtype="uint8"``), ``{k}__probe_idx`` / ``{k}__probe`` (float32 values at
fixed flat positions, for a tolerance check with a readable failure), and ``{k}__full``
when the float32 output is small.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from reference import family_fast as ref  # noqa: E402

FILTERS = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
CLIP = ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))
SIGLIP = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
FULL_BYTES = 160_000
N_PROBE = 600

# images: (height, width, seed, block); block > 1 gives hard-edged blocks of noise.
CASES = {
    "ivl_480x640": dict(family="internvl", images=[(480, 640, 1, 1)], max_num=12, size=448),
    "ivl_1080x1920_max6": dict(
        family="internvl", images=[(1080, 1920, 2, 8)], max_num=6, size=448, norm="clip"
    ),
    "ivl_tall": dict(family="internvl", images=[(1000, 100, 3, 1)], max_num=12, size=448),
    "ivl_thin_up": dict(family="internvl", images=[(37, 911, 4, 4)], max_num=12, size=448),
    "ivl_same_size": dict(family="internvl", images=[(448, 448, 5, 1)], max_num=12, size=448),
    "ivl_small_s56": dict(family="internvl", images=[(200, 300, 6, 1)], max_num=4, size=56),
    "ivl_min2_s28": dict(
        family="internvl", images=[(123, 77, 7, 2)], min_num=2, max_num=9, size=28
    ),
    "ivl_bilinear_batch": dict(
        family="internvl",
        images=[(200, 300, 8, 1), (300, 200, 9, 1), (20, 20, 10, 1)],
        max_num=6,
        size=56,
        resample="bilinear",
    ),
    "ivl_nothumb": dict(
        family="internvl", images=[(250, 700, 11, 1)], max_num=8, size=56, use_thumbnail=False
    ),
    "ov_480x640": dict(family="llava_ov", images=[(480, 640, 21, 1)]),
    "ov_batch": dict(
        family="llava_ov", images=[(200, 300, 22, 1), (1000, 100, 23, 4), (37, 911, 24, 1)]
    ),
    "ov_square384": dict(family="llava_ov", images=[(384, 384, 25, 1)]),
    "ov_1080x1920_clip": dict(family="llava_ov", images=[(1080, 1920, 26, 8)], norm="clip"),
    "ov_tiny_bilinear": dict(family="llava_ov", images=[(5, 7, 27, 1)], resample="bilinear"),
    "ov_multi": dict(
        family="llava_ov_multi",
        images=[(200, 300, 31, 1), (300, 200, 32, 1), (384, 384, 33, 1), (50, 700, 34, 2)],
    ),
    "ov_multi_clip_bilinear": dict(
        family="llava_ov_multi",
        images=[(700, 51, 35, 1), (100, 100, 36, 1)],
        norm="clip",
        resample="bilinear",
    ),
    "ov_video": dict(family="video", images=[(240, 320, 41, 1)], frames=4, size=384),
    "ivl_video_bilinear": dict(
        family="video",
        images=[(480, 640, 42, 4)],
        frames=3,
        size=448,
        norm="imagenet",
        resample="bilinear",
    ),
}


def simd_resize(resample: str):
    def resize(img: np.ndarray, h: int, w: int) -> np.ndarray:
        return np.asarray(Image.fromarray(img).resize((w, h), FILTERS[resample]))

    return resize


def images_of(spec: dict) -> list:
    return [ref.seeded_image(h, w, seed, block) for h, w, seed, block in spec["images"]]


def frames_of(spec: dict) -> np.ndarray:
    h, w, seed, block = spec["images"][0]
    return np.stack([ref.seeded_image(h, w, seed + 100 * t, block) for t in range(spec["frames"])])


def default_norm(family: str) -> str:
    return "imagenet" if family == "internvl" else "siglip"


def run(spec: dict) -> tuple[np.ndarray, np.ndarray, list]:
    """(float32 output, uint8 output in the same layout, counts per image)."""
    family = spec["family"]
    mean, std = {"imagenet": IMAGENET, "clip": CLIP, "siglip": SIGLIP}[
        spec.get("norm", default_norm(family))
    ]
    resize = simd_resize(spec.get("resample", "bicubic"))
    if family == "internvl":
        params = dict(
            min_num=spec.get("min_num", 1),
            max_num=spec["max_num"],
            size=spec["size"],
            use_thumbnail=spec.get("use_thumbnail", True),
        )
        raws = [ref.internvl_raw(im, resize, **params) for im in images_of(spec)]
        raw = np.concatenate(raws)
        counts = [len(r) for r in raws]
        return ref.fused_normalise(raw, mean, std), np.moveaxis(raw, -1, -3), counts
    if family == "llava_ov":
        images = images_of(spec)
        values = ref.llava_ov(images, resize, mean, std)
        raws = [ref.llava_ov_raw(im, resize) for im in images]
        raw = np.zeros(values.shape, np.uint8)
        for i, r in enumerate(raws):
            raw[i, : len(r)] = np.moveaxis(r, -1, -3)
        return values, raw, [len(r) for r in raws]
    if family == "llava_ov_multi":
        images = images_of(spec)
        raw = ref.llava_ov_multi_raw(images, resize, mean)
        return (
            ref.llava_ov_multi(images, resize, mean, std),
            np.moveaxis(raw, -1, -3),
            [1] * len(images),
        )
    if family == "video":
        frames = frames_of(spec)
        size = (spec["size"], spec["size"])
        raw = ref.video_raw(frames, resize, size)
        return ref.video(frames, resize, size, mean, std), np.moveaxis(raw, -1, -3), [len(raw)]
    raise ValueError(family)


def bf16_bits(x: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns, round to nearest even (finite values)."""
    b = x.view(np.uint32).astype(np.uint64)
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)


def digest(a: np.ndarray) -> np.ndarray:
    return np.array(hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest())


def main() -> None:
    importlib.metadata.distribution("pillow-simd")  # raises if this is not pillow-simd
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "tests/data/family_fast.npz")
    arrays: dict[str, np.ndarray] = {}
    for name, spec in CASES.items():
        values, raw, counts = run(spec)
        assert values.dtype == np.float32 and raw.shape == values.shape
        arrays[f"{name}__spec"] = np.array(json.dumps(spec))
        arrays[f"{name}__shape"] = np.array(values.shape, np.int64)
        arrays[f"{name}__counts"] = np.array(counts, np.int64)
        arrays[f"{name}__f32_sha256"] = digest(values)
        arrays[f"{name}__f16_sha256"] = digest(values.astype(np.float16))
        arrays[f"{name}__bf16_sha256"] = digest(bf16_bits(values))
        arrays[f"{name}__u8_sha256"] = digest(raw)
        idx = np.linspace(0, values.size - 1, N_PROBE).astype(np.int64)
        arrays[f"{name}__probe_idx"] = idx
        arrays[f"{name}__probe"] = values.reshape(-1)[idx]
        if values.nbytes <= FULL_BYTES:
            arrays[f"{name}__full"] = values
    version = importlib.metadata.version("pillow-simd")
    np.savez_compressed(out, pillow_simd_version=np.array(version), **arrays)
    print(f"wrote {len(CASES)} cases to {out} (pillow-simd {version})")


if __name__ == "__main__":
    main()
