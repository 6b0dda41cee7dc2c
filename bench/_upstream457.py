"""Times transformers 4.57's slow image processors; run by ``_common.transformers4_times``
inside a virtualenv that has transformers 4.57 (no torch needed).

Reads ``{"cases": [{"family": ..., "h": ..., "w": ..., ...}], "repeat": N}`` on stdin and
prints a JSON list of median seconds, one per case.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _common import median_seconds, photo  # noqa: E402

CLIP_MEAN, CLIP_STD = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def processor(case: dict):
    import transformers as tf

    family = case["family"]
    if family == "qwen2vl":
        p = tf.Qwen2VLImageProcessor(min_pixels=case["min_pixels"], max_pixels=case["max_pixels"])
        return lambda im: p(im, return_tensors="np")
    if family == "internvl":
        p = tf.GotOcr2ImageProcessor(
            crop_to_patches=True,
            min_patches=1,
            max_patches=12,
            size={"height": 448, "width": 448},
            image_mean=IMAGENET_MEAN,
            image_std=IMAGENET_STD,
        )
        return lambda im: p(im, return_tensors="np")
    if family == "llava_onevision":
        p = tf.LlavaOnevisionImageProcessor(image_mean=(0.5,) * 3, image_std=(0.5,) * 3)
        return lambda im: p(im, return_tensors="np")
    if family == "oryx":
        from reference import oryx as oryx_ref

        clip = tf.CLIPImageProcessor(
            do_resize=False, do_center_crop=False, image_mean=(0.5,) * 3, image_std=(0.5,) * 3
        )

        def run(im):
            return [clip(x, return_tensors="np") for x in oryx_ref.resized_images(im)]

        return run
    raise ValueError(family)


def main() -> None:
    from PIL import Image

    job = json.load(sys.stdin)
    out = []
    for case in job["cases"]:
        pil = Image.fromarray(photo(case["h"], case["w"]))
        fn = processor(case)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(median_seconds(lambda f=fn, im=pil: f(im), repeat=job["repeat"]))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
