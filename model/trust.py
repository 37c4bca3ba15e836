"""Fits the trust policy: from held-out network outputs to everything a decision needs (the
temperature from `wildlens.model.calibration`, the routing thresholds of
`wildlens.model.routing`, the shortlist and the unknown-item threshold), and the measures of
that trust.

The calibration split (group-disjoint from training) fits the temperature, the per-class
auto-accept thresholds, the conformal shortlist and the unknown-item threshold; the evaluation
split (test, else validation) then measures what an officer would see: precision of accepted
answers, review rate, shortlist coverage and size, and how well unknown items are caught.

    trust = fit_trust(cal_outputs, cal_labels, train_outputs, train_labels, entries, settings)
    measures = routing_measures(eval_outputs, eval_labels, trust, unknown_outputs)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wildlens.model.backends import ModelOutputs
from wildlens.model.bundle import UNKNOWN_FILE
from wildlens.model.calibration import (
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    softmax,
)
from wildlens.model.catalogue import CatalogueEntry
from wildlens.model.config import TrainConfig
from wildlens.model.metrics import risk_coverage, routing_metrics, shortlist_metrics
from wildlens.model.routing import Policy, QualityLimits, decide, fit_policy
from wildlens.model.unknown import Mahalanobis, fit_mahalanobis, unknown_auroc, unknown_scores


@dataclass(frozen=True)
class TrustSettings:
    delta: float = 0.1
    coverage: float = 0.95
    class_conditional: bool = True  # per-class shortlist thresholds for CITES-listed classes
    unknown_score: str = "energy"
    unknown_keep: float = 0.95
    accept_floor: float = 0.5
    quality: QualityLimits = field(default_factory=QualityLimits)

    @classmethod
    def from_config(cls, cfg: TrainConfig) -> TrustSettings:
        return cls(
            delta=cfg.routing_delta,
            coverage=cfg.shortlist_coverage,
            class_conditional=cfg.shortlist_class_conditional,
            unknown_score=cfg.unknown_score,
            unknown_keep=cfg.unknown_keep,
            accept_floor=cfg.accept_floor,
            quality=QualityLimits(cfg.poor_min_side, cfg.poor_min_sharpness, cfg.poor_min_contrast),
        )


@dataclass(frozen=True)
class Trust:
    temperature: float
    policy: Policy
    mahalanobis: Mahalanobis | None
    calibration: dict[str, Any]  # ECE and NLL before/after on the calibration split

    def scores(self, outputs: ModelOutputs) -> np.ndarray:
        return unknown_scores(outputs.logits, outputs.features, self.temperature, self.mahalanobis)

    def unknown_meta(self) -> dict[str, Any]:
        """bundle.json's `unknown`: the score, and the file of its statistics if it has one."""
        return {
            "score": self.policy.unknown_score,
            "file": UNKNOWN_FILE if self.mahalanobis is not None else None,
        }

    def files(self) -> dict[str, bytes]:
        """The bundle files the policy needs besides bundle.json (Mahalanobis statistics)."""
        if self.mahalanobis is None:
            return {}
        return {UNKNOWN_FILE: self.mahalanobis.to_safetensors()}


def fit_trust(
    calibration: ModelOutputs,
    calibration_labels: np.ndarray,
    train: ModelOutputs | None,
    train_labels: np.ndarray | None,
    entries: Sequence[CatalogueEntry],
    settings: TrustSettings,
) -> Trust:
    """Temperature, policy and (for the Mahalanobis score) feature statistics.

    Mahalanobis statistics come from the training photos, so the calibration photos that set the
    unknown threshold were not used to fit them.
    """
    labels = np.asarray(calibration_labels)
    temperature = fit_temperature(calibration.logits, labels)
    before, after = softmax(calibration.logits), softmax(calibration.logits, temperature)
    mahalanobis = None
    if settings.unknown_score == "mahalanobis":
        if train is None or train_labels is None:
            raise ValueError("the Mahalanobis score needs the training photos' features")
        mahalanobis = fit_mahalanobis(train.features, train_labels, len(entries))
    scores = unknown_scores(calibration.logits, calibration.features, temperature, mahalanobis)
    policy = fit_policy(
        after,
        labels,
        scores,
        [e.id for e in entries],
        [e.target_precision for e in entries],
        [e.always_review for e in entries],
        delta=settings.delta,
        coverage=settings.coverage,
        class_conditional=[
            settings.class_conditional and e.cites_appendix != "none" for e in entries
        ],
        unknown_score=settings.unknown_score,
        unknown_keep=settings.unknown_keep,
        quality=settings.quality,
        floor=settings.accept_floor,
    )
    measured = {
        "split": "calibration",
        "num_images": len(labels),
        "temperature": temperature,
        "ece_before": expected_calibration_error(before, labels),
        "ece_after": expected_calibration_error(after, labels),
        "nll_before": negative_log_likelihood(before, labels) if len(labels) else None,
        "nll_after": negative_log_likelihood(after, labels) if len(labels) else None,
    }
    return Trust(temperature, policy, mahalanobis, measured)


def routing_measures(
    outputs: ModelOutputs,
    labels: np.ndarray,
    trust: Trust,
    unknown: ModelOutputs | None = None,
) -> dict[str, Any]:
    """What the policy does on held-out photos (photo quality is not checked here)."""
    probs = softmax(outputs.logits, trust.temperature)
    scores = trust.scores(outputs)
    decisions = decide(probs, scores, None, trust.policy)
    measures = {
        "routing": routing_metrics(probs, labels, decisions, trust.policy),
        "shortlist": shortlist_metrics(
            [d.shortlist for d in decisions], labels, trust.policy.shortlist.coverage
        ),
        "risk_coverage": risk_coverage(probs, labels),
        "unknown": {
            "score": trust.policy.unknown_score,
            "threshold": trust.policy.unknown_threshold,
            "in_catalogue_called_unknown": float((scores > trust.policy.unknown_threshold).mean())
            if len(scores)
            else None,
            "auroc": None,
            "unknown_photos": 0,
        },
    }
    if unknown is not None and len(unknown.logits):
        unknown_scores_ = trust.scores(unknown)
        measures["unknown"].update(
            auroc=unknown_auroc(scores, unknown_scores_),
            unknown_photos=len(unknown_scores_),
            unknown_caught=float((unknown_scores_ > trust.policy.unknown_threshold).mean()),
        )
    return measures
