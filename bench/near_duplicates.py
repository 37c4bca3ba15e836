"""Near-duplicate detection: false matches among distinct photos, recall on edited copies.

    python bench/near_duplicates.py [DATA]         (default ../shared/datasets/clothing-small)
    python bench/near_duplicates.py --synthetic    (only the small-object case below; no dataset)
    [--results docs/results]   where the tables go (`bench/results.py`): duplicates-matches and
                               duplicates-copies (with --synthetic: ...-synthetic)

Every photo of DATA is signed (`data.duplicates`); candidate pairs and verified pairs among the
originals are counted (a verified pair is a false match unless the photos really are copies).
Then, for 100 of them, four edited copies are made (resized to half and recompressed at quality
60; 5% cropped from every side; 10% cropped from the left; 5/3/3/2% cropped and recompressed at
quality 40) and the share found (candidate) and confirmed (verified) is reported.

The same is then measured on 300 synthetic museum photos of distinct small objects (ellipses,
plaques, combs, pins, rings, seals, carvings of ivory, bone, wood or jade colours, varied size
and orientation, 3-20% of the frame, long pins less), all shot alike: 100 each on one plain
grey sweep, one beige cloth with faint fibres, one grey felt with a grain that ORB sees, light
falling off across it, a soft shadow, mild sensor noise, JPEG. Every verified pair among them is
a false match; so is every pair of the 14,850 on one backdrop that verification accepts when
asked directly, skipping the pHash candidates (which keep most of them apart only by chance of
their hashes). Copies are 100 of them under the same four edits.
"""

from __future__ import annotations

import argparse
import io
import random
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

import wildlens  # noqa: F401  (offline defaults)
from bench.results import RESULTS, publish
from wildlens.data.images import load_image
from wildlens.data.near_duplicates import (
    candidate_pairs,
    duplicate_clusters,
    image_signature,
    same_photo,
)
from wildlens.data.sources import list_images

EDITS = {
    "half size, quality 60": lambda im: _jpeg(im.resize((im.width // 2, im.height // 2)), 60),
    "5% crop each side": lambda im: _jpeg(_crop(im, 0.05, 0.05, 0.05, 0.05), 85),
    "10% crop, left": lambda im: _jpeg(_crop(im, 0.10, 0, 0, 0), 85),
    "5/3/3/2% crop, quality 40": lambda im: _jpeg(_crop(im, 0.05, 0.03, 0.03, 0.02), 40),
}
WIDTH, HEIGHT = 640, 480  # synthetic photos


def _crop(image: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = image.size
    return image.crop((int(w * left), int(h * top), int(w * (1 - right)), int(h * (1 - bottom))))


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def signature(source):
    return image_signature(load_image(source, target_size=256).image)


# Synthetic small objects: a shape mask drawn upright on a 400 x 400 canvas, then rotated,
# scaled to its share of the frame, textured, shaded and placed with a soft shadow.


def _ellipse(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    rx, ry = 150, 150 / rng.uniform(1.0, 2.5)
    draw.ellipse((200 - rx, 200 - ry, 200 + rx, 200 + ry), fill=255)


def _plaque(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    w, h = 150, 150 / rng.uniform(1.0, 3.0)
    draw.rounded_rectangle((200 - w, 200 - h, 200 + w, 200 + h), rng.uniform(0, h / 2), 255)


def _comb(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    teeth, back, length = rng.integers(7, 18), rng.uniform(25, 60), rng.uniform(60, 130)
    top = 200 - (back + length) / 2
    draw.rounded_rectangle((50, top, 350, top + back), 8, 255)
    pitch = 300 / teeth
    for k in range(teeth):
        x = 50 + k * pitch
        draw.rectangle(
            (x, top + back - 2, x + pitch * rng.uniform(0.4, 0.6), top + back + length), 255
        )


def _pin(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    half, head = rng.uniform(3, 8), rng.uniform(12, 30)
    draw.polygon([(20 + 2 * head, 200 - half), (385, 200), (20 + 2 * head, 200 + half)], 255)
    draw.ellipse((20, 200 - head, 20 + 2 * head, 200 + head), fill=255)


def _ring(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    r, inner, squash = 150, rng.uniform(0.45, 0.8), rng.uniform(1.0, 1.6)
    draw.ellipse((50, 200 - r / squash, 350, 200 + r / squash), fill=255)
    ri = r * inner
    draw.ellipse((200 - ri, 200 - ri / squash, 200 + ri, 200 + ri / squash), fill=0)


def _seal(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    base, knob = rng.uniform(90, 130), rng.uniform(40, 70)
    draw.rounded_rectangle((200 - base, 330 - 2 * base * 0.6, 200 + base, 330), 10, 255)
    draw.ellipse(
        (200 - knob, 330 - 1.2 * base - 1.6 * knob, 200 + knob, 330 - 1.2 * base + 10), 255
    )


def _carving(draw: ImageDraw.ImageDraw, rng: np.random.Generator) -> None:
    for _ in range(rng.integers(3, 7)):
        x, y = rng.uniform(110, 290, 2)
        rx, ry = rng.uniform(30, 90, 2)
        draw.ellipse((x - rx, y - ry, x + rx, y + ry), fill=255)


SHAPES: list[Callable[[ImageDraw.ImageDraw, np.random.Generator], None]] = [
    _ellipse,
    _plaque,
    _comb,
    _pin,
    _ring,
    _seal,
    _carving,
]


BACKDROPS = ("plain grey sweep", "beige cloth", "grey felt")


def _backdrop(kind: str) -> np.ndarray:
    """One backdrop shared by a set of photos, light falling off from the top left: a plain
    sweep; a cloth with faint fibres and blotches; a felt with a grain that ORB sees."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    light = 1.0 - 0.12 * ((x / WIDTH - 0.3) ** 2 + (y / HEIGHT - 0.2) ** 2)
    colour = np.array([214, 198, 170] if kind == "beige cloth" else [196, 198, 200], np.float32)
    image = colour * light[..., None]
    rng = np.random.default_rng(1)  # the same texture in every photo
    if kind == "beige cloth":
        fibres = Image.fromarray((rng.random((HEIGHT, WIDTH)) * 255).astype(np.uint8))
        fibres = np.asarray(fibres.filter(ImageFilter.GaussianBlur(1.5)), np.float32)
        blotches = Image.fromarray((rng.random((12, 16)) * 255).astype(np.uint8))
        blotches = np.asarray(blotches.resize((WIDTH, HEIGHT), Image.BICUBIC), np.float32)
        image += ((fibres / 255 - 0.5) * 60 + (blotches / 255 - 0.5) * 12)[..., None]
    elif kind == "grey felt":
        grain = rng.normal(128, 60, (HEIGHT, WIDTH)).clip(0, 255).astype(np.uint8)
        grain = Image.fromarray(grain).filter(ImageFilter.GaussianBlur(2))
        image += (np.asarray(grain, np.float32) - 128)[..., None]
    return image


def render_object(rng: np.random.Generator, backdrop: np.ndarray) -> bytes:
    """One distinct small object on `backdrop`, as a JPEG file's bytes."""
    canvas = Image.new("L", (400, 400), 0)
    SHAPES[rng.integers(len(SHAPES))](ImageDraw.Draw(canvas), rng)
    canvas = canvas.rotate(rng.uniform(0, 360), Image.BICUBIC, expand=True)
    canvas = canvas.crop(canvas.getbbox())
    share = rng.uniform(0.03, 0.20)
    area = np.asarray(canvas, np.float32).sum() / 255
    scale = min(
        np.sqrt(share * WIDTH * HEIGHT / area),
        0.8 * WIDTH / canvas.width,
        0.8 * HEIGHT / canvas.height,
    )
    size = (max(2, round(canvas.width * scale)), max(2, round(canvas.height * scale)))
    shape = canvas.resize(size, Image.LANCZOS)
    left = int(np.clip(rng.normal(WIDTH / 2, WIDTH * 0.08) - size[0] / 2, 4, WIDTH - size[0] - 4))
    top = int(np.clip(rng.normal(HEIGHT / 2, HEIGHT * 0.08) - size[1] / 2, 4, HEIGHT - size[1] - 4))
    mask = Image.new("L", (WIDTH, HEIGHT), 0)
    mask.paste(shape, (left, top))
    # A soft shadow down and to the right, then the object: ivory, bone, wood, jade or stone.
    shadow = np.asarray(mask.filter(ImageFilter.GaussianBlur(9)), np.float32) / 255
    shadow = np.roll(shadow, (8, 6), axis=(0, 1))
    image = backdrop * (1 - 0.35 * shadow[..., None])
    alpha = np.asarray(mask, np.float32)[..., None] / 255
    palette = [(236, 224, 196), (226, 210, 170), (200, 170, 120), (120, 80, 50), (150, 180, 140)]
    base = np.asarray(palette[rng.integers(len(palette))], np.float32) * rng.uniform(0.85, 1.1, 3)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    shade = 1 + 0.18 * ((x - left) * np.cos(angle) + (y - top) * np.sin(angle)) / max(size)
    grain = np.sin((x * np.cos(angle + 1) + y * np.sin(angle + 1)) * rng.uniform(0.2, 0.6))
    mottle = np.asarray(
        Image.fromarray((rng.random((24, 32)) * 255).astype(np.uint8)).resize(
            (WIDTH, HEIGHT), Image.BICUBIC
        ),
        np.float32,
    )
    texture = shade + 0.04 * grain + 0.12 * (mottle / 255 - 0.5)
    image = image * (1 - alpha) + base * texture[..., None] * alpha
    image += rng.normal(0, 2.5, image.shape)  # sensor noise
    return _jpeg(Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)), 90)


def synthetic_objects(count: int = 300, seed: int = 0) -> list[bytes]:
    """`count` distinct small objects, photo i on backdrop BACKDROPS[i % 3]."""
    rng = np.random.default_rng(seed)
    backdrops = [_backdrop(kind) for kind in BACKDROPS]
    return [render_object(rng, backdrops[i % len(backdrops)]) for i in range(count)]


def measure(
    name: str,
    signatures: Sequence,
    originals: Callable[[int], Image.Image],
    labels: Sequence[str],
    alike: Sequence[tuple[int, int]] = (),
) -> tuple[list[str], list[str]]:
    """False matches among `signatures` (all distinct photos) and recall of edited copies;
    `alike`: pairs also verified directly, whether or not their pHashes are close.

    Returns the set's row of the matches table and its column of the copies table (one
    "candidate / verified" cell per edit)."""
    start = time.perf_counter()
    candidates = candidate_pairs(signatures)
    verified = [(i, j) for i, j in candidates if same_photo(signatures[i], signatures[j])]
    matching = time.perf_counter() - start
    clusters = duplicate_clusters(signatures, [str(i) for i in range(len(signatures))])
    largest = int(max(np.bincount(clusters)))
    print(f"{name}: {len(signatures)} photos, {matching:.1f} s to match all pairs")
    print(
        f"candidate pairs {len(candidates)}, verified {len(verified)}, "
        f"largest cluster {largest} photos:"
    )
    for i, j in verified[:20]:
        print(f"  {labels[i]} ~ {labels[j]}")
    if len(verified) > 20:
        print(f"  ... and {len(verified) - 20} more")
    direct_cell = "-"
    if alike:
        direct = [(i, j) for i, j in alike if same_photo(signatures[i], signatures[j])]
        print(f"verified directly, skipping the pHash candidates: {len(direct)} of {len(alike)}")
        for i, j in direct[:20]:
            print(f"  {labels[i]} ~ {labels[j]}")
        direct_cell = f"{len(direct):,} of {len(alike):,}"
    copies = []
    for edit in EDITS.values():
        found = confirmed = 0
        for index in random.Random(0).sample(range(len(signatures)), 100):
            copy = signature(edit(originals(index)))
            if candidate_pairs([signatures[index], copy]):
                found += 1
                confirmed += same_photo(signatures[index], copy)
        copies.append(f"{found}% / {confirmed}%")
    print()
    row = [
        name,
        f"{len(signatures):,}",
        f"{len(candidates):,}",
        f"{len(verified):,}",
        str(largest),
        direct_cell,
        f"{matching:.1f}",
    ]
    return row, copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", default="../shared/datasets/clothing-small")
    parser.add_argument("--synthetic", action="store_true", help="only the synthetic objects")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()
    rows, columns, names, notes = [], [], [], []
    if not args.synthetic:
        data = Path(args.data)
        paths = list_images(data)
        start = time.perf_counter()
        signatures = [signature(p) for p in paths]
        signing = (time.perf_counter() - start) / len(paths)
        print(f"{data}: {signing * 1000:.1f} ms per photo to sign")
        notes.append(f"{data.name}: {signing * 1000:.1f} ms per photo to sign")
        row, copies = measure(
            data.name,
            signatures,
            lambda i: Image.open(paths[i]).convert("RGB"),
            [str(p.relative_to(data)) for p in paths],
        )
        rows.append(row)
        columns.append(copies)
        names.append(data.name)
    photos = synthetic_objects()
    signatures = [signature(photo) for photo in photos]
    row, copies = measure(
        "synthetic small objects",
        signatures,
        lambda i: Image.open(io.BytesIO(photos[i])).convert("RGB"),
        [f"object {i} ({BACKDROPS[i % 3]})" for i in range(len(photos))],
        # Every pair on the same backdrop: what verification alone lets through.
        [(i, j) for i in range(len(photos)) for j in range(i + 3, len(photos), 3)],
    )
    rows.append(row)
    columns.append(copies)
    names.append("synthetic")
    command = shlex.join(["python", "bench/near_duplicates.py", *sys.argv[1:]])
    suffix = "-synthetic" if args.synthetic else ""
    publish(
        "duplicates-matches" + suffix,
        command,
        [
            "set",
            "photos",
            "candidate pairs",
            "verified pairs",
            "largest cluster",
            "verified directly, same backdrop",
            "matching s",
        ],
        rows,
        "; ".join([*notes, "A verified pair is a false match unless the two are one photo"]) + ".",
        args.results,
    )
    publish(
        "duplicates-copies" + suffix,
        command,
        ["edit of 100 photos"] + [f"{name}: candidate / verified" for name in names],
        [[edit, *cells] for edit, *cells in zip(EDITS, *columns, strict=True)],
        "Share of 100 edited copies found as candidates and verified as the same photo.",
        args.results,
    )


if __name__ == "__main__":
    main()
