"""Grad-CAM heat maps on a PyTorch copy of a bundle's network."""

import numpy as np
import pytest
import torch

from wildlens.data.synthetic import render
from wildlens.model.bundle.format import load_bundle
from wildlens.model.serving.explain import ExplainError, GradCam, crop_box, outside_mask, overlay
from wildlens.model.serving.predictor import Predictor


@pytest.fixture(scope="module")
def explainer(tiny_bundle) -> GradCam:
    return GradCam.from_bundle(load_bundle(tiny_bundle))


def photo(class_id: str, seed: int, size=(96, 72)):
    return render(class_id, np.random.default_rng(seed), size=128).resize(size)


def test_heat_map_is_the_photo_size_non_negative_and_normalised(explainer, tiny_bundle):
    image = photo("elephant_ivory", 0)
    predictor = Predictor.from_bundle(tiny_bundle, device="cpu")
    [prediction] = predictor.predict([image])
    heat = explainer.heat_map(image, predictor.class_ids.index(prediction.label))
    assert heat.shape == (72, 96) and heat.dtype == np.float32
    assert heat.min() >= 0.0 and heat.max() <= 1.0
    assert heat.max() > 0.5  # the hottest place keeps (about) the normalised peak


def test_heat_map_is_zero_where_the_network_never_looked(explainer):
    image = photo("rosewood", 1)
    heat = explainer.heat_map(image, 0)
    unseen = outside_mask(image.size, explainer.preprocessing, image.size)
    assert unseen[:, 0].all() and not unseen[36, 48]  # the sides of a landscape photo
    assert (heat[unseen] == 0).all()


def test_heat_map_changes_with_the_image_and_the_class(explainer, tiny_bundle):
    predictor = Predictor.from_bundle(tiny_bundle, device="cpu")
    ivory, rosewood = photo("elephant_ivory", 2), photo("rosewood", 3)
    maps = []
    for image in (ivory, rosewood):
        [prediction] = predictor.predict([image])
        maps.append(explainer.heat_map(image, predictor.class_ids.index(prediction.label)))
    assert maps[0].max() > 0 and maps[1].max() > 0
    assert not np.allclose(maps[0], maps[1])
    [prediction] = predictor.predict([ivory])
    least = predictor.class_ids.index(
        min(prediction.probabilities, key=prediction.probabilities.get)
    )
    assert not np.allclose(maps[0], explainer.heat_map(ivory, least))


def test_heat_map_at_display_size_keeps_the_geometry(explainer):
    image = photo("bone", 4, size=(400, 300))
    small = explainer.heat_map(image, 0, size=(200, 150))
    full = explainer.heat_map(image, 0)
    assert small.shape == (150, 200)
    assert np.abs(full[::2, ::2] - small).mean() < 0.05


def test_crop_box_is_the_centre_square_of_the_eval_transform(explainer):
    pre = explainer.preprocessing  # 64 px input, resize 73: the square is 64/73 of the short side
    left, top, width, height = crop_box((730, 365), pre, (730, 365))
    assert (width, height) == (320, 320)
    assert (left, top) == (205, 22)


def test_overlay_is_an_rgb_photo_of_the_map_size(explainer):
    image = photo("bone", 5)
    heat = explainer.heat_map(image, 0)
    shown = overlay(
        image, heat, outside=outside_mask(image.size, explainer.preprocessing, image.size)
    )
    assert shown.size == image.size and shown.mode == "RGB"


def test_a_network_without_a_spatial_map_is_refused(explainer):
    class Flat(torch.nn.Module):
        def forward_features(self, x):
            return x.mean(dim=(2, 3))

        def forward_head(self, features):
            return features

    with pytest.raises(ExplainError, match="no spatial feature map"):
        GradCam(Flat(), explainer.preprocessing).heat_map(photo("bone", 6), 0)
