"""train.py -> infer.py -> the app's predict function, as a user runs them (subprocesses)."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wildlens.model.bundle.format import load_bundle
from wildlens.model.serving.predictor import Predictor
from wildlens.ui import AppState
from wildlens.ui.config import AppConfig
from wildlens.ui.identify import identify

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}
    return subprocess.run(
        [sys.executable, str(ROOT / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )


@pytest.fixture(scope="module")
def trained(tiny_dataset, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("e2e") / "bundle"
    result = run(
        "train.py",
        f"data={tiny_dataset}",
        f"out={out}",
        "image_size=64",
        "mode=full",
        "epochs=1",
        "batch_size=8",
        "workers=1",
    )
    assert result.returncode == 0, result.stderr
    assert "bundle written to" in result.stdout
    return out


def test_train_writes_a_loadable_bundle(trained):
    bundle = load_bundle(trained)
    assert bundle.meta.config["epochs"] == 1
    assert bundle.meta.config["mode"] == "full"
    [epoch] = bundle.meta.metrics["history"]
    assert epoch["phase"] == "head" and epoch["train_loss"] > 0


def test_infer_classifies_good_files_and_reports_bad_ones(trained, tiny_dataset, tmp_path):
    photos = tmp_path / "photos"
    (photos / "nested").mkdir(parents=True)
    good = sorted((tiny_dataset / "val").rglob("*.jpg"))[:3]
    for i, path in enumerate(good):
        target = photos / ("nested" if i == 0 else "") / f"good{i}.jpg"
        target.write_bytes(path.read_bytes())
    (photos / "zero.jpg").write_bytes(b"")
    (photos / "notes.jpg").write_text("not a photo")
    (photos / "readme.txt").write_text("ignored: not an image extension")
    out = tmp_path / "predictions.csv"
    result = run("infer.py", f"bundle={trained}", f"input={photos}", f"out={out}", "top_k=2")
    assert result.returncode == 0, result.stderr
    rows = {row["path"]: row for row in csv.DictReader(out.open())}
    assert set(rows) == {"nested/good0.jpg", "good1.jpg", "good2.jpg", "zero.jpg", "notes.jpg"}
    assert rows["zero.jpg"]["status"] == "failed" and rows["zero.jpg"]["error_code"] == "empty"
    assert rows["notes.jpg"]["error_code"] == "not_an_image"
    predictor = Predictor.from_bundle(trained, device="cpu", top_k=2)
    for i in range(3):
        row = rows[f"{'nested/' if i == 0 else ''}good{i}.jpg"]
        assert row["status"] == "ok" and row["decision"] in ("identified", "review")
        [alone] = predictor.predict([predictor.load(good[i]).image])
        assert row["label_1"] == alone.label
        assert float(row["prob_1"]) == pytest.approx(alone.confidence, abs=1e-5)
        assert row["sha256"] == predictor.load(good[i]).facts.sha256
        assert row["bundle_sha256"] == predictor.bundle.sha256


def test_infer_reports_a_missing_folder_clearly(trained, tmp_path):
    result = run("infer.py", f"bundle={trained}", f"input={tmp_path / 'nope'}")
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_app_identify_function(trained, tiny_dataset, tmp_path):
    import gradio as gr

    cfg = AppConfig(data_dir=str(tmp_path / "app"))
    state = AppState(cfg, Predictor.from_bundle(trained, device="cpu", top_k=cfg.top_k), trained)
    photo = next((tiny_dataset / "val" / "rosewood").glob("*.jpg"))
    decision, confidences, gallery, table, card, status, statistics, analysis = identify(
        state, [str(photo)], True, "en"
    )
    assert len(confidences) == 3 and sum(confidences.values()) == pytest.approx(1.0)
    assert analysis.combined.decision in decision  # data-decision="..."
    [(heat_map, caption)] = gallery
    assert heat_map.size == (64, 64) and caption.startswith("1 · ")
    assert table.count("<tr data-sha256=") == 1 and "CITES appendix" in card
    assert "Not saved yet" in status and "Shift guard" in statistics
    with pytest.raises(gr.Error, match="cannot be used"):
        identify(state, [str(Path(__file__))], False, "en")  # a Python file is not a photo


def test_train_from_a_zip_archive_and_leave_out_leaked_copies(tiny_dataset, tmp_path):
    import zipfile

    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(tiny_dataset.rglob("*.jpg")):
            zf.write(path, path.relative_to(tiny_dataset).as_posix())
        leaked = next((tiny_dataset / "train" / "bone").glob("*.jpg"))
        zf.write(leaked, "val/bone/copy-of-a-training-photo.jpg")
    out = tmp_path / "bundle"
    common = [f"data={archive}", f"out={out}", "image_size=64", "epochs=1", "workers=0"]
    trained = run("train.py", *common)
    assert trained.returncode == 0, trained.stderr
    assert "left out 1 held-out photos that copy photos of an earlier split" in trained.stdout
    [line] = [x for x in trained.stdout.splitlines() if x.startswith("left out 1 held-out")]
    assert "~ val/bone/copy-of-a-training-photo.jpg" in line and "(e.g. train/bone/" in line
    bundle = load_bundle(out)
    assert bundle.meta.data["split_by"] == "source"
    assert (out / "report" / "audit.md").is_file()
