"""The bundle: the one artefact training writes and everything else loads.

A folder holding `bundle.json` (identity, preprocessing, classes, catalogue snapshot, calibration,
routing policy, metrics, config, library versions, and the sha256 of every other file) and
`model.safetensors`. Loading verifies every hash and never unpickles anything.

    bundle = save_bundle("runs/train", model, meta)
    bundle = load_bundle("runs/train"); state = bundle.load_state_dict()
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from data.transforms import Preprocessing
from model.catalogue import Catalogue, catalogue_from_dict
from model.routing import Policy
from model.unknown import Mahalanobis

FORMAT_VERSION = 1
META_FILE = "bundle.json"
WEIGHTS_FILE = "model.safetensors"
UNKNOWN_FILE = "unknown.safetensors"  # Mahalanobis statistics, when the policy uses them


class BundleError(ValueError):
    """A bundle that is missing, malformed, of an unknown format, or altered since it was made."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    meta: dict[str, Any]

    @property
    def name(self) -> str:
        return self.meta["name"]

    @property
    def version(self) -> str:
        return self.meta["version"]

    @property
    def weights_sha256(self) -> str:
        return self.meta["files"][WEIGHTS_FILE]

    @property
    def identity(self) -> dict[str, str]:
        """What every prediction record carries to say which model made it."""
        return {
            "bundle_name": self.name,
            "bundle_version": self.version,
            "bundle_sha256": self.weights_sha256,
        }

    @property
    def architecture(self) -> str:
        return self.meta["architecture"]

    @property
    def class_ids(self) -> list[str]:
        return list(self.meta["class_ids"])

    @property
    def preprocessing(self) -> Preprocessing:
        return Preprocessing.from_dict(self.meta["preprocessing"])

    @property
    def catalogue(self) -> Catalogue:
        return catalogue_from_dict(self.meta["catalogue"], source=f"{self.path}/{META_FILE}")

    @property
    def temperature(self) -> float:
        return float(self.meta["temperature"])

    @property
    def routing(self) -> Policy:
        return Policy.from_dict(self.meta["routing"])

    def mahalanobis(self) -> Mahalanobis:
        """The unknown-item statistics (class means, precision matrix) kept in the bundle."""
        tensors = load_file(str(self.path / UNKNOWN_FILE))
        return Mahalanobis(tensors["means"].numpy(), tensors["precision"].numpy())

    @property
    def is_demo(self) -> bool:
        return bool(self.meta.get("demo", False))

    def load_state_dict(self) -> dict[str, torch.Tensor]:
        """The weights as tensors (safetensors: no code runs while loading)."""
        return load_file(str(self.path / WEIGHTS_FILE))


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of what produced a bundle or a record, for the audit trail."""
    versions = {"python": platform.python_version()}
    for package in ("wildlens", "torch", "timm", "albumentations", "pillow", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def save_bundle(
    out: str | Path,
    model: torch.nn.Module,
    meta: dict[str, Any],
    extra_files: dict[str, bytes] | None = None,
    overwrite: bool = False,
) -> Bundle:
    """Write a bundle folder atomically (built beside `out`, then renamed into place).

    Args:
        out: the bundle folder to create.
        model: its `state_dict()` is saved as safetensors.
        meta: bundle.json fields; `format_version`, `created`, `versions` and `files` are added.
        extra_files: more files (relative path -> bytes), e.g. a report; hashed like the weights.
        overwrite: replace an existing bundle at `out`.
    """
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise BundleError(f"{out} exists and is not empty; choose another out= or overwrite=true")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(staging / WEIGHTS_FILE), metadata={"format": "pt"})
        for relative, content in (extra_files or {}).items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        files = {
            p.relative_to(staging).as_posix(): sha256_file(p)
            for p in sorted(staging.rglob("*"))
            if p.is_file()
        }
        full = {
            "format_version": FORMAT_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            **meta,
            "versions": library_versions(),
            "files": files,
        }
        (staging / META_FILE).write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Bundle(out, full)


def load_bundle(path: str | Path) -> Bundle:
    """Read bundle.json and verify the sha256 of every file it lists."""
    path = Path(path)
    meta_path = path / META_FILE
    if not meta_path.is_file():
        raise BundleError(f"{path} is not a bundle (no {META_FILE}); train one with train.py")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise BundleError(f"{meta_path} is unreadable: {error}") from error
    if meta.get("format_version") != FORMAT_VERSION:
        raise BundleError(
            f"{path}: bundle format {meta.get('format_version')!r}, this WildLens reads "
            f"{FORMAT_VERSION}"
        )
    files = meta.get("files") or {}
    if WEIGHTS_FILE not in files:
        raise BundleError(f"{meta_path} lists no {WEIGHTS_FILE}")
    for relative, expected in files.items():
        file_path = path / relative
        if Path(relative).is_absolute() or ".." in Path(relative).parts:
            raise BundleError(f"{meta_path}: file entry {relative!r} points outside the bundle")
        if not file_path.is_file():
            raise BundleError(f"{path}: {relative} is missing")
        if sha256_file(file_path) != expected:
            raise BundleError(f"{path}: {relative} does not match its sha256 in {META_FILE}")
    return Bundle(path, meta)
