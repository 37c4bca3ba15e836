"""The shift guard in real runs: infer.py suspends auto-accept once its photos stop looking like
the calibration photos, says so in the summary and review pages, and a resumed run keeps it;
the app does the same over its recent answers."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image
from test_batch import infer as infer_run

from wildlens.common.config_loader import load_config
from wildlens.data.synthetic import write_dataset
from wildlens.model.config import TrainConfig
from wildlens.model.trust.routing import IDENTIFIED, SHIFT_SUSPECTED
from wildlens.model.trust.shift import GuardPolicy
from wildlens.pipeline.records import Outputs, read_records
from wildlens.ui.render import shift_html
from wildlens.ui.state import RecentAnswers

pytestmark = pytest.mark.slow
CLASSES = ["elephant_ivory", "pangolin_scale", "rosewood"]  # pooled: no own targets


@pytest.fixture(scope="module")
def accepting(tmp_path_factory):
    """A bundle whose pooled threshold exists (60 out-of-fold answers: >= 45), and photos."""
    from wildlens.model.workflows.train import train

    root = tmp_path_factory.mktemp("accepting")
    data = write_dataset(root / "data", {"train": 20, "test": 12}, size=64, seed=7, classes=CLASSES)
    cfg = load_config(
        TrainConfig,
        [f"data={data}", f"out={root / 'bundle'}", "image_size=64", "workers=0", "mode=fast"],
    )
    bundle = train(cfg, progress=False, log=lambda _: None)
    assert bundle.meta.routing["pooled"]["status"] == "auto"
    return bundle.path, data


def noise_photos(folder, count, prefix):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        pixels = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{prefix}{i:03d}.png")


def test_a_run_that_stops_looking_like_the_calibration_photos_suspends_auto_accept(
    accepting, tmp_path
):
    bundle, data = accepting
    folder = tmp_path / "seizure"
    # Sorted order: 40 photos of nothing the model knows first, then 36 ordinary photos.
    noise_photos(folder, 40, "a_noise_")
    for i, photo in enumerate(sorted((data / "test").rglob("*.jpg"))):
        shutil.copy(photo, folder / f"z_good_{i:03d}.jpg")
    out = tmp_path / "run.csv"
    summary = infer_run(
        bundle, folder, out, "workers=0", "batch_size=8", "report=true", "order=input"
    )
    guard = summary["shift_guard"]
    assert guard["fired"] and guard["fired_at_key"].startswith("a_noise_")
    records = read_records(Outputs(out).records)
    good = [r for k, r in records.items() if k.startswith("z_good_")]
    assert not any(r["decision"] == IDENTIFIED for r in good)
    assert sum(SHIFT_SUSPECTED in r["reasons"] for r in good) >= 20  # they would be identified
    assert "Shift suspected" in (Outputs(out).review / "index.html").read_text()
    assert json.loads(Outputs(out).summary.read_text())["shift_guard"]["fired"]

    # The same photos with the guard off: the good ones are answered, the guard still reports.
    off = infer_run(
        bundle, folder, tmp_path / "off.csv", "workers=0", "shift_guard=false", "order=input"
    )
    assert off["shift_guard"]["fired"] and off["decision"][IDENTIFIED] >= 20
    assert SHIFT_SUSPECTED not in off["reasons"]


def test_a_resumed_run_keeps_a_guard_that_had_fired(accepting, tmp_path):
    bundle, data = accepting
    folder = tmp_path / "seizure"
    noise_photos(folder, 40, "a_noise_")
    out = tmp_path / "run.csv"
    first = infer_run(bundle, folder, out, "workers=0", "order=input")
    assert first["shift_guard"]["fired"]
    # More photos arrive (the run goes on where it stopped): ordinary ones, after the alarm.
    for i, photo in enumerate(sorted((data / "test").rglob("*.jpg"))):
        shutil.copy(photo, folder / f"z_good_{i:03d}.jpg")
    second = infer_run(bundle, folder, out, "workers=0", "order=input")
    records = read_records(Outputs(out).records)
    good = [r for k, r in records.items() if k.startswith("z_good_")]
    assert len(good) == 36 and not any(r["decision"] == IDENTIFIED for r in good)
    assert second["shift_guard"]["fired_at_key"] == first["shift_guard"]["fired_at_key"]


def test_a_clean_folder_sorted_its_worst_way_is_not_taken_for_a_shift(accepting, tmp_path):
    """The guard's bound assumes random order; folders come sorted (by class, by case). Clean
    photos named so that the least typical come first fire a guard that watches them as listed;
    infer.py's default order (a seeded shuffle, recorded in the summary) does not."""
    bundle, data = accepting
    photos = sorted(data.rglob("*.jpg"))  # every photo of the training set's source: clean
    plain = tmp_path / "plain"
    plain.mkdir()
    for i, photo in enumerate(photos):
        shutil.copy(photo, plain / f"{i:03d}.jpg")
    infer_run(bundle, plain, tmp_path / "probe.csv", "workers=0", "order=input")
    records = read_records(Outputs(tmp_path / "probe.csv").records)
    worst_first = sorted(records.values(), key=lambda r: -r["signals"]["atypicality"])
    folder = tmp_path / "sorted"
    folder.mkdir()
    for rank, record in enumerate(worst_first):
        shutil.copy(plain / record["key"], folder / f"{rank:03d}.jpg")
    listed = infer_run(bundle, folder, tmp_path / "listed.csv", "workers=0", "order=input")
    assert listed["shift_guard"]["fired"]  # sorted, the same clean photos look like a shift
    assert listed["order"] == {"shuffled": False, "seed": None}
    shuffled = infer_run(bundle, folder, tmp_path / "shuffled.csv", "workers=0")
    assert not shuffled["shift_guard"]["fired"] and shuffled["order"]["shuffled"]
    # Listed, the typical photos after the alarm lost their automatic answers.
    assert shuffled["decision"][IDENTIFIED] > listed["decision"].get(IDENTIFIED, 0)


def test_the_app_pauses_auto_accept_while_its_recent_answers_look_unlike_calibration():
    policy = GuardPolicy(
        {"unknown": 0.05, "low_confidence": 0.2, "atypicality": 0.5}, 500, 0.03, 0.05, window=30
    )
    recent = RecentAnswers(policy)
    ordinary = {"unknown": False, "low_confidence": False, "atypicality": 0.3}
    unlike = {"unknown": True, "low_confidence": True, "atypicality": 1.0}
    for _ in range(30):
        recent.add(ordinary)
    assert not recent.suspended()
    for _ in range(12):
        recent.add(unlike)
    assert recent.suspended()
    state = {**recent.guard().state(), "enabled": True}
    assert 'data-shift="suspended"' in shift_html(state, "en")
    assert "自动" in shift_html(state, "zh")  # in every language of the page
    for _ in range(30):  # the window moves on: answers like the calibration photos again
        recent.add(ordinary)
    assert not recent.suspended()
    assert not RecentAnswers(policy, enabled=False).suspended()
