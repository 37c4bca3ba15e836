"""Probability calibration (temperature scaling) and its measures: pure functions over numpy
arrays. `wildlens.model.training.policy` uses them to fit the whole trust policy.

temperature = fit_temperature(val_logits, val_labels)
probs = softmax(test_logits, temperature)
expected_calibration_error(probs, test_labels)
"""

from __future__ import annotations

import numpy as np


def check_logits(logits: np.ndarray) -> np.ndarray:
    """Logits as float64 (N, C); NaN or infinite values are an error, not a silent guess."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(f"logits must be (N, C), got shape {logits.shape}")
    if not np.all(np.isfinite(logits)):
        raise ValueError("logits contain NaN or infinite values")
    return logits


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of logits / temperature, numerically stable."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    scaled = check_logits(logits) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def negative_log_likelihood(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean -log p(true class)."""
    picked = np.asarray(probs)[np.arange(len(labels)), np.asarray(labels)]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, 1.0))))


def fit_temperature(logits: np.ndarray, labels: np.ndarray, prior_sigma: float = 1.0) -> float:
    """The temperature T in [0.05, 20] that minimises the NLL of softmax(logits / T).

    A weak log-normal prior on T (log T ~ N(0, prior_sigma^2), i.e. a MAP estimate) keeps the fit
    finite when every held-out prediction is right, where plain NLL would drive T towards 0 and
    every probability to 1. With hundreds of examples the data dominate. No examples: T = 1.
    """
    from scipy.optimize import minimize_scalar  # fitting only: answering never loads it

    logits = check_logits(logits)
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) == 0:
        return 1.0
    weight = 1.0 / (2.0 * prior_sigma**2 * len(labels))
    result = minimize_scalar(
        lambda log_t: (
            negative_log_likelihood(softmax(logits, float(np.exp(log_t))), labels)
            + weight * log_t**2
        ),
        bounds=(np.log(0.05), np.log(20.0)),
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(np.exp(result.x))


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """Top-label ECE with equal-width confidence bins: sum_b |acc_b - conf_b| * n_b / N."""
    probs = np.asarray(probs)
    labels = np.asarray(labels)
    if len(labels) == 0:
        return 0.0
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        in_bin = bins == b
        total += abs(correct[in_bin].mean() - confidence[in_bin].mean()) * in_bin.sum()
    return float(total / len(labels))
