"""WildLens: identify seized wildlife products from photos, with calibrated confidence.

One package: `wildlens.data` (images and datasets), `wildlens.model` (networks, training, trust
policy, bundles, prediction), `wildlens.review` (the review store), `wildlens.pipeline` (infer.py),
`wildlens.ui` (the web app) and `wildlens.cli` (the command line); docs/architecture.md has the
layers. Importing any part of it first sets privacy and offline defaults (never overriding a
value the user set), before any library that reads them is imported.
"""

import os
from importlib import metadata

# Field deployments are often offline; a border post should not phone home either.
for _key, _value in {
    "NO_ALBUMENTATIONS_UPDATE": "1",  # albumentations otherwise blocks on a PyPI version check
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    # Weights come from local packages; set HF_HUB_OFFLINE=0 to let timm download from the hub.
    "HF_HUB_OFFLINE": "1",
}.items():
    os.environ.setdefault(_key, _value)

try:
    __version__ = metadata.version("wildlens")
except metadata.PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
