import json

import numpy as np
import pytest
import torch

from wildlens.data.images import load_image
from wildlens.model.bundle.format import (
    FORMAT_VERSION,
    META_FILE,
    WEIGHTS_FILE,
    BundleError,
    load_bundle,
)
from wildlens.model.serving.predictor import Predictor
from wildlens.model.trust.together import at_least_as_careful
from wildlens.model.trust.unknown import KNN_FEATURES


def test_bundle_records_what_design_requires(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    meta = bundle.meta.to_dict()
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
    assert meta["data"]["split_by"] == "source" and meta["data"]["excluded"] == {}
    expected = {
        "model.safetensors",
        "model.onnx",
        "MODEL_CARD.md",
        "report/audit.json",
        "report/audit.md",
        "report/metrics.json",
        "report/confusion_matrix.png",
        "report/reliability.png",
        "report/confidently_wrong.jpg",
        "report/confidently_wrong.csv",
        "report/calibration_wrong.jpg",
        "report/calibration_wrong.csv",
        "report/predictions.csv",
        "report/risk_coverage.png",
        "unknown.safetensors",
    }
    assert set(meta["files"]) == expected
    # Fast mode cross-fits: train/ and val/ are one pool of 12 photos a class, every one of them
    # calibrates out of fold, and without a test split the report is cross-validated.
    counts = meta["data"]["counts"]
    assert counts == {"train": {"bone": 12, "elephant_ivory": 12, "rosewood": 12}}
    assert meta["metrics"]["calibration"]["photos"] == 36
    assert meta["metrics"]["evaluation"]["split"] == "train"
    assert meta["metrics"]["evaluation"]["calibrated"]["num_images"] == 36
    assert set(meta["routing"]) >= {"classes", "pooled", "shortlist", "unknown", "guard", "delta"}
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
    assert first.bundle["bundle_sha256"] == predictor.bundle.sha256
    # The temperature is applied: probabilities equal softmax(logits / T).
    logits = predictor.logits(images[:1])[0]
    expected = torch.softmax(torch.tensor(logits) / predictor.temperature, 0).numpy()
    assert np.allclose(sorted(first.probabilities.values()), sorted(expected), atol=1e-6)


def test_predictor_uses_the_shared_decoder(tiny_bundle, tiny_dataset):
    predictor = Predictor.from_bundle(tiny_bundle, device="cpu")
    path = next((tiny_dataset / "val").rglob("*.jpg"))
    assert predictor.load(path).facts.sha256 == load_image(path).facts.sha256


def test_forward_gives_logits_equal_to_the_plain_model_and_features(tiny_bundle, tiny_dataset):
    from wildlens.model.network.backbones import build_model

    predictor = Predictor.from_bundle(tiny_bundle, device="cpu")
    images = [predictor.load(p).image for p in sorted((tiny_dataset / "val").rglob("*.jpg"))[:3]]
    outputs = predictor.outputs(images)
    model = build_model(predictor.bundle.architecture, 3, weights="none").eval()
    model.load_state_dict(predictor.bundle.load_state_dict())
    batch = torch.from_numpy(np.stack([predictor.preprocess(i) for i in images]))
    with torch.no_grad():
        expected = model(batch).numpy()
    assert np.allclose(outputs.logits, expected, atol=1e-4)  # ONNX Runtime on a CPU
    assert outputs.features.shape == (3, model.num_features)


def test_every_prediction_says_how_it_was_decided(tiny_bundle, tiny_dataset):
    predictor = Predictor.from_bundle(tiny_bundle, device="cpu")
    image = predictor.load(next((tiny_dataset / "val" / "rosewood").glob("*.jpg"))).image
    [prediction] = predictor.predict([image])
    record = prediction.to_dict()
    for key in (
        "shortlist",
        "unknown_scores",
        "accept_threshold",
        "signals",
        "quality",
        "bundle_sha256",
    ):
        assert key in record
    assert set(record["unknown_scores"]) == {"energy", "knn_features", "knn_logits"}
    assert prediction.label in prediction.shortlist
    assert prediction.quality["min_side"] == 64


def test_a_blank_photo_is_poor_and_goes_to_review(tiny_bundle):
    from PIL import Image

    predictor = Predictor.from_bundle(tiny_bundle, device="cpu")
    [blank] = predictor.predict([Image.new("RGB", (300, 300), (120, 110, 100))])
    assert blank.decision == "review" and "poor_image" in blank.reasons


def test_several_photos_of_one_item_give_one_decision(tiny_bundle, tiny_dataset):
    from PIL import Image

    predictor = Predictor.from_bundle(tiny_bundle, device="cpu")
    photos = [
        predictor.load(p).image for p in sorted((tiny_dataset / "val" / "bone").glob("*.jpg"))[:3]
    ]
    item = predictor.predict_item([*photos, Image.new("RGB", (300, 300), "gray")])
    assert len(item.photos) == 4 and "poor_image" in item.photos[3].reasons
    assert "poor_image" not in item.combined.reasons  # the good photos carry the item
    singles = predictor.predict(photos)
    expected = np.mean([[p.probabilities[c] for c in predictor.class_ids] for p in singles], axis=0)
    assert np.allclose([item.combined.probabilities[c] for c in predictor.class_ids], expected)
    only_poor = predictor.predict_item([Image.new("RGB", (300, 300), "gray")])
    assert "poor_image" in only_poor.combined.reasons


def test_an_item_is_never_less_careful_than_its_photos(tiny_bundle, tiny_dataset, monkeypatch):
    """One photo that alone is `unknown` (a flower among ivory photos) is never outvoted by the
    mean of the others, and auto-accept needs every photo familiar; the answer names the photo."""
    from wildlens.model.trust.routing import IDENTIFIED, Decision

    predictor = Predictor.from_bundle(tiny_bundle, device="cpu")
    photos = [
        predictor.load(p).image for p in sorted((tiny_dataset / "val" / "bone").glob("*.jpg"))[:3]
    ]
    rule = predictor.policy.unknown
    name, threshold = next((k, t) for k, t in rule.thresholds.items() if np.isfinite(t))
    real = predictor.unknown_scores

    def one_foreign_photo(outputs):
        scores = real(outputs)
        if len(scores[name]) == 3:  # the item's photos: the second just over the line, the
            low = min(scores[name].min(), threshold) - 1.0  # others far inside it
            scores[name] = np.array([low, threshold + 1e-3, low])
        return scores

    monkeypatch.setattr(predictor, "unknown_scores", one_foreign_photo)
    item = predictor.predict_item(photos)
    assert item.photos[1].decision == "unknown"
    assert item.combined.decision == "unknown" and item.stopped_by == (1,)

    # Auto-accept needs every photo familiar: the second photo is past the familiarity line,
    # yet inside every unknown line.
    scores = {k: np.full(2, t - 1.0 if np.isfinite(t) else 0.0) for k, t in rule.thresholds.items()}
    far = rule.thresholds.get(KNN_FEATURES, np.inf)
    beyond = (
        (rule.familiar_threshold + far) / 2 if np.isfinite(far) else rule.familiar_threshold + 1
    )
    scores[KNN_FEATURES] = np.array([rule.familiar_threshold - 1.0, beyond])
    accepted = Decision(IDENTIFIED, (), (0,), 0.5, {})
    decision, stopped = at_least_as_careful(accepted, scores, np.ones(2, bool), predictor.policy, 0)
    assert decision.decision == "review" and decision.reasons == ("unfamiliar",)
    assert stopped == (1,)
