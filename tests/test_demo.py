"""The embedded demo bundle: built once from synthetic images, marked as a demo, then cached."""

import pytest

import wildlens.model.workflows.demo
from wildlens.model.bundle.format import WEIGHTS_FILE, BundleError, load_bundle
from wildlens.model.serving.predictor import Predictor
from wildlens.ui import AppState, build_app
from wildlens.ui.config import AppConfig
from wildlens.ui.i18n import text

pytestmark = pytest.mark.slow


@pytest.fixture
def tiny_recipe(tmp_path, monkeypatch):
    recipe = tmp_path / "demo.yaml"
    recipe.write_text(
        f"demo:\n  train_per_class: 4\n  val_per_class: 2\n  calibration_per_class: 2\n"
        f"  render_size: 64\n  cache_dir: {tmp_path / 'cache'}\n"
        "train:\n  name: wildlens-demo\n  image_size: 64\n  epochs: 1\n  workers: 0\n"
    )
    monkeypatch.setattr(wildlens.model.workflows.demo, "DEMO_CONFIG", recipe)
    return recipe


def test_demo_bundle_is_built_once_and_marked(tiny_recipe):
    messages = []
    path = wildlens.model.workflows.demo.ensure_demo_bundle(log=messages.append, progress=False)
    bundle = load_bundle(path)
    assert bundle.is_demo and bundle.name == "wildlens-demo"
    assert len(bundle.class_ids) == 8
    assert any("Building the demo bundle" in m for m in messages)
    messages.clear()
    assert (
        wildlens.model.workflows.demo.ensure_demo_bundle(log=messages.append, progress=False)
        == path
    )
    assert messages == []  # cached: no second build


def test_two_first_uses_at_once_build_once(tiny_recipe):
    """The app and infer.py started together on a fresh machine: one builds, the other waits."""
    from concurrent.futures import ThreadPoolExecutor

    messages = []
    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(wildlens.model.workflows.demo.ensure_demo_bundle, messages.append, False)
            for _ in range(2)
        ]
        paths = {f.result() for f in futures}
    assert len(paths) == 1
    assert sum("Building the demo bundle" in m for m in messages) == 1
    load_bundle(paths.pop())


def test_a_new_recipe_gets_a_new_bundle(tiny_recipe):
    first = wildlens.model.workflows.demo.ensure_demo_bundle(log=lambda _: None, progress=False)
    tiny_recipe.write_text(tiny_recipe.read_text().replace("epochs: 1", "epochs: 2"))
    assert (
        wildlens.model.workflows.demo.ensure_demo_bundle(log=lambda _: None, progress=False)
        != first
    )


def test_a_damaged_cache_is_an_error_not_a_silent_rebuild(tiny_recipe):
    path = wildlens.model.workflows.demo.ensure_demo_bundle(log=lambda _: None, progress=False)
    (path / WEIGHTS_FILE).write_bytes(b"tampered")
    with pytest.raises(BundleError):
        wildlens.model.workflows.demo.ensure_demo_bundle(log=lambda _: None, progress=False)


def demo_banner(bundle_path, tmp_path) -> dict:
    state = AppState(
        AppConfig(data_dir=str(tmp_path)),
        Predictor.from_bundle(bundle_path, device="cpu"),
        bundle_path,
    )
    with build_app(state) as demo:
        [banner] = [
            c["props"]
            for c in demo.config["components"]
            if c["props"].get("elem_id") == "demo-banner"
        ]
    return banner


def test_the_app_says_it_is_a_demo(tiny_recipe, tiny_bundle, tmp_path):
    demo_path = wildlens.model.workflows.demo.ensure_demo_bundle(log=lambda _: None, progress=False)
    shown = demo_banner(demo_path, tmp_path / "demo")
    assert shown["visible"] is True and shown["value"] == text("en", "app.demo_banner")
    assert demo_banner(tiny_bundle, tmp_path / "real")["visible"] is False
