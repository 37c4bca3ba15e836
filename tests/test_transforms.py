import numpy as np
import pytest
import timm
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
    theirs = timm.data.create_transform(**config)(photo).numpy()
    assert ours.shape == theirs.shape == (3, 224, 224) and ours.dtype == np.float32
    # Different resamplers (cv2 area vs PIL bicubic): close, not identical.
    assert float(np.abs(ours - theirs).mean()) < 0.03


def test_eval_transform_is_deterministic_and_normalised():
    photo = Image.new("RGB", (500, 300), (255, 255, 255))
    first = apply(eval_transforms(_pre()), photo)
    assert np.array_equal(first, apply(eval_transforms(_pre()), photo))
    assert np.allclose(first, 1.0)  # (1 - 0.5) / 0.5


def test_train_transform_is_random_but_seeded():
    photo = render("bone", np.random.default_rng(0), size=256)
    a = apply(train_transforms(_pre(), seed=3), photo)
    b = apply(train_transforms(_pre(), seed=3), photo)
    c = apply(train_transforms(_pre(), seed=4), photo)
    assert a.shape == (3, 224, 224) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, c)


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
        assert out.shape == (3, 224, 224) and np.isfinite(out).all()


def test_strength_zero_is_the_eval_transform():
    photo = render("rhino_horn", np.random.default_rng(2), size=300)
    assert np.array_equal(
        apply(train_transforms(_pre(), 0.0, seed=1), photo), apply(eval_transforms(_pre()), photo)
    )


@pytest.mark.parametrize(
    "pre",
    [
        Preprocessing(224, (0.5,) * 3, (0.5,) * 3),
        Preprocessing(64, (0.5,) * 3, (0.5,) * 3, "bicubic", 0.875),
        Preprocessing(240, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), "bilinear", 0.9),
        Preprocessing(260, (0.5,) * 3, (0.5,) * 3, "area", 1.0),
    ],
)
def test_eval_transform_is_albumentations_pixel_for_pixel(pre):
    """The numpy eval transform gives the pixels training's albumentations pipeline gave (and
    bundles were calibrated on), to the last bit: shrinking, enlarging, the exact size, any
    aspect ratio."""
    rng = np.random.default_rng(4)
    shapes = [(1, 1), (3, 2000), (pre.resize_size, 700), (511, pre.resize_size), (375, 500)]
    shapes += [tuple(int(v) for v in rng.integers(1, 1500, 2)) for _ in range(15)]
    reference = train_transforms(pre, 0.0)  # SmallestMaxSize, CenterCrop, Normalize
    for height, width in shapes:
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        photo = Image.fromarray(pixels)
        ours = apply(eval_transforms(pre), photo)
        assert ours.shape == (3, pre.input_size, pre.input_size) and ours.flags.c_contiguous
        assert np.array_equal(ours, apply(reference, photo)), (height, width)


def test_eval_transform_refuses_what_is_not_rgb():
    with pytest.raises(ValueError, match="RGB"):
        eval_transforms(_pre())(Image.new("L", (300, 300)))


def test_fast_mode_views_are_light_seeded_and_model_sized():
    from wildlens.data.transforms import view_transforms

    photo = render("rosewood", np.random.default_rng(3), size=300)
    a = apply(view_transforms(_pre(), seed=1), photo)
    assert a.shape == (3, 224, 224)
    assert np.array_equal(a, apply(view_transforms(_pre(), seed=1), photo))
    assert not np.array_equal(a, apply(eval_transforms(_pre()), photo))
