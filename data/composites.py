"""Items on tables made from single-item photos: the object cut from its plain background and
laid on a procedural table (`wildlens.data.tables`), framed as `predict_items` frames an item it
found. Fast mode can train its head on these crops too (`item_composites`), so it knows items on
a table and not only their own photos; bench/items.py builds its scenes with the same pieces.

    cut = cut_out(np.asarray(load_image(path).image))     # (object, mask) or None
    crop = table_crop(*cut, np.random.default_rng(0))     # (S, S, 3) uint8, as predict_items crops

Only numpy, OpenCV and Pillow: the data layer.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from wildlens.data.items import ITEM_MARGIN, ItemBox, border_distance, fill_holes
from wildlens.data.tables import TABLE_KINDS, table_surface

# A background is plain when the border's mean Lab distance to its median colour is at most this;
# a pixel further than OBJECT_DISTANCE from that colour is object.
PLAIN_BORDER = 15.0
OBJECT_DISTANCE = 14.0
# A separate part at least this share of the largest part's area makes the object several pieces
# (a pair of shoes, two tusk pieces photographed together), which on a table are several items:
# not cut. Smaller parts are specks, dust, a print's edge, and are dropped. On clothing-small's
# test photos the second part of a pair is 0.87-0.99 of the first, every other one under 0.02.
PART_SHARE = 0.2
# The object's longer side on the table, in pixels of a photo whose shorter side is 1600 (the
# scale `table_surface` draws for): from six items on a table to one large one.
ITEM_SIDES = (250, 700)
GRABCUT_SIDE = 256  # the cut is refined at this size (about 0.2 s a photo on one core)
GRABCUT_ITERATIONS = 4
SHADOW_OFFSET = 10  # pixels down and right of the object
JPEG_QUALITY = 85  # a phone photo's compression


def cut_out(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The photo's object (H, W, 3) and its mask (H, W) bool, cut from a plain background (the
    border's median colour); None when the border is not plain, the object is in several pieces
    (`PART_SHARE`: a pair of shoes is two items on a table, and its larger piece alone is not the
    object photographed), reaches more than two edges, or covers under 5% or over 90% of it."""
    distance, edge = border_distance(rgb, 3)
    if edge.mean() > PLAIN_BORDER:
        return None
    mask = (distance > OBJECT_DISTANCE).astype(np.uint8)
    mask = refined(rgb, mask)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count < 2:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    if (areas >= PART_SHARE * areas.max()).sum() > 1:
        return None
    mask = fill_holes(labels == 1 + int(np.argmax(areas)))
    ys, xs = np.nonzero(mask)
    touches = (ys.min() == 0) + (xs.min() == 0) + (ys.max() == mask.shape[0] - 1)
    touches += xs.max() == mask.shape[1] - 1
    if not 0.05 < mask.mean() < 0.9 or touches > 2:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    return rgb[y0:y1, x0:x1], mask[y0:y1, x0:x1]


def refined(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The colour-distance mask refined by GrabCut (colour models of object and background,
    the border strip certain background), at most `GRABCUT_SIDE` on the longer side: a bed's
    folds and a floor's tiles, near the border's colour or not, go with the background."""
    height, width = mask.shape
    scale = min(1.0, GRABCUT_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    marks = np.where(
        cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST) > 0, cv2.GC_PR_FGD, cv2.GC_PR_BGD
    ).astype(np.uint8)
    marks[:2], marks[-2:], marks[:, :2], marks[:, -2:] = (cv2.GC_BGD,) * 4
    if not (marks == cv2.GC_PR_FGD).any():
        return mask
    models = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)  # the same photo, the same cut
    cv2.grabCut(small, marks, None, *models, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    object_ = ((marks == cv2.GC_FGD) | (marks == cv2.GC_PR_FGD)).astype(np.uint8)
    return cv2.resize(object_, (width, height), interpolation=cv2.INTER_NEAREST)


def scaled(rgb: np.ndarray, mask: np.ndarray, longest: float) -> tuple[np.ndarray, np.ndarray]:
    """The object and its soft mask (float32, 0-1) with the longer side `longest` pixels."""
    factor = longest / max(rgb.shape[:2])
    size = (max(8, round(rgb.shape[1] * factor)), max(8, round(rgb.shape[0] * factor)))
    return (
        cv2.resize(rgb, size, interpolation=cv2.INTER_AREA),
        cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_LINEAR),
    )


def lay(table: np.ndarray, rgb: np.ndarray, mask: np.ndarray, at: tuple[int, int]) -> None:
    """Lay an object (soft `mask`, as `scaled` gives) on `table` (float32, changed in place) with
    its top-left corner at `at` (x, y), with a soft shadow down and to the right."""
    x, y = at
    alpha = cv2.GaussianBlur(mask, (0, 0), 1.0)[..., None]
    shadow = cv2.GaussianBlur(mask, (0, 0), 12)[..., None] * 0.25
    sy, sx = y + SHADOW_OFFSET, x + SHADOW_OFFSET
    region = table[sy : sy + rgb.shape[0], sx : sx + rgb.shape[1]]
    region *= 1 - shadow[: region.shape[0], : region.shape[1]]
    window = table[y : y + rgb.shape[0], x : x + rgb.shape[1]]
    window[:] = window * (1 - alpha) + rgb.astype(np.float32) * alpha


def jpeg_round_trip(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> np.ndarray:
    """The image as a JPEG of `quality` shows it."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def table_crop(
    rgb: np.ndarray,
    mask: np.ndarray,
    rng: np.random.Generator,
    margin: float = ITEM_MARGIN,
    kinds: tuple[str, ...] = TABLE_KINDS,
) -> tuple[np.ndarray, ItemBox]:
    """The object laid on a random table (one of `kinds`, at a random size in `ITEM_SIDES`) and
    framed as `predict_items` frames a found item (`ItemBox.expanded(margin)`: a square round
    the item's box), as a JPEG shows it; and the item's box in the crop."""
    kind = kinds[int(rng.integers(len(kinds)))]
    item, soft = scaled(rgb, mask, rng.uniform(*ITEM_SIDES))
    height, width = item.shape[:2]
    side = round(max(width, height) * (1 + 2 * margin))
    x0, y0 = round(side / 2 - width / 2), round(side / 2 - height / 2)
    box = ItemBox(x0, y0, x0 + width, y0 + height)
    # The item's square (`ItemBox.expanded`) is the whole table here: the crop itself.
    table = table_surface(kind, rng, (side, side)).astype(np.float32)
    lay(table, item, soft, (x0, y0))
    return jpeg_round_trip(np.clip(table, 0, 255).astype(np.uint8)), box
