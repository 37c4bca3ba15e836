from collections import Counter

import pytest

from wildlens.data.splits import group_split

FRACTIONS = {"train": 0.6, "val": 0.2, "calibration": 0.2}


def test_every_item_lands_in_exactly_one_split():
    labels = ["a"] * 50 + ["b"] * 30
    parts = group_split(labels, None, FRACTIONS, seed=0)
    assert sorted(i for part in parts.values() for i in part) == list(range(80))


def test_stratified_shares_per_class():
    labels = ["a"] * 50 + ["b"] * 30
    parts = group_split(labels, None, FRACTIONS, seed=0)
    assert Counter(labels[i] for i in parts["train"]) == {"a": 30, "b": 18}
    assert Counter(labels[i] for i in parts["val"]) == {"a": 10, "b": 6}
    assert Counter(labels[i] for i in parts["calibration"]) == {"a": 10, "b": 6}


def test_groups_never_straddle_splits():
    labels = [f"c{i % 3}" for i in range(120)]
    groups = [f"item{i // 4}" for i in range(120)]  # 4 photos of each item
    parts = group_split(labels, groups, FRACTIONS, seed=1)
    where = {}
    for name, indices in parts.items():
        for i in indices:
            assert where.setdefault(groups[i], name) == name
    assert all(parts.values())


def test_seeded():
    labels = ["a"] * 20 + ["b"] * 20
    assert group_split(labels, None, FRACTIONS, seed=3) == group_split(labels, None, FRACTIONS, 3)
    assert group_split(labels, None, FRACTIONS, seed=3) != group_split(labels, None, FRACTIONS, 4)


def test_a_large_group_goes_whole_to_one_split():
    labels = ["a"] * 10
    groups = ["big"] * 7 + ["x", "y", "z"]
    parts = group_split(labels, groups, FRACTIONS, seed=0)
    assert set(range(7)) <= set(parts["train"])


@pytest.mark.parametrize("fractions", [{"train": 0.5, "val": 0.2}, {"train": 1.2, "val": -0.2}, {}])
def test_bad_fractions(fractions):
    with pytest.raises(ValueError):
        group_split(["a", "b"], None, fractions)
