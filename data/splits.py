"""Seeded, stratified splits that keep every group (seizure, case, item, near-duplicate cluster)
inside one split, so photos of one item never sit on both sides of an evaluation.

    parts = group_split(labels, groups, {"train": 0.7, "val": 0.15, "calibration": 0.15}, seed=0)
    parts["val"]  # sorted indices
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence

import numpy as np


def group_split(
    labels: Sequence[str],
    groups: Sequence[Hashable] | None,
    fractions: dict[str, float],
    seed: int = 0,
) -> dict[str, list[int]]:
    """Assign whole groups to splits, class by class, so each class is split in `fractions`.

    Args:
        labels: class of each item.
        groups: group of each item (None: every item is its own group). A group's class is the
            most common class among its items.
        fractions: split name -> share of each class's items, summing to 1; the first split
            receives what rounding leaves.
        seed: the assignment is a function of the seed and the data.
    Returns:
        Split name -> sorted item indices (every split in `fractions` is a key).
    """
    if not fractions or any(f < 0 for f in fractions.values()):
        raise ValueError(f"fractions must be non-negative, got {fractions}")
    if abs(sum(fractions.values()) - 1.0) > 1e-6:
        raise ValueError(f"fractions must sum to 1, got {sum(fractions.values()):.3f}")
    if groups is None:
        groups = list(range(len(labels)))
    if len(groups) != len(labels):
        raise ValueError("labels and groups differ in length")
    members: dict[Hashable, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        members[group].append(index)
    by_class: dict[str, list[Hashable]] = defaultdict(list)
    for group, indices in members.items():
        counts = Counter(labels[i] for i in indices)
        top = max(sorted(counts), key=lambda label: counts[label])
        by_class[top].append(group)
    rng = np.random.default_rng(seed)
    names = list(fractions)
    parts: dict[str, list[int]] = {name: [] for name in names}
    for label in sorted(by_class):
        class_groups = sorted(by_class[label], key=str)
        rng.shuffle(class_groups)
        # Largest groups first (stable after the shuffle), so small ones can fill the gaps.
        class_groups.sort(key=lambda g: -len(members[g]))
        total = sum(len(members[g]) for g in class_groups)
        assigned = dict.fromkeys(names, 0)
        for group in class_groups:
            deficit = {n: fractions[n] * total - assigned[n] for n in names}
            target = max(names, key=lambda n: (deficit[n], -names.index(n)))
            parts[target].extend(members[group])
            assigned[target] += len(members[group])
    return {name: sorted(indices) for name, indices in parts.items()}
