"""Backbone features for fast mode, computed once per photo and view and cached by sha256.

A view is the eval transform, or one of a few seeded augmentations of the photo (feature-space
augmentation: the head sees each photo several ways without the backbone running every epoch).
The cache key holds a hash of the backbone's weights and preprocessing, so any change to the
backbone invalidates it.

    cache = FeatureCache.for_backbone(model, preprocessing)
    features = extract_features(model, samples, sha256s, views, cache)   # (N, V, D) float32
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import albumentations as A
import numpy as np
import torch
from tqdm import tqdm

from wildlens.common.files import cache_dir
from wildlens.common.parallel import in_thread
from wildlens.data.images import load_image
from wildlens.data.sources import Sample
from wildlens.data.transforms import Preprocessing, apply, eval_transforms, view_transforms
from wildlens.model.network.backends import logits_and_features


@dataclass(frozen=True)
class View:
    name: str  # part of the cache key: "eval", or "view-<seed>-<index>"
    transform: A.Compose
    seeded: bool  # re-seeded per photo, so a view of a photo is always the same pixels


def feature_views(pre: Preprocessing, augmented: int, seed: int) -> list[View]:
    """The eval view plus `augmented` seeded light views (`data.transforms.view_transforms`)."""
    views = [View("eval", eval_transforms(pre), seeded=False)]
    for index in range(augmented):
        views.append(View(f"view-{seed}-{index}", view_transforms(pre, seed=seed), seeded=True))
    return views


def backbone_fingerprint(model: torch.nn.Module, pre: Preprocessing) -> str:
    """sha256 over the backbone's tensors (not the classifier) and the preprocessing."""
    digest = hashlib.sha256(json.dumps(pre.to_dict(), sort_keys=True).encode())
    digest.update(type(model).__name__.encode())
    classifier = model.default_cfg.get("classifier", "classifier")
    for name, tensor in model.state_dict().items():
        if name.startswith(classifier):
            continue
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class FeatureCache:
    root: Path  # one folder per backbone fingerprint

    @classmethod
    def for_backbone(
        cls, model: torch.nn.Module, pre: Preprocessing, base: Path | None = None
    ) -> FeatureCache:
        key = backbone_fingerprint(model, pre)[:24]
        return cls(Path(base or cache_dir() / "features") / key)

    def path(self, sha256: str, view: str) -> Path:
        return self.root / view / sha256[:2] / f"{sha256}.npy"

    def get(self, sha256: str, view: str) -> np.ndarray | None:
        path = self.path(sha256, view)
        if not path.is_file():
            return None
        try:
            return np.load(path, allow_pickle=False).astype(np.float32)
        except (OSError, ValueError):
            return None  # a damaged entry is recomputed

    def put(self, sha256: str, view: str, vector: np.ndarray) -> None:
        path = self.path(sha256, view)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            np.save(out, vector.astype(np.float32), allow_pickle=False)
        os.replace(temp, path)


def _view_seed(sha256: str, view: View) -> int:
    return int(hashlib.sha256(f"{view.name}/{sha256}".encode()).hexdigest()[:8], 16)


class Embedder:
    """Pooled pre-classifier features (N, D) of preprocessed batches, in fp32.

    On a CPU the backbone is exported to ONNX on first use (its time: docs/benchmarks.md,
    "Workshop training"; never when every feature is cached) and run by ONNX Runtime, several
    times faster than eager PyTorch here and the engine infer.py uses; on a GPU, PyTorch. Both
    agree to about 1e-5.
    """

    def __init__(self, model: torch.nn.Module, pre: Preprocessing, device: torch.device):
        self.model, self.pre, self.device = model.eval(), pre, device
        self.session = None

    def prepare(self) -> None:
        """Export and load the ONNX graph now (on a CPU; a no-op after the first call)."""
        if self.device.type == "cpu" and self.session is None:
            from wildlens.model.network.backends import OnnxBackend
            from wildlens.model.network.export import export_onnx

            self.session = OnnxBackend(export_onnx(self.model, self.pre.input_size))

    @torch.inference_mode()
    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if self.device.type == "cpu":
            self.prepare()
            return self.session(batch).features
        x = torch.from_numpy(batch).to(self.device, memory_format=torch.channels_last)
        _, pooled = logits_and_features(self.model, x)
        return pooled.float().cpu().numpy()


def extract_features(
    model: torch.nn.Module,
    samples: Sequence[Sample],
    sha256s: Sequence[str],
    views: Sequence[View],
    cache: FeatureCache,
    pre: Preprocessing,
    batch_size: int = 64,
    progress: bool = True,
    description: str = "features",
    embedder: Embedder | None = None,
    on_photo: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Features (N, len(views), D) of every sample; cached views are read, missing ones computed.

    The backbone runs (see `Embedder`) only if some photo's view is missing from the cache.
    `on_photo(done, total)` is called after each photo that had to be computed (a progress bar
    for callers without a terminal, such as the app's workshop).
    """
    model = model.eval()
    embedder = embedder or Embedder(model, pre, torch.device("cpu"))
    found: dict[tuple[int, int], np.ndarray] = {}
    missing: list[int] = []
    for i, sha in enumerate(sha256s):
        for v, view in enumerate(views):
            vector = cache.get(sha, view.name)
            if vector is None:
                missing.append(i)
                break
            found[i, v] = vector

    def keep(i: int, v: int, vector: np.ndarray) -> None:
        cache.put(sha256s[i], views[v].name, vector)
        found[i, v] = vector

    def decoded() -> Iterator[tuple[int, list[np.ndarray]]]:
        for i in missing:
            image = load_image(samples[i].source, target_size=pre.resize_size).image
            arrays = []
            for view in views:
                if view.seeded:
                    view.transform.set_random_seed(_view_seed(sha256s[i], view))
                arrays.append(apply(view.transform, image))
            yield i, arrays

    if missing and on_photo is not None:
        # The backbone's export (seconds, the first time on a machine) as a step of its own, so a
        # progress bar moves before and after it rather than stopping at the first batch.
        on_photo(0, len(missing))
        embedder.prepare()
        on_photo(0, len(missing))
    bar = tqdm(total=len(missing), desc=description, disable=not progress, leave=False, unit="img")
    # Photos are decoded in a thread while the backbone runs on the previous batch (both release
    # the GIL): 600 photos x 2 views on 2 cores, see docs/benchmarks.md (workshop training).
    embed_stream(decoded(), embedder, batch_size, keep, bar, on_photo, len(missing))
    if not samples:
        return np.zeros((0, len(views), model.num_features), np.float32)
    return np.stack(
        [np.stack([found[i, v] for v in range(len(views))]) for i in range(len(samples))]
    )


def embed_stream(
    inputs: Iterator[tuple[int, list[np.ndarray]]],
    embedder: Embedder,
    batch_size: int,
    keep: Callable[[int, int, np.ndarray], None],
    bar: tqdm,
    on_photo: Callable[[int, int], None] | None,
    total: int,
) -> None:
    """Each photo's model inputs through the backbone in batches of `batch_size`, the photos
    made in a thread while the backbone runs on the previous batch (both release the GIL);
    `keep(photo, k, vector)` receives the k-th input's features of each photo."""
    pending: list[tuple[int, int, np.ndarray]] = []

    def flush() -> None:
        vectors = embedder(np.stack([array for _, _, array in pending]))
        for (i, k, _), vector in zip(pending, vectors, strict=True):
            keep(i, k, vector)
        pending.clear()

    with bar:
        for done, (i, arrays) in enumerate(in_thread(inputs, depth=batch_size), start=1):
            for k, array in enumerate(arrays):
                pending.append((i, k, array))
                if len(pending) >= batch_size:
                    flush()
            bar.update()
            if on_photo is not None:
                on_photo(done, total)
    if pending:
        flush()
