"""``from_pretrained``: the right family processor for a local checkpoint.

The family is detected from ``config.json``'s ``model_type`` and the preprocessor config's
``image_processor_type``; each family's ``ImageProcessor`` declares the names it accepts
(``MODEL_TYPES``, ``IMAGE_PROCESSOR_TYPES``) and reads its own settings
(``ImageProcessor.from_pretrained``, ``VideoProcessor.from_pretrained`` with the
``video_preprocessor_config.json``), so this module is only the table. Nothing is
downloaded.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any, Dict, List, Optional, Tuple, Type

from ._family import ConfigSource, FamilyProcessor, read_config
from .errors import DynresError

__all__ = ["FAMILIES", "detect", "from_pretrained", "video_processor_from_pretrained"]

#: The family modules, in the order detection tries them.
FAMILIES = ("qwen2vl", "internvl", "llava_onevision", "oryx", "pixtral")


def _processors() -> List[Tuple[str, Type[FamilyProcessor]]]:
    return [
        (name, importlib.import_module(f".{name}", __package__).ImageProcessor) for name in FAMILIES
    ]


def _processor_type(cfg: Dict[str, Any]) -> Optional[str]:
    """``image_processor_type`` without the backend suffix (``Fast`` in 4.x, ``Pil`` in 5.x)."""
    name = cfg.get("image_processor_type")
    if not isinstance(name, str):
        return None
    for suffix in ("Fast", "Pil"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _detect(cfg: Dict[str, Any], model: Dict[str, Any]) -> Tuple[str, bool]:
    """``(family, named by a transformers image processor type)``."""
    mt, ipt = model.get("model_type"), _processor_type(cfg)
    procs = _processors()
    by_model = [n for n, cls in procs if mt in cls.MODEL_TYPES]  # type: ignore[attr-defined]
    by_proc = [n for n, cls in procs if ipt in cls.IMAGE_PROCESSOR_TYPES]  # type: ignore[attr-defined]
    if by_model and by_proc and by_model[0] != by_proc[0]:
        raise DynresError(
            f"model_type {mt!r} is a {by_model[0]} checkpoint but image_processor_type "
            f"{cfg.get('image_processor_type')!r} is {by_proc[0]}'s; refusing to guess"
        )
    if by_model or by_proc:
        return (by_model or by_proc)[0], bool(by_proc)
    supported = sorted({t for _, cls in procs for t in cls.MODEL_TYPES})  # type: ignore[attr-defined]
    raise DynresError(
        f"unsupported model: model_type={mt!r}, image_processor_type="
        f"{cfg.get('image_processor_type')!r}; supported model types: {', '.join(supported)}"
    )


def detect(source: ConfigSource) -> str:
    """The family module name (one of :data:`FAMILIES`) of a local model directory or
    preprocessor config.

    ``model_type`` decides when a family claims it, else ``image_processor_type`` does
    (Pixtral-12B's ``model_type`` is the generic ``"llava"``).

    Raises:
        DynresError: no family claims the checkpoint (naming its types), the two names point
            at different families, or no such local path (hub ids are not downloaded).
    """
    return _detect(*read_config(source))[0]


def from_pretrained(source: ConfigSource, **overrides: Any) -> FamilyProcessor:
    """The family ``ImageProcessor`` of a local model directory (``config.json`` and
    ``preprocessor_config.json``) or a ``preprocessor_config.json`` (path or dict), with the
    checkpoint's settings; ``overrides`` (``compat=``, ``dtype=``, …) win over the files.

    Like ``transformers.AutoImageProcessor``, a checkpoint whose preprocessor config names
    a transformers image processor gets that class's torchvision backend
    (``compat="torchvision"``) when torchvision is installed, its Pil backend
    (``"pillow"``) otherwise. Checkpoints run by their authors' code (OpenGVLab's InternVL
    layout, Oryx) keep the family default, Pillow, as that code uses.

    Raises:
        DynresError: an unknown model, a setting the family cannot reproduce exactly
            (named; never approximated), or a path that is not local (no network).
    """
    cfg, model = read_config(source)
    family, hf_class = _detect(cfg, model)
    if hf_class and "compat" not in overrides:
        has_tv = importlib.util.find_spec("torchvision") is not None
        overrides["compat"] = "torchvision" if has_tv else "pillow"
    return dict(_processors())[family].from_pretrained(source, **overrides)


def video_processor_from_pretrained(source: Any, **overrides: Any) -> Any:
    """The family ``VideoProcessor`` of a local model directory: transformers 5.x's video
    processor (torchvision) with the checkpoint's ``video_preprocessor_config.json`` (else
    its ``preprocessor_config.json``), like ``transformers.AutoVideoProcessor``.

    Raises:
        DynresError: as :func:`from_pretrained`, or a family without a video processor
            (Oryx, Pixtral).
    """
    family, _ = _detect(*read_config(source))
    module = importlib.import_module(f".{family}", __package__)
    if not hasattr(module, "VideoProcessor"):
        raise DynresError(f"{family} checkpoints have no video processor")
    return module.VideoProcessor.from_pretrained(source, **overrides)
