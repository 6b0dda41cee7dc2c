"""What every family module shares: the processor base class (plans, output buffers,
``from_pretrained``) and the cached processors behind the module-level ``plan`` and
``num_tokens_many``.

A family module defines ``ImageProcessor(FamilyProcessor)``, whose keyword-only
constructor is the one place its defaults live; its module-level ``plan(height, width,
**params)`` and ``num_tokens_many(heights, widths, **params)`` call the processor built
(once per parameter set) by :func:`processor_for`.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Type, TypeVar, Union

import numpy as np

from ._choices import Normalisation, alpha_rule, as_choice
from ._coerce import as_int, as_int64_array, checked_empty
from .errors import DynresError
from .io import read_json_object
from .pool import OutputPool

ConfigSource = Union[Mapping[str, Any], str, "os.PathLike[str]"]

#: Settings of a ``preprocessor_config.json`` that every family reproduces only at these
#: values (the transformers defaults); anything else is refused, never approximated.
_FIXED = {
    "do_resize": True,
    "do_rescale": True,
    "rescale_factor": 1 / 255,
    "do_normalize": True,
    "do_convert_rgb": True,
}

P = TypeVar("P", bound="FamilyProcessor")


def read_config(source: ConfigSource) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """``(preprocessor_config, model_config)`` from a dict, a ``preprocessor_config.json``
    path, or a model directory (its ``preprocessor_config.json`` and ``config.json``; one
    of them may be missing, e.g. Oryx ships no preprocessor config). A missing file reads
    as ``{}``."""
    if isinstance(source, Mapping):
        return dict(source), {}
    if not isinstance(source, (str, os.PathLike)):
        # Never os.fspath / open() a bool or int: open(1) reads (and then closes) stdout.
        raise TypeError(
            "config must be a dict, a path to a preprocessor_config.json or a model "
            f"directory, got {type(source).__name__} {source!r}"
        )
    path = os.fspath(source)
    if not isinstance(path, str):
        raise TypeError(f"config must be a str or os.PathLike of str, got {path!r}")
    model: Dict[str, Any] = {}
    if os.path.isdir(path):
        model_path = os.path.join(path, "config.json")
        if os.path.exists(model_path):
            model = _load(model_path)
        path = os.path.join(path, "preprocessor_config.json")
        if model and not os.path.exists(path):
            return {}, model
    if not os.path.exists(path):
        raise DynresError(
            f"no preprocessor config at {path!r}; pass a preprocessor_config.json or a local "
            "model directory holding one (hub ids are not downloaded)"
        )
    return _load(path), model


def _load(path: str) -> Dict[str, Any]:
    return read_json_object(path, "config")


def check_fixed(cfg: Mapping[str, Any]) -> None:
    """Refuses settings no family reproduces (``do_rescale=False`` and the like)."""
    for key, want in _FIXED.items():
        got = cfg.get(key)
        if got is None:
            continue
        same = abs(got - want) < 1e-12 if isinstance(want, float) else got == want
        if not same:
            raise DynresError(
                f"preprocessor config sets {key}={got!r}; dynres_fast reproduces only "
                f"{key}={want!r}"
            )


def pick(cfg: Mapping[str, Any], keys: Sequence[str]) -> Dict[str, Any]:
    """The entries of ``cfg`` named in ``keys`` that are set (not None)."""
    return {k: cfg[k] for k in keys if cfg.get(k) is not None}


class FamilyProcessor:
    """The shape every family's ``ImageProcessor`` shares.

    Subclasses set ``_config`` (the family's frozen ``_core`` config) and ``_norm`` (mean,
    std, dtype, filter, compat) in their keyword-only constructor and implement
    :meth:`_from_config` (a ``preprocessor_config.json`` → constructor keywords). Their
    ``reuse_output`` keyword is read here (from the recorded keywords) by :meth:`_out`.
    """

    _config: Any
    _norm: Normalisation
    _kwargs: Dict[str, Any]
    _pool: Optional[OutputPool]
    #: Which upstream code the processor follows where implementations differ; a family
    #: without the choice follows its original code (which drops alpha).
    reference: str = "original"

    def __new__(cls, **kwargs: Any) -> FamilyProcessor:
        # The constructor keywords, so a processor pickles (DataLoader workers, Ray) by
        # being built again: the Rust config holds no state beyond them.
        self = super().__new__(cls)
        self._kwargs = dict(kwargs)
        return self

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_rebuild, (type(self), self._kwargs))

    @classmethod
    def from_pretrained(cls: Type[P], source: ConfigSource, **overrides: Any) -> P:
        """The processor of a checkpoint: ``source`` is a ``preprocessor_config.json``
        (path or dict) or a local model directory holding one. ``overrides`` win over the
        file; settings that cannot be reproduced exactly raise :class:`DynresError`."""
        cfg, model = read_config(source)
        check_fixed(cfg)
        return cls(**{**cls._from_config(cfg, model), **overrides})

    @classmethod
    def _from_config(cls, cfg: Mapping[str, Any], model: Mapping[str, Any]) -> Dict[str, Any]:
        raise NotImplementedError

    @property
    def dtype(self) -> str:
        """The output dtype name."""
        return self._norm.dtype

    @property
    def compat(self) -> str:
        """The resize/normalisation exactness target."""
        return self._norm.compat

    @property
    def _alpha(self) -> str:
        """What converting images to RGB does with alpha (``_choices.alpha_rule``)."""
        return alpha_rule(self.reference, self._norm.compat)

    @property
    def _video_alpha(self) -> str:
        """As :attr:`_alpha` for video frames, except with ``compat="torchvision"``: 5.x's
        video processors blend RGBA in float and resize in float, which is not reproduced,
        so alpha is left for the family's own check (refusal) there."""
        return "drop" if self._norm.compat == "torchvision" else self._alpha

    def plan(self, height: int, width: int) -> Any:
        """What this processor does with a ``height × width`` image (no pixels)."""
        return self._config.plan(as_int("height", height), as_int("width", width))

    def num_tokens_many(self, heights: Any, widths: Any, *, errors: str = "raise") -> np.ndarray:
        """``plan(h, w).num_tokens`` for arrays of sizes, vectorised in Rust (GIL released).

        ``errors="raise"`` stops at the first refused row (naming it); ``"mask"`` writes -1.
        """
        hs = as_int64_array("heights", heights, ndim=1)
        ws = as_int64_array("widths", widths, ndim=1)
        if hs.shape != ws.shape:
            raise DynresError(f"heights and widths differ in length: {hs.size} vs {ws.size}")
        return self._config.num_tokens_many(
            hs, ws, errors=as_choice("errors", errors, ("raise", "mask"))
        )

    def _plans(self, arrays: Sequence[np.ndarray], what: str = "image") -> List[Any]:
        plans = []
        for i, a in enumerate(arrays):
            try:
                plans.append(self._config.plan(a.shape[0], a.shape[1]))
            except DynresError as e:
                raise type(e)(f"{what} {i} of shape {a.shape}: {e}") from None
        return plans

    def _out(self, out: Optional[np.ndarray], shape: Tuple[int, ...]) -> np.ndarray:
        """The call's output in the storage type: ``out`` checked and viewed, else the
        reused buffer (``reuse_output=True``), else a fresh ``np.empty``."""
        storage = self._norm.storage
        if out is None:
            if self._kwargs.get("reuse_output"):
                pool = self.__dict__.get("_pool")
                if pool is None:
                    pool = self._pool = OutputPool()
                return pool.take(shape, storage)
            # The keywords that set the output's size are named in a refusal.
            given = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
            return checked_empty(
                shape,
                storage,
                f"{type(self).__module__}.{type(self).__name__}({given}) output for the "
                "images or videos given",
            )
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
        want = self._norm.present(np.empty(0, storage)).dtype
        if out.dtype != want:
            raise TypeError(f"out must have dtype {want} for dtype={self.dtype!r}, got {out.dtype}")
        if out.shape != shape:
            raise DynresError(f"out must have shape {shape} for this batch, got {out.shape}")
        if not out.flags.c_contiguous or not out.flags.writeable:
            raise DynresError("out must be a writeable C-contiguous array")
        return out.view(storage)


def _rebuild(cls: Type[P], kwargs: Dict[str, Any]) -> P:
    return cls(**kwargs)


def _key(params: Mapping[str, Any]) -> Tuple[Tuple[str, Any], ...]:
    def freeze(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return tuple(freeze(x) for x in v)
        return v

    return tuple(sorted((k, freeze(v)) for k, v in params.items()))


@functools.lru_cache(maxsize=64)
def _cached(cls: Type[FamilyProcessor], key: Tuple[Tuple[str, Any], ...]) -> FamilyProcessor:
    return cls(**dict(key))


def processor_for(cls: Type[P], params: Mapping[str, Any]) -> P:
    """``cls(**params)``, built once per distinct parameter set."""
    try:
        key = _key(params)
        hash(key)
    except TypeError:
        return cls(**params)
    return _cached(cls, key)  # type: ignore[arg-type, return-value]
