"""Routing: `identified`, `review` or `unknown` for each photo, with the reasons. Pure functions
over arrays and the policy; no I/O.

Auto-accept thresholds (Learn-then-Test, Angelopoulos et al. 2021, with a binomial test): for
class c with target precision t, candidate thresholds run down a grid fixed in advance (from 1
towards 0). At each one, the calibration photos predicted as c with confidence >= threshold are
n photos with k errors; the null hypothesis "error rate among them >= 1 - t" is rejected when
P(Binomial(n, 1 - t) <= k) <= delta (the exact Clopper-Pearson test). The scan stops at the first
threshold not rejected (fixed-sequence testing, so no multiplicity correction), and the last
rejected one is kept. Thresholds accepting fewer photos than could ever reject (n < log(delta) /
log(t): even 0 errors would not do) are passed over rather than tested: they can never be
rejected, so testing them would only end the scan; the first true null actually tested is still
rejected with probability <= delta, which is what fixed-sequence testing needs.

Guarantee: if the calibration photos and future photos are exchangeable (same source, no drift),
then with probability >= 1 - delta over the calibration draw the precision of the accepted
predictions of c is >= t. A class whose calibration photos cannot show
it, however high the threshold, is never auto-accepted (`insufficient_calibration`).

    policy = fit_policy(cal_probs, cal_labels, cal_unknown, class_ids, targets, always_review, ...)
    decisions = decide(probs, unknown_scores, poor, policy)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.stats import binom

from wildlens.model.conformal import ShortlistRule, fit_shortlist, shortlists
from wildlens.model.unknown import unknown_threshold

if TYPE_CHECKING:
    from wildlens.data.quality import ImageQuality

IDENTIFIED, REVIEW, UNKNOWN = "identified", "review", "unknown"
DECISIONS = (IDENTIFIED, REVIEW, UNKNOWN)
# Reason codes: stable strings that appear in CSV files and audit records.
OUT_OF_CATALOGUE = "out_of_catalogue"
POOR_IMAGE = "poor_image"
ALWAYS_REVIEW_CLASS = "always_review_class"
INSUFFICIENT_CALIBRATION = "insufficient_calibration"
LOW_CONFIDENCE = "low_confidence"
AMBIGUOUS = "ambiguous"
REASONS = (
    OUT_OF_CATALOGUE,
    POOR_IMAGE,
    ALWAYS_REVIEW_CLASS,
    INSUFFICIENT_CALIBRATION,
    LOW_CONFIDENCE,
    AMBIGUOUS,
)

# Thresholds tested, most cautious first: dense near 1, where calibrated confidences crowd.
THRESHOLD_GRID = np.unique(np.r_[np.linspace(0.0, 1.0, 1001), 1.0 - np.logspace(-6, -3, 31)])[::-1]


@dataclass(frozen=True)
class QualityLimits:
    """Below any of these a photo is `poor_image`. Measured here: sharp phone and product photos
    score sharpness >= 97 (1st percentile), a Gaussian blur of sigma 6 px drops them to 3-12;
    ordinary photos have contrast >= 19, a blank wall or lens cap under 5."""

    min_side: int = 64
    min_sharpness: float = 8.0
    min_contrast: float = 5.0

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    def is_poor(self, quality: ImageQuality) -> bool:
        """Whether a photo measured by `wildlens.data.quality.measure_quality` is below a limit."""
        return (
            quality.min_side < self.min_side
            or quality.sharpness < self.min_sharpness
            or quality.contrast < self.min_contrast
        )


@dataclass(frozen=True)
class ClassRule:
    threshold: float  # confidence at or above which the class is auto-accepted; inf: never
    status: str  # auto | always_review | insufficient_calibration
    target_precision: float | None
    calibration_predictions: int  # calibration photos predicted as this class


@dataclass(frozen=True)
class Policy:
    class_ids: tuple[str, ...]
    rules: tuple[ClassRule, ...]
    delta: float
    shortlist: ShortlistRule
    unknown_score: str  # energy | mahalanobis
    unknown_threshold: float  # inf: unknown detection off
    unknown_keep: float
    quality: QualityLimits

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "learn_then_test_binomial",
            "delta": self.delta,
            "classes": {
                class_id: {**asdict(rule), "threshold": _finite(rule.threshold)}
                for class_id, rule in zip(self.class_ids, self.rules, strict=True)
            },
            "shortlist": {
                "method": "raps_split_conformal",
                "coverage": self.shortlist.coverage,
                "calibration_size": self.shortlist.calibration_size,
                "thresholds": {
                    c: {"threshold": _finite(t), "class_conditional": conditional}
                    for c, t, conditional in zip(
                        self.class_ids,
                        self.shortlist.thresholds,
                        self.shortlist.class_conditional,
                        strict=True,
                    )
                },
            },
            "unknown": {
                "score": self.unknown_score,
                "threshold": _finite(self.unknown_threshold),
                "keep": self.unknown_keep,
            },
            "quality": self.quality.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        classes = data["classes"]
        shortlist = data["shortlist"]["thresholds"]
        return cls(
            class_ids=tuple(classes),
            rules=tuple(
                ClassRule(**{**rule, "threshold": _infinite(rule["threshold"])})
                for rule in classes.values()
            ),
            delta=float(data["delta"]),
            shortlist=ShortlistRule(
                coverage=float(data["shortlist"]["coverage"]),
                thresholds=tuple(_infinite(shortlist[c]["threshold"]) for c in classes),
                class_conditional=tuple(bool(shortlist[c]["class_conditional"]) for c in classes),
                calibration_size=int(data["shortlist"]["calibration_size"]),
            ),
            unknown_score=data["unknown"]["score"],
            unknown_threshold=_infinite(data["unknown"]["threshold"]),
            unknown_keep=float(data["unknown"]["keep"]),
            quality=QualityLimits(**data["quality"]),
        )


def _finite(value: float) -> float | None:
    return None if np.isinf(value) else float(value)


def _infinite(value: float | None) -> float:
    return float("inf") if value is None else float(value)


@dataclass(frozen=True)
class Decision:
    decision: str
    reasons: tuple[str, ...]
    shortlist: tuple[int, ...]  # class indices, most likely first
    accept_threshold: float  # the top class's threshold (inf: never auto-accepted)


def binomial_p_value(errors: int, n: int, max_error_rate: float) -> float:
    """P(Binomial(n, max_error_rate) <= errors): small when the true error rate is lower."""
    return float(binom.cdf(errors, n, max_error_rate))


def ltt_threshold(
    confidence: np.ndarray,
    correct: np.ndarray,
    target_precision: float,
    delta: float,
    grid: np.ndarray = THRESHOLD_GRID,
) -> float:
    """The lowest grid threshold whose accepted set passes, scanning down from the most cautious;
    inf when even the most cautious non-empty set fails.

    Args:
        confidence: calibrated top-1 confidence of the calibration photos predicted as one class.
        correct: whether each of those predictions was right.
        target_precision: required precision of the accepted predictions.
        delta: allowed probability that the calibration draw makes the guarantee fail.
    """
    if not 0 < target_precision <= 1 or not 0 < delta < 1:
        raise ValueError("target_precision must be in (0, 1] and delta in (0, 1)")
    max_error = 1.0 - target_precision
    # Smallest accepted set in which 0 errors would reject: n >= log(delta) / log(1 - max_error).
    smallest = 1 if max_error >= 1 else int(np.ceil(np.log(delta) / np.log1p(-max_error)))
    confidence = np.asarray(confidence, dtype=np.float64)
    wrong = ~np.asarray(correct, dtype=bool)
    order = np.argsort(-confidence, kind="stable")
    sorted_confidence, sorted_wrong = confidence[order], np.cumsum(wrong[order])
    chosen = float("inf")
    for threshold in grid:
        n = int(np.searchsorted(-sorted_confidence, -threshold, side="right"))
        if n < max(1, smallest):
            continue  # too few photos for the test to ever reject: look further down
        errors = int(sorted_wrong[n - 1])
        if binomial_p_value(errors, n, max_error) > delta:
            break
        chosen = float(threshold)
    return chosen


def fit_class_rules(
    probs: np.ndarray,
    labels: np.ndarray,
    target_precision: Sequence[float | None],
    always_review: Sequence[bool],
    delta: float,
    floor: float = 0.5,
) -> tuple[ClassRule, ...]:
    """One rule per class; no threshold goes below `floor`, whatever the calibration shows."""
    grid = THRESHOLD_GRID[floor <= THRESHOLD_GRID]
    probs, labels = np.asarray(probs), np.asarray(labels)
    predicted = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype=int)
    confidence = probs.max(axis=1) if len(probs) else np.zeros(0)
    rules = []
    for c, (target, review) in enumerate(zip(target_precision, always_review, strict=True)):
        mine = predicted == c
        count = int(mine.sum())
        if review or target is None:
            rules.append(ClassRule(float("inf"), "always_review", target, count))
            continue
        threshold = ltt_threshold(confidence[mine], labels[mine] == c, target, delta, grid)
        status = "insufficient_calibration" if np.isinf(threshold) else "auto"
        rules.append(ClassRule(threshold, status, target, count))
    return tuple(rules)


def fit_policy(
    probs: np.ndarray,
    labels: np.ndarray,
    unknown_scores: np.ndarray,
    class_ids: Sequence[str],
    target_precision: Sequence[float | None],
    always_review: Sequence[bool],
    *,
    delta: float = 0.1,
    coverage: float = 0.95,
    class_conditional: Sequence[bool] | None = None,
    unknown_score: str = "energy",
    unknown_keep: float = 0.95,
    quality: QualityLimits | None = None,
    floor: float = 0.5,
) -> Policy:
    """Every threshold of the policy from calibration-split outputs (calibrated probabilities,
    true labels, unknown scores)."""
    return Policy(
        class_ids=tuple(class_ids),
        rules=fit_class_rules(probs, labels, target_precision, always_review, delta, floor),
        delta=delta,
        shortlist=fit_shortlist(probs, labels, coverage, class_conditional),
        unknown_score=unknown_score,
        unknown_threshold=unknown_threshold(unknown_scores, unknown_keep),
        unknown_keep=unknown_keep,
        quality=quality or QualityLimits(),
    )


def decide(
    probs: np.ndarray,
    unknown_scores: np.ndarray,
    poor: Sequence[bool] | None,
    policy: Policy,
) -> list[Decision]:
    """The decision for each row of calibrated probabilities.

    Order of precedence: a poor photo goes to review (`poor_image`, plus `out_of_catalogue` if it
    also scores unknown): ask for a better photo before calling anything unknown. Otherwise an
    unknown score above the threshold gives `unknown`, never a species. Otherwise the top class is
    accepted when its rule allows and its confidence reaches its threshold; if not, `review`
    with the reason, and `ambiguous` when the shortlist holds more than one class.
    """
    probs = np.asarray(probs, dtype=np.float64)
    unknown_scores = np.asarray(unknown_scores, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(policy.class_ids):
        raise ValueError(f"probs shape {probs.shape} does not fit {len(policy.class_ids)} classes")
    if not (np.all(np.isfinite(probs)) and np.all(np.isfinite(unknown_scores))):
        raise ValueError("probabilities or unknown scores contain NaN or infinite values")
    if len(unknown_scores) != len(probs):
        raise ValueError("one unknown score per row is needed")
    poor = [False] * len(probs) if poor is None else list(poor)
    sets = shortlists(probs, policy.shortlist)
    decisions = []
    for row, score, is_poor, members in zip(probs, unknown_scores, poor, sets, strict=True):
        top = int(row.argmax())
        rule = policy.rules[top]
        members = tuple(int(m) for m in members)
        is_unknown = score > policy.unknown_threshold
        if is_poor:
            reasons = (POOR_IMAGE, OUT_OF_CATALOGUE) if is_unknown else (POOR_IMAGE,)
            decisions.append(Decision(REVIEW, reasons, members, rule.threshold))
            continue
        if is_unknown:
            decisions.append(Decision(UNKNOWN, (OUT_OF_CATALOGUE,), members, rule.threshold))
            continue
        if rule.status == "auto" and row[top] >= rule.threshold:
            decisions.append(Decision(IDENTIFIED, (), members, rule.threshold))
            continue
        reason = {
            "always_review": ALWAYS_REVIEW_CLASS,
            "insufficient_calibration": INSUFFICIENT_CALIBRATION,
        }.get(rule.status, LOW_CONFIDENCE)
        reasons = (reason, AMBIGUOUS) if len(members) > 1 else (reason,)
        decisions.append(Decision(REVIEW, reasons, members, rule.threshold))
    return decisions
