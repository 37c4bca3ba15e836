"""infer.py's typed config (keys and defaults documented in configs/default.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from wildlens.common.config_loader import ConfigError, Device
from wildlens.data.images import IMAGE_EXTENSIONS


@dataclass
class InferConfig:
    section: ClassVar[str] = "infer"
    bundle: str = ""
    input: str = ""
    out: str = "predictions.csv"
    top_k: int = 3
    extensions: list[str] = field(default_factory=lambda: list(IMAGE_EXTENSIONS))
    strict: bool = False
    dry_run: bool = False
    report: bool = False
    shift_guard: bool = True
    order: Literal["shuffled", "input"] = "shuffled"
    order_seed: int = 0
    trusted_keys: list[str] = field(default_factory=list)
    progress: bool = True
    device: Device = "auto"
    backend: Literal["auto", "onnx", "torch"] = "auto"
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    batch_size: int = 0
    workers: int = -1
    threads: int = 0
    engine: Literal["local", "ray"] = "local"
    address: str = ""
    actors: int = 0
    items: bool = False

    def __post_init__(self) -> None:
        if self.items and self.engine != "local":
            raise ConfigError("infer.items=true runs on engine=local; drop engine= or items=")
        # The smallest value of each count: 0 means "sized for this machine", -1 "one per core".
        smallest = {"top_k": 1, "batch_size": 0, "workers": -1, "threads": 0, "actors": 0}
        for key, least in smallest.items():
            if getattr(self, key) < least:
                raise ConfigError(f"infer.{key} must be at least {least}, got {getattr(self, key)}")
