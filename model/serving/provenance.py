"""Provenance: what a decision says about the model and code that made it. One builder for the
batch records (`wildlens.pipeline.records`) and the app's saved records alike.

    provenance = Provenance.of(predictor)
    record = {**prediction.to_dict(), **provenance.fields()}
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Provenance:
    bundle: dict[str, str]  # bundle_name, bundle_version, bundle_sha256
    routing_sha256: str  # of the bundle's routing policy: the thresholds that decided
    backend: str  # e.g. onnx/cpu/fp32, torch/cuda/bf16
    model_file_sha256: str  # of the file the backend ran (model.onnx or model.safetensors)
    code_version: str

    @classmethod
    def of(cls, predictor: Any) -> Provenance:
        """The provenance of a `wildlens.model.serving.predictor.Predictor`'s decisions."""
        bundle = predictor.bundle
        return cls(
            bundle=dict(bundle.identity),
            routing_sha256=routing_sha256(bundle.meta.routing),
            backend=predictor.backend.name,
            model_file_sha256=bundle.meta.files[predictor.backend.file],
            code_version=code_version(),
        )

    def fields(self) -> dict[str, str]:
        return {
            **self.bundle,
            "routing_sha256": self.routing_sha256,
            "backend": self.backend,
            "model_file_sha256": self.model_file_sha256,
            "code_version": self.code_version,
        }


def routing_sha256(routing: dict[str, Any]) -> str:
    """sha256 of a routing policy's canonical JSON: names the thresholds a record was routed by."""
    canonical = json.dumps(routing, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def package_version() -> str:
    try:
        return metadata.version("wildlens")
    except metadata.PackageNotFoundError:  # a checkout that was never installed
        return "0+unknown"


def code_version() -> str:
    """The package version, plus the git commit (and `-dirty`) when run from a git checkout of
    WildLens itself (not an installed copy that happens to sit inside some repository)."""
    version = package_version()
    root = Path(__file__).resolve().parent.parent  # the checkout, when run from one

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10
        )

    try:
        top = git("rev-parse", "--show-toplevel")
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != root:
            return version
        commit = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.TimeoutExpired):  # no git
        return version
    if commit.returncode != 0:
        return version
    suffix = "-dirty" if dirty.stdout.strip() else ""
    return f"{version}+g{commit.stdout.strip()}{suffix}"
