"""Evaluate a model on labelled photos: the held-out photos at the end of training, or any
labelled photos later (`wildlens evaluate`, e.g. photos from a new border post).

held_out = evaluate_held_out(splits, fitted, trust, catalogue)      # in training
result = evaluate_bundle(predictor, samples)                        # a bundle, new photos
files = evaluation_files(result.evaluation, names, extra_metrics=result.extra)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from wildlens.data.images import ImageError
from wildlens.data.prepare import TrainingSplits
from wildlens.data.sources import Sample
from wildlens.model.bundle.card import advice_lines
from wildlens.model.bundle.catalogue import Catalogue
from wildlens.model.evaluation.report import Evaluation, evaluation_files, summary_lines
from wildlens.model.serving.predictor import ModelOutputs, Predictor
from wildlens.model.training.modes import Fitted
from wildlens.model.training.policy import Trust, routing_measures
from wildlens.model.trust.calibration import softmax


@dataclass(frozen=True)
class HeldOut:
    """What training measured on its held-out photos: metrics, routing measures, report files."""

    evaluation: Evaluation
    measures: dict[str, Any]  # routing, shortlist, unknown, risk_coverage
    files: dict[str, bytes]  # report/...

    @property
    def evaluation_metrics(self) -> dict[str, Any]:
        evaluated = self.evaluation.metrics()
        return {k: evaluated[k] for k in ("split", "uncalibrated", "calibrated")}

    @property
    def measures_for_meta(self) -> dict[str, Any]:
        """The measures bundle.json keeps (the risk-coverage curve is a plot in the report)."""
        return {k: v for k, v in self.measures.items() if k != "risk_coverage"}


def evaluate_held_out(
    splits: TrainingSplits, fitted: Fitted, trust: Trust, catalogue: Catalogue
) -> HeldOut:
    """Measure the fitted model and its policy on the test split, else on the training photos
    out of fold (fast mode: a cross-validated measure; the policy was fitted on these answers,
    so its own measures there are not independent), else on the validation split (full mode),
    and make the report's files."""
    fallback = "train" if splits.cross_fit else "val"
    split = "test" if splits.test else fallback
    outputs = fitted.outputs[split]
    evaluation = Evaluation(
        split=split,
        samples=getattr(splits, split),
        labels=splits.labels(split),
        probs_uncalibrated=softmax(outputs.logits),
        probs=softmax(outputs.logits, trust.temperature),
        class_ids=splits.class_ids,
    )
    measures = routing_measures(
        outputs,
        evaluation.labels,
        trust,
        fitted.outputs.get("unknown"),
        trust.calibration_scores,
        # The training photos out of fold: their unknown scores too, from banks without them.
        trust.calibration_scores if split == "train" else None,
    )
    measures["split"] = (
        "the training photos the thresholds were fitted on (each scored out of fold)"
        if split == "train"
        else split
    )
    names = [catalogue[c].name() for c in splits.class_ids]
    files = evaluation_files(
        evaluation,
        names,
        fitted.history,
        {"calibration": trust.calibration, **measures},
        calibration=calibration_answers(splits, fitted, trust),
    )
    return HeldOut(evaluation, measures, files)


def calibration_answers(splits: TrainingSplits, fitted: Fitted, trust: Trust) -> Evaluation | None:
    """The answers the trust policy was fitted on, as an evaluation: fast mode's training photos
    each answered out of fold, or full mode's calibration split. Their confident mistakes, not
    the test photos', are what keeps a target from being shown (a wrong label among them)."""
    split = "train" if splits.cross_fit else "calibration"
    logits = fitted.trust_inputs.calibration.logits
    if not logits.size:
        return None
    return Evaluation(
        split=split,
        samples=getattr(splits, split),
        labels=fitted.trust_inputs.labels,
        probs_uncalibrated=softmax(logits),
        probs=softmax(logits, trust.temperature),
        class_ids=splits.class_ids,
    )


def training_summary(held_out: HeldOut, trust: Trust) -> list[str]:
    """The lines training prints at the end: accuracy, calibration, what routing would do, and
    advice when little or nothing can be auto-accepted."""
    policy = trust.policy.to_dict()
    threshold = policy["pooled"]["threshold"]
    return [
        *summary_lines(held_out.evaluation.metrics()),
        f"calibration: T={trust.temperature:.2f}, ECE {trust.calibration['ece_before']:.3f} -> "
        f"{trust.calibration['ece_after']:.3f}; pooled threshold "
        f"{'none' if threshold is None else f'{threshold:.3f}'} "
        f"(target {policy['pooled']['target_precision']:.0%})",
        *measure_lines(held_out.measures, policy),
    ]


def measure_lines(measures: dict[str, Any], policy: dict[str, Any]) -> list[str]:
    """What the policy did on evaluated photos: decisions, shortlist, foreign items, the shift
    guard, and advice when little or nothing was auto-accepted."""
    routing, shortlist = measures["routing"], measures["shortlist"]
    unknown, guard = measures["unknown"], measures["shift_guard"]
    precision = routing["accepted_precision"]
    lines = [
        f"on {measures['split']}: auto-accepted {routing['coverage']:.0%}"
        + (f" at precision {precision:.3f}" if precision is not None else "")
        + f", review {routing['review_rate']:.0%}, unknown {routing['unknown_rate']:.0%}; "
        f"shortlist coverage {shortlist['coverage']:.3f} (size {shortlist['mean_size']:.2f})"
    ]
    if unknown.get("unknown_photos"):
        lines.append(
            f"photos of other items ({unknown['unknown_photos']}): called unknown "
            f"{unknown['called_unknown']:.0%}, auto-accepted {unknown['auto_accepted']:.1%}, "
            f"AUROC {unknown['auroc']['combined']:.3f}"
        )
    if guard["fired"]:
        lines.append(
            f"shift guard: these photos stop looking like the calibration photos at photo "
            f"{guard['fired_at']} of {guard['photos']} (rates {guard['means']} against "
            f"{guard['calibration_means']})"
        )
    lines += [f"advice: {line}" for line in advice_lines(policy, routing)]
    return lines


@dataclass
class EvaluationRun:
    evaluation: Evaluation
    extra: dict[str, Any] = field(default_factory=dict)  # measures, unreadable, other classes


def evaluate_bundle(
    predictor: Predictor,
    samples: Sequence[Sample],
    split: str = "dataset",
    batch_size: int = 32,
    progress: bool = True,
) -> EvaluationRun:
    """Predict every labelled sample: those of the bundle's classes are evaluated as training
    evaluates its held-out photos (accuracy, calibration, routing, shortlist, unknown items, the
    shift guard over them in order); those of other classes are the foreign items the unknown
    rule should catch. Unreadable photos are counted, never the run's end."""
    index = {c: i for i, c in enumerate(predictor.class_ids)}
    known = [s for s in samples if s.label in index]
    foreign = [s for s in samples if s.label not in index]
    others: dict[str, int] = {}
    for sample in foreign:
        others[str(sample.label)] = others.get(str(sample.label), 0) + 1
    unreadable: dict[str, str] = {}
    kept, outputs = _outputs(predictor, known, batch_size, progress, unreadable, "evaluate")
    if not kept:
        raise ValueError("no readable photos of the bundle's classes to evaluate")
    _, foreign_outputs = _outputs(predictor, foreign, batch_size, progress, unreadable, "others")
    labels = np.array([index[s.label] for s in kept], dtype=np.int64)
    evaluation = Evaluation(
        split=split,
        samples=kept,
        labels=labels,
        probs_uncalibrated=softmax(outputs.logits),
        probs=softmax(outputs.logits, predictor.temperature),
        class_ids=predictor.class_ids,
    )
    measures = routing_measures(outputs, labels, predictor.trust(), foreign_outputs)
    extra = {
        **measures,
        "split": split,
        "calibration": predictor.bundle.meta.metrics.get("calibration"),
        "unreadable": unreadable,
        "classes_not_in_bundle": others,
        "bundle": predictor.bundle.identity,
    }
    return EvaluationRun(evaluation, extra)


def _outputs(
    predictor: Predictor,
    samples: Sequence[Sample],
    batch_size: int,
    progress: bool,
    unreadable: dict[str, str],
    name: str,
) -> tuple[list[Sample], ModelOutputs | None]:
    """The network's outputs of the readable samples (the others go into `unreadable`)."""
    kept, parts = [], []
    for start in tqdm(range(0, len(samples), batch_size), disable=not progress, desc=name):
        batch, arrays = [], []
        for sample in samples[start : start + batch_size]:
            try:
                arrays.append(predictor.preprocess(predictor.load(sample.source).image))
                batch.append(sample)
            except ImageError as error:  # unreadable, or a shape the transform cannot resize
                unreadable[sample.key] = error.code
        if arrays:
            parts.append(predictor.forward(np.stack(arrays)))
            kept += batch
    if not parts:
        return kept, None
    logits = np.concatenate([o.logits for o in parts])
    return kept, ModelOutputs(logits, np.concatenate([o.features for o in parts]))
