"""From a dataset path to audited, leakage-safe splits, ready for training.

prepared = prepare_splits("photos/", {"train": 0.8, "val": 0.2}, seed=0)
prepared.splits["train"], prepared.report["summary"], prepared.excluded
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data.audit import audit, cluster_of
from data.sources import DatasetError, Sample, dataset_splits
from data.splits import group_split


@dataclass(frozen=True)
class PreparedSplits:
    splits: dict[str, list[Sample]]  # split name -> readable samples
    report: dict[str, Any]  # the audit of the whole dataset
    excluded: dict[str, str]  # key -> error code of unreadable images left out
    split_by: str  # "source" (the dataset's own folders/column) or "group_split"


def prepare_splits(
    path: str | Path,
    fractions: dict[str, float],
    seed: int = 0,
    allow_leakage: bool = False,
    workers: int = 0,
    carve: dict[str, float] | None = None,
) -> PreparedSplits:
    """Audit the dataset, leave out unreadable images, and split it without leakage.

    A dataset with its own splits (folders or a manifest column) keeps them, but is refused when
    a duplicate cluster crosses them, unless `allow_leakage`. A dataset without splits is split
    by `fractions`, stratified by class, keeping each group (the manifest's `group`, else the
    near-duplicate cluster) in one split. `carve` names splits the source lacks and the share of
    its train split to move into each (same grouping rules), e.g. {"calibration": 0.15}.

    Raises:
        DatasetError: leakage, no readable images, or a malformed source.
    """
    found, skipped = dataset_splits(path)
    samples = [sample for split in found.values() for sample in split]
    report = audit(samples, skipped, workers=workers)
    excluded = {r["key"]: r["error_code"] for r in report["records"] if r["error_code"]}
    readable = [s for s in samples if s.key not in excluded]
    if not readable:
        raise DatasetError(f"{path}: no readable images ({len(excluded)} unreadable)")
    if "all" not in found:
        if report["leakage"] and not allow_leakage:
            examples = "; ".join(
                f"{' ~ '.join(x['keys'][:3])} ({'/'.join(x['splits'])})"
                for x in report["leakage"][:3]
            )
            raise DatasetError(
                f"{path}: {len(report['leakage'])} sets of duplicate photos cross splits, which "
                f"inflates every metric (e.g. {examples}). Move each set into one split, or pass "
                "allow_leakage=true to train anyway. Full list: wildlens audit data=" + str(path)
            )
        splits = {name: [s for s in readable if s.split == name] for name in found}
        missing = {k: v for k, v in (carve or {}).items() if not splits.get(k) and v > 0}
        if missing and splits.get("train"):
            shares = {"train": 1.0 - sum(missing.values()), **missing}
            splits.update(_split(splits["train"], shares, cluster_of(report), seed))
        return PreparedSplits(splits, report, excluded, "source")
    splits = _split(readable, fractions, cluster_of(report), seed)
    return PreparedSplits(splits, report, excluded, "group_split")


def _split(
    samples: list[Sample], fractions: dict[str, float], clusters: dict[str, int], seed: int
) -> dict[str, list[Sample]]:
    groups = [s.group or f"cluster:{clusters[s.key]}" for s in samples]
    parts = group_split([s.label for s in samples], groups, fractions, seed)
    return {name: [samples[i] for i in indices] for name, indices in parts.items()}
