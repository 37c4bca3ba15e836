"""Is this photo of anything in the catalogue? Scores where higher means "less like the
catalogue's photos", and the thresholds above which an answer is `unknown`.

Three scores, because foreign items come near and far:
- `energy`: -T * logsumexp(logits / T) (Liu et al. 2020): high when no class has a large logit;
  finds near look-alikes the head has no class for;
- `knn_features`: distance from the photo's L2-normalised pooled features to its k-th nearest
  training photo (Sun, Ming, Zhu and Li 2022): finds items far from every class (a flower given to
  an ivory model); it needs no assumption about how classes are spread;
- `knn_logits`: the same distance in the head's space (logits less their bias, normalised):
  the directions the classes are told apart by; catalogues of 3 or more classes only.

The rule: unknown when any score is above its threshold, thresholds chosen so that a share
1 - `keep` of the calibration photos is called unknown (a conformal quantile): for photos
exchangeable with the calibration photos, at most about that share is called unknown. With 3 or
more classes, `knn_features` watches the far tail only: its threshold is its own calibration
quantile at `far_keep` (0.99), and the near scores (`energy`, `knn_logits`) share one quantile
level of each photo's largest rank, chosen so that the union keeps `keep`. The near scores then
spend most of the budget, where they tell look-alikes apart better than when the three share
one level, and far items, beyond nearly every calibration photo's feature distance, are caught
all the same (docs/benchmarks.md, the trust layer, "Foreign items"). With 2 classes
(no `knn_logits`, the energy score alone is weak) or too few photos for the far quantile, the
scores share one level.

A stricter line, `familiar`, on `knn_features`: auto-accept only photos at least as close to the
training photos as a share `familiar_keep` of the calibration photos; the rest go to an expert
(`unfamiliar`). In few-class catalogues most foreign photos that pass the unknown rule are caught
here (docs/benchmarks.md). And a line relative to the answer: a photo answered as class c is
familiar only if also as close as a share `class_familiar_keep` of the calibration photos answered
as c (their out-of-fold answers; Mondrian, one threshold per class). A look-alike of a class the
catalogue lacks sits among the training photos as a whole, but often farther out than the photos
of the class it is taken for. On clothing classes held out of training, at 0.8, it takes about a
fifth of the look-alikes' automation for about a twentieth of the catalogue's (docs/benchmarks.md,
"Look-alikes held out of training", where 0.8 was chosen; far from removing it all). It limits
auto-accept only: the answer and the unknown rule stay as they are.

    bank = KnnBank.of(train_features, k=10)
    scores = unknown_scores(outputs, temperature, banks)
    rule = fit_unknown_rule(calibration_scores, keep=0.95, familiar_keep=0.9,
                            answers=(calibration_answers, num_classes), class_familiar_keep=keep)
    unknown = rule.is_unknown(scores); familiar = rule.is_familiar(scores, answers)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from wildlens.model.config import TrainConfig
from wildlens.model.trust.calibration import check_logits
from wildlens.model.trust.conformal import conformal_quantile

ENERGY, KNN_FEATURES, KNN_LOGITS = "energy", "knn_features", "knn_logits"
# k of the kNN distances: Sun et al. found k in 5-50 alike; k = 1 was noisier on held-out pairs
# (docs/benchmarks.md, "The trust layer", near look-alikes; `bench/trust.py --parts unknown`).
NEIGHBOURS = 10
# The share of calibration photos within knn_features' far threshold: 99% against 99.5% chosen
# there on the held-out pairs and the far (synthetic) photos, same section and part.
FAR_KEEP = 0.99
# The line per answered class only from this many classes: in 2-class catalogues it cost 7 to 22
# points of the catalogue's automation (docs/benchmarks.md, "Few-class catalogues",
# `bench/trust.py --parts few_class`), and the far tail has the same lower bound.
CLASS_LINE_MIN_CLASSES = 3
CHUNK = 1024  # queries per distance block: bounds memory to CHUNK x bank size


def energy_scores(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """-T * logsumexp(logits / T) per row: high when no class has a large logit."""
    from scipy.special import logsumexp  # imported on first use: start-up of infer.py and the app

    return -temperature * logsumexp(check_logits(logits) / temperature, axis=1)


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@dataclass(frozen=True)
class KnnBank:
    """L2-normalised reference vectors; a query's score is its distance to the k-th nearest."""

    vectors: np.ndarray  # (M, d) float32, normalised
    k: int = NEIGHBOURS

    @classmethod
    def of(cls, vectors: np.ndarray, k: int = NEIGHBOURS) -> KnnBank:
        return cls(normalise(vectors), k)

    def score(self, queries: np.ndarray) -> np.ndarray:
        """(N,) distance of each normalised query to its k-th nearest reference vector."""
        queries = normalise(queries)
        k = min(self.k, len(self.vectors))
        if not len(queries) or k == 0:
            return np.full(len(queries), np.inf if k == 0 else 0.0)
        out = np.empty(len(queries), dtype=np.float64)
        for start in range(0, len(queries), CHUNK):
            block = queries[start : start + CHUNK]
            # For unit vectors |a - b|^2 = 2 - 2 a.b; the k-th largest similarity is the k-th
            # nearest neighbour.
            similarity = block @ self.vectors.T
            kth = -np.partition(-similarity, k - 1, axis=1)[:, k - 1]
            out[start : start + CHUNK] = np.sqrt(np.maximum(2.0 - 2.0 * kth, 0.0))
        return out


def logit_space(logits: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Pooled features projected on the head's class directions: logits less the head's bias."""
    return np.asarray(logits, dtype=np.float32) - np.asarray(bias, dtype=np.float32)[None, :]


@dataclass(frozen=True)
class UnknownModel:
    """What the scores need besides the network's outputs: the reference banks and the bias."""

    features: KnnBank
    logits: KnnBank | None  # None with fewer than 3 classes (2 logits hold one direction)
    bias: np.ndarray  # (C,) the head's bias, for the logit space
    temperature: float

    def scores(self, logits: np.ndarray, features: np.ndarray) -> dict[str, np.ndarray]:
        scores = {
            ENERGY: energy_scores(logits, self.temperature),
            KNN_FEATURES: self.features.score(features),
        }
        if self.logits is not None:
            scores[KNN_LOGITS] = self.logits.score(logit_space(logits, self.bias))
        return scores

    def to_arrays(self) -> dict[str, np.ndarray]:
        """For the bundle's unknown.safetensors (the banks as float16: half the size, and the
        distances change by less than 1e-3)."""
        arrays = {"knn_features": self.features.vectors.astype(np.float16), "bias": self.bias}
        if self.logits is not None:
            arrays["knn_logits"] = self.logits.vectors.astype(np.float16)
        return arrays

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], k: int, temperature: float
    ) -> UnknownModel:
        logits = arrays.get("knn_logits")
        return cls(
            features=KnnBank(np.asarray(arrays["knn_features"], dtype=np.float32), k),
            logits=None if logits is None else KnnBank(np.asarray(logits, np.float32), k),
            bias=np.asarray(arrays["bias"], dtype=np.float32),
            temperature=temperature,
        )


def reference_model(
    logits: np.ndarray, features: np.ndarray, bias: np.ndarray, temperature: float
) -> UnknownModel:
    """Banks of the training photos' eval views (their logits by the shipped head)."""
    logit_bank = None
    if logits.shape[1] >= 3:
        logit_bank = KnnBank.of(logit_space(logits, bias))
    return UnknownModel(KnnBank.of(features), logit_bank, np.asarray(bias), temperature)


# Levels of the calibration kNN distribution kept in the policy: ranks of new photos among the
# calibration photos, to 0.5% (the shift guard's atypicality).
RANK_LEVELS = np.linspace(0.0, 1.0, 201)


@dataclass(frozen=True)
class UnknownRule:
    thresholds: dict[str, float]  # score -> above it, unknown (inf: that score is off)
    familiar_threshold: float  # knn_features at or below it: familiar enough to auto-accept
    keep: float
    familiar_keep: float
    neighbours: int = NEIGHBOURS
    # knn_features of the calibration photos at RANK_LEVELS (empty: no calibration photos)
    knn_quantiles: tuple[float, ...] = ()
    # knn_features' own far-tail threshold; None: it shares the near scores' level
    far_threshold: float | None = None
    # Per class, knn_features at or below it for a photo answered as that class to be familiar
    # (-inf: too few calibration answers of the class to show the share: none is); empty: no
    # line per class (rules fitted before it, or `class_familiar_keep` 1).
    class_familiar_thresholds: tuple[float, ...] = ()
    class_familiar_keep: float = 1.0

    def is_unknown(self, scores: Mapping[str, np.ndarray]) -> np.ndarray:
        flags = [np.asarray(scores[name]) > t for name, t in self.thresholds.items()]
        return np.any(flags, axis=0) if flags else np.zeros(0, dtype=bool)

    def is_familiar(
        self, scores: Mapping[str, np.ndarray], answers: np.ndarray | None
    ) -> np.ndarray:
        """Close enough to the training photos to auto-accept: within the line of all calibration
        photos, and within the line of those answered as the same class as each photo
        (`answers`: the class index each photo is answered as; None: the shared line alone)."""
        distance = np.asarray(scores[KNN_FEATURES])
        familiar = distance <= self.familiar_threshold
        if len(self.class_familiar_thresholds) and answers is not None:
            lines = np.asarray(self.class_familiar_thresholds, dtype=np.float64)
            familiar &= distance <= lines[np.asarray(answers, dtype=np.int64)]
        return familiar

    def atypicality(self, scores: Mapping[str, np.ndarray]) -> np.ndarray:
        """Each photo's rank among the calibration photos by kNN distance: the share of them
        closer to the training photos (about uniform on [0, 1] for photos like them)."""
        values = np.asarray(scores[KNN_FEATURES], dtype=np.float64)
        if len(self.knn_quantiles) < 2:
            return np.full(len(values), 0.5)
        return np.interp(values, self.knn_quantiles, RANK_LEVELS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scores": list(self.thresholds),
            "thresholds": {k: _finite(v) for k, v in self.thresholds.items()},
            "familiar_threshold": _finite(self.familiar_threshold),
            "keep": self.keep,
            "familiar_keep": self.familiar_keep,
            "neighbours": self.neighbours,
            "knn_quantiles": list(self.knn_quantiles),
            "far_threshold": self.far_threshold,
            # None: no calibration answer of the class could be familiar (-inf)
            "class_familiar_thresholds": [
                None if np.isneginf(v) else float(v) for v in self.class_familiar_thresholds
            ],
            "class_familiar_keep": self.class_familiar_keep,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UnknownRule:
        far = data.get("far_threshold")
        return cls(
            thresholds={k: _infinite(v) for k, v in data["thresholds"].items()},
            familiar_threshold=_infinite(data["familiar_threshold"]),
            keep=float(data["keep"]),
            familiar_keep=float(data["familiar_keep"]),
            neighbours=int(data["neighbours"]),
            knn_quantiles=tuple(float(q) for q in data["knn_quantiles"]),
            # Bundles from before the far tail have none: their scores share one level.
            far_threshold=None if far is None else float(far),
            # Bundles from before the line per class have none: the shared line alone.
            class_familiar_thresholds=tuple(
                float("-inf") if v is None else float(v)
                for v in data.get("class_familiar_thresholds", ())
            ),
            class_familiar_keep=float(data.get("class_familiar_keep", 1.0)),
        )


def _finite(value: float) -> float | None:
    return None if np.isinf(value) else float(value)


def _infinite(value: float | None) -> float:
    return float("inf") if value is None else float(value)


def ranks(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Share of `reference` strictly below each value (its empirical CDF level)."""
    ordered = np.sort(np.asarray(reference, dtype=np.float64))
    if not len(ordered):
        return np.zeros(len(values))
    return np.searchsorted(ordered, np.asarray(values, dtype=np.float64), side="left") / len(
        ordered
    )


def fit_unknown_rule(
    calibration: Mapping[str, np.ndarray],
    keep: float = TrainConfig.unknown_keep,
    familiar_keep: float = TrainConfig.familiar_keep,
    neighbours: int = NEIGHBOURS,
    far_keep: float = FAR_KEEP,
    answers: tuple[np.ndarray, int] | None = None,
    class_familiar_keep: float = 1.0,  # 1: no line per class (TrainConfig's is on)
) -> UnknownRule:
    """Thresholds from calibration photos' scores (photos of catalogue classes).

    `answers` (each calibration photo's answered class, and the number of classes) with
    `class_familiar_keep` below 1 add the familiar line per class: the conformal quantile at
    `class_familiar_keep` of `knn_features` over the photos answered as that class; a class with
    too few such photos to show it gets -inf (none of its answers is familiar enough to
    auto-accept: the catalogue's photos almost never look like it).

    Each photo's statistic is its largest rank over the scores that share a level (all of them,
    or all but `knn_features` when it has its own far threshold, in which case a photo beyond
    that threshold counts as called unknown); the conformal quantile of that statistic at `keep`
    is the shared level, and each score's threshold is its calibration value at that level. Too
    few photos: every threshold is inf (nothing is called unknown on scores, and nothing is
    familiar enough to auto-accept).
    """
    if not all(0 < v <= 1 for v in (keep, familiar_keep, far_keep, class_familiar_keep)):
        raise ValueError("keep, familiar_keep, class_familiar_keep and far_keep must be in (0, 1]")
    names = list(calibration)
    n = len(calibration[names[0]]) if names else 0
    knn = np.asarray(calibration.get(KNN_FEATURES, np.zeros(0)), dtype=np.float64)
    familiar = conformal_quantile(knn, familiar_keep)
    if familiar_keep >= 1:
        familiar = float("inf")
    quantiles = tuple(float(q) for q in np.quantile(knn, RANK_LEVELS)) if len(knn) else ()
    rule = partial(
        UnknownRule,
        familiar_threshold=familiar,
        keep=keep,
        familiar_keep=familiar_keep,
        neighbours=neighbours,
        knn_quantiles=quantiles,
        class_familiar_thresholds=class_familiar_lines(knn, answers, class_familiar_keep),
        class_familiar_keep=class_familiar_keep,
    )
    thresholds = dict.fromkeys(names, np.inf)
    if not n or keep >= 1:
        return rule(thresholds)
    far = None
    if KNN_LOGITS in calibration and KNN_FEATURES in calibration and far_keep > keep:
        far = conformal_quantile(knn, far_keep)
        far = far if np.isfinite(far) else None  # too few photos for the far quantile
    shared = [name for name in names if far is None or name != KNN_FEATURES]
    statistic = np.max([ranks(calibration[name], calibration[name]) for name in shared], axis=0)
    if far is not None:
        statistic = np.where(knn > far, 2.0, statistic)  # called unknown by the far tail
    level = conformal_quantile(statistic, keep)
    if np.isfinite(level) and level <= 1:
        for name in shared:
            # A score's rank exceeds the level (= m / n) exactly when it is above the m-th
            # smallest calibration value (0-based).
            ordered = np.sort(np.asarray(calibration[name], dtype=np.float64))
            thresholds[name] = float(ordered[min(round(level * n), n - 1)])
        if far is not None:
            thresholds[KNN_FEATURES] = far
    return rule(thresholds, far_threshold=far)


def class_familiar_lines(
    distances: np.ndarray, answers: tuple[np.ndarray, int] | None, keep: float
) -> tuple[float, ...]:
    """Per class, the conformal quantile at `keep` of the distances of the photos answered as it
    (-inf where too few are); () when `keep` is 1, there are no answers or fewer than
    `CLASS_LINE_MIN_CLASSES` classes."""
    if answers is None or keep >= 1 or answers[1] < CLASS_LINE_MIN_CLASSES:
        return ()
    answered, num_classes = np.asarray(answers[0]), answers[1]
    if len(answered) != len(distances):
        raise ValueError("one answered class per calibration photo is needed")
    lines = (conformal_quantile(distances[answered == c], keep) for c in range(num_classes))
    return tuple(float("-inf") if np.isinf(line) else line for line in lines)


def unknown_auroc(in_catalogue_scores: np.ndarray, unknown_scores: np.ndarray) -> float:
    """Probability that an unknown photo scores higher than a catalogue photo."""
    from sklearn.metrics import roc_auc_score  # evaluation only: answering never loads sklearn

    labels = np.r_[np.zeros(len(in_catalogue_scores)), np.ones(len(unknown_scores))]
    return float(roc_auc_score(labels, np.r_[in_catalogue_scores, unknown_scores]))


def combined_statistic(
    calibration: Mapping[str, np.ndarray],
    scores: Mapping[str, np.ndarray],
    far_threshold: float | None = None,
) -> np.ndarray:
    """The one number the unknown rule thresholds (for AUROC): each photo's largest rank among
    the calibration photos over the scores that share a level; with a far threshold, photos
    beyond it rank above all others (by their feature distance's rank)."""
    shared = [n for n in calibration if far_threshold is None or n != KNN_FEATURES]
    statistic = np.max([ranks(calibration[name], scores[name]) for name in shared], axis=0)
    if far_threshold is None:
        return statistic
    distance = np.asarray(scores[KNN_FEATURES], dtype=np.float64)
    far = 1.0 + ranks(calibration[KNN_FEATURES], distance)
    return np.where(distance > far_threshold, far, statistic)
