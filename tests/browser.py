"""Debian's Chromium for the browser test and the documentation's screenshots.

    reason = ensure_chromium()     # None when /usr/bin/chromium is ready, else why it is not
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

No browser is ever downloaded by Playwright: Chromium comes from Debian's package, installed with
apt-get when it is missing and we run as root with apt available; every step has a timeout, so
a machine without a package mirror skips (with the reason) instead of hanging.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
APT_TIMEOUT_S = {"update": 180, "install": 600}


def ensure_chromium() -> str | None:
    """Install Debian's chromium if missing and possible; None if ready, else the reason."""
    if Path(CHROMIUM).is_file():
        return None
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return f"{CHROMIUM} is missing and installing it needs root (apt-get install chromium)"
    if shutil.which("apt-get") is None:
        return f"{CHROMIUM} is missing and there is no apt-get to install it with"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step, command in (
        ("update", ["apt-get", "update", "-qq"]),
        ("install", ["apt-get", "install", "-y", "-qq", "chromium"]),
    ):
        try:
            subprocess.run(
                command, env=env, capture_output=True, timeout=APT_TIMEOUT_S[step], check=True
            )
        except subprocess.TimeoutExpired:
            return f"apt-get {step} took over {APT_TIMEOUT_S[step]} s (no package mirror?)"
        except (subprocess.CalledProcessError, OSError) as error:
            detail = getattr(error, "stderr", b"") or b""
            return f"apt-get {step} failed: {detail.decode(errors='replace').strip()[-300:]}"
    return None if Path(CHROMIUM).is_file() else f"apt-get installed no {CHROMIUM}"
