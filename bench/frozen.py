"""Features of photos through a frozen backbone, for the benchmarks that train heads on them.

features = frozen_features(model, pre, samples, views, cache, embedder, "train")   # (N, V, D)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import torch

from wildlens.data.images import read_bytes
from wildlens.data.sources import Sample
from wildlens.data.transforms import Preprocessing
from wildlens.model.training.features import Embedder, FeatureCache, View, extract_features


def frozen_features(
    model: torch.nn.Module,
    pre: Preprocessing,
    samples: Sequence[Sample],
    views: Sequence[View],
    cache: FeatureCache,
    embedder: Embedder | None = None,
    name: str = "features",
) -> np.ndarray:
    """`extract_features` keyed by each photo's sha256, with a progress bar named `name`."""
    keys = [hashlib.sha256(read_bytes(s.source)).hexdigest() for s in samples]
    return extract_features(model, samples, keys, views, cache, pre, 64, True, name, embedder)
