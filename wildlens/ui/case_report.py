"""Case reports for a case's records: a CSV (one row per photo) and a printable, self-contained
HTML page in the app's languages, with photos, hashes, decisions, verdicts and model identity.
A photo of several items lists its items (counts per class and decision, their records), and
each item's record shows the item, its box and the overview with the numbered boxes.

    csv_data = case_report_csv(store.records("C-17"))
    html_text = case_report_html(store, "C-17", language="zh", names=names)
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from wildlens.data.images import ImageError, load_image
from wildlens.data.items import item_crop
from wildlens.model.serving.items import item_counts
from wildlens.model.trust.routing import UNKNOWN
from wildlens.review.anchor import Head
from wildlens.review.exports import csv_bytes
from wildlens.review.store import NOT_IN_CATALOGUE, RecordView, ReviewStore, StoredPhoto
from wildlens.ui.i18n import text
from wildlens.ui.render_items import summary_line

THUMBNAIL_SIDE = 360  # pixels: the longer side of each photo in the printable report

CASE_COLUMNS = (
    "case_id",
    "record_id",
    "saved",
    "officer",
    "location",
    "account",
    "photo",
    "item_index",
    "items_found",
    "item_box",
    "file_name",
    "sha256",
    "format",
    "width",
    "height",
    "photo_decision",
    "photo_label",
    "photo_confidence",
    "item_decision",
    "item_label",
    "item_confidence",
    "reasons",
    "shortlist",
    "current_label",
    "status",
    "last_verdict_by",
    "last_verdict_time",
    "last_verdict_comment",
    "history",
    "bundle_name",
    "bundle_version",
    "bundle_sha256",
    "code_version",
)


def case_report_csv(records: Sequence[RecordView]) -> bytes:
    """One row per photo of every record: hashes, both decisions, the verdicts, the model."""
    rows = []
    for record in records:
        last = record.events[-1]
        verdict = last if last.action != "created" else None
        history = "; ".join(
            f"{e.time} {e.actor} {e.action} {e.previous_label or '-'} -> {e.label}"
            + (f" ({e.comment})" if e.comment else "")
            for e in record.events
        )
        unknown = record.decision == UNKNOWN  # no class, nor its probability, anywhere
        item = record.item or {}
        for photo in record.photos:
            rows.append(
                {
                    "case_id": record.case_id,
                    "record_id": record.id,
                    "saved": record.created,
                    "officer": record.officer,
                    "location": record.location,
                    "account": record.account,
                    "photo": photo.position + 1,
                    "item_index": item.get("index", ""),
                    "items_found": item.get("count", ""),
                    "item_box": " ".join(str(v) for v in item.get("box", [])),
                    "file_name": photo.file_name,
                    "sha256": photo.sha256,
                    "format": photo.format,
                    "width": photo.width,
                    "height": photo.height,
                    "photo_decision": photo.prediction.get("decision", ""),
                    "photo_label": "" if unknown else _photo_label(photo),
                    "photo_confidence": "" if unknown else _photo_confidence(photo),
                    "item_decision": record.decision,
                    "item_label": "" if unknown else record.predicted_label,
                    "item_confidence": "" if unknown else f"{record.confidence:.4f}",
                    "reasons": ";".join(record.reasons),
                    "shortlist": "" if unknown else ";".join(record.shortlist),
                    "current_label": record.label,
                    "status": record.status,
                    "last_verdict_by": verdict.actor if verdict else "",
                    "last_verdict_time": verdict.time if verdict else "",
                    "last_verdict_comment": verdict.comment if verdict else "",
                    "history": history,
                    **record.bundle,
                    "code_version": record.code_version,
                }
            )
    return csv_bytes(list(CASE_COLUMNS), rows)


def _photo_label(photo: StoredPhoto) -> str:
    """A photo's own class: none where the photo itself was unknown."""
    if photo.prediction.get("decision") == UNKNOWN:
        return ""
    return photo.prediction.get("label", "")


def _photo_confidence(photo: StoredPhoto) -> str:
    if photo.prediction.get("decision") == UNKNOWN:
        return ""
    return f"{photo.prediction.get('confidence', 0.0):.4f}"


REPORT_STYLE = """
body { font-family: system-ui, "Noto Sans", "Noto Sans CJK SC", "Noto Sans Lao", sans-serif;
       margin: 2em; color: #111; }
h1 { margin-bottom: .2em; } .meta { color: #444; }
section.record { border: 1px solid #999; border-radius: 6px; padding: .8em 1em; margin: 1.2em 0;
                 page-break-inside: avoid; break-inside: avoid; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; }
dt { font-weight: 600; } dd { margin: 0; }
.photos { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; width: 370px; } figure img { max-width: 360px; max-height: 360px; }
figcaption, code { font-size: 11px; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
td, th { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
.identified { color: #176117; } .review { color: #8a5200; } .unknown { color: #a31515; }
@media print { body { margin: 0; } section.record { border-color: #000; } }
"""


def case_report_html(
    store: ReviewStore,
    case_id: str,
    language: str = "en",
    names: Mapping[str, str] | None = None,
    integrity: Sequence[str] | None = None,
    head: Head | None = None,
) -> str:
    """A self-contained, printable HTML page of a case: photos embedded, in `language`.

    Args:
        store: the review store.
        case_id: the case (seizure) id.
        language: en, zh or lo.
        names: class id -> display name in `language` (default: the id).
        integrity: problems from `store.verify(case_id)` to print (None: the check was not run).
        head: the store's chain head as signed for this report (`store.sign_head()`); None:
            the current head, unsigned.
    """
    records = store.records(case_id)

    def t(key: str, **values) -> str:
        return html.escape(text(language, key, **values))

    def name(label: str) -> str:
        if label == NOT_IN_CATALOGUE:
            return t("label.not_in_catalogue")
        return html.escape((names or {}).get(label, label))

    generated = datetime.now(UTC).isoformat(timespec="seconds")
    parts = [
        f'<!doctype html><html lang="{html.escape(language)}"><head><meta charset="utf-8">',
        f"<title>{t('report.title')} {html.escape(case_id)}</title>",
        f"<style>{REPORT_STYLE}</style></head><body>",
        f"<h1>{t('report.title')}: {html.escape(case_id)}</h1>",
        f'<p class="meta">{t("report.generated", time=generated)} · '
        f"{t('report.record_count', count=len(records))}</p>",
    ]
    if integrity is not None:
        key = "report.integrity_ok" if not integrity else "report.integrity_problems"
        parts.append(f"<p><strong>{t(key, count=len(integrity))}</strong></p>")
        parts += [f"<p>{html.escape(problem)}</p>" for problem in integrity]
    parts.append(_anchor_html(store, head, t))
    if not records:
        parts.append(f"<p>{t('report.no_records')}</p>")
    parts.append(_items_html(records, language, names or {}))
    for record in records:
        parts.append(_record_html(store, record, t, name))
    parts.append("</body></html>")
    return "\n".join(parts)


def _anchor_html(store: ReviewStore, head: Head | None, t) -> str:
    """The chain head this report was made at (signed with the site key when there is one): a
    copy of it on paper shows later whether the store's history was cut or rewritten."""
    if head is not None and head.signature:
        line = t(
            "report.anchor",
            event=head.event,
            chain=head.chain,
            time=head.time,
            key=head.signature["key_id"],
            signature=head.signature["signature"],
        )
    else:
        head = store.head()
        if head is None:
            return ""
        line = t("report.anchor_unsigned", event=head.event, chain=head.chain)
    return f'<p class="meta anchor"><code>{line}</code></p>'


def _items_html(records: Sequence[RecordView], language: str, names: Mapping[str, str]) -> str:
    """Each photo of several items: its items' counts per class and decision, and records."""
    photos: dict[tuple[str, str], list[RecordView]] = {}
    for record in records:
        if record.item:
            photos.setdefault((record.item["photo_sha256"], record.created), []).append(record)
    if not photos:
        return ""
    lines = []
    for (sha256, _), items in photos.items():
        counts = item_counts([{"decision": r.decision, "label": r.predicted_label} for r in items])
        line = text(
            language,
            "items.report_photo",
            name=items[0].photos[0].file_name,
            sha=sha256,
            count=len(items),
            records=", ".join(f"#{r.id}" for r in items),
            summary=summary_line(counts, dict(names), language),
        )
        lines.append(f'<li data-photo="{sha256}">{html.escape(line)}</li>')
    heading = html.escape(text(language, "items.report_photos"))
    return f'<section class="items"><h2>{heading}</h2><ul>{"".join(lines)}</ul></section>'


def _record_html(store: ReviewStore, record: RecordView, t, name) -> str:
    decision = (
        f'<span class="{record.decision}" data-decision="{record.decision}">'
        f"{t('decision.' + record.decision)}</span>"
    )
    reasons = ", ".join(t("reason_detail." + r) for r in record.reasons) or "-"
    unknown = record.decision == UNKNOWN
    rows = [
        (t("report.saved"), html.escape(record.created)),
        (t("report.officer"), html.escape(record.officer)),
        (t("report.location"), html.escape(record.location or "-")),
        (t("report.decision"), decision),
    ]
    # An item the model calls unknown is no class: its nearest class and shortlist are not
    # printed (they would read as an answer in a court file).
    if not unknown:
        rows += [
            (
                t("report.predicted"),
                f"{name(record.predicted_label)} ({record.confidence:.1%}) "
                f"<code>{html.escape(record.predicted_label)}</code>",
            ),
            (t("report.shortlist"), ", ".join(name(c) for c in record.shortlist) or "-"),
        ]
    rows += [
        (t("report.reasons"), reasons),
        (
            t("report.current_label"),
            f"<strong>{name(record.label)}</strong> · {t('status.' + record.status)}",
        ),
        (
            t("report.model"),
            f"{html.escape(record.bundle['bundle_name'])} "
            f"{html.escape(record.bundle['bundle_version'])} · weights sha256 "
            f"<code>{html.escape(record.bundle['bundle_sha256'])}</code>",
        ),
        (t("report.code_version"), f"<code>{html.escape(record.code_version)}</code>"),
    ]
    if record.account:
        rows.insert(2, (t("report.account"), html.escape(record.account)))
    if record.item:
        item = record.item
        box = ", ".join(str(v) for v in item["box"])
        where = t(
            "items.box",
            n=item["index"],
            count=item["count"],
            sha=item["photo_sha256"][:16],
            box=box,
        )
        rows.insert(3, (t("items.report_heading"), where))
    details = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    figures = "".join(_photo_html(store, photo, t, name, unknown) for photo in record.photos)
    if record.item:
        figures = _item_figures(store, record, t) + figures
    history = "".join(
        "<tr>"
        f"<td>{html.escape(e.time)}</td>"
        f"<td>{html.escape(e.actor)}{' (' + html.escape(e.account) + ')' if e.account else ''}</td>"
        f"<td>{t('action.' + e.action)}</td>"
        f"<td>{name(e.previous_label) if e.previous_label else '-'} → {name(e.label)}</td>"
        f"<td>{t('status.' + e.status)}</td>"
        f"<td>{html.escape(e.comment)}</td>"
        "</tr>"
        for e in record.events
    )
    header = "".join(
        f"<th>{t(k)}</th>"
        for k in (
            "report.time",
            "report.who",
            "report.action",
            "report.label_change",
            "report.status",
            "report.comment",
        )
    )
    return (
        f'<section class="record"><h2>{t("report.record", id=record.id)}</h2>'
        f"<dl>{details}</dl>"
        f'<h3>{t("report.photos")}</h3><div class="photos">{figures}</div>'
        f"<h3>{t('report.history')}</h3><table><tr>{header}</tr>{history}</table></section>"
    )


def _item_figures(store: ReviewStore, record: RecordView, t) -> str:
    """The item cut from its photo as the model saw it, and the overview the officer saw."""
    item = record.item or {}
    try:
        loaded = load_image(store.photo_bytes(record.photos[0]), target_size=4 * THUMBNAIL_SIDE)
        crop = item_crop(loaded.image, item["box"], loaded.facts.original_size)
        overview = load_image(store.overview_bytes(record) or b"", target_size=THUMBNAIL_SIDE)
        images = [crop, overview.image.copy()]
    except (ImageError, ValueError) as error:  # PhotoError is a ValueError
        return f"<p><strong>{t('report.photo_unavailable')}</strong> {html.escape(str(error))}</p>"
    captions = [
        t("items.of_photo", n=item["index"], count=item["count"]),
        t("items.overview_caption", n=item["index"]),
    ]
    return "".join(
        f"<figure>{_embedded(image, caption)}<figcaption>{caption}</figcaption></figure>"
        for image, caption in zip(images, captions, strict=True)
    )


def _embedded(image, alt: str) -> str:
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="{alt}" src="data:image/jpeg;base64,{encoded}">'


def _photo_html(store: ReviewStore, photo: StoredPhoto, t, name, item_unknown: bool) -> str:
    try:
        data = store.photo_bytes(photo)
        image = load_image(data, target_size=THUMBNAIL_SIDE).image.copy()
        image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=85)
        encoded = base64.b64encode(buffer.getvalue()).decode()
        img = f'<img alt="{html.escape(photo.file_name)}" src="data:image/jpeg;base64,{encoded}">'
    except (ImageError, ValueError) as error:  # PhotoError is a ValueError
        img = f"<p><strong>{t('report.photo_unavailable')}</strong> {html.escape(str(error))}</p>"
    prediction = photo.prediction
    photo_decision = prediction.get("decision", "review")
    result = t("decision." + photo_decision)
    if not item_unknown and photo_decision != UNKNOWN:
        label = prediction.get("label", "")
        result += f": {name(label)} ({prediction.get('confidence', 0.0):.1%})"
    return (
        f"<figure>{img}<figcaption>{t('report.photo', n=photo.position + 1)}: "
        f"{html.escape(photo.file_name)} · {html.escape(photo.format)} "
        f"{photo.width}×{photo.height}<br>sha256 <code>{photo.sha256}</code><br>"
        f"{result}</figcaption></figure>"
    )
