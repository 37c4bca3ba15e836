"""The decode stage of a batch run: one input -> model-ready pixels, or why there are none.

It runs in infer.py's spawned decode workers (and Ray's decode tasks), so it imports only what
decoding needs (the data layer's decoder, the eval transform, quality measures: numpy, Pillow,
OpenCV), never the model's libraries: a worker is ready in a fraction of a second.

    prepared = prepare_input(sample, ImagePreparer(bundle.preprocessing))
    prepared_items = prepare_items(sample, ImagePreparer(bundle.preprocessing))  # items=true
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wildlens.data.images import ImageError, ImageFacts, load_image
from wildlens.data.items import (
    ITEM_MARGIN,
    ITEMS_DECODE_SIDE,
    NO_ITEMS,
    NO_ITEMS_MESSAGE,
    crops_of,
    find_items,
    scale_to,
    soften_surround,
)
from wildlens.data.quality import ImageQuality
from wildlens.data.sources import Sample, Skipped
from wildlens.model.serving.preparer import ImagePreparer

ITEM_KEY = "{photo}#item{index}"  # an item's record key: unique, and the same on every rerun


@dataclass(frozen=True)
class Prepared:
    """One input after the decode stage: model-ready pixels, or why there are none."""

    key: str
    pixels: np.ndarray | None = field(default=None, repr=False)  # (3, H, W) float32
    facts: ImageFacts | None = None
    quality: ImageQuality | None = None  # for the poor_image check, measured where decoded
    error: tuple[str, str, str] | None = None  # code, message, sha256 of the bytes if read
    skipped: Skipped | None = None
    # items=true: item_of (the photo's key), item_index, item_box, items_found
    item: dict[str, Any] | None = None


def prepare_input(item: Sample | Skipped, preparer: ImagePreparer) -> Prepared:
    """Decode and preprocess one input (runs in a worker process; the result is picklable)."""
    if isinstance(item, Skipped):
        return Prepared(item.key, skipped=item)
    try:
        loaded = preparer.load(item.source)
    except ImageError as error:
        return Prepared(item.key, error=(error.code, error.message, error.sha256))
    try:
        pixels = preparer.preprocess(loaded.image)
    except ImageError as error:  # `unprocessable`: a shape the eval transform cannot resize
        return Prepared(item.key, error=(error.code, error.message, loaded.facts.sha256))
    quality = preparer.quality(loaded.image)
    return Prepared(item.key, pixels=pixels, facts=loaded.facts, quality=quality)


def prepare_items(item: Sample | Skipped, preparer: ImagePreparer) -> list[Prepared]:
    """Find the items of one photo and prepare each crop as a photo alone (in a worker).

    One `Prepared` per item, keyed `<photo key>#item<i>` with the item's fields; a photo that
    cannot be read, or where no item is found, gives one `Prepared` under the photo's key with
    the error (`no_items` for the latter).
    """
    if isinstance(item, Skipped):
        return [Prepared(item.key, skipped=item)]
    try:
        loaded = load_image(item.source, target_size=ITEMS_DECODE_SIDE)
    except ImageError as error:
        return [Prepared(item.key, error=(error.code, error.message, error.sha256))]
    facts = loaded.facts
    boxes = find_items(loaded.image)
    if not boxes:
        return [Prepared(item.key, error=(NO_ITEMS, NO_ITEMS_MESSAGE, facts.sha256))]
    size = facts.original_size
    factor = (size[0] / loaded.image.size[0], size[1] / loaded.image.size[1])
    prepared = []
    for index, (box, crop) in enumerate(
        zip(boxes, crops_of(loaded.image, boxes, ITEM_MARGIN), strict=True), start=1
    ):
        key = ITEM_KEY.format(photo=item.key, index=index)
        fields = {
            "item_of": item.key,
            "item_index": index,
            "item_box": scale_to(box, factor, size).as_list(),
            "items_found": len(boxes),
        }
        try:
            pixels = preparer.preprocess(soften_surround(crop))
        except ImageError as error:
            error_fields = (error.code, error.message, facts.sha256)
            prepared.append(Prepared(key, error=error_fields, item=fields))
            continue
        quality = preparer.quality(crop)
        prepared.append(Prepared(key, pixels, facts, quality, item=fields))
    return prepared
