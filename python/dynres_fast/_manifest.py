"""Reading size manifests (CSV, JSONL, Parquet) into NumPy columns, with row-level errors.

A manifest has integer columns ``height`` and ``width`` and, optionally, ``frames``
(total frames of a video; empty or 0 for an image) and ``fps`` (its frame rate). Errors
name the line (CSV/JSONL, 1-based, header = line 1) or row (Parquet, 0-based) and column.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import numpy as np

from .errors import DynresError

REQUIRED = ("height", "width")
OPTIONAL = ("frames", "fps")


class ManifestError(DynresError):
    """A manifest that cannot be read: a missing column or a bad value (row and column named)."""


@dataclass
class Manifest:
    """The columns of a manifest; ``frames``/``fps`` are ``None`` when absent."""

    height: np.ndarray
    width: np.ndarray
    frames: Optional[np.ndarray] = None
    fps: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return int(self.height.size)


def read(path: Path, progress: bool = False) -> Manifest:
    """Reads a ``.csv``, ``.jsonl``/``.ndjson`` or ``.parquet`` manifest. Text that is not
    UTF-8, CSV fields over the csv module's limit and JSON nested too deeply are
    ManifestErrors naming the file, like every other problem."""
    try:
        return _read(path, progress)
    except UnicodeDecodeError as e:
        raise ManifestError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except csv.Error as e:
        raise ManifestError(f"{path}: unreadable CSV ({e})") from None
    except RecursionError:
        raise ManifestError(f"{path}: JSON nested too deeply to read") from None


def _read(path: Path, progress: bool) -> Manifest:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path, progress)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path, "\t" if suffix == ".tsv" else ",", progress)
    raise ManifestError(
        f"{path}: unknown manifest type {suffix or '(none)'!r}; accepted: .csv, .tsv, "
        ".jsonl, .ndjson, .parquet"
    )


def _columns(path: Path, header: List[str]) -> Dict[str, int]:
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ManifestError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(header) or 'none'}"
            f" (needed: height, width; optional: frames, fps)"
        )
    return {c: names.index(c) for c in REQUIRED + OPTIONAL if c in names}


def _read_csv(path: Path, delimiter: str, progress: bool) -> Manifest:
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f, delimiter=delimiter), None)
    if header is None:
        raise ManifestError(f"{path}: the file is empty (expected a header line)")
    cols = _columns(path, header)
    try:  # fast path: every cell numeric and present
        data = np.loadtxt(
            path,
            delimiter=delimiter,
            skiprows=1,
            dtype=np.float64,
            usecols=tuple(cols.values()),
            ndmin=2,
            encoding="utf-8",
        )
    except ValueError:
        data = None
    if data is not None and np.isfinite(data).all():
        named = dict(zip(cols, data.T))
        return _finish(path, named, lambda i: f"line {i + 2}")
    return _read_csv_rows(path, delimiter, cols, progress)


def _read_csv_rows(path: Path, delimiter: str, cols: Dict[str, int], progress: bool) -> Manifest:
    """Row by row, for files with empty cells or bad values: exact error locations."""
    values: Dict[str, List[float]] = {c: [] for c in cols}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter=delimiter)
        next(reader)
        for lineno, row in enumerate(_ticker(reader, progress, "reading rows"), start=2):
            if not row:
                continue
            for name, j in cols.items():
                cell = row[j].strip() if j < len(row) else ""
                values[name].append(_cell(path, f"line {lineno}", name, cell))
    named = {c: np.asarray(v, np.float64) for c, v in values.items()}
    return _finish(path, named, None)


def _cell(path: Path, where: str, column: str, cell: Any) -> float:
    if cell is None or cell == "":
        if column in OPTIONAL:
            return 0.0
        raise ManifestError(f"{path}: {where}, column {column!r}: empty value")
    try:
        v = float(cell)
    except (TypeError, ValueError):
        raise ManifestError(
            f"{path}: {where}, column {column!r}: {cell!r} is not a number"
        ) from None
    if not math.isfinite(v):
        raise ManifestError(f"{path}: {where}, column {column!r}: {cell!r} is not finite")
    return v


def _finish(path: Path, named: Dict[str, np.ndarray], where: Any) -> Manifest:
    """Checks integrality and signs; ``where(i)`` names row ``i`` (default: line i + 2)."""
    name_row = where or (lambda i: f"line {i + 2}")
    out: Dict[str, np.ndarray] = {}
    for c, v in named.items():
        v = np.asarray(v, np.float64)
        bad = ~np.isfinite(v) if c == "fps" else (~np.isfinite(v) | (v != np.floor(v)))
        bad |= v < (1 if c in REQUIRED else 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            want = (
                "a positive integer"
                if c in REQUIRED
                else ("a number >= 0" if c == "fps" else "an integer >= 0")
            )
            raise ManifestError(f"{path}: {name_row(i)}, column {c!r}: {v[i]:g} is not {want}")
        if c != "fps" and v.size and v.max() > 2**53:
            i = int(np.argmax(v))
            raise ManifestError(f"{path}: {name_row(i)}, column {c!r}: {v[i]:g} is too large")
        out[c] = v if c == "fps" else v.astype(np.int64)
    return Manifest(out["height"], out["width"], out.get("frames"), out.get("fps"))


def _read_jsonl(path: Path, progress: bool) -> Manifest:
    values: Dict[str, List[float]] = {c: [] for c in REQUIRED + OPTIONAL}
    seen_optional = set()
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(_ticker(f, progress, "reading lines"), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ManifestError(f"{path}: line {lineno}: invalid JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise ManifestError(
                    f"{path}: line {lineno}: expected a JSON object, got {type(obj).__name__}"
                )
            for c in REQUIRED:
                if c not in obj:
                    raise ManifestError(f"{path}: line {lineno}: missing key {c!r}")
            for c in REQUIRED + OPTIONAL:
                cell = obj.get(c)
                if c in OPTIONAL and cell is not None:
                    seen_optional.add(c)
                if isinstance(cell, bool) or (
                    cell is not None and not isinstance(cell, (int, float))
                ):
                    raise ManifestError(
                        f"{path}: line {lineno}, column {c!r}: {cell!r} is not a number"
                    )
                values[c].append(_cell(path, f"line {lineno}", c, cell))
    if not values["height"]:
        raise ManifestError(f"{path}: no rows")
    keep = [c for c in REQUIRED + OPTIONAL if c in REQUIRED or c in seen_optional]
    named = {c: np.asarray(values[c], np.float64) for c in keep}
    return _finish(path, named, lambda i: f"row {i} (0-based)")


def _read_parquet(path: Path) -> Manifest:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ManifestError(
            f"{path}: reading Parquet needs pyarrow, which is not installed "
            "(pip install pyarrow), or convert the manifest to CSV/JSONL"
        ) from None
    try:
        table = pq.read_table(path)
    except Exception as e:  # pyarrow raises several types for unreadable files
        raise ManifestError(f"{path}: not a readable Parquet file ({e})") from None
    cols = _columns(path, list(table.column_names))
    named: Dict[str, np.ndarray] = {}
    for c in cols:
        col = table.column(table.column_names[[n.lower() for n in table.column_names].index(c)])
        if c in REQUIRED and col.null_count:
            i = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
            raise ManifestError(f"{path}: row {i} (0-based), column {c!r}: null value")
        try:
            arr = col.to_numpy(zero_copy_only=False).astype(np.float64)
        except (TypeError, ValueError) as e:
            raise ManifestError(f"{path}: column {c!r} is not numeric ({col.type}): {e}") from None
        named[c] = np.nan_to_num(arr, nan=0.0) if c in OPTIONAL else arr
    return _finish(path, named, lambda i: f"row {i} (0-based)")


def _ticker(it: Iterable[Any], enabled: bool, what: str) -> Iterable[Any]:
    """Progress for long row-by-row reads: tqdm when importable, else a stderr line."""
    if not enabled:
        yield from it
        return
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        yield from tqdm(
            it, desc=what, unit=" rows", unit_scale=True, file=sys.stderr, mininterval=0.5
        )
        return
    n = 0
    for n, item in enumerate(it, start=1):
        if n % 200_000 == 0:
            print(f"dynres-fast: {what}: {n:,}", file=sys.stderr, flush=True)
        yield item
