"""The user guide's screenshots (docs/images/*.png), from the demo model in a real browser.

    python docs/make_screenshots.py        # needs Debian's chromium (tests/browser.py)

Starts the app on the embedded demo bundle with a fresh data folder and three accounts (an
officer, an expert, a trainer), saves a few synthetic items through the app's API as the officer,
then photographs each tab with Chromium (Playwright), signed in as the person who uses it: the
sign-in page, Identify in three languages and on a phone-sized screen (officer), a saved item
and the next one (New item), a photo of several items on a table (officer), the review queue
with a record open and a case report (expert), a batch run (officer) and a workshop training
(trainer). Images are reduced to a 256-colour palette to stay small.
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
from browser import CHROMIUM, CHROMIUM_ARGS, chromium_missing  # noqa: E402
from PIL import Image  # noqa: E402

import wildlens  # noqa: E402, F401  (offline defaults)
from wildlens.data.synthetic import render, write_dataset  # noqa: E402
from wildlens.model.serving.predictor import Predictor  # noqa: E402
from wildlens.model.workflows.demo import ensure_demo_bundle  # noqa: E402
from wildlens.ui import AppState, build_app, launch  # noqa: E402
from wildlens.ui.accounts import UsersFile  # noqa: E402
from wildlens.ui.config import AppConfig  # noqa: E402

IMAGES = ROOT / "docs" / "images"
DESKTOP = {"width": 1180, "height": 1000}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 120_000
PASSWORD = "screenshots-only"  # a throw-away data folder's accounts
ACCOUNTS = (
    ("somchai", "officer", "Somchai P."),
    ("vongsa", "expert", "Dr. K. Vongsa"),
    ("li", "trainer", "Li Wei"),
)


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


def table_photo(folder: Path) -> Path:
    """Several items laid apart on a blue cloth (each a synthetic item photo), as officers
    photograph a seizure."""
    rng = np.random.default_rng(40)
    cloth = np.array([52, 74, 110]) + rng.normal(0, 4, (900, 1500, 3))
    table = Image.fromarray(np.clip(cloth, 0, 255).astype(np.uint8))
    laid = [
        ("elephant_ivory", 41, (90, 100)),
        ("elephant_ivory", 42, (560, 80)),
        ("rhino_horn", 43, (1030, 130)),
        ("pangolin_scale", 44, (200, 520)),
        ("cattle_horn", 45, (760, 500)),
    ]
    for class_id, seed, at in laid:
        table.paste(render(class_id, np.random.default_rng(seed), size=300), at)
    path = folder / "seizure-table.jpg"
    table.save(path, quality=90)
    return path


def shoot_items(browser, url: str, scratch: Path) -> None:
    """Identify with "items on a table": the numbered photo and one row per item."""
    page = sign_in(browser, url, "somchai")
    page.locator("#items-switch input[type=checkbox]").check()
    page.locator("#heat-map").wait_for(state="hidden")
    photo_path = table_photo(scratch)
    page.locator("#photos input[type=file]").set_input_files(str(photo_path))
    page.locator(f'#photos td[aria-label="{photo_path.name}"]').wait_for()
    page.locator("#identify").click()
    page.locator("#item-rows tr[data-item]").first.wait_for()
    page.locator("#gallery img").first.wait_for()
    page.wait_for_timeout(800)
    save_png(page.screenshot(full_page=True), "identify-items.png", max_height=1700)
    page.close()


def seed_records(url: str, scratch: Path) -> None:
    """Saved items, some waiting for review and one corrected by an expert, via the app's API."""
    from gradio_client import Client, handle_file

    officer = Client(url, verbose=False, auth=("somchai", PASSWORD))
    expert = Client(url, verbose=False, auth=("vongsa", PASSWORD))
    boten = ("BOTEN-2026-0142", "Boten border post", "")
    mohan = ("MOHAN-2026-0031", "Mohan port", "")
    items = [
        (boten, [photo(scratch, "elephant_ivory", 11)]),
        (boten, [photo(scratch, "rhino_horn", 12)]),
        (mohan, [photo(scratch, "pangolin_scale", 13)]),
        (boten, [photo(scratch, "rhino_horn", 14), photo(scratch, "rhino_horn", 15)]),
        (mohan, [blurred(photo(scratch, "elephant_ivory", 16))]),
        (boten, [photo(scratch, "cattle_horn", 17)]),
    ]
    for (case, place, name), photos in items:
        files = [handle_file(str(p)) for p in photos]
        officer.predict(files, False, "en", api_name="/identify")
        officer.predict(files, case, place, name, "en", api_name="/save_record")
    expert.predict(2, "en", api_name="/open_record")
    expert.predict(
        2,
        "",
        "cattle_horn",
        "Hollow core and growth rings: cattle horn",
        "en",
        api_name="/correct",
    )


def main() -> None:
    reason = chromium_missing()
    if reason:
        sys.exit(f"error: {reason}")
    from playwright.sync_api import sync_playwright

    bundle = ensure_demo_bundle()
    with tempfile.TemporaryDirectory() as temp, sync_playwright() as playwright:
        scratch = Path(temp)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        cfg = AppConfig(port=port, data_dir=str(scratch / "app"), device="cpu")
        users = UsersFile(scratch / "app" / "users.json")
        for login, role, full_name in ACCOUNTS:
            users.add(login, role, PASSWORD, full_name=full_name)
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


def sign_in(browser, url: str, login: str, language: str = "en", **options):
    """A page signed in as `login`, in `language`."""
    page = browser.new_page(**{"viewport": DESKTOP, **options})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{url}?lang={language}")
    page.locator("#username").fill(login)
    page.locator("#password").fill(PASSWORD)
    page.locator("#sign-in-button").click()
    page.locator("#session").wait_for()
    page.wait_for_timeout(1500)  # the page's language applied
    return page


def identify_item(page, url: str, photos: list[Path], language: str, details: bool = True) -> None:
    """Identify `photos` in `language`; with `details`, the folded details opened too."""
    page.goto(f"{url}?lang={language}")
    page.locator("#session").wait_for()
    page.locator("#photos input[type=file]").set_input_files([str(p) for p in photos])
    page.locator(f'#photos td[aria-label="{photos[-1].name}"]').wait_for()
    page.locator("#identify").click()
    page.locator("#decision .wl-decision").wait_for()
    page.locator("#gallery img").first.wait_for()
    if details:
        page.locator("#details .label-wrap").click()
        page.locator("#per-photo td").first.wait_for()
    page.wait_for_timeout(800)  # let the gallery images finish drawing


def shoot(browser, url: str, scratch: Path) -> None:
    item = [photo(scratch, "rhino_horn", 21), photo(scratch, "rhino_horn", 22)]
    login = browser.new_page(viewport=DESKTOP)
    login.goto(f"{url}?lang=en")
    login.locator("#password").wait_for()
    save_png(login.screenshot(full_page=True), "login.png", max_height=700)
    login.close()
    page = sign_in(browser, url, "somchai")
    for language in ("en", "zh", "lo"):
        identify_item(page, url, item, language)
        save_png(page.screenshot(full_page=True), f"identify-{language}.png", max_height=1250)
    # One case, many items: saved, then New item keeps the case for the next one.
    identify_item(page, url, [photo(scratch, "elephant_ivory", 24)], "en")
    page.locator("#record-case textarea, #identify-record textarea").first.fill("BOTEN-2026-0142")
    page.get_by_label("Location (border post, warehouse, ...)").fill("Boten border post")
    page.locator("#save-record").click()
    page.locator("#save-status strong").first.wait_for()
    page.wait_for_function("() => document.querySelector('#save-record').disabled")
    save_png(page.screenshot(full_page=True), "saved.png", max_height=1250)
    page.locator("#new-item").click()
    page.wait_for_function("() => !document.querySelector('#decision .wl-decision')")
    page.wait_for_timeout(500)
    save_png(page.screenshot(full_page=True), "new-item.png", max_height=1000)
    phone = sign_in(browser, url, "somchai", viewport=PHONE, is_mobile=True)
    identify_item(phone, url, [photo(scratch, "pangolin_scale", 23)], "en", details=False)
    save_png(phone.screenshot(full_page=True), "identify-phone.png", max_height=1500)
    phone.close()
    shoot_items(browser, url, scratch)

    expert = sign_in(browser, url, "vongsa")
    expert.locator("#queue").get_by_text("Somchai P.").filter(visible=True).first.wait_for()
    expert.locator("#record-number textarea, #record-number input").first.fill("2")
    expert.get_by_role("button", name="Open record").click()
    expert.locator("#record .wl-record").wait_for()
    expert.wait_for_timeout(800)
    save_png(expert.screenshot(full_page=True), "review.png", max_height=1700)

    expert.get_by_text("Case report").first.click()
    expert.locator("#report-case textarea").fill("BOTEN-2026-0142")
    expert.get_by_role("button", name="Make report").click()
    expert.locator("#report-status").get_by_text("ready").wait_for()
    report = next((scratch / "app" / "reports").glob("*.html"))
    expert.goto(report.as_uri())
    save_png(expert.screenshot(full_page=True), "case-report.png", max_height=1400)
    expert.close()

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
    page = sign_in(browser, url, "li")
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
