"""Audit and leakage-safe splitting on a generated tree with planted duplicates."""

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from wildlens.data.audit import audit
from wildlens.data.prepare import leakage_examples, prepare_splits
from wildlens.data.sources import dataset_splits
from wildlens.data.synthetic import render

ROOT = Path(__file__).resolve().parent.parent


def save(image: Image.Image, path: Path, quality: int = 92) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="JPEG", quality=quality)


def variants(image: Image.Image) -> dict[str, Image.Image]:
    w, h = image.size
    return {
        "resized": image.resize((w * 2 // 3, h * 2 // 3)),
        "cropped": image.crop((int(w * 0.05), int(h * 0.04), int(w * 0.96), int(h * 0.95))),
        "recompressed": Image.open(io.BytesIO(_jpeg(image, 40))).convert("RGB"),
    }


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """train/ and val/ of two classes; duplicates planted within and across splits."""
    root = tmp_path_factory.mktemp("planted")
    rng = np.random.default_rng(7)
    for split, n in (("train", 6), ("val", 3)):
        for label in ("rosewood", "bone"):
            for i in range(n):
                save(render(label, rng, 192), root / split / label / f"{label}{i}.jpg")
    base = Image.open(root / "train" / "rosewood" / "rosewood0.jpg").convert("RGB")
    copies = variants(base)
    (root / "val" / "rosewood" / "exact.jpg").write_bytes(
        (root / "train/rosewood/rosewood0.jpg").read_bytes()
    )
    save(copies["resized"], root / "val" / "rosewood" / "resized.jpg")
    save(copies["cropped"], root / "train" / "rosewood" / "cropped.jpg")
    save(copies["recompressed"], root / "train" / "bone" / "mislabelled.jpg")
    other = Image.open(root / "train" / "bone" / "bone1.jpg").convert("RGB")
    save(variants(other)["cropped"], root / "train" / "bone" / "bone1-crop.jpg")
    (root / "train" / "bone" / "broken.jpg").write_bytes(_jpeg(other, 90)[:-500])  # cut short
    (root / "train" / "bone" / "tiny.jpg").write_bytes(_jpeg(render("bone", rng, 40), 90))
    save(Image.new("RGB", (600, 130), "gray"), root / "train" / "bone" / "strip.jpg")
    return root


@pytest.fixture(scope="module")
def report(planted):
    splits, skipped = dataset_splits(planted)
    return audit([s for part in splits.values() for s in part], skipped)


def test_planted_duplicates_are_found(report):
    assert report["exact_duplicates"] == [
        ["train/rosewood/rosewood0.jpg", "val/rosewood/exact.jpg"]
    ]
    near = {frozenset(group) for group in report["near_duplicates"]}
    assert (
        frozenset(
            {
                "train/rosewood/rosewood0.jpg",
                "val/rosewood/exact.jpg",
                "val/rosewood/resized.jpg",
                "train/rosewood/cropped.jpg",
                "train/bone/mislabelled.jpg",
            }
        )
        in near
    )
    assert frozenset({"train/bone/bone1.jpg", "train/bone/bone1-crop.jpg"}) in near
    assert len(near) == 2  # no false matches among the other renders


def test_leakage_and_label_conflicts(report):
    [leak] = report["leakage"]
    assert leak["splits"] == ["train", "val"]
    assert "val/rosewood/resized.jpg" in leak["keys"]
    [conflict] = report["label_conflicts"]
    assert conflict["labels"] == ["bone", "rosewood"]


def test_unreadable_tiny_and_extreme_aspect(report):
    [(code, [failure])] = report["unreadable"].items()
    assert (code, failure["key"]) == ("truncated", "train/bone/broken.jpg")
    assert report["tiny"] == ["train/bone/tiny.jpg"]
    assert report["extreme_aspect"] == ["train/bone/strip.jpg"]
    assert report["counts"]["val"] == {"bone": 3, "rosewood": 5}
    assert report["summary"]["unreadable"] == 1


def test_crossing_duplicates_stay_in_their_earliest_split(planted):
    prepared = prepare_splits(planted, {"train": 0.8, "val": 0.2})
    assert prepared.split_by == "source"
    val = {s.key for s in prepared.splits["val"]}
    # The val copies of a training photo are left out; every other val photo stays.
    assert prepared.left_out_copies.keys() == {"val/rosewood/exact.jpg", "val/rosewood/resized.jpg"}
    assert all(copy.startswith("train/") for copy in prepared.left_out_copies.values())
    assert not val & prepared.left_out_copies.keys() and len(val) == 6
    assert "train/rosewood/rosewood0.jpg" in {s.key for s in prepared.splits["train"]}
    assert "train/bone/broken.jpg" in prepared.excluded
    assert all(s.key != "train/bone/broken.jpg" for s in prepared.splits["train"])
    examples = leakage_examples(prepared.report)
    assert "train/" in examples and "val/" in examples  # one photo of each split it crosses
    kept = prepare_splits(planted, {"train": 0.8, "val": 0.2}, allow_leakage=True)
    assert not kept.left_out_copies and len(kept.splits["val"]) == 8


def test_train_and_test_without_val_take_validation_from_train(tmp_path):
    from wildlens.data.prepare import Fractions, training_splits

    root = tmp_path / "data"
    rng = np.random.default_rng(3)
    for split, n in (("train", 10), ("test", 3)):
        for label in ("rosewood", "bone"):
            for i in range(n):
                save(render(label, rng, 96), root / split / label / f"{label}{i}.jpg")
    full = training_splits(str(root), Fractions(0.2, 0.2, 0.0), cross_fit=False)
    assert full.val and full.calibration and len(full.test) == 6
    assert full.prepared.carved == ("val", "calibration")
    assert len(full.train) + len(full.val) + len(full.calibration) == 20
    fast = training_splits(str(root), Fractions(0.2, 0.2, 0.0), cross_fit=True)
    assert len(fast.train) == 20 and len(fast.test) == 6


def test_group_split_keeps_duplicates_together(planted, tmp_path):
    flat = tmp_path / "flat"  # the same photos without split folders
    for path in planted.rglob("*.jpg"):
        label = path.parent.name
        target = flat / label / f"{path.parent.parent.name}-{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    for seed in range(4):
        prepared = prepare_splits(flat, {"train": 0.6, "val": 0.4}, seed=seed)
        where = {s.key: name for name, part in prepared.splits.items() for s in part}
        cluster = [
            "rosewood/train-rosewood0.jpg",
            "rosewood/val-exact.jpg",
            "rosewood/val-resized.jpg",
            "rosewood/train-cropped.jpg",
            "bone/train-mislabelled.jpg",
        ]
        assert len({where[k] for k in cluster}) == 1
        assert where["bone/train-bone1.jpg"] == where["bone/train-bone1-crop.jpg"]
        assert prepared.splits["val"] and prepared.splits["train"]


@pytest.mark.slow
def test_audit_command_writes_reports(planted, tmp_path):
    out = tmp_path / "audit"
    result = subprocess.run(
        [sys.executable, "-m", "wildlens", "audit", str(planted), f"out={out}", "workers=2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "1 crossing splits" in result.stdout
    report = json.loads((out / "audit.json").read_text())
    assert report["summary"]["leaking_sets"] == 1
    assert "Leakage: duplicates across splits: 1" in (out / "audit.md").read_text()
    page = (out / "audit.html").read_text()
    assert page.count("data:image/jpeg;base64,") >= 7  # thumbnails of the problem sets


def test_a_second_audit_reads_signatures_from_the_cache(planted, tmp_path, monkeypatch):
    import wildlens.data.audit as audit_module
    from wildlens.data.audit import SignatureCache

    splits, skipped = dataset_splits(planted)
    samples = [s for part in splits.values() for s in part]
    cache = SignatureCache(tmp_path / "signatures")
    first = audit(samples, skipped, cache=cache)
    calls = []

    def no_signature(image):
        calls.append(image)
        raise AssertionError("signed again although cached")

    monkeypatch.setattr(audit_module, "image_signature", no_signature)
    progress = []
    second = audit(samples, skipped, cache=cache, on_item=lambda *a: progress.append(a))
    assert second == first and calls == []  # same report, nothing decoded for signatures
    assert progress == [(i, len(samples)) for i in range(1, len(samples) + 1)]
    # A damaged cache entry is recomputed, not trusted.
    entry = next((tmp_path / "signatures").rglob("*.npz"))
    entry.write_bytes(b"damaged")
    monkeypatch.undo()
    assert audit(samples, skipped, cache=cache) == first
