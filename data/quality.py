"""Photo quality: is a photo good enough to identify anything from?

Three measures, taken on a 256-px greyscale copy so they do not depend on the camera's resolution:
the shorter side of the original, sharpness (variance of the Laplacian: low when blurred) and
contrast (standard deviation of the grey levels: low when nearly uniform).

    quality = measure_quality(loaded.image)
    poor = policy.quality.is_poor(quality)     # limits: wildlens.model.trust.routing.QualityLimits
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
