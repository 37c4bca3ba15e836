"""Split-conformal shortlists (RAPS): a set of classes that holds the true one with a chosen
probability, e.g. 95%, shown to the expert as "one of these".

Score of class y for a photo: the calibrated probability mass of every class ranked at or above
y, plus a penalty lambda for each rank beyond the first k (RAPS: regularised adaptive prediction
sets, Angelopoulos et al. 2021; without randomisation, so sets are repeatable and coverage is at
least nominal). The penalty keeps a confident model from listing classes of negligible mass.
The threshold is the ceil((n+1)(1-alpha))-th smallest score of the true classes on n
calibration photos; a set is every class whose score is within it, and always the top class.
Guarantee: for photos exchangeable with the calibration photos, the set holds the true class
with probability >= coverage, marginally. Class-conditional thresholds
(Mondrian conformal) give the same guarantee per class, for the classes that ask for it
(protected species), at the cost of larger sets; they need enough calibration photos per class.

    rule = fit_shortlist(cal_probs, cal_labels, coverage=0.95, per_class=protected_mask)
    sets = shortlists(test_probs, rule)     # list of class-index arrays, most likely first
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# lambda and k_reg, chosen by measurement (docs/benchmarks.md, bench/routing.py on clothing-small,
# 8 classes): at nominal 95%, lambda 0.01 covered 97% with 2.05 classes per list (the threshold
# sits near total mass 1, dragging in classes of negligible mass); 0.05 covered 95.1% with 1.60.
PENALTY = 0.05  # lambda: cost of each rank beyond FREE_RANKS
FREE_RANKS = 1  # k_reg


def class_scores(
    probs: np.ndarray, penalty: float = PENALTY, free_ranks: int = FREE_RANKS
) -> np.ndarray:
    """(N, C) RAPS score of every class: mass of the classes ranked at or above it (ties: lower
    index first), plus `penalty` per rank beyond `free_ranks`."""
    probs = np.asarray(probs, dtype=np.float64)
    order = np.argsort(-probs, axis=1, kind="stable")
    cumulative = np.cumsum(np.take_along_axis(probs, order, axis=1), axis=1)
    ranks = np.arange(1, probs.shape[1] + 1)
    cumulative += penalty * np.maximum(0, ranks - free_ranks)[None, :]
    scores = np.empty_like(probs)
    np.put_along_axis(scores, order, cumulative, axis=1)
    return scores


def conformal_quantile(scores: np.ndarray, coverage: float) -> float:
    """The ceil((n+1) * coverage)-th smallest score; inf when n is too small to promise it."""
    scores = np.sort(np.asarray(scores, dtype=np.float64))
    rank = int(np.ceil((len(scores) + 1) * coverage))
    return float("inf") if rank > len(scores) else float(scores[rank - 1])


@dataclass(frozen=True)
class ShortlistRule:
    coverage: float
    thresholds: tuple[float, ...]  # per class: the global threshold, or its own (Mondrian)
    class_conditional: tuple[bool, ...]
    calibration_size: int


def fit_shortlist(
    probs: np.ndarray,
    labels: np.ndarray,
    coverage: float = 0.95,
    per_class: Sequence[bool] | None = None,
) -> ShortlistRule:
    """Thresholds from calibrated calibration-split probabilities and true labels."""
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
