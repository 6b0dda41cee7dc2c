"""Drop-in transformers 5.x processors: ``dynres_fast.transformers.install()``.

After :func:`install`, ``AutoImageProcessor`` / ``AutoVideoProcessor`` /
``AutoProcessor.from_pretrained(...)`` return our subclasses of the upstream processors for
the model types in :data:`MODEL_TYPES` (Qwen2-VL, Qwen2.5-VL, Qwen3-VL, InternVL / GotOcr2,
LLaVA-OneVision, Pixtral / Mistral3 — and Pixtral-12B's ``llava`` config, found through its
``PixtralImageProcessor`` name);
their outputs equal upstream's in keys, shapes, dtypes and values (calls our kernels cannot
reproduce exactly run upstream's code). :func:`uninstall` restores upstream's registry as it
was. The classes themselves (named as upstream's, :data:`CLASS_NAMES`) are attributes of this
module, created on first access (transformers, torch and torchvision are imported only then).

``vllm_plugin`` is the ``vllm.general_plugins`` entry point: vLLM calls it in every process
it starts; it installs the processors when ``DYNRES_FAST_VLLM=1``.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Dict, List, Tuple

__all__ = [
    "CLASS_NAMES",
    "MODEL_TYPES",
    "install",
    "installed",
    "uninstall",
    "vllm_plugin",
]

#: The drop-in classes this module provides (same names as upstream's).
CLASS_NAMES = (
    "GotOcr2ImageProcessor",
    "GotOcr2ImageProcessorPil",
    "InternVLVideoProcessor",
    "LlavaOnevisionImageProcessor",
    "LlavaOnevisionImageProcessorPil",
    "LlavaOnevisionVideoProcessor",
    "PixtralImageProcessor",
    "PixtralImageProcessorPil",
    "Qwen2VLImageProcessor",
    "Qwen2VLImageProcessorPil",
    "Qwen2VLVideoProcessor",
    "Qwen3VLVideoProcessor",
)
#: The model types :func:`install` registers.
MODEL_TYPES = (
    "got_ocr2",
    "internvl",
    "lighton_ocr",
    "llava_onevision",
    "mistral3",
    "mistral_large4",
    "pixtral",
    "qwen2_5_vl",
    "qwen2_vl",
    "qwen3_vl",
    "qwen3_vl_moe",
)
#: The environment variable that makes :func:`vllm_plugin` install the processors.
VLLM_ENV = "DYNRES_FAST_VLLM"

_lock = threading.Lock()
# (mapping, config class) -> the entry it had before install() (None: none).
_saved: Dict[Tuple[str, type], Any] = {}


def _classes() -> Any:
    """The module defining the classes (imports transformers, torch and torchvision)."""
    try:
        from . import _hf_classes
    except ImportError as e:
        raise ImportError(
            "dynres_fast.transformers needs transformers 5.x, torch and torchvision "
            f"(pip install 'dynres_fast[transformers]'): {e}"
        ) from e
    return _hf_classes


def __getattr__(name: str) -> Any:
    if name in CLASS_NAMES:
        return getattr(_classes(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _mappings() -> List[Tuple[str, Any, Dict[str, Dict[str, type]]]]:
    _hf_classes = _classes()
    from transformers.models.auto import image_processing_auto, video_processing_auto

    return [
        ("image", image_processing_auto.IMAGE_PROCESSOR_MAPPING, _hf_classes.IMAGE_PROCESSORS),
        ("video", video_processing_auto.VIDEO_PROCESSOR_MAPPING, _hf_classes.VIDEO_PROCESSORS),
    ]


def install() -> None:
    """Makes transformers' auto classes return the dynres_fast processors.

    Registers them for :data:`MODEL_TYPES` in transformers' ``IMAGE_PROCESSOR_MAPPING`` and
    ``VIDEO_PROCESSOR_MAPPING`` (the registry ``AutoImageProcessor.register`` writes), ahead of
    the built-in classes of the same names. Idempotent and thread-safe.

    Raises:
        ImportError: transformers 5.x, torch or torchvision is not installed.
    """
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    with _lock:
        for kind, mapping, classes in _mappings():
            for model_type, backends in classes.items():
                config = CONFIG_MAPPING[model_type]
                extra = mapping._extra_content
                if (kind, config) not in _saved:
                    _saved[(kind, config)] = extra.get(config)
                extra[config] = dict(backends)


def uninstall() -> None:
    """Restores transformers' registry entries to what they were before :func:`install`."""
    with _lock:
        if not _saved:
            return
        for kind, mapping, _ in _mappings():
            extra = mapping._extra_content
            for (k, config), before in list(_saved.items()):
                if k != kind:
                    continue
                if before is None:
                    extra.pop(config, None)
                else:
                    extra[config] = before
                del _saved[(k, config)]


def installed() -> bool:
    """Whether :func:`install` is in effect."""
    return bool(_saved)


def vllm_plugin() -> None:
    """The ``vllm.general_plugins`` entry point: :func:`install` when ``DYNRES_FAST_VLLM=1``.

    vLLM loads general plugins in every process it starts (API server, engine core, workers),
    so the processors its multimodal input pipeline loads with ``AutoProcessor`` are ours.
    """
    if os.environ.get(VLLM_ENV, "") == "1":
        install()
