"""Fast mode's head inside the network: a linear head fitted on cached features
(`wildlens.model.training.crossfit`) drops into the network's own classifier layer, so the bundle
is an ordinary model that every backend (PyTorch, ONNX Runtime) runs unchanged.

    install_head(model, fit.weight, fit.bias)
    logits = head_logits(features, fit.weight, fit.bias)     # the same, without the network
"""

from __future__ import annotations

import numpy as np
import torch


def install_head(model: torch.nn.Module, weight: np.ndarray, bias: np.ndarray) -> None:
    """Put a fitted linear head into the model's own classifier layer."""
    classifier = model.get_classifier()
    if not isinstance(classifier, torch.nn.Linear) or classifier.weight.shape != weight.shape:
        raise ValueError(f"the model's classifier {classifier} does not take a {weight.shape} head")
    with torch.no_grad():
        classifier.weight.copy_(torch.from_numpy(np.asarray(weight, dtype=np.float32)))
        classifier.bias.copy_(torch.from_numpy(np.asarray(bias, dtype=np.float32)))


def head_logits(features: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Logits of (N, D) raw features through a head, in float32 as the network computes them."""
    return (np.asarray(features, np.float32) @ np.asarray(weight, np.float32).T + bias).astype(
        np.float32
    )
