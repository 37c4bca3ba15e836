"""Cross-fitting fast mode's head: folds keep groups whole, out-of-fold answers come from heads
that never saw the photo, and the fold ensemble is as accurate as scikit-learn's probe."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegressionCV
from sklearn.preprocessing import StandardScaler

from wildlens.model.training.crossfit import (
    ABSENT,
    CrossFitSettings,
    assign_folds,
    cross_fit,
    ensemble,
    fit_head,
    out_of_fold_knn,
)
from wildlens.model.trust.unknown import KNN_FEATURES, KNN_LOGITS


def gaussian(rng, n, classes=4, dim=24, spread=2.0):
    means = rng.normal(0, spread, (classes, dim))
    labels = rng.integers(0, classes, n)
    return means[labels] + rng.normal(0, 1.5, (n, dim)), labels


def test_folds_keep_groups_whole_and_spread_each_class():
    labels = [c for c in "abc" for _ in range(40)]
    groups = [f"{label}-{i // 4}" for i, label in enumerate(labels)]  # groups of 4 photos
    fold_of = assign_folds(labels, groups, folds=5, seed=0)
    for group in set(groups):
        assert len({fold_of[i] for i, g in enumerate(groups) if g == group}) == 1
    for label in "abc":
        counts = np.bincount([fold_of[i] for i, x in enumerate(labels) if x == label], minlength=5)
        assert counts.min() >= 4  # 40 photos in 10 groups over 5 folds: 8 each


def test_out_of_fold_answers_come_from_heads_that_never_saw_the_photo():
    """Random labels on random features: a head memorises its own photos, so only honest
    out-of-fold answers are at chance."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(400, 1, 600))
    labels = rng.integers(0, 2, 400)
    fold_of = np.arange(400) % 5
    fit = cross_fit(features, labels, fold_of, 2, CrossFitSettings(c_grid=(10.0,)))
    assert ((features[:, 0] @ fit.weight.T + fit.bias).argmax(1) == labels).mean() > 0.9
    assert abs((fit.oof_logits.argmax(1) == labels).mean() - 0.5) < 0.1  # 4 standard errors
    assert fit.weight.shape == (2, 600) and len(fit.heads) == 5


def test_the_fold_ensemble_is_the_mean_of_the_fold_heads_logits():
    rng = np.random.default_rng(1)
    heads = [(rng.normal(size=(3, 6)), rng.normal(size=3)) for _ in range(4)]
    weight, bias = ensemble(heads)
    x = rng.normal(size=(10, 6))
    mean_logits = np.mean([x @ w.T + b for w, b in heads], axis=0)
    assert np.allclose(x @ weight.T + bias, mean_logits)


def test_a_class_one_head_never_saw_is_averaged_over_the_heads_that_did():
    seen = (np.ones((2, 3)), np.zeros(2))
    blind = (np.zeros((2, 3)), np.array([0.0, ABSENT]))
    weight, bias = ensemble([seen, seen, blind])
    assert np.allclose(weight[1], 1.0) and bias[1] == 0.0


def test_two_classes_get_two_symmetric_logits():
    rng = np.random.default_rng(2)
    x, y = gaussian(rng, 300, classes=2)
    weight, bias = fit_head(x[:, None], y, 2, 0.1, CrossFitSettings())
    logits = x @ weight.T + bias
    assert weight.shape == (2, x.shape[1]) and np.allclose(logits.sum(1), 0, atol=1e-6)
    assert (logits.argmax(1) == y).mean() > 0.9


@pytest.mark.filterwarnings("ignore::FutureWarning:sklearn.*")
def test_the_head_is_as_accurate_as_the_probe_with_cross_validated_c():
    accuracies = []
    for seed in range(3):
        x, y = gaussian(np.random.default_rng(seed), 1400, classes=5, spread=0.9)
        train, test = slice(0, 400), slice(400, None)
        fold_of = assign_folds([str(v) for v in y[train]], [str(i) for i in range(400)], 5, 0)
        fit = cross_fit(x[train, None], y[train], fold_of, 5, CrossFitSettings())
        ours = ((x[test] @ fit.weight.T + fit.bias).argmax(1) == y[test]).mean()
        scaler = StandardScaler().fit(x[train])
        probe = LogisticRegressionCV(
            Cs=10, max_iter=2000, scoring="accuracy", use_legacy_attributes=False
        ).fit(scaler.transform(x[train]), y[train])
        theirs = probe.score(scaler.transform(x[test]), y[test])
        accuracies.append((ours, theirs))
    ours, theirs = np.mean(accuracies, axis=0)
    assert ours >= theirs - 0.01, accuracies


def test_out_of_fold_knn_scores_use_only_other_folds():
    features = np.repeat(np.eye(4), 10, axis=0)  # 4 directions, 10 identical photos each
    fold_of = np.repeat(np.arange(4), 10)  # each direction is one fold
    heads = [(np.eye(3, 4), np.zeros(3))] * 4
    scores = out_of_fold_knn(features, fold_of, heads)
    # Every photo's twins are in its own fold: its nearest other photo is orthogonal.
    assert np.allclose(scores[KNN_FEATURES], np.sqrt(2))
    assert set(scores) == {KNN_FEATURES, KNN_LOGITS}


def test_the_c_scan_stops_past_the_minimum_and_keeps_the_best():
    rng = np.random.default_rng(3)
    x, y = gaussian(rng, 200, dim=80, spread=0.4)  # overlapping classes: large C overfits
    fold_of = np.arange(200) % 5
    grid = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)
    calls = []
    fit = cross_fit(
        x[:, None], y, fold_of, 4, CrossFitSettings(c_grid=grid), lambda *a: calls.append(a)
    )
    nll = [s["nll"] for s in fit.search]
    assert fit.c == fit.search[int(np.argmin(nll))]["c"]
    assert nll[-1] >= min(nll[:-1])  # it stopped at the first rise ...
    assert len(fit.search) < len(grid)  # ... before the end of this grid
    # Progress after every fold fit, out of the most fits the grid could take.
    assert calls == [(i, 5 * len(grid)) for i in range(1, 5 * len(fit.search) + 1)]
    # The same choice as fitting every C from scratch (no warm start), within tolerance.
    cold = [
        cross_fit(x[:, None], y, fold_of, 4, CrossFitSettings(c_grid=(s["c"],))).search[0]["nll"]
        for s in fit.search
    ]
    assert np.allclose(nll, cold, rtol=1e-3)


def test_the_report_on_fitted_photos_scores_them_against_banks_without_them():
    """Each training photo is its own nearest neighbour in a bank of every photo: the report must
    score it out of fold, or it shows photos more familiar than any new photo will be."""
    from wildlens.model.bundle.catalogue import CatalogueEntry
    from wildlens.model.training.modes import cross_fitted_head
    from wildlens.model.training.policy import TrustSettings, fit_trust, routing_measures

    rng = np.random.default_rng(5)
    x, y = gaussian(rng, 700, classes=4, dim=16, spread=1.2)
    train, new = slice(0, 300), slice(300, None)
    fold_of = assign_folds([str(v) for v in y[train]], [str(i) for i in range(300)], 5, 0)
    head, inputs = cross_fitted_head(x[train, None], y[train], 4, fold_of, CrossFitSettings())
    entries = [CatalogueEntry(id=f"c{i}", names={"en": str(i)}) for i in range(4)]
    trust = fit_trust(inputs, entries, TrustSettings())
    fitted = routing_measures(inputs.calibration, y[train], trust, scores=trust.calibration_scores)[
        "unknown"
    ]
    in_bank = routing_measures(inputs.calibration, y[train], trust)["unknown"]
    from wildlens.model.network.backends import ModelOutputs

    logits = x[new] @ head.weight.T + head.bias
    unseen = routing_measures(ModelOutputs(logits, x[new]), y[new], trust)["unknown"]
    for key in ("in_catalogue_unfamiliar", "in_catalogue_called_unknown"):
        assert abs(fitted[key] - unseen[key]) <= 0.05, (key, fitted, unseen)
    # In a bank holding them, the same photos look more familiar than out of fold.
    assert in_bank["in_catalogue_unfamiliar"] < fitted["in_catalogue_unfamiliar"]
