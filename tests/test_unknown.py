"""Unknown-item scores and rule: kNN banks, energy, the union of scores at one quantile level,
and the familiarity line, on synthetic features."""

import json
import math

import numpy as np
import pytest

from wildlens.model.trust.unknown import (
    ENERGY,
    KNN_FEATURES,
    KNN_LOGITS,
    KnnBank,
    UnknownModel,
    UnknownRule,
    combined_statistic,
    energy_scores,
    fit_unknown_rule,
    reference_model,
    unknown_auroc,
)


def test_knn_distance_is_to_the_kth_nearest_unit_vector():
    bank = KnnBank.of(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]), k=2)
    # (2, 0) normalises to (1, 0): nearest (1, 0) at 0, second nearest (0, 1) at sqrt(2).
    assert bank.score(np.array([[2.0, 0.0]])) == pytest.approx([math.sqrt(2)])
    assert KnnBank.of(np.eye(3), k=10).score(np.eye(3)).shape == (3,)  # k above the bank's size


def test_knn_scores_are_the_same_in_chunks():
    rng = np.random.default_rng(0)
    bank = KnnBank.of(rng.normal(size=(300, 16)), k=5)
    queries = rng.normal(size=(2500, 16))
    whole = bank.score(queries)
    assert np.allclose(np.r_[bank.score(queries[:1000]), bank.score(queries[1000:])], whole)


def test_energy_is_higher_when_no_class_stands_out():
    scores = energy_scores(np.array([[10.0, 0.0, 0.0], [0.1, 0.0, 0.0]]))
    assert scores[1] > scores[0]
    with pytest.raises(ValueError, match="NaN"):
        energy_scores(np.array([[np.nan, 1.0]]))


def test_the_union_rule_keeps_the_chosen_share_of_catalogue_photos():
    rng = np.random.default_rng(3)
    calibration = {"a": rng.normal(size=3000), "b": rng.normal(size=3000)}
    rule = fit_unknown_rule(calibration, keep=0.95, familiar_keep=0.9)
    future = {"a": rng.normal(size=50000), "b": rng.normal(size=50000)}
    assert rule.is_unknown(future).mean() == pytest.approx(0.05, abs=0.007)
    # One score far off is enough.
    assert rule.is_unknown({"a": np.array([0.0, 9.0]), "b": np.array([9.0, 0.0])}).all()
    tiny = fit_unknown_rule({"a": np.array([1.0]), KNN_FEATURES: np.array([1.0])}, 0.95, 0.9)
    assert all(map(math.isinf, tiny.thresholds.values())) and math.isinf(tiny.familiar_threshold)


def test_familiar_line_keeps_its_share_and_one_turns_it_off():
    rng = np.random.default_rng(4)
    calibration = {ENERGY: rng.normal(size=2000), KNN_FEATURES: rng.uniform(size=2000)}
    rule = fit_unknown_rule(calibration, keep=0.95, familiar_keep=0.8)
    fresh = {ENERGY: rng.normal(size=20000), KNN_FEATURES: rng.uniform(size=20000)}
    answers = np.zeros(20000, dtype=np.int64)
    assert rule.is_familiar(fresh, answers).mean() == pytest.approx(0.8, abs=0.02)
    off = fit_unknown_rule(calibration, keep=0.95, familiar_keep=1.0)
    assert off.is_familiar(fresh, answers).all()


def class_spreads(rng, n):
    """Calibration kNN distances of photos answered as a tight class (0) and a wide one (1)."""
    answers = np.r_[np.zeros(n, np.int64), np.ones(n, np.int64)]
    distances = np.r_[rng.uniform(0.0, 0.5, n), rng.uniform(0.0, 1.0, n)]
    return {ENERGY: rng.normal(size=2 * n), KNN_FEATURES: distances}, answers


def test_the_line_per_class_is_relative_to_the_answered_class():
    rng = np.random.default_rng(5)
    calibration, answers = class_spreads(rng, 2000)
    # A third class of the catalogue, never answered here: the line needs 3 classes or more.
    rule = fit_unknown_rule(calibration, 0.95, 1.0, answers=(answers, 3), class_familiar_keep=0.8)
    # Each class keeps its share of its own answers...
    fresh, fresh_answers = class_spreads(rng, 20000)
    familiar = rule.is_familiar(fresh, fresh_answers)
    assert familiar[fresh_answers == 0].mean() == pytest.approx(0.8, abs=0.02)
    assert familiar[fresh_answers == 1].mean() == pytest.approx(0.8, abs=0.02)
    # ...so one distance is familiar as the wide class and not as the tight one.
    one = {ENERGY: np.zeros(2), KNN_FEATURES: np.array([0.6, 0.6])}
    assert rule.is_familiar(one, np.array([0, 1])).tolist() == [False, True]
    # Off at 1, without the answers, or in a 2-class catalogue: the line of all photos alone.
    for off in (
        fit_unknown_rule(calibration, 0.95, 1.0, answers=(answers, 3), class_familiar_keep=1.0),
        fit_unknown_rule(calibration, 0.95, 1.0),
        fit_unknown_rule(calibration, 0.95, 1.0, answers=(answers, 2), class_familiar_keep=0.8),
    ):
        assert off.class_familiar_thresholds == ()
        assert off.is_familiar(one, np.array([0, 1])).all()


def test_a_class_too_rarely_answered_is_never_familiar_and_the_lines_survive_a_bundle():
    rng = np.random.default_rng(6)
    calibration, answers = class_spreads(rng, 200)
    answers[:] = 0
    answers[:2] = 1  # class 1 answered twice: too few to show 80%; class 2 never
    rule = fit_unknown_rule(calibration, 0.95, 1.0, answers=(answers, 3), class_familiar_keep=0.8)
    close = {ENERGY: np.zeros(3), KNN_FEATURES: np.zeros(3)}
    assert rule.is_familiar(close, np.array([0, 1, 2])).tolist() == [True, False, False]
    again = UnknownRule.from_dict(json.loads(json.dumps(rule.to_dict())))
    assert again.class_familiar_thresholds == rule.class_familiar_thresholds
    assert again.is_familiar(close, np.array([0, 1, 2])).tolist() == [True, False, False]
    # A rule saved before the line per class reads back without one.
    old = {k: v for k, v in rule.to_dict().items() if not k.startswith("class_familiar")}
    assert UnknownRule.from_dict(old).is_familiar(close, np.array([0, 1, 2])).all()
    with pytest.raises(ValueError, match="one answered class"):
        fit_unknown_rule(calibration, answers=(answers[:5], 3), class_familiar_keep=0.8)


def test_far_items_are_caught_by_knn_when_energy_misses_them():
    """A catalogue of 3 tight clusters; foreign items from a far cluster that the linear head
    maps to a confident class (large logits): energy misses them, the feature kNN does not."""
    rng = np.random.default_rng(5)
    means = np.eye(3, 32) * 10
    labels = rng.integers(0, 3, 900)
    train = means[labels] + rng.normal(0, 0.5, (900, 32))
    weight, bias = means / 10, np.zeros(3)
    foreign = rng.normal(0, 0.5, (200, 32))
    foreign[:, 0] += 20.0  # along class 0's direction: a very confident class 0...
    foreign[:, 20] += 40.0  # ...but mostly along a direction no training photo has
    model = reference_model(train @ weight.T + bias, train, bias, temperature=1.0)
    inside = means[labels[:300]] + rng.normal(0, 0.5, (300, 32))
    scores_in = model.scores(inside @ weight.T, inside)
    scores_out = model.scores(foreign @ weight.T, foreign)
    assert set(scores_in) == {ENERGY, KNN_FEATURES, KNN_LOGITS}
    assert unknown_auroc(scores_in[ENERGY], scores_out[ENERGY]) < 0.5
    assert unknown_auroc(scores_in[KNN_FEATURES], scores_out[KNN_FEATURES]) > 0.99
    rule = fit_unknown_rule(scores_in, keep=0.95)
    assert rule.is_unknown(scores_out).mean() > 0.99
    combined = unknown_auroc(
        combined_statistic(scores_in, scores_in), combined_statistic(scores_in, scores_out)
    )
    assert combined > 0.99


def test_two_class_models_have_no_logit_space_score_and_banks_round_trip():
    rng = np.random.default_rng(6)
    features = rng.normal(size=(50, 8))
    logits = rng.normal(size=(50, 2))
    model = reference_model(logits, features, np.zeros(2), temperature=1.5)
    assert model.logits is None
    again = UnknownModel.from_arrays(model.to_arrays(), k=10, temperature=1.5)
    assert set(again.scores(logits, features)) == {ENERGY, KNN_FEATURES}
    assert np.allclose(
        again.scores(logits, features)[KNN_FEATURES],
        model.scores(logits, features)[KNN_FEATURES],
        atol=2e-3,  # the banks are stored as float16
    )


def test_with_three_classes_feature_knn_watches_the_far_tail_only():
    """knn_features' own threshold flags about 1% of catalogue photos; the near scores share the
    rest of the 5%, so they flag more than under one shared level; a far photo is still unknown;
    the union still keeps 95% of fresh catalogue photos."""
    rng = np.random.default_rng(7)

    def draw(n):
        return {name: rng.normal(size=n) for name in (ENERGY, KNN_FEATURES, KNN_LOGITS)}

    calibration = draw(4000)
    rule = fit_unknown_rule(calibration, keep=0.95)
    shared = fit_unknown_rule({k: v for k, v in calibration.items()}, keep=0.95, far_keep=0.95)
    assert rule.far_threshold is not None and shared.far_threshold is None
    fresh = draw(50000)
    assert rule.is_unknown(fresh).mean() == pytest.approx(0.05, abs=0.007)
    # 0.01 within 3 standard errors of a 99% quantile of 4,000 photos (0.0016 each)
    assert (fresh[KNN_FEATURES] > rule.far_threshold).mean() == pytest.approx(0.01, abs=0.005)
    assert rule.thresholds[ENERGY] < shared.thresholds[ENERGY]  # more budget for the near scores
    far = {ENERGY: np.array([-5.0]), KNN_LOGITS: np.array([-5.0]), KNN_FEATURES: np.array([9.0])}
    assert rule.is_unknown(far).all()
    # The combined statistic ranks far photos above every other photo.
    statistic = combined_statistic(
        calibration, {k: np.r_[fresh[k][:100], far[k]] for k in far}, rule.far_threshold
    )
    assert statistic[-1] > statistic[:-1].max()
    # A bundle's rule from before the far tail loads with none (one shared level).
    old = {k: v for k, v in rule.to_dict().items() if k != "far_threshold"}
    assert type(rule).from_dict(old).far_threshold is None
    assert type(rule).from_dict(rule.to_dict()) == rule


def test_two_classes_or_few_photos_share_one_level():
    rng = np.random.default_rng(8)
    two = {ENERGY: rng.normal(size=2000), KNN_FEATURES: rng.normal(size=2000)}
    assert fit_unknown_rule(two).far_threshold is None
    few = {name: rng.normal(size=60) for name in (ENERGY, KNN_FEATURES, KNN_LOGITS)}
    rule = fit_unknown_rule(few)  # 60 photos cannot show a 99% quantile
    assert rule.far_threshold is None and math.isfinite(rule.thresholds[KNN_FEATURES])


def test_a_look_alike_held_out_of_training_loses_its_automation_and_the_catalogue_keeps_it():
    """Fast mode end to end on synthetic features: a tight class, two wide ones, and photos of a
    class left out of the catalogue sitting beside the tight one (answered as it, confidently,
    and nearer the training photos than the wide classes' own photos are)."""
    from wildlens.model.bundle.catalogue import CatalogueEntry
    from wildlens.model.network.backends import ModelOutputs
    from wildlens.model.training.crossfit import CrossFitSettings, assign_folds
    from wildlens.model.training.head import head_logits
    from wildlens.model.training.modes import cross_fitted_head
    from wildlens.model.training.policy import TrustSettings, fit_trust

    rng = np.random.default_rng(0)
    dim, spreads = 16, (0.4, 1.5, 1.5)
    centres = np.eye(dim)[:3] * 10

    def photos(n):
        return np.concatenate(
            [centres[c] + rng.normal(0, s, (n, dim)) for c, s in enumerate(spreads)]
        )

    x, y = photos(150), np.repeat(np.arange(3), 150)
    new = photos(300)
    look_alike = centres[0] + 2.0 * np.eye(dim)[5] + rng.normal(0, 0.4, (300, dim))
    fold_of = assign_folds([str(v) for v in y], [str(i) for i in range(len(y))], 5, 0)
    head, inputs = cross_fitted_head(x[:, None], y, 3, fold_of, CrossFitSettings())
    entries = [CatalogueEntry(id=f"c{i}", names={"en": str(i)}) for i in range(3)]

    def accepted(keep, features):
        trust = fit_trust(inputs, entries, TrustSettings(class_familiar_keep=keep))
        decisions = trust.decide(
            ModelOutputs(head_logits(features, head.weight, head.bias), features)
        )
        return np.mean([d.decision == "identified" for d in decisions])

    assert (head_logits(look_alike, head.weight, head.bias).argmax(1) == 0).all()
    without, with_line = accepted(1.0, look_alike), accepted(0.8, look_alike)
    assert without > 0.9  # the line of all photos lets them through...
    assert with_line < without / 3  # ...the line of the tight class's own answers does not
    assert accepted(0.8, new) >= 0.85 * accepted(1.0, new)


def test_the_line_per_class_never_lowers_a_threshold_the_shared_line_shows():
    """With fewer, cleaner answers the scan could certify a lower threshold; the line per class
    only removes automation, never adds any below the shared line's threshold."""
    from wildlens.model.trust.routing import fit_policy

    rng = np.random.default_rng(3)
    n, classes = 1200, 3
    answer = rng.integers(0, classes, n)
    top = rng.uniform(0.5, 1.0, n)
    # Wrong answers at middling confidence, and far from the training photos: the line per
    # class removes them, so without the floor the scan would certify a lower threshold.
    wrong = (top < 0.8) & (rng.uniform(0, 1, n) < 0.3)
    labels = np.where(wrong, (answer + 1) % classes, answer)
    probs = np.full((n, classes), 0.0)
    probs[np.arange(n), answer] = top
    probs[np.arange(n), (answer + 1) % classes] = (1 - top) * 0.6
    probs[np.arange(n), (answer + 2) % classes] = (1 - top) * 0.4
    distance = rng.uniform(0, 1, n) + 1.0 * wrong
    scores = {"knn_features": distance, "energy": -np.log(top)}
    ids = [f"c{c}" for c in range(classes)]

    def policy(keep):
        return fit_policy(
            probs,
            labels,
            scores,
            ids,
            [None] * classes,
            [False] * classes,
            familiar_keep=1.0,
            class_familiar_keep=keep,
        )

    shared, line = policy(1.0), policy(0.8)
    assert len(line.unknown.class_familiar_thresholds) == classes
    assert any(np.isfinite(rule.threshold) for rule in shared.rules)
    for alone, with_line in zip(shared.rules, line.rules, strict=True):
        if np.isfinite(alone.threshold):
            assert with_line.threshold >= alone.threshold
