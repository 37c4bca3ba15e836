"""Static review pages of a batch run: thumbnails grouped by decision and by predicted class.

    write_contact_sheets(records, cfg, Path("predictions.review"))   # then open index.html

Experts page through `index.html` without a server. Thumbnails are made with the shared decoder
from the input itself, named by the photo's sha256 (kept between reruns, made only when
missing); a photo whose bytes changed since it was classified shows no thumbnail rather than
the wrong one.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from PIL import Image

from wildlens.common.files import write_atomically
from wildlens.common.parallel import parallel_map
from wildlens.data.images import ImageError, load_image
from wildlens.data.sources import Sample
from wildlens.model.serving.items import draw_items
from wildlens.model.trust.routing import UNKNOWN
from wildlens.pipeline.config import InferConfig
from wildlens.pipeline.inputs import iter_inputs
from wildlens.pipeline.records import OK
from wildlens.pipeline.stages import available_cores

NOT_IN_CATALOGUE = "not in catalogue"  # the class group of unknown items
PAGE_SIZE = 120
THUMBNAIL_SIDE = 192
OVERVIEW_SIDE = 1200  # the photo with its items' numbered boxes
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
nav a, .pages a { margin-right: .6em; }
.grid { display: flex; flex-wrap: wrap; gap: 10px; }
.card { width: 200px; border: 1px solid #ccc; border-radius: 6px; padding: 4px; font-size: 12px;
        overflow-wrap: anywhere; }
.card img { width: 192px; height: 192px; object-fit: contain; background: #f3f3f3; }
.identified { border-color: #2a2; } .review { border-color: #e90; } .unknown { border-color: #c22; }
.failed, .skipped { border-color: #888; background: #f8f8f8; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: left; }
.shift { border: 2px solid #c22; border-radius: 6px; padding: .2em 1em; background: #fff4f4; }
"""


def thumbnail_path(folder: Path, sha256: str) -> Path:
    return folder / "thumbs" / sha256[:2] / f"{sha256}.jpg"


def overview_path(folder: Path, sha256: str) -> Path:
    return folder / "items" / sha256[:2] / f"{sha256}.jpg"


def item_thumbnail_path(folder: Path, sha256: str, index: int) -> Path:
    return folder / "items" / sha256[:2] / f"{sha256}-{index}.jpg"


def make_thumbnail(
    sample: Sample, folder: Path, items: dict[str, list[tuple[int, list[int], str]]] | None = None
) -> str | None:
    """Write the thumbnail of one photo (worker process); its sha256, or None if unreadable.

    For a photo of several items (`items`: key -> (index, box, decision) of each), also the
    overview (the photo with its numbered boxes, coloured by decision) and each item's crop,
    so the expert sees the item, not the whole table.
    """
    boxes = (items or {}).get(sample.key)
    try:
        loaded = load_image(sample.source, target_size=OVERVIEW_SIDE if boxes else THUMBNAIL_SIDE)
    except ImageError:
        return None  # it was readable when classified; the page shows "no thumbnail"
    sha256 = loaded.facts.sha256
    image = loaded.image.copy()
    if boxes:
        write_item_images(loaded.image, loaded.facts.original_size, boxes, folder, sha256)
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    write_atomically(thumbnail_path(folder, sha256), _jpeg(image))
    return sha256


def write_item_images(
    image: Image.Image,
    full_size: tuple[int, int],
    boxes: list[tuple[int, list[int], str]],
    folder: Path,
    sha256: str,
) -> None:
    """The overview with numbered boxes and each item's crop (boxes in full-size pixels)."""
    scale = image.width / full_size[0]
    for index, box, _ in boxes:
        crop = image.crop(tuple(round(v * scale) for v in box))
        crop.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        write_atomically(item_thumbnail_path(folder, sha256, index), _jpeg(crop))
    overview = draw_items(image, boxes, full_size)
    overview.thumbnail((OVERVIEW_SIDE, OVERVIEW_SIDE))
    write_atomically(overview_path(folder, sha256), _jpeg(overview))


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def write_thumbnails(records: list[dict[str, Any]], cfg: InferConfig, folder: Path) -> None:
    """Thumbnails of the classified photos that have none yet (one more pass over the input);
    for items=true records, the photo's overview and its items' crops too."""
    wanted = {
        r.get("item_of") or r["key"]
        for r in records
        if r["status"] == OK
        and not (
            overview_path(folder, r["sha256"])
            if "item_of" in r
            else thumbnail_path(folder, r["sha256"])
        ).exists()
    }
    if not wanted:
        return
    items: dict[str, list[tuple[int, list[int], str]]] = {}
    for r in records:
        if r["status"] == OK and r.get("item_of") in wanted:
            items.setdefault(r["item_of"], []).append(
                (r["item_index"], r["item_box"], r["decision"])
            )
    samples = (
        item
        for item in iter_inputs(cfg.input, cfg.extensions)
        if isinstance(item, Sample) and item.key in wanted
    )
    workers = available_cores() if len(wanted) > 32 else 0
    make = partial(make_thumbnail, folder=folder, items=items)
    for _ in parallel_map(make, samples, workers):
        pass


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def _page_name(group: str, page: int) -> str:
    return f"{_slug(group)}-{page}.html"


def _card(record: dict[str, Any], folder: Path) -> str:
    key = html.escape(record["key"])
    status = record["status"]
    if status != OK:
        return (
            f'<div class="card {status}"><b>{status}</b>: {html.escape(record["error_code"])}'
            f"<br>{key}<br>{html.escape(record.get('error_message') or '')}</div>"
        )
    item = record.get("item_index")
    thumb = (
        thumbnail_path(folder, record["sha256"])
        if item is None
        else item_thumbnail_path(folder, record["sha256"], item)
    )
    image = (
        f'<img src="{thumb.relative_to(folder).as_posix()}" alt="{key}" loading="lazy">'
        if thumb.exists()
        else "<p>(no thumbnail)</p>"
    )
    overview = overview_path(folder, record["sha256"])
    if item is not None and overview.exists():  # the item, and where it lies on the table
        image += (
            f'<br><a href="{overview.relative_to(folder).as_posix()}">item {item} of '
            f"{record.get('items_found')} on the photo (numbered boxes)</a>"
        )
    # An unknown item names no class: no ranked classes, no probabilities.
    ranked = (
        ""
        if record.get("decision") == UNKNOWN
        else "<br>".join(
            f"{html.escape(str(label))} {float(prob):.1%}"
            for label, prob in record.get("top_k", [])
        )
    )
    reasons = ", ".join(html.escape(r) for r in record.get("reasons") or [])
    decision = html.escape(str(record.get("decision")))
    return (
        f'<div class="card {decision}">{image}<br><b>{decision}</b>'
        f"{' (' + reasons + ')' if reasons else ''}<br>{ranked}<br><small>{key}</small></div>"
    )


def _document(title: str, body: str) -> bytes:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>\n"
    ).encode()


def write_group(
    folder: Path, group: str, title: str, records: list[dict[str, Any]]
) -> tuple[str, int]:
    """The pages of one group; returns (first page's name, number of records)."""
    pages = max(1, -(-len(records) // PAGE_SIZE))
    for page in range(1, pages + 1):
        links = " ".join(
            f"<b>{n}</b>" if n == page else f'<a href="{_page_name(group, n)}">{n}</a>'
            for n in range(1, pages + 1)
        )
        chunk = records[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        body = (
            f'<nav><a href="index.html">index</a></nav><h1>{html.escape(title)}</h1>'
            f'<p>{len(records)} photos, page {page} of {pages}</p><p class="pages">{links}</p>'
            f'<div class="grid">{"".join(_card(r, folder) for r in chunk)}</div>'
            f'<p class="pages">{links}</p>'
        )
        write_atomically(folder / _page_name(group, page), _document(title, body))
    return _page_name(group, 1), len(records)


def _grouped(records: Iterable[dict[str, Any]], field: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(str(record.get(field)), []).append(record)
    return dict(sorted(groups.items()))


def _class_of(record: dict[str, Any]) -> str:
    """The class group of a record: an unknown item is in no class's group."""
    return NOT_IN_CATALOGUE if record.get("decision") == UNKNOWN else str(record.get("label"))


def _shift_notice(shift: dict[str, Any] | None) -> str:
    if not shift or not shift.get("fired"):
        return ""
    rates = "".join(
        f"<li>{html.escape(name)}: {shift['means'][name]:.0%} of these photos, "
        f"{shift['calibration_means'][name]:.0%} of the calibration photos</li>"
        for name in shift["means"]
    )
    action = (
        "Auto-accept was suspended from then on: later answers are in review as "
        "<code>shift_suspected</code>."
        if shift.get("enabled")
        else "The guard was off (shift_guard=false): auto-accept went on."
    )
    return (
        "<div class='shift'><h2>Shift suspected</h2><p>From photo "
        f"{shift['fired_at']} ({html.escape(str(shift['fired_at_key']))}) these photos no longer "
        f"looked like the photos the model was calibrated on, so its guarantee no longer holds. "
        f"{action}</p><ul>{rates}</ul></div>"
    )


def write_contact_sheets(
    records: list[dict[str, Any]],
    cfg: InferConfig,
    folder: Path,
    shift: dict[str, Any] | None = None,
) -> Path:
    """index.html plus paged groups: by decision, by predicted class, and failed or skipped;
    `shift` (the run's shift guard state) says on the index when and why it fired."""
    folder.mkdir(parents=True, exist_ok=True)
    write_thumbnails(records, cfg, folder)
    ordered = sorted(records, key=lambda r: r["key"])
    ok = [r for r in ordered if r["status"] == OK]
    sections = []
    for heading, prefix, groups in (
        ("By decision", "decision", _grouped(ok, "decision")),
        (
            "By predicted class",
            "class",
            _grouped(({**r, "class": _class_of(r)} for r in ok), "class"),
        ),
        ("Not classified", "status", _grouped([r for r in ordered if r["status"] != OK], "status")),
    ):
        rows = []
        for name, members in groups.items():
            first, count = write_group(folder, f"{prefix}-{name}", f"{heading}: {name}", members)
            rows.append(f'<tr><td><a href="{first}">{html.escape(name)}</a></td><td>{count}</td>')
        if rows:
            sections.append(f"<h2>{heading}</h2><table>{''.join(rows)}</table>")
    first = records[0] if records else {}
    bundle = f"{first.get('bundle_name')} {first.get('bundle_version')}"
    body = (
        f"<h1>WildLens review</h1><p>input {html.escape(str(cfg.input))}; bundle "
        f"{html.escape(bundle)}; {len(records)} records</p>"
        + _shift_notice(shift)
        + "".join(sections)
    )
    write_atomically(folder / "index.html", _document("WildLens review", body))
    return folder / "index.html"
