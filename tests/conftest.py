"""Shared fixtures: tiny synthetic datasets and a tiny trained bundle, made once per session."""

import os

# Before any library import: no network, no telemetry (see ../shared/API-NOTES.md).
os.environ.update(
    HF_HUB_OFFLINE="1",
    HF_HUB_DISABLE_TELEMETRY="1",
    NO_ALBUMENTATIONS_UPDATE="1",
    GRADIO_ANALYTICS_ENABLED="False",
)

import gc
import io
import warnings
from pathlib import Path

import pytest
from PIL import Image

from wildlens.common.config_loader import load_config
from wildlens.data.synthetic import write_dataset
from wildlens.model.config import TrainConfig

TINY_CLASSES = ("elephant_ivory", "rosewood", "bone")


@pytest.fixture(scope="module")
def collected_garbage():
    """Finalise earlier modules' garbage (gradio's servers and clients leave event loops and
    sockets in reference cycles) before a module that turns every warning into an error, so a
    ResourceWarning there comes from the module's own code, not from whoever ran before it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    """train/ and val/ of three classes, 64-px synthetic photos."""
    root = tmp_path_factory.mktemp("tiny") / "data"
    return write_dataset(root, {"train": 8, "val": 4}, size=64, seed=1, classes=TINY_CLASSES)


@pytest.fixture(scope="session")
def tiny_bundle(tiny_dataset, tmp_path_factory) -> Path:
    """A bundle trained for one epoch at 64 px on `tiny_dataset`."""
    from wildlens.model.workflows.train import train

    out = tmp_path_factory.mktemp("bundle") / "bundle"
    cfg = load_config(
        TrainConfig,
        [
            f"data={tiny_dataset}",
            f"out={out}",
            "image_size=64",
            "epochs=1",
            "workers=0",
            "batch_size=8",
        ],
    )
    return train(cfg, progress=False, log=lambda _: None).path


@pytest.fixture
def mixed_folder(tiny_dataset, tmp_path) -> Path:
    """Good photos (one nested), and an empty, a non-image, a truncated and a PPM file."""
    folder = tmp_path / "photos"
    (folder / "nested").mkdir(parents=True)
    good = sorted((tiny_dataset / "val").rglob("*.jpg"))[:4]
    for i, path in enumerate(good):
        (folder / ("nested" if i == 0 else "") / f"good{i}.jpg").write_bytes(path.read_bytes())
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.jpg").write_text("not a photo")
    data = good[0].read_bytes()
    (folder / "cut.jpg").write_bytes(data[: len(data) // 2])
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PPM")
    (folder / "netpbm.png").write_bytes(buffer.getvalue())
    (folder / "readme.txt").write_text("not an image extension: not an input")
    return folder


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium through Playwright (the browser tests); skips, saying why, without it."""
    from browser import CHROMIUM, CHROMIUM_ARGS, chromium_missing

    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app(tiny_bundle, tmp_path_factory):
    """The app without accounts (one person's, on localhost), for the browser tests."""
    from browser import serve

    demo, url, state = serve(tiny_bundle, tmp_path_factory.mktemp("browser-app"))
    yield url, state
    demo.close()
