"""ONNX export: in every trained bundle, equal to PyTorch, addable to old bundles, hash-checked."""

import json
import shutil

import numpy as np
import pytest

from wildlens.cli import main
from wildlens.data.synthetic import CLASSES, render
from wildlens.model.bundle.format import META_FILE, BundleError, load_bundle
from wildlens.model.network.backends import ONNX_FILE, OnnxBackend, TorchBackend
from wildlens.model.network.export import export_to_bundle
from wildlens.model.serving.predictor import Predictor


def generated_images(n: int = 12):
    """Synthetic photos of every class at several sizes and aspect ratios."""
    rng = np.random.default_rng(7)
    images = []
    for i in range(n):
        image = render(CLASSES[i % len(CLASSES)], rng, size=96 + 16 * (i % 4))
        images.append(image.resize((image.width, image.height * (2 + i % 3) // 2)))
    return images


def test_onnx_and_pytorch_agree_on_generated_images(tiny_bundle):
    onnx = Predictor.from_bundle(tiny_bundle, device="cpu", backend="onnx")
    torch_ = Predictor.from_bundle(tiny_bundle, device="cpu", backend="torch")
    assert isinstance(onnx.backend, OnnxBackend) and isinstance(torch_.backend, TorchBackend)
    assert isinstance(Predictor.from_bundle(tiny_bundle, device="cpu").backend, OnnxBackend)
    images = generated_images()
    a, b = onnx.outputs(images), torch_.outputs(images)
    assert np.abs(a.features - b.features).max() < 1e-4
    for x, y in zip(onnx.predict(images), torch_.predict(images), strict=True):
        assert x.label == y.label
        assert max(abs(x.probabilities[c] - y.probabilities[c]) for c in x.probabilities) < 1e-4


def without_onnx(bundle_path, target):
    shutil.copytree(bundle_path, target)
    (target / ONNX_FILE).unlink()
    meta = json.loads((target / META_FILE).read_text())
    del meta["files"][ONNX_FILE], meta["onnx"]
    (target / META_FILE).write_text(json.dumps(meta))
    return target


def test_an_older_bundle_gets_onnx_from_the_command_line(tiny_bundle, tmp_path, capsys):
    older = without_onnx(tiny_bundle, tmp_path / "older")
    predictor = Predictor.from_bundle(older, device="cpu")
    assert isinstance(predictor.backend, TorchBackend)  # auto falls back to PyTorch
    with pytest.raises(BundleError, match="wildlens export"):
        Predictor.from_bundle(older, device="cpu", backend="onnx")
    assert main(["export", f"bundle={older}"]) == 0
    assert "max difference from PyTorch" in capsys.readouterr().out
    bundle = load_bundle(older)
    assert ONNX_FILE in bundle.meta.files and bundle.meta.onnx["opset"] == 17
    assert bundle.meta.onnx["parity_max_abs_error"] < 1e-4
    assert isinstance(Predictor.from_bundle(older, device="cpu").backend, OnnxBackend)
    assert export_to_bundle(older).meta == bundle.meta  # a second export changes nothing


def test_an_altered_onnx_file_is_refused(tiny_bundle, tmp_path):
    altered = tmp_path / "altered"
    shutil.copytree(tiny_bundle, altered)
    data = bytearray((altered / ONNX_FILE).read_bytes())
    data[-1] ^= 1
    (altered / ONNX_FILE).write_bytes(bytes(data))
    with pytest.raises(BundleError, match="does not match its sha256"):
        load_bundle(altered)


def small_network(seed: int):
    import torch

    from wildlens.model.network.backbones import build_model

    torch.manual_seed(seed)
    return build_model("tf_efficientnet_lite0", 3, weights="none").eval()


def test_export_leaves_the_network_in_eval_mode():
    """The exporter restores its wrapper's mode; the caller's network must stay in eval mode."""
    from wildlens.model.network.export import export_onnx

    model = small_network(0)
    export_onnx(model, 64)
    assert not any(module.training for module in model.modules())


def test_parity_is_relative_to_large_outputs_and_catches_a_wrong_export():
    import torch

    from wildlens.model.network.export import PARITY_TOLERANCE, export_onnx, parity_error

    model = small_network(0)
    with torch.no_grad():  # a fast-mode head folds standardisation into large weights
        model.get_classifier().weight.mul_(1000.0)
    onnx = export_onnx(model, 64)
    _, relative = parity_error(model, onnx, 64)
    assert relative <= PARITY_TOLERANCE
    _, wrong = parity_error(small_network(1), onnx, 64)
    assert wrong > 100 * PARITY_TOLERANCE


def test_a_new_head_on_a_known_backbone_reuses_its_export(tmp_path, monkeypatch):
    """Workshop retrains change only the classifier: the cached graph gets the new weights."""
    import torch

    import wildlens.model.network.export as export
    from wildlens.model.network.export import PARITY_TOLERANCE, export_onnx, parity_error

    monkeypatch.setenv("WILDLENS_CACHE", str(tmp_path))
    first_model, second_model = small_network(0), small_network(0)
    with torch.no_grad():
        second_model.get_classifier().weight.mul_(-3.0)
        second_model.get_classifier().bias.add_(1.0)
    first = export_onnx(first_model, 64)
    exports = []
    monkeypatch.setattr(export, "_export", lambda *a: exports.append(a) or first)
    second = export_onnx(second_model, 64)
    assert exports == [] and second != first  # reused, with other weights
    assert parity_error(second_model, second, 64)[1] <= PARITY_TOLERANCE
    # Any other change to the network (a backbone weight) is a new export.
    with torch.no_grad():
        next(second_model.parameters()).add_(0.5)
    export_onnx(second_model, 64)
    assert len(exports) == 1
