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
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from wildlens.data.images import LoadedImage
from wildlens.data.quality import ImageQuality
from wildlens.model.bundle.format import Bundle, load_bundle
from wildlens.model.network.backends import BackendName, ModelOutputs, Precision, select_backend
from wildlens.model.network.device import device_name
from wildlens.model.serving.preparer import UNPROCESSABLE, UNPROCESSABLE_ERRORS, ImagePreparer
from wildlens.model.trust.calibration import softmax
from wildlens.model.trust.routing import Decision, decide
from wildlens.model.trust.together import decide_together

if TYPE_CHECKING:
    from wildlens.model.training.policy import Trust

# The decode side lives in `model.preparer` (what decode workers import); named here too, as
# the predictor's photo errors.
__all__ = [
    "UNPROCESSABLE",
    "UNPROCESSABLE_ERRORS",
    "ImagePreparer",
    "ItemPrediction",
    "ModelOutputs",
    "Prediction",
    "Predictor",
]


@dataclass(frozen=True)
class Prediction:
    label: str  # top-1 class id
    confidence: float  # its calibrated probability
    top_k: list[tuple[str, float]]
    probabilities: dict[str, float]
    decision: str  # identified | review | unknown
    reasons: list[str]
    shortlist: list[str]  # conformal set: the true class is among these with the set coverage
    unknown_scores: dict[str, float]  # energy, knn_features[, knn_logits]: higher, less familiar
    accept_threshold: float | None  # the top class's auto-accept threshold (None: never)
    signals: dict[str, bool]  # what the shift guard counts: unknown, unfamiliar, low_confidence
    quality: dict[str, float] | None = None
    bundle: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "confidence": self.confidence,
            "top_k": [[c, p] for c, p in self.top_k],
            "decision": self.decision,
            "reasons": list(self.reasons),
            "shortlist": list(self.shortlist),
            "unknown_scores": dict(self.unknown_scores),
            "accept_threshold": self.accept_threshold,
            "signals": dict(self.signals),
            "quality": self.quality,
            **self.bundle,
        }


@dataclass(frozen=True)
class ItemPrediction:
    """One decision for several photos of one item, with each photo's own result."""

    combined: Prediction
    photos: list[Prediction]
    # The photos (indices) that made the item's answer more careful than their mean: one that
    # alone is `unknown`, or one unfamiliar photo that withheld auto-accept.
    stopped_by: tuple[int, ...] = ()


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
        # Every prediction names the bundle; its digest is worked out once, not once a photo.
        self.identity = bundle.identity
        self.device = device_name(device)  # "cpu", "cuda", ...: torch only if a GPU may be there
        self.top_k = top_k
        self.class_ids = bundle.class_ids
        self.catalogue = bundle.catalogue
        self.preprocessing = bundle.preprocessing
        self.preparer = ImagePreparer(self.preprocessing)
        self.temperature = bundle.temperature
        self.policy = bundle.routing
        self.unknown = bundle.unknown_model()
        self.backend = select_backend(bundle, self.device, backend, precision, threads)

    @classmethod
    def from_bundle(
        cls,
        path: str | Path,
        device: str = "auto",
        top_k: int = 3,
        trusted_keys: set[str] | None = None,
        **backend: Any,
    ) -> Predictor:
        """Load and verify the bundle at `path` (signed by one of `trusted_keys` when given);
        `backend` keywords go to `select_backend`."""
        return cls(load_bundle(path, trusted_keys), device=device, top_k=top_k, **backend)

    def load(self, source: Any) -> LoadedImage:
        """Decode a photo with the shared decoder, reduced to what the eval transform needs."""
        return self.preparer.load(source)

    def trust(self) -> Trust:
        """The bundle's trust policy as training fitted it, to measure it on other photos."""
        from wildlens.model.training.policy import (
            Trust,  # training's library: only evaluation needs it
        )

        calibration = self.bundle.meta.metrics.get("calibration") or {}
        return Trust(self.temperature, self.policy, self.unknown, calibration, {})

    def preprocess(self, image: Image.Image) -> np.ndarray:
        """The shared eval transform: a (3, H, W) float32 array ready for `forward`."""
        return self.preparer.preprocess(image)

    def quality(self, image: Image.Image) -> ImageQuality:
        """Size, sharpness and contrast of a decoded photo, for the `poor_image` check."""
        return self.preparer.quality(image)

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

    def predict(
        self, images: Sequence[Image.Image], suspended: Sequence[bool] | None = None
    ) -> list[Prediction]:
        """Calibrated, routed predictions for RGB images, in order."""
        qualities = [self.quality(image) for image in images]
        return self.decide(self.outputs(images), qualities, suspended)

    def unknown_scores(self, outputs: ModelOutputs) -> dict[str, np.ndarray]:
        """The bundle's out-of-catalogue scores of each row (higher: less like the catalogue)."""
        return self.unknown.scores(outputs.logits, outputs.features)

    def decide(
        self,
        outputs: ModelOutputs,
        qualities: Sequence[ImageQuality] | None = None,
        suspended: Sequence[bool] | None = None,
    ) -> list[Prediction]:
        """Calibrated probabilities, decisions and reasons from the network's outputs.

        Without `qualities` the `poor_image` check is skipped; `suspended` (the shift guard's
        verdict for each row) withholds auto-accept.
        """
        probs = softmax(outputs.logits, self.temperature)
        scores = self.unknown_scores(outputs)
        poor = None if qualities is None else [self.policy.quality.is_poor(q) for q in qualities]
        decisions = decide(probs, scores, poor, self.policy, suspended)
        qualities = qualities or [None] * len(probs)
        return [
            self._prediction(probs[i], {k: v[i] for k, v in scores.items()}, d, q)
            for i, (d, q) in enumerate(zip(decisions, qualities, strict=True))
        ]

    def predict_item(
        self, images: Sequence[Image.Image], suspended: bool = False
    ) -> ItemPrediction:
        """Combine the photos of one item into one decision (`wildlens.model.trust.together`:
        the mean of its usable photos, never less careful than any of them; `stopped_by` names
        the photos that decided so). `suspended`: the shift guard withholds auto-accept."""
        if not images:
            raise ValueError("an item needs at least one photo")
        outputs = self.outputs(images)
        qualities = [self.quality(image) for image in images]
        photos = self.decide(outputs, qualities, [suspended] * len(qualities))
        poor = [self.policy.quality.is_poor(q) for q in qualities]
        probs = softmax(outputs.logits, self.temperature)
        together = decide_together(
            probs, self.unknown_scores(outputs), poor, self.policy, suspended
        )
        combined = self._prediction(together.probs, together.scores, together.decision, None)
        return ItemPrediction(combined, photos, together.stopped_by)

    def _prediction(
        self,
        row: np.ndarray,
        scores: dict[str, float],
        decision: Decision,
        quality: ImageQuality | None,
    ) -> Prediction:
        order = np.argsort(-row, kind="stable")
        return Prediction(
            label=self.class_ids[order[0]],
            confidence=float(row[order[0]]),
            top_k=[(self.class_ids[i], float(row[i])) for i in order[: self.top_k]],
            probabilities={c: float(p) for c, p in zip(self.class_ids, row, strict=True)},
            decision=decision.decision,
            reasons=list(decision.reasons),
            shortlist=[self.class_ids[i] for i in decision.shortlist],
            unknown_scores={k: float(v) for k, v in scores.items()},
            accept_threshold=None
            if np.isinf(decision.accept_threshold)
            else decision.accept_threshold,
            signals=dict(decision.signals),
            quality=quality.to_dict() if quality is not None else None,
            bundle=dict(self.identity),
        )
