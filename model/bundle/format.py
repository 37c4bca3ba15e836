"""The bundle: the one artefact training writes and everything else loads.

A folder holding `bundle.json` (identity, preprocessing, classes, catalogue snapshot, calibration,
routing policy, metrics, config, library versions, and the sha256 of every other file) and
`model.safetensors`. Loading verifies every hash and never unpickles anything.

    bundle = save_bundle("runs/train", model, meta)
    bundle = load_bundle("runs/train"); state = bundle.load_state_dict()

Reading a bundle needs no torch (JSON, hashes, and the kNN banks through `safetensors.numpy`);
torch is imported only to save a network or load its weights as tensors.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetensors.numpy import load as load_arrays

from wildlens.data.transforms import Preprocessing
from wildlens.model.bundle.catalogue import Catalogue, catalogue_from_dict
from wildlens.model.bundle.signing import SigningError, read_signer
from wildlens.model.trust.routing import Policy
from wildlens.model.trust.unknown import UnknownModel

if TYPE_CHECKING:
    import torch

FORMAT_VERSION = 1
META_FILE = "bundle.json"
WEIGHTS_FILE = "model.safetensors"
UNKNOWN_FILE = "unknown.safetensors"  # the unknown-item scores' kNN banks (and the head's bias)


class BundleError(ValueError):
    """A bundle that is missing, malformed, of an unknown format, or altered since it was made."""


@dataclass(frozen=True)
class BundleMeta:
    """bundle.json, typed: the one reader and writer of its schema.

    Top-level fields are checked here; nested parts are parsed by their owners (`Preprocessing`,
    `Catalogue`, `Policy`). The last four are set by `save_bundle` (and `onnx` by the export).
    """

    name: str
    version: str
    description: str
    demo: bool
    architecture: str
    preprocessing: dict[str, Any]
    class_ids: list[str]
    catalogue: dict[str, Any]
    temperature: float
    routing: dict[str, Any]
    unknown: dict[str, Any]
    data: dict[str, Any]  # source, split counts, fingerprint, excluded photos
    metrics: dict[str, Any]
    config: dict[str, Any]  # the resolved training config
    format_version: int = FORMAT_VERSION
    created: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    onnx: dict[str, Any] | None = None  # the export's facts, once model.onnx is in the bundle

    @classmethod
    def from_dict(cls, raw: Any, source: str) -> BundleMeta:
        """Check a bundle.json document: every field present, of its type, and no other."""
        if not isinstance(raw, dict):
            raise BundleError(f"{source}: expected a JSON object")
        if raw.get("format_version") != FORMAT_VERSION:
            raise BundleError(
                f"{source}: bundle format {raw.get('format_version')!r}, this WildLens reads "
                f"{FORMAT_VERSION}"
            )
        fields_ = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - set(fields_))
        missing = sorted(n for n, f in fields_.items() if n not in raw and n != "onnx")
        if unknown or missing:
            raise BundleError(f"{source}: unknown fields {unknown}, missing fields {missing}")
        for name, value in raw.items():
            expected = _FIELD_TYPES[name]
            # bool is an int to isinstance: only the `demo` field may hold one.
            wrong = not isinstance(value, expected) or (isinstance(value, bool) and name != "demo")
            if wrong and not (name == "onnx" and value is None):
                raise BundleError(f"{source}: field {name!r} has the wrong type")
        return cls(**raw)

    def to_dict(self) -> dict[str, Any]:
        raw = dataclasses.asdict(self)
        if raw["onnx"] is None:
            del raw["onnx"]
        return raw

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def read(cls, path: str | Path) -> BundleMeta:
        """The bundle.json of the bundle folder `path` (its files' hashes are not checked)."""
        meta_path = Path(path) / META_FILE
        if not meta_path.is_file():
            raise BundleError(f"{path} is not a bundle (no {META_FILE}); train one with train.py")
        try:
            raw = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BundleError(f"{meta_path} is unreadable: {error}") from error
        return cls.from_dict(raw, str(meta_path))


# The JSON type of each field of bundle.json.
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "version": str,
    "description": str,
    "demo": bool,
    "architecture": str,
    "preprocessing": dict,
    "class_ids": list,
    "catalogue": dict,
    "temperature": (int, float),
    "routing": dict,
    "unknown": dict,
    "data": dict,
    "metrics": dict,
    "config": dict,
    "format_version": int,
    "created": str,
    "versions": dict,
    "files": dict,
    "onnx": dict,
}


@dataclass(frozen=True)
class Bundle:
    path: Path
    meta: BundleMeta
    signer: str | None = None  # key id of a valid signature (bundle.sig), None if unsigned

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def weights_sha256(self) -> str:
        return self.meta.files[WEIGHTS_FILE]

    @property
    def sha256(self) -> str:
        """The bundle's identity: the digest of its canonical bundle.json, which holds every
        decision parameter and lists the sha256 of every other file. Any change to either
        changes it."""
        return canonical_sha256(self.meta.to_dict())

    @property
    def identity(self) -> dict[str, str | None]:
        """What every prediction record carries to say which model made it."""
        return {
            "bundle_name": self.name,
            "bundle_version": self.version,
            "bundle_sha256": self.sha256,
            "bundle_signer": self.signer,
        }

    @property
    def architecture(self) -> str:
        return self.meta.architecture

    @property
    def class_ids(self) -> list[str]:
        return list(self.meta.class_ids)

    @property
    def preprocessing(self) -> Preprocessing:
        return Preprocessing.from_dict(self.meta.preprocessing)

    @property
    def catalogue(self) -> Catalogue:
        return catalogue_from_dict(self.meta.catalogue, source=f"{self.path}/{META_FILE}")

    @property
    def temperature(self) -> float:
        return float(self.meta.temperature)

    @property
    def routing(self) -> Policy:
        return Policy.from_dict(self.meta.routing)

    def unknown_model(self) -> UnknownModel:
        """The unknown-item scores' kNN banks, from the hash-checked unknown.safetensors."""
        data = (self.path / UNKNOWN_FILE).read_bytes()
        if hashlib.sha256(data).hexdigest() != self.meta.files.get(UNKNOWN_FILE):
            raise BundleError(f"{self.path}: {UNKNOWN_FILE} does not match bundle.json")
        policy = self.routing
        return UnknownModel.from_arrays(
            load_arrays(data), policy.unknown.neighbours, self.temperature
        )

    @property
    def is_demo(self) -> bool:
        return self.meta.demo

    def load_state_dict(self) -> dict[str, torch.Tensor]:
        """The weights as tensors (safetensors: no code runs while loading)."""
        from safetensors.torch import load_file

        return load_file(str(self.path / WEIGHTS_FILE))


def canonical_sha256(document: dict[str, Any]) -> str:
    """sha256 of a JSON document in canonical form (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of what produced a bundle or a record, for the audit trail."""
    from importlib import metadata

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
    meta: BundleMeta,
    extra_files: dict[str, bytes] | None = None,
    overwrite: bool = False,
) -> Bundle:
    """Write a bundle folder atomically (built beside `out`, then renamed into place).

    Args:
        out: the bundle folder to create.
        model: its `state_dict()` is saved as safetensors.
        meta: bundle.json; `format_version`, `created`, `versions` and `files` are set here.
        extra_files: more files (relative path -> bytes), e.g. a report; hashed like the weights.
        overwrite: replace an existing bundle at `out`.
    """
    from safetensors.torch import save_file

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
        full = dataclasses.replace(
            meta,
            format_version=FORMAT_VERSION,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            versions=library_versions(),
            files=files,
        )
        (staging / META_FILE).write_text(full.to_json(), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Bundle(out, full)


def load_bundle(path: str | Path, trusted_keys: set[str] | None = None) -> Bundle:
    """Read bundle.json, verify the sha256 of every file it lists, and its signature if signed.

    Args:
        trusted_keys: key ids (`wildlens.model.bundle.signing.trusted_key_ids`) of the signers a
            deployment accepts; None accepts unsigned bundles too.
    Raises:
        BundleError: missing, malformed, altered, badly signed, or (with `trusted_keys`)
            unsigned or signed by another key.
    """
    path = Path(path)
    meta_path = path / META_FILE
    meta = BundleMeta.read(path)
    files = meta.files
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
    bundle = Bundle(path, meta)
    try:
        signer = read_signer(path, bundle.sha256)
    except SigningError as error:
        raise BundleError(str(error)) from error
    if trusted_keys is not None and signer not in trusted_keys:
        raise BundleError(
            f"{path} is {'signed by an untrusted key ' + signer if signer else 'not signed'}; "
            "this deployment runs only bundles signed by its trusted_keys (wildlens sign)"
        )
    return Bundle(path, meta, signer)
