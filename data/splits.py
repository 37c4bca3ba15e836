"""Seeded, stratified splits: every class is represented in each part when it has enough photos.

train_idx, val_idx = stratified_split(labels, val_fraction=0.2, seed=0)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np


def stratified_split(
    labels: Sequence[str], val_fraction: float, seed: int = 0
) -> tuple[list[int], list[int]]:
    """Split indices into (train, val), class by class, reproducibly for a given seed.

    A class with n >= 2 items puts round(n * val_fraction) of them, at least 1 and at most n - 1,
    in val; a class with a single item stays in train.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    by_class: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_class[label].append(index)
    rng = np.random.default_rng(seed)
    train, val = [], []
    for label in sorted(by_class):
        indices = np.array(by_class[label])
        rng.shuffle(indices)
        n_val = (
            0
            if len(indices) < 2
            else min(max(1, round(len(indices) * val_fraction)), len(indices) - 1)
        )
        val.extend(indices[:n_val].tolist())
        train.extend(indices[n_val:].tolist())
    return sorted(train), sorted(val)
