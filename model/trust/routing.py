"""Routing: `identified`, `review` or `unknown` for each photo, with the reasons. Pure functions
over arrays and the policy; no I/O.

Auto-accept (Learn-then-Test, Angelopoulos, Bates, Candès, Jordan and Lei 2021, with an exact
binomial test). One threshold on the calibrated top-class confidence is fitted for the pooled
classes together, and one per class for classes whose catalogue entry asks for a stricter target
of their own (look-alikes, whose wrong answer clears a protected item). For a target precision t:
candidate thresholds run down a grid fixed in advance, from 1 towards `floor`. At each one, the
calibration photos accepted (predicted as a class of the family, confidence at or above the
threshold, and familiar: see `wildlens.model.trust.unknown`) are n photos with k wrong answers;
the null hypothesis "the error rate among accepted answers is above 1 - t" is rejected at level a
when P(Binomial(n, 1 - t) <= k) <= a. The hypotheses are tested in that order by the fallback
procedure (`ltt_threshold`): delta is split among a few start points, so that one confident
mistake (a look-alike, a mislabelled photo) among the first answers ends only the scan begun
there, and the lowest threshold rejected is kept. Thresholds accepting fewer photos than could
ever reject (n < log(delta) / log(t): 45 at 0.95, 114 at 0.98 with delta 0.1) are not tested:
n depends on the confidences only, not on the labels, so the order is still fixed before the
labels are looked at.

Guarantee: if the calibration photos and future photos are exchangeable (same source, no drift),
then with probability at least 1 - delta over the calibration photos, the precision of the
answers accepted by the pooled threshold is at least the pooled target; and the same holds,
separately, for each class with a target of its own. Cross-fitting (fast mode) makes every
labelled photo a calibration photo, scored by the fold head that did not see it; the
shipped head is the mean of the fold heads, not one of them, so there the guarantee is
approximate (bench/trust.py checks it over repeated random splits). Photos unlike
the calibration photos void it: the shift guard (`wildlens.model.trust.shift`) notices and suspends
auto-accept.

    policy = fit_policy(cal_probs, cal_labels, cal_scores, class_ids, own_targets, ...)
    decisions = decide(probs, scores, poor, policy, suspended)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from wildlens.model.config import TrainConfig
from wildlens.model.trust.conformal import ShortlistRule, fit_shortlist, shortlists
from wildlens.model.trust.shift import GuardPolicy, signal_means
from wildlens.model.trust.unknown import UnknownRule, fit_unknown_rule

if TYPE_CHECKING:
    from wildlens.data.quality import ImageQuality

IDENTIFIED, REVIEW, UNKNOWN = "identified", "review", "unknown"
DECISIONS = (IDENTIFIED, REVIEW, UNKNOWN)
# Reason codes: stable strings that appear in CSV files and audit records.
OUT_OF_CATALOGUE = "out_of_catalogue"
POOR_IMAGE = "poor_image"
ALWAYS_REVIEW_CLASS = "always_review_class"
INSUFFICIENT_CALIBRATION = "insufficient_calibration"  # too few photos to show the target
TARGET_NOT_SHOWN = "target_not_shown"  # enough photos, but their mistakes keep the target unshown
LOW_CONFIDENCE = "low_confidence"
UNFAMILIAR = "unfamiliar"
SHIFT_SUSPECTED = "shift_suspected"
AMBIGUOUS = "ambiguous"
REASONS = (
    OUT_OF_CATALOGUE,
    POOR_IMAGE,
    ALWAYS_REVIEW_CLASS,
    INSUFFICIENT_CALIBRATION,
    TARGET_NOT_SHOWN,
    LOW_CONFIDENCE,
    UNFAMILIAR,
    SHIFT_SUSPECTED,
    AMBIGUOUS,
)
# Rule statuses: auto-accepted at a threshold, or why not.
AUTO, ALWAYS_REVIEW = "auto", "always_review"
STATUS_REASONS = {
    ALWAYS_REVIEW: ALWAYS_REVIEW_CLASS,
    INSUFFICIENT_CALIBRATION: INSUFFICIENT_CALIBRATION,
    TARGET_NOT_SHOWN: TARGET_NOT_SHOWN,
}
POOLED, OWN = "pooled", "own"  # which guarantee a class's threshold comes from

# Thresholds tested, most cautious first: dense near 1, where calibrated confidences crowd.
THRESHOLD_GRID = np.unique(np.r_[np.linspace(0.0, 1.0, 1001), 1.0 - np.logspace(-6, -3, 31)])[::-1]
# Start points of the fallback scan at most (`start_counts`): up to 8, doubling, within half the
# candidates, keeps a scan going past a few confident mistakes at the top and costs a noise-free
# pool nothing measurable (docs/benchmarks.md, "Label noise": chosen there among start rules).
MAX_STARTS = 8
# The look-alike line's fitted tail needs this many look-alike photos (a spread from fewer is
# noise); below it, the line is the photos' own (`lookalike_lines`).
TAIL_MIN_PHOTOS = 5


@dataclass(frozen=True)
class QualityLimits:
    """Below any of these a photo is `poor_image`: sharp phone and product photos score far
    above the sharpness limit and a strong blur far below it; a blank wall or a lens cap has
    almost no contrast. Defaults: the training config's `poor_min_*` keys."""

    min_side: int = TrainConfig.poor_min_side
    min_sharpness: float = TrainConfig.poor_min_sharpness
    min_contrast: float = TrainConfig.poor_min_contrast

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
class AcceptTest:
    """The outcome of one Learn-then-Test scan: the threshold, and the evidence behind it."""

    threshold: float  # inf: nothing can be accepted
    status: str  # auto | insufficient_calibration | target_not_shown
    target_precision: float
    photos: int  # calibration photos of the family (predicted as one of its classes)
    accepted: int  # of them, accepted at the threshold (at the first failed one when refused)
    errors: int  # wrong answers among those
    photos_needed: int | None  # more photos of this kind that would likely show the target

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "threshold": _finite(self.threshold)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AcceptTest:
        return cls(**{**data, "threshold": _infinite(data["threshold"])})


@dataclass(frozen=True)
class ClassRule:
    threshold: float  # confidence at or above which the class is auto-accepted; inf: never
    status: str  # auto | always_review | insufficient_calibration | target_not_shown
    guarantee: str | None  # pooled | own | None (always reviewed)
    target_precision: float | None
    calibration_predictions: int  # calibration photos predicted as this class
    photos_needed: int | None  # more photos of this class that would likely earn auto-accept
    # Calibration photos of the class's look-alikes behind a threshold the look-alike line
    # raised (`lookalike_lines`); 0: not raised.
    lookalike_photos: int = 0


@dataclass(frozen=True)
class Policy:
    class_ids: tuple[str, ...]
    rules: tuple[ClassRule, ...]
    delta: float
    pooled: AcceptTest  # the shared threshold of the pooled classes
    own: dict[str, AcceptTest]  # classes with a target of their own
    shortlist: ShortlistRule
    unknown: UnknownRule
    guard: GuardPolicy
    quality: QualityLimits

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "learn_then_test_binomial_fallback",
            "delta": self.delta,
            "pooled": self.pooled.to_dict(),
            "own": {c: test.to_dict() for c, test in self.own.items()},
            "classes": {
                class_id: {**asdict(rule), "threshold": _finite(rule.threshold)}
                for class_id, rule in zip(self.class_ids, self.rules, strict=True)
            },
            "shortlist": {
                "method": "lac_split_conformal",
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
            "unknown": self.unknown.to_dict(),
            "guard": self.guard.to_dict(),
            "quality": self.quality.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        classes = data["classes"]
        shortlist = data["shortlist"]["thresholds"]
        return cls(
            class_ids=tuple(classes),
            rules=tuple(
                ClassRule(**{**rule, "threshold": _infinite(rule["threshold"])})
                for rule in classes.values()
            ),
            delta=float(data["delta"]),
            pooled=AcceptTest.from_dict(data["pooled"]),
            own={c: AcceptTest.from_dict(test) for c, test in data["own"].items()},
            shortlist=ShortlistRule(
                coverage=float(data["shortlist"]["coverage"]),
                thresholds=tuple(_infinite(shortlist[c]["threshold"]) for c in classes),
                class_conditional=tuple(bool(shortlist[c]["class_conditional"]) for c in classes),
                calibration_size=int(data["shortlist"]["calibration_size"]),
            ),
            unknown=UnknownRule.from_dict(data["unknown"]),
            guard=GuardPolicy.from_dict(data["guard"]),
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
    signals: dict[str, float]  # what the shift guard watches (wildlens.model.trust.shift.SIGNALS)


def binomial_p_value(errors: int, n: int, max_error_rate: float) -> float:
    """P(Binomial(n, max_error_rate) <= errors): small when the true error rate is lower."""
    from scipy.stats import binom  # fitting only: answering photos never loads scipy.stats

    return float(binom.cdf(errors, n, max_error_rate))


def smallest_showing_set(target_precision: float, delta: float) -> int:
    """Accepted answers needed before even 0 mistakes can show `target_precision`."""
    max_error = 1.0 - target_precision
    if max_error <= 0:
        return 1 << 62
    return max(1, int(np.ceil(np.log(delta) / np.log1p(-max_error))))


def start_counts(candidates: int, target_precision: float, delta: float) -> tuple[int, ...]:
    """Accepted-set sizes at which the fallback scan of `ltt_threshold` starts a fresh test,
    each with delta / len(starts) of its own: the smallest set that can show the target at that
    share, then doubling, as many as fit in half the candidates (at most `MAX_STARTS`). Fixed by
    the number of candidates only (not by their labels), so the order is set before any test.

    Half, not all: a start needs room below it to scan, and every start takes its share of delta
    from the first; with few candidates one start (plain fixed-sequence testing) shows more."""
    for count in range(MAX_STARTS, 0, -1):
        first = smallest_showing_set(target_precision, delta / count)
        starts = tuple(first * 2**j for j in range(count))
        if starts[-1] <= candidates / 2 or count == 1:
            return starts
    raise AssertionError("unreachable")


def ltt_threshold(
    confidence: np.ndarray,
    correct: np.ndarray,
    target_precision: float,
    delta: float,
    grid: np.ndarray = THRESHOLD_GRID,
) -> AcceptTest:
    """The lowest grid threshold the fallback scan rejects; the evidence, and how many more
    photos would likely show the target.

    The hypotheses "precision below the target at threshold l" are ordered from the most
    cautious threshold down, and tested by the fallback procedure (Wiens 2003; a graphical
    procedure of Learn-then-Test's family): the level delta is split equally among a few start
    points (`start_counts`). A hypothesis is tested at its own share (a start's delta / m, others
    0) plus the level of the one before it if that one was rejected. One confident mistake among
    the first answers then stops only the scan from the first start; the next start, with more
    photos, begins afresh. The family-wise error stays at most delta for any dependence between
    the tests, so the guarantee is that of a single fixed sequence. With room for one start this
    is plain fixed-sequence testing.

    Args:
        confidence: calibrated top-1 confidence of the calibration photos that may be accepted
            (predicted as a class of the family and familiar); others are simply not given.
        correct: whether each of those predictions was right.
        target_precision: required precision of the accepted predictions.
        delta: allowed probability that the calibration photos make the guarantee fail.
    """
    if not 0 < target_precision <= 1 or not 0 < delta < 1:
        raise ValueError("target_precision must be in (0, 1] and delta in (0, 1)")
    max_error = 1.0 - target_precision
    smallest = smallest_showing_set(target_precision, delta)
    confidence = np.asarray(confidence, dtype=np.float64)
    wrong = ~np.asarray(correct, dtype=bool)
    order = np.argsort(-confidence, kind="stable")
    sorted_confidence, sorted_wrong = confidence[order], np.cumsum(wrong[order])
    starts = list(start_counts(len(confidence), target_precision, delta))
    share = delta / len(starts)
    chosen, accepted, errors = float("inf"), 0, 0
    tested = None  # (n, errors) of the first threshold that failed
    level = 0.0  # the level passed on by the hypothesis before, if it was rejected
    for threshold in grid:
        n = int(np.searchsorted(-sorted_confidence, -threshold, side="right"))
        if n < smallest:
            continue  # too few photos for any test to reject: not a hypothesis of the scan
        while starts and n >= starts[0]:  # a start point: its share joins the level
            starts.pop(0)
            level += share
        if level <= 0:
            continue  # after a failure, before the next start: nothing left to test with
        k = int(sorted_wrong[n - 1])
        if binomial_p_value(k, n, max_error) > level:
            tested = tested or (n, k)
            level = 0.0
            if not starts:
                break
            continue
        chosen, accepted, errors = float(threshold), n, k
    if np.isfinite(chosen):
        status, needed = AUTO, None
    elif tested is None:  # never enough photos to test
        status = INSUFFICIENT_CALIBRATION
        needed = _photos_needed(sorted_wrong, len(confidence), max_error, delta, smallest)
        accepted, errors = len(confidence), int(sorted_wrong[-1]) if len(confidence) else 0
    else:
        status = TARGET_NOT_SHOWN
        needed = _photos_needed(sorted_wrong, len(confidence), max_error, delta, smallest)
        accepted, errors = tested
    return AcceptTest(chosen, status, target_precision, len(confidence), accepted, errors, needed)


def _photos_needed(
    cumulative_wrong: np.ndarray, total: int, max_error: float, delta: float, smallest: int
) -> int | None:
    """How many more photos, with the same mix of confident right and wrong answers, would let
    the test pass: the smallest scale factor f at which some top-n of the current photos, grown
    to f n answers with f k mistakes, is rejected. None when no growth would do (the accepted
    sets' error rates are above the target)."""
    from scipy.stats import binom  # fitting only: answering photos never loads scipy.stats

    if total == 0:
        return None
    n = np.arange(1, total + 1)
    k = cumulative_wrong.astype(np.int64)
    usable = k / n < max_error  # only error rates below the target can ever pass
    if not usable.any():
        return None
    for factor in np.r_[np.linspace(1.0, 4.0, 31)[1:], np.linspace(4.5, 40.0, 72)]:
        grown_n = np.ceil(n[usable] * factor).astype(np.int64)
        grown_k = np.floor(k[usable] * factor).astype(np.int64)
        ok = (grown_n >= smallest) & (binom.cdf(grown_k, grown_n, max_error) <= delta)
        if ok.any():
            return int(np.ceil(total * (factor - 1)))
    return None


def accept_candidates(
    probs: np.ndarray, labels: np.ndarray, familiar: np.ndarray, members: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence and correctness of the calibration photos that a family's threshold decides:
    predicted as one of `members`, and familiar enough to be auto-accepted at all."""
    predicted = probs.argmax(axis=1)
    chosen = np.isin(predicted, list(members)) & familiar
    return probs.max(axis=1)[chosen], (predicted == labels)[chosen]


def fit_class_rules(
    probs: np.ndarray,
    labels: np.ndarray,
    familiar: np.ndarray,
    target_precision: float,
    own_targets: Sequence[float | None],
    always_review: Sequence[bool],
    delta: float,
    floor: float = 0.5,
) -> tuple[tuple[ClassRule, ...], AcceptTest, dict[int, AcceptTest]]:
    """The pooled test, each own-target class's test, and every class's rule from them."""
    grid = THRESHOLD_GRID[floor <= THRESHOLD_GRID]
    probs, labels = np.asarray(probs), np.asarray(labels)
    familiar = np.asarray(familiar, dtype=bool)
    predicted = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype=int)
    num_classes = probs.shape[1]
    own = {c for c in range(num_classes) if own_targets[c] is not None and not always_review[c]}
    pooled_members = [c for c in range(num_classes) if c not in own and not always_review[c]]
    pooled = ltt_threshold(
        *accept_candidates(probs, labels, familiar, pooled_members), target_precision, delta, grid
    )
    own_tests = {
        c: ltt_threshold(
            *accept_candidates(probs, labels, familiar, [c]), own_targets[c], delta, grid
        )
        for c in sorted(own)
    }
    rules = []
    for c in range(num_classes):
        count = int((predicted == c).sum())
        if always_review[c]:
            rules.append(ClassRule(np.inf, ALWAYS_REVIEW, None, own_targets[c], count, None))
            continue
        test, guarantee = (own_tests[c], OWN) if c in own else (pooled, POOLED)
        needed = test.photos_needed
        if c not in own and needed is not None and test.photos:
            # The pool's need, in this class's share of the pool's photos.
            needed = int(np.ceil(needed * max(count, 1) / max(len(predicted), 1)))
        rules.append(
            ClassRule(
                test.threshold,
                test.status,
                guarantee,
                test.target_precision,
                count,
                needed,
            )
        )
    return tuple(rules), pooled, {c: own_tests[c] for c in own_tests}


def _raised(test: Any, floor: Any) -> Any:
    """`test` (a ClassRule or AcceptTest) with its threshold at least `floor`'s, where that is
    finite."""
    if not np.isfinite(floor.threshold) or floor.threshold <= test.threshold:
        return test
    return dataclasses.replace(test, threshold=floor.threshold)


def lookalike_lines(
    probs: np.ndarray,
    labels: np.ndarray,
    familiar: np.ndarray,
    rules: tuple[ClassRule, ...],
    lookalikes: Sequence[Sequence[int]],
    rate: float,
) -> tuple[ClassRule, ...]:
    """Each class's rule with its threshold raised, where needed, to its look-alike line: the
    confidence above which at most `rate` of its look-alikes' photos (`lookalikes[c]`: the
    classes its catalogue entry names) would be auto-accepted as it.

    The pooled and own targets bound the share of wrong answers among a class's accepted
    answers; a look-alike that is a few percent of the catalogue (bone beside ivory) can have
    most of its photos accepted as the protected class within them. The line is the higher of
    two, on the calibration photos (out of fold): above all but `rate` of the look-alike photos
    answered as the class and familiar (with fewer than 1/`rate` photos, above every one), and
    the upper `rate` tail of a normal fitted to the logit of the class's probability over all
    the look-alike photos (from `TAIL_MIN_PHOTOS`): a new photo passes all of n photos about one
    time in n + 1, so the sample alone cannot show 1% with a few dozen bone photos. Not part of
    the guarantee (docs/benchmarks.md, "The look-alike line")."""
    if rate >= 1:
        return rules  # the line off
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    raised = list(rules)
    for c, others in enumerate(lookalikes):
        photos = np.isin(labels, [o for o in others if o != c])
        if not photos.any() or not np.isfinite(rules[c].threshold):
            continue
        taken = np.sort(confidence[photos & (predicted == c) & familiar])[::-1]
        allowed = int(np.floor(rate * photos.sum()))
        line = float(np.nextafter(taken[allowed], np.inf)) if len(taken) > allowed else 0.0
        line = max(line, tail_line(probs[photos, c], rate))
        if line > rules[c].threshold:
            raised[c] = dataclasses.replace(
                rules[c], threshold=line, lookalike_photos=int(photos.sum())
            )
    return tuple(raised)


def tail_line(probs: np.ndarray, rate: float) -> float:
    """The probability above which a normal fitted to the logits of `probs` puts `rate` of its
    mass; 0 with fewer than `TAIL_MIN_PHOTOS`."""
    if len(probs) < TAIL_MIN_PHOTOS:
        return 0.0
    from scipy.special import ndtri  # fitting only: answering photos never loads scipy

    p = np.clip(np.asarray(probs, np.float64), 1e-9, 1 - 1e-9)
    logits = np.log(p / (1 - p))
    upper = logits.mean() + float(ndtri(1 - rate)) * logits.std(ddof=1)
    return float(1 / (1 + np.exp(-upper)))


def fit_policy(
    probs: np.ndarray,
    labels: np.ndarray,
    scores: Mapping[str, np.ndarray],
    class_ids: Sequence[str],
    own_targets: Sequence[float | None],
    always_review: Sequence[bool],
    *,
    target_precision: float = TrainConfig.target_precision,
    delta: float = TrainConfig.routing_delta,
    coverage: float = TrainConfig.shortlist_coverage,
    class_conditional: Sequence[bool] | None = None,
    unknown_keep: float = TrainConfig.unknown_keep,
    familiar_keep: float = TrainConfig.familiar_keep,
    class_familiar_keep: float = 1.0,  # 1: no line per class (TrainConfig's is on)
    lookalikes: Sequence[Sequence[int]] | None = None,
    lookalike_rate: float = TrainConfig.lookalike_rate,
    guard_tolerance: float = TrainConfig.shift_tolerance,
    guard_alpha: float = TrainConfig.shift_alpha,
    guard_window: int = TrainConfig.shift_window,
    quality: QualityLimits | None = None,
    floor: float = TrainConfig.accept_floor,
) -> Policy:
    """Every threshold of the policy from calibration photos' outputs: calibrated probabilities,
    true labels and unknown-item scores (out-of-fold in fast mode)."""
    probs, labels = np.asarray(probs, dtype=np.float64), np.asarray(labels)
    answers = probs.argmax(1) if len(labels) else np.zeros(0, dtype=np.int64)
    unknown = fit_unknown_rule(
        scores,
        unknown_keep,
        familiar_keep,
        answers=(answers, len(class_ids)),
        class_familiar_keep=class_familiar_keep,
    )
    is_unknown = unknown.is_unknown(scores) if len(labels) else np.zeros(0, dtype=bool)
    familiar = unknown.is_familiar(scores, answers) & ~is_unknown if len(labels) else is_unknown
    rules, pooled, own = fit_class_rules(
        probs, labels, familiar, target_precision, own_targets, always_review, delta, floor
    )
    if len(unknown.class_familiar_thresholds) and len(labels):
        # The line per class never lowers a threshold the shared line alone shows: with fewer,
        # cleaner answers the scan can certify a lower threshold, and under a shift the answers
        # between the two are the first to go wrong (docs/benchmarks.md, the shift guard).
        shared = unknown.is_familiar(scores, None) & ~is_unknown
        alone, alone_pooled, alone_own = fit_class_rules(
            probs, labels, shared, target_precision, own_targets, always_review, delta, floor
        )
        rules = tuple(_raised(rule, other) for rule, other in zip(rules, alone, strict=True))
        pooled = _raised(pooled, alone_pooled)
        own = {c: _raised(test, alone_own[c]) for c, test in own.items()}
    if lookalikes is not None and len(labels):
        rules = lookalike_lines(probs, labels, familiar, rules, lookalikes, lookalike_rate)
    shortlist = fit_shortlist(probs, labels, coverage, class_conditional)
    guard = GuardPolicy(
        means={},
        calibration_size=len(labels),
        tolerance=guard_tolerance,
        alpha=guard_alpha,
        window=guard_window,
    )
    policy = Policy(
        class_ids=tuple(class_ids),
        rules=rules,
        delta=delta,
        pooled=pooled,
        own={class_ids[c]: test for c, test in own.items()},
        shortlist=shortlist,
        unknown=unknown,
        guard=guard,
        quality=quality or QualityLimits(),
    )
    # The guard's calibration means: the same decisions on the calibration photos themselves.
    signals = [d.signals for d in decide(probs, scores, None, policy)] if len(labels) else []
    guard = dataclasses.replace(guard, means=signal_means(signals))
    return dataclasses.replace(policy, guard=guard)


def decide(
    probs: np.ndarray,
    scores: Mapping[str, np.ndarray],
    poor: Sequence[bool] | None,
    policy: Policy,
    suspended: Sequence[bool] | None = None,
) -> list[Decision]:
    """The decision for each row of calibrated probabilities.

    Order of precedence: a poor photo goes to review (`poor_image`, plus `out_of_catalogue` if it
    also scores unknown): ask for a better photo before calling anything unknown. Otherwise any
    unknown score above its threshold gives `unknown`, never a species. Otherwise the top class is
    accepted when its rule allows, its confidence reaches its threshold and the photo is familiar;
    if not, `review` with every reason that applies, and `ambiguous` when the shortlist holds more
    than one class. An answer that would be accepted while auto-accept is suspended (`suspended`,
    by the shift guard) goes to review as `shift_suspected`.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(policy.class_ids):
        raise ValueError(f"probs shape {probs.shape} does not fit {len(policy.class_ids)} classes")
    names = policy.unknown.thresholds
    scores = {name: np.asarray(scores[name], dtype=np.float64) for name in names}
    if not np.all(np.isfinite(probs)) or not all(np.all(np.isfinite(s)) for s in scores.values()):
        raise ValueError("probabilities or unknown scores contain NaN or infinite values")
    if any(len(s) != len(probs) for s in scores.values()):
        raise ValueError("one unknown score per row is needed")
    n = len(probs)
    poor = [False] * n if poor is None else list(poor)
    suspended = [False] * n if suspended is None else list(suspended)
    unknown = policy.unknown.is_unknown(scores) if n else np.zeros(0, dtype=bool)
    familiar = policy.unknown.is_familiar(scores, probs.argmax(1)) if n else np.zeros(0, dtype=bool)
    atypicality = policy.unknown.atypicality(scores) if n else np.zeros(0)
    sets = shortlists(probs, policy.shortlist)
    decisions = []
    for i in range(n):
        row = probs[i]
        top = int(row.argmax())
        rule = policy.rules[top]
        members = tuple(int(m) for m in sets[i])
        # Low confidence only where an answer could be accepted: with no threshold at all,
        # every answer is below it, and the shift guard would read that as a shift.
        low = bool(row[top] < rule.threshold) and rule.status == AUTO
        signals = {
            "unknown": bool(unknown[i]),
            "low_confidence": low,
            "atypicality": round(float(atypicality[i]), 4),
        }
        if poor[i]:
            reasons = (POOR_IMAGE, OUT_OF_CATALOGUE) if unknown[i] else (POOR_IMAGE,)
            decisions.append(Decision(REVIEW, reasons, members, rule.threshold, signals))
            continue
        if unknown[i]:
            decisions.append(
                Decision(UNKNOWN, (OUT_OF_CATALOGUE,), members, rule.threshold, signals)
            )
            continue
        reasons = []
        if rule.status != AUTO:
            reasons.append(STATUS_REASONS[rule.status])
        elif low:
            reasons.append(LOW_CONFIDENCE)
        if not familiar[i] and rule.status == AUTO:
            reasons.append(UNFAMILIAR)
        if not reasons and suspended[i]:
            decisions.append(
                Decision(REVIEW, suspended_reasons(len(members)), members, rule.threshold, signals)
            )
            continue
        if not reasons:
            decisions.append(Decision(IDENTIFIED, (), members, rule.threshold, signals))
            continue
        if len(members) > 1:
            reasons.append(AMBIGUOUS)
        decisions.append(Decision(REVIEW, tuple(reasons), members, rule.threshold, signals))
    return decisions


def suspended_reasons(shortlist_size: int) -> tuple[str, ...]:
    """The reasons of an answer that would have been `identified` while the shift guard has
    suspended auto-accept (it goes to review)."""
    return (SHIFT_SUSPECTED, AMBIGUOUS) if shortlist_size > 1 else (SHIFT_SUSPECTED,)
