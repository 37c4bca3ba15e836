"""Typed configuration: dataclass defaults < YAML files < `key=value` on the command line.

Each entry point owns one section (`train`, `infer`, `app`, ...), declared by its config
dataclass's `section` class attribute; the dataclasses live with the layer that reads them
(`wildlens.model.config`, `wildlens.pipeline.config`, `wildlens.ui.config`, ...), this module only
loads and checks them. `configs/default.yaml` documents every key of every section with its
default. A YAML file given as `config=FILE` may hold any subset of sections. Unknown keys, unknown
sections and values of the wrong type are errors that name the key, the expected type and where
the value came from.

    cfg = load_config(TrainConfig, ["data=photos/", "epochs=3"])
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import yaml

from wildlens.common.files import config_path

T = TypeVar("T")

Device = Literal["auto", "cpu", "cuda", "mps"]
# The sections a config file may hold: one per command (train.py, infer.py, app.py, wildlens ...).
SECTION_NAMES = (
    "train",
    "infer",
    "app",
    "evaluate",
    "audit",
    "export",
    "demo",
    "keygen",
    "sign",
    "verify_store",
    "user",
)


class ConfigError(ValueError):
    """A configuration problem a person can fix; the message says which key and why."""


@dataclass
class AuditConfig:
    """`wildlens audit`'s keys: the data layer's own command."""

    section: ClassVar[str] = "audit"
    data: str = ""
    out: str = "runs/audit"
    min_side: int = 64
    max_aspect: float = 4.0
    workers: int = 2


def load_config(cls: type[T], args: Sequence[str] = ()) -> T:
    """Build a `cls` config from its defaults, `config=FILE` YAML files, then `key=value` args.

    Args:
        cls: a config dataclass with a `section` class attribute (one of SECTION_NAMES).
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
    unknown = set(document) - set(SECTION_NAMES)
    if unknown:
        raise ConfigError(
            f"{path}: unknown section(s) {sorted(unknown)}; known: {sorted(SECTION_NAMES)}"
        )
    section = document.get(cls.section) or {}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: section {cls.section!r} must be a mapping")
    return {key: coerce(cls, key, value, source=str(path)) for key, value in section.items()}


def coerce(cls: type, key: str, value: Any, *, source: str) -> Any:
    """Check (YAML value) or parse (command-line text) `value` for field `key` of `cls`."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    if key not in names:
        close = difflib.get_close_matches(key, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(names)}"
        raise ConfigError(f"unknown {cls.section} key {key!r} ({source}){hint}")
    expected = hints[key]
    from_text = source == "command line"
    try:
        return _convert(expected, value, from_text)
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"{cls.section}.{key}: expected {_type_name(expected)}, got {value!r} ({source})"
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
    lines = config_path("default.yaml").read_text(encoding="utf-8").splitlines()
    header = f"{cls.section}:"
    start = lines.index(header)
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()),
        len(lines),
    )
    return "\n".join(lines[start:end]).rstrip()
