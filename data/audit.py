"""Dataset audit: what is in a dataset and what is wrong with it, before anyone trains on it.

Counts per class and split, class imbalance, unreadable files by error code, exact duplicates
(sha256) and near duplicates (perceptual hash candidates, verified: `data.duplicates`), tiny and
extreme-aspect images, duplicate clusters that cross splits (leakage) or carry different labels.
Writes `audit.json`, `audit.md` and a self-contained `audit.html` with thumbnails of problems.

    report = audit(samples, skipped)
    write_report(report, samples, "runs/audit")
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import io
import json
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from wildlens.common.files import cache_dir, write_atomically
from wildlens.common.parallel import parallel_map
from wildlens.data import near_duplicates as duplicates
from wildlens.data.images import ImageError, load_image, read_bytes
from wildlens.data.near_duplicates import Signature, duplicate_clusters, image_signature
from wildlens.data.sources import Sample, Skipped

DEFAULT_MIN_SIDE = 64
DEFAULT_MAX_ASPECT = 4.0
THUMBNAIL_SIZE = 96


@dataclass(frozen=True)
class ImageRecord:
    key: str
    label: str | None
    split: str | None
    group: str | None
    sha256: str
    phash: str  # 64-bit perceptual hash in hex, "" if unreadable
    width: int
    height: int
    format: str
    error_code: str = ""
    error_message: str = ""


class SignatureCache:
    """Each readable photo's facts and duplicate signature, kept under the cache folder by the
    sha256 of its bytes (and of the signature code, so a changed algorithm starts afresh): a
    retrain on the same photos (a workshop adding a class) reads them instead of decoding.
    Plain .npz files, read without pickle."""

    def __init__(self, folder: Path):
        self.folder = folder

    @classmethod
    def default(cls) -> SignatureCache:
        code = hashlib.sha256(Path(duplicates.__file__).read_bytes()).hexdigest()[:12]
        return cls(cache_dir() / "signatures" / code)

    def _path(self, sha256: str) -> Path:
        return self.folder / sha256[:2] / f"{sha256}.npz"

    def get(self, sha256: str) -> tuple[tuple[int, int], str, Signature] | None:
        try:
            with np.load(self._path(sha256), allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None  # absent or damaged: recompute
        try:
            values = {}
            for item in fields(Signature):
                value = arrays[f"sig_{item.name}"]
                if item.name == "hashes":
                    values[item.name] = tuple(int(h) for h in value)
                else:
                    values[item.name] = value.item() if value.ndim == 0 else value
            size = (int(arrays["size"][0]), int(arrays["size"][1]))
            return size, str(arrays["format"]), Signature(**values)
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, sha256: str, size: tuple[int, int], format: str, signature: Signature):
        arrays = {
            f"sig_{item.name}": np.asarray(getattr(signature, item.name))
            for item in fields(Signature)
        }
        arrays["sig_hashes"] = np.array(signature.hashes, dtype=np.uint64)
        buffer = io.BytesIO()
        np.savez(buffer, size=np.array(size), format=np.array(format), **arrays)
        with contextlib.suppress(OSError):  # a read-only cache only costs time
            write_atomically(self._path(sha256), buffer.getvalue())


def inspect_sample(
    sample: Sample, cache: SignatureCache | None = None
) -> tuple[ImageRecord, Signature | None]:
    """Decode one sample at a small size: its facts and duplicate signature, or its error."""
    try:
        data = read_bytes(sample.source)
        sha256 = hashlib.sha256(data).hexdigest()
        cached = cache.get(sha256) if cache is not None else None
        if cached is None:
            loaded = load_image(data, target_size=256)
            signature = image_signature(loaded.image)
            size, format = loaded.facts.original_size, loaded.facts.format
            if cache is not None:
                cache.put(sha256, size, format, signature)
        else:
            size, format, signature = cached
    except ImageError as error:
        record = ImageRecord(
            key=sample.key,
            label=sample.label,
            split=sample.split,
            group=sample.group,
            sha256=error.sha256,
            phash="",
            width=0,
            height=0,
            format="",
            error_code=error.code,
            error_message=error.message,
        )
        return record, None
    width, height = size
    record = ImageRecord(
        key=sample.key,
        label=sample.label,
        split=sample.split,
        group=sample.group,
        sha256=sha256,
        phash=f"{signature.phash:016x}",
        width=width,
        height=height,
        format=format,
    )
    return record, signature


# Fewer photos than this are checked in this process: a spawned worker's start-up costs more
# than it saves on a few dozen photos (see docs/benchmarks.md, "Workshop training").
MIN_PARALLEL = 64


def audit(
    samples: Sequence[Sample],
    skipped: Sequence[Skipped] = (),
    *,
    min_side: int = DEFAULT_MIN_SIDE,
    max_aspect: float = DEFAULT_MAX_ASPECT,
    workers: int = 0,
    cache: SignatureCache | None = None,
    on_item: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Inspect every sample and return the report (plain JSON-ready data).

    Report keys: `summary`, `counts` (split -> class -> n), `imbalance`, `unreadable`,
    `skipped`, `exact_duplicates`, `near_duplicates`, `leakage`, `label_conflicts`, `tiny`,
    `extreme_aspect`, `records` (per image, with its `cluster`).
    """
    inspected = []
    if len(samples) < MIN_PARALLEL:
        workers = 0  # starting a worker takes longer than checking a few photos
    for item in parallel_map(partial(inspect_sample, cache=cache), samples, workers=workers):
        inspected.append(item)
        if on_item is not None:
            on_item(len(inspected), len(samples))
    records = [record for record, _ in inspected]
    clusters = duplicate_clusters([sig for _, sig in inspected], [r.sha256 for r in records])
    members: dict[int, list[int]] = defaultdict(list)
    for index, cluster in enumerate(clusters):
        members[cluster].append(index)
    multi = [m for m in members.values() if len(m) > 1]

    def keys(indices):
        return [records[i].key for i in indices]

    exact = [keys(m) for m in _groups_by(records, lambda r: r.sha256 if r.phash else None)]
    near = [keys(m) for m in multi if len({records[i].sha256 for i in m}) > 1]
    leakage = [
        {"splits": sorted({records[i].split or "none" for i in m}), "keys": keys(m)}
        for m in multi
        if len({records[i].split for i in m}) > 1
    ]
    conflicts = [
        {"labels": sorted({str(records[i].label) for i in m}), "keys": keys(m)}
        for m in multi
        if len({records[i].label for i in m}) > 1
    ]
    readable = [r for r in records if r.phash]
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for (split, label), n in sorted(
        Counter((r.split or "all", str(r.label)) for r in readable).items()
    ):
        counts[split][label] = n
    per_class = Counter(str(r.label) for r in readable)
    report = {
        "summary": {
            "images": len(records),
            "readable": len(readable),
            "unreadable": len(records) - len(readable),
            "skipped": len(skipped),
            "classes": len(per_class),
            "exact_duplicate_sets": len(exact),
            "near_duplicate_sets": len(near),
            "leaking_sets": len(leakage),
            "label_conflicts": len(conflicts),
        },
        "settings": {"min_side": min_side, "max_aspect": max_aspect},
        "counts": dict(counts),
        "imbalance": (max(per_class.values()) / min(per_class.values())) if per_class else None,
        "unreadable": _by_code(records),
        "skipped": [asdict(s) for s in skipped],
        "exact_duplicates": exact,
        "near_duplicates": near,
        "leakage": leakage,
        "label_conflicts": conflicts,
        "tiny": [r.key for r in readable if min(r.width, r.height) < min_side],
        "extreme_aspect": [
            r.key for r in readable if max(r.width, r.height) / min(r.width, r.height) > max_aspect
        ],
        "records": [{**asdict(r), "cluster": c} for r, c in zip(records, clusters, strict=True)],
    }
    return report


def _groups_by(records: Sequence[ImageRecord], key) -> list[list[int]]:
    groups: dict[Any, list[int]] = defaultdict(list)
    for i, record in enumerate(records):
        value = key(record)
        if value is not None:
            groups[value].append(i)
    return [g for g in groups.values() if len(g) > 1]


def _by_code(records: Sequence[ImageRecord]) -> dict[str, list[dict[str, str]]]:
    failures: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in records:
        if r.error_code:
            failures[r.error_code].append({"key": r.key, "message": r.error_message})
    return dict(sorted(failures.items()))


def cluster_of(report: dict[str, Any]) -> dict[str, int]:
    """Key -> duplicate-cluster id, for keeping duplicates in one split."""
    return {r["key"]: r["cluster"] for r in report["records"]}


def markdown_report(report: dict[str, Any]) -> str:
    """A readable summary of the audit."""
    s = report["summary"]
    lines = [
        "# Dataset audit",
        "",
        f"{s['images']} images ({s['readable']} readable, {s['unreadable']} unreadable), "
        f"{s['skipped']} skipped entries, {s['classes']} classes.",
        "",
        "## Images per class",
        "",
        "| class | " + " | ".join(report["counts"]) + " |",
        "|---|" + "---|" * len(report["counts"]),
    ]
    labels = sorted({label for split in report["counts"].values() for label in split})
    for label in labels:
        row = [str(report["counts"][split].get(label, 0)) for split in report["counts"]]
        lines.append(f"| {label} | " + " | ".join(row) + " |")
    if report["imbalance"]:
        lines += ["", f"Imbalance (largest / smallest class): {report['imbalance']:.1f}x"]
    settings = report["settings"]
    unreadable = [
        f"{x['key']}: {code} ({x['message']})"
        for code, items in report["unreadable"].items()
        for x in items
    ]
    sections = [
        ("Leakage: duplicates across splits", _sets(report["leakage"], "splits")),
        ("Duplicates with different labels", _sets(report["label_conflicts"], "labels")),
        ("Exact duplicates (same bytes)", [", ".join(x) for x in report["exact_duplicates"]]),
        ("Near duplicates (verified)", [", ".join(x) for x in report["near_duplicates"]]),
        ("Unreadable files", unreadable),
        ("Skipped entries", [f"{x['key']}: {x['reason']}" for x in report["skipped"]]),
        (f"Tiny images (shorter side < {settings['min_side']} px)", report["tiny"]),
        (f"Extreme aspect ratio (> {settings['max_aspect']}:1)", report["extreme_aspect"]),
    ]
    for title, items in sections:
        lines += ["", f"## {title}: {len(items)}", ""]
        if title.startswith("Leakage") and items:
            lines += [
                "train.py keeps each set in its earliest split (train, val, calibration, test) "
                "and leaves its copies in later splits out; to keep a set elsewhere, move its "
                "files into one split folder.",
                "",
            ]
        lines += [f"- {item}" for item in items[:200]]
        if len(items) > 200:
            lines.append(f"- ... and {len(items) - 200} more (see audit.json)")
    return "\n".join(lines) + "\n"


def _sets(entries: list[dict[str, Any]], field: str) -> list[str]:
    return [", ".join(x["keys"]) + f" ({' / '.join(x[field])})" for x in entries]


def html_report(report: dict[str, Any], samples: Sequence[Sample], per_section: int = 30) -> str:
    """A self-contained HTML page: the Markdown summary's sections with thumbnails inline."""
    by_key = {s.key: s for s in samples}
    parts = [
        "<!doctype html><meta charset='utf-8'><title>WildLens dataset audit</title>",
        "<style>body{font-family:sans-serif;max-width:70em;margin:auto}figure{display:inline-block;"
        "margin:4px;width:110px;font-size:11px;word-break:break-all}img{max-width:96px}"
        ".set{border:1px solid #ccc;margin:6px 0;padding:4px}</style>",
        f"<pre>{html.escape(markdown_report(report).split('## Leakage')[0])}</pre>",
    ]
    sets = [
        ("Leakage: duplicates across splits", [x["keys"] for x in report["leakage"]]),
        ("Duplicates with different labels", [x["keys"] for x in report["label_conflicts"]]),
        ("Near duplicates", report["near_duplicates"]),
        ("Exact duplicates", report["exact_duplicates"]),
        ("Tiny images", [[k] for k in report["tiny"]]),
        ("Extreme aspect ratio", [[k] for k in report["extreme_aspect"]]),
    ]
    for title, groups in sets:
        parts.append(f"<h2>{html.escape(title)}: {len(groups)}</h2>")
        for group in groups[:per_section]:
            figures = "".join(_figure(by_key.get(key), key) for key in group)
            parts.append(f"<div class='set'>{figures}</div>")
    failures = [x for items in report["unreadable"].values() for x in items]
    parts.append(f"<h2>Unreadable files: {len(failures)}</h2><ul>")
    parts += [f"<li>{html.escape(x['key'])}: {html.escape(x['message'])}</li>" for x in failures]
    parts.append("</ul>")
    return "\n".join(parts)


def _figure(sample: Sample | None, key: str) -> str:
    caption = html.escape(key)
    if sample is None:
        return f"<figure>{caption}</figure>"
    try:
        image = load_image(sample.source, target_size=THUMBNAIL_SIZE).image
    except ImageError as error:
        return f"<figure>[{error.code}]<figcaption>{caption}</figcaption></figure>"
    image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    data = base64.b64encode(buffer.getvalue()).decode()
    image_tag = f"<img src='data:image/jpeg;base64,{data}'>"
    return f"<figure>{image_tag}<figcaption>{caption}</figcaption></figure>"


def write_report(report: dict[str, Any], samples: Sequence[Sample], out: str | Path) -> Path:
    """Write audit.json, audit.md and audit.html into folder `out`; returns the folder."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "audit.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    (out / "audit.md").write_text(markdown_report(report), encoding="utf-8")
    (out / "audit.html").write_text(html_report(report, samples), encoding="utf-8")
    return out
