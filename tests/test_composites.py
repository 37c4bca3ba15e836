"""Table composites: objects cut from single-item photos and laid on procedural tables, framed as
predict_items frames a found item; fast mode's head trained on them too (item_composites)."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from wildlens.data.composites import cut_out, table_crop
from wildlens.data.items import ITEM_MARGIN, find_items
from wildlens.data.tables import TABLE_KINDS, table_surface
from wildlens.data.transforms import Preprocessing
from wildlens.model.training.composites import composite_features
from wildlens.model.training.crossfit import CrossFitSettings, cross_fit, extra_weights
from wildlens.model.training.features import FeatureCache

OBJECT = (200, 40, 40)


def product_photo(size=(400, 300), box=(100, 60, 300, 240), background=(235, 235, 230)):
    """A single-item photo: a red ellipse with a dark stripe on a plain background."""
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    draw.ellipse(box, fill=OBJECT)
    draw.line((box[0] + 20, 150, box[2] - 20, 150), fill=(30, 30, 30), width=6)
    return np.asarray(image)


def test_an_object_on_a_plain_background_is_cut_with_its_own_shape():
    cut = cut_out(product_photo())
    assert cut is not None
    rgb, mask = cut
    assert rgb.shape[:2] == mask.shape
    assert (
        abs(rgb.shape[1] - 200) <= 6 and abs(rgb.shape[0] - 180) <= 6
    )  # the ellipse's box (blurred edge)
    ellipse = np.pi * 100 * 90
    assert abs(mask.sum() / ellipse - 1) < 0.1  # the ellipse (its edge blurred) ...
    assert mask.mean() < 0.85  # ... not its box
    assert np.abs(rgb[mask].astype(float).mean(0) - OBJECT).max() < 25


def test_a_photo_without_a_plain_background_is_not_cut():
    busy = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    assert cut_out(busy) is None
    assert cut_out(product_photo(box=(-50, -50, 450, 350))) is None  # fills the frame


@pytest.mark.parametrize("seed", range(6))
def test_a_table_crop_is_framed_as_predict_items_frames_a_found_item(seed):
    rgb, mask = cut_out(product_photo())
    crop, box = table_crop(rgb, mask, np.random.default_rng(seed))
    height, width = crop.shape[:2]
    assert height == width == round(max(box.x1 - box.x0, box.y1 - box.y0) * (1 + 2 * ITEM_MARGIN))
    assert 0 <= box.x0 < box.x1 <= width and 0 <= box.y0 < box.y1 <= height
    inside = crop[box.y0 : box.y1, box.x0 : box.x1]
    cy, cx = inside.shape[0] // 4, inside.shape[1] // 2  # inside the ellipse, above the stripe
    patch = inside[cy - 3 : cy + 4, cx - 3 : cx + 4].reshape(-1, 3).astype(float)
    assert np.abs(patch.mean(0) - OBJECT).max() < 30
    # what the finder sees in the crop is the object, where the box says
    found = find_items(crop)
    assert len(found) == 1


def test_table_crops_are_the_same_for_the_same_seed_and_differ_otherwise():
    rgb, mask = cut_out(product_photo())
    first, _ = table_crop(rgb, mask, np.random.default_rng(3))
    again, _ = table_crop(rgb, mask, np.random.default_rng(3))
    other, _ = table_crop(rgb, mask, np.random.default_rng(4))
    assert np.array_equal(first, again)
    assert first.shape != other.shape or not np.array_equal(first, other)


@pytest.mark.parametrize("kind", TABLE_KINDS)
def test_a_table_surface_has_the_size_asked_and_no_item(kind):
    surface = table_surface(kind, np.random.default_rng(0), (600, 400))
    assert surface.shape == (400, 600, 3) and surface.dtype == np.uint8
    assert find_items(surface) == []


def test_an_unknown_surface_is_refused():
    with pytest.raises(ValueError, match="unknown table surface"):
        table_surface("marble", np.random.default_rng(0), (60, 40))


def test_extra_rows_train_only_the_heads_of_folds_that_train_their_photo():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 20)
    features = rng.normal(0, 1, (40, 1, 8)) + labels[:, None, None] * 1.5
    fold_of = np.tile([0, 1], 20)
    settings = CrossFitSettings(folds=2, c_grid=(0.1,))
    plain = cross_fit(features, labels, fold_of, 2, settings)
    photos = np.flatnonzero(fold_of == 0)  # extra rows made from fold 0's photos only
    extra = (rng.normal(0, 1, (len(photos), 8)) - labels[photos, None] * 3, photos)
    mixed = cross_fit(features, labels, fold_of, 2, settings, extra=extra)
    held = fold_of == 0  # scored by fold 0's head, which never saw those rows
    assert np.allclose(plain.oof_logits[held], mixed.oof_logits[held])
    assert not np.allclose(plain.oof_logits[~held], mixed.oof_logits[~held])


def test_extra_rows_weigh_the_same_share_of_every_class():
    # Composites mostly of the rarer class (its photos were the ones on plain backgrounds).
    rows = np.repeat([0, 1], [80, 20])
    extra = np.repeat([0, 1], [5, 15])
    weights = extra_weights(rows, extra, 3)
    per_class = np.bincount(extra, weights=weights, minlength=3)
    share = len(extra) / len(rows)
    assert np.allclose(per_class[:2], [share * 80, share * 20])  # 20% of each class's rows
    assert weights.sum() == pytest.approx(len(extra))


class CountingEmbedder:
    """Stands in for the backbone: a feature from each crop's mean, and a count of the calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, batch):
        self.calls += 1
        return batch.reshape(len(batch), 3, -1).mean(2).astype(np.float32)


def test_composite_features_come_from_photos_that_cut_and_are_cached(tmp_path):
    paths = []
    for name, photo in (
        ("a", product_photo()),
        ("busy", None),
        ("b", product_photo(box=(50, 50, 250, 200))),
    ):
        if photo is None:
            photo = np.random.default_rng(1).integers(0, 256, (300, 400, 3), dtype=np.uint8)
        path = tmp_path / f"{name}.png"
        Image.fromarray(photo).save(path)
        paths.append(path)

    class Sample:
        def __init__(self, source):
            self.source = source

    samples = [Sample(p) for p in paths]
    keys = ["a" * 64, "b" * 64, "c" * 64]
    cache = FeatureCache(tmp_path / "cache")
    pre = Preprocessing(32, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    embedder = CountingEmbedder()
    made = composite_features(samples, keys, 2, 0, cache, pre, embedder, progress=False)
    assert made.features.shape == (4, 3)
    assert made.photo.tolist() == [0, 0, 2, 2]  # the busy photo gives none
    assert embedder.calls > 0
    again = CountingEmbedder()
    cached = composite_features(samples, keys, 2, 0, cache, pre, again, progress=False)
    assert again.calls == 0
    assert np.array_equal(cached.features, made.features)
    assert cached.photo.tolist() == made.photo.tolist()


def test_an_object_in_pieces_is_not_cut_and_a_speck_beside_one_is_dropped():
    """A pair photographed together (two shoes, two tusk pieces) is two items on a table, and its
    larger piece alone is not what was photographed: not cut. A speck of dust is no piece."""
    image = Image.new("RGB", (400, 300), (235, 235, 230))
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 80, 180, 220), fill=OBJECT)  # the larger of the pair
    draw.ellipse((370, 20, 374, 24), fill=(30, 30, 30))  # a speck
    rgb, _ = cut_out(np.asarray(image))
    assert abs(rgb.shape[1] - 120) <= 8 and abs(rgb.shape[0] - 140) <= 8  # the item, no speck
    draw.ellipse((220, 90, 330, 220), fill=OBJECT)  # the other of the pair, a little smaller
    assert cut_out(np.asarray(image)) is None


@pytest.mark.parametrize("seed", range(4))
def test_wood_is_streaks_along_its_planks(seed):
    """Planked wood, as a table top shows it: the grey level changes across the streaks many
    times more than along them (a contour-line pattern changes about as much either way)."""
    grey = table_surface("wood", np.random.default_rng(seed), (1200, 800)).astype(float).mean(2)
    along_width = np.abs(np.diff(grey, axis=1)).mean()
    along_height = np.abs(np.diff(grey, axis=0)).mean()
    assert max(along_width, along_height) > 5 * min(along_width, along_height)
