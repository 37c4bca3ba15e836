"""The evaluation report: metrics, plots, a contact sheet of the worst mistakes, the model card.

Every function returns file contents (name -> bytes) so the same report goes into a bundle
(hashed with its other files) or into any folder (`wildlens evaluate`).

    files = evaluation_files(evaluation, class_names, history)
    files["MODEL_CARD.md"] = model_card(meta).encode()
"""

from __future__ import annotations

import csv
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

from wildlens.data.images import ImageError, load_image
from wildlens.data.sources import Sample
from wildlens.model.bundle import BundleMeta
from wildlens.model.metrics import classification_metrics, reliability_bins

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


def confidently_wrong(
    evaluation: Evaluation, names: Sequence[str], count: int = WRONG_SHOWN
) -> bytes:
    """A JPEG contact sheet of the most confident mistakes (true -> predicted, confidence)."""
    predicted = evaluation.probs.argmax(axis=1)
    confidence = evaluation.probs.max(axis=1)
    wrong = np.flatnonzero(predicted != evaluation.labels)
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")][:count]
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
        draw.text((x + 2, y + THUMBNAIL + 1), f"{names[evaluation.labels[i]]} ->", fill="black")
        draw.text(
            (x + 2, y + THUMBNAIL + 16), f"{names[predicted[i]]} {confidence[i]:.0%}", fill="red"
        )
    buffer = io.BytesIO()
    sheet.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def predictions_csv(evaluation: Evaluation) -> bytes:
    """One row per image: key, true class, predicted class, calibrated confidence."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
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
        writer = csv.DictWriter(buffer, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)
    return buffer.getvalue().encode()


def evaluation_files(
    evaluation: Evaluation,
    names: Sequence[str],
    history: Sequence[dict[str, Any]] = (),
    extra_metrics: dict[str, Any] | None = None,
    prefix: str = "report/",
) -> dict[str, bytes]:
    """All report files for one evaluated split."""
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
        "predictions.csv": predictions_csv(evaluation),
    }
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


def _routing_card(meta: BundleMeta, catalogue: dict[str, Any]) -> list[str]:
    policy, metrics = meta.routing, meta.metrics
    routing, shortlist, unknown = metrics["routing"], metrics["shortlist"], metrics["unknown"]
    calibration = metrics["calibration"]
    split = metrics["evaluation"]["split"]
    lines = [
        "",
        "## Calibration and routing",
        "",
        f"Temperature {meta.temperature:.3f}, fitted on {calibration['num_images']} calibration "
        f"photos (group-disjoint from training): ECE {calibration['ece_before']:.3f} -> "
        f"{calibration['ece_after']:.3f}, NLL {calibration['nll_before']:.3f} -> "
        f"{calibration['nll_after']:.3f}.",
        "",
        f"Auto-accept thresholds: Learn-then-Test with an exact binomial test, delta "
        f"{policy['delta']}: with probability >= {1 - policy['delta']:.2f} over the calibration "
        "draw, a class's auto-accepted answers reach its target precision, for photos like the "
        "calibration photos. A class that cannot show this is always reviewed.",
        "",
        f"| class | CITES | policy | threshold | calibration photos predicted | on {split}: "
        "accepted | precision | review rate |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for class_id, rule in policy["classes"].items():
        entry = catalogue.get(class_id, {})
        status = {
            "auto": f"target {rule['target_precision']}",
            "always_review": "always reviewed",
            "insufficient_calibration": f"target {rule['target_precision']}: too few "
            "calibration photos, always reviewed",
        }[rule["status"]]
        threshold = "-" if rule["threshold"] is None else f"{rule['threshold']:.4f}"
        row = routing["per_class"].get(class_id, {})
        precision = row.get("accepted_precision")
        review = row.get("review_rate")
        lines.append(
            f"| {class_id} | {entry.get('cites_appendix', 'none')} | {status} | {threshold} | "
            f"{rule['calibration_predictions']} | {row.get('auto_accepted', 0)} | "
            f"{'-' if precision is None else f'{precision:.3f}'} | "
            f"{'-' if review is None else f'{review:.2f}'} |"
        )
    precision = routing["accepted_precision"]
    lines += [
        "",
        f"On {split} ({routing['photos']} photos): {routing['coverage']:.0%} answered "
        "automatically"
        + (f" at precision {precision:.3f}" if precision is not None else "")
        + f", {routing['review_rate']:.0%} to review. Shortlists (split-conformal RAPS, nominal "
        f"coverage {shortlist['nominal_coverage']:.0%}): true class included in "
        f"{shortlist['coverage']:.1%}, mean size {shortlist['mean_size']:.2f}.",
        "",
        f"Unknown items: {unknown['score']} score, threshold keeps "
        f"{policy['unknown']['keep']:.0%} of calibration photos; "
        + (
            f"AUROC {unknown['auroc']:.3f} against {unknown['unknown_photos']} out-of-catalogue "
            "photos."
            if unknown.get("auroc") is not None
            else "not measured (train with unknown_data=PATH to measure it)."
        ),
    ]
    return lines


def model_card(meta: BundleMeta) -> str:
    """MODEL_CARD.md: intended use, data, metrics, limits and routing policy of a bundle."""
    metrics = meta.metrics
    evaluated = metrics["evaluation"]["calibrated"]
    catalogue = {c["id"]: c for c in meta.catalogue["classes"]}
    data = meta.data
    counts = data["counts"]
    demo = meta.demo
    lines = [
        f"# Model card: {meta.name} {meta.version}",
        "",
        "> **Demo model trained on synthetic images: it knows nothing about real items.**"
        if demo
        else "",
        "",
        "## Intended use",
        "",
        "Screening of photographs of seized wildlife products by customs and enforcement "
        "officers: a first opinion that says how sure it is, and sends anything uncertain to an "
        "expert. It is **not forensic proof**: species identification for prosecution needs "
        "laboratory methods (DNA, wood anatomy, mass spectrometry). Every answer carries the "
        "photo's sha256 and this bundle's identity for the audit trail.",
        "",
        "## Model",
        "",
        f"- Architecture: `{meta.architecture}`, input {meta.preprocessing['input_size']} px",
        f"- Training mode: {meta.config.get('mode', 'full')} (weights hash: bundle.json)",
        f"- Temperature (calibration): {meta.temperature:.3f}",
        "",
        "## Data",
        "",
        f"- Source: `{data['source']}` (fingerprint `{data['fingerprint'][:16]}...`)",
        f"- Split: {data['split_by']}; left out as unreadable: {len(data['excluded'])}",
        "",
        "| class | " + " | ".join(counts) + " |",
        "|---|" + "---:|" * len(counts),
    ]
    for class_id in meta.class_ids:
        lines.append(
            f"| {class_id} | " + " | ".join(str(counts[s].get(class_id, 0)) for s in counts) + " |"
        )
    lines += [
        "",
        f"## Metrics ({metrics['evaluation']['split']} split, {evaluated['num_images']} photos)",
        "",
        f"- Accuracy {evaluated['accuracy']:.3f}, top-2 {evaluated['top2_accuracy']:.3f}, "
        f"macro-F1 {evaluated['macro_f1']:.3f}",
        f"- Calibration error (ECE): {metrics['evaluation']['uncalibrated']['ece']:.3f} before, "
        f"{evaluated['ece']:.3f} after temperature scaling",
        "",
        "| class | precision | recall | F1 | photos |",
        "|---|---:|---:|---:|---:|",
    ]
    for class_id, row in evaluated["per_class"].items():
        scores = " | ".join(f"{row[k]:.3f}" for k in ("precision", "recall", "f1"))
        lines.append(f"| {class_id} | {scores} | {row['support']} |")
    lines += _routing_card(meta, catalogue)
    lines += [
        "",
        "## Limits",
        "",
        "- Only the classes above: an item of any other kind is forced into one of them unless the "
        "unknown-item check flags it; look-alikes not in the training data are a known risk.",
        "- Photos unlike the training photos (lighting, background, camera, processing stage) "
        "lower accuracy without warning; re-evaluate on photos from each new setting "
        "(`wildlens evaluate`).",
        "- Metrics come from a held-out split of the same collection; photos of one seizure share "
        "conditions, so field accuracy is usually lower.",
        "- Calibration and routing thresholds hold only for data like the calibration photos.",
    ]
    return "\n".join(line for line in lines if line is not None) + "\n"
