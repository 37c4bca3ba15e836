"""Fits the trust policy: from calibration photos' network outputs to everything a decision needs
(the temperature from `wildlens.model.trust.calibration`, the auto-accept thresholds, shortlist,
unknown-item rule and shift-guard means of `wildlens.model.trust.routing`), and the measures of that
trust on other photos.

Calibration photos are, in fast mode, every labelled photo scored out of fold (cross-fitting:
`wildlens.model.training.crossfit`); in full mode, the held-out calibration split. The unknown-item
scores compare a photo with the training photos (kNN banks of their eval views); a calibration
photo is compared only with photos its own head did not see.

    trust = fit_trust(TrustInputs(calibration, labels, reference, bias), entries, settings)
    measures = routing_measures(test_outputs, test_labels, trust, unknown_outputs)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from safetensors.numpy import save

from wildlens.model.bundle.catalogue import CatalogueEntry
from wildlens.model.bundle.format import UNKNOWN_FILE
from wildlens.model.config import TrainConfig
from wildlens.model.network.backends import ModelOutputs
from wildlens.model.trust.calibration import (
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    softmax,
)
from wildlens.model.trust.metrics import risk_coverage, routing_metrics, shortlist_metrics
from wildlens.model.trust.routing import Decision, Policy, QualityLimits, decide, fit_policy
from wildlens.model.trust.shift import ShiftGuard
from wildlens.model.trust.unknown import (
    ENERGY,
    UnknownModel,
    combined_statistic,
    energy_scores,
    reference_model,
    unknown_auroc,
)


@dataclass(frozen=True)
class TrustSettings:
    """What the trust layer is fitted with. One home for every default: the training config
    (`TrainConfig`, documented in configs/default.yaml)."""

    target_precision: float = TrainConfig.target_precision  # pooled accepted answers together
    delta: float = TrainConfig.routing_delta
    coverage: float = TrainConfig.shortlist_coverage
    class_conditional: bool = TrainConfig.shortlist_class_conditional
    unknown_keep: float = TrainConfig.unknown_keep
    familiar_keep: float = TrainConfig.familiar_keep
    class_familiar_keep: float = TrainConfig.class_familiar_keep
    lookalike_rate: float = TrainConfig.lookalike_rate
    accept_floor: float = TrainConfig.accept_floor
    shift_tolerance: float = TrainConfig.shift_tolerance
    shift_alpha: float = TrainConfig.shift_alpha
    shift_window: int = TrainConfig.shift_window
    quality: QualityLimits = field(default_factory=QualityLimits)

    @classmethod
    def from_config(cls, cfg: TrainConfig) -> TrustSettings:
        return cls(
            target_precision=cfg.target_precision,
            delta=cfg.routing_delta,
            coverage=cfg.shortlist_coverage,
            class_conditional=cfg.shortlist_class_conditional,
            unknown_keep=cfg.unknown_keep,
            familiar_keep=cfg.familiar_keep,
            class_familiar_keep=cfg.class_familiar_keep,
            lookalike_rate=cfg.lookalike_rate,
            accept_floor=cfg.accept_floor,
            shift_tolerance=cfg.shift_tolerance,
            shift_alpha=cfg.shift_alpha,
            shift_window=cfg.shift_window,
            quality=QualityLimits(cfg.poor_min_side, cfg.poor_min_sharpness, cfg.poor_min_contrast),
        )


@dataclass(frozen=True)
class TrustInputs:
    """What a training mode hands the trust layer."""

    calibration: ModelOutputs  # out-of-fold (fast) or the calibration split's (full) outputs
    labels: np.ndarray
    reference: ModelOutputs  # the training photos' eval views by the shipped network
    bias: np.ndarray  # the shipped head's bias (the logit space of the kNN score)
    # Out-of-fold kNN scores of the calibration photos (fast mode), which a bank of every
    # training photo cannot give; None: score them against `reference`.
    calibration_knn: Mapping[str, np.ndarray] | None = None


@dataclass(frozen=True)
class Trust:
    temperature: float
    policy: Policy
    unknown: UnknownModel
    calibration: dict[str, Any]  # ECE and NLL before/after on the calibration photos
    calibration_scores: dict[str, np.ndarray]  # the unknown-item scores the rule was fitted on

    def scores(self, outputs: ModelOutputs) -> dict[str, np.ndarray]:
        return self.unknown.scores(outputs.logits, outputs.features)

    def decide(self, outputs: ModelOutputs) -> list[Decision]:
        probs = softmax(outputs.logits, self.temperature)
        return decide(probs, self.scores(outputs), None, self.policy)

    def unknown_meta(self) -> dict[str, Any]:
        """bundle.json's `unknown`: its scores and the file of their kNN banks."""
        return {"scores": list(self.policy.unknown.thresholds), "file": UNKNOWN_FILE}

    def files(self) -> dict[str, bytes]:
        """The bundle files the policy needs besides bundle.json: the kNN banks."""
        return {UNKNOWN_FILE: save(self.unknown.to_arrays())}


def fit_trust(
    inputs: TrustInputs, entries: Sequence[CatalogueEntry], settings: TrustSettings
) -> Trust:
    """Temperature, policy and the unknown-item banks, from the calibration photos."""
    labels = np.asarray(inputs.labels)
    logits = inputs.calibration.logits
    temperature = fit_temperature(logits, labels)
    before, after = softmax(logits, temperature=1.0), softmax(logits, temperature)
    unknown = reference_model(
        inputs.reference.logits, inputs.reference.features, inputs.bias, temperature
    )
    scores = dict(unknown.scores(logits, inputs.calibration.features))
    if inputs.calibration_knn is not None:
        scores.update(inputs.calibration_knn)
    scores[ENERGY] = energy_scores(logits, temperature)
    ids = [e.id for e in entries]
    policy = fit_policy(
        after,
        labels,
        scores,
        [e.id for e in entries],
        [e.target_precision for e in entries],
        [e.always_review for e in entries],
        target_precision=settings.target_precision,
        delta=settings.delta,
        coverage=settings.coverage,
        class_conditional=[
            settings.class_conditional and e.cites_appendix != "none" for e in entries
        ],
        unknown_keep=settings.unknown_keep,
        familiar_keep=settings.familiar_keep,
        class_familiar_keep=settings.class_familiar_keep,
        lookalikes=[[ids.index(other) for other in e.lookalikes if other in ids] for e in entries],
        lookalike_rate=settings.lookalike_rate,
        guard_tolerance=settings.shift_tolerance,
        guard_alpha=settings.shift_alpha,
        guard_window=settings.shift_window,
        quality=settings.quality,
        floor=settings.accept_floor,
    )
    measured = {
        "photos": len(labels),
        "temperature": temperature,
        "ece_before": expected_calibration_error(before, labels),
        "ece_after": expected_calibration_error(after, labels),
        "nll_before": negative_log_likelihood(before, labels) if len(labels) else None,
        "nll_after": negative_log_likelihood(after, labels) if len(labels) else None,
        "score_quantiles": {k: _quantiles(v) for k, v in scores.items()},
    }
    return Trust(temperature, policy, unknown, measured, scores)


def _quantiles(values: np.ndarray) -> dict[str, float]:
    values = np.asarray(values, dtype=np.float64)
    if not len(values):
        return {}
    return {f"q{q}": float(np.quantile(values, q / 100)) for q in (5, 50, 80, 95)}


def routing_measures(
    outputs: ModelOutputs,
    labels: np.ndarray,
    trust: Trust,
    unknown: ModelOutputs | None = None,
    calibration_scores: Mapping[str, np.ndarray] | None = None,
    scores: Mapping[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """What the policy does on labelled photos of the catalogue's classes (photo quality is not
    checked here), and on photos of items outside it (`unknown`), in the order given.

    `calibration_scores` (the scores the rule was fitted on) give the combined unknown score's
    AUROC; each single score's AUROC is given too. `scores`: the photos' own unknown-item scores
    where the bank must not hold them (the calibration photos' out-of-fold scores: against a bank
    holding it, each photo would be its own nearest neighbour, and look more familiar than any
    new photo will); else computed against the whole bank.
    """
    probs = softmax(outputs.logits, trust.temperature)
    scores = dict(scores) if scores is not None else trust.scores(outputs)
    decisions = decide(probs, scores, None, trust.policy)
    # The guard's bound assumes photos in random order; evaluated photos come sorted by class.
    order = np.random.default_rng(0).permutation(len(decisions))
    guard = ShiftGuard.over(trust.policy.guard, [decisions[i].signals for i in order])
    unknown_rule = trust.policy.unknown
    measures = {
        "routing": routing_metrics(probs, labels, decisions, trust.policy),
        "shortlist": shortlist_metrics(
            [d.shortlist for d in decisions], labels, trust.policy.shortlist.coverage
        ),
        "risk_coverage": risk_coverage(probs, labels),
        "unknown": {
            "rule": unknown_rule.to_dict(),
            "in_catalogue_called_unknown": float(unknown_rule.is_unknown(scores).mean())
            if len(labels)
            else None,
            "in_catalogue_unfamiliar": float(
                (~unknown_rule.is_familiar(scores, probs.argmax(1))).mean()
            )
            if len(labels)
            else None,
            "unknown_photos": 0,
        },
        "shift_guard": guard.state(),
    }
    if unknown is not None and len(unknown.logits):
        foreign = trust.scores(unknown)
        foreign_decisions = decide(
            softmax(unknown.logits, trust.temperature), foreign, None, trust.policy
        )
        kinds = np.array([d.decision for d in foreign_decisions])
        reference = calibration_scores if calibration_scores else scores
        measures["unknown"].update(
            unknown_photos=len(kinds),
            called_unknown=float((kinds == "unknown").mean()),
            auto_accepted=float((kinds == "identified").mean()),
            auroc={
                **{name: unknown_auroc(scores[name], foreign[name]) for name in foreign},
                "combined": unknown_auroc(
                    combined_statistic(reference, scores, unknown_rule.far_threshold),
                    combined_statistic(reference, foreign, unknown_rule.far_threshold),
                ),
            },
        )
    return measures
