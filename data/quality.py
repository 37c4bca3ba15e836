"""Photo quality: is a photo good enough to identify anything from?

Three measures, taken on a 256-px greyscale copy so they do not depend on the camera's resolution:
the shorter side of the original, sharpness (variance of the Laplacian: low when blurred) and
contrast (standard deviation of the grey levels: low when nearly uniform).

    quality = measure_quality(loaded.image)
    poor = is_poor(quality, QualityLimits())
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np
from PIL import Image

MEASURE_SIDE = 256


@dataclass(frozen=True)
class ImageQuality:
    min_side: int  # pixels, shorter side of the photo as decoded
    sharpness: float  # variance of the Laplacian at MEASURE_SIDE
    contrast: float  # grey-level standard deviation, 0-255

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class QualityLimits:
    """Below any of these a photo is `poor_image`. Measured here: sharp phone and product photos
    score sharpness >= 97 (1st percentile), a Gaussian blur of sigma 6 px drops them to 3-12;
    ordinary photos have contrast >= 19, a blank wall or lens cap under 5."""

    min_side: int = 64
    min_sharpness: float = 8.0
    min_contrast: float = 5.0

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def measure_quality(image: Image.Image) -> ImageQuality:
    """Quality of a decoded RGB photo. Reduced decoding never goes below the model's input size,
    so a decoded side under `min_side` means the original was that small too."""
    grey = image.convert("L")
    grey.thumbnail((MEASURE_SIDE, MEASURE_SIDE))
    pixels = np.asarray(grey, dtype=np.float32)
    return ImageQuality(
        min_side=int(min(image.size)),
        sharpness=float(cv2.Laplacian(pixels, cv2.CV_32F).var()),
        contrast=float(pixels.std()),
    )


def is_poor(quality: ImageQuality, limits: QualityLimits) -> bool:
    return (
        quality.min_side < limits.min_side
        or quality.sharpness < limits.min_sharpness
        or quality.contrast < limits.min_contrast
    )
