import numpy as np
import pytest
import timm
import torch
from PIL import Image

from wildlens.data.synthetic import render
from wildlens.data.transforms import Preprocessing, apply, eval_transforms, train_transforms


def _pre():
    return Preprocessing(input_size=224, mean=(0.5,) * 3, std=(0.5,) * 3)


def test_eval_transform_matches_timm_eval_recipe():
    photo = render("rosewood", np.random.default_rng(0), size=300)
    ours = apply(eval_transforms(_pre()), photo)
    config = {
        "input_size": (3, 224, 224),
        "interpolation": "bicubic",
        "mean": (0.5,) * 3,
        "std": (0.5,) * 3,
        "crop_pct": 0.875,
    }
    theirs = timm.data.create_transform(**config)(photo)
    assert ours.shape == theirs.shape == (3, 224, 224)
    # Different resamplers (cv2 area vs PIL bicubic): close, not identical.
    assert float((ours - theirs).abs().mean()) < 0.03


def test_eval_transform_is_deterministic_and_normalised():
    photo = Image.new("RGB", (500, 300), (255, 255, 255))
    first = apply(eval_transforms(_pre()), photo)
    assert torch.equal(first, apply(eval_transforms(_pre()), photo))
    assert torch.allclose(first, torch.ones_like(first))  # (1 - 0.5) / 0.5


def test_train_transform_is_random_but_seeded():
    photo = render("bone", np.random.default_rng(0), size=256)
    a = apply(train_transforms(_pre(), seed=3), photo)
    b = apply(train_transforms(_pre(), seed=3), photo)
    c = apply(train_transforms(_pre(), seed=4), photo)
    assert a.shape == (3, 224, 224)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_preprocessing_round_trip():
    pre = _pre()
    assert Preprocessing.from_dict(pre.to_dict()) == pre
    assert pre.resize_size == 256


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("strength", [0.0, 0.5, 1.0, 2.0])
def test_train_pipeline_builds_and_runs_at_every_strength(strength):
    photo = render("pangolin_scale", np.random.default_rng(1), size=300)
    for seed in range(5):  # several draws: every branch of the pipeline gets a chance to run
        out = apply(train_transforms(_pre(), strength, seed=seed), photo)
        assert out.shape == (3, 224, 224) and torch.isfinite(out).all()


def test_strength_zero_is_the_eval_transform():
    photo = render("rhino_horn", np.random.default_rng(2), size=300)
    assert torch.equal(
        apply(train_transforms(_pre(), 0.0, seed=1), photo), apply(eval_transforms(_pre()), photo)
    )


def test_fast_mode_views_are_light_seeded_and_model_sized():
    from wildlens.data.transforms import view_transforms

    photo = render("rosewood", np.random.default_rng(3), size=300)
    a = apply(view_transforms(_pre(), seed=1), photo)
    assert a.shape == (3, 224, 224)
    assert torch.equal(a, apply(view_transforms(_pre(), seed=1), photo))
    assert not torch.equal(a, apply(eval_transforms(_pre()), photo))
