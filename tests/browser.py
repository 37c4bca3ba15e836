"""Debian's Chromium for the browser tests and the documentation's screenshots, and the fonts the
font test gives its two browsers.

    reason = chromium_missing()    # None when /usr/bin/chromium is there, else why it is not
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

Nothing is installed from here: tests/system-packages.txt lists the Debian packages, which
`make test` installs where it can (tests/install-system-packages.sh); without them the tests
that need them skip with the reason. No browser is ever downloaded by Playwright.
"""

from __future__ import annotations

import shutil
import socket
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
INSTALL_HINT = "tests/system-packages.txt lists it; `make test` installs it as root"


def chromium_missing() -> str | None:
    """None when Debian's Chromium is installed, else the reason the browser tests skip."""
    if Path(CHROMIUM).is_file():
        return None
    return f"{CHROMIUM} is not installed (Debian package chromium; {INSTALL_HINT})"


def latin_font_dir() -> Path:
    """A folder of Latin-only fonts that is always there: matplotlib's DejaVu (a dependency)."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def chinese_font() -> Path | None:
    """A font file that draws Chinese, found with fontconfig; None when there is none."""
    if shutil.which("fc-list") is None:
        return None
    found = subprocess.run(
        ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=60
    ).stdout
    files = sorted(line.split(":")[0].strip() for line in found.splitlines() if line.strip())
    return Path(files[0]) if files else None


def fontconfig_file(folder: Path, fonts: list[Path]) -> Path:
    """A fontconfig file whose only fonts are `fonts` (font files, copied into `folder`, plus the
    Latin folder), so a browser started with FONTCONFIG_FILE set to it sees those and no others."""
    own = folder / "fonts"
    own.mkdir(parents=True, exist_ok=True)
    for font in fonts:
        shutil.copy(font, own / font.name)
    config = folder / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{latin_font_dir()}</dir><dir>{own}</dir>"
        f"<cachedir>{folder / 'cache'}</cachedir></fontconfig>"
    )
    return config


def serve(bundle: Path, data_dir: Path):
    """The app on a free localhost port over `bundle`: (demo, url, state)."""
    from wildlens.model.serving.predictor import Predictor
    from wildlens.ui import AppState, build_app, launch
    from wildlens.ui.config import AppConfig

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = AppConfig(port=port, data_dir=str(data_dir), max_file_size_mb=1, workshop_image_size=64)
    state = AppState(cfg, Predictor.from_bundle(bundle, device="cpu"), bundle)
    demo = build_app(state)
    _, url, _ = launch(demo, cfg, prevent_thread_lock=True, quiet=True)
    return demo, url, state
