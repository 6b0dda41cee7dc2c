"""Readable statement of how a Qwen-VL training batch is built from token ids.

Written from ``Qwen2VLProcessor``'s rule (transformers 4.57.6, ``processing_qwen2_vl.py``):
the ``i``-th ``<|image_pad|>`` in the prompt becomes ``prod(image_grid_thw[i]) //
merge_size**2`` copies of itself; then the tokenizer pads on the right and the
attention mask is 1 on real tokens. Labels follow the usual fine-tuning recipe: the same
expansion, the image tokens and the padding set to the ignore index. One token at a
time, no attempt at speed.
"""

from __future__ import annotations

IMAGE, PAD, IGNORE = 151655, 151643, -100


def expand(input_ids, grids, labels=None, *, merge_size=2, image_token_id=IMAGE, ignore=IGNORE):
    """Returns (ids, labels) as Python lists; labels is None when not given."""
    ids_out, labels_out, used = [], [], 0
    for pos, tok in enumerate(input_ids):
        if tok == image_token_id:
            t, h, w = grids[used]
            used += 1
            n = t * h * w // (merge_size * merge_size)
            ids_out += [tok] * n
            labels_out += [ignore] * n
        else:
            ids_out.append(tok)
            labels_out.append(None if labels is None else labels[pos])
    assert used == len(grids), "more images than image tokens"
    return ids_out, (None if labels is None else labels_out)


def pad_right(rows, value, length):
    """Each row padded with ``value`` to ``length``; and the 0/1 attention mask."""
    padded = [list(r) + [value] * (length - len(r)) for r in rows]
    mask = [[1] * len(r) + [0] * (length - len(r)) for r in rows]
    return padded, mask
