"""Identify with "items on a table": one photo of several items laid apart (evidence photos of a
seizure) -> each item found, decided alone, shown numbered on the photo and as one row each;
"Save record" stores one record per item, all at once.

    analysis, shown = analyse_items(model, [path], "en")
    records = save_items(state, [path], "C-17", "Boten", "Somchai", analysis, "en")

Each item is decided by `wildlens.model.serving.items.predict_items`: the app's one predictor, on
the item's crop, exactly as a photo of it alone (nothing is auto-accepted that would not be alone;
the shift guard's verdict applies to every item, and every item's answer counts in it). Saving
re-reads the photo and refuses if its bytes changed; each record keeps the photo itself (its
sha256 stays the evidence key), the item's number and box, and the overview the officer saw.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import Image

from wildlens.data.images import ImageError, ImageFacts, load_image
from wildlens.data.items import ITEMS_DECODE_SIDE, item_crop
from wildlens.model.serving.items import ItemsAnswer, draw_items, predict_items
from wildlens.model.trust.routing import IDENTIFIED
from wildlens.review.store import NewItem, NewPhoto, NewRecord, StoreError
from wildlens.ui import render, render_items
from wildlens.ui.errors import photo_error, user_error
from wildlens.ui.i18n import text
from wildlens.ui.state import ActiveModel, AppState

OVERVIEW_SIDE = 1280  # the overview's longer side, as shown and saved (phones, bandwidth)
ROW_CROP_SIDE = 160  # each item's crop in its row


@dataclass(frozen=True)
class ItemsAnalysis:
    """A photo of several items, kept in the session until it is saved (or the photo changes)."""

    file_name: str  # as uploaded
    facts: ImageFacts
    answer: ItemsAnswer
    overview: bytes  # JPEG: the photo with every item's numbered box, shown and saved
    crops: tuple[bytes, ...]  # JPEG of each item's crop (its row)
    model_key: str
    provenance: dict[str, Any]
    coverage: float
    shift: dict[str, Any] | None = None
    record_ids: tuple[int, ...] = ()  # once saved: one record per item, in item order
    case_id: str = ""

    @property
    def record_id(self) -> int | None:
        return self.record_ids[0] if self.record_ids else None


def analyse_items(
    model: ActiveModel, paths: list[str], language: str
) -> tuple[ItemsAnalysis, list[tuple[Image.Image, str]]]:
    """Decode one photo, find and decide its items; the analysis and the gallery (the overview)."""
    if len(paths) != 1:
        raise user_error(text(language, "error.items_one_photo", count=len(paths)))
    name = Path(paths[0]).name
    try:
        loaded = load_image(paths[0], target_size=ITEMS_DECODE_SIDE)
    except ImageError as error:
        raise photo_error(language, 1, name, error.code) from error
    suspended = model.recent.suspended()  # the recent answers before this photo
    size = loaded.facts.original_size
    try:
        answer = predict_items(model.predictor, loaded.image, size, suspended=suspended)
    except ImageError as error:  # an item's crop the eval transform cannot resize
        raise photo_error(language, 1, name, error.code) from error
    if not answer.items:
        raise user_error(text(language, "error.no_items"))
    for item in answer.items:
        model.recent.add(item.prediction.signals)
    overview = draw_items(
        loaded.image, [(i.index, i.box, i.prediction.decision) for i in answer.items], size
    )
    overview.thumbnail((OVERVIEW_SIDE, OVERVIEW_SIDE))
    crops = []
    for item in answer.items:
        crop = item_crop(loaded.image, item.box, size)
        crop.thumbnail((ROW_CROP_SIDE, ROW_CROP_SIDE))
        crops.append(jpeg(crop))
    analysis = ItemsAnalysis(
        file_name=name,
        facts=loaded.facts,
        answer=answer,
        overview=jpeg(overview),
        crops=tuple(crops),
        model_key=model.key,
        provenance=model.provenance(),
        coverage=model.predictor.policy.shortlist.coverage,
        shift={**model.recent.guard().state(), "enabled": model.recent.enabled},
    )
    caption = render_items.overview_caption(analysis.file_name, len(answer.items), language)
    return analysis, [(render.unique_for_cache(overview), caption)]


def items_outputs(model: ActiveModel, analysis: ItemsAnalysis, language: str) -> dict[str, Any]:
    """What the Identify tab shows of a photo of several items (no top classes and no card of
    its own: each item's row has its classes and card)."""
    names = model.names(language)
    catalogue, policy = model.predictor.catalogue, model.predictor.policy
    return {
        "decision": render_items.summary_html(analysis.answer, names, language)
        + render.shift_html(analysis.shift, language),
        "rows": render_items.rows_html(
            analysis.answer, analysis.crops, names, language, catalogue, policy
        ),
        "table": render_items.photo_html(analysis.file_name, analysis.facts.sha256, language),
        "statistics": render.shift_details(analysis.shift, language),
    }


def save_items(
    state: AppState,
    current: list[str],
    fields: dict[str, str],
    analysis: ItemsAnalysis,
    language: str,
) -> tuple[str, ItemsAnalysis]:
    """Store one record per item (one transaction): the photo, the item's answer, number and
    box, and the overview. `fields`: case_id, location, officer, account (checked by the caller).
    """
    if len(current) != 1:
        raise user_error(text(language, "error.photos_changed"))
    try:
        data = Path(current[0]).read_bytes()
    except OSError as error:
        raise user_error(text(language, "error.photo_gone", n=1)) from error
    facts = analysis.facts
    if hashlib.sha256(data).hexdigest() != facts.sha256:
        raise user_error(text(language, "error.photos_changed"))
    width, height = facts.original_size
    count = len(analysis.answer.items)
    records = []
    for item in analysis.answer.items:
        prediction = item.prediction.to_dict()
        where = {"item_index": item.index, "item_box": item.box.as_list(), "items_found": count}
        photo = NewPhoto(
            data, facts.sha256, analysis.file_name, facts.format, width, height, prediction
        )
        records.append(
            NewRecord(
                case_id=fields["case_id"],
                location=fields["location"],
                officer=fields["officer"],
                account=fields["account"],
                prediction={**prediction, **where, **analysis.provenance},
                photos=[photo],
                code_version=state.code_version,
                item=NewItem(item.index, count, item.box.as_list(), analysis.overview),
            )
        )
    try:
        ids = state.store.add_records(records)
    except StoreError as error:
        raise user_error(str(error)) from error
    saved = replace(analysis, record_ids=tuple(ids), case_id=fields["case_id"].strip())
    return status_text(saved, language), saved


def status_text(analysis: ItemsAnalysis, language: str, model_name: str = "") -> str:
    """Under the Save button: which model answered, or the records saved and how many wait."""
    if not analysis.record_ids:
        return text(language, "identify.not_saved", model=model_name)
    waiting = sum(i.prediction.decision != IDENTIFIED for i in analysis.answer.items)
    return text(
        language,
        "identify.saved_items",
        count=len(analysis.record_ids),
        first=analysis.record_ids[0],
        last=analysis.record_ids[-1],
        case=analysis.case_id,
        review=waiting,
    )


def jpeg(image: Image.Image, quality: int = 88) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
