"""Qwen2-VL training batches in a PyTorch DataLoader with dynres_fast.

    python examples/torch_dataloader.py

Builds samples from the bundled photos (encoded JPEG bytes plus a prompt's token ids with
one ``<|image_pad|>`` per image), wraps them in :class:`dynres_fast.torch.QwenVLDataset`
and loads them with ``DataLoader(num_workers=2, collate_fn=collate)``: each worker decodes
and preprocesses its own samples and collates its own batches. Without PyTorch it says so
and shows the same batch as NumPy arrays (``collate(..., return_tensors="np")``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, List

import dynres_fast
from dynres_fast.batch import IMAGE_PAD_ID, VISION_START_ID
from dynres_fast.torch import QwenVLDataset, collate

VISION_END_ID = 151653
SAMPLES = Path(dynres_fast.__file__).parent / "samples"


def make_samples(n: int) -> List[Dict[str, Any]]:
    """``n`` samples in the format of :mod:`dynres_fast.batch`.

    With a real tokenizer the ids come from ``tokenizer.apply_chat_template(messages)``,
    whose template writes ``<|vision_start|><|image_pad|><|vision_end|>`` per image; the
    text ids here are stand-ins.
    """
    photos = sorted(SAMPLES.glob("*.jpg"))
    samples = []
    for i in range(n):
        n_images = 1 + i % 2
        images = [photos[(i + k) % len(photos)].read_bytes() for k in range(n_images)]
        prompt = [872, 25] + [VISION_START_ID, IMAGE_PAD_ID, VISION_END_ID] * n_images
        answer = [9707, 0, 1, 2, 3][: 2 + i % 4]
        samples.append(
            {
                "images": images,
                "input_ids": prompt + answer,
                "labels": [-100] * len(prompt) + answer,  # learn the answer only
            }
        )
    return samples


def describe(batch: Dict[str, Any]) -> str:
    """One line per array: name, type, shape, dtype."""
    return "\n".join(
        f"  {key:15s} {type(value).__name__:8s} {tuple(value.shape)} {value.dtype}"
        for key, value in batch.items()
    )


def main() -> int:
    dataset = QwenVLDataset(make_samples(12))  # Qwen2/2.5-VL hub budget, Rust JPEG decode
    try:
        from torch.utils.data import DataLoader
    except ImportError:
        print(
            "PyTorch is not installed (pip install torch), so no DataLoader here. "
            "The same batch as NumPy arrays, collate(..., return_tensors='np'):"
        )
        print(describe(collate([dataset[i] for i in range(4)], return_tensors="np")))
        return 0
    loader = DataLoader(dataset, batch_size=4, num_workers=2, collate_fn=collate)
    for step, batch in enumerate(loader):
        print(f"batch {step}:")
        print(describe(batch))
    return 0


if __name__ == "__main__":  # DataLoader workers re-import this file where they spawn
    sys.exit(main())
