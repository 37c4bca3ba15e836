"""Several photos of one item decided together (the photos an officer takes of one item, from
different sides): pure functions over arrays and the policy; no I/O.

    together = decide_together(probs, scores, poor, policy)   # probs (P, C), one row a photo
    together.decision, together.probs, together.scores, together.stopped_by

The thresholds were calibrated on single photos. The mean calibrated probabilities and unknown
scores of the usable photos (poor ones count only when every photo is poor) give one decision,
steadier than one photo's; and it is never less careful than its photos: any usable photo that
alone is `unknown` makes the item `unknown`, and auto-accept needs every usable photo familiar
as a photo of the item's answer (a mean could otherwise outvote a flower photo with an ivory
one). `stopped_by` names the photos that made the item more careful than the mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from wildlens.model.trust.routing import (
    AMBIGUOUS,
    IDENTIFIED,
    OUT_OF_CATALOGUE,
    REVIEW,
    UNFAMILIAR,
    UNKNOWN,
    Decision,
    Policy,
    decide,
)


@dataclass(frozen=True)
class Together:
    decision: Decision
    probs: np.ndarray  # (C,) the mean calibrated probabilities of the usable photos
    scores: dict[str, float]  # their mean unknown scores
    stopped_by: tuple[int, ...]  # photos that made the answer more careful than the mean


def decide_together(
    probs: np.ndarray,
    scores: Mapping[str, np.ndarray],
    poor: Sequence[bool],
    policy: Policy,
    suspended: bool = False,
) -> Together:
    """One decision for an item's photos: `probs` (P, C) calibrated, `scores` one (P,) array per
    unknown score, `poor` each photo's `poor_image` verdict; `suspended`: the shift guard
    withholds auto-accept."""
    probs = np.asarray(probs, dtype=np.float64)
    if len(probs) == 0:
        raise ValueError("an item needs at least one photo")
    poor = np.asarray(poor, dtype=bool)
    usable = ~poor if (~poor).any() else np.ones(len(poor), dtype=bool)
    mean_probs = probs[usable].mean(axis=0, keepdims=True)
    mean_scores = {
        k: np.asarray(v, np.float64)[usable].mean(keepdims=True) for k, v in scores.items()
    }
    [decision] = decide(mean_probs, mean_scores, [bool(poor.all())], policy, [suspended])
    stopped_by: tuple[int, ...] = ()
    if not poor.all():
        decision, stopped_by = at_least_as_careful(
            decision, scores, usable, policy, int(mean_probs[0].argmax())
        )
    return Together(
        decision, mean_probs[0], {k: float(v[0]) for k, v in mean_scores.items()}, stopped_by
    )


def at_least_as_careful(
    decision: Decision,
    scores: Mapping[str, np.ndarray],
    usable: np.ndarray,
    policy: Policy,
    answer: int,
) -> tuple[Decision, tuple[int, ...]]:
    """`decision` (the mean's) made `unknown` when a usable photo alone is unknown, or `review`
    when it was `identified` and a usable photo is unfamiliar as a photo of class `answer`;
    and the photos that did so."""
    rule = policy.unknown
    unknown = np.flatnonzero(rule.is_unknown(scores) & usable)
    if len(unknown) and decision.decision != UNKNOWN:
        signals = {**decision.signals, "unknown": True}
        careful = Decision(
            UNKNOWN, (OUT_OF_CATALOGUE,), decision.shortlist, decision.accept_threshold, signals
        )
        return careful, tuple(int(i) for i in unknown)
    answers = np.full(len(usable), answer)
    unfamiliar = np.flatnonzero(~rule.is_familiar(scores, answers) & usable)
    if len(unfamiliar) and decision.decision == IDENTIFIED:
        reasons = (UNFAMILIAR, AMBIGUOUS) if len(decision.shortlist) > 1 else (UNFAMILIAR,)
        careful = Decision(
            REVIEW, reasons, decision.shortlist, decision.accept_threshold, decision.signals
        )
        return careful, tuple(int(i) for i in unfamiliar)
    return decision, ()
