"""Typed configuration: dataclass defaults < YAML files < `key=value` on the command line.

Each entry point owns one section (`train`, `infer`, `app`, `demo`); `configs/default.yaml`
documents every key of every section with its default. A YAML file given as `config=FILE` may hold
any subset of sections. Unknown keys, unknown sections and values of the wrong type are errors
that name the key, the expected type and where the value came from.

    cfg = load_config(TrainConfig, ["data=photos/", "epochs=3"])
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from data.images import IMAGE_EXTENSIONS
from wildlens.paths import CONFIGS_DIR

T = TypeVar("T")

Device = Literal["auto", "cpu", "cuda", "mps"]


class ConfigError(ValueError):
    """A configuration problem a person can fix; the message says which key and why."""


@dataclass
class TrainConfig:
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
    head_epochs: int = 60
    head_lr: float = 1e-3
    head_dropout: float = 0.2
    head_label_smoothing: float = 0.0
    # calibration and routing
    calibration_fraction: float = 0.15
    routing_delta: float = 0.1
    accept_floor: float = 0.5
    shortlist_coverage: float = 0.95
    shortlist_class_conditional: bool = True
    unknown_score: Literal["energy", "mahalanobis"] = "energy"
    unknown_keep: float = 0.95
    unknown_data: str = ""
    poor_min_side: int = 64
    poor_min_sharpness: float = 8.0
    poor_min_contrast: float = 5.0
    # data
    val_fraction: float = 0.15
    test_fraction: float = 0.0
    allow_leakage: bool = False
    augment_strength: float = 1.0
    default_target_precision: float = 0.95
    seed: int = 0
    deterministic: bool = False
    workers: int = 2
    device: Device = "auto"


@dataclass
class InferConfig:
    bundle: str = ""
    input: str = ""
    out: str = "predictions.csv"
    top_k: int = 3
    extensions: list[str] = field(default_factory=lambda: list(IMAGE_EXTENSIONS))
    strict: bool = False
    dry_run: bool = False
    report: bool = False
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


@dataclass
class AppConfig:
    bundle: str = ""
    host: str = "127.0.0.1"
    port: int = 7860
    language: Literal["en", "zh", "lo"] = "en"
    data_dir: str = "runs/app"
    database: str = ""
    auth_user_env: str = "WILDLENS_APP_USER"
    auth_password_env: str = "WILDLENS_APP_PASSWORD"
    allow_network_without_login: bool = False
    max_file_size_mb: int = 50
    max_photos: int = 12
    concurrency: int = 2
    queue_size: int = 16
    cache_cleanup_s: int = 3600
    cache_max_age_s: int = 7200
    heat_map: bool = True
    top_k: int = 3
    workshop: bool = True
    workshop_image_size: int = 0
    device: Device = "auto"
    threads: int = 1


@dataclass
class EvaluateConfig:
    bundle: str = ""
    data: str = ""
    split: str = ""
    out: str = "runs/evaluate"
    batch_size: int = 32
    device: Device = "auto"


@dataclass
class ExportConfig:
    bundle: str = ""


@dataclass
class AuditConfig:
    data: str = ""
    out: str = "runs/audit"
    min_side: int = 64
    max_aspect: float = 4.0
    workers: int = 2


@dataclass
class DemoConfig:
    train_per_class: int = 40
    val_per_class: int = 10
    calibration_per_class: int = 120
    render_size: int = 192
    seed: int = 0
    cache_dir: str = ""


SECTIONS: dict[str, type] = {
    "train": TrainConfig,
    "infer": InferConfig,
    "app": AppConfig,
    "evaluate": EvaluateConfig,
    "audit": AuditConfig,
    "export": ExportConfig,
    "demo": DemoConfig,
}
DEFAULT_YAML = CONFIGS_DIR / "default.yaml"


def section_of(cls: type) -> str:
    """The YAML section name of a config dataclass."""
    for name, section_cls in SECTIONS.items():
        if section_cls is cls:
            return name
    raise KeyError(cls)


def load_config(cls: type[T], args: Sequence[str] = ()) -> T:
    """Build a `cls` config from its defaults, `config=FILE` YAML files, then `key=value` args.

    Args:
        cls: one of the dataclasses in `SECTIONS`.
        args: command-line words, each `key=value`; `config=PATH` may repeat (later wins).
    Returns:
        The resolved, type-checked config.
    Raises:
        ConfigError: malformed argument, unknown key or section, wrong type, unreadable file.
    """
    values: dict[str, Any] = {}
    overrides: list[tuple[str, str]] = []
    for arg in args:
        key, sep, text = arg.partition("=")
        if not sep or not key:
            raise ConfigError(f"expected key=value, got {arg!r}")
        if key == "config":
            values.update(read_yaml_section(Path(text), cls))
        else:
            overrides.append((key, text))
    for key, text in overrides:
        values[key] = coerce(cls, key, text, source="command line")
    return cls(**values)


def read_yaml_section(path: Path, cls: type) -> dict[str, Any]:
    """The checked values of `cls`'s section in a YAML config file (empty if absent)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise ConfigError(f"config file {path} is not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise ConfigError(f"config file {path} must map section names to keys")
    unknown = set(document) - set(SECTIONS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown section(s) {sorted(unknown)}; known: {sorted(SECTIONS)}"
        )
    section = document.get(section_of(cls)) or {}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: section {section_of(cls)!r} must be a mapping")
    return {key: coerce(cls, key, value, source=str(path)) for key, value in section.items()}


def coerce(cls: type, key: str, value: Any, *, source: str) -> Any:
    """Check (YAML value) or parse (command-line text) `value` for field `key` of `cls`."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    if key not in names:
        close = difflib.get_close_matches(key, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(names)}"
        raise ConfigError(f"unknown {section_of(cls)} key {key!r} ({source}){hint}")
    expected = hints[key]
    from_text = source == "command line"
    try:
        return _convert(expected, value, from_text)
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"{section_of(cls)}.{key}: expected {_type_name(expected)}, got {value!r} ({source})"
        ) from error


def _convert(expected: Any, value: Any, from_text: bool) -> Any:
    origin = typing.get_origin(expected)
    if origin is Literal:
        choices = typing.get_args(expected)
        if value not in choices:
            raise ValueError(value)
        return value
    if origin is list:
        (item_type,) = typing.get_args(expected)
        if from_text:
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list):
            raise TypeError(value)
        return [_convert(item_type, item, from_text) for item in value]
    if origin in (typing.Union, types.UnionType):
        raise TypeError("union fields are not supported")
    if expected is bool:
        return _to_bool(value, from_text)
    if expected is int:
        if from_text:
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(value)
        return value
    if expected is float:
        if from_text:
            return float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(value)
        return float(value)
    if expected is str:
        if not isinstance(value, str):
            raise TypeError(value)
        return value
    raise TypeError(f"unsupported field type {expected!r}")


def _to_bool(value: Any, from_text: bool) -> bool:
    if not from_text:
        if not isinstance(value, bool):
            raise TypeError(value)
        return value
    words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
    if value.lower() not in words:
        raise ValueError(value)
    return words[value.lower()]


def _type_name(expected: Any) -> str:
    origin = typing.get_origin(expected)
    if origin is Literal:
        return "one of " + ", ".join(repr(c) for c in typing.get_args(expected))
    if origin is list:
        return f"a list of {_type_name(typing.get_args(expected)[0])} (a,b,c on the command line)"
    return {bool: "true/false", int: "an integer", float: "a number", str: "text"}.get(
        expected, str(expected)
    )


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """A plain dict of a config, for saving into bundles and run folders."""
    return dataclasses.asdict(cfg)


def section_help(cls: type) -> str:
    """The commented YAML of `cls`'s section in configs/default.yaml, for `--help`."""
    lines = DEFAULT_YAML.read_text(encoding="utf-8").splitlines()
    header = f"{section_of(cls)}:"
    start = lines.index(header)
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()),
        len(lines),
    )
    return "\n".join(lines[start:end]).rstrip()
