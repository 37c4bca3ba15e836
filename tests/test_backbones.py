import os
from pathlib import Path

import gradio
import pytest
import torch
from safetensors.torch import save_file

from wildlens.data.images import load_image
from wildlens.data.transforms import Preprocessing, apply, eval_transforms
from wildlens.model.network.backbones import WeightsError, build_model

CHEETAH = Path(gradio.__file__).parent / "media_assets" / "images" / "cheetah1.jpg"
IMAGENET_CHEETAH = 293


@pytest.fixture(scope="module")
def imagenet_lite0():
    return build_model("tf_efficientnet_lite0", num_classes=1000, weights="package").eval()


def test_packaged_weights_map_onto_timm(imagenet_lite0):
    """With the ImageNet head, the cheetah photo shipped in gradio is class 293."""
    pre = Preprocessing.from_model(imagenet_lite0)
    assert pre.mean == (0.5, 0.5, 0.5)  # tf_ variant: its own preprocessing, not ImageNet's
    x = torch.from_numpy(apply(eval_transforms(pre), load_image(CHEETAH).image))[None]
    with torch.no_grad():
        probs = imagenet_lite0(x).softmax(-1)[0]
    assert int(probs.argmax()) == IMAGENET_CHEETAH
    assert float(probs[IMAGENET_CHEETAH]) > 0.5


def test_new_head_for_n_classes_keeps_pretrained_features(imagenet_lite0):
    model = build_model("tf_efficientnet_lite0", num_classes=5)
    assert model(torch.zeros(2, 3, 64, 64)).shape == (2, 5)
    assert torch.equal(model.conv_stem.weight, imagenet_lite0.conv_stem.weight)


def test_random_init_differs_from_pretrained(imagenet_lite0):
    model = build_model("tf_efficientnet_lite0", num_classes=5, weights="none")
    assert not torch.equal(model.conv_stem.weight, imagenet_lite0.conv_stem.weight)


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_local_weights_file(tmp_path, imagenet_lite0, suffix):
    path = tmp_path / f"weights{suffix}"
    state = {k: v.contiguous() for k, v in imagenet_lite0.state_dict().items()}
    save_file(state, str(path)) if suffix == ".safetensors" else torch.save(state, path)
    model = build_model("tf_efficientnet_lite0", num_classes=4, weights=str(path))
    assert torch.equal(model.conv_stem.weight, imagenet_lite0.conv_stem.weight)
    assert model.num_classes == 4


def test_local_file_of_another_architecture_is_refused(tmp_path, imagenet_lite0):
    path = tmp_path / "lite0.safetensors"
    save_file({k: v.contiguous() for k, v in imagenet_lite0.state_dict().items()}, str(path))
    with pytest.raises((WeightsError, RuntimeError)):
        build_model("tf_efficientnet_lite1", num_classes=4, weights=str(path))


def test_hub_offline_fails_fast_with_advice():
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    with pytest.raises(WeightsError, match="weights=PATH"):
        build_model("resnet18", num_classes=3, weights="auto")


@pytest.mark.parametrize(
    ("architecture", "weights", "message"),
    [
        ("not_a_model", "none", "unknown timm architecture"),
        ("resnet18", "package", "no packaged weights"),
        ("tf_efficientnet_lite0", "/no/such/file.pth", "neither one of"),
    ],
)
def test_bad_weight_requests(architecture, weights, message):
    with pytest.raises(WeightsError, match=message):
        build_model(architecture, num_classes=3, weights=weights)
