"""Routing, conformal shortlists and unknown scores: pure functions, edge cases, and statistical
checks of their guarantees on synthetic exchangeable data."""

import math

import numpy as np
import pytest

from wildlens.model.conformal import class_scores, conformal_quantile, fit_shortlist, shortlists
from wildlens.model.routing import (
    ALWAYS_REVIEW_CLASS,
    AMBIGUOUS,
    IDENTIFIED,
    INSUFFICIENT_CALIBRATION,
    LOW_CONFIDENCE,
    OUT_OF_CATALOGUE,
    POOR_IMAGE,
    REVIEW,
    UNKNOWN,
    ClassRule,
    Policy,
    QualityLimits,
    binomial_p_value,
    decide,
    fit_class_rules,
    fit_policy,
    ltt_threshold,
)
from wildlens.model.unknown import energy_scores, fit_mahalanobis, unknown_auroc, unknown_threshold

INF = float("inf")


def policy(thresholds, statuses=None, unknown=INF, shortlist_thresholds=None):
    n = len(thresholds)
    statuses = statuses or ["auto"] * n
    rules = tuple(ClassRule(t, s, 0.9, 50) for t, s in zip(thresholds, statuses, strict=True))
    from wildlens.model.conformal import ShortlistRule

    shortlist = ShortlistRule(0.95, tuple(shortlist_thresholds or [0.0] * n), (False,) * n, 100)
    return Policy(
        tuple(f"c{i}" for i in range(n)),
        rules,
        0.1,
        shortlist,
        "energy",
        unknown,
        0.95,
        QualityLimits(),
    )


# --- decide -------------------------------------------------------------------------------------


def test_decide_reasons_in_order_of_precedence():
    probs = np.array(
        [
            [0.9, 0.1, 0.0],
            [0.6, 0.4, 0.0],
            [0.1, 0.9, 0.0],
            [0.0, 0.1, 0.9],
            [0.9, 0.1, 0.0],
            [0.9, 0.1, 0.0],
        ]
    )
    unknown = np.array([0.0, 0.0, 0.0, 0.0, 5.0, 5.0])
    poor = [False, False, False, False, False, True]
    rule = policy(
        [0.8, 0.5, INF], ["auto", "always_review", "insufficient_calibration"], unknown=1.0
    )
    decisions = decide(probs, unknown, poor, rule)
    assert [d.decision for d in decisions] == [IDENTIFIED, REVIEW, REVIEW, REVIEW, UNKNOWN, REVIEW]
    assert [d.reasons for d in decisions] == [
        (),
        (LOW_CONFIDENCE,),
        (ALWAYS_REVIEW_CLASS,),
        (INSUFFICIENT_CALIBRATION,),
        (OUT_OF_CATALOGUE,),
        (POOR_IMAGE, OUT_OF_CATALOGUE),
    ]
    assert decisions[0].accept_threshold == 0.8


def test_unknown_is_never_a_species_even_when_confident():
    [decision] = decide(
        np.array([[0.999, 0.001]]), np.array([9.0]), None, policy([0.5, 0.5], unknown=1.0)
    )
    assert decision.decision == UNKNOWN


def test_ambiguous_when_the_shortlist_holds_several_classes():
    wide = policy([0.99, 0.99], shortlist_thresholds=[1.1, 1.1])
    [decision] = decide(np.array([[0.6, 0.4]]), np.zeros(1), None, wide)
    assert decision.reasons == (LOW_CONFIDENCE, AMBIGUOUS)
    assert decision.shortlist == (0, 1)


def test_decide_single_class_and_ties():
    assert decide(np.array([[1.0]]), np.zeros(1), None, policy([0.5]))[0].decision == IDENTIFIED
    tie = decide(np.array([[0.5, 0.5]]), np.zeros(1), None, policy([0.4, INF]))
    assert tie[0].decision == IDENTIFIED  # a tie goes to the first class, deterministically


@pytest.mark.parametrize(
    ("probs", "unknown", "message"),
    [
        (np.array([[np.nan, 0.5]]), np.zeros(1), "NaN"),
        (np.array([[0.5, 0.5]]), np.array([np.nan]), "NaN"),
        (np.array([[0.5, 0.5, 0.0]]), np.zeros(1), "does not fit"),
        (np.array([[0.5, 0.5]]), np.zeros(2), "one unknown score per row"),
    ],
)
def test_decide_rejects_bad_input(probs, unknown, message):
    with pytest.raises(ValueError, match=message):
        decide(probs, unknown, None, policy([0.5, 0.5]))


def test_energy_rejects_nan_logits():
    with pytest.raises(ValueError, match="NaN"):
        energy_scores(np.array([[np.nan, 1.0]]))


# --- Learn-then-Test thresholds -----------------------------------------------------------------


def test_binomial_p_value():
    # 0 errors in 114 at a 2% error rate: 0.98 ** 114 ~ 0.1.
    assert binomial_p_value(0, 114, 0.02) == pytest.approx(0.98**114)
    assert binomial_p_value(5, 10, 0.02) > 0.99


def test_ltt_needs_enough_evidence():
    confidence = np.linspace(0.9, 1.0, 50)
    assert math.isinf(ltt_threshold(confidence, np.ones(50, bool), 0.98, 0.1))  # 50 < 114
    confidence = np.linspace(0.5, 1.0, 400)
    assert ltt_threshold(confidence, np.ones(400, bool), 0.98, 0.1) <= 0.5  # all right: all in
    rules = fit_class_rules(
        np.c_[confidence, 1 - confidence],
        np.zeros(400, int),
        [0.98, 0.98],
        [False, False],
        delta=0.1,
        floor=0.7,
    )
    assert rules[0].threshold == pytest.approx(0.7)  # never below the floor


def test_ltt_stops_where_errors_begin():
    confidence = np.linspace(0.5, 1.0, 1000)
    correct = confidence > 0.7  # every prediction under 0.7 is wrong
    threshold = ltt_threshold(confidence, correct, 0.99, 0.1)
    assert 0.69 <= threshold <= 0.75


def test_ltt_empty_calibration_and_bad_arguments():
    assert math.isinf(ltt_threshold(np.array([]), np.array([], bool), 0.9, 0.1))
    with pytest.raises(ValueError):
        ltt_threshold(np.array([0.9]), np.array([True]), 0.9, 1.5)


def test_class_rules_statuses():
    probs = np.r_[np.tile([0.99, 0.01, 0.0], (200, 1)), np.tile([0.0, 0.99, 0.01], (5, 1))]
    labels = np.r_[np.zeros(200, int), np.ones(5, int)]
    rules = fit_class_rules(probs, labels, [0.98, 0.98, 0.9], [False, False, True], delta=0.1)
    assert [r.status for r in rules] == ["auto", "insufficient_calibration", "always_review"]
    assert rules[0].calibration_predictions == 200 and rules[1].calibration_predictions == 5


def test_accepted_precision_guarantee_holds_over_calibration_draws():
    """conf ~ U(0.5, 1), P(correct | conf) = conf: precision of {conf >= t} is (1 + t) / 2.
    A target of 0.9 holds for t >= 0.8; the LTT threshold may undershoot in <= delta of draws."""
    rng = np.random.default_rng(0)
    delta, target, draws, failures = 0.1, 0.9, 400, 0
    for _ in range(draws):
        confidence = rng.uniform(0.5, 1.0, 600)
        correct = rng.random(600) < confidence
        threshold = ltt_threshold(confidence, correct, target, delta)
        if not math.isinf(threshold) and (1 + threshold) / 2 < target:
            failures += 1
    # Binomial(400, 0.1) exceeds 55 with probability < 0.01.
    assert failures / draws <= delta + 0.0375


# --- conformal shortlists -----------------------------------------------------------------------


def test_class_scores_are_cumulative_mass_in_rank_order_plus_rank_penalty():
    scores = class_scores(np.array([[0.2, 0.5, 0.3]]), penalty=0.0)
    assert np.allclose(scores, [[1.0, 0.5, 0.8]])
    penalised = class_scores(np.array([[0.2, 0.5, 0.3]]), penalty=0.1, free_ranks=1)
    assert np.allclose(penalised, [[1.2, 0.5, 0.9]])


def test_a_confident_model_gets_short_lists():
    """A confident, accurate model: the true class is first with ~0.999; without the penalty
    the threshold sits just under 1 and drags in classes of negligible mass."""
    rng = np.random.default_rng(6)
    top = rng.uniform(0.995, 0.9999, 400)
    probs = np.c_[top, (1 - top)[:, None] * np.full((1, 7), 1 / 7)]
    rule = fit_shortlist(probs, np.zeros(400, int), 0.95)
    assert np.mean([len(s) for s in shortlists(probs, rule)]) < 1.5


def test_conformal_quantile_small_samples():
    assert math.isinf(conformal_quantile(np.array([0.1, 0.2]), 0.95))  # ceil(3 * 0.95) = 3 > 2
    assert conformal_quantile(np.arange(1, 20) / 20, 0.9) == pytest.approx(0.9)  # 18th of 19


def test_shortlist_always_holds_the_top_class():
    rule = fit_shortlist(np.array([[0.9, 0.1]] * 40), np.zeros(40, int), 0.8)
    [members] = shortlists(np.array([[0.99, 0.01]]), rule)
    assert members.tolist() == [0]


def _synthetic(rng, n, classes=6):
    logits = rng.normal(0, 2.0, (n, classes))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = np.array([rng.choice(classes, p=p) for p in probs])
    return probs, labels


def test_conformal_coverage_is_nominal_over_many_draws():
    rng = np.random.default_rng(1)
    coverages = []
    for _ in range(200):
        probs, labels = _synthetic(rng, 700)
        rule = fit_shortlist(probs[:500], labels[:500], 0.9)
        sets = shortlists(probs[500:], rule)
        coverages.append(np.mean([y in s for s, y in zip(sets, labels[500:], strict=True)]))
    # Non-randomised RAPS plus the top class: at least nominal on average, and not much more.
    assert 0.9 - 0.005 <= np.mean(coverages) <= 0.9 + 0.03


def test_class_conditional_coverage_for_a_protected_class():
    rng = np.random.default_rng(2)
    per_class = [True, False, False, False, False, False]
    hits = []
    for _ in range(200):
        probs, labels = _synthetic(rng, 1500)
        rule = fit_shortlist(probs[:1000], labels[:1000], 0.9, per_class)
        test = labels[1000:] == 0
        sets = shortlists(probs[1000:][test], rule)
        hits.append(np.mean([0 in s for s in sets]))
    assert np.mean(hits) >= 0.9 - 0.01


# --- unknown items ------------------------------------------------------------------------------


def test_unknown_threshold_keeps_the_chosen_share():
    rng = np.random.default_rng(3)
    calibration = rng.normal(0, 1, 2000)
    threshold = unknown_threshold(calibration, 0.95)
    future = rng.normal(0, 1, 20000)
    assert (future > threshold).mean() == pytest.approx(0.05, abs=0.01)
    assert math.isinf(unknown_threshold(np.array([1.0]), 0.95))


def test_mahalanobis_separates_a_new_cluster():
    rng = np.random.default_rng(4)
    means = rng.normal(0, 3, (3, 20))
    labels = rng.integers(0, 3, 600)
    features = means[labels] + rng.normal(0, 1, (600, 20))
    scorer = fit_mahalanobis(features, labels, 3)
    inside = scorer.score(means[labels[:200]] + rng.normal(0, 1, (200, 20)))
    outside = scorer.score(rng.normal(0, 3, (1, 20)) + rng.normal(0, 1, (200, 20)))
    assert unknown_auroc(inside, outside) > 0.95


def test_energy_is_higher_when_no_class_stands_out():
    scores = energy_scores(np.array([[10.0, 0.0, 0.0], [0.1, 0.0, 0.0]]))
    assert scores[1] > scores[0]


# --- the whole policy ---------------------------------------------------------------------------


def test_fit_policy_round_trip_and_empty_calibration():
    rng = np.random.default_rng(5)
    probs, labels = _synthetic(rng, 800, classes=3)
    fitted = fit_policy(
        probs,
        labels,
        rng.normal(0, 1, 800),
        ["a", "b", "c"],
        [0.9, 0.95, None],
        [False, False, True],
        class_conditional=[True, False, False],
    )
    assert Policy.from_dict(fitted.to_dict()) == fitted
    assert fitted.rules[2].status == "always_review"
    empty = fit_policy(
        np.zeros((0, 2)), np.zeros(0, int), np.zeros(0), ["a", "b"], [0.9, 0.9], [False, False]
    )
    assert all(r.status == "insufficient_calibration" for r in empty.rules)
    assert math.isinf(empty.unknown_threshold) and all(map(math.isinf, empty.shortlist.thresholds))
    [decision] = decide(np.array([[0.9, 0.1]]), np.zeros(1), None, empty)
    assert decision.decision == REVIEW and decision.shortlist == (0, 1)
