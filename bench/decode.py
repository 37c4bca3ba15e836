"""Decode speed: `load_image` for a 224-px model against a plain Pillow decode, in one run.

    python bench/decode.py [--count 24] [--folder runs/bench-photos] [--results docs/results]

All rows read the same generated 4000x3000 phone-like JPEGs, one process, one file at a time.
"To model size" rows end with the photo's shorter side at 256 px, what a 224-px model's eval
transform (resize 256, centre-crop 224) needs: the plain loop decodes in full with
`Image.open(path).convert("RGB")` and resizes (bicubic, as timm's eval transform does);
`load_image(target_size=256)` decodes at 1/8 scale (JPEG draft mode) and resizes the rest.
"Decode only" rows stop after decoding. The table is saved through `bench/results.py` as
docs/results/decode.json.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

import wildlens  # noqa: F401  (offline defaults)
from bench.photos import write_photos
from bench.results import RESULTS, publish
from wildlens.data.images import load_image


def rate(function, paths, rounds: int = 2) -> float:
    """Best images/second over `rounds` passes."""
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for path in paths:
            function(path)
        best = max(best, len(paths) / (time.perf_counter() - start))
    return best


SHORT_SIDE = 256  # resize target of a 224-px model's eval transform (crop fraction 0.875)


def to_short_side(image: Image.Image) -> Image.Image:
    scale = SHORT_SIDE / min(image.size)
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.BICUBIC)


def plain_to_model_size(path: Path) -> None:
    to_short_side(Image.open(path).convert("RGB"))


def ours_to_model_size(path: Path) -> None:
    to_short_side(load_image(path, target_size=SHORT_SIDE).image)


def plain_decode(path: Path) -> None:
    Image.open(path).convert("RGB")


def ours_decode(path: Path) -> None:
    load_image(path, target_size=SHORT_SIDE)


def ours_full_decode(path: Path) -> None:
    load_image(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--folder", default="runs/bench-photos")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()
    paths = write_photos(args.folder, args.count)
    size_mb = sum(p.stat().st_size for p in paths) / len(paths) / 1e6
    rows = [
        ("to model size", "plain: Image.open().convert('RGB') + resize", plain_to_model_size),
        ("to model size", "load_image(target_size=256) + resize", ours_to_model_size),
        ("decode only", "plain: Image.open().convert('RGB')", plain_decode),
        ("decode only", "load_image(target_size=256)", ours_decode),
        ("decode only", "load_image() (full size)", ours_full_decode),
    ]
    rates = [rate(function, paths) for _, _, function in rows]
    table = []
    for (task, name, _), value in zip(rows, rates, strict=True):
        baseline = rates[0] if task == "to model size" else rates[2]
        table.append([task, name, f"{value:.1f}", f"{value / baseline:.2f}x"])
    publish(
        "decode",
        shlex.join(["python", "bench/decode.py", *sys.argv[1:]]),
        ["task", "decoder", "images/s", "vs plain"],
        table,
        f"{len(paths)} JPEGs, 4000x3000, {size_mb:.1f} MB each, one process.",
        args.results,
    )


if __name__ == "__main__":
    main()
