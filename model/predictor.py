"""The one path from a photo to a decision, used by infer.py, the app and evaluation alike.

predictor = Predictor.from_bundle("runs/train")
loaded = predictor.load("photo.jpg")            # the shared decoder, at the size needed
[prediction] = predictor.predict([loaded.image])
prediction.decision, prediction.reasons, prediction.top_k
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from data.images import LoadedImage, load_image
from data.transforms import apply, eval_transforms
from model.backbones import build_model
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


class Predictor:
    """Loads a bundle once; turns RGB images into calibrated, routed predictions."""

    def __init__(self, bundle: Bundle, device: str = "auto", top_k: int = 3):
        self.bundle = bundle
        self.device = select_device(device)
        self.top_k = top_k
        self.class_ids = bundle.class_ids
        self.catalogue = bundle.catalogue
        self.preprocessing = bundle.preprocessing
        self.transform = eval_transforms(self.preprocessing)
        self.temperature = bundle.temperature
        self.policy = bundle.routing
        model = build_model(bundle.architecture, len(self.class_ids), weights="none")
        model.load_state_dict(bundle.load_state_dict(), strict=True)
        self.model = model.eval().to(self.device)

    @classmethod
    def from_bundle(cls, path: str | Path, device: str = "auto", top_k: int = 3) -> Predictor:
        return cls(load_bundle(path), device=device, top_k=top_k)

    def load(self, source: Any) -> LoadedImage:
        """Decode a photo with the shared decoder, reduced to what the eval transform needs."""
        return load_image(source, target_size=self.preprocessing.resize_size)

    @torch.inference_mode()
    def logits(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Raw logits (N, C) for RGB images."""
        if not images:
            return np.zeros((0, len(self.class_ids)), dtype=np.float32)
        batch = torch.stack([apply(self.transform, image) for image in images]).to(self.device)
        return self.model(batch).float().cpu().numpy()

    def predict(self, images: Sequence[Image.Image]) -> list[Prediction]:
        """Calibrated, routed predictions for RGB images, in order."""
        return self.predictions_from_logits(self.logits(images))

    def predictions_from_logits(self, logits: np.ndarray) -> list[Prediction]:
        probs = softmax(logits, self.temperature)
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
