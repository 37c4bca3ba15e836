"""A real browser uses the app: Debian's Chromium driven by Playwright uploads a photo, sees the
decision, saves the record, and switches to Chinese and Lao; screenshots are saved.

Screenshots go to $WILDLENS_SCREENSHOTS when set (docs/make_screenshots.py makes the
documentation's), else to the test's temporary folder.
"""

import os
import socket
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, ensure_chromium

from wildlens.model.predictor import Predictor
from wildlens.ui import AppState, build_app, launch
from wildlens.ui.config import AppConfig
from wildlens.ui.i18n import text

pytestmark = pytest.mark.slow
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    reason = ensure_chromium()
    if reason:
        pytest.skip(reason)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app_url(tiny_bundle, tmp_path_factory):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = AppConfig(port=port, data_dir=str(tmp_path_factory.mktemp("browser-app")))
    state = AppState(cfg, Predictor.from_bundle(tiny_bundle, device="cpu"), tiny_bundle)
    demo = build_app(state)
    _, url, _ = launch(demo, cfg, prevent_thread_lock=True, quiet=True)
    yield url
    demo.close()


def test_officer_identifies_saves_and_switches_language(chromium, app_url, tiny_dataset, tmp_path):
    shots = Path(os.environ.get("WILDLENS_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    photo = sorted((tiny_dataset / "val" / "elephant_ivory").glob("*.jpg"))[0]
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{app_url}?lang=en")
    page.locator("#photos input[type=file]").set_input_files(str(photo))
    page.locator(f'#photos td[aria-label="{photo.name}"]').wait_for()  # uploaded
    page.locator("#identify").click()
    decision = page.locator("#decision .wl-decision")
    decision.wait_for()
    code = decision.get_attribute("data-decision")
    assert code in ("identified", "review", "unknown")
    word = page.locator("#decision .wl-word")
    assert text("en", f"decision.{code}").lower() in word.inner_text().lower()
    page.screenshot(path=str(shots / "browser-identify-en.png"), full_page=True)

    page.get_by_label(text("en", "identify.case_id")).fill("BOTEN-2026-0142")
    page.get_by_label(text("en", "identify.officer")).fill("Somchai")
    page.locator("#save-record").click()
    page.locator("#save-status").get_by_text("Saved as record").wait_for()

    for language, name in (("zh", "中文"), ("lo", "ພາສາລາວ")):
        page.get_by_label(name, exact=True).check()
        expected = text(language, f"decision.{code}")
        page.wait_for_function(
            "word => document.querySelector('#decision .wl-word').innerText.includes(word)",
            arg=expected,
        )
        page.get_by_role("tab", name=text(language, "tab.review")).wait_for()
        assert text(language, "identify.save") in page.locator("#save-record").inner_text()
        page.screenshot(path=str(shots / f"browser-identify-{language}.png"), full_page=True)
    page.close()
    for language in ("en", "zh", "lo"):
        assert (shots / f"browser-identify-{language}.png").stat().st_size > 10_000
