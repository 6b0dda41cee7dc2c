"""Pixtral (Mistral's dynamic-resolution family: Pixtral-12B, Mistral-Small-3.1).

An image larger than ``longest_edge`` is scaled down by one ratio (each side floored),
then each side is rounded up to the token unit ``patch_size · spatial_merge_size``; no
tiles, no crops. The prompt gets one ``[IMG]`` per token (``rows · cols``), an
``[IMG_BREAK]`` after each row and ``[IMG_END]`` instead of the last break.

Equal to transformers 5.x: ``compat="torchvision"`` reproduces ``PixtralImageProcessor``
(torchvision backend), ``compat="pillow"`` ``PixtralImageProcessorPil``, both bit for bit
in float32. ``spatial_merge_size`` is the ``PixtralProcessor`` setting (2 for
Mistral-Small-3.1): the processor hands the image processor ``patch_size ·
spatial_merge_size`` as its patch size, and so does this module. Sizes are ``(height,
width)``, grids ``(rows, cols)``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from . import _core, _pretrained
from ._choices import ALL_COMPATS, Normalisation, as_choice
from ._coerce import as_int, as_int64_array
from ._images import as_image_list
from .errors import DynresError
from .qwen2vl import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD

__all__ = [
    "IMAGE_BREAK_TOKEN_ID",
    "IMAGE_END_TOKEN_ID",
    "IMAGE_TOKEN_ID",
    "ImageProcessor",
    "PixtralPlan",
    "layout",
    "num_tokens_many",
    "plan",
]

#: The plan of one image: ``scaled``, ``resized`` ``(height, width)``, ``grid`` ``(rows,
#: cols)``, ``num_tokens`` (``[IMG]``: rows · cols) and ``num_wrapper_tokens``
#: (``[IMG_BREAK]`` and ``[IMG_END]``: rows).
PixtralPlan = _core.PixtralPlan

#: Token ids of ``[IMG]``, ``[IMG_BREAK]`` and ``[IMG_END]`` in the Tekken tokenizer of
#: Pixtral-12B and Mistral-Small-3.1 (``image_token_index`` 10 in their configs).
IMAGE_TOKEN_ID = 10
IMAGE_BREAK_TOKEN_ID = 12
IMAGE_END_TOKEN_ID = 13

#: ``PixtralImageProcessor``'s class defaults.
LONGEST_EDGE = 1024
PATCH_SIZE = 16


def _config(
    longest_edge: Any,
    patch_size: Any,
    spatial_merge_size: Any,
    resample: str = "bicubic",
    compat: str = "pillow",
) -> Any:
    edge = as_int("longest_edge", longest_edge)
    patch = as_int("patch_size", patch_size)
    return _core.PixtralConfig(
        max_size=(edge, edge),
        patch_size=(patch, patch),
        spatial_merge_size=as_int("spatial_merge_size", spatial_merge_size),
        resample=resample,
        compat=compat,
    )


def plan(
    height: int,
    width: int,
    *,
    longest_edge: int = LONGEST_EDGE,
    patch_size: int = PATCH_SIZE,
    spatial_merge_size: int = 1,
) -> PixtralPlan:
    """The Pixtral plan of an image of ``height × width``.

    Raises:
        DynresError: non-positive sides or settings; ``AspectRatioError`` when a side
            scales to 0 (upstream fails there too).
        TypeError: non-integer sizes.
    """
    cfg = _config(longest_edge, patch_size, spatial_merge_size)
    return cfg.plan(as_int("height", height), as_int("width", width))


def num_tokens_many(
    heights: Any,
    widths: Any,
    *,
    longest_edge: int = LONGEST_EDGE,
    patch_size: int = PATCH_SIZE,
    spatial_merge_size: int = 1,
    wrappers: bool = False,
    errors: str = "raise",
) -> np.ndarray:
    """``plan(h, w).num_tokens`` over arrays of sizes, vectorised in Rust (GIL released).

    ``wrappers=True`` adds ``num_wrapper_tokens``: the image's whole expansion in the
    prompt, ``rows · (cols + 1)`` (``PixtralProcessor._get_num_multimodal_tokens``).
    ``errors="mask"`` writes -1 for refused rows instead of raising.
    """
    cfg = _config(longest_edge, patch_size, spatial_merge_size)
    return cfg.num_tokens_many(
        as_int64_array("heights", heights, ndim=1),
        as_int64_array("widths", widths, ndim=1),
        errors=as_choice("errors", errors, ("raise", "mask")),
        wrappers=bool(wrappers),
    )


def _sizes(image_sizes: Any) -> List[tuple]:
    """``(height, width)`` pairs from an ``(n, 2)`` array, pairs or plans."""
    out = []
    for i, s in enumerate(image_sizes):
        if isinstance(s, PixtralPlan):
            out.append(s.resized)
            continue
        if isinstance(s, (str, bytes)) or not hasattr(s, "__len__") or len(s) != 2:
            raise TypeError(f"image_sizes[{i}] must be a (height, width) pair, got {s!r}")
        out.append((as_int(f"image_sizes[{i}][0]", s[0]), as_int(f"image_sizes[{i}][1]", s[1])))
    return out


def layout(
    input_ids: Any,
    image_sizes: Any,
    *,
    patch_size: int = PATCH_SIZE,
    spatial_merge_size: int = 1,
    image_token_id: int = IMAGE_TOKEN_ID,
    image_break_token_id: int = IMAGE_BREAK_TOKEN_ID,
    image_end_token_id: int = IMAGE_END_TOKEN_ID,
) -> np.ndarray:
    """An already-tokenized prompt with its ``k``-th ``[IMG]`` expanded for image ``k``.

    ``image_sizes`` are the processor's ``image_sizes`` (resized ``(height, width)``) or
    :class:`PixtralPlan` objects; each image becomes, per token row, ``cols`` ``[IMG]``
    and one ``[IMG_BREAK]``, the last one replaced by ``[IMG_END]`` — the ids
    ``PixtralProcessor`` produces for the same text.

    Returns:
        The expanded ids, int64 ``(L',)``.

    Raises:
        GridMismatchError: the prompt's ``[IMG]`` count differs from the image count.
        DynresError: an image smaller than one token.
    """
    cfg = _config(LONGEST_EDGE, patch_size, spatial_merge_size)
    ids = as_int64_array("input_ids", input_ids, ndim=1)
    return cfg.layout(
        ids,
        _sizes(image_sizes),
        image_token_id=_token_id("image_token_id", image_token_id),
        image_break_token_id=_token_id("image_break_token_id", image_break_token_id),
        image_end_token_id=_token_id("image_end_token_id", image_end_token_id),
    )


def _token_id(name: str, value: Any) -> int:
    """A token id: any int64 (ids may be negative in padded batches)."""
    return as_int(name, value, minimum=-(2**63))


class ImageProcessor:
    """Pixtral preprocessing: ``proc(images)`` returns ``pixel_values`` ``(n, 3, H, W)``
    (each image at the top left, zero-padded to the batch's largest resized size, as
    transformers pads after normalising) and ``image_sizes`` ``(n, 2)`` int64.

    ``ImageProcessor()`` equals ``PixtralImageProcessorPil()``; ``compat="torchvision"``
    equals ``PixtralImageProcessor()`` (the torchvision backend). Mistral-Small-3.1:
    ``ImageProcessor(longest_edge=1540, patch_size=14, spatial_merge_size=2)`` or
    :meth:`from_pretrained`.

    Args:
        longest_edge: the largest side kept without scaling (``size["longest_edge"]``).
        patch_size: the vision encoder's patch side.
        spatial_merge_size: the ``PixtralProcessor`` merge (token unit = patch · merge).
        image_mean, image_std: per-channel normalisation (OpenAI CLIP by default).
        resample: the resize filter (``"bicubic"`` upstream), a name or PIL code.
        compat: ``"pillow"`` / ``"pillow12"`` (Pil backend) or ``"torchvision"``.
        dtype: ``"float32"``, ``"float16"``, ``"bfloat16"`` or ``"uint8"`` (raw bytes; padding
            is 0 in every dtype).
    """

    #: ``config.json`` model types whose checkpoints use this family.
    MODEL_TYPES = ("pixtral", "mistral3")
    #: ``image_processor_type`` names (``Fast`` suffix removed) of this family.
    IMAGE_PROCESSOR_TYPES = ("PixtralImageProcessor", "PixtralImageProcessorPil")

    def __init__(
        self,
        *,
        longest_edge: int = LONGEST_EDGE,
        patch_size: int = PATCH_SIZE,
        spatial_merge_size: int = 1,
        image_mean: Sequence[float] = OPENAI_CLIP_MEAN,
        image_std: Sequence[float] = OPENAI_CLIP_STD,
        resample: Any = "bicubic",
        compat: str = "pillow",
        dtype: str = "float32",
    ) -> None:
        self._norm = Normalisation(
            image_mean, image_std, compat, dtype, compats=ALL_COMPATS, resample=resample
        )
        self._cfg = _config(
            longest_edge, patch_size, spatial_merge_size, self._norm.resample, self._norm.compat
        )
        self.longest_edge = as_int("longest_edge", longest_edge)
        self.patch_size = as_int("patch_size", patch_size)
        self.spatial_merge_size = as_int("spatial_merge_size", spatial_merge_size)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(longest_edge={self.longest_edge}, "
            f"patch_size={self.patch_size}, spatial_merge_size={self.spatial_merge_size}, "
            f"resample={self._norm.resample!r}, compat={self._norm.compat!r}, "
            f"dtype={self._norm.dtype!r})"
        )

    @property
    def compat(self) -> str:
        """The exactness target of the resize and normalisation."""
        return str(self._norm.compat)

    @property
    def dtype(self) -> str:
        """The output dtype name."""
        return str(self._norm.dtype)

    def plan(self, height: int, width: int) -> PixtralPlan:
        """The plan of one image under this processor's settings."""
        return self._cfg.plan(as_int("height", height), as_int("width", width))

    def num_tokens_many(
        self, heights: Any, widths: Any, *, wrappers: bool = False, errors: str = "raise"
    ) -> np.ndarray:
        """:func:`num_tokens_many` under this processor's settings."""
        return self._cfg.num_tokens_many(
            as_int64_array("heights", heights, ndim=1),
            as_int64_array("widths", widths, ndim=1),
            errors=as_choice("errors", errors, ("raise", "mask")),
            wrappers=bool(wrappers),
        )

    def layout(self, input_ids: Any, image_sizes: Any, **token_ids: int) -> np.ndarray:
        """:func:`layout` with this processor's patch and merge sizes."""
        return layout(
            input_ids,
            image_sizes,
            patch_size=self.patch_size,
            spatial_merge_size=self.spatial_merge_size,
            **token_ids,
        )

    def __call__(self, images: Any, *, out: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
        """Preprocesses one image or a list of images (uint8 arrays and/or PIL images).

        Returns:
            ``pixel_values`` ``(n, 3, H, W)`` with ``H × W`` the largest resized sides
            (``(0, 3, 0, 0)`` for no images) and ``image_sizes`` ``(n, 2)`` int64 resized
            ``(height, width)``. With ``out=``, values are written there (checked).
        """
        arrays = as_image_list(images)
        plans = []
        for i, a in enumerate(arrays):
            try:
                plans.append(self._cfg.plan(a.shape[0], a.shape[1]))
            except DynresError as e:
                raise type(e)(f"image {i} of shape {a.shape}: {e}") from None
        canvas = (
            max((p.resized[0] for p in plans), default=0),
            max((p.resized[1] for p in plans), default=0),
        )
        buf = self._norm.buffer(out, (len(arrays), 3, *canvas))
        self._cfg.pixel_values(arrays, plans, canvas, self._norm.table, buf)
        sizes = np.asarray([p.resized for p in plans], dtype=np.int64).reshape(len(plans), 2)
        return {"pixel_values": self._norm.present(buf), "image_sizes": sizes}

    @classmethod
    def from_pretrained(cls, path: Any, **overrides: Any) -> ImageProcessor:
        """A processor with a checkpoint's settings, from a local model directory or a
        ``preprocessor_config.json``; ``compat`` defaults to ``"torchvision"`` (what
        ``AutoImageProcessor`` loads when torchvision is installed).

        ``patch_size`` and ``spatial_merge_size`` come from ``processor_config.json``
        (``PixtralProcessor``'s settings), else ``config.json`` (``vision_config.patch_size``,
        ``spatial_merge_size``), else the preprocessor config with a merge of 1.

        Raises:
            DynresError: a setting this family cannot reproduce exactly (named), or no
                such local path.
        """
        ck = _pretrained.load(path)
        pre, src = ck.preprocessor, ck.source
        for key, want, default in (
            ("do_resize", True, True),
            ("do_rescale", True, True),
            ("do_normalize", True, True),
            ("do_convert_rgb", True, True),
            ("do_pad", True, True),
            ("do_center_crop", False, False),
        ):
            _pretrained.require(pre, key, want, default, src)
        _pretrained.require_rescale(pre, src)
        kw: Dict[str, Any] = {"compat": "torchvision"}
        size = pre.get("size")
        if size is not None:
            if not isinstance(size, dict) or set(size) - {"longest_edge"}:
                raise DynresError(
                    f"{src}: size={size!r} is not supported (only {{'longest_edge': N}})"
                )
            kw["longest_edge"] = size["longest_edge"]
        patch = _square_patch(pre.get("patch_size"), src)
        vision = ck.config.get("vision_config") or {}
        if "patch_size" in ck.processor or "spatial_merge_size" in ck.processor:
            patch = _square_patch(ck.processor.get("patch_size", patch), src)
            kw["spatial_merge_size"] = ck.processor.get("spatial_merge_size", 1)
        elif "spatial_merge_size" in ck.config:
            patch = _square_patch(vision.get("patch_size", patch), src)
            kw["spatial_merge_size"] = ck.config["spatial_merge_size"]
        if patch is not None:
            kw["patch_size"] = patch
        for key in ("image_mean", "image_std", "resample"):
            if pre.get(key) is not None:
                kw[key] = pre[key]
        return cls(**{**kw, **overrides})


def _square_patch(value: Any, source: str) -> Optional[int]:
    """A patch size given as an int or a ``{"height", "width"}`` dict of equal sides."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, dict) and set(value) == {"height", "width"}:
        if value["height"] == value["width"]:
            return as_int("patch_size", value["height"])
    raise DynresError(f"{source}: patch_size={value!r} is not supported (square patches only)")
