"""The typed configs of the commands that train, evaluate, export and build the demo model (their
keys and defaults are documented in configs/default.yaml; loaded by
`wildlens.common.config_loader`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from wildlens.common.config_loader import Device


@dataclass
class TrainConfig:
    section: ClassVar[str] = "train"
    data: str = ""
    out: str = "runs/train"
    overwrite: bool = False
    resume: bool = True
    name: str = "wildlens"
    version: str = ""
    description: str = ""
    catalogue: str = ""
    architecture: str = "tf_efficientnet_lite0"
    weights: str = "auto"
    image_size: int = 0
    mode: Literal["auto", "full", "fast"] = "auto"
    # full mode
    epochs: int = 10
    warmup_epochs: int = 1
    batch_size: int = 32
    lr: float = 1e-3
    layer_decay: float = 0.85
    weight_decay: float = 0.05
    label_smoothing: float = 0.1
    drop_rate: float = 0.2
    class_balance: Literal["none", "loss_weights", "sampler"] = "loss_weights"
    ema_decay: float = 0.998
    grad_clip: float = 1.0
    patience: int = 3
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    channels_last: bool = True
    # fast mode
    fast_views: int = 1
    cross_fit_folds: int = 5
    head_c: float = 0.0
    item_composites: int = 0
    # calibration and routing
    calibration_fraction: float = 0.15
    target_precision: float = 0.95
    routing_delta: float = 0.1
    accept_floor: float = 0.5
    shortlist_coverage: float = 0.95
    shortlist_class_conditional: bool = True
    unknown_keep: float = 0.95
    familiar_keep: float = 0.9
    class_familiar_keep: float = 0.8
    lookalike_rate: float = 0.01
    unknown_data: str = ""
    shift_tolerance: float = 0.02
    shift_alpha: float = 0.05
    shift_window: int = 50
    poor_min_side: int = 64
    poor_min_sharpness: float = 8.0
    poor_min_contrast: float = 5.0
    # data
    val_fraction: float = 0.15
    test_fraction: float = 0.0
    allow_leakage: bool = False
    augment_strength: float = 1.0
    seed: int = 0
    deterministic: bool = False
    workers: int = 2
    device: Device = "auto"


@dataclass
class EvaluateConfig:
    section: ClassVar[str] = "evaluate"
    bundle: str = ""
    data: str = ""
    split: str = ""
    out: str = "runs/evaluate"
    batch_size: int = 32
    device: Device = "auto"


@dataclass
class ExportConfig:
    section: ClassVar[str] = "export"
    bundle: str = ""


@dataclass
class DemoConfig:
    section: ClassVar[str] = "demo"
    train_per_class: int = 40
    val_per_class: int = 10
    calibration_per_class: int = 120
    render_size: int = 192
    seed: int = 0
    cache_dir: str = ""


@dataclass
class KeygenConfig:
    section: ClassVar[str] = "keygen"
    out: str = "wildlens-signing"


@dataclass
class SignConfig:
    section: ClassVar[str] = "sign"
    bundle: str = ""
    key: str = ""
