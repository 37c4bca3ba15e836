"""Split-conformal shortlists: a set of classes that holds the true one with a chosen
probability, e.g. 95%, shown to the expert as "one of these".

Score of class y for a photo: 1 - p(y), its calibrated probability's complement (LAC, "least
ambiguous set-valued classifier", Sadinle, Lei and Wasserman 2019: the smallest sets on average).
The threshold is the ceil((n+1) * coverage)-th smallest score of the true classes on n
calibration photos; a photo's set is every class whose score is within it, and always its top
class. Guarantee: for photos exchangeable with the calibration photos, the set holds the true
class with probability >= coverage, marginally. Class-conditional thresholds (Mondrian conformal)
give the same guarantee per class, for the classes that ask for it (protected species), at the
cost of larger sets; they need enough calibration photos of the class.

LAC keeps its coverage with smaller sets than the RAPS score used before, most of all in 2-class
catalogues, where RAPS's second-class score is exactly its threshold and floating-point rounding
decided the set (see docs/benchmarks.md, "The trust layer", "Shortlists").

    rule = fit_shortlist(cal_probs, cal_labels, coverage=0.95, per_class=protected_mask)
    sets = shortlists(test_probs, rule)     # list of class-index arrays, most likely first
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def class_scores(probs: np.ndarray) -> np.ndarray:
    """(N, C) nonconformity of every class: 1 - its calibrated probability."""
    return 1.0 - np.asarray(probs, dtype=np.float64)


def conformal_quantile(scores: np.ndarray, coverage: float) -> float:
    """The ceil((n+1) * coverage)-th smallest score; inf when n is too small to promise it."""
    scores = np.sort(np.asarray(scores, dtype=np.float64))
    rank = int(np.ceil((len(scores) + 1) * coverage))
    return float("inf") if rank > len(scores) else float(scores[rank - 1])


@dataclass(frozen=True)
class ShortlistRule:
    coverage: float
    thresholds: tuple[float, ...]  # per class: the shared threshold, or its own (Mondrian)
    class_conditional: tuple[bool, ...]
    calibration_size: int


def fit_shortlist(
    probs: np.ndarray,
    labels: np.ndarray,
    coverage: float,  # the training config's `shortlist_coverage`
    per_class: Sequence[bool] | None = None,
) -> ShortlistRule:
    """Thresholds from calibrated calibration-photo probabilities and true labels."""
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1), got {coverage}")
    probs, labels = np.asarray(probs), np.asarray(labels)
    num_classes = probs.shape[1]
    per_class = tuple(per_class) if per_class is not None else (False,) * num_classes
    true_scores = (
        class_scores(probs)[np.arange(len(labels)), labels] if len(labels) else np.zeros(0)
    )
    shared = conformal_quantile(true_scores, coverage)
    thresholds = tuple(
        conformal_quantile(true_scores[labels == c], coverage) if per_class[c] else shared
        for c in range(num_classes)
    )
    return ShortlistRule(coverage, thresholds, per_class, len(labels))


def shortlists(probs: np.ndarray, rule: ShortlistRule) -> list[np.ndarray]:
    """The conformal set of each row, as class indices from most to least likely."""
    probs = np.asarray(probs, dtype=np.float64)
    scores = class_scores(probs)
    thresholds = np.asarray(rule.thresholds)
    sets = []
    for row, score in zip(probs, scores, strict=True):
        order = np.argsort(-row, kind="stable")
        keep = score[order] <= thresholds[order]
        keep[0] = True  # never an empty answer
        sets.append(order[keep])
    return sets
