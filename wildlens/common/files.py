"""Files on disk: atomic writes, WildLens's cache folder and its own YAML files (a leaf module
every layer may import).

    write_atomically(Path("out/summary.json"), text.encode())
    catalogue_path = config_path("catalogue.yaml")     # package data of wildlens.configs
"""

from __future__ import annotations

import os
import tempfile
from importlib import resources
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temp file beside `path`, fsync, then rename over it: all of it or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def unwritable_reason(path: str | Path) -> str:
    """Why `path` (a file or folder to create) cannot be written, "" when it can: a regular
    file where one of its folders should be, or a nearest existing folder that is not
    writable. Lets a command refuse at once, not after minutes of work."""
    path = Path(path).absolute()
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is a file, not a folder"
            if not os.access(parent, os.W_OK | os.X_OK):
                return f"{parent} cannot be written"
            return ""
    return ""


def cache_dir() -> Path:
    """WildLens's cache folder: $WILDLENS_CACHE, else $XDG_CACHE_HOME/wildlens, else ~/.cache."""
    if os.environ.get("WILDLENS_CACHE"):
        return Path(os.environ["WILDLENS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "wildlens"


def config_path(name: str) -> Path:
    """One of WildLens's own YAML files (default.yaml, catalogue.yaml, demo.yaml), installed as
    package data of `wildlens.configs` (the repository's configs/ folder)."""
    found = resources.files("wildlens.configs").joinpath(name)
    if not isinstance(found, Path) or not found.is_file():
        raise FileNotFoundError(f"wildlens.configs has no {name}: reinstall WildLens")
    return found
