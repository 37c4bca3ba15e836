"""The user guide's screenshots (docs/images/*.png), from the demo model in a real browser.

    python docs/make_screenshots.py        # needs Debian's chromium (tests/browser.py)

Starts the app on the embedded demo bundle with a fresh data folder, saves a few synthetic items
through the app's API, then photographs each tab with Chromium (Playwright): Identify in three
languages and on a phone-sized screen, the review queue with a record open, a case report,
a batch run and a workshop training. Images are reduced to a 256-colour palette to stay small.
"""

from __future__ import annotations

import io
import socket
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402
from browser import CHROMIUM, CHROMIUM_ARGS, ensure_chromium  # noqa: E402
from PIL import Image  # noqa: E402

import wildlens  # noqa: E402, F401  (offline defaults)
from wildlens.data.synthetic import render, write_dataset  # noqa: E402
from wildlens.model.demo import ensure_demo_bundle  # noqa: E402
from wildlens.model.predictor import Predictor  # noqa: E402
from wildlens.ui import AppState, build_app, launch  # noqa: E402
from wildlens.ui.config import AppConfig  # noqa: E402

IMAGES = ROOT / "docs" / "images"
DESKTOP = {"width": 1180, "height": 1000}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 120_000


def photo(folder: Path, class_id: str, seed: int) -> Path:
    path = folder / f"{class_id}-{seed}.jpg"
    render(class_id, np.random.default_rng(seed), size=640).save(path, quality=90)
    return path


def save_png(data: bytes, name: str, max_height: int = 1500) -> None:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    if image.height > max_height:
        image = image.crop((0, 0, image.width, max_height))
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    IMAGES.mkdir(parents=True, exist_ok=True)
    image.save(IMAGES / name, optimize=True)
    print(f"{IMAGES / name}: {(IMAGES / name).stat().st_size // 1024} KB")


def blurred(path: Path) -> Path:
    """A badly focused copy: the app answers "needs expert review" (poor photo)."""
    from PIL import ImageFilter

    target = path.with_name(f"blurred-{path.name}")
    Image.open(path).filter(ImageFilter.GaussianBlur(14)).save(target, quality=90)
    return target


def seed_records(url: str, scratch: Path) -> None:
    """Saved items, some waiting for review and one corrected by an expert, via the app's API."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    boten = ("BOTEN-2026-0142", "Boten border post", "Somchai P.")
    mohan = ("MOHAN-2026-0031", "Mohan port", "Li Wei")
    items = [
        (boten, [photo(scratch, "elephant_ivory", 11)]),
        (boten, [photo(scratch, "rhino_horn", 12)]),
        (mohan, [photo(scratch, "pangolin_scale", 13)]),
        (boten, [photo(scratch, "rhino_horn", 14), photo(scratch, "rhino_horn", 15)]),
        (mohan, [blurred(photo(scratch, "elephant_ivory", 16))]),
        (boten, [photo(scratch, "cattle_horn", 17)]),
    ]
    for (case, place, officer), photos in items:
        files = [handle_file(str(p)) for p in photos]
        client.predict(files, False, "en", api_name="/identify")
        client.predict(files, case, place, officer, "en", api_name="/save_record")
    client.predict(2, "en", api_name="/open_record")
    client.predict(
        2,
        "Dr. K. Vongsa",
        "cattle_horn",
        "Hollow core and growth rings: cattle horn",
        "en",
        api_name="/correct",
    )


def main() -> None:
    reason = ensure_chromium()
    if reason:
        sys.exit(reason)
    from playwright.sync_api import sync_playwright

    bundle = ensure_demo_bundle()
    with tempfile.TemporaryDirectory() as temp, sync_playwright() as playwright:
        scratch = Path(temp)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        cfg = AppConfig(port=port, data_dir=str(scratch / "app"), device="cpu")
        state = AppState(cfg, Predictor.from_bundle(bundle, device="cpu"), bundle)
        demo = build_app(state)
        _, url, _ = launch(demo, cfg, prevent_thread_lock=True, quiet=True)
        seed_records(url, scratch)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            shoot(browser, url, scratch)
        finally:
            browser.close()
            demo.close()


def identify_item(page, url: str, photos: list[Path], language: str) -> None:
    page.goto(f"{url}?lang={language}")
    page.locator("#photos input[type=file]").set_input_files([str(p) for p in photos])
    page.locator(f'#photos td[aria-label="{photos[-1].name}"]').wait_for()
    page.locator("#identify").click()
    page.locator("#decision .wl-decision").wait_for()
    page.locator("#gallery img").first.wait_for()
    page.wait_for_timeout(800)  # let the gallery images finish drawing


def shoot(browser, url: str, scratch: Path) -> None:
    item = [photo(scratch, "rhino_horn", 21), photo(scratch, "rhino_horn", 22)]
    page = browser.new_page(viewport=DESKTOP)
    page.set_default_timeout(TIMEOUT_MS)
    for language in ("en", "zh", "lo"):
        identify_item(page, url, item, language)
        save_png(page.screenshot(full_page=True), f"identify-{language}.png", max_height=1250)
    phone = browser.new_page(viewport=PHONE, is_mobile=True)
    phone.set_default_timeout(TIMEOUT_MS)
    identify_item(phone, url, [photo(scratch, "pangolin_scale", 23)], "en")
    save_png(phone.screenshot(full_page=True), "identify-phone.png", max_height=1500)

    page.goto(f"{url}?lang=en")
    page.get_by_role("tab", name="Review queue").click()
    page.get_by_role("button", name="Show queue").click()
    page.locator("#queue").get_by_text("Somchai P.").filter(visible=True).first.wait_for()
    page.get_by_label("Record number").fill("2")
    page.get_by_role("button", name="Open record").click()
    page.locator("#record .wl-record").wait_for()
    page.wait_for_timeout(800)
    save_png(page.screenshot(full_page=True), "review.png", max_height=1700)

    page.get_by_text("Case report").first.click()
    page.locator("#report-case textarea").fill("BOTEN-2026-0142")
    page.get_by_role("button", name="Make report").click()
    page.get_by_text("records ready").wait_for()
    report = next((scratch / "app" / "reports").glob("*.html"))
    page.goto(report.as_uri())
    save_png(page.screenshot(full_page=True), "case-report.png", max_height=1400)

    archive = scratch / "seizure-photos.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i, class_id in enumerate(("elephant_ivory", "resin_imitation", "rosewood", "bone")):
            zf.write(photo(scratch, class_id, 30 + i), f"box-1/{class_id}-{i}.jpg")
        zf.writestr("box-1/damaged.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")
    page.goto(f"{url}?lang=en")
    page.get_by_role("tab", name="Batch").click()
    page.locator("#batch-archive input[type=file]").set_input_files(str(archive))
    page.locator('#batch-archive td[aria-label="seizure-photos.zip"]').wait_for()
    page.get_by_role("button", name="Classify all").click()
    page.get_by_text("files classified").wait_for()
    save_png(page.screenshot(full_page=True), "batch.png", max_height=1300)

    data = write_dataset(
        scratch / "workshop",
        {"train": 16, "val": 6},
        size=160,
        seed=5,
        classes=("elephant_ivory", "bone", "resin_imitation"),
    )
    training = scratch / "class-photos.zip"
    with zipfile.ZipFile(training, "w") as zf:
        for path in sorted(data.rglob("*.jpg")):
            zf.write(path, "class-photos/" + path.relative_to(data).as_posix())
    page.goto(f"{url}?lang=en")
    page.get_by_role("tab", name="Workshop").click()
    page.locator("#workshop-archive input[type=file]").set_input_files(str(training))
    page.locator('#workshop-archive td[aria-label="class-photos.zip"]').wait_for()
    page.get_by_label("Model name").fill("ivory-workshop")
    page.get_by_role("button", name="Train", exact=True).click()
    page.locator("#workshop-summary").get_by_text("Trained ivory-workshop").wait_for()
    page.wait_for_timeout(800)
    save_png(page.screenshot(full_page=True), "workshop.png", max_height=1700)


if __name__ == "__main__":
    main()
