"""What the app holds between requests: the active model, the review store, its folders.

    state = AppState(cfg, predictor, bundle_path)
    model = state.model                 # one snapshot per request: never two models in one answer
    state.switch("workshop-20260301-101500")   # load (hash-checked), then swap under a lock

The active model is shared by every user of the app; switching it (workshop) is atomic: a
request that started on the old model finishes on it, and its record names that model.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wildlens.common.config_loader import ConfigError
from wildlens.model.bundle.format import META_FILE, Bundle, BundleError, BundleMeta, load_bundle
from wildlens.model.bundle.signing import SigningError, sign_text, trusted_key_ids
from wildlens.model.serving.explain import GradCam
from wildlens.model.serving.predictor import Predictor
from wildlens.model.serving.provenance import Provenance, code_version
from wildlens.model.trust.shift import GuardPolicy, ShiftGuard
from wildlens.review.store import ReviewStore
from wildlens.ui.config import AppConfig

STARTUP = "startup"  # the key of the bundle the app was started with


class RecentAnswers:
    """The app's shift guard: the signals of the last `window` answers of one model (every
    session's), tested as a run of infer.py is (`wildlens.model.trust.shift`). While that window
    looks unlike the calibration photos, auto-accept is suspended; it resumes once the window
    does again. A sliding window is a monitor, not a one-off test: over many windows false alarms
    add up beyond alpha, which only sends more answers to an expert."""

    def __init__(self, policy: GuardPolicy, enabled: bool = True):
        self.policy = policy
        self.enabled = enabled
        self._signals: deque[dict[str, bool]] = deque(maxlen=max(1, policy.window))
        self._lock = threading.Lock()

    def guard(self) -> ShiftGuard:
        with self._lock:
            return ShiftGuard.over(self.policy, list(self._signals))

    def suspended(self) -> bool:
        return self.enabled and self.guard().fired

    def add(self, signals: dict[str, bool]) -> None:
        with self._lock:
            self._signals.append(dict(signals))


def limit_torch_threads(threads: int) -> None:
    """PyTorch's CPU threads for heat maps and workshop training, set when they first need torch
    (the answer path runs on ONNX Runtime and never imports it).

    Requests run side by side in threads. A PyTorch op split over every core waits for its
    slowest thread, and on a busy machine that thread waits for a core: on 2 shared cores heat
    maps took many times longer with 2 threads than with 1 (see docs/benchmarks.md, "The app:
    answer time and load").
    """
    if threads > 0:
        import torch

        torch.set_num_threads(threads)


class ActiveModel:
    """A predictor, where it came from, its heat-map explainer (built on first use) and the
    shift guard over its recent answers."""

    def __init__(
        self,
        predictor: Predictor,
        path: Path,
        key: str,
        shift_guard: bool = True,
        threads: int = 1,
    ):
        self.predictor = predictor
        self.path = path
        self.key = key
        self.threads = threads
        self.recent = RecentAnswers(predictor.policy.guard, enabled=shift_guard)
        self._explainer: GradCam | None = None
        self._lock = threading.Lock()

    @property
    def bundle(self) -> Bundle:
        return self.predictor.bundle

    def explainer(self) -> GradCam:
        with self._lock:
            if self._explainer is None:
                limit_torch_threads(self.threads)
                self._explainer = GradCam.from_bundle(self.predictor.bundle)
            return self._explainer

    def names(self, language: str) -> dict[str, str]:
        """Display names of the model's classes in `language` (from its catalogue snapshot)."""
        catalogue = self.predictor.catalogue
        return {c: catalogue[c].name(language) for c in self.predictor.class_ids}

    def provenance(self) -> dict[str, Any]:
        """What a saved record adds to the prediction about how it was made."""
        return Provenance.of(self.predictor).fields()


@dataclass(frozen=True)
class BundleChoice:
    key: str  # STARTUP, or a folder name under <data_dir>/bundles
    path: Path
    name: str
    version: str


class AppState:
    def __init__(self, cfg: AppConfig, predictor: Predictor, bundle_path: str | Path):
        self.cfg = cfg
        self.data_dir = Path(cfg.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        database = Path(cfg.database) if cfg.database else self.data_dir / "review.sqlite3"
        if cfg.site_key:  # refused now, not at the twentieth verdict
            try:
                sign_text(cfg.site_key, "wildlens: the site key can sign")
            except SigningError as error:
                raise ConfigError(f"site_key={cfg.site_key}: {error}") from None
        self.store = ReviewStore(
            database,
            self.data_dir / "photos",
            head_log=Path(cfg.head_log) if cfg.head_log else None,
            site_key=cfg.site_key,
            sign_every=cfg.head_sign_every,
        )
        self.startup_bundle = Path(bundle_path).resolve()
        self.code_version = code_version()
        self.downloads = Downloads(max_age_s=max(cfg.cache_max_age_s, 600))
        self._model = ActiveModel(
            predictor, self.startup_bundle, STARTUP, cfg.shift_guard, cfg.threads
        )
        self._lock = threading.Lock()
        self.training = threading.Lock()  # one workshop training at a time

    @property
    def bundles_dir(self) -> Path:
        return self.data_dir / "bundles"

    @property
    def datasets_dir(self) -> Path:
        return self.data_dir / "datasets"

    @property
    def model(self) -> ActiveModel:
        with self._lock:
            return self._model

    def bundle_choices(self) -> list[BundleChoice]:
        """The startup bundle, then the workshop bundles (newest first)."""
        choices = [self._choice(STARTUP, self.startup_bundle)]
        if self.bundles_dir.is_dir():
            found = [p for p in self.bundles_dir.iterdir() if (p / META_FILE).is_file()]
            for path in sorted(found, key=lambda p: p.name, reverse=True):
                choices.append(self._choice(path.name, path))
        return [c for c in choices if c is not None]

    def _choice(self, key: str, path: Path) -> BundleChoice | None:
        try:
            meta = BundleMeta.read(path)  # listed only; hashes are checked when switching to it
        except BundleError:
            return None
        return BundleChoice(key, path, meta.name, meta.version)

    def switch(self, key: str) -> ActiveModel:
        """Make the bundle `key` (from `bundle_choices`) the active model for everyone.

        Only listed bundles can be chosen: a request cannot make the app load an arbitrary path.
        Loading verifies every hash before the swap; a damaged bundle leaves the old one active.
        """
        choices = {c.key: c for c in self.bundle_choices()}
        if key not in choices:
            raise BundleError(f"no bundle {key!r} here; choose one of {sorted(choices)}")
        path = choices[key].path
        # The slow part, outside the lock: requests go on meanwhile.
        predictor = Predictor(
            load_bundle(path, trusted_key_ids(self.cfg.trusted_keys)),
            device=self.cfg.device,
            top_k=self.cfg.top_k,
            threads=self.cfg.threads,
        )
        model = ActiveModel(predictor, path, key, self.cfg.shift_guard, self.cfg.threads)
        with self._lock:
            self._model = model
        return model


class Downloads:
    """Files handed to the browser, in a private temporary folder Gradio copies them from.

    Exports and reports are kept under the data folder; the browser gets a copy from here (the
    system temp folder is one Gradio may serve from once a handler returns a file, so no folder of
    ours is added to Gradio's allowed paths). Copies older than `max_age_s` are removed.
    """

    def __init__(self, max_age_s: int):
        self.root = Path(tempfile.mkdtemp(prefix="wildlens-downloads-"))
        self.max_age_s = max_age_s

    def put(self, name: str, data: bytes) -> str:
        self._prune()
        folder = Path(tempfile.mkdtemp(dir=self.root))
        path = folder / Path(name).name
        path.write_bytes(data)
        return str(path)

    def _prune(self) -> None:
        cutoff = time.time() - self.max_age_s
        for folder in self.root.iterdir():
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
