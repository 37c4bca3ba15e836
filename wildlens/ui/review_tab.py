"""Review tab (experts): the queue of items routed to review, oldest first; open one, confirm or
correct its label with a comment; export expert labels for retraining; print a case report.

An expert decides on a record they have opened: the verdict names the event it saw last, so if a
colleague decided meanwhile the store refuses (ConflictError) instead of silently stacking a
verdict on one the expert never saw. A verdict is checked first (`check_verdict`: name, comment,
label, a newer verdict), in the page's language, before anything on the page changes; the queue
shows itself when the tab opens, and says when nothing is waiting. With accounts the reviewer is
whoever signed in.
"""

from __future__ import annotations

import html
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pandas as pd

from wildlens.data.images import ImageError, load_image
from wildlens.data.items import item_crop
from wildlens.model.bundle.catalogue import CatalogueError, check_class_id
from wildlens.model.trust.routing import UNKNOWN
from wildlens.review.exports import export_for_retraining
from wildlens.review.photos import PhotoError
from wildlens.review.store import (
    NOT_IN_CATALOGUE,
    TEXT_LIMIT,
    ConflictError,
    QueueItem,
    RecordView,
    StoreError,
)
from wildlens.ui import render
from wildlens.ui.access import Access, Session, require
from wildlens.ui.case_report import case_report_csv, case_report_html
from wildlens.ui.errors import user_error
from wildlens.ui.i18n import text
from wildlens.ui.relabel import Labels, empty_table
from wildlens.ui.state import AppState

# Few columns, so the queue fits a laptop and a phone without sideways scrolling.
# Every item waiting is "needs expert review" or "not in catalogue", which its label says: no
# decision column. Time and person share a column in the history, which keeps its comment.
QUEUE_COLUMNS = ("record", "saved", "case", "label", "reasons")
QUEUE_WIDTHS = ["10%", "20%", "26%", "21%", "23%"]
HISTORY_COLUMNS = ("time", "action", "change", "status", "comment")
HISTORY_WIDTHS = ["24%", "15%", "21%", "17%", "23%"]
THUMBNAIL_SIDE = 480
ITEM_DECODE_SIDE = 1600  # an item's photo is decoded this large, so a small item's crop is sharp


def label_choices(state: AppState, language: str, everything: str | None) -> list[tuple[str, str]]:
    """(display name, label) of the active model's classes and "not in catalogue"."""
    names = state.model.names(language)
    choices = [(name, class_id) for class_id, name in names.items()]
    choices.append((text(language, "label.not_in_catalogue"), NOT_IN_CATALOGUE))
    return ([(everything, "")] if everything else []) + choices


def queue_headers(language: str) -> list[str]:
    return [text(language, f"queue.{c}") for c in QUEUE_COLUMNS]


def history_headers(language: str) -> list[str]:
    return [text(language, f"history.{c}") for c in HISTORY_COLUMNS]


def queue_note(queue: pd.DataFrame | None, language: str) -> str:
    """Under the queue: how many items wait, or that none does."""
    count = 0 if queue is None else len(queue)
    if not count:
        return text(language, "review.nothing_waiting")
    return text(language, "review.waiting", count=count)


def tamper_warning(state: AppState, language: str) -> str:
    """Under the queue, when the store's history disagrees with its chain or head log."""
    problems = state.store.verify_history()
    if not problems:
        return ""
    return "\n\n" + text(language, "review.tampered", count=len(problems), first=problems[0])


def queue_table(state: AppState, case_id: str, label: str, language: str) -> pd.DataFrame:
    names = state.model.names(language)
    rows = [
        [
            item.id,
            item.created[:16].replace("T", " "),
            " · ".join(
                part for part in (item.case_id, item.officer, of_photo(item, language)) if part
            ),
            queue_label(item, names, language),
            ", ".join(text(language, "reason_short." + r) for r in item.reasons),
        ]
        for item in state.store.queue(case_id or "", label or "")
    ]
    return pd.DataFrame(rows, columns=queue_headers(language))


def of_photo(record: QueueItem | RecordView, language: str) -> str:
    """ "item 2 of 5 on the photo" for one item of a photo of several; "" otherwise."""
    item = record.item
    if not item:
        return ""
    return text(language, "items.of_photo", n=item["index"], count=item["count"])


def queue_label(item: QueueItem, names: dict[str, str], language: str) -> str:
    """The waiting record's label (the model's) with its probability; an unknown item's label
    is "not in catalogue", with no probability (it has no class)."""
    shown = render.label_name(item.label, names, language)
    if item.decision == UNKNOWN:
        return shown
    return f"{shown} · {item.confidence:.0%}"


def record_html(record: RecordView, names: dict[str, str], language: str) -> str:
    """A record's summary for the expert (escaped; codes kept as data attributes)."""

    def t(key: str, **values) -> str:
        return html.escape(text(language, key, **values))

    def name(label: str) -> str:
        return html.escape(render.label_name(label, names, language))

    reasons = ", ".join(t("reason_detail." + r) for r in record.reasons) or "-"
    rows = [
        (t("report.saved"), html.escape(record.created)),
        (t("report.case"), html.escape(record.case_id)),
        (t("report.officer"), html.escape(record.officer)),
        (t("report.location"), html.escape(record.location or "-")),
        (t("report.decision"), t("decision." + record.decision)),
    ]
    # The model's class and shortlist of an item it calls unknown are no answer: not shown.
    if record.decision != UNKNOWN:
        shortlist = ", ".join(name(c) for c in record.shortlist) or "-"
        rows += [
            (t("report.predicted"), f"{name(record.predicted_label)} ({record.confidence:.1%})"),
            (t("report.shortlist"), shortlist),
        ]
    if record.item:  # one item of a photo of several: which, and where
        rows.append((t("items.report_heading"), html.escape(item_line(record, language))))
    rows += [
        (t("report.reasons"), reasons),
        (
            t("report.model"),
            f"{html.escape(record.bundle['bundle_name'])} "
            f"{html.escape(record.bundle['bundle_version'])} "
            f"<code>{html.escape(record.bundle['bundle_sha256'][:16])}…</code>",
        ),
    ]
    details = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        f'<div class="wl-record" data-record="{record.id}" data-status="{record.status}" '
        f'data-label="{html.escape(record.label)}">'
        f"<h3>{t('report.record', id=record.id)} · {name(record.label)} · "
        f"{t('status.' + record.status)}</h3><table>{details}</table></div>"
    )


def item_line(record: RecordView, language: str) -> str:
    """Which item of which photo a record is, and its box (pixels of the upright photo)."""
    item = record.item or {}
    return text(
        language,
        "items.box",
        n=item.get("index"),
        count=item.get("count"),
        sha=str(item.get("photo_sha256", ""))[:16],
        box=", ".join(str(v) for v in item.get("box", [])),
    )


def record_photos(
    state: AppState, record: RecordView, language: str = "en"
) -> list[tuple[Any, str]]:
    """The record's photos; for one item of a photo of several, the item (cut from the photo
    as the model saw it) and the overview with its numbered boxes, not the whole table."""
    if record.item:
        return item_photos(state, record, language)
    shown = []
    for photo in record.photos:
        caption = f"{photo.position + 1} · {photo.file_name} · sha256 {photo.sha256[:16]}…"
        try:
            image = load_image(state.store.photo_bytes(photo), target_size=THUMBNAIL_SIDE).image
        except (ImageError, PhotoError) as error:
            raise user_error(str(error)) from error  # a damaged store is never shown as fine
        image = image.copy()
        image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        shown.append((render.unique_for_cache(image), caption))
    return shown


def item_photos(state: AppState, record: RecordView, language: str) -> list[tuple[Any, str]]:
    """The item's crop from its stored photo, then the overview the officer saw."""
    photo, item = record.photos[0], record.item or {}
    try:
        loaded = load_image(state.store.photo_bytes(photo), target_size=ITEM_DECODE_SIDE)
        overview_bytes = state.store.overview_bytes(record)
        overview = load_image(overview_bytes, target_size=THUMBNAIL_SIDE).image.copy()
    except (ImageError, PhotoError) as error:
        raise user_error(str(error)) from error  # a damaged store is never shown as fine
    crop = item_crop(loaded.image, item["box"], loaded.facts.original_size)
    crop.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    overview.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    caption = f"{of_photo(record, language)} · {photo.file_name} · sha256 {photo.sha256[:16]}…"
    return [
        (render.unique_for_cache(crop), caption),
        (
            render.unique_for_cache(overview),
            text(language, "items.overview_caption", n=item["index"]),
        ),
    ]


def history_table(record: RecordView, names: dict[str, str], language: str) -> pd.DataFrame:
    rows = [
        [
            e.time[:19].replace("T", " ")
            + " · "
            + e.actor
            + (f" ({e.account})" if e.account else ""),
            text(language, "action." + e.action),
            (render.label_name(e.previous_label, names, language) if e.previous_label else "-")
            + " → "
            + render.label_name(e.label, names, language),
            text(language, "status." + e.status),
            e.comment,
        ]
        for e in record.events
    ]
    return pd.DataFrame(rows, columns=history_headers(language))


def record_number(value: Any, language: str) -> int:
    """The record number typed or clicked (text, or a number from a script)."""
    try:
        number = int(str(value).strip().lstrip("#")) if value not in (None, "") else 0
    except ValueError:
        number = 0
    if number < 1:
        raise user_error(text(language, "error.record_number"))
    return number


def open_record(state: AppState, record_id: Any, language: str) -> tuple[Any, ...]:
    """(summary, photos, history, opened = (record id, last event id))."""
    number = record_number(record_id, language)
    try:
        record = state.store.record(number)
    except StoreError as error:
        raise user_error(text(language, "error.no_record", id=number)) from error
    names = state.model.names(language)
    return (
        record_html(record, names, language),
        record_photos(state, record, language),
        history_table(record, names, language),
        (record.id, record.last_event),
    )


def check_verdict(
    state: AppState,
    record_id: Any,
    reviewer: str,
    label: str | None,
    comment: str,
    opened: tuple[int, int] | None,
    language: str,
) -> None:
    """Refuse a verdict the store would refuse, with a message in `language`: a record not
    opened, no reviewer name, a correction without a label or a comment, a bad or unchanged
    label, text too long, or a newer verdict than the one the reviewer saw."""
    if opened is None or opened[0] != record_number(record_id, language):
        raise user_error(text(language, "error.open_first"))
    if not (reviewer or "").strip():
        raise user_error(text(language, "error.reviewer_required"))
    for value, field in ((reviewer, "review.reviewer"), (comment, "review.comment")):
        if len((value or "").strip()) > TEXT_LIMIT:
            raise user_error(
                text(language, "error.too_long", field=text(language, field), limit=TEXT_LIMIT)
            )
    try:
        record = state.store.record(opened[0])
    except StoreError as error:
        raise user_error(text(language, "error.no_record", id=opened[0])) from error
    names = state.model.names(language)
    if record.last_event != opened[1]:
        raise user_error(changed_message(record, names, language))
    if label is None:
        return
    label = (label or "").strip()
    if not label:
        raise user_error(text(language, "error.choose_label"))
    try:
        check_class_id(label)
    except CatalogueError as error:
        raise user_error(text(language, "error.bad_label", label=label)) from error
    if label == record.label:
        raise user_error(
            text(language, "error.same_label", label=render.label_name(label, names, language))
        )
    if not (comment or "").strip():
        raise user_error(text(language, "error.comment_required"))


def changed_message(record: RecordView, names: dict[str, str], language: str) -> str:
    last = record.events[-1]
    return text(
        language,
        "error.record_changed",
        id=record.id,
        action=text(language, "action." + last.action),
        who=last.actor,
        time=last.time[:19].replace("T", " "),
    )


def record_verdict(
    state: AppState,
    record_id: Any,
    reviewer: str,
    label: str | None,
    comment: str,
    opened: tuple[int, int] | None,
    language: str,
    account: str,
) -> tuple[Any, ...]:
    """Confirm (label None) or correct the opened record; (status, summary, photos, history,
    opened)."""
    check_verdict(state, record_id, reviewer, label, comment, opened, language)
    try:
        if label is None:
            event = state.store.confirm(
                opened[0], reviewer, comment, account=account, expected_event=opened[1]
            )
        else:
            event = state.store.correct(
                opened[0], reviewer, label, comment, account=account, expected_event=opened[1]
            )
    except ConflictError as error:  # a colleague's verdict landed after the check
        names = state.model.names(language)
        record = state.store.record(opened[0])
        raise user_error(changed_message(record, names, language)) from error
    except StoreError as error:
        raise user_error(str(error)) from error
    names = state.model.names(language)
    status = text(
        language,
        "review.verdict_saved",
        id=event.record_id,
        action=text(language, "action." + event.action),
        label=render.label_name(event.label, names, language),
    )
    return (status, *open_record(state, event.record_id, language))


def export(state: AppState, layout: str, language: str) -> tuple[list[str], str]:
    """Expert-labelled photos for retraining: the folder on the server, and a zip to download."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = state.data_dir / "exports" / f"retrain-{stamp}-{layout}"
    summary = export_for_retraining(state.store, out, layout)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(out.rglob("*")):
            if path.is_file():
                archive.write(path, f"{out.name}/{path.relative_to(out).as_posix()}")
    files = [state.downloads.put(f"{out.name}.zip", buffer.getvalue())]
    files.append(state.downloads.put("manifest.csv", (out / "manifest.csv").read_bytes()))
    message = text(
        language,
        "review.exported",
        photos=summary.photos,
        unknown=summary.unknown,
        records=summary.records,
        folder=str(out),
    )
    if summary.conflicts:
        message += "\n\n" + text(language, "review.conflicts", count=len(summary.conflicts))
    return files, message


def case_report(state: AppState, case_id: str, language: str) -> tuple[list[str], str]:
    case_id = (case_id or "").strip()
    if not case_id:
        raise user_error(text(language, "error.case_required"))
    records = state.store.records(case_id)
    if not records:
        raise user_error(text(language, "error.no_case", case=case_id))
    names = state.model.names(language)
    problems = state.store.verify(case_id)
    head = state.store.sign_head()  # signed with the site key, when the site has one
    page = case_report_html(
        state.store, case_id, language, names=names, integrity=problems, head=head
    ).encode()
    stem = "case-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in case_id)
    folder = state.data_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.csv").write_bytes(case_report_csv(records))
    (folder / f"{stem}.html").write_bytes(page)
    files = [
        state.downloads.put(f"{stem}.html", page),
        state.downloads.put(f"{stem}.csv", (folder / f"{stem}.csv").read_bytes()),
    ]
    return files, text(language, "review.report_ready", count=len(records), folder=str(folder))


@dataclass
class ReviewTab:
    queue: gr.Dataframe
    note: gr.Markdown
    filters: list[Any]  # case, class
    opened: gr.State
    record: list[Any]  # summary, history
    reviewer: gr.Textbox

    @property
    def inputs(self) -> list[Any]:
        """What `rerender` needs besides the language."""
        return [*self.filters, self.opened]

    @property
    def results(self) -> list[Any]:
        return [self.queue, self.note, *self.record]

    def rerender(
        self, state: AppState, language: str, case: str, label: str, opened: Any
    ) -> list[tuple[Any, Any]]:
        """The queue and the open record in `language`."""
        queue = queue_table(state, case, label, language)
        pairs = [(self.queue, queue), (self.note, queue_note(queue, language))]
        if opened is not None:
            summary, _, history, _ = open_record(state, opened[0], language)
            pairs += list(zip(self.record, [summary, history], strict=True))
        return pairs

    @property
    def session_outputs(self) -> list[Any]:
        return [self.reviewer, self.queue, self.note]

    def for_session(self, state: AppState, session: Session, language: str) -> list[Any]:
        """The reviewer's name (with accounts: whoever signed in) and, for whoever may review,
        the queue as it is now."""
        reviewer = gr.update(value=session.name, interactive=False) if session.signed_in else None
        if not session.may("review"):
            return [reviewer or gr.update(), gr.update(), gr.update()]
        queue = queue_table(state, "", "", language)
        note = queue_note(queue, language) + tamper_warning(state, language)
        return [reviewer or gr.update(), queue, note]


def build(
    state: AppState, labels: Labels, language: gr.Radio, access: Access, tab: Any = None
) -> ReviewTab:
    """The tab's components and events (inside `tab`, whose opening shows the queue)."""
    view = _layout(state, labels)
    _wire(view, state, language, access, tab)
    return ReviewTab(
        queue=view.queue,
        note=view.note,
        filters=[view.case_filter, view.class_filter],
        opened=view.opened,
        record=[view.summary, view.history],
        reviewer=view.reviewer,
    )


def _layout(state: AppState, labels: Labels) -> SimpleNamespace:
    """The queue with its filters, the open record, the verdict, exports and case reports."""
    return SimpleNamespace(**_queue(state, labels), **_record(state, labels), **_exports(labels))


def _queue(state: AppState, labels: Labels) -> dict[str, Any]:
    """The help, the filters and the queue of items waiting for an expert."""
    labels.make(gr.Markdown, {"value": "review.help"})
    with gr.Row():
        case_filter = labels.make(
            gr.Textbox, {"label": "review.case_filter"}, scale=2, elem_id="case-filter"
        )
        class_filter = labels.make(
            gr.Dropdown,
            {"label": "review.class_filter"},
            choices=label_choices(state, labels.language, text(labels.language, "review.all")),
            value="",
            scale=2,
        )
        labels.dynamic(
            class_filter,
            lambda lang: {"choices": label_choices(state, lang, text(lang, "review.all"))},
        )
        refresh = labels.make(gr.Button, {"value": "review.refresh"}, scale=1)
    queue = labels.make(
        gr.Dataframe,
        {"label": "review.queue"},
        value=empty_table(queue_headers(labels.language)),
        interactive=False,
        wrap=True,
        column_widths=QUEUE_WIDTHS,
        elem_id="queue",
    )
    note = gr.Markdown(elem_id="queue-note")
    return {
        "case_filter": case_filter,
        "class_filter": class_filter,
        "refresh": refresh,
        "queue": queue,
        "note": note,
    }


def _record(state: AppState, labels: Labels) -> dict[str, Any]:
    """The open record: its number, summary, photos, history, and the verdict."""
    with gr.Row():
        # A textbox: Gradio's number box shows 0 when empty, and record 0 does not exist.
        record_id = labels.make(
            gr.Textbox,
            {"label": "review.record_number", "placeholder": "review.record_number_hint"},
            value="",
            max_lines=1,
            elem_id="record-number",
        )
        open_button = labels.make(gr.Button, {"value": "review.open"})
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=280):
            summary = gr.HTML(elem_id="record")
        with gr.Column(scale=1, min_width=280):
            photos = labels.photos("review.photos", elem_id="record-photos")
    # The whole width: every column of the history, the expert's comment included, in view.
    history = labels.dataframe(
        "review.history",
        history_headers,
        wrap=True,
        column_widths=HISTORY_WIDTHS,
        elem_id="history",
    )
    with gr.Group():
        reviewer = labels.make(gr.Textbox, {"label": "review.reviewer"}, elem_id="reviewer")
        comment = labels.make(
            gr.Textbox,
            {"label": "review.comment", "placeholder": "review.comment_hint"},
            lines=2,
            elem_id="comment",
        )
        with gr.Row():
            confirm = labels.make(gr.Button, {"value": "review.confirm"}, variant="primary")
            # No class chosen at first: saving a correction needs a choice of the expert's.
            correct_to = labels.make(
                gr.Dropdown,
                {"label": "review.correct_to"},
                choices=label_choices(state, labels.language, None),
                value=None,
                allow_custom_value=True,
                elem_id="correct-to",
            )
            labels.dynamic(correct_to, lambda lang: {"choices": label_choices(state, lang, None)})
            correct = labels.make(gr.Button, {"value": "review.correct"}, variant="stop")
    verdict = gr.Markdown(elem_id="verdict-status")
    opened = gr.State(None)
    return {
        "record_id": record_id,
        "open_button": open_button,
        "summary": summary,
        "photos": photos,
        "history": history,
        "reviewer": reviewer,
        "comment": comment,
        "confirm": confirm,
        "correct_to": correct_to,
        "correct": correct,
        "verdict": verdict,
        "opened": opened,
    }


def _exports(labels: Labels) -> dict[str, Any]:
    """Exports for retraining, and case reports."""
    with labels.make(gr.Accordion, {"label": "review.export_title"}, open=False):
        labels.make(gr.Markdown, {"value": "review.export_help"})
        layout = labels.dynamic(
            gr.Radio(choices=_layouts(labels.language), value="folder", show_label=False),
            lambda lang: {"choices": _layouts(lang)},
        )
        export_button = labels.make(gr.Button, {"value": "review.export"})
        export_files = labels.make(gr.File, {"label": "review.downloads"}, file_count="multiple")
        export_status = gr.Markdown()
    with labels.make(gr.Accordion, {"label": "review.report_title"}, open=False):
        report_case = labels.make(
            gr.Textbox, {"label": "review.report_case"}, elem_id="report-case"
        )
        report_button = labels.make(gr.Button, {"value": "review.report"})
        report_files = labels.make(gr.File, {"label": "review.downloads"}, file_count="multiple")
        report_status = gr.Markdown(elem_id="report-status")
    return {
        "layout": layout,
        "export_button": export_button,
        "export_files": export_files,
        "export_status": export_status,
        "report_case": report_case,
        "report_button": report_button,
        "report_files": report_files,
        "report_status": report_status,
    }


def _wire(
    v: SimpleNamespace, state: AppState, language: gr.Radio, access: Access, tab: Any
) -> None:
    """The tab's events: the queue and opening a record, verdicts, exports and reports."""
    refreshed = _wire_queue(v, state, language, access, tab)
    _wire_verdicts(v, state, language, access, refreshed)
    _wire_exports(v, state, language, access)


def _wire_queue(
    v: SimpleNamespace, state: AppState, language: gr.Radio, access: Access, tab: Any
) -> Callable[[Any], Any]:
    """Refresh (also when the tab opens) and open a record; returns what refreshes the queue
    after an event."""
    shown = [v.summary, v.photos, v.history, v.opened]
    filters = [v.case_filter, v.class_filter, language]

    def on_refresh(case, label, lang, request: gr.Request):
        require(access, request, "review", lang)
        return queue_table(state, case, label, lang)

    def on_note(table, lang):
        return queue_note(table, lang) + tamper_warning(state, lang)

    def on_open(number, lang, request: gr.Request):
        require(access, request, "review", lang)
        # The status line speaks of the record shown, never of the one before.
        return (*open_record(state, number, lang), "")

    def on_select(event: gr.SelectData):
        return str(event.row_value[0]) if event.row_value else ""

    def refreshed(event: Any) -> Any:
        return event.then(on_refresh, filters, v.queue, api_visibility="private").then(
            on_note, [v.queue, language], v.note, api_visibility="private"
        )

    v.refresh.click(on_refresh, filters, v.queue, api_name="review_queue").then(
        on_note, [v.queue, language], v.note, api_visibility="private"
    )
    if tab is not None:  # opening the tab shows the queue as it is now
        tab.select(on_refresh, filters, v.queue, api_visibility="private").then(
            on_note, [v.queue, language], v.note, api_visibility="private"
        )
    outputs = [*shown, v.verdict]
    v.open_button.click(on_open, [v.record_id, language], outputs, api_name="open_record")
    v.queue.select(on_select, None, v.record_id, api_visibility="private").then(
        on_open, [v.record_id, language], outputs, api_visibility="private"
    )
    return refreshed


def _wire_verdicts(
    v: SimpleNamespace,
    state: AppState,
    language: gr.Radio,
    access: Access,
    refreshed: Callable[[Any], Any],
) -> None:
    """Confirm or correct: checked first, with no outputs, so a refused verdict is one toast in
    the page's language and the record, photos and history stay as they are."""
    shown = [v.verdict, v.summary, v.photos, v.history, v.opened]

    def reviewer_of(session: Session, typed: str) -> str:
        return session.name if session.signed_in else typed

    def on_check(number, name, label, note_text, current, lang, request: gr.Request):
        session = require(access, request, "review", lang)
        check_verdict(state, number, reviewer_of(session, name), label, note_text, current, lang)

    def on_check_confirm(number, name, note_text, current, lang, request: gr.Request):
        on_check(number, name, None, note_text, current, lang, request)

    def on_check_correct(number, name, label, note_text, current, lang, request: gr.Request):
        if not label:
            raise user_error(text(lang, "error.choose_label"))
        on_check(number, name, label, note_text, current, lang, request)

    def on_confirm(number, name, note_text, current, lang, request: gr.Request):
        session = require(access, request, "review", lang)
        name = reviewer_of(session, name)
        return record_verdict(state, number, name, None, note_text, current, lang, session.account)

    def on_correct(number, name, label, note_text, current, lang, request: gr.Request):
        session = require(access, request, "review", lang)
        if not label:
            raise user_error(text(lang, "error.choose_label"))
        name = reviewer_of(session, name)
        return record_verdict(state, number, name, label, note_text, current, lang, session.account)

    def on_verdict_recorded():
        return "", None  # the next verdict starts from nothing chosen

    cleared = [v.comment, v.correct_to]
    confirm_inputs = [v.record_id, v.reviewer, v.comment, v.opened, language]
    refreshed(
        v.confirm.click(on_check_confirm, confirm_inputs, None, api_visibility="private")
        .success(on_confirm, confirm_inputs, shown, api_name="confirm")
        .success(on_verdict_recorded, None, cleared, api_visibility="private")
    )
    correct_inputs = [v.record_id, v.reviewer, v.correct_to, v.comment, v.opened, language]
    refreshed(
        v.correct.click(on_check_correct, correct_inputs, None, api_visibility="private")
        .success(on_correct, correct_inputs, shown, api_name="correct")
        .success(on_verdict_recorded, None, cleared, api_visibility="private")
    )


def _wire_exports(v: SimpleNamespace, state: AppState, language: gr.Radio, access: Access) -> None:
    """Expert labels for retraining, and case reports (roles that export)."""

    def on_export(chosen, lang, request: gr.Request):
        require(access, request, "export", lang)
        return export(state, chosen, lang)

    def on_report(case, lang, request: gr.Request):
        require(access, request, "export", lang)
        return case_report(state, case, lang)

    v.export_button.click(
        on_export, [v.layout, language], [v.export_files, v.export_status], api_name="export_labels"
    )
    v.report_button.click(
        on_report,
        [v.report_case, language],
        [v.report_files, v.report_status],
        api_name="case_report",
    )


def _layouts(language: str) -> list[tuple[str, str]]:
    return [
        (text(language, "review.layout_folder"), "folder"),
        (text(language, "review.layout_manifest"), "manifest"),
    ]
