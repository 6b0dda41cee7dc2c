"""Pixtral (Mistral's dynamic-resolution family: Pixtral-12B, Mistral-Small-3.1).

An image larger than ``longest_edge`` is scaled down by one ratio (each side floored),
then each side is rounded up to the token unit ``patch_size · spatial_merge_size``; no
tiles, no crops. The prompt gets one ``[IMG]`` per token (``rows · cols``), an
``[IMG_BREAK]`` after each row and ``[IMG_END]`` instead of the last break.

Equal to transformers 5.x: ``compat="torchvision"`` reproduces ``PixtralImageProcessor``
(torchvision backend), ``compat="pillow"`` ``PixtralImageProcessorPil``, both bit for bit
in float32. ``spatial_merge_size`` is the ``PixtralProcessor`` setting (2 for
Mistral-Small-3.1): that processor hands the image processor ``patch_size ·
spatial_merge_size`` as its patch size, and so does this module. Sizes are ``(height,
width)``, grids ``(rows, cols)``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import _core
from ._choices import (
    ALL_COMPATS,
    OPENAI_CLIP_MEAN,
    OPENAI_CLIP_STD,
    Normalisation,
    as_bool,
    as_choice,
)
from ._coerce import as_int, as_int64_array
from ._family import FamilyProcessor, pick, processor_for
from ._images import as_image_list
from .errors import DynresError

__all__ = [
    "IMAGE_BREAK_TOKEN_ID",
    "IMAGE_END_TOKEN_ID",
    "IMAGE_TOKEN_ID",
    "ImageProcessor",
    "PixtralPlan",
    "describe",
    "draw",
    "layout",
    "num_tokens_many",
    "plan",
]

#: What Pixtral does with one image: ``scaled`` ``(height, width)`` after the longest-edge
#: scaling (floored), ``resized`` (``scaled`` rounded up to the token unit: the
#: processor's ``image_sizes``), ``grid`` ``(rows, cols)`` of tokens, ``num_tokens``
#: (``[IMG]``: rows · cols, the positions the vision features fill) and ``wrapper_tokens``
#: (``[IMG_BREAK]`` after each row but the last, then ``[IMG_END]``: rows).
PixtralPlan = _core.PixtralPlan

#: Token ids of ``[IMG]``, ``[IMG_BREAK]`` and ``[IMG_END]`` in the Tekken tokenizer of
#: Pixtral-12B and Mistral-Small-3.1 (``image_token_index`` 10 in their configs).
IMAGE_TOKEN_ID = 10
IMAGE_BREAK_TOKEN_ID = 12
IMAGE_END_TOKEN_ID = 13


def plan(height: int, width: int, **params: Any) -> PixtralPlan:
    """The Pixtral plan of an image of ``height × width``.

    ``params`` are the planning keywords of :class:`ImageProcessor` (``longest_edge``,
    ``patch_size``, ``spatial_merge_size``).

    Raises:
        AspectRatioError: a side scales to 0 (upstream's resize fails there too).
        DynresError: non-positive sides or settings.
        TypeError: non-integer arguments, unknown keywords.
    """
    return processor_for(ImageProcessor, params).plan(height, width)


def num_tokens_many(
    heights: Any, widths: Any, *, errors: str = "raise", wrappers: bool = False, **params: Any
) -> np.ndarray:
    """``plan(h, w, **params).num_tokens`` over arrays of sizes, vectorised in Rust (GIL
    released). ``wrappers=True`` adds ``wrapper_tokens``: the image's whole expansion in the
    prompt, ``rows · (cols + 1)`` (``PixtralProcessor._get_num_multimodal_tokens``).
    ``errors="mask"`` writes -1 for refused rows instead of raising."""
    proc = processor_for(ImageProcessor, params)
    return proc.num_tokens_many(heights, widths, errors=errors, wrappers=wrappers)


def _sizes(image_sizes: Any) -> List[Tuple[int, int]]:
    """``(height, width)`` pairs from an ``(n, 2)`` array, pairs or plans."""
    if isinstance(image_sizes, (str, bytes)) or not hasattr(image_sizes, "__iter__"):
        raise TypeError(f"image_sizes must be (height, width) pairs, got {image_sizes!r}")
    out = []
    for i, s in enumerate(image_sizes):
        if isinstance(s, PixtralPlan):
            out.append(s.resized)
            continue
        if isinstance(s, (str, bytes)) or not hasattr(s, "__len__") or len(s) != 2:
            raise TypeError(f"image_sizes[{i}] must be a (height, width) pair, got {s!r}")
        out.append((as_int(f"image_sizes[{i}][0]", s[0]), as_int(f"image_sizes[{i}][1]", s[1])))
    return out


def _token_id(name: str, value: Any) -> int:
    return as_int(name, value, minimum=-(2**63))


def layout(
    input_ids: Any,
    image_sizes: Any,
    *,
    image_token_id: int = IMAGE_TOKEN_ID,
    image_break_token_id: int = IMAGE_BREAK_TOKEN_ID,
    image_end_token_id: int = IMAGE_END_TOKEN_ID,
    **params: Any,
) -> np.ndarray:
    """An already-tokenized prompt with its ``k``-th ``[IMG]`` expanded for image ``k``.

    ``image_sizes`` are the processor's ``image_sizes`` (resized ``(height, width)``) or
    :class:`PixtralPlan` objects; each image becomes, per token row, ``cols`` ``[IMG]``
    then one ``[IMG_BREAK]``, the last one replaced by ``[IMG_END]`` — the ids
    ``PixtralProcessor`` produces for the same text. ``params`` are :class:`ImageProcessor`
    keywords (``patch_size``, ``spatial_merge_size`` set the token unit).

    Returns:
        The expanded ids, int64 ``(L',)``.

    Raises:
        GridMismatchError: the prompt's ``[IMG]`` count differs from the image count.
        DynresError: an image smaller than one token.
    """
    return processor_for(ImageProcessor, params).layout(
        input_ids,
        image_sizes,
        image_token_id=image_token_id,
        image_break_token_id=image_break_token_id,
        image_end_token_id=image_end_token_id,
    )


class ImageProcessor(FamilyProcessor):
    """Pixtral preprocessing: ``proc(images)`` returns ``pixel_values`` ``(n, 3, H, W)``
    (each image at the top left, zero-padded to the batch's largest resized size, as
    transformers pads after normalising) and ``image_sizes`` ``(n, 2)`` int64.

    ``ImageProcessor()`` equals ``PixtralImageProcessorPil()``; ``compat="torchvision"``
    equals ``PixtralImageProcessor()`` (the torchvision backend). Mistral-Small-3.1:
    ``ImageProcessor(longest_edge=1540, patch_size=14, spatial_merge_size=2)`` or
    :meth:`from_pretrained` on its directory.

    Args:
        longest_edge: the largest side kept without scaling (``size["longest_edge"]``).
        patch_size: the vision encoder's patch side.
        spatial_merge_size: the ``PixtralProcessor`` merge (token unit = patch · merge).
        do_pad: ``False`` returns one ``(3, h, w)`` array per image instead of the padded
            batch (as upstream's ``do_pad=False``).
        image_mean, image_std: per-channel normalisation (OpenAI CLIP by default).
        resample: the resize filter (``"bicubic"`` upstream), a name or PIL code.
        compat: ``"pillow"`` / ``"pillow12"`` (Pil backend) or ``"torchvision"``.
        dtype: ``"float32"``, ``"float16"``, ``"bfloat16"`` or ``"uint8"`` (raw bytes;
            padding is 0 in every dtype).
    """

    #: ``config.json`` model types of this family's checkpoints (Pixtral-12B's generic
    #: ``"llava"`` is recognised by its image processor type instead).
    MODEL_TYPES: Tuple[str, ...] = ("pixtral", "mistral3")
    #: ``image_processor_type`` names (``Fast``/``Pil`` suffix removed) of this family.
    IMAGE_PROCESSOR_TYPES: Tuple[str, ...] = ("PixtralImageProcessor",)

    def __init__(
        self,
        *,
        longest_edge: int = 1024,
        patch_size: int = 16,
        spatial_merge_size: int = 1,
        do_pad: bool = True,
        image_mean: Sequence[float] = OPENAI_CLIP_MEAN,
        image_std: Sequence[float] = OPENAI_CLIP_STD,
        resample: Any = "bicubic",
        compat: str = "pillow",
        dtype: str = "float32",
    ) -> None:
        self.longest_edge = as_int("longest_edge", longest_edge)
        self.patch_size = as_int("patch_size", patch_size)
        self.spatial_merge_size = as_int("spatial_merge_size", spatial_merge_size)
        self.do_pad = as_bool("do_pad", do_pad)
        self._norm = Normalisation(
            image_mean, image_std, compat, dtype, compats=ALL_COMPATS, resample=resample
        )
        self._config = _core.PixtralConfig(
            max_size=(self.longest_edge, self.longest_edge),
            patch_size=(self.patch_size, self.patch_size),
            spatial_merge_size=self.spatial_merge_size,
            resample=self._norm.resample,
            compat=self._norm.compat,
        )

    @classmethod
    def _from_config(cls, cfg: Mapping[str, Any], model: Mapping[str, Any]) -> Dict[str, Any]:
        # preprocessor_config.json of PixtralImageProcessor; the merge and the encoder's
        # patch from config.json (Mistral3's spatial_merge_size; Pixtral-12B has none: 1).
        if cfg.get("do_center_crop"):
            raise DynresError(
                f"preprocessor config sets do_center_crop={cfg['do_center_crop']!r}; "
                "dynres_fast reproduces only do_center_crop=False (Pixtral never crops)"
            )
        kw = pick(cfg, ("image_mean", "image_std", "resample", "do_pad"))
        size = cfg.get("size")
        if size is not None:
            if not isinstance(size, Mapping) or set(size) != {"longest_edge"}:
                raise DynresError(
                    f"preprocessor config sets size={size!r}; only {{'longest_edge': N}} is "
                    "supported"
                )
            kw["longest_edge"] = size["longest_edge"]
        patch = _square("patch_size", cfg.get("patch_size"))
        if "spatial_merge_size" in model:
            kw["spatial_merge_size"] = model["spatial_merge_size"]
            vision = model.get("vision_config") or {}
            patch = _square("vision_config.patch_size", vision.get("patch_size", patch))
        if patch is not None:
            kw["patch_size"] = patch
        return kw

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(longest_edge={self.longest_edge}, "
            f"patch_size={self.patch_size}, spatial_merge_size={self.spatial_merge_size}, "
            f"do_pad={self.do_pad}, resample={self._norm.resample!r}, "
            f"compat={self._norm.compat!r}, dtype={self._norm.dtype!r})"
        )

    def num_tokens_many(
        self, heights: Any, widths: Any, *, errors: str = "raise", wrappers: bool = False
    ) -> np.ndarray:
        """``plan(h, w).num_tokens`` for arrays of sizes, vectorised in Rust (GIL released);
        with ``wrappers=True`` plus ``wrapper_tokens`` (the whole prompt expansion)."""
        if not as_bool("wrappers", wrappers):
            return super().num_tokens_many(heights, widths, errors=errors)
        hs = as_int64_array("heights", heights, ndim=1)
        ws = as_int64_array("widths", widths, ndim=1)
        if hs.shape != ws.shape:
            raise DynresError(f"heights and widths differ in length: {hs.size} vs {ws.size}")
        return self._config.num_tokens_many(
            hs, ws, as_choice("errors", errors, ("raise", "mask")), wrappers=True
        )

    def layout(
        self,
        input_ids: Any,
        image_sizes: Any,
        *,
        image_token_id: int = IMAGE_TOKEN_ID,
        image_break_token_id: int = IMAGE_BREAK_TOKEN_ID,
        image_end_token_id: int = IMAGE_END_TOKEN_ID,
    ) -> np.ndarray:
        """:func:`layout` with this processor's token unit."""
        return self._config.layout(
            as_int64_array("input_ids", input_ids, ndim=1),
            _sizes(image_sizes),
            image_token_id=_token_id("image_token_id", image_token_id),
            image_break_token_id=_token_id("image_break_token_id", image_break_token_id),
            image_end_token_id=_token_id("image_end_token_id", image_end_token_id),
        )

    def __call__(self, images: Any, *, out: Optional[np.ndarray] = None) -> Dict[str, Any]:
        """Preprocesses one image or a list of images (uint8 arrays and/or PIL images).

        Returns:
            ``pixel_values`` ``(n, 3, H, W)`` with ``H × W`` the largest resized sides
            (``(0, 3, 0, 0)`` for no images) — with ``do_pad=False`` a list of ``(3, h, w)``
            arrays, views of one buffer — and ``image_sizes`` ``(n, 2)`` int64 resized
            ``(height, width)``. With ``out=``, values are written there (shape and dtype
            checked; 1-D ``Σ 3·h·w`` values with ``do_pad=False``).
        """
        arrays = as_image_list(images)
        plans = self._plans(arrays)
        sizes = np.asarray([p.resized for p in plans], dtype=np.int64).reshape(len(plans), 2)
        if not self.do_pad:
            lens = [3 * h * w for h, w in sizes.tolist()]
            buf = self._out(out, (sum(lens),))
            self._config.pixel_values(arrays, plans, self._norm.table, buf)
            starts = np.cumsum([0] + lens)
            values: Any = [
                self._norm.present(buf[a:b].reshape(3, h, w))
                for a, b, (h, w) in zip(starts, starts[1:], sizes.tolist())
            ]
            return {"pixel_values": values, "image_sizes": sizes}
        canvas = (int(sizes[:, 0].max(initial=0)), int(sizes[:, 1].max(initial=0)))
        buf = self._out(out, (len(arrays), 3, *canvas))
        self._config.padded_pixel_values(arrays, plans, canvas, self._norm.table, buf)
        return {"pixel_values": self._norm.present(buf), "image_sizes": sizes}


def _square(name: str, value: Any) -> Optional[int]:
    """A patch size given as an int, ``[h, w]`` or a ``{"height", "width"}`` dict of equal
    sides (``None`` when absent)."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, Mapping) and set(value) == {"height", "width"}:
        value = (value["height"], value["width"])
    if isinstance(value, (list, tuple)) and len(value) == 2 and value[0] == value[1]:
        return as_int(name, value[0])
    raise DynresError(f"{name}={value!r} is not supported (square patches only)")


def describe(plan: PixtralPlan) -> Tuple[str, str]:
    """``(what the image becomes, how it is cut)`` for tables."""
    rows, cols = plan.grid
    return f"{plan.resized[0]}x{plan.resized[1]}", f"{rows}x{cols} tokens + {rows} breaks"


def draw(image: Any, plan: PixtralPlan, title: str, *, patches: bool = False) -> Any:
    """A PIL picture of ``image`` (PIL RGB) resized as ``plan`` says with its token grid
    (one ``[IMG]`` per cell; ``patches`` is accepted for the common signature, the plan
    does not say how a token splits into encoder patches)."""
    from PIL import Image

    from . import _show

    rh, rw = plan.resized
    rows, cols = plan.grid
    canvas = image.resize((rw, rh), Image.Resampling.BICUBIC)
    text = (
        f"{title}: {image.height}x{image.width} -> {rh}x{rw} px, {rows}x{cols} tokens of "
        f"{rh // rows} px + {plan.wrapper_tokens} [IMG_BREAK]/[IMG_END] = "
        f"{plan.num_tokens + plan.wrapper_tokens} prompt tokens"
    )
    grid = [(rh // rows, rw // cols, _show.MERGE_LINE, 2)]
    return _show.compose(_show.gridded(canvas, grid), [], text)
