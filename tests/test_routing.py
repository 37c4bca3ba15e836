"""Routing and conformal shortlists: pure functions, edge cases, and statistical checks of their
guarantees on synthetic exchangeable data."""

import itertools
import math

import numpy as np
import pytest

from wildlens.model.trust.conformal import (
    ShortlistRule,
    class_scores,
    conformal_quantile,
    fit_shortlist,
    shortlists,
)
from wildlens.model.trust.routing import (
    ALWAYS_REVIEW_CLASS,
    AMBIGUOUS,
    IDENTIFIED,
    INSUFFICIENT_CALIBRATION,
    LOW_CONFIDENCE,
    MAX_STARTS,
    OUT_OF_CATALOGUE,
    POOR_IMAGE,
    REVIEW,
    SHIFT_SUSPECTED,
    TARGET_NOT_SHOWN,
    UNFAMILIAR,
    UNKNOWN,
    AcceptTest,
    ClassRule,
    Policy,
    QualityLimits,
    binomial_p_value,
    decide,
    fit_class_rules,
    fit_policy,
    lookalike_lines,
    ltt_threshold,
    smallest_showing_set,
    start_counts,
    tail_line,
)
from wildlens.model.trust.shift import GuardPolicy
from wildlens.model.trust.unknown import KNN_FEATURES, UnknownRule

INF = float("inf")


def policy(thresholds, statuses=None, unknown=INF, familiar=INF, shortlist_thresholds=None):
    n = len(thresholds)
    statuses = statuses or ["auto"] * n
    rules = tuple(
        ClassRule(t, s, "pooled", 0.95, 50, None) for t, s in zip(thresholds, statuses, strict=True)
    )
    shortlist = ShortlistRule(0.95, tuple(shortlist_thresholds or [0.0] * n), (False,) * n, 100)
    test = AcceptTest(0.5, "auto", 0.95, 100, 100, 0, None)
    return Policy(
        class_ids=tuple(f"c{i}" for i in range(n)),
        rules=rules,
        delta=0.1,
        pooled=test,
        own={},
        shortlist=shortlist,
        unknown=UnknownRule({"energy": unknown, KNN_FEATURES: INF}, familiar, 0.95, 0.9),
        guard=GuardPolicy({}, 100, 0.03, 0.05, 50),
        quality=QualityLimits(),
    )


def scores(energy, knn=None):
    energy = np.asarray(energy, dtype=float)
    return {"energy": energy, KNN_FEATURES: np.zeros(len(energy)) if knn is None else knn}


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
            [0.9, 0.1, 0.0],
            [0.9, 0.1, 0.0],
        ]
    )
    energy = [0, 0, 0, 0, 5, 5, 0, 0]
    knn = np.array([0, 0, 0, 0, 0, 0, 3.0, 0])
    poor = [False, False, False, False, False, True, False, False]
    suspended = [False] * 7 + [True]
    rule = policy(
        [0.8, 0.5, INF],
        ["auto", "always_review", "insufficient_calibration"],
        unknown=1.0,
        familiar=1.0,
    )
    decisions = decide(probs, scores(energy, knn), poor, rule, suspended)
    assert [d.decision for d in decisions] == [IDENTIFIED] + [REVIEW] * 3 + [UNKNOWN] + [REVIEW] * 3
    assert [d.reasons for d in decisions] == [
        (),
        (LOW_CONFIDENCE,),
        (ALWAYS_REVIEW_CLASS,),
        (INSUFFICIENT_CALIBRATION,),
        (OUT_OF_CATALOGUE,),
        (POOR_IMAGE, OUT_OF_CATALOGUE),
        (UNFAMILIAR,),
        (SHIFT_SUSPECTED,),
    ]
    assert decisions[0].accept_threshold == 0.8
    assert (
        decisions[6].signals["unknown"] is False and decisions[6].signals["low_confidence"] is False
    )
    assert decisions[1].signals["low_confidence"] and decisions[4].signals["unknown"]


def test_unknown_is_never_a_species_even_when_confident():
    [decision] = decide(
        np.array([[0.999, 0.001]]), scores([9.0]), None, policy([0.5, 0.5], unknown=1.0)
    )
    assert decision.decision == UNKNOWN


def test_ambiguous_when_the_shortlist_holds_several_classes():
    wide = policy([0.99, 0.99], shortlist_thresholds=[1.1, 1.1])
    [decision] = decide(np.array([[0.6, 0.4]]), scores([0.0]), None, wide)
    assert decision.reasons == (LOW_CONFIDENCE, AMBIGUOUS)
    assert decision.shortlist == (0, 1)
    [suspended] = decide(np.array([[0.995, 0.005]]), scores([0.0]), None, wide, [True])
    assert suspended.reasons == (SHIFT_SUSPECTED, AMBIGUOUS)


def test_decide_single_class_and_ties():
    assert decide(np.array([[1.0]]), scores([0.0]), None, policy([0.5]))[0].decision == IDENTIFIED
    tie = decide(np.array([[0.5, 0.5]]), scores([0.0]), None, policy([0.4, INF]))
    assert tie[0].decision == IDENTIFIED  # a tie goes to the first class, deterministically


@pytest.mark.parametrize(
    ("probs", "energy", "message"),
    [
        (np.array([[np.nan, 0.5]]), [0.0], "NaN"),
        (np.array([[0.5, 0.5]]), [np.nan], "NaN"),
        (np.array([[0.5, 0.5, 0.0]]), [0.0], "does not fit"),
        (np.array([[0.5, 0.5]]), [0.0, 0.0], "one unknown score per row"),
    ],
)
def test_decide_rejects_bad_input(probs, energy, message):
    with pytest.raises(ValueError, match=message):
        decide(probs, scores(energy, np.zeros(len(energy))), None, policy([0.5, 0.5]))


def test_with_no_threshold_at_all_the_guard_sees_no_shift():
    """A model that can accept nothing answers every photo below its (infinite) threshold; that
    is not a shift, and the guard fitted on the same answers must not fire on new ones."""
    from wildlens.model.trust.routing import fit_policy
    from wildlens.model.trust.shift import ShiftGuard

    rng = np.random.default_rng(8)
    probs = rng.dirichlet([5, 1, 1], 40)  # 40 photos: too few to show any target
    labels = np.zeros(40, int)
    calibration = {"energy": rng.normal(0, 1, 40), KNN_FEATURES: rng.random(40)}
    fitted = fit_policy(probs, labels, calibration, ["a", "b", "c"], [None] * 3, [False] * 3)
    assert fitted.pooled.status == INSUFFICIENT_CALIBRATION
    new = rng.dirichlet([5, 1, 1], 500)
    new_scores = {"energy": rng.normal(0, 1, 500), KNN_FEATURES: rng.random(500)}
    decisions = decide(new, new_scores, None, fitted)
    assert not any(d.signals["low_confidence"] for d in decisions)
    assert not ShiftGuard.over(fitted.guard, [d.signals for d in decisions]).fired


# --- Learn-then-Test thresholds -----------------------------------------------------------------


def test_binomial_p_value_and_the_smallest_set_that_can_show_a_target():
    # 0 errors in 114 at a 2% error rate: 0.98 ** 114 ~ 0.1.
    assert binomial_p_value(0, 114, 0.02) == pytest.approx(0.98**114)
    assert binomial_p_value(5, 10, 0.02) > 0.99
    assert (smallest_showing_set(0.95, 0.1), smallest_showing_set(0.98, 0.1)) == (45, 114)


def test_ltt_needs_enough_evidence_and_says_how_much_more():
    confidence = np.linspace(0.9, 1.0, 50)
    few = ltt_threshold(confidence, np.ones(50, bool), 0.98, 0.1)  # 50 < 114
    assert math.isinf(few.threshold) and few.status == INSUFFICIENT_CALIBRATION
    assert 64 <= few.photos_needed <= 80  # about 114 - 50 more right answers
    confidence = np.linspace(0.5, 1.0, 400)
    every = ltt_threshold(confidence, np.ones(400, bool), 0.98, 0.1)
    assert every.threshold <= 0.5 and every.accepted == 400 and every.status == "auto"


def test_ltt_stops_where_errors_begin():
    confidence = np.linspace(0.5, 1.0, 1000)
    correct = confidence > 0.7  # every prediction under 0.7 is wrong
    test = ltt_threshold(confidence, correct, 0.99, 0.1)
    assert 0.69 <= test.threshold <= 0.75


def test_a_confident_early_mistake_is_named_as_such_not_as_too_few_photos():
    confidence = np.linspace(1.0, 0.6, 60)
    correct = np.ones(60, bool)
    correct[[2, 5, 9]] = False  # three of the most confident answers are wrong
    test = ltt_threshold(confidence, correct, 0.95, 0.1)
    assert test.status == TARGET_NOT_SHOWN and test.errors == 3 and test.accepted == 45


def test_one_confident_mistake_at_the_top_does_not_switch_automation_off():
    """A look-alike or a mislabelled photo among the most confident answers ends the scan from
    the first start only; the next start, with more photos, shows the target."""
    confidence = np.linspace(1.0, 0.9, 600)
    correct = np.ones(600, bool)
    correct[0] = False  # the most confident answer of all is wrong
    test = ltt_threshold(confidence, correct, 0.95, 0.1)
    assert test.status == "auto" and test.accepted == 600 and test.errors == 1
    assert start_counts(600, 0.95, 0.1)[0] > smallest_showing_set(0.95, 0.1)


def test_start_points_depend_on_the_number_of_candidates_only():
    assert start_counts(100, 0.95, 0.1) == (45,)  # room for one: plain fixed-sequence testing
    many = start_counts(1_000_000, 0.95, 0.1)
    assert len(many) == MAX_STARTS and many[0] == smallest_showing_set(0.95, 0.1 / MAX_STARTS)
    assert all(b == 2 * a for a, b in itertools.pairwise(many))


def confident_model(rng, n):
    """Calibrated confidences crowded near 1, as a fine-tuned model's: P(right | c) = c."""
    confidence = 1 - rng.beta(0.4, 6, n) * 0.5
    return confidence, rng.random(n) < confidence


def test_the_guarantee_holds_under_label_noise_and_the_fallback_keeps_automation(monkeypatch):
    """Calibration labels with 1% flipped at random (a right answer then counts as wrong): the
    precision of the chosen threshold on clean photos falls below the target in at most delta of
    draws, and the fallback scan finds a threshold in far more draws than one fixed sequence."""
    rng = np.random.default_rng(3)
    population = np.sort(confident_model(np.random.default_rng(4), 200_000)[0])[::-1]
    precision_above = np.cumsum(population) / np.arange(1, len(population) + 1)
    delta, target, draws = 0.1, 0.95, 200
    samples = []
    for _ in range(draws):
        confidence, correct = confident_model(rng, 600)
        samples.append((confidence, correct & (rng.random(600) >= 0.01)))

    def run():
        found, failures = 0, 0
        for confidence, noisy in samples:
            threshold = ltt_threshold(confidence, noisy, target, delta).threshold
            if not math.isinf(threshold):
                found += 1
                n = np.searchsorted(-population, -threshold, side="right")
                failures += precision_above[n - 1] < target
        return found, failures

    found, failures = run()
    assert failures / draws <= delta
    assert found >= 0.9 * draws
    monkeypatch.setattr("wildlens.model.trust.routing.MAX_STARTS", 1)
    single, _ = run()
    assert single <= 0.8 * draws  # one flipped label in the first 45 ends a single sequence


def test_ltt_empty_calibration_and_bad_arguments():
    assert math.isinf(ltt_threshold(np.array([]), np.array([], bool), 0.9, 0.1).threshold)
    with pytest.raises(ValueError):
        ltt_threshold(np.array([0.9]), np.array([True]), 0.9, 1.5)


def test_pooled_classes_share_one_threshold_and_own_targets_their_own():
    rng = np.random.default_rng(0)
    # 3 classes of 30 photos each, all confidently right: 90 pooled answers show 0.95 (>= 45),
    # but 30 photos cannot show a class's own 0.98 (needs 114).
    probs = np.repeat(np.eye(3) * 0.97 + 0.01, 30, axis=0)
    labels = np.repeat(np.arange(3), 30)
    probs += rng.uniform(0, 0.001, probs.shape)
    rules, pooled, own = fit_class_rules(
        probs, labels, np.ones(90, bool), 0.95, [None, None, 0.98], [False] * 3, 0.1
    )
    assert pooled.status == "auto" and pooled.photos == 60  # classes 0 and 1
    assert [r.guarantee for r in rules] == ["pooled", "pooled", "own"]
    assert rules[0].threshold == rules[1].threshold == pooled.threshold
    assert rules[2].status == INSUFFICIENT_CALIBRATION and own[2].photos_needed > 0
    alone, _, _ = fit_class_rules(
        probs[:30], labels[:30], np.ones(30, bool), 0.95, [None] * 3, [False] * 3, 0.1
    )
    assert alone[0].status == INSUFFICIENT_CALIBRATION  # 30 < 45: one class alone cannot


def test_a_rare_look_alike_is_not_auto_accepted_as_the_class_it_imitates():
    # 400 "ivory" photos answered ivory at 0.90-0.999; 40 "bone" photos, 4 of them answered
    # ivory at 0.93-0.99: well within the pooled target (4 wrong of 404 answers), yet a tenth of
    # the bone photos would be accepted as ivory.
    rng = np.random.default_rng(0)
    ivory = rng.uniform(0.90, 0.999, 400)
    fooled = np.linspace(0.93, 0.99, 4)
    confidence = np.r_[ivory, fooled, np.full(36, 0.95)]
    predicted = np.r_[np.zeros(404, int), np.ones(36, int)]
    probs = np.zeros((440, 2))
    probs[np.arange(440), predicted] = confidence
    probs[np.arange(440), 1 - predicted] = 1 - confidence
    labels = np.r_[np.zeros(400, int), np.ones(40, int)]
    familiar = np.ones(440, bool)
    rules, _, _ = fit_class_rules(probs, labels, familiar, 0.95, [None, 0.98], [False] * 2, 0.1)
    assert rules[0].threshold <= 0.93  # the pooled target alone accepts the fooled bone photos

    lined = lookalike_lines(probs, labels, familiar, rules, [[1], [0]], 0.01)
    assert lined[0].threshold > 0.99  # above every bone photo answered ivory (40 < 1 / 0.01)
    assert lined[1] == rules[1]  # no ivory photo answered bone: bone's rule as it was
    accepted_bone = (labels == 1) & (probs[:, 0] >= lined[0].threshold)
    assert not accepted_bone.any()
    assert (probs[:400, 0] >= lined[0].threshold).sum() > 0  # ivory keeps its surest answers

    # One bone photo in a hundred may pass at rate 0.05 with 40 photos: 2 of them.
    loose = lookalike_lines(probs, labels, familiar, rules, [[1], [0]], 0.05)
    assert ((labels == 1) & (probs[:, 0] >= loose[0].threshold)).sum() == 2
    # Without look-alikes in the catalogue, or with the line off, nothing changes.
    assert lookalike_lines(probs, labels, familiar, rules, [[], []], 0.01) == rules
    assert lookalike_lines(probs, labels, familiar, rules, [[1], [0]], 1.0) == rules


def test_the_look_alike_line_reaches_past_the_photos_it_has_seen():
    rng = np.random.default_rng(1)
    logits = rng.normal(0.0, 1.0, 20000)
    line = tail_line(1 / (1 + np.exp(-logits)), 0.01)
    assert line == pytest.approx(1 / (1 + np.exp(-2.326)), abs=0.01)  # the fitted 99th point
    assert tail_line(np.full(4, 0.3), 0.01) == 0.0  # too few photos for a spread

    # 400 ivory photos answered ivory at 0.80-0.999; 40 bone photos, none answered ivory, but
    # spread up to it: the fitted tail puts more than 1% of such photos above the pooled line.
    ivory = rng.uniform(0.80, 0.999, 400)
    bone_ivory = 1 / (1 + np.exp(-rng.normal(-2.5, 1.2, 40)))
    bone_ivory = np.minimum(bone_ivory, 0.49)  # every one answered bone
    probs = np.c_[np.r_[ivory, bone_ivory], 1 - np.r_[ivory, bone_ivory]]
    labels = np.r_[np.zeros(400, int), np.ones(40, int)]
    familiar = np.ones(440, bool)
    rules, _, _ = fit_class_rules(probs, labels, familiar, 0.95, [None, 0.98], [False] * 2, 0.1)
    lined = lookalike_lines(probs, labels, familiar, rules, [[1], [0]], 0.01)
    fitted = tail_line(bone_ivory, 0.01)
    assert fitted > rules[0].threshold
    assert lined[0].threshold == fitted and lined[0].lookalike_photos == 40


def test_unfamiliar_photos_are_not_candidates_for_the_threshold():
    probs = np.tile([0.99, 0.01], (100, 1))
    labels = np.r_[np.zeros(60, int), np.ones(40, int)]  # 40 confident mistakes...
    familiar = labels == 0  # ...all of them unfamiliar, so out of the accepted set
    _, pooled, _ = fit_class_rules(probs, labels, familiar, 0.95, [None, None], [False] * 2, 0.1)
    assert pooled.status == "auto" and pooled.errors == 0 and pooled.photos == 60


def test_accepted_precision_guarantee_holds_over_calibration_draws():
    """conf ~ U(0.5, 1), P(correct | conf) = conf: precision of {conf >= t} is (1 + t) / 2.
    A target of 0.9 holds for t >= 0.8; the LTT threshold may undershoot in <= delta of draws."""
    rng = np.random.default_rng(0)
    delta, target, draws, failures = 0.1, 0.9, 400, 0
    for _ in range(draws):
        confidence = rng.uniform(0.5, 1.0, 600)
        correct = rng.random(600) < confidence
        threshold = ltt_threshold(confidence, correct, target, delta).threshold
        if not math.isinf(threshold) and (1 + threshold) / 2 < target:
            failures += 1
    # Binomial(400, 0.1) exceeds 55 with probability < 0.01.
    assert failures / draws <= delta + 0.0375


# --- conformal shortlists -----------------------------------------------------------------------


def test_class_scores_are_one_minus_probability():
    assert np.allclose(class_scores(np.array([[0.2, 0.5, 0.3]])), [[0.8, 0.5, 0.7]])


def test_a_confident_model_gets_short_lists():
    rng = np.random.default_rng(6)
    top = rng.uniform(0.995, 0.9999, 400)
    probs = np.c_[top, (1 - top)[:, None] * np.full((1, 7), 1 / 7)]
    rule = fit_shortlist(probs, np.zeros(400, int), 0.95)
    assert np.mean([len(s) for s in shortlists(probs, rule)]) == 1.0


def test_two_class_shortlists_narrow_with_confidence_not_with_rounding():
    """At 92% accuracy a 2-class shortlist lists the runner-up only for uncertain photos."""
    rng = np.random.default_rng(7)
    top = rng.beta(5, 1, 4000) * 0.5 + 0.5  # calibrated, 92% right
    right = rng.random(4000) < top
    probs = np.c_[top, 1 - top]
    labels = np.where(right, 0, 1)
    rule = fit_shortlist(probs[:2000], labels[:2000], 0.95)
    sets = shortlists(probs[2000:], rule)
    sizes = np.array([len(s) for s in sets])
    assert 1.05 < sizes.mean() < 1.25  # the RAPS score listed both classes 93-97% of the time
    # The size is a function of confidence: every photo more confident than a 2-class one has
    # a set no larger.
    confident = probs[2000:, 0]
    assert confident[sizes == 1].min() >= confident[sizes == 2].max()


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


# --- the whole policy ---------------------------------------------------------------------------


def test_fit_policy_round_trip_and_empty_calibration():
    rng = np.random.default_rng(5)
    probs, labels = _synthetic(rng, 800, classes=3)
    fitted = fit_policy(
        probs,
        labels,
        {"energy": rng.normal(0, 1, 800), KNN_FEATURES: rng.uniform(0, 1, 800)},
        ["a", "b", "c"],
        [None, 0.95, None],
        [False, False, True],
        class_conditional=[True, False, False],
    )
    assert Policy.from_dict(fitted.to_dict()) == fitted
    assert [r.guarantee for r in fitted.rules] == ["pooled", "own", None]
    assert fitted.rules[2].status == "always_review"
    assert set(fitted.guard.means) == {"unknown", "low_confidence", "atypicality"}
    assert fitted.guard.means["unknown"] == pytest.approx(0.05, abs=0.01)
    assert fitted.guard.means["atypicality"] == pytest.approx(0.5, abs=0.02)
    empty = fit_policy(
        np.zeros((0, 2)),
        np.zeros(0, int),
        {"energy": np.zeros(0), KNN_FEATURES: np.zeros(0)},
        ["a", "b"],
        [None, None],
        [False, False],
    )
    assert all(r.status == INSUFFICIENT_CALIBRATION for r in empty.rules)
    assert all(map(math.isinf, empty.unknown.thresholds.values()))
    assert all(map(math.isinf, empty.shortlist.thresholds))
    [decision] = decide(np.array([[0.9, 0.1]]), scores([0.0], np.zeros(1)), None, empty)
    assert decision.decision == REVIEW and decision.shortlist == (0, 1)
