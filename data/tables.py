"""Procedural table surfaces: what items are laid on in an evidence-table photo. They make the
table composites fast mode can train on (`wildlens.data.composites`) and the benchmark's scenes
(bench/items.py).

    surface = table_surface("wood", np.random.default_rng(0), (2400, 1600))   # (H, W, 3) uint8

Sizes are pixels of a photo whose shorter side is `reference` (planked wood has as many streaks
across a 1600-px photo whatever window of it is made), so a crop-sized window looks like the
same table round one item.
"""

from __future__ import annotations

import cv2
import numpy as np

TABLE_KINDS = ("plain", "wood", "cloth")
REFERENCE_SIDE = 1600  # the shorter side of the photo a surface's sizes are drawn for
# Wood: planks across the table, a quarter to two fifths of the reference side wide, each its
# own shade; streaks along them, bent gently by a warp stretched along the grain; a dark seam
# between planks.
_BOARD = (0.25, 0.4)
_STREAKS = (40, 90)  # streaks per reference side


def table_surface(
    kind: str, rng: np.random.Generator, size: tuple[int, int], reference: int = REFERENCE_SIDE
) -> np.ndarray:
    """A table surface (H, W, 3) uint8 of `size` (width, height): plain with a light gradient,
    planked wood (`wood_grain`), or cloth (a weave with fibre noise)."""
    if kind not in TABLE_KINDS:
        raise ValueError(f"unknown table surface {kind!r}; one of {', '.join(TABLE_KINDS)}")
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.uniform(60, 220, 3).astype(np.float32)
    if kind == "plain":
        gradient = 1 + 0.12 * (x / width - 0.5) * rng.choice([-1, 1]) + 0.08 * (y / height - 0.5)
        image = base * gradient[..., None] + rng.normal(0, 2, (height, width, 1))
    elif kind == "wood":
        image = wood_grain(rng, size, reference)
    else:
        period = rng.integers(4, 9)
        weave = 0.5 * (np.sin(2 * np.pi * x / period) + np.sin(2 * np.pi * y / period))
        image = base * (1 + 0.07 * weave)[..., None] + rng.normal(0, 7, (height, width, 1))
    return np.clip(image, 0, 255).astype(np.uint8)


def wood_grain(rng: np.random.Generator, size: tuple[int, int], reference: int) -> np.ndarray:
    """Planked wood (H, W, 3) float32: long streaks along the planks, as a table top or a floor
    shows them (the warp moves a streak by about one period: no contour-line loops), the planks
    along the width or the height."""
    width, height = size
    across = rng.random() < 0.5  # planks along the height: drawn along the width, turned
    if across:
        width, height = height, width
    y = np.repeat(np.arange(height, dtype=np.float32)[:, None], width, axis=1)
    base = np.array([150, 100, 60], np.float32) * rng.uniform(0.6, 1.3)
    board = reference * rng.uniform(*_BOARD)
    offset = rng.uniform(0, board)
    index = np.floor((y + offset) / board)
    shade = (1 + 0.06 * rng.normal(0, 1, int(index.max()) + 2))[index.astype(int)]
    cells = (max(2, round(height / (reference / 8))), max(2, round(width / (reference / 2))))
    noise = rng.normal(0, 1, cells).astype(np.float32)
    warp = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    grain = np.sin((y / reference * rng.uniform(*_STREAKS) + 1.2 * warp + 7.3 * index) * np.pi)
    noise = rng.normal(0, 1, (height, width)).astype(np.float32)
    fibre = cv2.GaussianBlur(noise, (0, 0), sigmaX=25, sigmaY=1)
    seam = (((y + offset) % board) < 2).astype(np.float32)
    image = base * shade[..., None] * (1 + 0.06 * grain + 0.35 * fibre - 0.25 * seam)[..., None]
    return np.ascontiguousarray(image.transpose(1, 0, 2)) if across else image
