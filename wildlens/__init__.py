"""WildLens: identify seized wildlife products from photos, with calibrated confidence.

One package: `wildlens.data` (images and datasets), `wildlens.model` (networks, training, trust
policy, bundles, prediction), `wildlens.review` (the review store), `wildlens.pipeline` (infer.py),
`wildlens.ui` (the web app) and `wildlens.cli` (the command line); docs/architecture.md has the
layers. Importing any part of it first sets privacy and offline defaults (never overriding a
value the user set), before any library that reads them is imported.
"""

import os
from typing import Any

# Field deployments are often offline; a border post should not phone home either.
for _key, _value in {
    "NO_ALBUMENTATIONS_UPDATE": "1",  # albumentations otherwise blocks on a PyPI version check
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    # Weights come from local packages; set HF_HUB_OFFLINE=0 to let timm download from the hub.
    "HF_HUB_OFFLINE": "1",
}.items():
    os.environ.setdefault(_key, _value)


def __getattr__(name: str) -> Any:
    # `__version__` is looked up on first use: importlib.metadata costs tens of milliseconds,
    # paid otherwise by every process, infer.py's decode workers included.
    if name == "__version__":
        from importlib import metadata

        try:
            return metadata.version("wildlens")
        except metadata.PackageNotFoundError:  # a checkout that was never installed
            return "0+unknown"
    raise AttributeError(f"module 'wildlens' has no attribute {name!r}")
