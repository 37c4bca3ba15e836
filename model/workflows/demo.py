"""The embedded demo bundle: built on first use from synthetic images, then cached.

path = ensure_demo_bundle()     # trains once (a few minutes on 2 CPU cores), then instant
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from wildlens.common.config_loader import load_config
from wildlens.common.files import cache_dir, config_path
from wildlens.data import synthetic
from wildlens.data.synthetic import CLASSES, write_dataset
from wildlens.model.bundle.format import META_FILE, load_bundle
from wildlens.model.config import DemoConfig, TrainConfig

DEMO_CONFIG = config_path("demo.yaml")  # the recipe: synthetic photos per class, training keys


def demo_bundle_path(demo: DemoConfig) -> Path:
    """Cache folder of the demo bundle, keyed by the demo recipe so a new recipe rebuilds it."""
    recipe = DEMO_CONFIG.read_bytes() + Path(synthetic.__file__).read_bytes()
    key = hashlib.sha256(recipe).hexdigest()[:12]
    return Path(demo.cache_dir or cache_dir()) / f"demo-bundle-{key}"


def ensure_demo_bundle(log: Callable[[str], None] = print, progress: bool = True) -> Path:
    """The demo bundle's folder; renders the synthetic dataset and trains it when missing."""
    demo = load_config(DemoConfig, [f"config={DEMO_CONFIG}"])
    out = demo_bundle_path(demo)
    if (out / META_FILE).is_file():
        load_bundle(out)  # verifies hashes: a damaged cache is an error, not a silent retrain
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    # Two first uses at once (the app and infer.py): one builds, the other waits for it.
    with open(out.parent / f".{out.name}.lock", "w") as lock:
        if not _try_lock(lock):
            log(f"Waiting for another process building the demo bundle into {out} ...")
            fcntl.flock(lock, fcntl.LOCK_EX)
        if (out / META_FILE).is_file():
            load_bundle(out)
            return out
        _build(demo, out, log, progress)
    return out


def _try_lock(handle) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _build(demo: DemoConfig, out: Path, log: Callable[[str], None], progress: bool) -> None:
    # Imported here: training pulls in the whole training stack, which the app does not need.
    from wildlens.model.workflows.train import train

    log(f"Building the demo bundle (first run only) into {out} ...")
    with tempfile.TemporaryDirectory(prefix="wildlens-demo-") as scratch:
        data = write_dataset(
            Path(scratch) / "synthetic",
            per_class={
                "train": demo.train_per_class,
                "val": demo.val_per_class,
                "calibration": demo.calibration_per_class,
            },
            size=demo.render_size,
            seed=demo.seed,
            classes=CLASSES,
        )
        cfg = load_config(TrainConfig, [f"config={DEMO_CONFIG}", f"data={data}", f"out={out}"])
        if out.exists():
            shutil.rmtree(out)  # an incomplete earlier attempt
        train(cfg, progress=progress, log=log, demo=True)
