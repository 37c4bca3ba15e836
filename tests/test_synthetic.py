import numpy as np

from wildlens.data.images import load_image
from wildlens.data.sources import dataset_splits
from wildlens.data.synthetic import CLASSES, render, write_dataset
from wildlens.model.bundle.catalogue import default_catalogue


def test_every_default_catalogue_class_has_a_renderer():
    assert set(CLASSES) == set(default_catalogue().ids)


def test_render_is_a_function_of_the_seed():
    a = np.asarray(render("pangolin_scale", np.random.default_rng(5), size=64))
    b = np.asarray(render("pangolin_scale", np.random.default_rng(5), size=64))
    c = np.asarray(render("pangolin_scale", np.random.default_rng(6), size=64))
    assert a.shape == (64, 64, 3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_classes_look_different():
    """Mean brightness alone separates cream ivory from dark red-brown rosewood."""
    rng = np.random.default_rng(0)

    def mean_colour(class_id):
        return np.mean([np.asarray(render(class_id, rng, 64)).mean((0, 1)) for _ in range(6)], 0)

    assert mean_colour("elephant_ivory").sum() > mean_colour("rosewood").sum()


def test_write_dataset_tree(tmp_path):
    root = write_dataset(tmp_path, {"train": 2, "val": 1}, size=32, classes=("bone", "rosewood"))
    splits, skipped = dataset_splits(root)
    assert set(splits) == {"train", "val"} and not skipped
    assert sorted(s.label for s in splits["train"]) == ["bone", "bone", "rosewood", "rosewood"]
    assert splits["val"][0].key.startswith("val/")
    assert load_image(splits["val"][0].source).image.size == (32, 32)
