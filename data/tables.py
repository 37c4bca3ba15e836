"""Procedural table surfaces: what items are laid on in an evidence-table photo. They make the
table composites fast mode can train on (`wildlens.data.composites`) and the benchmark's scenes
(bench/items.py).

    surface = table_surface("wood", np.random.default_rng(0), (2400, 1600))   # (H, W, 3) uint8

Sizes are pixels of a photo whose shorter side is `reference` (a wood grain has as many streaks
across a 1600-px photo whatever window of it is made), so a crop-sized window looks like the
same table round one item.
"""

from __future__ import annotations

import cv2
import numpy as np

TABLE_KINDS = ("plain", "wood", "cloth")
REFERENCE_SIDE = 1600  # the shorter side of the photo a surface's sizes are drawn for
_WARP_CELL = 200  # pixels per cell of the wood grain's warp field


def table_surface(
    kind: str, rng: np.random.Generator, size: tuple[int, int], reference: int = REFERENCE_SIDE
) -> np.ndarray:
    """A table surface (H, W, 3) uint8 of `size` (width, height): plain with a light gradient,
    wood grain, or cloth (a weave with fibre noise)."""
    if kind not in TABLE_KINDS:
        raise ValueError(f"unknown table surface {kind!r}; one of {', '.join(TABLE_KINDS)}")
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.uniform(60, 220, 3).astype(np.float32)
    if kind == "plain":
        gradient = 1 + 0.12 * (x / width - 0.5) * rng.choice([-1, 1]) + 0.08 * (y / height - 0.5)
        image = base * gradient[..., None] + rng.normal(0, 2, (height, width, 1))
    elif kind == "wood":
        base = np.array([150, 100, 60], np.float32) * rng.uniform(0.6, 1.3)
        cells = (max(2, round(height / _WARP_CELL)), max(2, round(width / _WARP_CELL)))
        warp = cv2.resize(
            rng.normal(0, 1, cells).astype(np.float32), size, interpolation=cv2.INTER_CUBIC
        )
        grain = np.sin((y / reference * rng.uniform(25, 60) + 3 * warp) * np.pi)
        fine = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 2)
        image = base * (1 + 0.12 * grain + 0.05 * fine)[..., None]
    else:
        period = rng.integers(4, 9)
        weave = 0.5 * (np.sin(2 * np.pi * x / period) + np.sin(2 * np.pi * y / period))
        image = base * (1 + 0.07 * weave)[..., None] + rng.normal(0, 7, (height, width, 1))
    return np.clip(image, 0, 255).astype(np.uint8)
