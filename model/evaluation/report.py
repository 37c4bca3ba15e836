"""The evaluation report: metrics, plots, a contact sheet of the worst mistakes (the model card
is `wildlens.model.bundle.card`).

Every function returns file contents (name -> bytes) so the same report goes into a bundle
(hashed with its other files) or into any folder (`wildlens evaluate`).

    files = evaluation_files(evaluation, class_names, history)
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image, ImageDraw

from wildlens.common.csv_cells import csv_writer, dict_writer
from wildlens.data.images import ImageError, load_image
from wildlens.data.sources import Sample
from wildlens.model.trust.metrics import classification_metrics, reliability_bins

WRONG_SHOWN = 16
THUMBNAIL = 160


@dataclass(frozen=True)
class Evaluation:
    split: str  # which images: "test", "val", or a dataset name
    samples: list[Sample]
    labels: np.ndarray  # (N,) class indices
    probs_uncalibrated: np.ndarray  # (N, C) softmax of the raw logits
    probs: np.ndarray  # (N, C) calibrated
    class_ids: list[str]

    def metrics(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "uncalibrated": classification_metrics(
                self.probs_uncalibrated, self.labels, self.class_ids
            ),
            "calibrated": classification_metrics(self.probs, self.labels, self.class_ids),
            "reliability_uncalibrated": reliability_bins(self.probs_uncalibrated, self.labels),
            "reliability_calibrated": reliability_bins(self.probs, self.labels),
        }


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def confusion_png(matrix: np.ndarray, names: Sequence[str]) -> bytes:
    matrix = np.asarray(matrix)
    size = max(4.0, 0.55 * len(names) + 2)
    figure, axes = plt.subplots(figsize=(size, size))
    rows = matrix.sum(axis=1, keepdims=True)
    axes.imshow(matrix / np.maximum(rows, 1), cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            axes.text(
                j,
                i,
                str(count),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if count > 0.6 * max(rows[i, 0], 1) else "black",
            )
    axes.set_xticks(range(len(names)), names, rotation=45, ha="right")
    axes.set_yticks(range(len(names)), names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title("Confusion matrix (colour: share of the true class)")
    return _png(figure)


def reliability_png(
    before: dict[str, list], after: dict[str, list], ece: tuple[float, float]
) -> bytes:
    figure, panels = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True)
    for axes, bins, title, value in (
        (panels[0], before, "before calibration", ece[0]),
        (panels[1], after, "after calibration", ece[1]),
    ):
        centres = [(lo + hi) / 2 for lo, hi in zip(bins["lower"], bins["upper"], strict=True)]
        accuracy = [a if a is not None else 0 for a in bins["accuracy"]]
        axes.bar(
            centres,
            accuracy,
            width=1 / len(centres),
            edgecolor="black",
            alpha=0.7,
            label="accuracy",
        )
        axes.plot([0, 1], [0, 1], "k--", label="perfect calibration")
        axes.set_xlabel("confidence")
        axes.set_title(f"{title} (ECE {value:.3f})")
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1)
    panels[0].set_ylabel("accuracy")
    panels[0].legend(loc="upper left")
    return _png(figure)


def risk_coverage_png(curve: dict[str, list], accepted: tuple[float, float] | None) -> bytes:
    """Error rate among kept photos against the share kept, most confident first."""
    figure, axes = plt.subplots(figsize=(5, 3.8))
    axes.plot(curve["coverage"], curve["risk"], "-", label="keep the most confident")
    if accepted is not None:
        axes.plot([accepted[0]], [accepted[1]], "o", color="red", label="the policy's auto-accept")
    axes.set_xlabel("share of photos answered automatically (coverage)")
    axes.set_ylabel("error rate among them (risk)")
    axes.set_xlim(0, 1)
    axes.set_ylim(bottom=0)
    axes.legend()
    axes.set_title("Risk-coverage")
    return _png(figure)


def curves_png(history: Sequence[dict[str, Any]]) -> bytes:
    epochs = [row["epoch"] for row in history]
    figure, (loss_axes, score_axes) = plt.subplots(1, 2, figsize=(9, 3.8))
    loss_axes.plot(epochs, [r["train_loss"] for r in history], "o-", label="train")
    loss_axes.plot(epochs, [r["val_loss"] for r in history], "o-", label="validation")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_title("loss")
    loss_axes.legend()
    score_axes.plot(epochs, [r["val_accuracy"] for r in history], "o-", label="accuracy")
    score_axes.plot(epochs, [r["val_macro_f1"] for r in history], "o-", label="macro-F1")
    score_axes.set_xlabel("epoch")
    score_axes.set_title("validation")
    score_axes.legend()
    return _png(figure)


def most_confident_mistakes(
    probs: np.ndarray, labels: np.ndarray, count: int = WRONG_SHOWN
) -> np.ndarray:
    """Indices of the `count` most confident wrong answers ((N, C) probabilities against (N,)
    labels), most confident first: on a pool answered out of fold, where a mislabelled photo
    shows up (the model sure of what the photo is, its label saying otherwise)."""
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    return wrong[np.argsort(-confidence[wrong], kind="stable")][:count]


def worst_mistakes(evaluation: Evaluation, count: int = WRONG_SHOWN) -> np.ndarray:
    """`most_confident_mistakes` of an evaluation (calibrated probabilities)."""
    return most_confident_mistakes(evaluation.probs, evaluation.labels, count)


def confidently_wrong(
    evaluation: Evaluation, names: Sequence[str], count: int = WRONG_SHOWN
) -> bytes:
    """A JPEG contact sheet of the most confident mistakes (rank. true -> predicted, confidence),
    numbered as in `confidently_wrong_csv`."""
    predicted = evaluation.probs.argmax(axis=1)
    confidence = evaluation.probs.max(axis=1)
    worst = worst_mistakes(evaluation, count)
    columns = 4
    rows = max(1, -(-len(worst) // columns))
    cell_h = THUMBNAIL + 34
    sheet = Image.new("RGB", (columns * THUMBNAIL, rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    if not len(worst):
        draw.text((8, 8), "No mistakes on this split.", fill="black")
    for slot, i in enumerate(worst):
        x, y = (slot % columns) * THUMBNAIL, (slot // columns) * cell_h
        try:
            thumb = load_image(evaluation.samples[i].source, target_size=THUMBNAIL).image
            thumb.thumbnail((THUMBNAIL - 4, THUMBNAIL - 4))
            sheet.paste(thumb, (x + 2, y + 2))
        except ImageError as error:
            draw.text((x + 4, y + 4), error.code, fill="red")
        caption = f"{slot + 1}. {names[evaluation.labels[i]]} ->"
        draw.text((x + 2, y + THUMBNAIL + 1), caption, fill="black")
        draw.text(
            (x + 2, y + THUMBNAIL + 16), f"{names[predicted[i]]} {confidence[i]:.0%}", fill="red"
        )
    buffer = io.BytesIO()
    sheet.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def confidently_wrong_csv(evaluation: Evaluation, count: int = WRONG_SHOWN) -> bytes:
    """The contact sheet's photos as rows (rank, key, label, predicted, confidence): which files
    to look at first for a wrong label."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(["rank", "key", "label", "predicted", "confidence"])
    for rank, i in enumerate(worst_mistakes(evaluation, count), start=1):
        row = evaluation.probs[i]
        writer.writerow(
            [
                rank,
                evaluation.samples[i].key,
                evaluation.class_ids[evaluation.labels[i]],
                evaluation.class_ids[int(row.argmax())],
                f"{row.max():.6f}",
            ]
        )
    return buffer.getvalue().encode()


def predictions_csv(evaluation: Evaluation) -> bytes:
    """One row per image: key, true class, predicted class, calibrated confidence."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(["key", "label", "predicted", "confidence"])
    for sample, label, row in zip(
        evaluation.samples, evaluation.labels, evaluation.probs, strict=True
    ):
        writer.writerow(
            [
                sample.key,
                evaluation.class_ids[label],
                evaluation.class_ids[int(row.argmax())],
                f"{row.max():.6f}",
            ]
        )
    return buffer.getvalue().encode()


def epochs_csv(history: Sequence[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    if history:
        writer = dict_writer(buffer, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)
    return buffer.getvalue().encode()


def evaluation_files(
    evaluation: Evaluation,
    names: Sequence[str],
    history: Sequence[dict[str, Any]] = (),
    extra_metrics: dict[str, Any] | None = None,
    prefix: str = "report/",
    calibration: Evaluation | None = None,
) -> dict[str, bytes]:
    """All report files for one evaluated split; with `calibration` (the answers the trust
    policy was fitted on) also their most confident mistakes, calibration_wrong.jpg and .csv:
    the photos that decide how much can be auto-accepted, where a wrong label costs the most."""
    metrics = {**evaluation.metrics(), **(extra_metrics or {})}
    before, after = metrics["uncalibrated"], metrics["calibrated"]
    files = {
        "metrics.json": (json.dumps(metrics, indent=1) + "\n").encode(),
        "confusion_matrix.png": confusion_png(np.array(after["confusion_matrix"]), names),
        "reliability.png": reliability_png(
            metrics["reliability_uncalibrated"],
            metrics["reliability_calibrated"],
            (before["ece"], after["ece"]),
        ),
        "confidently_wrong.jpg": confidently_wrong(evaluation, names),
        "confidently_wrong.csv": confidently_wrong_csv(evaluation),
        "predictions.csv": predictions_csv(evaluation),
    }
    if calibration is not None:
        files["calibration_wrong.jpg"] = confidently_wrong(calibration, names)
        files["calibration_wrong.csv"] = confidently_wrong_csv(calibration)
    if "risk_coverage" in metrics:
        routing = metrics.get("routing", {})
        point = None
        if routing.get("accepted_precision") is not None:
            point = (routing["coverage"], 1 - routing["accepted_precision"])
        files["risk_coverage.png"] = risk_coverage_png(metrics["risk_coverage"], point)
    if history:
        files["training_curves.png"] = curves_png(history)
        files["epochs.csv"] = epochs_csv(history)
    return {prefix + name: content for name, content in files.items()}


def summary_lines(metrics: dict[str, Any]) -> list[str]:
    """The few lines shown at the end of training or evaluation."""
    before, after = metrics["uncalibrated"], metrics["calibrated"]
    lines = [
        f"{metrics['split']} ({after['num_images']} photos): accuracy {after['accuracy']:.3f}, "
        f"top-2 {after['top2_accuracy']:.3f}, macro-F1 {after['macro_f1']:.3f}, "
        f"ECE {before['ece']:.3f} -> {after['ece']:.3f} after calibration",
    ]
    worst = sorted(after["per_class"].items(), key=lambda item: item[1]["f1"])[:3]
    lines.append("weakest classes (F1): " + ", ".join(f"{c} {v['f1']:.2f}" for c, v in worst))
    return lines
