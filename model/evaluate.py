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
from wildlens.model.calibration import softmax
from wildlens.model.catalogue import Catalogue
from wildlens.model.metrics import routing_metrics
from wildlens.model.modes import Fitted
from wildlens.model.predictor import ModelOutputs, Predictor
from wildlens.model.report import Evaluation, evaluation_files, summary_lines
from wildlens.model.trust import Trust, routing_measures


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
    """Measure the fitted model and its policy on the test split (else validation, else the
    calibration split), and make the report's files."""
    fallback = "calibration" if splits.one_held_out_split else "val"
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
    measures = routing_measures(outputs, evaluation.labels, trust, fitted.outputs.get("unknown"))
    names = [catalogue[c].name() for c in splits.class_ids]
    files = evaluation_files(
        evaluation, names, fitted.history, {"calibration": trust.calibration, **measures}
    )
    return HeldOut(evaluation, measures, files)


def training_summary(held_out: HeldOut, trust: Trust) -> list[str]:
    """The lines training prints at the end: accuracy, calibration, what routing would do."""
    routing, shortlist = held_out.measures["routing"], held_out.measures["shortlist"]
    precision = routing["accepted_precision"]
    return [
        *summary_lines(held_out.evaluation.metrics()),
        f"calibration: T={trust.temperature:.2f}, ECE {trust.calibration['ece_before']:.3f} -> "
        f"{trust.calibration['ece_after']:.3f}; on {held_out.evaluation.split}: auto-accepted "
        f"{routing['coverage']:.0%}"
        + (f" at precision {precision:.3f}" if precision else "")
        + f", shortlist coverage {shortlist['coverage']:.3f} (size {shortlist['mean_size']:.2f})",
    ]


@dataclass
class EvaluationRun:
    evaluation: Evaluation
    extra: dict[str, Any] = field(default_factory=dict)  # routing, unreadable, other classes


def evaluate_bundle(
    predictor: Predictor,
    samples: Sequence[Sample],
    split: str = "dataset",
    batch_size: int = 32,
    progress: bool = True,
) -> EvaluationRun:
    """Predict every labelled sample whose class the bundle knows; count the rest."""
    index = {c: i for i, c in enumerate(predictor.class_ids)}
    known = [s for s in samples if s.label in index]
    others: dict[str, int] = {}
    for sample in samples:
        if sample.label not in index:
            others[str(sample.label)] = others.get(str(sample.label), 0) + 1
    kept, outputs, unreadable = [], [], {}
    for start in tqdm(range(0, len(known), batch_size), disable=not progress, desc="evaluate"):
        batch, arrays = [], []
        for sample in known[start : start + batch_size]:
            try:
                arrays.append(predictor.preprocess(predictor.load(sample.source).image))
                batch.append(sample)
            except ImageError as error:
                unreadable[sample.key] = error.code
        if arrays:
            outputs.append(predictor.forward(np.stack(arrays)))
            kept += batch
    if not kept:
        raise ValueError("no readable photos of the bundle's classes to evaluate")
    combined = ModelOutputs(
        np.concatenate([o.logits for o in outputs]), np.concatenate([o.features for o in outputs])
    )
    all_logits = combined.logits
    labels = np.array([index[s.label] for s in kept], dtype=np.int64)
    evaluation = Evaluation(
        split=split,
        samples=kept,
        labels=labels,
        probs_uncalibrated=softmax(all_logits),
        probs=softmax(all_logits, predictor.temperature),
        class_ids=predictor.class_ids,
    )
    extra = {
        "routing": routing_metrics(evaluation.probs, labels, predictor.decide(combined)),
        "unreadable": unreadable,
        "classes_not_in_bundle": others,
        "bundle": predictor.bundle.identity,
    }
    return EvaluationRun(evaluation, extra)
