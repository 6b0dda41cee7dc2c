"""Builds a small local Qwen-VL model directory for transformers' Auto classes (no network).

The directory holds the model config, the image and video processor configs, and a word-level
tokenizer made with the ``tokenizers`` library that carries the real Qwen special tokens at
their real ids, so ``AutoProcessor.from_pretrained(dir)`` builds the model's processor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

#: Qwen2-VL's special tokens and their ids in the released vocabularies.
SPECIAL_TOKENS = {
    "<|endoftext|>": 151643,
    "<|im_start|>": 151644,
    "<|im_end|>": 151645,
    "<|vision_start|>": 151652,
    "<|vision_end|>": 151653,
    "<|vision_pad|>": 151654,
    "<|image_pad|>": 151655,
    "<|video_pad|>": 151656,
}
WORDS = ["describe", "this", "image", "and", "video", "please", "a", "cat", "<", "seconds>"]

#: model type -> (model config, image processor config, video processor config).
MODELS: Dict[str, Any] = {
    "qwen2_5_vl": (
        {"model_type": "qwen2_5_vl", "vision_config": {"tokens_per_second": 2}},
        {
            "image_processor_type": "Qwen2VLImageProcessor",
            "min_pixels": 3136,
            "max_pixels": 12845056,
            "patch_size": 14,
            "temporal_patch_size": 2,
            "merge_size": 2,
            "image_mean": [0.48145466, 0.4578275, 0.40821073],
            "image_std": [0.26862954, 0.26130258, 0.27577711],
        },
        {"video_processor_type": "Qwen2VLVideoProcessor", "cap_pixels_per_frame": False},
    ),
    "qwen3_vl": (
        {"model_type": "qwen3_vl"},
        {
            "image_processor_type": "Qwen2VLImageProcessorFast",
            "size": {"longest_edge": 16777216, "shortest_edge": 65536},
            "patch_size": 16,
            "temporal_patch_size": 2,
            "merge_size": 2,
            "image_mean": [0.5, 0.5, 0.5],
            "image_std": [0.5, 0.5, 0.5],
        },
        {
            "video_processor_type": "Qwen3VLVideoProcessor",
            "size": {"longest_edge": 25165824, "shortest_edge": 4096},
            "cap_pixels_per_frame": False,
        },
    ),
}


def _tokenizer_json() -> str:
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers

    vocab = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(WORDS)}, **SPECIAL_TOKENS}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    return tok.to_str()


def write_model_dir(path: Path, model_type: str) -> Path:
    """Writes the directory for ``model_type`` (a key of :data:`MODELS`) and returns it."""
    config, image_cfg, video_cfg = MODELS[model_type]
    path.mkdir(parents=True, exist_ok=True)
    ids = SPECIAL_TOKENS
    config = {
        **config,
        "image_token_id": ids["<|image_pad|>"],
        "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
    }
    files = {
        "config.json": config,
        "preprocessor_config.json": image_cfg,
        "video_preprocessor_config.json": video_cfg,
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "unk_token": "[UNK]",
            "pad_token": "<|endoftext|>",
            "eos_token": "<|im_end|>",
        },
    }
    for name, content in files.items():
        (path / name).write_text(json.dumps(content))
    (path / "tokenizer.json").write_text(_tokenizer_json())
    return path


#: Pixtral's (Tekken's) special tokens at their ids in Pixtral-12B / Mistral-Small-3.1.
PIXTRAL_TOKENS = {"<unk>": 0, "<s>": 1, "</s>": 2, "[IMG]": 10, "[IMG_BREAK]": 12, "[IMG_END]": 13}
#: Directory name under tests/data/models/ of the Pixtral checkpoints' real configs.
PIXTRAL_MODELS = ("pixtral-12b", "Mistral-Small-3.1-24B-Instruct-2503")
_MODELS_DATA = Path(__file__).parent / "data" / "models"


def _pixtral_tokenizer_json() -> str:
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers

    vocab = {**PIXTRAL_TOKENS, **{w: 20 + i for i, w in enumerate(WORDS)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in PIXTRAL_TOKENS])
    return tok.to_str()


def write_pixtral_dir(path: Path, name: str) -> Path:
    """Writes a Pixtral model directory: the real configs of ``name`` (one of
    :data:`PIXTRAL_MODELS`) and a word-level tokenizer with Pixtral's special tokens."""
    path.mkdir(parents=True, exist_ok=True)
    for file in ("config.json", "preprocessor_config.json", "processor_config.json"):
        (path / file).write_bytes((_MODELS_DATA / name / file).read_bytes())
    tokenizer = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": "<unk>",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "pad_token": "</s>",
    }
    (path / "tokenizer_config.json").write_text(json.dumps(tokenizer))
    (path / "tokenizer.json").write_text(_pixtral_tokenizer_json())
    return path
