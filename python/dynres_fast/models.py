"""Model registry: one name per checkpoint family → its planning functions.

Every registered model offers the same two calls, which the CLI and dataset tools use:

- ``plan(height, width, **overrides)`` → the family's plan (with ``num_tokens`` and
  ``wrapper_tokens``);
- ``num_tokens_many(heights, widths, **overrides)`` → an int64 array, vectorised.

``family`` is the model's family module (``qwen2vl``, ``internvl``, ...), which every
family shapes the same way (see the README's "The family contract"). Another model
registers with a few lines, e.g.::

    _register_preset("internvl2.5-6", "InternVL 2.5, up to 6 tiles", internvl,
                     ("min_num",), max_num=6)

Qwen clips (``total_frames=`` frames in the clip, ``video_fps=`` its frame rate) follow
qwen-vl-utils 0.0.14 ``fetch_video`` — the path the Qwen model cards use (see
:func:`qwen2vl.plan`).
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

from . import internvl, llava_onevision, oryx, qwen2vl
from .errors import DynresError

__all__ = [
    "ModelSpec",
    "get",
    "names",
    "plan_fields",
    "register",
]


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: its name, a one-line description and its planning calls.

    ``plan(height, width, **overrides)`` returns the family's plan;
    ``num_tokens_many(heights, widths, **overrides)`` returns int64 counts; ``processor()``
    builds the checkpoint's ``ImageProcessor``. ``family`` is the family module (its
    ``describe(plan)`` and ``draw(image, plan, title)`` serve the CLI), and ``options``
    names the overrides the model accepts (the CLI checks flags against it).
    """

    name: str
    description: str
    plan: Callable[..., Any]
    num_tokens_many: Callable[..., np.ndarray]
    processor: Callable[..., Any]
    family: ModuleType
    options: Tuple[str, ...] = ()

    def check_options(self, overrides: Dict[str, Any]) -> Dict[str, Any]:
        """Drops ``None`` values; a DynresError for an override this model has no use for."""
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            raise DynresError(
                f"model {self.name!r} does not accept {', '.join(unknown)}; it accepts "
                f"{', '.join(self.options) or 'no options'}"
            )
        return given


def plan_fields(plan: Any) -> Dict[str, Any]:
    """Every field of a family plan (its properties), tuples as lists: JSON-ready."""
    out: Dict[str, Any] = {}
    for name in dir(type(plan)):
        if name.startswith("_") or not inspect.isdatadescriptor(getattr(type(plan), name)):
            continue
        v = getattr(plan, name)
        out[name] = (
            [list(x) if isinstance(x, tuple) else x for x in v] if isinstance(v, tuple) else v
        )
    return out


_REGISTRY: Dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Adds (or replaces) a model under ``spec.name``."""
    _REGISTRY[spec.name] = spec
    return spec


def names() -> List[str]:
    """The registered model names, sorted."""
    return sorted(_REGISTRY)


def get(name: str) -> ModelSpec:
    """The model registered as ``name``; a DynresError listing the known names otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise DynresError(f"unknown model {name!r}; known models: {', '.join(names())}") from None


_QWEN_OPTIONS = ("total_frames", "video_fps", "min_pixels", "max_pixels", "fps", "total_pixels")


def _register_preset(
    name: str, description: str, family: ModuleType, options: Tuple[str, ...], **preset: Any
) -> None:
    """Registers ``family`` at the checkpoint settings ``preset`` (ImageProcessor keywords);
    an override of ``None`` keeps the preset."""

    def plan(height: int, width: int, **overrides: Any) -> Any:
        return family.plan(height, width, **{**preset, **_given(overrides)})

    def num_tokens_many(heights: Any, widths: Any, **overrides: Any) -> np.ndarray:
        return family.num_tokens_many(heights, widths, **{**preset, **_given(overrides)})

    processor = functools.partial(family.ImageProcessor, **preset)
    register(ModelSpec(name, description, plan, num_tokens_many, processor, family, options))


def _given(overrides: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in overrides.items() if v is not None}


_QWEN2 = {"min_pixels": 3136, "max_pixels": 12845056}
_register_preset(
    "qwen2-vl",
    "Qwen2-VL hub config: patch 14, 3,136..12,845,056 px",
    qwen2vl,
    _QWEN_OPTIONS,
    **_QWEN2,
)
_register_preset(
    "qwen2.5-vl",
    "Qwen2.5-VL hub config: patch 14, 3,136..12,845,056 px",
    qwen2vl,
    _QWEN_OPTIONS,
    **_QWEN2,
)
_register_preset(
    "qwen3-vl",
    "Qwen3-VL hub config: patch 16, 65,536..16,777,216 px",
    qwen2vl,
    _QWEN_OPTIONS,
    min_pixels=65536,
    max_pixels=16777216,
    patch_size=16,
    image_mean=(0.5, 0.5, 0.5),
    image_std=(0.5, 0.5, 0.5),
)
_register_preset(
    "qwen2-vl-default",
    "Qwen2VLImageProcessor() class defaults: patch 14, 3,136..1,003,520 px",
    qwen2vl,
    _QWEN_OPTIONS,
)
_register_preset(
    "internvl",
    "InternVL 1.5/2/2.5: 448-px tiles, 1..12 of them, plus a thumbnail",
    internvl,
    ("max_num", "min_num"),
)
_register_preset(
    "llava-onevision",
    "LLaVA-OneVision: anyres_max_9 canvas of 384-px crops, transformers token count",
    llava_onevision,
    (),
    image_mean=llava_onevision.SIGLIP_MEAN,
    image_std=llava_onevision.SIGLIP_STD,
)
_register_preset(
    "oryx",
    "Oryx / Oryx-1.5: native resolution up to 1536 px plus a ~384² low-res view",
    oryx,
    (),
)
