"""``from_pretrained``: the right family processor for a local checkpoint.

The family is detected from ``config.json``'s ``model_type`` and the preprocessor config's
``image_processor_type``; each family's ``ImageProcessor`` declares the names it accepts
(``MODEL_TYPES``, ``IMAGE_PROCESSOR_TYPES``) and reads its own settings
(``ImageProcessor.from_pretrained``), so this module is only the table. Nothing is
downloaded.
"""

from __future__ import annotations

import importlib
from typing import Any, List, Tuple

from . import _pretrained
from .errors import DynresError

__all__ = ["FAMILIES", "detect", "from_pretrained"]

#: The family modules, in the order detection tries them.
FAMILIES = ("qwen2vl", "internvl", "llava_onevision", "oryx", "pixtral")


def _processors() -> List[Tuple[str, Any]]:
    return [
        (name, importlib.import_module(f".{name}", __package__).ImageProcessor) for name in FAMILIES
    ]


def detect(path: Any) -> str:
    """The family module name (one of :data:`FAMILIES`) for a local checkpoint.

    ``model_type`` decides when a family claims it; otherwise ``image_processor_type``
    (``Fast``/``Pil`` suffixes ignored) does — e.g. Pixtral-12B's ``model_type`` is the
    generic ``"llava"``.

    Raises:
        DynresError: no family claims the checkpoint (naming its types), or the two names
            point at different families; no such local path.
    """
    ck = _pretrained.load(path)
    mt, ipt = ck.model_type, ck.image_processor_type
    by_model = [n for n, cls in _processors() if mt in getattr(cls, "MODEL_TYPES", ())]
    by_proc = [n for n, cls in _processors() if ipt in getattr(cls, "IMAGE_PROCESSOR_TYPES", ())]
    if by_model and by_proc and by_model[0] != by_proc[0]:
        raise DynresError(
            f"{ck.source}: model_type {mt!r} is {by_model[0]} but image_processor_type "
            f"{ipt!r} is {by_proc[0]}; refusing to guess"
        )
    if by_model or by_proc:
        return (by_model or by_proc)[0]
    supported = sorted({t for _, cls in _processors() for t in getattr(cls, "MODEL_TYPES", ())})
    raise DynresError(
        f"{ck.source}: unsupported model (model_type={mt!r}, image_processor_type="
        f"{ck.preprocessor.get('image_processor_type')!r}); supported model types: "
        f"{', '.join(supported)}"
    )


def from_pretrained(path: Any, **overrides: Any) -> Any:
    """The family ``ImageProcessor`` of a local model directory (``config.json`` plus
    ``preprocessor_config.json``, ``processor_config.json`` and
    ``video_preprocessor_config.json`` where present) or a lone
    ``preprocessor_config.json``, with the checkpoint's settings; ``overrides`` (e.g.
    ``compat="pillow"``, ``dtype="bfloat16"``) win over the files.

    Raises:
        DynresError: an unknown model, a setting the family cannot reproduce exactly
            (named; never approximated), or a path that is not local (no network).
    """
    ck = _pretrained.load(path)
    family = detect(ck)
    cls = dict(_processors())[family]
    return cls.from_pretrained(ck, **overrides)
