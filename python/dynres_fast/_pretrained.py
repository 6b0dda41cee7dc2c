"""Reading a checkpoint's JSON settings from a local directory (no network), and the
checks each family's ``from_pretrained`` uses to refuse settings it cannot honour."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

from .errors import DynresError

#: The image processors' ``rescale_factor`` of every supported checkpoint.
RESCALE_1_255 = 1 / 255


@dataclass(frozen=True)
class Checkpoint:
    """The JSON files of one local model directory (missing files are empty dicts).

    Attributes:
        source: the path it was read from.
        config: ``config.json``.
        preprocessor: ``preprocessor_config.json`` (or ``processor_config.json``'s nested
            ``image_processor``, as some 5.x checkpoints ship it).
        processor: ``processor_config.json`` (the multimodal processor's own settings).
        video: ``video_preprocessor_config.json``.
    """

    source: str
    config: Dict[str, Any] = field(default_factory=dict)
    preprocessor: Dict[str, Any] = field(default_factory=dict)
    processor: Dict[str, Any] = field(default_factory=dict)
    video: Dict[str, Any] = field(default_factory=dict)

    @property
    def model_type(self) -> Optional[str]:
        """``config.json``'s ``model_type`` (``None`` without a config)."""
        value = self.config.get("model_type")
        return value if isinstance(value, str) else None

    @property
    def image_processor_type(self) -> Optional[str]:
        """The image processor class the checkpoint names, ``Fast`` suffix removed."""
        value = self.preprocessor.get("image_processor_type")
        if not isinstance(value, str):
            return None
        return value[: -len("Fast")] if value.endswith("Fast") else value


def _read(path: str) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise DynresError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise DynresError(f"{path} must hold a JSON object, got {type(data).__name__}")
    return data


def load(path: Any) -> Checkpoint:
    """Reads a model directory (``config.json``, ``preprocessor_config.json``, and
    ``processor_config.json`` / ``video_preprocessor_config.json`` where present) or a
    lone ``preprocessor_config.json``.

    Raises:
        TypeError: ``path`` is not a string or path.
        DynresError: the path does not exist (a hub id gets a message saying there is no
            network), holds no preprocessor config, or a file is not a JSON object.
    """
    if isinstance(path, Checkpoint):
        return path
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a string or os.PathLike, got {type(path).__name__}")
    p = os.fspath(path)
    if os.path.isfile(p):
        return Checkpoint(source=p, preprocessor=_read(p))
    if not os.path.isdir(p):
        hint = (
            "; it looks like a hub id: dynres_fast never downloads, so fetch the checkpoint "
            "first (e.g. `huggingface-cli download <id>`) and pass its local directory"
            if p.count("/") == 1 and not p.startswith((".", "/"))
            else ""
        )
        raise DynresError(f"no such local file or directory: {p!r}{hint}")

    def opt(name: str) -> Dict[str, Any]:
        f = os.path.join(p, name)
        return _read(f) if os.path.isfile(f) else {}

    processor = opt("processor_config.json")
    preprocessor = opt("preprocessor_config.json")
    if not preprocessor and isinstance(processor.get("image_processor"), dict):
        preprocessor = dict(processor["image_processor"])
    config = opt("config.json")
    if not preprocessor and not config:
        raise DynresError(
            f"{p!r} holds neither config.json nor preprocessor_config.json; pass a model "
            "directory or a preprocessor_config.json"
        )
    return Checkpoint(
        source=p,
        config=config,
        preprocessor=preprocessor,
        processor=processor,
        video=opt("video_preprocessor_config.json"),
    )


def require(cfg: Mapping[str, Any], key: str, accepted: Any, default: Any, source: str) -> None:
    """Refuses ``cfg[key]`` (``default`` when absent or null) unless it equals ``accepted``."""
    value = cfg.get(key)
    value = default if value is None else value
    if value != accepted:
        raise DynresError(
            f"{source}: {key}={value!r} is not supported (dynres_fast reproduces {key}="
            f"{accepted!r} only); refusing rather than approximating"
        )


def require_rescale(cfg: Mapping[str, Any], source: str) -> None:
    """Refuses a ``rescale_factor`` other than 1/255 (to float precision)."""
    value = cfg.get("rescale_factor")
    if value is not None and abs(float(value) - RESCALE_1_255) > 1e-12:
        raise DynresError(
            f"{source}: rescale_factor={value!r} is not supported (only 1/255); "
            "refusing rather than approximating"
        )
