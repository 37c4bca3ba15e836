import math

import numpy as np
import pytest

from model.routing import (
    ALWAYS_REVIEW_CLASS,
    IDENTIFIED,
    LOW_CONFIDENCE,
    NOT_CALIBRATED,
    REVIEW,
    RoutingPolicy,
    fit_policy,
    precision_threshold,
    route,
)


def policy(thresholds, always_review=None):
    n = len(thresholds)
    return RoutingPolicy(
        class_ids=tuple(f"c{i}" for i in range(n)),
        thresholds=tuple(thresholds),
        always_review=tuple(always_review or [False] * n),
        target_precision=(0.9,) * n,
        min_support=1,
    )


def test_precision_threshold_picks_lowest_confidence_meeting_target():
    confidence = np.array([0.99, 0.95, 0.9, 0.8, 0.7, 0.6])
    correct = np.array([1, 1, 1, 1, 0, 0], dtype=bool)
    assert precision_threshold(confidence, correct, target=1.0, min_support=1) == 0.8
    # 4 right of 5 at 0.7 is 0.8 precision.
    assert precision_threshold(confidence, correct, target=0.8, min_support=1) == 0.7


def test_precision_threshold_needs_support():
    confidence, correct = np.array([0.99, 0.98]), np.array([True, True])
    assert math.isinf(precision_threshold(confidence, correct, 0.9, min_support=3))
    assert math.isinf(precision_threshold(np.array([]), np.array([], bool), 0.9, 1))


def test_precision_threshold_never_splits_ties():
    # Two items tied at 0.9, one wrong: a threshold of 0.9 accepts both (precision 0.5).
    confidence = np.array([0.95, 0.9, 0.9])
    correct = np.array([True, True, False])
    assert precision_threshold(confidence, correct, target=1.0, min_support=1) == 0.95


def test_route_reasons():
    probs = np.array([[0.9, 0.1, 0.0], [0.6, 0.4, 0.0], [0.1, 0.9, 0.0], [0.0, 0.1, 0.9]])
    decisions = route(probs, policy([0.8, 0.5, float("inf")], [False, True, False]))
    assert [d.decision for d in decisions] == [IDENTIFIED, REVIEW, REVIEW, REVIEW]
    assert [d.reasons for d in decisions] == [
        (),
        (LOW_CONFIDENCE,),
        (ALWAYS_REVIEW_CLASS,),
        (NOT_CALIBRATED,),
    ]


def test_route_single_class_and_ties():
    assert route(np.array([[1.0]]), policy([0.5]))[0].decision == IDENTIFIED
    # A tie goes to the first class, deterministically.
    tie = route(np.array([[0.5, 0.5]]), policy([0.4, float("inf")]))
    assert tie[0].decision == IDENTIFIED


def test_route_rejects_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        route(np.array([[np.nan, 0.5]]), policy([0.5, 0.5]))
    with pytest.raises(ValueError, match="does not fit"):
        route(np.array([[0.5, 0.5]]), policy([0.5]))


def test_fit_policy_and_round_trip():
    probs = np.array([[0.95, 0.05]] * 12 + [[0.2, 0.8]] * 12)
    labels = np.array([0] * 12 + [1] * 11 + [0])
    fitted = fit_policy(probs, labels, ("a", "b"), (0.9, 0.99), (False, False), min_support=10)
    assert fitted.thresholds[0] == 0.95
    assert math.isinf(fitted.thresholds[1])  # 11/12 < 0.99
    assert RoutingPolicy.from_dict(fitted.to_dict()) == fitted


def test_fit_policy_with_empty_calibration_reviews_everything():
    fitted = fit_policy(np.zeros((0, 2)), np.zeros(0, int), ("a", "b"), (0.9, 0.9), (False, False))
    assert all(math.isinf(t) for t in fitted.thresholds)
