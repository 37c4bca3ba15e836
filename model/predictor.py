"""The one path from a photo to a decision, used by infer.py, the app and evaluation alike.

predictor = Predictor.from_bundle("runs/train")
loaded = predictor.load("photo.jpg")            # the shared decoder, at the size needed
[prediction] = predictor.predict([loaded.image])
prediction.decision, prediction.reasons, prediction.top_k
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from data.images import LoadedImage, load_image
from data.transforms import Preprocessing, apply, eval_transforms
from model.backends import BackendName, ModelOutputs, Precision, select_backend
from model.bundle import Bundle, load_bundle
from model.calibration import softmax
from model.device import select_device
from model.routing import route

SHORTLIST_MASS = 0.95


@dataclass(frozen=True)
class Prediction:
    label: str  # top-1 class id
    confidence: float  # its calibrated probability
    top_k: list[tuple[str, float]]
    probabilities: dict[str, float]
    decision: str  # identified | review | unknown
    reasons: list[str]
    # Smallest set of classes holding SHORTLIST_MASS of the calibrated probability (conformal
    # prediction sets replace this once the routing issue lands).
    shortlist: list[str]
    unknown_score: float | None
    bundle: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "confidence": self.confidence,
            "top_k": [[c, p] for c, p in self.top_k],
            "decision": self.decision,
            "reasons": list(self.reasons),
            "shortlist": list(self.shortlist),
            "unknown_score": self.unknown_score,
            **self.bundle,
        }


@dataclass(frozen=True)
class ImagePreparer:
    """Photo -> model input, without the model: what batch decode workers run (picklable)."""

    preprocessing: Preprocessing

    def load(self, source: Any) -> LoadedImage:
        """Decode with the shared decoder, reduced to what the eval transform needs."""
        return load_image(source, target_size=self.preprocessing.resize_size)

    def preprocess(self, image: Image.Image) -> np.ndarray:
        """The shared eval transform: a (3, H, W) float32 array."""
        return apply(_eval_transform(self.preprocessing), image).numpy()


@functools.lru_cache(maxsize=4)
def _eval_transform(preprocessing: Preprocessing):
    return eval_transforms(preprocessing)  # built once per process, not once per photo


class Predictor:
    """Loads a bundle once; turns RGB images into calibrated, routed predictions."""

    def __init__(
        self,
        bundle: Bundle,
        device: str = "auto",
        top_k: int = 3,
        backend: BackendName = "auto",
        precision: Precision = "auto",
        threads: int = 0,
    ):
        self.bundle = bundle
        self.device = select_device(device)
        self.top_k = top_k
        self.class_ids = bundle.class_ids
        self.catalogue = bundle.catalogue
        self.preprocessing = bundle.preprocessing
        self.preparer = ImagePreparer(self.preprocessing)
        self.temperature = bundle.temperature
        self.policy = bundle.routing
        self.backend = select_backend(bundle, self.device, backend, precision, threads)

    @classmethod
    def from_bundle(
        cls, path: str | Path, device: str = "auto", top_k: int = 3, **backend: Any
    ) -> Predictor:
        """Load and verify the bundle at `path`; `backend` keywords go to `select_backend`."""
        return cls(load_bundle(path), device=device, top_k=top_k, **backend)

    def load(self, source: Any) -> LoadedImage:
        """Decode a photo with the shared decoder, reduced to what the eval transform needs."""
        return self.preparer.load(source)

    def preprocess(self, image: Image.Image) -> np.ndarray:
        """The shared eval transform: a (3, H, W) float32 array ready for `forward`."""
        return self.preparer.preprocess(image)

    def forward(self, batch: np.ndarray) -> ModelOutputs:
        """Logits and features for a (N, 3, H, W) float32 batch."""
        if len(batch) == 0:
            empty = np.zeros((0, len(self.class_ids)), np.float32)
            return ModelOutputs(empty, np.zeros((0, 0), np.float32))
        return self.backend(np.ascontiguousarray(batch, dtype=np.float32))

    def outputs(self, images: Sequence[Image.Image]) -> ModelOutputs:
        """Logits and features for RGB images."""
        size = self.preprocessing.input_size
        batch = (
            np.stack([self.preprocess(image) for image in images])
            if images
            else (np.zeros((0, 3, size, size), np.float32))
        )
        return self.forward(batch)

    def logits(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Raw logits (N, C) for RGB images."""
        return self.outputs(images).logits

    def predict(self, images: Sequence[Image.Image]) -> list[Prediction]:
        """Calibrated, routed predictions for RGB images, in order."""
        return self.decide(self.outputs(images))

    def decide(self, outputs: ModelOutputs) -> list[Prediction]:
        """Calibrated probabilities, decisions and reasons from the network's outputs."""
        probs = softmax(outputs.logits, self.temperature)
        decisions = route(probs, self.policy)
        return [
            self._prediction(row, d.decision, d.reasons)
            for row, d in zip(probs, decisions, strict=True)
        ]

    def _prediction(self, row: np.ndarray, decision: str, reasons: Sequence[str]) -> Prediction:
        order = np.argsort(-row, kind="stable")
        cumulative = np.cumsum(row[order])
        shortlist_size = int(np.searchsorted(cumulative, SHORTLIST_MASS) + 1)
        return Prediction(
            label=self.class_ids[order[0]],
            confidence=float(row[order[0]]),
            top_k=[(self.class_ids[i], float(row[i])) for i in order[: self.top_k]],
            probabilities={c: float(p) for c, p in zip(self.class_ids, row, strict=True)},
            decision=decision,
            reasons=list(reasons),
            shortlist=[self.class_ids[i] for i in order[:shortlist_size]],
            unknown_score=None,
            bundle=self.bundle.identity,
        )
