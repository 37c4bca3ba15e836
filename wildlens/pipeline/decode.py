"""The decode stage of a batch run: one input -> model-ready pixels, or why there are none.

It runs in infer.py's spawned decode workers (and Ray's decode tasks), so it imports only what
decoding needs (the data layer's decoder, the eval transform, quality measures: numpy, Pillow,
OpenCV), never the model's libraries: a worker is ready in a fraction of a second.

    prepared = prepare_input(sample, ImagePreparer(bundle.preprocessing))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wildlens.data.images import ImageError, ImageFacts
from wildlens.data.quality import ImageQuality
from wildlens.data.sources import Sample, Skipped
from wildlens.model.preparer import ImagePreparer


@dataclass(frozen=True)
class Prepared:
    """One input after the decode stage: model-ready pixels, or why there are none."""

    key: str
    pixels: np.ndarray | None = field(default=None, repr=False)  # (3, H, W) float32
    facts: ImageFacts | None = None
    quality: ImageQuality | None = None  # for the poor_image check, measured where decoded
    error: tuple[str, str, str] | None = None  # code, message, sha256 of the bytes if read
    skipped: Skipped | None = None


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
