"""Metrics of a classifier's held-out predictions: pure functions, numbers for bundle.json.

metrics = classification_metrics(probs, labels, class_ids)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from wildlens.model.trust.calibration import expected_calibration_error, negative_log_likelihood
from wildlens.model.trust.routing import DECISIONS, IDENTIFIED, REVIEW, UNKNOWN


def macro_f1(predicted: np.ndarray, labels: np.ndarray, num_classes: int) -> float:
    """Unweighted mean F1 over all `num_classes` classes (absent classes count as 0)."""
    return float(
        f1_score(
            labels, predicted, labels=list(range(num_classes)), average="macro", zero_division=0
        )
    )


def reliability_bins(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> dict[str, list]:
    """Per equal-width confidence bin: count, mean confidence and accuracy (the ECE's parts)."""
    probs, labels = np.asarray(probs), np.asarray(labels)
    confidence = probs.max(axis=1) if len(probs) else np.zeros(0)
    correct = probs.argmax(axis=1) == labels if len(probs) else np.zeros(0, bool)
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    rows = {"lower": [], "upper": [], "count": [], "confidence": [], "accuracy": []}
    for b in range(n_bins):
        inside = bins == b
        rows["lower"].append(b / n_bins)
        rows["upper"].append((b + 1) / n_bins)
        rows["count"].append(int(inside.sum()))
        rows["confidence"].append(float(confidence[inside].mean()) if inside.any() else None)
        rows["accuracy"].append(float(correct[inside].mean()) if inside.any() else None)
    return rows


def classification_metrics(
    probs: np.ndarray, labels: np.ndarray, class_ids: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, top-2, macro-F1, per-class precision/recall/F1, confusion matrix, ECE, NLL."""
    probs = np.asarray(probs)
    labels = np.asarray(labels)
    n = len(labels)
    if n == 0:
        return {"num_images": 0}
    indices = list(range(len(class_ids)))
    predicted = probs.argmax(axis=1)
    top2 = np.argsort(-probs, axis=1)[:, :2]
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=indices, zero_division=0
    )
    return {
        "num_images": int(n),
        "accuracy": float((predicted == labels).mean()),
        "top2_accuracy": float((top2 == labels[:, None]).any(axis=1).mean()),
        "macro_f1": macro_f1(predicted, labels, len(class_ids)),
        "ece": expected_calibration_error(probs, labels),
        "nll": negative_log_likelihood(probs, labels),
        "per_class": {
            class_id: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, class_id in enumerate(class_ids)
        },
        "confusion_matrix": confusion_matrix(labels, predicted, labels=indices).tolist(),
    }


def routing_metrics(
    probs: np.ndarray, labels: np.ndarray, decisions: Sequence[Any], policy: Any = None
) -> dict[str, Any]:
    """Share of photos per decision, precision of the auto-accepted ones, and per class.

    `decisions` are `model.routing.Decision`s or predictions (anything with `.decision`);
    `policy` (optional) adds each class's target, guarantee, status and photos needed.
    `review_rate` counts review decisions only (unknown answers are `unknown_rate`).
    """
    probs, labels = np.asarray(probs), np.asarray(labels)
    kinds = np.array([d.decision for d in decisions])
    accepted = kinds == IDENTIFIED
    predicted = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype=int)
    correct = predicted == labels
    n_accepted = int(accepted.sum())
    per_class = {}
    for c in range(probs.shape[1] if probs.ndim == 2 else 0):
        mine = predicted == c
        taken = mine & accepted
        row = {
            "predicted": int(mine.sum()),
            "auto_accepted": int(taken.sum()),
            "accepted_precision": float(correct[taken].mean()) if taken.any() else None,
            "accepted_share": float(accepted[mine].mean()) if mine.any() else None,
        }
        if policy is not None:
            rule = policy.rules[c]
            row.update(
                target_precision=rule.target_precision,
                guarantee=rule.guarantee,
                status=rule.status,
                photos_needed=rule.photos_needed,
            )
        per_class[policy.class_ids[c] if policy is not None else str(c)] = row
    share = {kind: float((kinds == kind).mean()) if len(kinds) else 0.0 for kind in DECISIONS}
    return {
        "photos": len(kinds),
        "decisions": {kind: int((kinds == kind).sum()) for kind in DECISIONS},
        "auto_accepted": n_accepted,
        "coverage": share[IDENTIFIED],
        "review_rate": share[REVIEW],
        "unknown_rate": share[UNKNOWN],
        "accepted_precision": float(correct[accepted].mean()) if n_accepted else None,
        "per_class": per_class,
    }


def shortlist_metrics(
    sets: Sequence[Sequence[int]], labels: np.ndarray, coverage: float
) -> dict[str, Any]:
    """Share of photos whose shortlist holds the true class, and the shortlists' sizes."""
    sizes = np.array([len(s) for s in sets])
    hits = np.array([int(y) in set(s) for s, y in zip(sets, labels, strict=True)])
    return {
        "nominal_coverage": coverage,
        "coverage": float(hits.mean()) if len(hits) else None,
        "mean_size": float(sizes.mean()) if len(sizes) else None,
        "size_counts": {
            int(k): int(v) for k, v in zip(*np.unique(sizes, return_counts=True), strict=True)
        },
    }


def risk_coverage(probs: np.ndarray, labels: np.ndarray, points: int = 50) -> dict[str, list]:
    """Error rate among the photos kept when keeping only the most confident share of them."""
    probs, labels = np.asarray(probs), np.asarray(labels)
    if not len(labels):
        return {"coverage": [], "risk": [], "threshold": []}
    confidence = probs.max(axis=1)
    order = np.argsort(-confidence, kind="stable")
    wrong = np.cumsum(probs.argmax(axis=1)[order] != labels[order])
    kept = np.unique(np.linspace(1, len(labels), points).round().astype(int))
    return {
        "coverage": (kept / len(labels)).tolist(),
        "risk": (wrong[kept - 1] / kept).tolist(),
        "threshold": confidence[order][kept - 1].tolist(),
    }
