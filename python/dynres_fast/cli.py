"""The ``dynres-fast`` command line."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any, List, Optional, Sequence

import numpy as np

from . import __version__, models
from .errors import DynresError


def sample_images() -> List[Path]:
    """The bundled sample photographs (see ``samples/LICENSE.md``)."""
    root = resources.files("dynres_fast") / "samples"
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".jpg"))


def _load(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _median_ms(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times))


#: The models the demo runs, one per family, at their checkpoints' settings.
_DEMO_MODELS = ("qwen2.5-vl", "internvl", "llava-onevision", "oryx")


def _demo_prompt(image_tokens: int) -> np.ndarray:
    """Token ids of 4 text tokens, one image of ``image_tokens`` pads, 3 text tokens."""
    text, vs, ve, pad = 100, 151652, 151653, 151655
    return np.array([[text] * 4 + [vs] + [pad] * image_tokens + [ve] + [text] * 3])


def _shape(values: Any) -> str:
    if hasattr(values, "shape"):
        return str(values.shape)
    return " + ".join(str(v.shape) for v in values)  # Oryx: one array per image


def demo(args: argparse.Namespace) -> int:
    """Every family's plan and pixels for the bundled samples, M-RoPE ids, pictures."""
    from . import _show, rope
    from ._cli_tools import table

    specs = [models.get(name) for name in _DEMO_MODELS]
    procs = [spec.processor() for spec in specs]
    images = [(p, _load(p)) for p in sample_images()]
    print(f"dynres_fast {__version__} on {len(images)} bundled sample photos\n")

    rows = []
    for path, img in images:
        h, w = img.shape[:2]
        for spec, proc in zip(specs, procs):
            plan = spec.plan(h, w)
            size, cut = spec.family.describe(plan)
            out = proc(img)
            values = out["pixel_values"]
            if "pixel_values_lowres" in out:  # Oryx: lists of native and low-res views
                values = values + out["pixel_values_lowres"]
            shape = _shape(values)
            ms = _median_ms(lambda proc=proc, img=img: proc(img))
            rows.append(
                (path.name, f"{h}x{w}", spec.name, size, cut, plan.num_tokens, shape, f"{ms:.2f}")
            )
    print(
        table(
            rows,
            (
                "image",
                "input",
                "model",
                "resized",
                "cut into",
                "tokens",
                "pixel_values",
                "ms/image",
            ),
        )
    )

    path, img = images[0]
    qplan = specs[0].plan(*img.shape[:2])
    grid = np.array([qplan.grid_thw])
    ids = _demo_prompt(qplan.num_tokens)
    n = ids.shape[1]
    pos, delta = rope.mrope_position_ids(ids, image_grid_thw=grid, tokens_per_second=2)
    print(
        f"\nM-RoPE ids (Qwen2.5-VL) for 4 text tokens, {path.name} "
        f"({qplan.num_tokens} image tokens), 3 text tokens; delta = {int(delta[0, 0])}"
    )
    keep = list(range(7)) + ["..."] + list(range(n - 5, n))
    for axis, row in zip("thw", pos[:, 0]):
        cells = [str(c) if c == "..." else str(int(row[c])) for c in keep]
        print(f"  {axis}: {' '.join(cells)}")

    out_dir = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="dynres-fast-demo-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"\npictures of {path.name} as each model sees it:")
    for spec in specs:
        picture = _show.render(path, spec.plan(*img.shape[:2]), spec)
        target = out_dir / f"{path.stem}_{spec.name}.png"
        picture.save(target)
        print(f"  {target}")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``dynres-fast`` console script."""
    from . import _cli_tools

    parser = argparse.ArgumentParser(prog="dynres-fast", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="run every planner and processor on the bundled sample images")
    d.add_argument("--out", metavar="DIR", help="where to write the pictures (default: a temp dir)")
    _cli_tools.add_subcommands(sub)
    args = parser.parse_args(argv)
    try:
        return {"demo": demo, **_cli_tools.COMMANDS}[args.command](args)
    except (DynresError, OSError) as e:
        print(f"dynres-fast: error: {e}", file=sys.stderr)
        return 2
    except MemoryError:
        print("dynres-fast: error: out of memory", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dynres-fast: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
