"""Evaluate a bundle on any labelled photos: the same report training writes, for new data.

result = evaluate_bundle(predictor, samples)
files = evaluation_files(result.evaluation, names, extra_metrics=result.extra)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from data.images import ImageError
from data.sources import Sample
from model.calibration import softmax
from model.metrics import routing_metrics
from model.predictor import ModelOutputs, Predictor
from model.report import Evaluation


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
