"""The app's start-up warm-up: every answer path once on a made-up photo, nothing stored or
counted by the shift guard, the training stack loaded for the Workshop, the objects of start-up
frozen out of the garbage collector, a line printed when done, and the app started with it."""

import gc

import pytest

from wildlens import cli
from wildlens.model.serving.predictor import Predictor
from wildlens.ui import AppState, warmup
from wildlens.ui.config import AppConfig


@pytest.fixture
def state(tiny_bundle, tmp_path):
    cfg = AppConfig(data_dir=str(tmp_path / "app"))
    return AppState(cfg, Predictor.from_bundle(tiny_bundle, device="cpu"), tiny_bundle)


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()  # the rest of the test session collects as before


def test_the_made_up_table_is_found_as_its_two_items(state):
    assert warmup.warm_up(state.model, heat_map=False) == 2


def test_warm_up_stores_nothing_and_leaves_the_shift_guard_window_empty(state):
    model = state.model
    warmup.warm_up(model, heat_map=True)
    assert model.recent.guard().state()["photos"] == 0
    assert state.store.records() == []
    assert model._explainer is not None  # the heat map's explainer: built now, not at photo 1


def test_no_heat_map_builds_no_explainer(state):
    warmup.warm_up(state.model, heat_map=False)
    assert state.model._explainer is None


def test_prepare_loads_the_training_stack_freezes_and_says_so(state, monkeypatch, capsys, unfrozen):
    imported = []
    monkeypatch.setattr(warmup.importlib, "import_module", imported.append)
    gc.unfreeze()
    warmup.prepare(state.model, heat_map=False, workshop=True)
    assert imported == [warmup.TRAINING_MODULE]
    assert gc.get_freeze_count() > 0
    assert warmup.READY_LINE in capsys.readouterr().out


def test_without_the_workshop_the_training_stack_is_not_loaded(state, monkeypatch, unfrozen):
    imported = []
    monkeypatch.setattr(warmup.importlib, "import_module", imported.append)
    warmup.prepare(state.model, heat_map=False, workshop=False)
    assert imported == []


def test_a_failing_warm_up_never_stops_the_app(state, monkeypatch, capsys, caplog, unfrozen):
    def broken(*_):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(warmup, "warm_up", broken)
    warmup.prepare(state.model, heat_map=True, workshop=False)
    assert warmup.READY_LINE in capsys.readouterr().out
    [warning] = caplog.records
    assert warning.getMessage().startswith("warm-up failed (no fonts)") and not warning.exc_info


def test_the_app_command_starts_the_warm_up_on_its_model(tiny_bundle, tmp_path, monkeypatch):
    started, launched = [], []
    monkeypatch.setattr(warmup, "start", lambda *args: started.append(args))
    monkeypatch.setattr("wildlens.ui.app.launch", lambda demo, cfg: launched.append(cfg))
    cfg = AppConfig(bundle=str(tiny_bundle), data_dir=str(tmp_path / "app"), device="cpu")
    assert cli.app_command(cfg) == 0
    [(model, heat_map, workshop)] = started
    assert model.path == tiny_bundle.resolve() and (heat_map, workshop) == (True, True)
    assert launched == [cfg]


def test_a_training_stack_that_fails_to_load_still_ends_the_warm_up(
    state, monkeypatch, capsys, caplog, unfrozen
):
    def missing(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(warmup.importlib, "import_module", missing)
    warmup.prepare(state.model, heat_map=False, workshop=True)
    assert warmup.READY_LINE in capsys.readouterr().out
    [warning] = caplog.records
    assert "training stack could not be loaded" in warning.getMessage()
