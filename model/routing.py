"""Routing: which predictions are accepted as "identified" and which go to an expert, and why.

Pure functions over arrays and the policy: no I/O. The policy holds one confidence threshold per
class, fitted on held-out data so that accepted predictions of that class reach the catalogue's
target precision; a class that cannot show it (too few examples) is never auto-accepted.

    policy = fit_policy(val_probs, val_labels, targets, always_review)
    decisions = route(test_probs, policy)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

IDENTIFIED, REVIEW, UNKNOWN = "identified", "review", "unknown"
# Reason codes (stable strings: they appear in CSV files and audit records).
LOW_CONFIDENCE = "low_confidence"
ALWAYS_REVIEW_CLASS = "always_review_class"
NOT_CALIBRATED = "class_not_calibrated"


@dataclass(frozen=True)
class RoutingPolicy:
    class_ids: tuple[str, ...]
    thresholds: tuple[float, ...]  # inf: never auto-accepted
    always_review: tuple[bool, ...]
    target_precision: tuple[float | None, ...]
    min_support: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "empirical_precision_threshold",
            "min_support": self.min_support,
            "classes": {
                class_id: {
                    "threshold": None if np.isinf(t) else t,
                    "always_review": review,
                    "target_precision": target,
                }
                for class_id, t, review, target in zip(
                    self.class_ids,
                    self.thresholds,
                    self.always_review,
                    self.target_precision,
                    strict=True,
                )
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoutingPolicy:
        classes = data["classes"]
        return cls(
            class_ids=tuple(classes),
            thresholds=tuple(
                float("inf") if c["threshold"] is None else float(c["threshold"])
                for c in classes.values()
            ),
            always_review=tuple(bool(c["always_review"]) for c in classes.values()),
            target_precision=tuple(c["target_precision"] for c in classes.values()),
            min_support=int(data["min_support"]),
        )


@dataclass(frozen=True)
class Decision:
    decision: str
    reasons: tuple[str, ...]


def precision_threshold(
    confidence: np.ndarray, correct: np.ndarray, target: float, min_support: int
) -> float:
    """Lowest confidence t with precision(conf >= t) >= target over >= min_support items; else inf.

    Args:
        confidence: top-1 confidence of held-out predictions of one class.
        correct: whether each of those predictions was right.
        target: required precision of accepted predictions.
        min_support: fewest accepted predictions that may justify a threshold.
    """
    order = np.argsort(-np.asarray(confidence), kind="stable")
    conf_sorted = np.asarray(confidence, dtype=np.float64)[order]
    hits = np.cumsum(np.asarray(correct, dtype=np.float64)[order])
    counts = np.arange(1, len(order) + 1)
    precision = hits / counts
    # A threshold is only valid at the end of a run of tied confidences.
    at_boundary = np.append(conf_sorted[1:] < conf_sorted[:-1], True)
    ok = (precision >= target) & (counts >= min_support) & at_boundary
    if not ok.any():
        return float("inf")
    return float(conf_sorted[np.flatnonzero(ok)[-1]])


def fit_policy(
    probs: np.ndarray,
    labels: np.ndarray,
    class_ids: tuple[str, ...],
    target_precision: tuple[float | None, ...],
    always_review: tuple[bool, ...],
    min_support: int = 10,
) -> RoutingPolicy:
    """Per-class thresholds from held-out calibrated probabilities (see `precision_threshold`)."""
    probs = np.asarray(probs)
    labels = np.asarray(labels)
    predicted = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype=int)
    confidence = probs.max(axis=1) if len(probs) else np.zeros(0)
    thresholds = []
    for c, (target, review) in enumerate(zip(target_precision, always_review, strict=True)):
        if review or target is None:
            thresholds.append(float("inf"))
            continue
        mine = predicted == c
        thresholds.append(
            precision_threshold(confidence[mine], labels[mine] == c, target, min_support)
        )
    return RoutingPolicy(
        class_ids=tuple(class_ids),
        thresholds=tuple(thresholds),
        always_review=tuple(always_review),
        target_precision=tuple(target_precision),
        min_support=min_support,
    )


def route(probs: np.ndarray, policy: RoutingPolicy) -> list[Decision]:
    """A decision with reasons for each row of calibrated probabilities."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(policy.class_ids):
        raise ValueError(f"probs shape {probs.shape} does not fit {len(policy.class_ids)} classes")
    if not np.all(np.isfinite(probs)):
        raise ValueError("probabilities contain NaN or infinite values")
    decisions = []
    for row in probs:
        top = int(row.argmax())
        if policy.always_review[top]:
            decisions.append(Decision(REVIEW, (ALWAYS_REVIEW_CLASS,)))
        elif np.isinf(policy.thresholds[top]):
            decisions.append(Decision(REVIEW, (NOT_CALIBRATED,)))
        elif row[top] < policy.thresholds[top]:
            decisions.append(Decision(REVIEW, (LOW_CONFIDENCE,)))
        else:
            decisions.append(Decision(IDENTIFIED, ()))
    return decisions
