"""Is this photo of anything in the catalogue? Scores where higher means "less like the
training classes", and a threshold that keeps a chosen share of in-catalogue photos.

Two scores (pick by measurement: bench/routing.py):
- energy: -T * logsumexp(logits / T) (Liu et al. 2020); needs nothing but the logits;
- Mahalanobis: the smallest distance of the backbone features to a class mean under a shared,
  shrunk (Ledoit-Wolf) covariance (Lee et al. 2018); needs class means and a precision matrix,
  kept in the bundle.

The threshold is the conformal quantile of calibration-split scores at `keep` (default 0.95):
for photos of catalogue classes exchangeable with the calibration photos, at most 1 - keep of
them are called unknown.

    scorer = fit_mahalanobis(cal_features, cal_labels, num_classes)
    threshold = unknown_threshold(scorer.score(cal_features), keep=0.95)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from safetensors.numpy import load, save
from scipy.special import logsumexp
from sklearn.covariance import LedoitWolf
from sklearn.metrics import roc_auc_score

from wildlens.model.calibration import check_logits
from wildlens.model.conformal import conformal_quantile


def energy_scores(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """-T * logsumexp(logits / T) per row: high when no class has a large logit."""
    return -temperature * logsumexp(check_logits(logits) / temperature, axis=1)


@dataclass(frozen=True)
class Mahalanobis:
    means: np.ndarray  # (C, D) class means of the features
    precision: np.ndarray  # (D, D) inverse of the shared covariance

    def score(self, features: np.ndarray) -> np.ndarray:
        """Smallest squared Mahalanobis distance to a class mean, per row."""
        x = np.asarray(features, dtype=np.float64)
        projected = x @ self.precision  # (N, D)
        own = np.einsum("nd,nd->n", projected, x)
        cross = projected @ self.means.T  # (N, C)
        means = np.einsum("cd,de,ce->c", self.means, self.precision, self.means)
        return np.min(own[:, None] - 2 * cross + means[None, :], axis=1)

    def to_safetensors(self) -> bytes:
        return save({"means": self.means, "precision": self.precision})

    @classmethod
    def from_safetensors(cls, data: bytes) -> Mahalanobis:
        tensors = load(data)
        return cls(tensors["means"], tensors["precision"])


def fit_mahalanobis(features: np.ndarray, labels: np.ndarray, num_classes: int) -> Mahalanobis:
    """Class means and a Ledoit-Wolf shrunk shared covariance; classes without photos get the
    mean of all photos."""
    x = np.asarray(features, dtype=np.float64)
    labels = np.asarray(labels)
    overall = x.mean(axis=0)
    means = np.stack(
        [
            x[labels == c].mean(axis=0) if (labels == c).any() else overall
            for c in range(num_classes)
        ]
    )
    centred = x - means[labels]
    precision = LedoitWolf(assume_centered=True).fit(centred).precision_
    return Mahalanobis(means.astype(np.float32), precision.astype(np.float32))


def unknown_scores(
    logits: np.ndarray,
    features: np.ndarray,
    temperature: float,
    mahalanobis: Mahalanobis | None = None,
) -> np.ndarray:
    """The policy's score: Mahalanobis distance when its statistics are given, else energy."""
    if mahalanobis is not None:
        return mahalanobis.score(features)
    return energy_scores(logits, temperature)


def unknown_threshold(in_catalogue_scores: np.ndarray, keep: float = 0.95) -> float:
    """Score above which a photo is called unknown; inf when there are too few scores."""
    return conformal_quantile(in_catalogue_scores, keep)


def unknown_auroc(in_catalogue_scores: np.ndarray, unknown_scores: np.ndarray) -> float:
    """Probability that an unknown photo scores higher than a catalogue photo."""
    labels = np.r_[np.zeros(len(in_catalogue_scores)), np.ones(len(unknown_scores))]
    return float(roc_auc_score(labels, np.r_[in_catalogue_scores, unknown_scores]))
