"""Fast mode's head, cross-fitted: every labelled photo trains the head and calibrates it.

The photos are dealt into K folds (whole groups and duplicate clusters per fold, stratified by
class: `wildlens.data.splits.group_split`). For each fold a multinomial logistic regression
(scikit-learn, L2, on standardised features; the augmented views of a photo are extra rows of its
own fold) is fitted on the other folds and predicts the fold's photos (eval view): out-of-fold
logits, which the trust policy is fitted on, exactly as a held-out calibration split would be,
but with every photo. The regularisation C is chosen from a grid by the out-of-fold negative
log-likelihood after temperature scaling (a proper score: accuracy alone cannot tell a confident
head from a cautious one), scanned from the strongest regularisation up, each fold's fit
warm-started from the previous C, until the NLL rises (half the time of fitting every C from
scratch at 60 photos per class; the same C chosen). The shipped head is the fold ensemble:
the mean of the K fold heads, which for linear heads is one linear head (the mean of their
weights and biases), so each calibration photo was scored by one member of the ensemble that
answers in the field.

Measured on clothing-small against scikit-learn's logistic-regression probe with C chosen by
cross-validation, and the ensemble's temperature on photos it never saw against a head refitted
on every photo: see docs/benchmarks.md, "The trust layer", "A head as good as the probe"
(bench/trust.py).

    fit = cross_fit(features, labels, folds, num_classes, CrossFitSettings())
    fit.weight, fit.bias          # (C, D), (C,) for raw features: install_head(model, ...)
    fit.oof_logits                # (N, C) out-of-fold logits of the eval views
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from wildlens.common.parallel import available_cores
from wildlens.data.splits import group_split
from wildlens.model.trust.calibration import fit_temperature, negative_log_likelihood, softmax
from wildlens.model.trust.unknown import KNN_FEATURES, KNN_LOGITS, KnnBank

# Inverse L2 strengths tried (features standardised); larger values were never chosen on the
# sets measured and are the slowest to fit. Chosen by docs/benchmarks.md, "The trust layer"
# (`bench/trust.py --parts head`: the choice of C against the probe).
C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1)
ABSENT = -1e4  # the logit of a class a head never saw: never its answer


@dataclass(frozen=True)
class CrossFitSettings:
    folds: int = 5
    c_grid: Sequence[float] = C_GRID  # one value: no search
    class_balance: bool = True  # inverse-frequency weights for the classes
    max_iter: int = 1000


@dataclass(frozen=True)
class CrossFit:
    weight: np.ndarray  # (C, D), the fold ensemble, for raw (unstandardised) features
    bias: np.ndarray  # (C,)
    oof_logits: np.ndarray  # (N, C) each photo's eval view, by the head that did not see it
    fold_of: np.ndarray  # (N,) the fold of each photo
    c: float  # the chosen inverse L2 strength
    heads: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # fold k's head
    search: list[dict[str, Any]] = field(default_factory=list)  # per C: NLL, accuracy, T


class HeadFitter:
    """Multinomial logistic regressions on one set of (N, V, D) views, refitted at a rising C:
    the standardisation is computed once, and each fit starts from the previous optimum (warm
    start), which the next, weaker-regularised optimum is close to."""

    def __init__(
        self,
        features: np.ndarray,
        labels: np.ndarray,
        num_classes: int,
        settings: CrossFitSettings,
        extra: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        n, views, dim = features.shape
        x = features.reshape(n * views, dim).astype(np.float64)
        self.y = np.repeat(labels, views)
        weights = np.ones(len(self.y))
        if extra is not None and len(extra[0]):  # more rows: (M, D) features, (M,) labels
            x = np.concatenate([x, extra[0].astype(np.float64)])
            weights = np.concatenate([weights, extra_weights(self.y, extra[1], num_classes)])
            self.y = np.concatenate([self.y, extra[1]])
        self.mean, self.std = x.mean(0), x.std(0)
        self.std[self.std < 1e-6] = 1.0
        self.x = (x - self.mean) / self.std
        self.present = np.unique(self.y)
        self.num_classes, self.dim = num_classes, dim
        self.weights = None if np.all(weights == 1) else weights
        if settings.class_balance:
            totals = np.bincount(self.y, weights=weights, minlength=num_classes)
            self.weights = weights * (weights.sum() / (len(self.present) * totals[self.y]))
        self.model = LogisticRegression(max_iter=settings.max_iter, tol=1e-4, warm_start=True)

    def fit(self, c: float) -> tuple[np.ndarray, np.ndarray]:
        """(weight (C, D), bias (C,)) for raw features; absent classes get a logit far below."""
        self.model.set_params(C=c)
        self.model.fit(self.x, self.y, sample_weight=self.weights)
        coef, intercept = self.model.coef_, self.model.intercept_
        if len(self.present) == 2 and coef.shape[0] == 1:  # scikit-learn's binary form
            coef = np.vstack([-coef / 2, coef / 2])
            intercept = np.r_[-intercept / 2, intercept / 2]
        weight = np.zeros((self.num_classes, self.dim))
        bias = np.full(self.num_classes, ABSENT)
        weight[self.present] = coef / self.std  # fold the standardisation into the head
        bias[self.present] = intercept - (coef / self.std) @ self.mean
        return weight, bias


def extra_weights(rows: np.ndarray, extra: np.ndarray, num_classes: int) -> np.ndarray:
    """Weights of extra rows (labels `extra`) that make them the same share of every class's
    rows (labels `rows`) as of all rows: a class with few extra rows does not become the answer
    to whatever sets extra rows apart (a table under the item, for composites)."""
    share = len(extra) / len(rows)
    own = np.bincount(rows, minlength=num_classes).astype(np.float64)
    made = np.bincount(extra, minlength=num_classes).astype(np.float64)
    return share * own[extra] / made[extra]


def fit_head(
    features: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    c: float,
    settings: CrossFitSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """A multinomial logistic regression on (N, V, D) views; weights for raw features.

    Classes absent from `labels` get a constant logit far below the others.
    """
    # lbfgs on 2 cores was 3-5 times slower with 2 BLAS threads than with 1 (contention).
    with threadpool_limits(1):
        return HeadFitter(features, labels, num_classes, settings).fit(c)


def ensemble(heads: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The mean of linear heads (= the mean of their logits), each class over the heads that
    were trained on it (a class whose photos all sit in one fold is unseen by that fold's head)."""
    weights = np.stack([w for w, _ in heads])
    biases = np.stack([b for _, b in heads])
    seen = biases > ABSENT / 2  # (K, C)
    count = np.maximum(seen.sum(0), 1)
    weight = (weights * seen[:, :, None]).sum(0) / count[:, None]
    bias = np.where(seen.any(0), (biases * seen).sum(0) / count, ABSENT)
    return weight, bias


def cross_fit(
    features: np.ndarray,
    labels: np.ndarray,
    fold_of: np.ndarray,
    num_classes: int,
    settings: CrossFitSettings,
    on_fit: Callable[[int, int], None] | None = None,
    extra: tuple[np.ndarray, np.ndarray] | None = None,
) -> CrossFit:
    """Choose C by out-of-fold NLL after temperature scaling; the fold ensemble at that C.

    The grid is scanned from the strongest regularisation up (the fastest fits first, each fold
    warm-started from its previous C) and stops once the NLL rises: it has been unimodal in C
    on every set measured, and the weakly regularised end is the slowest to fit.

    Args:
        on_fit: called after each fold fit with (fits done, most fits to do): progress.
        extra: more training rows, (M, D) features and (M,) the photo each was made from (fast
            mode's table composites): each trains the heads of the folds that train its photo,
            and none is scored (the out-of-fold answers stay those of the photos themselves).
    """
    labels = np.asarray(labels)
    folds = np.unique(fold_of)
    fitters = [
        HeadFitter(
            features[fold_of != k],
            labels[fold_of != k],
            num_classes,
            settings,
            _extra_rows(extra, labels, fold_of, k),
        )
        for k in folds
    ]
    grid = sorted(settings.c_grid)
    best = None
    search = []
    # The folds' fits run side by side, one core each: one BLAS thread per fit (lbfgs on 2
    # cores was 3-5 times slower with 2 BLAS threads than with 1), set for the whole process
    # here, as threadpoolctl's limits are not per thread.
    with (
        threadpool_limits(1),
        ThreadPoolExecutor(min(len(folds), available_cores()), thread_name_prefix="head") as pool,
    ):
        for step, c in enumerate(grid):
            oof = np.zeros((len(features), num_classes))
            fits = {pool.submit(fitter.fit, c): index for index, fitter in enumerate(fitters)}
            heads: list = [None] * len(folds)
            for done, future in enumerate(as_completed(fits), start=1):
                heads[fits[future]] = future.result()
                if on_fit is not None:
                    on_fit(step * len(folds) + done, len(grid) * len(folds))
            for fold, (weight, bias) in zip(folds, heads, strict=True):
                held = fold_of == fold
                oof[held] = features[held, 0] @ weight.T + bias
            temperature = fit_temperature(oof, labels)
            nll = negative_log_likelihood(softmax(oof, temperature), labels)
            accuracy = float((oof.argmax(1) == labels).mean())
            search.append({"c": c, "nll": nll, "accuracy": accuracy, "temperature": temperature})
            if best is not None and nll >= best[0]:
                break  # past the minimum
            best = (nll, c, heads, oof)
    _, c, heads, oof = best
    weight, bias = ensemble(heads)
    return CrossFit(
        weight.astype(np.float32),
        bias.astype(np.float32),
        oof,
        np.asarray(fold_of),
        c,
        heads,
        search,
    )


def _extra_rows(
    extra: tuple[np.ndarray, np.ndarray] | None, labels: np.ndarray, fold_of: np.ndarray, fold: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """The extra rows whose photos train fold `fold`'s head, with their photos' labels."""
    if extra is None:
        return None
    features, photo = extra
    kept = fold_of[photo] != fold
    return features[kept], labels[photo[kept]]


def assign_folds(labels: Sequence[str], groups: Sequence[str], folds: int, seed: int) -> np.ndarray:
    """(N,) fold index of each photo: whole groups per fold, each class spread evenly."""
    if folds < 2:
        raise ValueError(f"cross-fitting needs at least 2 folds, got {folds}")
    names = [f"fold{i}" for i in range(folds)]
    parts = group_split(labels, groups, dict.fromkeys(names, 1.0 / folds), seed)
    fold_of = np.zeros(len(labels), dtype=np.int64)
    for index, name in enumerate(names):
        fold_of[parts[name]] = index
    return fold_of


def out_of_fold_knn(
    features: np.ndarray, fold_of: np.ndarray, heads: Sequence[tuple[np.ndarray, np.ndarray]]
) -> dict[str, np.ndarray]:
    """Each photo's kNN scores against the photos of the other folds only: in the features'
    space, and (3 or more classes) in the space of the fold head that did not see it."""
    scores = {KNN_FEATURES: np.zeros(len(features))}
    with_logits = heads and heads[0][0].shape[0] >= 3
    if with_logits:
        scores[KNN_LOGITS] = np.zeros(len(features))
    for fold, (weight, _) in zip(np.unique(fold_of), heads, strict=True):
        held = fold_of == fold
        scores[KNN_FEATURES][held] = KnnBank.of(features[~held]).score(features[held])
        if with_logits:
            bank = KnnBank.of(features[~held] @ weight.T)
            scores[KNN_LOGITS][held] = bank.score(features[held] @ weight.T)
    return scores
