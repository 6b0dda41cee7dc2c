"""Coercion of option strings, flags and frame-rate arguments for the family modules."""

from __future__ import annotations

import functools
import importlib.metadata
import math
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from . import _core, _lut
from ._coerce import as_int, as_number
from .errors import DynresError


def as_choice(name: str, value: Any, options: Sequence[str]) -> str:
    """Returns ``value`` if it is one of ``options``; TypeError for non-strings."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} {value!r}")
    if value not in options:
        allowed = ", ".join(repr(o) for o in options)
        raise DynresError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def as_bool(name: str, value: Any) -> bool:
    """Returns ``value`` as a bool; TypeError for anything but bools."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def as_optional_number(name: str, value: Any) -> Optional[float]:
    """``None`` or :func:`as_number`."""
    return None if value is None else as_number(name, value)


def as_bound(value: Any) -> Optional[Tuple[float, float]]:
    """``None`` or a ``(start, end)`` pair of numbers (seconds)."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise TypeError(f"bound must be a (start, end) pair of seconds, got {value!r}")
    return as_number("bound[0]", value[0]), as_number("bound[1]", value[1])


def as_pinpoints(value: Any) -> list:
    """A list of ``(a, b)`` positive integer pairs; TypeError for non-integers."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"pinpoints must be a sequence of pairs, got {value!r}")
    out = []
    for p in value:
        if isinstance(p, (str, bytes)) or not hasattr(p, "__len__") or len(p) != 2:
            raise TypeError(f"each pinpoint must be a pair of integers, got {p!r}")
        out.append((as_int("pinpoint side", p[0]), as_int("pinpoint side", p[1])))
    if not out:
        raise DynresError("pinpoints must hold at least one pair, got none")
    return out


def as_triple(name: str, values: Any) -> Tuple[float, float, float]:
    """Three per-channel numbers (a single number is repeated)."""
    if isinstance(values, (int, float, np.integer, np.floating)) and not isinstance(
        values, (bool, np.bool_)
    ):
        values = (values,) * 3
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be 3 numbers, got {values!r}")
    vals = tuple(as_number(name, v) for v in values)
    if len(vals) != 3:
        raise DynresError(f"{name} must have 3 values (one per RGB channel), got {len(vals)}")
    return vals  # type: ignore[return-value]


#: transformers' ``OPENAI_CLIP_MEAN`` / ``OPENAI_CLIP_STD`` (CLIP's normalisation).
OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

#: Resize filters (Pillow's names), in Pillow's order of cost.
FILTERS: Tuple[str, ...] = _core.FILTERS


def as_mean_std(
    image_mean: Any, image_std: Any
) -> Tuple[Tuple[float, float, float], Tuple[float, float, float]]:
    """Per-channel mean and std: finite numbers, the std non-zero (a single number is
    repeated). Every processor's normalisation goes through here."""
    mean = as_triple("image_mean", image_mean)
    std = as_triple("image_std", image_std)
    if not all(math.isfinite(m) for m in mean):
        raise DynresError(f"image_mean must be finite numbers, got {mean}")
    if not all(math.isfinite(s) and s != 0 for s in std):
        raise DynresError(f"image_std must be finite non-zero numbers, got {std}")
    return mean, std


#: PIL resample codes (``PIL.Image.Resampling``) and the filter each names.
RESAMPLE_CODES = dict(enumerate(_core.PIL_RESAMPLE))
#: Filters torchvision's uint8 antialiased resize has (the fast processors' interpolation).
TORCHVISION_FILTERS = ("bilinear", "bicubic")
#: Slow processors only (no fast twin in transformers).
SLOW_COMPATS = ("pillow", "pillow12")
#: Slow processors, or the fast (torchvision) one.
ALL_COMPATS: Tuple[str, ...] = _core.COMPATS
#: Which upstream implementation a family reproduces where they disagree.
REFERENCES: Tuple[str, ...] = _core.REFERENCES


#: ``reference`` values naming transformers: the installed release (5.x when transformers
#: is absent) or a pinned major version. They differ on alpha, which 4.x drops and 5.x
#: composites onto white.
TRANSFORMERS_REFERENCES = ("transformers", "transformers5", "transformers4")


@functools.lru_cache(maxsize=1)
def installed_transformers_major() -> int:
    """4 when transformers 4.x or older is installed, else 5 (also when it is absent).
    Reads the installed version's metadata; transformers itself is not imported."""
    try:
        major = int(importlib.metadata.version("transformers").split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return 5
    return 4 if major <= 4 else 5


def transformers_major(reference: str) -> Optional[int]:
    """The transformers major version a ``reference`` follows (``"transformers"``: the
    installed one); ``None`` for the original (non-transformers) code."""
    if reference == "transformers":
        return installed_transformers_major()
    return {"transformers5": 5, "transformers4": 4}.get(reference)


def as_reference(value: Any, options: Sequence[str]) -> str:
    """One of a family's ``options`` or, where ``"transformers"`` is one, a pinned major
    version (``"transformers5"``, ``"transformers4"``)."""
    pinned = TRANSFORMERS_REFERENCES[1:] if "transformers" in options else ()
    return as_choice("reference", value, tuple(options) + pinned)


def core_reference(reference: str) -> str:
    """The core's name for a reference: the pinned transformers versions plan alike."""
    return "transformers" if reference in TRANSFORMERS_REFERENCES else reference


def alpha_rule(reference: str, compat: str) -> str:
    """How RGB conversion treats alpha under ``reference`` (the core's ``Alpha`` names):
    dropped by transformers 4.x and by the original code (Pillow's ``convert("RGB")``);
    onto white by 5.x — ``"white_torch"`` (float32, truncated) for arrays in its
    torchvision backend (``compat="torchvision"``), else ``"white"`` (rounded)."""
    if transformers_major(reference) != 5:
        return "drop"
    return "white_torch" if compat == "torchvision" else "white"


def as_resample(value: Any, compat: str) -> str:
    """A filter name (or PIL resample code) valid for ``compat``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        if int(value) not in RESAMPLE_CODES:
            raise DynresError(f"resample code must be one of {sorted(RESAMPLE_CODES)}, got {value}")
        value = RESAMPLE_CODES[int(value)]
    name = as_choice("resample", value, FILTERS)
    if compat == "torchvision" and name not in TORCHVISION_FILTERS:
        raise DynresError(
            f"compat 'torchvision' supports resample {' and '.join(TORCHVISION_FILTERS)} "
            f"(torchvision's uint8 antialiased resize), got {name!r}"
        )
    return name


class Normalisation:
    """Mean/std, output dtype, resize filter and compat shared by the family processors.

    ``compat="torchvision"`` (where ``compats`` allows it) selects the fast processors'
    resize and their fused normalisation table (see ``_lut``).
    """

    def __init__(
        self,
        image_mean: Any,
        image_std: Any,
        compat: Any,
        dtype: Any,
        *,
        compats: Sequence[str] = SLOW_COMPATS,
        resample: Any = "bicubic",
    ) -> None:
        self.image_mean, self.image_std = as_mean_std(image_mean, image_std)
        if compat == "torchvision" and "torchvision" not in compats:
            raise DynresError(
                "compat 'torchvision' reproduces transformers' fast (torchvision) processors "
                f"and this processor has none; accepted: {', '.join(map(repr, compats))}"
            )
        self.compat = as_choice("compat", compat, compats)
        self.resample = as_resample(resample, self.compat)
        self.dtype = as_choice("dtype", dtype, _lut.DTYPES)
        self.table = _lut.table(self.image_mean, self.image_std, self.dtype, self.compat)
        _lut.check_finite(self.table, self.dtype, self.image_mean, self.image_std)
        self.table = _lut.kernel_table(
            self.table, self.image_mean, self.image_std, self.dtype, self.compat
        )
        self.storage = _lut.storage_dtype(self.dtype)

    def present(self, values: np.ndarray) -> np.ndarray:
        """Views kernel output as the user-facing dtype."""
        return _lut.present(values, self.dtype)
