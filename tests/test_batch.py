"""infer.py's batch pipeline: exactly one record per input, resumable, evidence-grade."""

import contextlib
import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from wildlens.cli import infer_main
from wildlens.common.config_loader import load_config
from wildlens.data.images import IMAGE_EXTENSIONS
from wildlens.model.serving.predictor import Predictor
from wildlens.pipeline.batch import run_batch
from wildlens.pipeline.config import InferConfig
from wildlens.pipeline.inputs import iter_inputs
from wildlens.pipeline.records import (
    Outputs,
    RecordsError,
    csv_columns,
    csv_row,
    open_log,
    read_records,
)
from wildlens.pipeline.stages import Sizing, auto_size

ROOT = Path(__file__).resolve().parent.parent


def good_photos(tiny_dataset: Path, n: int) -> list[Path]:
    return sorted((tiny_dataset / "val").rglob("*.jpg"))[:n]


def infer(bundle, source, out, *args) -> dict:
    cfg = load_config(
        InferConfig,
        [f"bundle={bundle}", f"input={source}", f"out={out}", "progress=false", *args],
    )
    return run_batch(cfg, log=lambda _: None)


def jsonl_keys(out: Path) -> list[str]:
    return [json.loads(line)["key"] for line in Outputs(out).records.read_text().splitlines()]


def test_one_record_per_file_and_each_as_if_classified_alone(
    tiny_bundle, tiny_dataset, mixed_folder, tmp_path
):
    out = tmp_path / "run" / "predictions.csv"
    summary = infer(tiny_bundle, mixed_folder, out, "workers=1", "batch_size=2", "top_k=2")
    keys = jsonl_keys(out)
    expected = {
        "nested/good0.jpg",
        "good1.jpg",
        "good2.jpg",
        "good3.jpg",
        "empty.jpg",
        "notes.jpg",
        "cut.jpg",
        "netpbm.png",
    }
    assert sorted(keys) == sorted(expected)  # each exactly once
    rows = {row["path"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert list(rows) == sorted(expected)  # sorted, one row each
    codes = {k: rows[k]["error_code"] for k in ("empty.jpg", "notes.jpg", "cut.jpg", "netpbm.png")}
    assert codes == {
        "empty.jpg": "empty",
        "notes.jpg": "not_an_image",
        "cut.jpg": "truncated",
        "netpbm.png": "unsupported_format",
    }
    assert summary["status"] == {"ok": 4, "failed": 4, "skipped": 0}
    assert set(summary["decision"]) == {"identified", "review", "unknown"}
    assert sum(summary["decision"].values()) == 4
    assert summary["missing"] == [] and summary["not_in_input"] == []

    predictor = Predictor.from_bundle(tiny_bundle, device="cpu", top_k=2)
    records = read_records(Outputs(out).records)
    for i, path in enumerate(good_photos(tiny_dataset, 4)):
        record = records[f"{'nested/' if i == 0 else ''}good{i}.jpg"]
        loaded = predictor.load(path)
        alone = predictor.predict([loaded.image])[0].to_dict()
        assert record["status"] == "ok" and record["sha256"] == loaded.facts.sha256
        for field in ("label", "decision", "reasons", "shortlist", "bundle_sha256"):
            assert record[field] == alone[field], field
        assert [c for c, _ in record["top_k"]] == [c for c, _ in alone["top_k"]]
        probs = [p for _, p in record["top_k"]]
        assert probs == pytest.approx([p for _, p in alone["top_k"]], abs=1e-5)
        # Evidence: who made it, with what, when.
        assert record["backend"] == "onnx/cpu/fp32"
        assert record["model_file_sha256"] == predictor.bundle.meta.files["model.onnx"]
        assert len(record["routing_sha256"]) == 64 and record["code_version"]
        assert record["input"] == str(mixed_folder.resolve()) and record["time"]


def test_rerun_is_a_no_op_and_outputs_are_identical(tiny_bundle, mixed_folder, tmp_path):
    out = tmp_path / "predictions.csv"
    infer(tiny_bundle, mixed_folder, out, "workers=0")
    first_csv, first_log = out.read_bytes(), Outputs(out).records.read_bytes()
    first = json.loads(Outputs(out).summary.read_text())
    infer(tiny_bundle, mixed_folder, out, "workers=0")
    assert out.read_bytes() == first_csv
    assert Outputs(out).records.read_bytes() == first_log
    second = json.loads(Outputs(out).summary.read_text())
    assert {**second, "created": None} == {**first, "created": None}


def test_a_torn_last_line_is_redone_once(tiny_bundle, mixed_folder, tmp_path):
    out = tmp_path / "predictions.csv"
    infer(tiny_bundle, mixed_folder, out, "workers=0")
    log = Outputs(out).records
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:3]) + lines[3][:25])  # killed in the middle of a write
    infer(tiny_bundle, mixed_folder, out, "workers=0")
    keys = jsonl_keys(out)
    assert len(keys) == len(set(keys)) == 8


def test_a_damaged_line_before_the_end_is_an_error(tiny_bundle, mixed_folder, tmp_path):
    out = tmp_path / "predictions.csv"
    infer(tiny_bundle, mixed_folder, out, "workers=0")
    log = Outputs(out).records
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join([lines[0], "{oops\n", *lines[1:]]))
    with pytest.raises(RecordsError, match=":2: damaged record"):
        infer(tiny_bundle, mixed_folder, out, "workers=0")


def test_a_log_of_another_input_is_not_resumed(tiny_bundle, mixed_folder, tiny_dataset, tmp_path):
    out = tmp_path / "predictions.csv"
    infer(tiny_bundle, mixed_folder, out, "workers=0")
    with pytest.raises(RecordsError, match="records of another input"):
        infer(tiny_bundle, tiny_dataset / "val", out, "workers=0")


def test_two_runs_cannot_write_one_log(tmp_path):
    log = tmp_path / "predictions.jsonl"
    with (
        open_log(log),
        pytest.raises(RecordsError, match="being written by another run"),
        open_log(log),
    ):
        pass


def test_archive_members_each_get_one_record(tiny_bundle, tiny_dataset, tmp_path):
    archive = tmp_path / "seizure.zip"
    good = good_photos(tiny_dataset, 2)
    with zipfile.ZipFile(archive, "w") as zf, pytest.warns(UserWarning, match="Duplicate"):
        zf.writestr("a/one.jpg", good[0].read_bytes())
        zf.writestr("a/one.jpg", good[1].read_bytes())  # the same name twice
        zf.writestr("a/one.jpg#2", good[1].read_bytes())  # and the name a repeat would get
        zf.writestr("__MACOSX/a/._one.jpg", b"resource fork")
        zf.writestr("notes.txt", b"text")
        zf.writestr("inner.zip", b"PK")
        zf.writestr("../escape.jpg", good[0].read_bytes())
    out = tmp_path / "predictions.csv"
    summary = infer(tiny_bundle, archive, out, "workers=0")
    records = read_records(Outputs(out).records)
    status = {key: (r["status"], r["error_code"]) for key, r in records.items()}
    assert status == {
        "a/one.jpg": ("ok", None),
        "a/one.jpg#2": ("ok", None),
        "a/one.jpg#2#2": ("skipped", "not_an_image_extension"),
        "__MACOSX/a/._one.jpg": ("skipped", "hidden"),
        "notes.txt": ("skipped", "not_an_image_extension"),
        "inner.zip": ("failed", "nested_archive"),
        "../escape.jpg": ("failed", "parent_reference"),
    }
    assert records["a/one.jpg#2"]["sha256"] != records["a/one.jpg"]["sha256"]
    # Read in a shuffled order, a repeated name still numbers its copies in the listed order.
    assert summary["order"]["shuffled"]
    assert records["a/one.jpg"]["sha256"] == hashlib.sha256(good[0].read_bytes()).hexdigest()
    assert summary["status"] == {"ok": 2, "failed": 2, "skipped": 3}


def test_inputs_are_shuffled_by_a_seed_the_same_way_every_time(tiny_dataset, tmp_path):
    listed = [item.key for item in iter_inputs(tiny_dataset, IMAGE_EXTENSIONS)]
    once = [item.key for item in iter_inputs(tiny_dataset, IMAGE_EXTENSIONS, 0)]
    again = [item.key for item in iter_inputs(tiny_dataset, IMAGE_EXTENSIONS, 0)]
    other = [item.key for item in iter_inputs(tiny_dataset, IMAGE_EXTENSIONS, 1)]
    assert once == again and sorted(once) == sorted(listed) and once != listed != other
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for key in listed:
            zf.writestr(key, (tiny_dataset / key).read_bytes())
    zipped = [item.key for item in iter_inputs(archive, IMAGE_EXTENSIONS, 0)]
    assert sorted(zipped) == sorted(listed) and zipped != listed


def test_a_file_list_records_missing_files(tiny_bundle, tiny_dataset, tmp_path):
    listing = tmp_path / "list.csv"
    good = good_photos(tiny_dataset, 1)[0]
    listing.write_text(f"path\n{good}\nmissing/photo.jpg\n")
    out = tmp_path / "predictions.csv"
    infer(tiny_bundle, listing, out, "workers=0")
    records = read_records(Outputs(out).records)
    assert records[str(good)]["status"] == "ok"
    assert records["missing/photo.jpg"]["error_code"] == "unreadable"


def test_strict_and_dry_run_from_the_command_line(tiny_bundle, mixed_folder, tmp_path, capsys):
    out = tmp_path / "predictions.csv"
    common = [f"bundle={tiny_bundle}", f"input={mixed_folder}", f"out={out}", "progress=false"]
    assert infer_main([*common, "--dry-run"]) == 0
    assert "to classify 8" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == [mixed_folder]  # a dry run writes nothing
    assert infer_main([*common, "workers=0"]) == 0
    assert infer_main([*common, "--strict"]) == 1
    assert "strict: 4 inputs failed" in capsys.readouterr().err


def test_review_pages_group_photos_with_thumbnails(tiny_bundle, mixed_folder, tmp_path):
    out = tmp_path / "predictions.csv"
    infer(tiny_bundle, mixed_folder, out, "workers=0", "report=true")
    review = Outputs(out).review
    index = (review / "index.html").read_text()
    assert "By decision" in index and "By predicted class" in index and "Not classified" in index
    records = read_records(Outputs(out).records).values()
    thumbs = list((review / "thumbs").rglob("*.jpg"))
    assert len(thumbs) == sum(r["status"] == "ok" for r in records) == 4
    page = (review / "status-failed-1.html").read_text()
    assert "cut.jpg" in page and "truncated" in page


def test_auto_sizing():
    cfg = InferConfig()
    assert auto_size(cfg, on_gpu=False, cores=2, pending=1000) == Sizing(2, 32, 1)
    assert auto_size(cfg, on_gpu=True, cores=16, pending=1000) == Sizing(15, 128, 0)
    assert auto_size(cfg, on_gpu=False, cores=8, pending=10).workers == 0  # one batch: in-process
    forced = InferConfig(workers=3, batch_size=7, threads=2)
    assert auto_size(forced, on_gpu=False, cores=2, pending=10) == Sizing(3, 7, 2)


def test_new_prediction_fields_flow_into_the_csv():
    record = {
        "key": "a.jpg",
        "status": "ok",
        "label": "bone",
        "top_k": [["bone", 0.9], ["rosewood", 0.1]],
        "decision": "review",
        "conformal_set": ["bone", "rosewood"],  # a field the predictor may add later
        "quality": {"blur": 0.5},
    }
    columns = csv_columns([record], top_k=2)
    assert columns.index("prob_2") < columns.index("conformal_set") < columns.index("time")
    row = csv_row(record, top_k=2)
    assert row["conformal_set"] == "bone;rosewood" and row["quality"] == '{"blur": 0.5}'
    assert (row["label_1"], row["prob_1"], row["label_2"]) == ("bone", "0.900000", "rosewood")


def test_killed_run_resumes_with_every_file_exactly_once(tiny_bundle, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(240):  # photo-sized enough that the run lasts a few seconds
        Image.effect_noise((640, 480), 40 + i % 50).convert("RGB").save(folder / f"p{i:03d}.jpg")
    out = tmp_path / "predictions.csv"
    args = [f"bundle={tiny_bundle}", f"input={folder}", f"out={out}", "progress=false"]
    command = [sys.executable, str(ROOT / "infer.py"), *args, "workers=1", "batch_size=4"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # A session of its own, so that its decode workers can be cleaned up after the kill.
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, start_new_session=True
    )
    log = Outputs(out).records
    deadline = time.monotonic() + 120
    while not (log.exists() and log.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)  # the main process only, mid-run
    process.wait()
    with contextlib.suppress(ProcessLookupError):  # none left: they exited on their own
        os.killpg(process.pid, signal.SIGKILL)  # then its orphaned decode workers
    written = log.read_bytes().count(b"\n")
    assert 0 < written < 240, "the kill should land partway"
    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    keys = jsonl_keys(out)
    assert sorted(keys) == [f"p{i:03d}.jpg" for i in range(240)]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 240 and all(row["status"] == "ok" for row in rows)


def test_a_blank_photo_in_a_batch_is_poor_as_when_classified_alone(tiny_bundle, tmp_path):
    from PIL import Image

    folder = tmp_path / "photos"
    folder.mkdir()
    Image.new("RGB", (300, 300), (128, 128, 128)).save(folder / "blank.jpg")
    out = tmp_path / "out.csv"
    infer(tiny_bundle, folder, out, "workers=1")
    record = read_records(Outputs(out).records)["blank.jpg"]
    assert record["decision"] == "review" and "poor_image" in record["reasons"]
    assert record["quality"]["contrast"] < 5
