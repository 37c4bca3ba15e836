"""Photo -> model input, without the model: the decode stage of infer.py and the app's first step.

    preparer = ImagePreparer(bundle.preprocessing)
    loaded = preparer.load("photo.jpg")          # the shared decoder, at the size needed
    pixels = preparer.preprocess(loaded.image)   # (3, H, W) float32, the shared eval transform

Apart from the model layer's own package, it imports only the data layer's decoder, eval
transform and quality measures (numpy, Pillow, OpenCV): what infer.py's decode workers load,
never torch, ONNX Runtime or the trust policy's libraries.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image

from wildlens.data.images import ImageError, LoadedImage, load_image
from wildlens.data.quality import ImageQuality, measure_quality
from wildlens.data.transforms import EvalTransform, Preprocessing, eval_transforms

# What the eval transform raises on a pathological photo (an extreme aspect ratio resized to the
# model's size), reported as the decoder's errors are, with the code UNPROCESSABLE.
UNPROCESSABLE = "unprocessable"
UNPROCESSABLE_ERRORS = (ValueError, MemoryError, cv2.error)


@dataclass(frozen=True)
class ImagePreparer:
    """Photo -> model input, without the model: what batch decode workers run (picklable)."""

    preprocessing: Preprocessing

    def load(self, source: Any) -> LoadedImage:
        """Decode with the shared decoder, reduced to what the eval transform needs."""
        return load_image(source, target_size=self.preprocessing.resize_size)

    def preprocess(self, image: Image.Image) -> np.ndarray:
        """The shared eval transform: a (3, H, W) float32 array.

        Raises:
            ImageError: `unprocessable`, a photo the transform cannot resize (an extreme aspect
                ratio): that photo's failure, never the run's.
        """
        try:
            return _eval_transform(self.preprocessing)(image)
        except UNPROCESSABLE_ERRORS as error:
            message = f"the photo could not be resized for the model ({type(error).__name__})"
            raise ImageError(UNPROCESSABLE, message) from error

    @staticmethod
    def quality(image: Image.Image) -> ImageQuality:
        """Size, sharpness and contrast of a decoded photo, for the `poor_image` check."""
        return measure_quality(image)


@functools.lru_cache(maxsize=4)
def _eval_transform(preprocessing: Preprocessing) -> EvalTransform:
    return eval_transforms(preprocessing)  # built once per process, not once per photo
