"""What leaves the review store for retraining: expert-labelled photos (case reports, which speak
the app's languages, are `wildlens.ui.case_report`).

    summary = export_for_retraining(store, Path("runs/app/exports/retrain-1"), "folder")
    python train.py data=runs/app/exports/retrain-1/manifest.csv ...

Retraining exports hold only records an expert has confirmed or corrected, labelled with the
expert's label; each photo is grouped by its case (`group` column), so photos of one seizure
never end up on both sides of a validation. A photo saved in two records with different expert
labels is left out and listed as a conflict rather than guessed. An item of a photo of several
is exported as its crop (as the model saw it: `wildlens.data.items.item_crop`), a JPEG written
into the export in either layout, never as the whole table under one item's label.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from wildlens.common.csv_cells import dict_writer
from wildlens.common.files import write_atomically
from wildlens.data.images import load_image
from wildlens.data.items import item_crop
from wildlens.review.store import NOT_IN_CATALOGUE, RecordView, ReviewStore, StoredPhoto

Layout = Literal["folder", "manifest"]
LAYOUTS = ("folder", "manifest")
PROVENANCE_COLUMNS = (
    "path",
    "label",
    "record_id",
    "case_id",
    "sha256",
    "item",
    "file_name",
    "decision",
    "predicted_label",
    "status",
    "reviewer",
    "account",
    "reviewed",
    "comment",
    "bundle_name",
    "bundle_version",
    "bundle_sha256",
    "bundle_signer",
)


@dataclass
class ExportSummary:
    folder: Path
    photos: int = 0  # labelled photos in manifest.csv
    unknown: int = 0  # photos judged not in the catalogue (unknown.csv)
    records: int = 0
    conflicts: list[str] = field(default_factory=list)


def export_for_retraining(store: ReviewStore, out: Path, layout: Layout) -> ExportSummary:
    """Write the expert-labelled photos for `train.py` to `out` (a new folder).

    `folder`: `<label>/<sha256>.<ext>` copies, `manifest.csv` (path,label,group) and `unknown/`;
    `manifest`: `manifest.csv` and `unknown.csv` pointing at the store's own photo files.
    Both add `provenance.csv` (who labelled each photo, when, from which record) and README.txt.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists and is not empty")
    summary = ExportSummary(out)
    chosen: dict[str, tuple[RecordView, StoredPhoto]] = {}
    labels: dict[str, set[str]] = {}
    for record in store.reviewed():
        summary.records += 1
        for photo in record.photos:
            key = _key(record, photo)
            labels.setdefault(key, set()).add(record.label)
            chosen.setdefault(key, (record, photo))
    manifest, unknown, provenance = [], [], []
    for key, (record, photo) in chosen.items():
        sha256 = photo.sha256
        if len(labels[key]) > 1:
            summary.conflicts.append(
                f"photo {key} has different expert labels ({', '.join(sorted(labels[key]))})"
            )
            continue
        path = _place(store, record, photo, out, layout)
        row = {"path": path, "label": record.label, "group": record.case_id}
        if record.label == NOT_IN_CATALOGUE:
            unknown.append({"path": path, "group": record.case_id})
        else:
            manifest.append(row)
        verdict = record.events[-1]
        provenance.append(
            {
                "path": path,
                "label": record.label,
                "record_id": record.id,
                "case_id": record.case_id,
                "sha256": sha256,
                "item": (record.item or {}).get("index", ""),
                "file_name": photo.file_name,
                "decision": record.decision,
                "predicted_label": record.predicted_label,
                "status": record.status,
                "reviewer": verdict.actor,
                "account": verdict.account,
                "reviewed": verdict.time,
                "comment": verdict.comment,
                **record.bundle,
            }
        )
    summary.photos, summary.unknown = len(manifest), len(unknown)
    out.mkdir(parents=True, exist_ok=True)
    write_atomically(out / "manifest.csv", csv_bytes(["path", "label", "group"], manifest))
    write_atomically(out / "unknown.csv", csv_bytes(["path", "group"], unknown))
    write_atomically(out / "provenance.csv", csv_bytes(list(PROVENANCE_COLUMNS), provenance))
    write_atomically(out / "README.txt", _readme(summary).encode())
    return summary


def _key(record: RecordView, photo: StoredPhoto) -> str:
    """What is exported once: a photo (its sha256), or one item of it (`<sha256>#item<n>`)."""
    return f"{photo.sha256}#item{record.item['index']}" if record.item else photo.sha256


def _place(store: ReviewStore, record: RecordView, photo: StoredPhoto, out: Path, layout) -> str:
    """The manifest path of one photo: a verified copy (folder) or the store's file (manifest);
    an item's crop, written into the export, in either layout."""
    data = store.photo_bytes(photo)  # verified against its sha256 either way
    folder = "unknown" if record.label == NOT_IN_CATALOGUE else record.label
    if record.item:
        loaded = load_image(data)
        crop = item_crop(loaded.image, record.item["box"], loaded.facts.original_size)
        buffer = io.BytesIO()
        crop.save(buffer, format="JPEG", quality=95)
        relative = f"{folder}/{photo.sha256}-item{record.item['index']}.jpg"
        write_atomically(out / relative, buffer.getvalue())
        return relative if layout == "folder" else str(out / relative)
    if layout == "manifest":
        return str(store.photos.path(photo.file))
    relative = f"{folder}/{Path(photo.file).name}"
    write_atomically(out / relative, data)
    return relative


def csv_bytes(columns: list[str], rows: Sequence[dict]) -> bytes:
    buffer = io.StringIO()
    writer = dict_writer(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _readme(summary: ExportSummary) -> str:
    lines = [
        "WildLens: photos labelled by experts in the review queue, for retraining.",
        f"Exported {datetime.now(UTC).isoformat(timespec='seconds')} from "
        f"{summary.records} reviewed records.",
        "",
        f"manifest.csv   {summary.photos} photos: path,label,group (group = case id)",
        f"unknown.csv    {summary.unknown} photos the experts judged not in the catalogue",
        "provenance.csv who gave each label, when, and from which record and model",
        "",
        "Train:   python train.py data=manifest.csv unknown_data=unknown.csv out=runs/retrained",
        "(leave out unknown_data= when unknown.csv is empty)",
    ]
    if summary.conflicts:
        lines += ["", "Left out (conflicting expert labels):", *summary.conflicts]
    return "\n".join(lines) + "\n"
