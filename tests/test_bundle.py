import json

import numpy as np
import pytest
import torch

from data.images import load_image
from model.bundle import FORMAT_VERSION, META_FILE, WEIGHTS_FILE, BundleError, load_bundle
from model.predictor import Predictor


def test_bundle_records_what_design_requires(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    meta = bundle.meta
    for key in (
        "format_version",
        "name",
        "version",
        "created",
        "architecture",
        "preprocessing",
        "class_ids",
        "catalogue",
        "temperature",
        "routing",
        "data",
        "metrics",
        "config",
        "versions",
        "files",
    ):
        assert key in meta, key
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["preprocessing"]["input_size"] == 64
    assert bundle.class_ids == ["bone", "elephant_ivory", "rosewood"]
    assert bundle.catalogue.ids == bundle.class_ids
    assert set(bundle.routing.class_ids) == set(bundle.class_ids)
    assert len(meta["data"]["fingerprint"]) == 64
    assert meta["data"]["counts"]["val"] == {"bone": 4, "elephant_ivory": 4, "rosewood": 4}
    assert meta["data"]["split_by"] == "source" and meta["data"]["excluded"] == {}
    assert set(meta["files"]) == {
        "model.safetensors",
        "model.onnx",
        "report/audit.json",
        "report/audit.md",
    }
    assert meta["metrics"]["calibrated"]["num_images"] == 12
    assert len(bundle.weights_sha256) == 64


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_altered_weights_are_refused(tiny_bundle, tmp_path):
    copy = _copy(tiny_bundle, tmp_path / "b")
    with open(copy / WEIGHTS_FILE, "r+b") as handle:
        handle.seek(-4, 2)
        handle.write(b"\x00\x01\x02\x03")
    with pytest.raises(BundleError, match="does not match its sha256"):
        load_bundle(copy)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(format_version=99), "bundle format 99"),
        (lambda m: m["files"].update({"../outside": "0" * 64}), "outside the bundle"),
        (lambda m: m["files"].pop(WEIGHTS_FILE), "lists no"),
    ],
)
def test_malformed_bundle_json_is_refused(tiny_bundle, tmp_path, edit, message):
    copy = _copy(tiny_bundle, tmp_path / "b")
    meta = json.loads((copy / META_FILE).read_text())
    edit(meta)
    (copy / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(BundleError, match=message):
        load_bundle(copy)


def test_not_a_bundle(tmp_path):
    with pytest.raises(BundleError, match="not a bundle"):
        load_bundle(tmp_path)


def test_predictor_is_batch_invariant_and_calibrated(tiny_bundle, tiny_dataset):
    predictor = Predictor.from_bundle(tiny_bundle, device="cpu", top_k=2)
    paths = sorted((tiny_dataset / "val").rglob("*.jpg"))[:5]
    images = [predictor.load(p).image for p in paths]
    together = predictor.predict(images)
    alone = [predictor.predict([image])[0] for image in images]
    for a, b in zip(together, alone, strict=True):
        assert a.label == b.label
        assert a.confidence == pytest.approx(b.confidence, abs=1e-5)
    first = together[0]
    assert len(first.top_k) == 2
    assert sum(first.probabilities.values()) == pytest.approx(1.0)
    assert first.decision in ("identified", "review")
    assert first.bundle["bundle_sha256"] == predictor.bundle.weights_sha256
    # The temperature is applied: probabilities equal softmax(logits / T).
    logits = predictor.logits(images[:1])[0]
    expected = torch.softmax(torch.tensor(logits) / predictor.temperature, 0).numpy()
    assert np.allclose(sorted(first.probabilities.values()), sorted(expected), atol=1e-6)


def test_predictor_uses_the_shared_decoder(tiny_bundle, tiny_dataset):
    predictor = Predictor.from_bundle(tiny_bundle, device="cpu")
    path = next((tiny_dataset / "val").rglob("*.jpg"))
    assert predictor.load(path).facts.sha256 == load_image(path).facts.sha256


def test_forward_gives_logits_equal_to_the_plain_model_and_features(tiny_bundle, tiny_dataset):
    from model.backbones import build_model

    predictor = Predictor.from_bundle(tiny_bundle, device="cpu")
    images = [predictor.load(p).image for p in sorted((tiny_dataset / "val").rglob("*.jpg"))[:3]]
    outputs = predictor.outputs(images)
    model = build_model(predictor.bundle.architecture, 3, weights="none").eval()
    model.load_state_dict(predictor.bundle.load_state_dict())
    batch = torch.from_numpy(np.stack([predictor.preprocess(i) for i in images]))
    with torch.no_grad():
        expected = model(batch).numpy()
    assert np.allclose(outputs.logits, expected, atol=1e-5)
    assert outputs.features.shape == (3, model.num_features)
