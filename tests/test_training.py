"""The training recipe: both modes, exact resume, the report, DDP under torchrun."""

import csv
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from wildlens.common.config_loader import load_config
from wildlens.data.synthetic import write_dataset
from wildlens.model.bundle.format import load_bundle
from wildlens.model.config import TrainConfig
from wildlens.model.serving.predictor import Predictor
from wildlens.model.training.checkpoint import load_checkpoint, save_checkpoint
from wildlens.model.training.crossfit import CrossFitSettings, fit_head
from wildlens.model.training.finetune import class_weights, learning_rate_factor
from wildlens.model.training.head import head_logits
from wildlens.model.workflows.train import train

ROOT = Path(__file__).resolve().parent.parent
TINY = ["bone", "elephant_ivory", "rosewood"]


def config(data, out, *extra) -> TrainConfig:
    return load_config(
        TrainConfig,
        [f"data={data}", f"out={out}", "image_size=64", "batch_size=8", "workers=0", *extra],
    )


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["full", "fast"])
def test_one_epoch_in_each_mode_gives_a_working_bundle(tiny_dataset, tmp_path, mode):
    bundle = train(
        config(tiny_dataset, tmp_path / mode, f"mode={mode}", "epochs=1"),
        progress=False,
        log=lambda _: None,
    )
    assert bundle.meta.metrics["mode"] == mode
    counts = bundle.meta.data["counts"]
    if mode == "full":  # val/ selects the epoch, so calibration photos come out of train/
        assert counts["calibration"] == {"bone": 1, "elephant_ivory": 1, "rosewood": 1}
        assert counts["train"] == {"bone": 7, "elephant_ivory": 7, "rosewood": 7}
        assert counts["val"] == {"bone": 4, "elephant_ivory": 4, "rosewood": 4}
    else:  # fast mode cross-fits: train/ and val/ are one pool, every photo calibrates
        assert counts == {"train": {"bone": 12, "elephant_ivory": 12, "rosewood": 12}}
        cross_fit = bundle.meta.metrics["cross_fit"]
        assert cross_fit["folds"] == 5 and cross_fit["c"] in [r["c"] for r in cross_fit["search"]]
        assert bundle.meta.metrics["calibration"]["photos"] == 36
    for name in (
        "MODEL_CARD.md",
        "report/metrics.json",
        "report/confusion_matrix.png",
        "report/reliability.png",
        "report/confidently_wrong.jpg",
        "report/confidently_wrong.csv",
        "report/calibration_wrong.jpg",
        "report/calibration_wrong.csv",
        "report/predictions.csv",
    ):
        assert (bundle.path / name).is_file(), name
    if mode == "full":
        assert (bundle.path / "report" / "training_curves.png").is_file()
        assert (bundle.path / "report" / "epochs.csv").is_file()
    card = (bundle.path / "MODEL_CARD.md").read_text()
    # Cross-fitted (fast mode), the guarantee is approximate, and the card says so.
    heading = "**Guarantee.**" if mode == "full" else "**Guarantee (approximate).**"
    assert "not forensic proof" in card and heading in card
    predictor = Predictor.from_bundle(bundle.path, device="cpu")
    photo = next((tiny_dataset / "val" / "bone").glob("*.jpg"))
    [prediction] = predictor.predict([predictor.load(photo).image])
    assert prediction.label in predictor.class_ids
    assert not Path(f"{bundle.path}.partial").exists()  # the resume checkpoint is cleaned up


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["full", "fast"])
def test_out_of_catalogue_photos_are_measured_and_unreadable_ones_left_out(
    tiny_dataset, tmp_path, mode
):
    others = write_dataset(
        tmp_path / "unknown", {"": 3}, size=64, seed=5, classes=["pangolin_scale"]
    )
    (others / "pangolin_scale" / "broken.jpg").write_bytes(b"not a photo")
    bundle = train(
        config(tiny_dataset, tmp_path / mode, f"mode={mode}", "epochs=1", f"unknown_data={others}"),
        progress=False,
        log=lambda _: None,
    )
    metrics = json.loads((bundle.path / "report" / "metrics.json").read_text())
    assert metrics["unknown"]["unknown_photos"] == 3
    assert 0.0 <= metrics["unknown"]["auroc"]["combined"] <= 1.0
    assert 0.0 <= metrics["unknown"]["called_unknown"] <= 1.0


@pytest.mark.slow
def test_report_numbers_match_scikit_learn(tmp_path):
    data = write_dataset(tmp_path / "data", {"train": 8, "test": 4}, size=64, seed=2, classes=TINY)
    bundle = train(config(data, tmp_path / "bundle", "mode=fast"), progress=False, log=print)
    report = bundle.path / "report"
    metrics = json.loads((report / "metrics.json").read_text())["calibrated"]
    rows = list(csv.DictReader((report / "predictions.csv").open()))
    truth, predicted = [r["label"] for r in rows], [r["predicted"] for r in rows]
    classes = bundle.class_ids
    assert metrics["accuracy"] == pytest.approx(accuracy_score(truth, predicted))
    assert metrics["macro_f1"] == pytest.approx(
        f1_score(truth, predicted, labels=classes, average="macro", zero_division=0)
    )
    assert (
        metrics["confusion_matrix"] == confusion_matrix(truth, predicted, labels=classes).tolist()
    )
    # On a test split the report's predictions are the predictor's: the report and infer.py
    # agree (without one, the report holds each training photo's out-of-fold answer).
    assert bundle.meta.metrics["evaluation"]["split"] == "test" and len(rows) == 12
    predictor = Predictor.from_bundle(bundle.path, device="cpu")
    data_root = Path(bundle.meta.data["source"])
    for row in rows[:4]:
        [alone] = predictor.predict([predictor.load(data_root / row["key"]).image])
        assert alone.label == row["predicted"]
        assert alone.confidence == pytest.approx(float(row["confidence"]), abs=1e-4)


class Crash(RuntimeError):
    pass


@pytest.mark.slow
def test_resume_after_a_crash_equals_an_uninterrupted_run(tiny_dataset, tmp_path):
    extra = ("mode=full", "epochs=3", "warmup_epochs=1", "patience=0", "precision=fp32", "seed=5")
    whole = train(
        config(tiny_dataset, tmp_path / "whole", *extra), progress=False, log=lambda _: None
    )

    def crash_after_epoch_2(row):
        if row["epoch"] == 2:
            raise Crash("power cut")

    interrupted = config(tiny_dataset, tmp_path / "resumed", *extra)
    with pytest.raises(Crash):
        train(interrupted, progress=False, log=lambda _: None, on_epoch_end=crash_after_epoch_2)
    assert (tmp_path / "resumed.partial" / "state.json").is_file()
    messages = []
    resumed = train(interrupted, progress=False, log=messages.append)
    a = load_file(str(whole.path / "model.safetensors"))
    b = load_file(str(resumed.path / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert whole.meta.metrics["history"][-1]["val_loss"] == pytest.approx(
        resumed.meta.metrics["history"][-1]["val_loss"], abs=0
    )
    assert len(resumed.meta.metrics["history"]) == 3


@pytest.mark.slow
def test_a_checkpoint_of_another_config_is_not_resumed(tiny_dataset, tmp_path):
    cfg = config(tiny_dataset, tmp_path / "b", "mode=full", "epochs=2", "precision=fp32")
    with pytest.raises(Crash):
        train(
            cfg,
            progress=False,
            log=lambda _: None,
            on_epoch_end=lambda row: (_ for _ in ()).throw(Crash()),
        )
    changed = config(
        tiny_dataset, tmp_path / "b", "mode=full", "epochs=2", "precision=fp32", "lr=0.0005"
    )
    bundle = train(changed, progress=False, log=lambda _: None)
    assert len(bundle.meta.metrics["history"]) == 2  # started over


@pytest.mark.slow
def test_fast_mode_reuses_cached_features(tiny_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("WILDLENS_CACHE", str(tmp_path / "cache"))
    updates = []
    first = train(
        config(tiny_dataset, tmp_path / "one", "mode=fast"),
        progress=False,
        log=lambda _: None,
        on_progress=lambda *update: updates.append(update),
    )
    # The Workshop tab's bar: every stage reports, each up to its end.
    stages = list(dict.fromkeys(stage for stage, _, _ in updates))
    assert stages == [
        "checking photos",
        "features (train)",
        "fitting the head",
        "writing the bundle",
    ]
    assert updates[-1] == ("writing the bundle", 4, 4)
    assert all(done <= total for _, done, total in updates)

    import wildlens.model.training.features

    def no_backbone(*_):
        raise AssertionError("the backbone ran although every feature was cached")

    monkeypatch.setattr(wildlens.model.training.features.Embedder, "__call__", no_backbone)
    second = train(
        config(tiny_dataset, tmp_path / "two", "mode=fast"), progress=False, log=lambda _: None
    )
    a = load_file(str(first.path / "model.safetensors"))
    b = load_file(str(second.path / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    # The head's own regularisation reaches the head (and nothing else changes).
    smoothed = train(
        config(tiny_dataset, tmp_path / "smoothed", "mode=fast", "head_c=0.5"),
        progress=False,
        log=lambda _: None,
    )
    c = load_file(str(smoothed.path / "model.safetensors"))
    changed = {k for k in a if not torch.equal(a[k], c[k])}
    assert changed == {"classifier.weight", "classifier.bias"}
    # Another backbone (another input size) does not reuse them.
    with pytest.raises(AssertionError, match="backbone ran"):
        train(
            config(tiny_dataset, tmp_path / "three", "mode=fast", "image_size=72"),
            progress=False,
            log=lambda _: None,
        )


@pytest.mark.slow
def test_table_composites_train_the_head_and_are_cached(tiny_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("WILDLENS_CACHE", str(tmp_path / "cache"))
    quiet = {"progress": False, "log": lambda _: None}
    plain = train(config(tiny_dataset, tmp_path / "plain", "mode=fast"), **quiet)
    updates = []
    laid = train(
        config(tiny_dataset, tmp_path / "laid", "mode=fast", "item_composites=2"),
        on_progress=lambda *update: updates.append(update),
        **quiet,
    )
    made = laid.meta.metrics["item_composites"]
    assert made["per_photo"] == 2 and 0 < made["photos"] <= 24
    assert made["composites"] == 2 * made["photos"]
    assert "table composites" in {stage for stage, _, _ in updates}
    a = load_file(str(plain.path / "model.safetensors"))
    b = load_file(str(laid.path / "model.safetensors"))
    assert {k for k in a if not torch.equal(a[k], b[k])} == {"classifier.weight", "classifier.bias"}
    # calibration is on the photos themselves: the same photos are scored out of fold
    assert laid.meta.metrics["calibration"]["photos"] == plain.meta.metrics["calibration"]["photos"]

    import wildlens.model.training.features

    def no_backbone(*_):
        raise AssertionError("the backbone ran although every composite was cached")

    monkeypatch.setattr(wildlens.model.training.features.Embedder, "__call__", no_backbone)
    again = train(
        config(tiny_dataset, tmp_path / "again", "mode=fast", "item_composites=2"), **quiet
    )
    c = load_file(str(again.path / "model.safetensors"))
    assert all(torch.equal(b[k], c[k]) for k in b)


def test_table_composites_are_refused_in_full_mode(tiny_dataset, tmp_path):
    with pytest.raises(ValueError, match="item_composites trains fast mode"):
        train(config(tiny_dataset, tmp_path / "out", "mode=full", "item_composites=1"))


@pytest.mark.slow
def test_two_process_ddp_step_with_gloo(tiny_dataset, tmp_path):
    out = tmp_path / "ddp"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "NO_ALBUMENTATIONS_UPDATE": "1",
        "OMP_NUM_THREADS": "1",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(ROOT / "train.py"),
            f"data={tiny_dataset}",
            f"out={out}",
            "mode=full",
            "epochs=1",
            "warmup_epochs=0",
            "image_size=64",
            "batch_size=4",
            "workers=0",
            "precision=fp32",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    bundle = load_bundle(out)
    # 24 training photos, 2 processes, 4 per step: each process took 3 steps.
    assert bundle.meta.metrics["history"][0]["phase"] == "full"
    assert result.stdout.count("bundle written to") == 1  # rank 0 only


def test_class_weights_balance_the_classes():
    weights = class_weights(np.array([0, 0, 0, 1]), 3)
    assert weights[2] == 0 and weights[0] < weights[1]
    assert weights[:2].mean() == pytest.approx(1.0)
    assert weights[0] * 3 == pytest.approx(weights[1] * 1)


def test_learning_rate_schedule():
    factors = [learning_rate_factor(step, 10, 110) for step in range(110)]
    assert factors[0] < factors[9] <= 1.0
    assert factors[10] == pytest.approx(1.0)
    assert factors[-1] < 0.01
    assert all(a >= b for a, b in itertools.pairwise(factors[10:]))


def test_the_head_folds_standardisation_into_its_weights():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1, (3, 16))
    labels = np.repeat(np.arange(3), 20)
    features = (centres[labels] + rng.normal(0, 0.3, (60, 16))) * 50 + 200  # far from standard
    weight, bias = fit_head(features[:, None, :], labels, 3, 1.0, CrossFitSettings())
    assert (head_logits(features, weight, bias).argmax(1) == labels).mean() > 0.95


def test_checkpoint_round_trip_without_pickle(tmp_path):
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    model(torch.ones(1, 4)).sum().backward()
    optimizer.step()
    save_checkpoint(
        tmp_path / "ckpt",
        model=model,
        optimizer=optimizer,
        state={"epoch": 3},
        tensors={"best": {"w": torch.ones(2)}},
    )
    assert {p.suffix for p in (tmp_path / "ckpt").iterdir()} == {".safetensors", ".json"}
    fresh = torch.nn.Linear(4, 2)
    fresh_optimizer = torch.optim.AdamW(fresh.parameters(), lr=0.1)
    state = load_checkpoint(tmp_path / "ckpt", model=fresh, optimizer=fresh_optimizer)
    assert state["epoch"] == 3
    assert torch.equal(fresh.weight, model.weight)
    a, b = optimizer.state_dict(), fresh_optimizer.state_dict()
    assert all(torch.equal(a["state"][0][k], b["state"][0][k]) for k in a["state"][0])
    assert a["param_groups"][0]["betas"] == b["param_groups"][0]["betas"]


@pytest.mark.slow
def test_evaluate_command_reports_on_any_labelled_set(tiny_bundle, tiny_dataset, tmp_path):
    extra = tmp_path / "extra"
    (extra / "bone").mkdir(parents=True)
    (extra / "pangolin_scale").mkdir()
    for path in sorted((tiny_dataset / "val" / "bone").glob("*.jpg")):
        (extra / "bone" / path.name).write_bytes(path.read_bytes())
    (extra / "bone" / "broken.jpg").write_bytes(b"")
    rosewood = next((tiny_dataset / "val" / "rosewood").glob("*.jpg"))
    (extra / "pangolin_scale" / "p.jpg").write_bytes(rosewood.read_bytes())
    out = tmp_path / "report"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from wildlens.cli import main; raise SystemExit(main())",
            "evaluate",
            f"bundle={tiny_bundle}",
            f"data={extra}",
            f"out={out}",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["calibrated"]["num_images"] == 4
    assert metrics["unreadable"] == {"bone/broken.jpg": "empty"}
    assert metrics["classes_not_in_bundle"] == {"pangolin_scale": 1}
    # The same report as training's: routing, shortlist, unknown items (the other class's photo
    # plays the foreign item), the shift guard, and the plots.
    assert metrics["routing"]["photos"] == 4 and metrics["unknown"]["unknown_photos"] == 1
    assert {"shortlist", "shift_guard", "risk_coverage"} <= set(metrics)
    for plot in ("confusion_matrix.png", "reliability.png", "risk_coverage.png"):
        assert (out / plot).is_file(), plot
    assert "accuracy" in result.stdout and "auto-accepted" in result.stdout


@pytest.mark.slow
def test_decode_workers_change_nothing_but_speed(tiny_dataset, tmp_path):
    """Augmentation is seeded per photo and epoch: 0 or 2 (spawned) decode workers give the same
    weights. (Workers forked after torch has run can hang; these are spawned and kept.)"""
    extra = ("mode=full", "epochs=2", "warmup_epochs=1", "patience=0", "precision=fp32")
    in_process = train(
        config(tiny_dataset, tmp_path / "w0", *extra), progress=False, log=lambda _: None
    )
    cfg = load_config(
        TrainConfig,
        [
            f"data={tiny_dataset}",
            f"out={tmp_path / 'w2'}",
            "image_size=64",
            "batch_size=8",
            "workers=2",
            *extra,
        ],
    )
    with_workers = train(cfg, progress=False, log=lambda _: None)
    a = load_file(str(in_process.path / "model.safetensors"))
    b = load_file(str(with_workers.path / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_loaders_spawn_their_workers():
    from wildlens.data.datasets import ImageDataset, photo_loader
    from wildlens.data.transforms import Preprocessing, eval_transforms

    dataset = ImageDataset([], ["a"], eval_transforms(Preprocessing(64, (0.5,) * 3, (0.5,) * 3)))
    loader = photo_loader(dataset, batch_size=4, workers=2)
    assert loader.multiprocessing_context.get_start_method() == "spawn"
    assert loader.persistent_workers
    assert photo_loader(dataset, batch_size=4, workers=0).num_workers == 0
