"""Fast mode's head: a linear classifier trained on cached backbone features.

Features are standardised for training, and the standardisation is folded back into the weights,
so the result drops into the network's own classifier layer: the bundle is an ordinary model.
Regularised by weight decay, feature dropout and the augmented views. Label smoothing is off by
default (`head_label_smoothing`): it flattens the logits of every photo alike, and the energy
unknown score reads their size (bench/unknown_pairs.py measures it).

    weight, bias = train_linear_head(train_features, train_labels, settings)
    install_head(model, weight, bias)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from wildlens.model.finetune import class_weights, learning_rate_factor


@dataclass(frozen=True)
class HeadSettings:
    epochs: int
    lr: float
    weight_decay: float
    label_smoothing: float
    dropout: float  # on the standardised features, each step
    class_balance: str  # none | loss_weights | sampler (sampler acts as loss_weights here)
    seed: int
    batch_size: int = 256


def train_linear_head(
    features: np.ndarray, labels: np.ndarray, num_classes: int, settings: HeadSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Fit logits = features @ weight.T + bias on (N, V, D) views, labels (N,).

    Returns:
        weight (C, D) and bias (C,), for raw (unstandardised) features.
    """
    n, views, dim = features.shape
    x = torch.from_numpy(features.reshape(n * views, dim)).float()
    y = torch.from_numpy(np.repeat(labels, views)).long()
    mean, std = x.mean(0), x.std(0).clamp_min(1e-6)
    x = (x - mean) / std
    generator = torch.Generator().manual_seed(settings.seed)
    layer = torch.nn.Linear(dim, num_classes)
    torch.nn.init.zeros_(layer.weight)
    torch.nn.init.zeros_(layer.bias)
    weights = None
    if settings.class_balance != "none":
        weights = torch.tensor(class_weights(labels, num_classes), dtype=torch.float32)
    criterion = torch.nn.CrossEntropyLoss(weight=weights, label_smoothing=settings.label_smoothing)
    optimizer = torch.optim.AdamW(
        layer.parameters(), lr=settings.lr, weight_decay=settings.weight_decay
    )
    steps_per_epoch = max(1, -(-len(x) // settings.batch_size))
    total = settings.epochs * steps_per_epoch
    step = 0
    for _ in range(settings.epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), settings.batch_size):
            index = order[start : start + settings.batch_size]
            batch = x[index]
            if settings.dropout:
                keep = torch.rand(batch.shape, generator=generator) >= settings.dropout
                batch = batch * keep / (1.0 - settings.dropout)
            for group in optimizer.param_groups:
                group["lr"] = settings.lr * learning_rate_factor(step, steps_per_epoch, total)
            loss = criterion(layer(batch), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
    with torch.no_grad():
        weight = layer.weight / std  # fold the standardisation into the layer
        bias = layer.bias - (weight * mean).sum(1)
    return weight.numpy(), bias.numpy()


def install_head(model: torch.nn.Module, weight: np.ndarray, bias: np.ndarray) -> None:
    """Put a trained linear head into the model's own classifier layer."""
    classifier = model.get_classifier()
    if not isinstance(classifier, torch.nn.Linear) or classifier.weight.shape != weight.shape:
        raise ValueError(f"the model's classifier {classifier} does not take a {weight.shape} head")
    with torch.no_grad():
        classifier.weight.copy_(torch.from_numpy(weight))
        classifier.bias.copy_(torch.from_numpy(bias))


def head_logits(features: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Logits of (N, D) raw features through a head."""
    return features @ weight.T + bias
