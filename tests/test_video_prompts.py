"""Batches with video against transformers 5.x's processors and models, live: the
Qwen3-VL timestamp layout (``Qwen3VLProcessor``, built from a local byte-level BPE
tokenizer made with ``tokenizers`` that carries the real special tokens and ids),
``mm_token_type_ids``, ``Qwen3VLModel.get_rope_index`` positions, Qwen2.5-VL's
``second_per_grid_ts``; the 4.57 layout against its text replacement."""

from __future__ import annotations

import functools
import types
import warnings

import numpy as np
import pytest
from video_clips import clip_path, decode_all

from dynres_fast import DynresError, GridMismatchError, batch, qwen2vl, video

tf = pytest.importorskip("transformers")
pytest.importorskip("torchvision")
tokenizers = pytest.importorskip("tokenizers")
torch = pytest.importorskip("torch")

SPECIAL = {
    "<|endoftext|>": 151643,
    "<|im_start|>": 151644,
    "<|im_end|>": 151645,
    "<|vision_start|>": 151652,
    "<|vision_end|>": 151653,
    "<|image_pad|>": 151655,
    "<|video_pad|>": 151656,
}
MERGES = [
    ("s", "e"),
    ("se", "c"),
    ("o", "n"),
    ("sec", "on"),
    ("d", "s"),
    ("secon", "ds"),
    ("Ġ", "seconds"),
    ("<", "0"),
    (".", "5"),
    ("1", "."),
    ("Ġ", "t"),
    ("i", "n"),
]


@pytest.fixture(scope="module")
def tokenizer():
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    vocab = {c: i for i, c in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    for a, b in MERGES:
        vocab.setdefault(a + b, len(vocab))
    vocab.update(SPECIAL)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=MERGES))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in SPECIAL])
    return tf.PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )


def ids_of(tokenizer):
    return lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]


TEXTS = [
    "<|im_start|>user\n<|vision_start|><|video_pad|><|vision_end|>Describe this.<|im_end|>",
    "<|im_start|>user\nTwo clips:<|vision_start|><|video_pad|><|vision_end|> and\n"
    "<|vision_start|><|video_pad|><|vision_end|>in one.<|im_end|>\n",
]
CLIPS = [["h264_bframes"], ["h264_vfr", "mpeg4_odd"]]


def _upstream_qwen3(tokenizer, tmp_path_factory):
    proc = tf.Qwen3VLProcessor(
        image_processor=tf.Qwen2VLImageProcessor(patch_size=16),
        tokenizer=tokenizer,
        video_processor=tf.Qwen3VLVideoProcessor(),
    )
    videos, metas = [], []
    for names in CLIPS:
        for name in names:
            path = clip_path(tmp_path_factory, name)
            frames, _ = decode_all(str(path))
            videos.append(frames)
            metas.append({"total_num_frames": len(frames), "fps": video.probe(path).fps})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return proc(
            text=list(TEXTS), videos=videos, video_metadata=metas, padding=True, return_tensors="pt"
        )


def _ours(tokenizer, tmp_path_factory, layout="transformers5"):
    features = [
        batch.encode_sample(
            {
                "input_ids": tokenizer(text)["input_ids"],
                "videos": [clip_path(tmp_path_factory, n) for n in names],
                "labels": tokenizer(text)["input_ids"],
            },
            qwen2vl.ImageProcessor.qwen3_vl(compat="torchvision"),
            video_processor=qwen2vl.VideoProcessor.qwen3_vl(),
            tokenize=ids_of(tokenizer),
            video_layout=layout,
        )
        for text, names in zip(TEXTS, CLIPS)
    ]
    return features, batch.collate_features(
        features, convention="transformers5", split_video_frames=True
    )


def test_qwen3_vl_batch_matches_the_processor_and_get_rope_index(tokenizer, tmp_path_factory):
    want = _upstream_qwen3(tokenizer, tmp_path_factory)
    features, got = _ours(tokenizer, tmp_path_factory)
    np.testing.assert_array_equal(got["input_ids"], want["input_ids"].numpy())
    np.testing.assert_array_equal(got["attention_mask"], want["attention_mask"].numpy())
    np.testing.assert_array_equal(got["mm_token_type_ids"], want["mm_token_type_ids"].numpy())
    np.testing.assert_array_equal(got["video_grid_thw"], want["video_grid_thw"].numpy())
    np.testing.assert_array_equal(got["pixel_values_videos"], want["pixel_values_videos"].numpy())
    # the timestamps are really there, outer start/end pair kept (5.x)
    row = tokenizer.convert_ids_to_tokens(got["input_ids"][0].tolist())
    first = qwen2vl.VideoProcessor.qwen3_vl().from_file(clip_path(tmp_path_factory, CLIPS[0][0]))
    stamp = batch.timestamp_text(first["grid_timestamps"][0][0]).replace(" ", "Ġ")
    assert "".join(row[5:12]) == "<|vision_start|>" + stamp
    # labels: the expansion is ignored, the rest kept
    lab = got["labels"][0][: len(features[0]["input_ids"])]
    assert (lab[got["mm_token_type_ids"][0][: lab.size] == 2] == -100).all()

    model = tf.Qwen3VLModel
    fake = types.SimpleNamespace(
        config=types.SimpleNamespace(vision_config=types.SimpleNamespace(spatial_merge_size=2)),
        get_vision_position_ids=functools.partial(model.get_vision_position_ids, None),
    )
    pos, deltas = model.get_rope_index(
        fake,
        want["input_ids"],
        want["mm_token_type_ids"],
        None,
        want["video_grid_thw"],
        want["attention_mask"],
    )
    np.testing.assert_array_equal(got["position_ids"], pos.numpy())
    np.testing.assert_array_equal(got["rope_deltas"], deltas.numpy())


def test_qwen3_vl_4_57_layout_replaces_the_triple(tokenizer, tmp_path_factory):
    features, _ = _ours(tokenizer, tmp_path_factory, layout="transformers4")
    new, _ = _ours(tokenizer, tmp_path_factory)
    for f, g, text, names in zip(features, new, TEXTS, CLIPS):
        proc = qwen2vl.VideoProcessor.qwen3_vl()
        parts = text.split("<|vision_start|><|video_pad|><|vision_end|>")
        expanded = parts[0]
        for name, rest in zip(names, parts[1:]):
            out = proc.from_file(clip_path(tmp_path_factory, name))
            (_, h, w), seconds = out["video_grid_thw"][0], out["grid_timestamps"][0]
            block = "<|vision_start|>" + "<|video_pad|>" * (h * w // 4) + "<|vision_end|>"
            expanded += "".join(batch.timestamp_text(s) + block for s in seconds) + rest
        np.testing.assert_array_equal(f["input_ids"], tokenizer(expanded)["input_ids"])
        assert g["input_ids"].size - f["input_ids"].size == 2 * len(names)


def test_qwen2_5_vl_second_per_grid_ts_and_positions(tokenizer, tmp_path_factory):
    path = clip_path(tmp_path_factory, "h264_bframes")
    frames, _ = decode_all(str(path))
    fps = video.probe(path).fps
    up = tf.Qwen2_5_VLProcessor(
        image_processor=tf.Qwen2VLImageProcessor(),
        tokenizer=tokenizer,
        video_processor=tf.Qwen2VLVideoProcessor(min_pixels=3136, max_pixels=12845056),
    )
    text = TEXTS[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = up(
            text=[text],
            videos=[frames],
            video_metadata=[{"total_num_frames": len(frames), "fps": fps}],
            do_sample_frames=True,
            fps=2.0,
            return_tensors="np",
        )
    vp = qwen2vl.VideoProcessor.qwen2_5_vl(do_sample_frames=True, fps=2.0)
    f = batch.encode_sample(
        {"input_ids": tokenizer(text)["input_ids"], "videos": [path]},
        qwen2vl.ImageProcessor.qwen2_5_vl(compat="torchvision"),
        video_processor=vp,
    )
    np.testing.assert_array_equal(f["input_ids"], want["input_ids"][0])
    np.testing.assert_array_equal(f["mm_token_type_ids"], want["mm_token_type_ids"][0])
    assert f["second_per_grid_ts"].tolist() == list(want["second_per_grid_ts"])
    got = batch.collate_features([f], convention="transformers5", tokens_per_second=2)
    assert got["second_per_grid_ts"].tolist() == list(want["second_per_grid_ts"])


def test_video_token_errors(tokenizer):
    ids = tokenizer(TEXTS[0])["input_ids"]
    with pytest.raises(GridMismatchError, match="2 videos"):
        batch.expand_video_tokens(ids, [[2, 4, 4], [2, 4, 4]])
    with pytest.raises(GridMismatchError, match="grid timestamps"):
        batch.expand_video_tokens(
            ids, [[2, 4, 4]], grid_timestamps=[[0.5]], tokenize=ids_of(tokenizer)
        )
    with pytest.raises(DynresError, match="tokenize"):
        batch.expand_video_tokens(ids, [[2, 4, 4]], grid_timestamps=[[0.5, 1.5]])
    bare = tokenizer("<|video_pad|> no start")["input_ids"]
    with pytest.raises(GridMismatchError, match="not between"):
        batch.expand_video_tokens(
            bare,
            [[1, 4, 4]],
            grid_timestamps=[[0.5]],
            tokenize=ids_of(tokenizer),
            layout="transformers4",
        )
    with pytest.raises(DynresError, match="video_processor"):
        batch.encode_sample(
            {"input_ids": ids, "videos": [np.zeros((2, 32, 32, 3), np.uint8)]},
            qwen2vl.ImageProcessor(),
        )


def test_torch_dataset_and_collate_with_videos(tokenizer, tmp_path_factory):
    from dynres_fast.torch import QwenVLDataset, collate

    samples = [
        {
            "input_ids": tokenizer(t)["input_ids"],
            "videos": [clip_path(tmp_path_factory, n) for n in names],
        }
        for t, names in zip(TEXTS, CLIPS)
    ]
    ds = QwenVLDataset(
        samples,
        qwen2vl.ImageProcessor.qwen3_vl(compat="torchvision"),
        video_processor=qwen2vl.VideoProcessor.qwen3_vl(),
        tokenize=ids_of(tokenizer),
    )
    got = collate([ds[0], ds[1]], convention="transformers5", split_video_frames=True)
    want = _upstream_qwen3(tokenizer, tmp_path_factory)
    for key in (
        "input_ids",
        "attention_mask",
        "mm_token_type_ids",
        "video_grid_thw",
        "pixel_values_videos",
    ):
        assert isinstance(got[key], torch.Tensor)
        assert torch.equal(got[key], want[key].to(got[key].dtype)), key
