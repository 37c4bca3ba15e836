"""The report's list of the most confident mistakes: which files to check for a wrong label."""

import csv
import io
import shutil

import numpy as np
import pytest

from wildlens.common.config_loader import load_config
from wildlens.data.sources import Sample
from wildlens.data.synthetic import write_dataset
from wildlens.model.config import TrainConfig
from wildlens.model.evaluation.report import (
    Evaluation,
    confidently_wrong_csv,
    evaluation_files,
    worst_mistakes,
)
from wildlens.model.workflows.train import train


def evaluation(probs, labels) -> Evaluation:
    probs = np.asarray(probs, dtype=np.float64)
    samples = [Sample(key=f"photos/{i:02d}.jpg", source=b"") for i in range(len(labels))]
    return Evaluation("train", samples, np.asarray(labels), probs, probs, ["bone", "ivory"])


def rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def test_the_list_holds_only_mistakes_most_confident_first():
    e = evaluation(
        [[0.9, 0.1], [0.3, 0.7], [0.05, 0.95], [0.6, 0.4], [0.99, 0.01]],
        [0, 0, 0, 1, 1],  # right, wrong 0.7, wrong 0.95, wrong 0.6, wrong 0.99
    )
    listed = rows(confidently_wrong_csv(e))
    assert [r["key"] for r in listed] == [
        "photos/04.jpg",
        "photos/02.jpg",
        "photos/01.jpg",
        "photos/03.jpg",
    ]
    assert [r["rank"] for r in listed] == ["1", "2", "3", "4"]
    assert listed[0] == {
        "rank": "1",
        "key": "photos/04.jpg",
        "label": "ivory",
        "predicted": "bone",
        "confidence": "0.990000",
    }
    assert [r["key"] for r in rows(confidently_wrong_csv(e, count=2))] == [
        "photos/04.jpg",
        "photos/02.jpg",
    ]
    assert worst_mistakes(evaluation([[0.9, 0.1]], [0])).size == 0


def test_the_report_files_list_the_sheets_photos():
    e = evaluation([[0.2, 0.8], [0.9, 0.1]], [0, 0])
    files = evaluation_files(e, ["bone", "ivory"])
    assert [r["key"] for r in rows(files["report/confidently_wrong.csv"])] == ["photos/00.jpg"]
    assert files["report/confidently_wrong.jpg"][:2] == b"\xff\xd8"  # a JPEG


def test_the_calibration_answers_mistakes_have_their_own_list():
    """The test photos' mistakes are one list; the calibration answers' (which decide what can be
    auto-accepted) another, written only when they are given."""
    tested = evaluation([[0.2, 0.8], [0.9, 0.1]], [0, 0])
    calibrated = evaluation([[0.1, 0.9], [0.97, 0.03], [0.3, 0.7]], [0, 1, 1])
    files = evaluation_files(tested, ["bone", "ivory"], calibration=calibrated)
    assert [r["key"] for r in rows(files["report/confidently_wrong.csv"])] == ["photos/00.jpg"]
    listed = rows(files["report/calibration_wrong.csv"])
    assert [(r["key"], r["label"], r["predicted"]) for r in listed] == [
        ("photos/01.jpg", "ivory", "bone"),
        ("photos/00.jpg", "bone", "ivory"),
    ]
    assert files["report/calibration_wrong.jpg"][:2] == b"\xff\xd8"
    assert "report/calibration_wrong.csv" not in evaluation_files(tested, ["bone", "ivory"])


@pytest.mark.slow
@pytest.mark.parametrize("test_photos", [0, 6])
def test_a_mislabelled_training_photo_is_listed_first(tmp_path, test_photos):
    """A photo filed under the wrong class: fast mode answers every pool photo out of fold, so
    the model that judges it never learnt its wrong label, and it heads the calibration list,
    also when the report measures test photos (whose own list then holds test photos only)."""
    classes = ["bone", "elephant_ivory", "rosewood"]
    splits = {"train": 12} | ({"test": test_photos} if test_photos else {})
    data = write_dataset(tmp_path / "data", splits, size=64, seed=3, classes=classes)
    moved = data / "train" / "elephant_ivory" / "rosewood_0004.jpg"
    shutil.move(data / "train" / "rosewood" / "rosewood_0004.jpg", moved)
    settings = load_config(
        TrainConfig,
        [f"data={data}", f"out={tmp_path / 'bundle'}", "image_size=64", "batch_size=8",
         "workers=0", "mode=fast"],
    )  # fmt: skip
    bundle = train(settings, progress=False, log=lambda *_: None)
    report = bundle.path / "report"
    listed = rows((report / "calibration_wrong.csv").read_bytes())
    assert listed[0]["key"].endswith("elephant_ivory/rosewood_0004.jpg")
    assert (listed[0]["label"], listed[0]["predicted"]) == ("elephant_ivory", "rosewood")
    evaluated = rows((report / "confidently_wrong.csv").read_bytes())
    if test_photos:
        assert all(r["key"].startswith("test/") for r in evaluated)
    else:  # the report measures the calibration answers themselves: the same list
        assert evaluated == listed
