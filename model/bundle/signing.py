"""Signed bundles: a training centre signs the bundles it releases (Ed25519, through the
`cryptography` library), and a field deployment with `trusted_keys` runs only bundles signed by
one of its keys.

A signature covers the bundle's identity (`Bundle.sha256`: the digest of its canonical
bundle.json, which lists the sha256 of every other file), so it covers every decision parameter
and every file; it lives beside them in `bundle.sig`, which the identity leaves out (signing a
bundle does not change what it is). Exporting ONNX into a bundle afterwards changes bundle.json
and so its identity: sign after the last change.

    wildlens keygen out=keys/centre          # keys/centre.key (private, 0600), keys/centre.pub
    wildlens sign bundle=runs/ivory-v1 key=keys/centre.key
    python infer.py bundle=runs/ivory-v1 trusted_keys=keys/centre.pub ...
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wildlens.common.files import write_atomically

SIGNATURE_FILE = "bundle.sig"
ALGORITHM = "ed25519"


class SigningError(ValueError):
    """A key or signature that cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Signature:
    key_id: str  # first 16 hex digits of the sha256 of the raw public key
    public_key: str  # base64 of the raw 32-byte public key
    bundle_sha256: str  # the identity that was signed
    signature: str  # base64
    signed: str  # UTC time

    def to_json(self) -> str:
        return json.dumps({"algorithm": ALGORITHM, **self.__dict__}, indent=2) + "\n"


def key_id(raw_public_key: bytes) -> str:
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def _raw(public_key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def generate_keys(stem: str | Path) -> tuple[Path, Path]:
    """A new Ed25519 key pair: `<stem>.key` (private, PEM, readable by its owner only) and
    `<stem>.pub` (public, PEM: what deployments list in `trusted_keys`). Never overwrites."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private_path, public_path = Path(f"{stem}.key"), Path(f"{stem}.pub")
    for path in (private_path, public_path):
        if path.exists():
            raise SigningError(f"{path} exists; choose another out= (keys are never overwritten)")
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as out:
        out.write(private)
    public_path.write_bytes(public)
    return private_path, public_path


def _load_private(path: str | Path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except OSError as error:
        raise SigningError(f"cannot read the private key {path}: {error.strerror}") from error
    except (ValueError, TypeError) as error:
        raise SigningError(f"{path} is not an unencrypted PEM private key ({error})") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 key; make one with `wildlens keygen`")
    return key


def load_public_key(path: str | Path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except OSError as error:
        raise SigningError(f"cannot read the public key {path}: {error.strerror}") from error
    except (ValueError, TypeError) as error:
        raise SigningError(f"{path} is not a PEM public key ({error})") from error
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{path} is not an Ed25519 public key")
    return key


def public_key_id(path: str | Path) -> str:
    """The key id of a public key file."""
    return key_id(_raw(load_public_key(path)))


def trusted_key_ids(paths: list[str]) -> set[str] | None:
    """The key ids of the public keys `paths` name (files, or folders of *.pub files); None when
    `paths` is empty (no trust list: any bundle, signed or not)."""
    if not paths:
        return None
    ids = set()
    for entry in paths:
        path = Path(entry)
        files = sorted(path.glob("*.pub")) if path.is_dir() else [path]
        if path.is_dir() and not files:
            raise SigningError(f"{path} holds no *.pub public keys")
        ids.update(public_key_id(file) for file in files)
    return ids


def sign(bundle_path: str | Path, bundle_sha256: str, private_key: str | Path) -> Signature:
    """Sign the identity of the bundle at `bundle_path` (already loaded and verified) and write
    its `bundle.sig` (replacing an earlier signature)."""
    key = _load_private(private_key)
    raw = _raw(key.public_key())
    signature = Signature(
        key_id=key_id(raw),
        public_key=base64.b64encode(raw).decode(),
        bundle_sha256=bundle_sha256,
        signature=base64.b64encode(key.sign(bundle_sha256.encode())).decode(),
        signed=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    write_atomically(Path(bundle_path) / SIGNATURE_FILE, signature.to_json().encode())
    return signature


def read_signer(bundle_path: str | Path, bundle_sha256: str) -> str | None:
    """The key id that validly signed this identity, None when the bundle is unsigned.

    Raises:
        SigningError: a signature file that is damaged, of another identity (the bundle changed
            after signing) or that does not verify.
    """
    path = Path(bundle_path) / SIGNATURE_FILE
    if not path.exists():
        return None
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        raw = base64.b64decode(data["public_key"], validate=True)
        signature = base64.b64decode(data["signature"], validate=True)
        claimed = data["bundle_sha256"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise SigningError(f"{path} is damaged ({error}); sign the bundle again") from error
    if data.get("algorithm") != ALGORITHM or data.get("key_id") != key_id(raw):
        raise SigningError(f"{path} is not a WildLens Ed25519 signature")
    if claimed != bundle_sha256:
        raise SigningError(
            f"{path} signs another version of this bundle: it changed after it was signed"
        )
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, bundle_sha256.encode())
    except (InvalidSignature, ValueError) as error:
        raise SigningError(f"{path}: the signature does not verify") from error
    return key_id(raw)


def sign_text(private_key: str | Path, message: str) -> dict[str, str]:
    """An Ed25519 signature of `message` by the key at `private_key` (the review store signs
    its chain's head with the site key): {key_id, public_key, signature}, base64."""
    key = _load_private(private_key)
    raw = _raw(key.public_key())
    return {
        "key_id": key_id(raw),
        "public_key": base64.b64encode(raw).decode(),
        "signature": base64.b64encode(key.sign(message.encode())).decode(),
    }


def verify_text(signature: dict[str, str], message: str) -> str:
    """The key id whose signature of `message` this is.

    Raises:
        SigningError: a damaged signature, or one that does not verify.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = base64.b64decode(signature["public_key"], validate=True)
        value = base64.b64decode(signature["signature"], validate=True)
        Ed25519PublicKey.from_public_bytes(raw).verify(value, message.encode())
    except (KeyError, TypeError, ValueError, InvalidSignature) as error:
        raise SigningError("the signature does not verify") from error
    if signature.get("key_id") != key_id(raw):
        raise SigningError("the signature names another key")
    return key_id(raw)
