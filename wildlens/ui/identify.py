"""Identify tab (officers): photos of one item -> decision, reasons, top classes, heat map, card;
"Save record" stores it in the review store; "New item" clears the photos and the answer and
keeps the case, location and officer (one case, many items).

Photos arrive as the uploaded files (paths), never decoded by Gradio: each goes through the
predictor's decoder, so a bad photo gets the decoder's stable error code in a `gr.Error` that
names the photo. Several photos of one item go through `Predictor.predict_item` (one combined
decision, each photo's own result kept and shown). Saving re-reads every file and refuses if its
bytes are not the ones analysed (the photos changed, or a file was replaced), so a record can
never pair a decision with another photo. Once saved, the item is locked (no photo can join it,
no second identification) until "New item" starts the next one.

With "items on a table" on, the photo is one of several items laid apart (`wildlens.ui.items`):
each item is found and decided alone, shown numbered on the photo and as one row, and "Save
record" stores one record per item.

An `unknown` answer names no class anywhere: no top classes, no catalogue card, no heat map of a
class, and "not in catalogue" in the per-photo results.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image

from wildlens.data.images import IMAGE_EXTENSIONS, ImageError, ImageFacts
from wildlens.model.serving.explain import ExplainError, outside_mask, overlay
from wildlens.model.serving.predictor import Prediction
from wildlens.model.trust.routing import UNKNOWN
from wildlens.review.store import NewPhoto, NewRecord, StoreError
from wildlens.ui import items, render
from wildlens.ui.access import Access, Session, require
from wildlens.ui.errors import photo_error, user_error
from wildlens.ui.i18n import text
from wildlens.ui.items import ItemsAnalysis
from wildlens.ui.relabel import Labels
from wildlens.ui.state import ActiveModel, AppState

DISPLAY_SIDE = 640  # photos and heat maps are shown at most this large (phones, bandwidth)


@dataclass(frozen=True)
class AnalysedPhoto:
    file_name: str  # as uploaded
    facts: ImageFacts
    prediction: Prediction


@dataclass(frozen=True)
class Analysis:
    """One item's result, kept in the session until it is saved (or the photos change)."""

    photos: tuple[AnalysedPhoto, ...]
    combined: Prediction
    model_key: str
    provenance: dict[str, Any]
    coverage: float
    shift: dict[str, Any] | None = None  # the shift guard over recent answers, after this one
    # The photos (0-based) that alone made the item more careful than their mean (one unknown,
    # one unfamiliar): `Predictor.predict_item`.
    stopped_by: tuple[int, ...] = ()
    record_id: int | None = None
    case_id: str = ""  # as saved


def analyse(
    model: ActiveModel, paths: list[str], language: str, heat_map: bool
) -> tuple[Analysis, list[tuple[Image.Image, str]]]:
    """Decode, predict (one item), and make the gallery (heat maps or the photos as analysed)."""
    predictor = model.predictor
    loaded = []
    for index, path in enumerate(paths, start=1):
        try:
            loaded.append(predictor.load(path))
        except ImageError as error:
            raise photo_error(language, index, Path(path).name, error.code) from error
    images = [item.image for item in loaded]
    suspended = model.recent.suspended()  # the recent answers before this one
    try:
        item = predictor.predict_item(images, suspended=suspended)
    except ImageError as error:  # unprocessable: a shape the eval transform cannot resize
        index = _first_unprocessable(predictor, images)
        raise photo_error(language, index, Path(paths[index - 1]).name, error.code) from error
    photos = tuple(
        AnalysedPhoto(Path(path).name, one.facts, prediction)
        for path, one, prediction in zip(paths, loaded, item.photos, strict=True)
    )
    model.recent.add(item.combined.signals)
    analysis = Analysis(
        photos=photos,
        combined=item.combined,
        model_key=model.key,
        provenance=model.provenance(),
        coverage=predictor.policy.shortlist.coverage,
        shift={**model.recent.guard().state(), "enabled": model.recent.enabled},
        stopped_by=item.stopped_by,
    )
    return analysis, gallery(model, analysis, images, language, heat_map)


def _first_unprocessable(predictor, images) -> int:
    for index, image in enumerate(images, start=1):
        try:
            predictor.preprocess(image)
        except ImageError:
            return index
    return 1


def gallery(
    model: ActiveModel,
    analysis: Analysis,
    images: list[Image.Image],
    language: str,
    heat_map: bool,
) -> list[tuple[Image.Image, str]]:
    """Each photo as analysed, with the heat map of the item's answer when asked for."""
    names = model.names(language)
    explainer = None
    # An unknown item is no class: a heat map of the nearest one would read as an answer.
    if heat_map and analysis.combined.decision != UNKNOWN:
        try:
            explainer = model.explainer()
        except ExplainError:
            explainer = None  # not a convolutional network: photos without a map
    class_index = model.predictor.class_ids.index(analysis.combined.label)
    unknown = analysis.combined.decision == UNKNOWN
    shown = []
    for index, (image, photo) in enumerate(zip(images, analysis.photos, strict=True), start=1):
        display = image.copy()
        display.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE))
        if explainer is not None:
            heat = explainer.heat_map(image, class_index, size=display.size)
            unseen = outside_mask(image.size, model.predictor.preprocessing, display.size)
            display = overlay(display, heat, outside=unseen)
        caption = render.photo_caption(
            index, photo.file_name, photo.prediction, names, language, unknown
        )
        shown.append((render.unique_for_cache(display), caption))
    return shown


def result_outputs(
    model: ActiveModel, analysis: Analysis | None, language: str
) -> tuple[str, Any, Any, str, str]:
    """Decision, top classes, per-photo table, catalogue card and the shift guard's statistics
    of an analysis (for an unknown item: no top classes and no card, since no class name
    applies)."""
    if analysis is None:
        return "", None, "", "", ""
    names = model.names(language)
    combined = analysis.combined
    decision = render.decision_html(
        combined,
        names,
        language,
        photos=len(analysis.photos),
        coverage=analysis.coverage,
        stopped_by=analysis.stopped_by,
    ) + render.shift_html(analysis.shift, language)
    table = render.photo_table_html(
        [(p.file_name, p.facts.sha256, p.prediction) for p in analysis.photos],
        names,
        language,
        item_unknown=combined.decision == UNKNOWN,
    )
    statistics = render.shift_details(analysis.shift, language)
    if combined.decision == UNKNOWN:
        return decision, None, table, "", statistics
    card = render.card_markdown(
        model.predictor.catalogue, combined.label, language, model.predictor.policy
    )
    return decision, render.confidences(combined, names), table, card, statistics


def identify(
    state: AppState, paths: list[str] | None, heat_map: bool, language: str
) -> tuple[Any, ...]:
    """The Identify button: decision, top classes, gallery, photo table, card, status, the shift
    guard's statistics, analysis."""
    paths = list(paths or [])
    if not paths:
        raise user_error(text(language, "error.no_photo"))
    if len(paths) > state.cfg.max_photos:
        raise user_error(text(language, "error.too_many_photos", limit=state.cfg.max_photos))
    model = state.model  # one model for the whole answer, whatever a switch does meanwhile
    analysis, shown = analyse(model, paths, language, heat_map)
    decision, top, table, card, statistics = result_outputs(model, analysis, language)
    status = status_text(analysis, language, model_label(model))
    return decision, top, shown, table, card, status, statistics, analysis


def identify_items(state: AppState, paths: list[str] | None, language: str) -> tuple[Any, ...]:
    """The Identify button with "items on a table": the photo's answer (counts), no top classes,
    the overview, the photo's evidence line, no card, status, the shift guard's statistics,
    analysis, and one row per item."""
    paths = list(paths or [])
    if not paths:
        raise user_error(text(language, "error.no_photo"))
    model = state.model
    analysis, shown = items.analyse_items(model, paths, language)
    shown_items = items.items_outputs(model, analysis, language)
    status = status_text(analysis, language, model_label(model))
    return (
        shown_items["decision"],
        None,
        shown,
        shown_items["table"],
        "",
        status,
        shown_items["statistics"],
        analysis,
        shown_items["rows"],
    )


def answer_outputs(
    model: ActiveModel, analysis: Analysis | ItemsAnalysis | None, language: str
) -> tuple[Any, ...]:
    """Decision, top classes, photo table, card, statistics and item rows of either answer."""
    if isinstance(analysis, ItemsAnalysis):
        shown = items.items_outputs(model, analysis, language)
        return shown["decision"], None, shown["table"], "", shown["statistics"], shown["rows"]
    return (*result_outputs(model, analysis, language), "")


def save_record(
    state: AppState,
    paths: list[str] | None,
    case_id: str,
    location: str,
    officer: str,
    analysis: Analysis | ItemsAnalysis | None,
    language: str,
    account: str = "",
) -> tuple[str, Analysis | ItemsAnalysis]:
    """The Save button: store the analysed photos and result (of a photo of several items: one
    record per item); (status, analysis with its id)."""
    if analysis is None:
        raise user_error(text(language, "error.identify_first"))
    if isinstance(analysis, ItemsAnalysis) and analysis.record_ids:
        return status_text(analysis, language), analysis  # its records, all of them
    if analysis.record_id is not None:
        return text(language, "identify.already_saved", id=analysis.record_id), analysis
    if not (case_id or "").strip():
        raise user_error(text(language, "error.case_required"))
    if not (officer or "").strip():
        raise user_error(text(language, "error.officer_required"))
    current = list(paths or [])
    if isinstance(analysis, ItemsAnalysis):  # one record per item of the photo
        fields = {"case_id": case_id, "location": location, "officer": officer, "account": account}
        return items.save_items(state, current, fields, analysis, language)
    if len(current) != len(analysis.photos):
        raise user_error(text(language, "error.photos_changed"))
    photos = []
    # The files are read again and must be, byte for byte, the ones analysed (same order).
    for index, (path, photo) in enumerate(zip(current, analysis.photos, strict=True), start=1):
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise user_error(text(language, "error.photo_gone", n=index)) from error
        if hashlib.sha256(data).hexdigest() != photo.facts.sha256:
            raise user_error(text(language, "error.photos_changed"))
        width, height = photo.facts.original_size
        photos.append(
            NewPhoto(
                data=data,
                sha256=photo.facts.sha256,
                file_name=photo.file_name,
                format=photo.facts.format,
                width=width,
                height=height,
                prediction=photo.prediction.to_dict(),
            )
        )
    record = NewRecord(
        case_id=case_id,
        location=location,
        officer=officer,
        account=account,
        prediction={
            **analysis.combined.to_dict(),
            "stopped_by": list(analysis.stopped_by),
            **analysis.provenance,
        },
        photos=photos,
        code_version=state.code_version,
    )
    try:
        record_id = state.store.add_record(record)
    except StoreError as error:
        raise user_error(str(error)) from error
    saved = replace(analysis, record_id=record_id, case_id=case_id.strip())
    return status_text(saved, language), saved


def status_text(analysis: Analysis | ItemsAnalysis, language: str, model_name: str = "") -> str:
    """Under the Save button: which model answered and whether the record is saved."""
    if isinstance(analysis, ItemsAnalysis):
        return items.status_text(analysis, language, model_name)
    if analysis.record_id is None:
        return text(language, "identify.not_saved", model=model_name)
    decided = analysis.combined.decision == "identified"
    key = "identify.saved_identified" if decided else "identify.saved_for_review"
    return text(language, key, id=analysis.record_id, case=analysis.case_id)


def model_label(model: ActiveModel) -> str:
    return f"{model.bundle.name} {model.bundle.version}"


@dataclass
class IdentifyTab:
    analysis: gr.State
    # decision, top classes, photo table, card, statistics, status, item rows: re-rendered on a
    # language change
    results: list[Any]
    officer: gr.Textbox
    items_switch: Any = None
    # the photo box and the gallery, whose labels say "one item" or "a table of items"
    labelled: list[Any] = field(default_factory=list)

    @property
    def inputs(self) -> list[Any]:
        """What `rerender` needs besides the language."""
        return [self.analysis, *([self.items_switch] if self.items_switch is not None else [])]

    def rerender(
        self,
        state: AppState,
        language: str,
        analysis: Analysis | ItemsAnalysis | None,
        several: bool = False,
    ) -> list[tuple[Any, Any]]:
        """(component, update) of the results in `language` (and, with "items on a table"
        on, the labels that say so)."""
        # Without the switch the labels keep their own words (`Labels` gives them).
        labels = photo_labels(True, language) if several and self.labelled else []
        pairs = list(zip(self.labelled, labels, strict=True)) if labels else []
        model = state.model
        if analysis is not None and analysis.model_key != model.key:
            return pairs  # answered by another model: keep what is shown
        decision, top, table, card, statistics, rows = answer_outputs(model, analysis, language)
        status = status_text(analysis, language, model_label(model)) if analysis else ""
        values = [decision, top, table, card, statistics, status, rows]
        return pairs + list(zip(self.results, values, strict=True))

    @property
    def session_outputs(self) -> list[Any]:
        return [self.officer]

    def for_session(self, session: Session) -> list[Any]:
        """With accounts the officer is whoever signed in: their name, not to be typed."""
        if not session.signed_in:
            return [gr.update()]
        return [gr.update(value=session.name, interactive=False)]


def photo_labels(several: bool, language: str) -> list[Any]:
    """The photo box's and the gallery's labels: of one item, or of a table of items."""
    if several:
        keys = ("identify.photos_table", "identify.gallery_items")
    else:
        keys = ("identify.photos", "identify.gallery")
    return [gr.update(label=text(language, key)) for key in keys]


def locked(saved: bool) -> tuple[Any, ...]:
    """Photos, Identify, Save and New item once an item is saved (locked) or a new one starts."""
    return (
        gr.update(interactive=not saved),
        gr.update(interactive=not saved),
        gr.update(interactive=not saved),
        gr.update(variant="primary" if saved else "secondary"),
    )


@dataclass
class Components:
    """The tab's components, in reading order (photos, answer, record, details)."""

    photos: Any
    items_switch: Any
    heat_map: Any
    run: Any
    decision: Any
    rows: Any
    case_id: Any
    location: Any
    officer: Any
    save: Any
    new_item: Any
    status: Any
    shown: Any
    top: Any
    table: Any
    card: Any
    statistics: Any
    analysis: Any

    @property
    def answer(self) -> list[Any]:
        """What an answer fills in, after the gallery: the outputs every event clears."""
        return [self.decision, self.top, self.shown, self.table, self.card, self.status]


def build(state: AppState, labels: Labels, language: gr.Radio, access: Access) -> IdentifyTab:
    """The tab's components and events (inside a `gr.Tab`)."""
    c = layout(state, labels)
    wire(state, c, language, access)
    return IdentifyTab(
        analysis=c.analysis,
        results=[c.decision, c.top, c.table, c.card, c.statistics, c.status, c.rows],
        officer=c.officer,
        items_switch=c.items_switch,
        labelled=[c.photos, c.shown],
    )


def layout(state: AppState, labels: Labels) -> Components:
    """The tab's components.

    Four blocks in reading order (photos, answer, record, details) laid out by CSS
    (`app.CSS`): on a wide screen the photos and the record form on the left, the answer and
    its details on the right; on a phone they stack, so the decision and Save record are one
    short scroll apart, and the details (top classes, per-photo table, card) come folded. With
    "items on a table" the answer is the items' counts; the gallery shows the photo with the
    numbered boxes, and one row per item follows it.
    """
    cfg = state.cfg
    with gr.Row(equal_height=False, elem_id="identify-layout"):
        with gr.Column(min_width=280, elem_id="identify-inputs"):
            photos = labels.make(
                gr.File,
                {"label": "identify.photos"},
                file_count="multiple",
                file_types=list(IMAGE_EXTENSIONS),
                type="filepath",
                elem_id="photos",
            )
            labels.make(gr.Markdown, {"value": "identify.photos_hint"}, elem_id="photos-hint")
            items_switch = labels.make(
                gr.Checkbox,
                {"label": "identify.items", "info": "identify.items_hint"},
                value=False,
                elem_id="items-switch",
            )
            heat_map = labels.make(
                gr.Checkbox, {"label": "identify.heat_map"}, value=cfg.heat_map, elem_id="heat-map"
            )
            run = labels.make(
                gr.Button,
                {"value": "identify.run"},
                variant="primary",
                size="lg",
                elem_id="identify",
            )
        with gr.Column(min_width=280, elem_id="identify-answer"):
            decision = gr.HTML(elem_id="decision")
        with gr.Column(min_width=280, elem_id="identify-record"):
            with gr.Group():
                case_id = labels.make(
                    gr.Textbox,
                    {"label": "identify.case_id", "placeholder": "identify.case_id_hint"},
                )
                location = labels.make(gr.Textbox, {"label": "identify.location"})
                officer = labels.make(gr.Textbox, {"label": "identify.officer"})
            with gr.Row():
                save = labels.make(
                    gr.Button, {"value": "identify.save"}, variant="primary", elem_id="save-record"
                )
                new_item = labels.make(
                    gr.Button, {"value": "identify.new_item"}, elem_id="new-item"
                )
            status = gr.Markdown(elem_id="save-status")
        with gr.Column(min_width=280, elem_id="identify-results"):
            shown = labels.photos("identify.gallery", preview=False, elem_id="gallery")
            # Items on a table: one row per item, under the photo with their numbered boxes.
            rows = gr.HTML(elem_id="item-rows")
            with labels.make(
                gr.Accordion, {"label": "identify.details"}, open=False, elem_id="details"
            ):
                # No heading: the top class in big letters would read as the answer even when
                # the decision is "needs expert review".
                top = labels.make(
                    gr.Label,
                    {"label": "identify.top_classes"},
                    num_top_classes=cfg.top_k,
                    show_heading=False,
                    elem_id="top-classes",
                )
                labels.make(
                    gr.Markdown,
                    {"value": "identify.per_photo"},
                    elem_classes=["wl-subheading"],
                )
                table = gr.HTML(elem_id="per-photo")
                card = gr.Markdown(elem_id="card")
                statistics = gr.Markdown(elem_id="shift-details")
    analysis = gr.State(None)
    return Components(
        photos, items_switch, heat_map, run, decision, rows, case_id, location, officer, save,
        new_item, status, shown, top, table, card, statistics, analysis,
    )  # fmt: skip


def wire(state: AppState, c: Components, language: gr.Radio, access: Access) -> None:
    """The tab's events: identify (one item, or the items of a table), save, new item, and the
    changes that make a shown answer stale."""

    def on_identify(paths, heat, lang, several, request: gr.Request):
        require(access, request, "identify", lang)
        if several:
            return identify_items(state, paths, lang)
        return (*identify(state, paths, heat, lang), "")

    def on_save(paths, case, place, name, current, lang, request: gr.Request):
        session = require(access, request, "save", lang)
        if session.signed_in:
            name = session.name  # who signed in, whatever the page sent
        return save_record(state, paths, case, place, name, current, lang, session.account)

    def on_saved():
        return locked(True)

    def on_new_item(lang):
        _, *buttons = locked(False)
        photos_update = gr.update(value=None, interactive=True)
        return (photos_update, *buttons, None, "", None, None, "", "", "", "", "")

    def on_photos_changed():
        return None, "", None, None, "", "", "", "", ""

    def on_items_switch(several, lang):
        # The heat map is of one item's answer; a shown answer is of the other kind: cleared.
        labels = photo_labels(several, lang)
        return (gr.update(visible=not several), *labels, *on_photos_changed())

    def on_answered(current):
        # No class name for an unknown item, nor one for a photo of several (each row has its
        # own): hide the top classes and the card.
        answered = current is None or (
            isinstance(current, Analysis) and current.combined.decision != UNKNOWN
        )
        return gr.update(visible=answered), gr.update(visible=answered)

    answer = [*c.answer, c.statistics, c.analysis, c.rows]
    c.run.click(
        on_identify,
        [c.photos, c.heat_map, language, c.items_switch],
        answer,
        api_name="identify",
    ).then(on_answered, c.analysis, [c.top, c.card], api_visibility="private")
    # A saved item is locked until "New item": nothing can join it or replace its answer.
    c.save.click(
        on_save,
        [c.photos, c.case_id, c.location, c.officer, c.analysis, language],
        [c.status, c.analysis],
        api_name="save_record",
    ).success(on_saved, None, [c.photos, c.run, c.save, c.new_item], api_visibility="private")
    # The next item of the same case: photos and answer cleared, case, place and officer kept.
    c.new_item.click(
        on_new_item,
        language,
        [c.photos, c.run, c.save, c.new_item, c.analysis, *c.answer, c.statistics, c.rows],
        api_visibility="private",
    ).then(on_answered, c.analysis, [c.top, c.card], api_visibility="private")
    # New photos make the shown result stale: clear it, so nobody saves it for the wrong photos.
    stale = [c.analysis, *c.answer, c.statistics, c.rows]
    c.photos.change(on_photos_changed, None, stale, api_visibility="private")
    c.items_switch.change(
        on_items_switch,
        [c.items_switch, language],
        [c.heat_map, c.photos, c.shown, *stale],
        api_visibility="private",
    ).then(on_answered, c.analysis, [c.top, c.card], api_visibility="private")
