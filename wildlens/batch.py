"""Classify every image under a folder into a CSV: one row per file, failures included.

summary = classify_folder(predictor, "archive/", "predictions.csv", extensions=[".jpg"])
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from data.images import ImageError, LoadedImage
from data.sources import list_images
from model.predictor import Prediction, Predictor

OK, FAILED = "ok", "failed"


@dataclass(frozen=True)
class Item:
    path: Path
    key: str  # path relative to the input folder
    loaded: LoadedImage | None = None
    error: ImageError | None = None


def csv_columns(top_k: int) -> list[str]:
    ranked = [f"{kind}_{i}" for i in range(1, top_k + 1) for kind in ("label", "prob")]
    return [
        "path",
        "sha256",
        "status",
        "error_code",
        "error_message",
        *ranked,
        "decision",
        "reasons",
        "shortlist",
        "unknown_score",
        "bundle_name",
        "bundle_version",
        "bundle_sha256",
        "time",
    ]


def classify_folder(
    predictor: Predictor,
    input_dir: str | Path,
    out: str | Path,
    extensions: Sequence[str],
    batch_size: int = 16,
    progress: bool = True,
) -> dict[str, Any]:
    """Write `out` (CSV, atomically) with one row per image file under `input_dir`.

    Returns:
        A summary: counts by status, decision and error code.
    """
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise FileNotFoundError(f"input folder {input_dir} does not exist")
    paths = list_images(input_dir, extensions)
    rows = []
    with tqdm(total=len(paths), unit="img", disable=not progress) as bar:
        for batch in _batches(_decoded(predictor, input_dir, paths), batch_size):
            good = [item for item in batch if item.loaded is not None]
            predictions = iter(predictor.predict([item.loaded.image for item in good]))
            for item in batch:
                rows.append(record(item, next(predictions) if item.loaded else None, predictor))
            bar.update(len(batch))
    write_csv_atomically(Path(out), csv_columns(predictor.top_k), rows)
    return {
        "files": len(rows),
        "status": dict(Counter(row["status"] for row in rows)),
        "decision": dict(Counter(row["decision"] for row in rows if row["decision"])),
        "errors": dict(Counter(row["error_code"] for row in rows if row["error_code"])),
    }


def _decoded(predictor: Predictor, root: Path, paths: Sequence[Path]) -> Iterator[Item]:
    for path in paths:
        key = path.relative_to(root).as_posix()
        try:
            yield Item(path, key, loaded=predictor.load(path))
        except ImageError as error:
            yield Item(path, key, error=error)


def _batches(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def record(item: Item, prediction: Prediction | None, predictor: Predictor) -> dict[str, Any]:
    """One CSV row: the file, its hash, and its prediction or its error."""
    row: dict[str, Any] = {
        "path": item.key,
        "sha256": item.loaded.facts.sha256 if item.loaded else item.error.sha256,
        "status": OK if prediction else FAILED,
        "error_code": item.error.code if item.error else "",
        "error_message": item.error.message if item.error else "",
        "decision": prediction.decision if prediction else "",
        "reasons": ";".join(prediction.reasons) if prediction else "",
        "shortlist": ";".join(prediction.shortlist) if prediction else "",
        "unknown_score": ""
        if not prediction or prediction.unknown_score is None
        else f"{prediction.unknown_score:.6f}",
        **predictor.bundle.identity,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    ranked = prediction.top_k if prediction else []
    for i in range(predictor.top_k):
        label, prob = ranked[i] if i < len(ranked) else ("", None)
        row[f"label_{i + 1}"] = label
        row[f"prob_{i + 1}"] = "" if prob is None else f"{prob:.6f}"
    return row


def write_csv_atomically(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """Write to a temp file beside `path`, fsync, then rename: never a half-written CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
