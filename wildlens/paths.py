"""Where WildLens finds its own files and keeps its caches."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIGS_DIR = PROJECT_ROOT / "configs"
DEFAULT_CATALOGUE = CONFIGS_DIR / "catalogue.yaml"
DEMO_CONFIG = CONFIGS_DIR / "demo.yaml"


def cache_dir() -> Path:
    """WildLens's cache folder: $WILDLENS_CACHE, else $XDG_CACHE_HOME/wildlens, else ~/.cache."""
    if os.environ.get("WILDLENS_CACHE"):
        return Path(os.environ["WILDLENS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "wildlens"
