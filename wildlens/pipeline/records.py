"""Batch records: one per input, as evidence of what was run on what; JSONL, CSV and summary.

A record is a flat JSON object: the input's identity (`key`, `input`, `sha256`, image facts),
its `status` (`ok` / `failed` / `skipped`) with `error_code` and `error_message`, every field of
`Prediction.to_dict()` for an `ok` record (whatever fields the predictor adds: the thresholds
applied, `accept_threshold` and `unknown_threshold`, among them), and the run's provenance
(bundle identity, routing policy hash, backend, code version, time). The JSONL log is
append-only and is the source of the CSV and the summary.

    provenance = RunProvenance.of(predictor, input_path)
    record = ok_record(item, facts, prediction, provenance)
    append_records(handle, [record]); records = read_records(path)
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from wildlens.common.csv_cells import dict_writer
from wildlens.common.files import write_atomically
from wildlens.data.images import ImageFacts
from wildlens.data.sources import Skipped
from wildlens.model.bundle.format import Bundle
from wildlens.model.serving.items import item_counts, summary_line
from wildlens.model.serving.predictor import Predictor
from wildlens.model.serving.provenance import Provenance, routing_sha256
from wildlens.model.trust.routing import IDENTIFIED, REVIEW, UNKNOWN
from wildlens.pipeline.inputs import FILTERED_REASONS

OK, FAILED, SKIPPED = "ok", "failed", "skipped"
STATUSES = (OK, FAILED, SKIPPED)
DECISIONS = (IDENTIFIED, REVIEW, UNKNOWN)  # counted in every summary, zeros included
# Columns that lead every CSV row; prediction fields follow, then the run's provenance.
HEAD_COLUMNS = (
    "path",
    "sha256",
    "status",
    "error_code",
    "error_message",
    "format",
    "width",
    "height",
    "num_bytes",
)
PROVENANCE_COLUMNS = (
    "bundle_name",
    "bundle_version",
    "bundle_sha256",
    "bundle_signer",
    "routing_sha256",
    "backend",
    "model_file_sha256",
    "code_version",
    "input",
    "time",
)
# Prediction fields shown another way in the CSV: top_k as label_i / prob_i columns.
CSV_EXPANDED = frozenset({"top_k", "label", "confidence"})


@dataclass(frozen=True)
class Outputs:
    """The files of one run, named after `out` (the CSV)."""

    csv: Path

    @property
    def records(self) -> Path:
        return self.csv.with_suffix(".jsonl")

    @property
    def summary(self) -> Path:
        return self.csv.with_suffix(".summary.json")

    @property
    def review(self) -> Path:
        return self.csv.with_suffix(".review")


class RecordsError(ValueError):
    """A records file that cannot be resumed: damaged, or written by another run."""


@dataclass(frozen=True)
class RunProvenance:
    """What every record of a run says about how it was made: the model's provenance (one
    builder, `wildlens.model.serving.provenance`, for records and the app alike), the input, the
    time."""

    model: Provenance
    input: str  # absolute path of the folder, archive or list

    @classmethod
    def of(cls, predictor: Predictor, input_path: str | Path) -> RunProvenance:
        return cls(Provenance.of(predictor), str(Path(input_path).resolve()))

    def fields(self) -> dict[str, Any]:
        return {
            **self.model.fields(),
            "input": self.input,
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }


def _facts_fields(facts: ImageFacts | None) -> dict[str, Any]:
    if facts is None:
        return {"format": None, "width": None, "height": None, "num_bytes": None}
    width, height = facts.original_size
    return {"format": facts.format, "width": width, "height": height, "num_bytes": facts.num_bytes}


def ok_record(
    key: str, facts: ImageFacts, prediction: dict[str, Any], provenance: RunProvenance
) -> dict[str, Any]:
    """The record of a classified photo; `prediction` is `Prediction.to_dict()`."""
    return {
        "key": key,
        "sha256": facts.sha256,
        "status": OK,
        "error_code": None,
        "error_message": None,
        **_facts_fields(facts),
        **prediction,
        **provenance.fields(),
    }


def failed_record(
    key: str, code: str, message: str, sha256: str | None, provenance: RunProvenance
) -> dict[str, Any]:
    """The record of a photo that could not be decoded (`code` from data.images.ERROR_CODES)."""
    return {
        "key": key,
        "sha256": sha256 or None,
        "status": FAILED,
        "error_code": code,
        "error_message": message,
        **_facts_fields(None),
        **provenance.fields(),
    }


def skipped_record(item: Skipped, provenance: RunProvenance) -> dict[str, Any]:
    """The record of an archive member the data layer refused or filtered out.

    Filtered members (hidden files, other extensions) are `skipped`; a refused member (a link,
    a nested archive, too large, ...) may be a photo nobody classified, so it is `failed`.
    """
    status = SKIPPED if item.reason in FILTERED_REASONS else FAILED
    message = f"archive member not read: {item.reason}" + (
        f" ({item.detail})" if item.detail else ""
    )
    record = failed_record(item.key, item.reason, message, None, provenance)
    return {**record, "status": status}


def dumps(record: dict[str, Any]) -> str:
    # NaN and infinity are not JSON: refuse them rather than write an unreadable log.
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@contextlib.contextmanager
def open_log(path: Path) -> Iterator[tuple[BinaryIO, dict[str, dict[str, Any]]]]:
    """The log opened for appending, locked against a second run, with the records it holds.

    Raises:
        RecordsError: another process is writing this log.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise RecordsError(f"{path} is being written by another run") from error
        yield handle, read_records(path, repair=True)


def append_records(handle: BinaryIO, records: Iterable[dict[str, Any]]) -> None:
    """Append records as JSON lines and push them to disk, so a kill loses none of them."""
    data = "".join(dumps(r) + "\n" for r in records).encode("utf-8")
    if data:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def read_records(path: Path, repair: bool = False) -> dict[str, dict[str, Any]]:
    """The records of a JSONL log by key, ignoring a torn last line (a killed write).

    Args:
        path: the log.
        repair: also cut the torn line off the file, so that appending continues cleanly.
    Raises:
        RecordsError: a damaged line before the last one, or a key recorded twice.
    """
    if not path.exists():
        return {}
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if repair and end < len(data):
        with path.open("r+b") as handle:
            handle.truncate(end)
            os.fsync(handle.fileno())
    records: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(data[:end].splitlines(), start=1):
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RecordsError(
                f"{path}:{number}: damaged record ({error}); this log cannot be resumed: "
                "choose another out= (the damaged log is left as it is)"
            ) from error
        if not isinstance(record, dict) or not isinstance(record.get("key"), str):
            raise RecordsError(
                f"{path}:{number}: not a WildLens record (no key); choose another out="
            )
        if record["key"] in records:
            raise RecordsError(f"{path}:{number}: {record['key']} is recorded twice")
        records[record["key"]] = record
    return records


def recorded_photos(records: Iterable[dict[str, Any]]) -> set[str]:
    """The photos of an items=true log whose every item found has its record."""
    found: dict[str, int] = {}
    seen: Counter[str] = Counter()
    for record in records:
        if "item_of" in record:
            found[record["item_of"]] = record["items_found"]
            seen[record["item_of"]] += 1
    return {photo for photo, count in found.items() if seen[photo] >= count}


def check_resumable(records: dict[str, dict[str, Any]], bundle_sha256: str, input: str, path: Path):
    """Refuse to add records of another bundle identity or input to an existing log: every
    record of a log was decided by the same bundle.json and files."""
    for record in records.values():
        if record.get("bundle_sha256") != bundle_sha256:
            raise RecordsError(
                f"{path} holds records of another bundle identity ({record.get('bundle_sha256')}"
                f", this bundle is {bundle_sha256}): another bundle, or this one changed since "
                "(its bundle.json or a file); choose another out= to keep both runs"
            )
        if record.get("input") != input:
            raise RecordsError(
                f"{path} holds records of another input ({record.get('input')}); choose "
                "another out= to keep both runs"
            )


def csv_columns(records: Iterable[dict[str, Any]], top_k: int) -> list[str]:
    """Head columns, label_i / prob_i, every other prediction field seen, then provenance."""
    ranked = [f"{kind}_{i}" for i in range(1, top_k + 1) for kind in ("label", "prob")]
    fixed = {"key", *HEAD_COLUMNS, *PROVENANCE_COLUMNS, *CSV_EXPANDED}
    extra: dict[str, None] = {}
    for record in records:
        extra.update((k, None) for k in record if k not in fixed)
    return [*HEAD_COLUMNS, *ranked, *extra, *PROVENANCE_COLUMNS]


def csv_row(record: dict[str, Any], top_k: int) -> dict[str, str]:
    row = {("path" if k == "key" else k): _cell(v) for k, v in record.items()}
    ranked = record.get("top_k") or []
    for i in range(top_k):
        label, prob = ranked[i] if i < len(ranked) else ("", None)
        row[f"label_{i + 1}"] = label
        row[f"prob_{i + 1}"] = _cell(prob)
    return row


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, list):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def write_csv(path: Path, records: list[dict[str, Any]], top_k: int) -> None:
    """The CSV of `records`, sorted by key, written atomically."""
    ordered = sorted(records, key=lambda r: r["key"])
    buffer = io.StringIO(newline="")
    writer = dict_writer(buffer, fieldnames=csv_columns(ordered, top_k), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(csv_row(r, top_k) for r in ordered)
    write_atomically(path, buffer.getvalue().encode("utf-8"))


def summarise(
    records: list[dict[str, Any]], input_keys: list[str], bundle: Bundle, input: str
) -> dict[str, Any]:
    """Counts of every status, decision, error code, reason and label, and the run's identity.

    `missing` lists inputs without a record (none after a finished run); `not_in_input` lists
    records of keys the input no longer holds (files removed between a kill and the rerun).
    """
    keys = set(input_keys)
    recorded = {r.get("item_of") or r["key"] for r in records}  # items count as their photo
    ok = [r for r in records if r["status"] == OK]
    return {
        "input": input,
        "inputs": len(input_keys),
        "records": len(records),
        "items": sum("item_of" in r for r in records),
        "items_by_photo": items_by_photo(ok),
        "status": {s: sum(r["status"] == s for r in records) for s in STATUSES},
        "decision": {d: 0 for d in DECISIONS} | _counts(r.get("decision") for r in ok),
        # An unknown item is no class: it is counted under its decision only.
        "label": _counts(r.get("label") for r in ok if r.get("decision") != UNKNOWN),
        "reasons": _counts(reason for r in ok for reason in r.get("reasons") or []),
        "error_code": _counts(r["error_code"] for r in records if r["status"] != OK),
        "missing": sorted(keys - recorded),
        "not_in_input": sorted(recorded - keys),
        "bundle": bundle.identity,
        "routing": bundle.meta.routing,
        "routing_sha256": routing_sha256(bundle.meta.routing),
        "backend": _counts(r.get("backend") for r in ok),
        "code_version": _counts(r.get("code_version") for r in records),
    }


def items_by_photo(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """items=true: each photo's answer, its items' counts per decision and class (an unknown
    item names no class) and the line a person reads."""
    by_photo: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if "item_of" in record:
            by_photo.setdefault(record["item_of"], []).append(record)
    answers = {}
    for photo, items in sorted(by_photo.items()):
        counts = item_counts(items)
        answers[photo] = {**counts, "summary": summary_line(counts)}
    return answers


def _counts(values: Iterable[Any]) -> dict[str, int]:
    return dict(sorted(Counter(v for v in values if v is not None).items()))


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """The summary JSON with its creation time, written atomically."""
    document = {"created": datetime.now(UTC).isoformat(timespec="seconds"), **summary}
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_atomically(path, text.encode("utf-8"))
