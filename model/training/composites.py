"""Fast mode's table composites (`item_composites`): each training photo whose object cuts
cleanly from a plain background is also laid on procedural tables and framed as `predict_items`
frames a found item (`wildlens.data.composites`); the backbone's features of those crops are
extra training rows of the photo's own cross-fitting fold. The head then knows items on a table,
not only their own photos; calibration stays on the photos themselves (out of fold, eval view).

    made = composite_features(samples, sha256s, 2, seed, cache, pre, embedder)
    made.features, made.photo     # (M, D), (M,) the training photo each crop was made from

Features are cached per photo like views (a photo that does not cut cleanly is cached as such),
so a second training run on the same photos computes none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from wildlens.common.parallel import available_cores, threaded_map
from wildlens.data.composites import cut_out, table_crop
from wildlens.data.images import load_image
from wildlens.data.sources import Sample
from wildlens.data.transforms import Preprocessing, apply, eval_transforms
from wildlens.model.training.features import Embedder, FeatureCache, embed_stream

_NOT_CUT = np.zeros(0, np.float32)  # cached for a photo whose object does not cut cleanly


@dataclass(frozen=True)
class Composites:
    features: np.ndarray  # (M, D) backbone features of the crops, eval transform
    photo: np.ndarray  # (M,) index of the training photo each crop was made from

    @property
    def photos(self) -> int:
        """How many training photos gave composites."""
        return len(np.unique(self.photo))


def composite_name(seed: int, index: int) -> str:
    """The cache key's view name of a photo's `index`-th composite (v2: the GrabCut cut; v3:
    objects in several pieces, such as a pair of shoes, left out; v4: planked wood)."""
    return f"table4-{seed}-{index}"


def composite_features(
    samples: Sequence[Sample],
    sha256s: Sequence[str],
    per_photo: int,
    seed: int,
    cache: FeatureCache,
    pre: Preprocessing,
    embedder: Embedder,
    batch_size: int = 64,
    progress: bool = True,
    on_photo: Callable[[int, int], None] | None = None,
) -> Composites:
    """`per_photo` table composites of every sample whose object cuts cleanly, as features.

    Each photo's composites are seeded by its sha256, so a photo always gives the same crops.
    """
    names = [composite_name(seed, index) for index in range(per_photo)]
    found: dict[int, list[np.ndarray]] = {}
    missing = []
    for i, sha in enumerate(sha256s):
        vectors = [cache.get(sha, name) for name in names]
        if any(v is None for v in vectors):
            missing.append(i)
        else:
            found[i] = [v for v in vectors if v.size]
    transform = eval_transforms(pre)

    def made_one(i: int) -> tuple[int, list[np.ndarray]]:
        cut = cut_out(np.asarray(load_image(samples[i].source).image))
        arrays = []
        if cut is not None:
            for name in names:
                key = f"{name}/{sha256s[i]}".encode()
                rng = np.random.default_rng(int(hashlib.sha256(key).hexdigest()[:8], 16))
                arrays.append(apply(transform, table_crop(*cut, rng)[0]))
        return i, arrays

    # The cut (GrabCut) and the tables are most of the time and release the GIL: one thread per
    # core makes them (each photo's crops are seeded by the photo, so the same in any thread).
    made = threaded_map(made_one, missing, available_cores())

    def keep(i: int, k: int, vector: np.ndarray) -> None:
        cache.put(sha256s[i], names[k], vector)
        found.setdefault(i, []).append(vector)

    bar = tqdm(total=len(missing), desc="table composites", disable=not progress, leave=False)
    embed_stream(made, embedder, batch_size, keep, bar, on_photo, len(missing))
    for i in missing:
        if i not in found:  # not cut: remembered, so a second run does not try again
            found[i] = []
            for name in names:
                cache.put(sha256s[i], name, _NOT_CUT)
    photo = np.array([i for i in sorted(found) for _ in found[i]], np.int64)
    rows = [v for i in sorted(found) for v in found[i]]
    features = np.stack(rows) if rows else np.zeros((0, 0), np.float32)
    return Composites(features.astype(np.float32), photo)
