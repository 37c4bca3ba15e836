from collections import Counter

import numpy as np
import pytest

from data.images import load_image
from data.sources import DatasetError, dataset_splits, image_folder
from data.splits import stratified_split
from data.synthetic import CLASSES, render, write_dataset
from model.catalogue import load_catalogue
from wildlens.paths import DEFAULT_CATALOGUE


def test_every_default_catalogue_class_has_a_renderer():
    assert set(CLASSES) == set(load_catalogue(DEFAULT_CATALOGUE).ids)


def test_render_is_a_function_of_the_seed():
    a = np.asarray(render("pangolin_scale", np.random.default_rng(5), size=64))
    b = np.asarray(render("pangolin_scale", np.random.default_rng(5), size=64))
    c = np.asarray(render("pangolin_scale", np.random.default_rng(6), size=64))
    assert a.shape == (64, 64, 3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_classes_look_different():
    """Mean colour alone separates rosewood (red-brown) from ivory (cream)."""
    rng = np.random.default_rng(0)
    ivory = np.mean(
        [np.asarray(render("elephant_ivory", rng, 64)).mean((0, 1)) for _ in range(6)], 0
    )
    rosewood = np.mean([np.asarray(render("rosewood", rng, 64)).mean((0, 1)) for _ in range(6)], 0)
    assert ivory.sum() > rosewood.sum()


def test_write_dataset_tree(tmp_path):
    root = write_dataset(tmp_path, {"train": 2, "val": 1}, size=32, classes=("bone", "rosewood"))
    splits = dataset_splits(root)
    assert set(splits) == {"train", "val"}
    assert Counter(s.label for s in splits["train"]) == {"bone": 2, "rosewood": 2}
    assert splits["val"][0].key.startswith("val/")
    assert load_image(splits["val"][0].path).image.size == (32, 32)


def test_single_folder_is_one_split_and_empty_folder_is_an_error(tmp_path):
    root = write_dataset(tmp_path / "d", {"": 2}, size=32, classes=("bone",))
    assert list(dataset_splits(root)) == ["all"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no images"):
        image_folder(tmp_path / "empty")


def test_stratified_split_is_seeded_and_keeps_every_class():
    labels = ["a"] * 10 + ["b"] * 5 + ["c"] * 2 + ["d"]
    train, val = stratified_split(labels, 0.2, seed=0)
    assert sorted(train + val) == list(range(len(labels)))
    assert Counter(labels[i] for i in val) == {"a": 2, "b": 1, "c": 1}
    assert stratified_split(labels, 0.2, seed=0) == (train, val)
    assert stratified_split(labels, 0.2, seed=1) != (train, val)
