"""PyTorch ``DataLoader`` glue: a map-style dataset of Qwen-VL samples and its collate.

::

    from torch.utils.data import DataLoader
    from dynres_fast.torch import QwenVLDataset, collate

    ds = QwenVLDataset(samples)     # [{"images": [jpeg_bytes], "input_ids": [...]}, ...]
    loader = DataLoader(ds, batch_size=8, num_workers=4, collate_fn=collate)
    batch = next(iter(loader))      # pixel_values, image_grid_thw, input_ids,
                                    # attention_mask, position_ids, rope_deltas (+ labels)

The sample format and every step are in :mod:`dynres_fast.batch` (plain NumPy); this
module only adds the ``Dataset`` protocol and the final zero-copy ``torch.from_numpy``.
torch is imported only when tensors are asked for, so ``return_tensors="np"`` works
without it. Each worker decodes and preprocesses its own samples (one processor call per
sample, the GIL released) and collates its own batches; nothing is shared between
workers, so forked and spawned workers both work.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np

from .batch import IGNORE_INDEX, IMAGE_PAD_ID, Decoder, collate_features, encode_sample
from .errors import DynresError
from .qwen2vl import ImageProcessor

__all__ = ["QwenVLDataset", "collate", "to_torch"]


class QwenVLDataset:
    """Map-style dataset: ``ds[i]`` is the features of ``samples[i]`` as NumPy arrays.

    Works with ``torch.utils.data.DataLoader`` (which only needs ``__len__`` and
    ``__getitem__``) without importing torch.

    Args:
        samples: any indexable sequence of sample mappings (a list, a Hugging Face
            ``datasets.Dataset``, …) in the format of :mod:`dynres_fast.batch`.
        processor: the image processor; default
            :meth:`ImageProcessor.qwen2_5_vl() <dynres_fast.qwen2vl.ImageProcessor.qwen2_5_vl>`
            (the released Qwen2-VL / Qwen2.5-VL budget).
        image_token_id: the ``<|image_pad|>`` id to expand.
        ignore_index: the label written on image tokens.
        decode: ``"dynres"`` (default, Rust), ``"pillow"`` (bit-identical to a Pillow
            pipeline) or a callable ``bytes → image``; a callable must be picklable for
            spawned workers.
        video_options: for samples with ``"videos"``, the keyword arguments of
            :func:`~dynres_fast.batch.encode_sample` for them: ``video_processor``,
            ``tokenize`` (picklable for spawned workers), ``video_layout``,
            ``video_token_id``, ``threads``.
    """

    def __init__(
        self,
        samples: Sequence[Mapping[str, Any]],
        processor: Optional[ImageProcessor] = None,
        *,
        image_token_id: int = IMAGE_PAD_ID,
        ignore_index: int = IGNORE_INDEX,
        decode: Decoder = "dynres",
        **video_options: Any,
    ) -> None:
        self.samples = samples
        self.video_options = video_options
        self.processor = processor if processor is not None else ImageProcessor.qwen2_5_vl()
        self.image_token_id = image_token_id
        self.ignore_index = ignore_index
        self.decode = decode

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Dict[str, np.ndarray]:
        """Decodes and preprocesses one sample: see :func:`dynres_fast.batch.encode_sample`."""
        try:
            return encode_sample(
                self.samples[index],
                self.processor,
                image_token_id=self.image_token_id,
                ignore_index=self.ignore_index,
                decode=self.decode,
                **self.video_options,
            )
        except (DynresError, TypeError) as e:
            raise type(e)(f"sample {index}: {e}") from None


def collate(
    features: Sequence[Mapping[str, np.ndarray]], *, return_tensors: str = "pt", **options: Any
) -> Dict[str, Any]:
    """``collate_fn`` for a DataLoader over :class:`QwenVLDataset`.

    Args:
        features: the dataset items of one batch.
        return_tensors: ``"pt"`` (torch tensors sharing memory with the NumPy arrays) or
            ``"np"`` (NumPy; no torch needed).
        options: passed to :func:`dynres_fast.batch.collate_features` —
            ``convention`` (``"qwen"`` default, ``"transformers4"``, ``"transformers5"``),
            ``pad_token_id``, ``ignore_index``, ``pad_to_multiple_of``,
            ``spatial_merge_size``, ``image_token_id``, ``vision_start_token_id``, and for
            videos ``video_token_id``, ``split_video_frames`` (Qwen3-VL) and
            ``tokens_per_second`` (Qwen2.5-VL). Bind them with
            ``functools.partial(collate, convention=...)``.

    Returns:
        ``input_ids``, ``attention_mask``, ``position_ids`` ``(3, B, L)``, ``rope_deltas``
        ``(B, 1)``, ``mm_token_type_ids``, ``pixel_values`` and ``image_grid_thw`` (when
        the batch has images), ``pixel_values_videos``, ``video_grid_thw`` and
        ``second_per_grid_ts`` (when it has videos) and ``labels`` (when the samples have
        them).
    """
    if return_tensors not in ("pt", "np"):
        raise DynresError(f"return_tensors must be 'pt' or 'np', got {return_tensors!r}")
    batch = collate_features(features, **options)
    return to_torch(batch) if return_tensors == "pt" else batch


def to_torch(batch: Mapping[str, np.ndarray]) -> Dict[str, Any]:
    """NumPy arrays → torch tensors without copying (``torch.from_numpy``).

    ``ml_dtypes.bfloat16`` arrays become ``torch.bfloat16`` tensors (a bit view).

    Raises:
        ImportError: torch is not installed.
    """
    try:
        import torch
    except ImportError:
        raise ImportError(
            "return_tensors='pt' needs PyTorch, which is not installed; "
            "pass return_tensors='np' for NumPy arrays"
        ) from None
    out = {}
    for key, arr in batch.items():
        if arr.dtype.name == "bfloat16":
            out[key] = torch.from_numpy(arr.view(np.int16)).view(torch.bfloat16)
        else:
            out[key] = torch.from_numpy(arr)
    return out
