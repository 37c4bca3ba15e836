"""From a dataset path to audited, leakage-safe splits, ready for training.

prepared = prepare_splits("photos/", {"train": 0.8, "val": 0.2}, seed=0)
prepared.splits["train"], prepared.report["summary"], prepared.excluded
splits = training_splits("photos/", Fractions(0.15, 0.15, 0.0), cross_fit=True)
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wildlens.data.audit import SignatureCache, audit, cluster_of, markdown_report
from wildlens.data.sources import DatasetError, Sample, Skipped, dataset_splits, open_source
from wildlens.data.splits import group_split


@dataclass(frozen=True)
class PreparedSplits:
    splits: dict[str, list[Sample]]  # split name -> readable samples
    report: dict[str, Any]  # the audit of the whole dataset
    excluded: dict[str, str]  # key -> error code of unreadable images left out
    split_by: str  # "source" (the dataset's own folders/column) or "group_split"
    # Held-out copies of photos in an earlier split, left out (key -> the key it copies).
    left_out_copies: dict[str, str] = field(default_factory=dict)
    carved: tuple[str, ...] = ()  # splits the dataset lacked, taken from its train split


# Where a set of duplicates crossing splits is kept: the earliest of its splits.
SPLIT_ORDER = ("train", "val", "calibration", "test")


def prepare_splits(
    path: str | Path,
    fractions: dict[str, float],
    seed: int = 0,
    allow_leakage: bool = False,
    workers: int = 0,
    carve: dict[str, float] | None = None,
    on_item: Callable[[int, int], None] | None = None,
) -> PreparedSplits:
    """Audit the dataset, leave out unreadable images, and split it without leakage.

    A dataset with its own splits (folders or a manifest column) keeps them; a duplicate
    cluster that crosses them stays in its earliest split and its later copies are left out
    (`held_out_copies`), unless `allow_leakage`. A dataset without splits is split
    by `fractions`, stratified by class, keeping each group (the manifest's `group`, else the
    near-duplicate cluster) in one split. `carve` names splits the source lacks and the share of
    its train split to move into each (same grouping rules), e.g. {"calibration": 0.15}.

    Raises:
        DatasetError: no readable images, or a malformed source.
    """
    found, skipped = dataset_splits(path)
    samples = [sample for split in found.values() for sample in split]
    report = audit(
        samples, skipped, workers=workers, cache=SignatureCache.default(), on_item=on_item
    )
    excluded = {r["key"]: r["error_code"] for r in report["records"] if r["error_code"]}
    readable = [s for s in samples if s.key not in excluded]
    if not readable:
        raise DatasetError(f"{path}: no readable images ({len(excluded)} unreadable)")
    if "all" not in found:
        copies = {} if allow_leakage else held_out_copies(report)
        readable = [s for s in readable if s.key not in copies]
        splits = {name: [s for s in readable if s.split == name] for name in found}
        missing = {k: v for k, v in (carve or {}).items() if not splits.get(k) and v > 0}
        if missing and splits.get("train"):
            shares = {"train": 1.0 - sum(missing.values()), **missing}
            splits.update(_split(splits["train"], shares, cluster_of(report), seed))
        return PreparedSplits(
            splits, report, excluded, "source", copies, tuple(m for m in missing if splits.get(m))
        )
    splits = _split(readable, fractions, cluster_of(report), seed)
    return PreparedSplits(splits, report, excluded, "group_split")


def held_out_copies(report: dict[str, Any]) -> dict[str, str]:
    """Each set of duplicate photos that crosses the dataset's splits stays in the earliest of
    them (train, val, calibration, test): its copies in later splits are left out, so no
    evaluation photo is a copy of a photo the model learned from (key -> the key it copies)."""
    split_of = {r["key"]: r["split"] for r in report["records"]}
    rank = {name: i for i, name in enumerate(SPLIT_ORDER)}
    copies = {}
    for leak in report["leakage"]:
        keys = sorted(leak["keys"], key=lambda k: (rank.get(split_of[k], len(rank)), k))
        first = split_of[keys[0]]
        copies.update({k: keys[0] for k in keys if split_of[k] != first})
    return copies


def leakage_examples(report: dict[str, Any], limit: int = 3) -> str:
    """A few crossing sets, one photo per split each: `test/a.jpg ~ train/b.jpg; ...`."""
    split_of = {r["key"]: r["split"] for r in report["records"]}
    examples = []
    for leak in report["leakage"][:limit]:
        per_split = {}
        for key in leak["keys"]:
            per_split.setdefault(split_of[key], key)
        examples.append(" ~ ".join(per_split.values()))
    return "; ".join(examples)


def _split(
    samples: list[Sample], fractions: dict[str, float], clusters: dict[str, int], seed: int
) -> dict[str, list[Sample]]:
    groups = [s.group or f"cluster:{clusters[s.key]}" for s in samples]
    parts = group_split([s.label for s in samples], groups, fractions, seed)
    return {name: [samples[i] for i in indices] for name, indices in parts.items()}


@dataclass(frozen=True)
class Fractions:
    """Shares of each class held out, when the dataset has no such split of its own."""

    val: float
    calibration: float
    test: float


@dataclass(frozen=True)
class TrainingSplits:
    train: list[Sample]
    val: list[Sample]  # full mode: model selection (early stopping); empty when cross-fitting
    calibration: list[Sample]  # full mode: the trust policy's photos; empty when cross-fitting
    test: list[Sample]
    class_ids: list[str]
    prepared: PreparedSplits
    cross_fit: bool  # every non-test photo trains and calibrates (out of fold)
    unknown: list[Sample] = field(default_factory=list)  # out-of-catalogue photos, for the report
    unknown_sha256: dict[str, str] = field(default_factory=dict)  # their key -> content hash

    def sha256(self) -> dict[str, str]:
        """Every readable photo's key -> sha256 of its bytes (the feature cache's key)."""
        records = self.prepared.report["records"]
        return {**{r["key"]: r["sha256"] for r in records}, **self.unknown_sha256}

    def labels(self, split: str) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.class_ids)}
        return np.array([index[s.label] for s in getattr(self, split)], dtype=np.int64)

    def groups(self, split: str) -> list[str]:
        """Each photo's group: its manifest group, else its duplicate cluster (photos of one item
        or near-copies never sit on both sides of a fold)."""
        clusters = cluster_of(self.prepared.report)
        return [s.group or f"cluster:{clusters.get(s.key, s.key)}" for s in getattr(self, split)]


def training_splits(
    source: str,
    fractions: Fractions,
    *,
    cross_fit: bool,
    seed: int = 0,
    allow_leakage: bool = False,
    workers: int = 0,
    unknown_data: str = "",
    on_item: Callable[[int, int], None] | None = None,
) -> TrainingSplits:
    """Audited, leakage-safe splits for training: the dataset's own, or a group split.

    With `cross_fit` (fast mode) every photo that is not a test photo trains and calibrates:
    the dataset's train/, val/ and calibration/ are one pool, and the trust policy is fitted out
    of fold. Otherwise (full mode) calibration photos must be ones the model was neither fitted
    nor selected on: a dataset without val/ or calibration/ gives up `fractions.val` or
    `fractions.calibration` of train for each. A test split is the dataset's test/, or
    `fractions.test` of a dataset split here.
    """
    if not source:
        raise DatasetError("no dataset given: train.py data=PATH (an ImageFolder tree)")
    held_out = fractions.val + fractions.calibration + fractions.test
    if not 0 <= fractions.test < 1 or (
        not cross_fit and (held_out >= 1 or fractions.val <= 0 or fractions.calibration <= 0)
    ):
        raise DatasetError(
            "val_fraction and calibration_fraction must be > 0, and with test_fraction below 1"
        )
    if cross_fit:
        shares, carve = {"train": 1.0 - fractions.test}, None
    else:
        shares = {
            "train": 1.0 - held_out,
            "val": fractions.val,
            "calibration": fractions.calibration,
        }
        carve = {"val": fractions.val, "calibration": fractions.calibration}
    shares["test"] = fractions.test
    prepared = prepare_splits(
        source,
        {name: f for name, f in shares.items() if f > 0},
        seed=seed,
        allow_leakage=allow_leakage,
        workers=workers,
        carve=carve,
        on_item=on_item,
    )
    parts = prepared.splits
    if cross_fit:
        pool = [s for name in ("train", "val", "calibration") for s in parts.get(name, [])]
        parts = {"train": pool, "test": parts.get("test", [])}
    train_samples = parts.get("train", [])
    if not train_samples:
        raise DatasetError(
            f"{source}: no training photos; found splits "
            f"{sorted(k for k, v in parts.items() if v)} (name folders train/ [val/ test/], "
            "or give one folder of class folders to split automatically)"
        )
    class_ids = sorted({s.label for s in train_samples})
    if len(class_ids) < 2:
        raise DatasetError(f"{source}: need at least 2 classes, found {class_ids}")
    known = set(class_ids)
    for name in ("val", "calibration"):
        unseen = sorted({s.label for s in parts.get(name, [])} - known)
        if unseen:
            raise DatasetError(f"{source}: classes {unseen} are in {name} but not in train")
    val_samples = parts.get("val", [])
    calibration = [s for s in parts.get("calibration", []) if s.label in known]
    if not cross_fit and (not val_samples or not calibration):
        raise DatasetError(
            f"{source}: need validation and calibration photos for full mode, and too few "
            "training photos to set them aside; add photos, or train with mode=fast"
        )
    test_samples = [s for s in parts.get("test", []) if s.label in known]
    unknown, unknown_sha256 = [], {}
    if unknown_data:
        unknown, unknown_sha256 = readable_photos(unknown_data, workers)
    return TrainingSplits(
        train_samples,
        val_samples,
        calibration,
        test_samples,
        class_ids,
        prepared,
        cross_fit,
        unknown,
        unknown_sha256,
    )


def readable_photos(source: str, workers: int) -> tuple[list[Sample], dict[str, str]]:
    """The photos of a source that decode, and their sha256; unreadable ones are left out."""
    samples = [s for s in open_source(source) if not isinstance(s, Skipped)]
    records = audit(samples, workers=workers, cache=SignatureCache.default())["records"]
    sha256 = {r["key"]: r["sha256"] for r in records if not r["error_code"]}
    readable = [s for s in samples if s.key in sha256]
    if not readable:
        raise DatasetError(f"{source}: no readable images ({len(samples)} unreadable)")
    return readable, sha256


def audit_files(prepared: PreparedSplits) -> dict[str, bytes]:
    """The dataset audit, for the bundle's report folder (per-image records left out)."""
    report = {k: v for k, v in prepared.report.items() if k != "records"}
    return {
        "report/audit.json": (json.dumps(report, indent=1, ensure_ascii=False) + "\n").encode(),
        "report/audit.md": markdown_report(prepared.report).encode(),
    }


def data_summary(root: str, splits: TrainingSplits) -> dict[str, Any]:
    """Counts per split and class, and a fingerprint over every file's content and label."""
    sha256 = splits.sha256()
    digest = hashlib.sha256()
    parts = {
        "train": splits.train,
        "val": splits.val,
        "calibration": splits.calibration,
        "test": splits.test,
    }
    for name, samples in parts.items():
        for sample in sorted(samples, key=lambda s: s.key):
            digest.update(f"{name}\t{sample.key}\t{sample.label}\t{sha256[sample.key]}\n".encode())
    return {
        "source": str(Path(root).resolve()),
        "fingerprint": digest.hexdigest(),
        "split_by": splits.prepared.split_by,
        "excluded": splits.prepared.excluded,
        "counts": {
            name: dict(sorted(Counter(s.label for s in samples).items()))
            for name, samples in parts.items()
            if samples
        },
    }
