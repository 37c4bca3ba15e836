"""Image transforms: one eval transform shared by every consumer, one train pipeline.

The eval transform is built only from `Preprocessing`, which is derived from the model's
pretrained config and saved in every bundle, so training, evaluation, `infer.py` and the app
preprocess identically. It runs on numpy and OpenCV alone (no albumentations, no torch), so an
ONNX Runtime process never imports torch; the training pipelines (albumentations, which imports
torch) are loaded only by the functions that build them. Every transform gives a float32 CHW
array; training's data loaders turn it into tensors.

    pre = Preprocessing.from_model(model)
    x = apply(eval_transforms(pre), rgb_pil)   # (3, H, W) float32 array
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from PIL import Image

if TYPE_CHECKING:
    import albumentations as A
    import torch

_INTERPOLATIONS = {
    "bicubic": cv2.INTER_CUBIC,
    "bilinear": cv2.INTER_LINEAR,
    "nearest": cv2.INTER_NEAREST,
    "area": cv2.INTER_AREA,
}


@dataclass(frozen=True)
class Preprocessing:
    """What a model expects of its input; travels inside the bundle."""

    input_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    interpolation: str = "bicubic"
    crop_pct: float = 0.875

    @property
    def resize_size(self) -> int:
        """Shorter side before the centre crop (timm's rule)."""
        return math.floor(self.input_size / self.crop_pct)

    @classmethod
    def from_model(cls, model: torch.nn.Module, image_size: int = 0) -> Preprocessing:
        """From timm's resolved data config; `image_size` > 0 overrides the input size."""
        from timm.data import resolve_model_data_config

        config = resolve_model_data_config(model)
        return cls(
            input_size=image_size or int(config["input_size"][-1]),
            mean=tuple(float(v) for v in config["mean"]),
            std=tuple(float(v) for v in config["std"]),
            interpolation=config.get("interpolation", "bicubic"),
            crop_pct=float(config.get("crop_pct", 0.875)),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessing:
        return cls(
            input_size=int(data["input_size"]),
            mean=tuple(data["mean"]),
            std=tuple(data["std"]),
            interpolation=str(data["interpolation"]),
            crop_pct=float(data["crop_pct"]),
        )


class EvalTransform:
    """Resize the shorter side to `resize_size` (area filter when shrinking), centre-crop to
    `input_size`, normalise: timm's eval recipe, antialiased. An RGB image in, a (3, H, W)
    float32 array out.

    Pixel for pixel what albumentations gives with SmallestMaxSize (`area_for_downscale="image"`),
    CenterCrop and Normalize (`train_transforms` at strength 0; a test holds them equal): the
    same size rounding, the same OpenCV resize call and the same float32 lookup table per channel
    (albucore's), so bundles trained before keep their calibration to the last bit.

    Raises:
        ValueError: not an RGB image, or a crop larger than the resized photo.
        cv2.error, MemoryError: a shape OpenCV cannot resize (an extreme aspect ratio).
    """

    def __init__(self, pre: Preprocessing):
        self.pre = pre
        self.interpolation = _INTERPOLATIONS[pre.interpolation]
        mean = np.array(pre.mean, dtype=np.float32) * 255.0
        denominator = np.reciprocal(np.array(pre.std, dtype=np.float32) * 255.0)
        levels = np.arange(256, dtype=np.float32)
        # (3, 256): the normalised value of each 8-bit level, per channel.
        self.table = (levels - mean.reshape(-1, 1)) * denominator.reshape(-1, 1)

    def __call__(self, image: Image.Image | np.ndarray) -> np.ndarray:
        pixels = np.asarray(image)
        if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
            raise ValueError(f"expected an 8-bit RGB image, got {pixels.dtype} {pixels.shape}")
        pixels = resize_shorter_side(pixels, self.pre.resize_size, self.interpolation)
        height, width = pixels.shape[:2]
        size = self.pre.input_size
        if size > height or size > width:
            raise ValueError(f"a {size}-px crop does not fit a {width}x{height} image")
        top, left = (height - size) // 2, (width - size) // 2
        crop = pixels[top : top + size, left : left + size]
        out = np.empty((3, size, size), np.float32)
        for channel in range(3):
            np.take(self.table[channel], crop[:, :, channel], out=out[channel])
        return out


def resize_shorter_side(pixels: np.ndarray, size: int, interpolation: int) -> np.ndarray:
    """Scale (H, W, C) pixels so the shorter side is `size`; INTER_AREA when shrinking."""
    height, width = pixels.shape[:2]
    scale = size / min(height, width)
    shape = (max(1, round(height * scale)), max(1, round(width * scale)))
    if shape == (height, width):
        return pixels
    if scale < 1.0:
        interpolation = cv2.INTER_AREA
    return cv2.resize(pixels, (shape[1], shape[0]), interpolation=interpolation)


def eval_transforms(pre: Preprocessing) -> EvalTransform:
    """The one eval transform (see `EvalTransform`), for training, evaluation, infer.py and the
    app alike."""
    return EvalTransform(pre)


def train_transforms(
    pre: Preprocessing, strength: float = 1.0, seed: int | None = None
) -> A.Compose:
    """Officer-photo augmentation: framing, any rotation, perspective, light, blur, noise, JPEG.

    Args:
        pre: the model's preprocessing (size, mean, std).
        strength: 0 turns augmentation off (the eval transform's pixels), 1 is the default, up
            to 2.
        seed: makes the random stream reproducible.
    """
    import albumentations as A  # imports torch: only training builds these pipelines

    s = float(np.clip(strength, 0.0, 2.0))
    p = min(s, 1.0)  # probabilities saturate at strength 1; magnitudes keep growing to 2
    size = (pre.input_size, pre.input_size)
    interpolation = _INTERPOLATIONS[pre.interpolation]
    steps = [
        # Never crop away the whole item: keep at least half of the photo at full strength.
        A.RandomResizedCrop(
            size=size,
            scale=(1.0 - 0.5 * p, 1.0),
            interpolation=interpolation,
            area_for_downscale="image",
        ),
        A.HorizontalFlip(p=0.5),
        A.VerticalFlip(p=0.5 * p),
        # Items are photographed at any angle on a table.
        A.Rotate(limit=int(180 * p), border_mode=cv2.BORDER_REFLECT_101, p=0.7 * p),
        A.Perspective(scale=(0.02 * s, 0.06 * s), p=0.3 * p),
        A.RandomBrightnessContrast(brightness_limit=0.25 * s, contrast_limit=0.25 * s, p=0.8),
        A.ColorJitter(brightness=0.0, contrast=0.0, saturation=0.2 * s, hue=0.03 * s, p=0.5),
        A.RandomShadow(num_shadows_limit=(1, 2), shadow_intensity_range=(0.2, 0.5), p=0.2 * s),
        A.OneOf(
            [
                A.GaussianBlur(blur_limit=(3, 5), sigma_limit=(0.1, 1.5)),
                A.MotionBlur(blur_limit=(3, 7)),
            ],
            p=0.25 * s,
        ),
        A.GaussNoise(std_range=(0.01, 0.04 * s + 0.01), p=0.25 * s),
        A.ImageCompression(quality_range=(max(20, int(90 - 40 * s)), 95), p=0.3 * s),
    ]
    if s == 0:
        steps = [
            A.SmallestMaxSize(
                max_size=pre.resize_size, interpolation=interpolation, area_for_downscale="image"
            ),
            A.CenterCrop(height=pre.input_size, width=pre.input_size),
        ]
    steps.append(A.Normalize(mean=pre.mean, std=pre.std))
    return A.Compose(steps, strict=True, seed=seed)


def view_transforms(pre: Preprocessing, seed: int | None = None) -> A.Compose:
    """A second look at a photo, for fast mode's feature views: another framing (crop to 70%),
    a mirror image and a little change of light and colour, but no rotation or blur.

    Measured on clothing-small (see docs/benchmarks.md, "Fast mode's feature views"): views with
    the full officer augmentation (any rotation, blur, noise) lowered a linear head's test
    accuracy, upright photos then looking unlike the training views; these light views cost
    nothing there and keep the head from fitting one exact framing.
    """
    import albumentations as A  # imports torch: only training builds these pipelines

    return A.Compose(
        [
            A.RandomResizedCrop(
                size=(pre.input_size, pre.input_size),
                scale=(0.7, 1.0),
                interpolation=_INTERPOLATIONS[pre.interpolation],
                area_for_downscale="image",
            ),
            A.HorizontalFlip(p=0.5),
            A.ColorJitter(brightness=0.15, contrast=0.15, saturation=0.1, hue=0.02, p=0.8),
            A.Normalize(mean=pre.mean, std=pre.std),
        ],
        strict=True,
        seed=seed,
    )


def apply(transform: EvalTransform | A.Compose, image: Image.Image) -> np.ndarray:
    """Run the eval transform or an albumentations pipeline on an RGB PIL image: a (3, H, W)
    float32 array (training's loaders stack these into tensors)."""
    if isinstance(transform, EvalTransform):
        return transform(image)
    pixels = transform(image=np.asarray(image))["image"]  # (H, W, 3) float32 after Normalize
    return np.ascontiguousarray(pixels.transpose(2, 0, 1))
