"""Heat maps: which part of a photo drove the model's answer (Grad-CAM on the last feature map).

    explainer = GradCam.from_bundle(bundle)             # a PyTorch copy of the bundle's network
    heat = explainer.heat_map(image, class_index)       # (H, W) float32 in [0, 1], image-sized
    shown = overlay(image, heat)                        # RGB photo with the map blended in

Grad-CAM (Selvaraju et al. 2017): the class score's gradient with respect to the last
convolutional feature map, averaged over space, weights that map's channels; the positive part
of the weighted sum is where evidence for the class lies. It needs gradients, so it runs on a
PyTorch copy of the network even when the predictor runs ONNX Runtime; both come from the
bundle's one weights file. Only the head is differentiated (the feature map is computed once
without gradients), so a heat map costs little more than a forward pass and holds no state
between calls: one explainer can serve several threads.

The network sees the centre square of the photo (the eval transform's crop); the map is zero
outside it, and `overlay` dims that part, so nobody reads meaning into what was never looked at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image

from wildlens.data.transforms import Preprocessing, apply, eval_transforms
from wildlens.model.bundle.format import Bundle
from wildlens.model.network.backbones import network_from_bundle

if TYPE_CHECKING:
    import torch  # imported where a heat map is computed: the app answers without it


class ExplainError(ValueError):
    """The network has no spatial feature map to explain (not a convolutional network)."""


class GradCam:
    def __init__(self, model: torch.nn.Module, preprocessing: Preprocessing):
        self.model = model.eval()
        self.model.requires_grad_(False)  # gradients flow to the feature map only
        self.preprocessing = preprocessing
        self.transform = eval_transforms(preprocessing)

    @classmethod
    def from_bundle(cls, bundle: Bundle) -> GradCam:
        """A CPU PyTorch copy of the bundle's network (its hash-checked safetensors weights)."""
        return cls(network_from_bundle(bundle), bundle.preprocessing)

    def class_map(self, image: Image.Image, class_index: int) -> np.ndarray:
        """Grad-CAM of `class_index` on the network's input crop: (h, w) >= 0, max 1 (or all 0)."""
        import torch

        x = torch.from_numpy(apply(self.transform, image))[None]
        with torch.no_grad():
            features = self.model.forward_features(x)
        if features.ndim != 4:
            raise ExplainError(
                f"{type(self.model).__name__} has no spatial feature map: no heat map"
            )
        features = features.detach().requires_grad_(True)  # (1, C, h, w)
        with torch.enable_grad():
            score = self.model.forward_head(features)[0, class_index]
            (gradient,) = torch.autograd.grad(score, features)
        weights = gradient.mean(dim=(2, 3), keepdim=True)
        cam = torch.relu((weights * features.detach()).sum(dim=1))[0].numpy().astype(np.float32)
        peak = float(cam.max())
        return cam / peak if peak > 0 else np.zeros_like(cam)

    def heat_map(
        self, image: Image.Image, class_index: int, size: tuple[int, int] | None = None
    ) -> np.ndarray:
        """The class's heat map over the whole photo, (H, W) float32 in [0, 1].

        Args:
            image: the RGB photo as decoded (what the predictor saw).
            class_index: the class to explain (usually the predicted one).
            size: (width, height) of the map; default the image's own size. A smaller size
                (for display) keeps the same geometry.
        """
        width, height = size or image.size
        cam = self.class_map(image, class_index)
        left, top, side_x, side_y = crop_box(image.size, self.preprocessing, (width, height))
        heat = np.zeros((height, width), np.float32)
        if side_x > 0 and side_y > 0:
            inside = cv2.resize(cam, (side_x, side_y), interpolation=cv2.INTER_LINEAR)
            heat[top : top + side_y, left : left + side_x] = np.clip(inside, 0.0, 1.0)
        return heat


def crop_box(
    image_size: tuple[int, int], pre: Preprocessing, out_size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """(left, top, width, height) in `out_size` pixels of the centre square the network sees.

    The eval transform scales the shorter side to `resize_size` and crops `input_size` from the
    middle: in the photo's own pixels that square's side is short * input_size / resize_size.
    """
    width, height = image_size
    side = min(width, height) * pre.input_size / pre.resize_size
    scale_x, scale_y = out_size[0] / width, out_size[1] / height
    side_x = min(out_size[0], round(side * scale_x))
    side_y = min(out_size[1], round(side * scale_y))
    left = round((width - side) / 2 * scale_x)
    top = round((height - side) / 2 * scale_y)
    return max(0, left), max(0, top), side_x, side_y


def overlay(
    image: Image.Image, heat: np.ndarray, alpha: float = 0.5, outside: np.ndarray | None = None
) -> Image.Image:
    """`image` (resized to the map) with the heat map blended in where it is warm.

    Args:
        image: RGB photo.
        heat: (H, W) in [0, 1] from `GradCam.heat_map`.
        alpha: opacity of the hottest colour.
        outside: (H, W) bool, the part the network never saw, shown darker; default: where the
            map is zero outside the centre square cannot be told from a cold region, so pass it.
    """
    height, width = heat.shape
    base = np.asarray(image.convert("RGB").resize((width, height), Image.BILINEAR), np.float32)
    colours = cv2.applyColorMap((heat * 255).astype(np.uint8), cv2.COLORMAP_JET)[..., ::-1]
    weight = (alpha * heat)[..., None]
    blended = base * (1.0 - weight) + colours.astype(np.float32) * weight
    if outside is not None:
        blended[outside] *= 0.45
    return Image.fromarray(np.clip(blended, 0, 255).astype(np.uint8))


def outside_mask(
    image_size: tuple[int, int], pre: Preprocessing, out_size: tuple[int, int]
) -> np.ndarray:
    """(H, W) bool of `out_size`: True outside the centre square the network sees."""
    left, top, side_x, side_y = crop_box(image_size, pre, out_size)
    mask = np.ones((out_size[1], out_size[0]), bool)
    mask[top : top + side_y, left : left + side_x] = False
    return mask
