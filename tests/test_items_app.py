"""Items on a table in the app: the Identify switch, one record per item with its box and the
overview, the item in the review queue, items in case reports, the counts line in three languages.
"""

import csv
import hashlib
import io

import gradio as gr
import numpy as np
import pytest
from PIL import Image
from test_items import COLOURS, THREE, iou, lay, table

from wildlens.data.items import ItemBox
from wildlens.model.serving.items import DECISION_COLOURS, draw_items, item_counts
from wildlens.model.serving.predictor import Predictor
from wildlens.ui import AppState
from wildlens.ui.case_report import case_report_csv, case_report_html
from wildlens.ui.config import AppConfig
from wildlens.ui.i18n import text
from wildlens.ui.identify import identify_items, save_record
from wildlens.ui.items import ItemsAnalysis
from wildlens.ui.render_items import summary_line
from wildlens.ui.review_tab import open_record, queue_table


@pytest.fixture(scope="module")
def state(tiny_bundle, tmp_path_factory):
    cfg = AppConfig(data_dir=str(tmp_path_factory.mktemp("items-app")))
    return AppState(cfg, Predictor.from_bundle(tiny_bundle, device="cpu"), tiny_bundle)


@pytest.fixture(scope="module")
def table_photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("table") / "seizure table.jpg"
    lay(table("plain"), THREE, COLOURS).save(path, "JPEG", quality=95)
    return path


@pytest.fixture(scope="module")
def identified(state, table_photo):
    return identify_items(state, [str(table_photo)], "en")


def test_the_switch_gives_one_row_per_item_and_numbered_boxes(state, identified, table_photo):
    decision, top, gallery, table_html, card, status, _, analysis, rows = identified
    assert isinstance(analysis, ItemsAnalysis) and len(analysis.answer.items) == 3
    assert top is None and card == ""  # no class of the photo's own: each row has its own
    assert 'data-items="3"' in decision and "3 items on the photo" in decision
    assert summary_line(analysis.answer.counts, state.model.names("en"), "en") in decision
    assert rows.count("<tr data-item=") == 3
    for item, truth in zip(analysis.answer.items, THREE, strict=True):
        x0, y0, x1, y1 = item.box.as_list()
        assert f'data-item="{item.index}" data-decision="{item.prediction.decision}" ' in rows
        assert f'data-box="{x0},{y0},{x1},{y1}"' in rows
        assert iou(item.box, truth) > 0.75
    assert rows.count("data:image/jpeg;base64,") == 3  # each row shows its crop
    assert analysis.facts.sha256 == hashlib.sha256(table_photo.read_bytes()).hexdigest()
    assert analysis.facts.sha256 in table_html
    [(overview, caption)] = gallery
    assert "3 items" in caption and overview.size == Image.open(table_photo).size
    assert "Not saved yet" in status


def test_the_overview_draws_each_box_in_its_decision_colour(identified):
    *_, analysis, _ = identified
    overview = np.asarray(Image.open(io.BytesIO(analysis.overview)).convert("RGB")).astype(int)
    for item in analysis.answer.items:
        colour = np.array(Image.new("RGB", (1, 1), DECISION_COLOURS[item.prediction.decision]))
        x0, y0, _, _ = item.box.as_list()
        tag = overview[y0 + 2 : y0 + 6, x0 + 2 : x0 + 6]  # the number's tag, at the top left
        assert np.abs(tag - colour[0, 0]).max() < 40  # JPEG's rounding


def test_boxes_say_their_decision_without_colour_too():
    image = Image.new("RGB", (400, 200), "white")
    boxes = [
        (1, ItemBox(20, 20, 180, 180), "identified"),
        (2, ItemBox(220, 20, 380, 180), "review"),
    ]
    drawn = np.asarray(draw_items(image, boxes)).astype(int)
    bottom_solid, bottom_dashed = drawn[180, 60:170], drawn[180, 260:370]
    assert (bottom_solid.sum(axis=1) < 600).all()  # a solid line
    assert (bottom_dashed.sum(axis=1) == 765).any() and (bottom_dashed.sum(axis=1) < 700).any()
    assert image.getpixel((30, 30)) == (255, 255, 255)  # drawn on a copy


def test_the_switch_takes_one_photo_of_a_table(state, table_photo, tmp_path):
    with pytest.raises(gr.Error, match="one photo"):
        identify_items(state, [str(table_photo), str(table_photo)], "en")
    bare = tmp_path / "bare.jpg"
    Image.fromarray(table("wood")).save(bare)
    with pytest.raises(gr.Error, match="No item was found"):
        identify_items(state, [str(bare)], "en")


def test_saving_stores_each_item_with_its_box_the_photo_and_the_overview(
    state, identified, table_photo
):
    *_, analysis, _ = identified
    status, saved = save_record(
        state, [str(table_photo)], "C-TABLE", "Boten", "Somchai", analysis, "en"
    )
    assert len(saved.record_ids) == 3 and "Saved 3 items" in status
    again, _ = save_record(state, [str(table_photo)], "C-TABLE", "Boten", "Somchai", saved, "en")
    records = state.store.records("C-TABLE")
    assert again == status and len(records) == 3  # a second press saves nothing more
    assert [r.id for r in records] == list(saved.record_ids)
    sha256 = hashlib.sha256(table_photo.read_bytes()).hexdigest()
    overview_sha = hashlib.sha256(analysis.overview).hexdigest()
    for record, item in zip(records, analysis.answer.items, strict=True):
        [photo] = record.photos
        assert photo.sha256 == sha256  # the photo stays the evidence key
        assert record.decision == item.prediction.decision
        created = record.events[0]
        assert created.detail["item"] == {
            "index": item.index,
            "count": 3,
            "box": item.box.as_list(),
            "photo_sha256": sha256,
            "overview_sha256": overview_sha,
        }  # in the hash-chained audit trail
        assert record.prediction["item_box"] == item.box.as_list()
        assert state.store.overview_bytes(record) == analysis.overview
    assert state.store.verify("C-TABLE") == []


def test_an_altered_overview_is_found_by_verify(tmp_path, identified, table_photo, tiny_bundle):
    cfg = AppConfig(data_dir=str(tmp_path / "app"))
    state = AppState(cfg, Predictor.from_bundle(tiny_bundle, device="cpu"), tiny_bundle)
    *_, analysis, _ = identified
    save_record(state, [str(table_photo)], "C-1", "", "Somchai", analysis, "en")
    [overview] = (tmp_path / "app" / "overviews").rglob("*.jpg")
    overview.write_bytes(b"not the overview")
    problems = state.store.verify("C-1")
    assert len(problems) == 3 and all("overview" in p for p in problems)


def test_the_review_queue_shows_the_expert_the_item(state, identified, table_photo):
    *_, analysis, _ = identified
    if not state.store.records("C-QUEUE"):
        save_record(state, [str(table_photo)], "C-QUEUE", "", "Somchai", analysis, "en")
    queue = queue_table(state, "C-QUEUE", "", "en")
    waiting = [i for i in analysis.answer.items if i.prediction.decision != "identified"]
    assert waiting and len(queue) == len(waiting)
    shown = [f"item {i.index} of 3 on the photo" for i in waiting]
    assert [
        next(v for v in row if "item" in str(v)).split(" · ")[-1] for row in queue.values
    ] == shown
    records = state.store.records("C-QUEUE")
    for record, item, colour in zip(records, analysis.answer.items, COLOURS, strict=True):
        _, photos, _, _ = open_record(state, record.id, "en")
        (crop, caption), (overview, overview_caption) = photos
        assert f"item {item.index} of 3 on the photo" in caption
        middle = crop.getpixel((crop.width // 2, crop.height // 3))
        assert max(abs(a - b) for a, b in zip(middle, colour, strict=True)) < 40  # the item
        assert crop.width < overview.width  # not the whole table
        assert f"item {item.index} in its numbered box" in overview_caption


def test_a_case_report_lists_the_items(state, identified, table_photo):
    *_, analysis, _ = identified
    if not state.store.records("C-REPORT"):
        save_record(state, [str(table_photo)], "C-REPORT", "", "Somchai", analysis, "zh")
    records = state.store.records("C-REPORT")
    page = case_report_html(state.store, "C-REPORT", "en")
    assert "Photos of items on a table" in page
    assert ", ".join(f"#{r.id}" for r in records) in page
    assert summary_line(analysis.answer.counts, {}, "en") in page
    for item in analysis.answer.items:
        assert f"item {item.index} of 3 on photo" in page
    rows = list(csv.DictReader(io.StringIO(case_report_csv(records).decode("utf-8-sig"))))
    assert [row["item_index"] for row in rows] == ["1", "2", "3"]
    assert [row["item_box"] for row in rows] == [
        " ".join(str(v) for v in item.box.as_list()) for item in analysis.answer.items
    ]


def test_the_counts_line_in_three_languages_with_plurals():
    records = [
        {"decision": "identified", "label": "elephant_ivory"},
        {"decision": "identified", "label": "elephant_ivory"},
        {"decision": "review", "label": "bone"},
        {"decision": "unknown", "label": "elephant_ivory"},
    ]
    counts = item_counts(records)
    names = {"elephant_ivory": "elephant ivory"}
    assert (
        summary_line(counts, names, "en") == "2 elephant ivory identified, 1 for review, 1 unknown"
    )
    assert summary_line(counts, {"elephant_ivory": "象牙"}, "zh") == (
        "2 件象牙已识别，1 件需专家审核，1 件不在目录中"
    )
    assert "ລະບຸໄດ້ແລ້ວ" in summary_line(counts, names, "lo")
    assert text("en", "items.found", count=1) == "1 item on the photo"
    assert text("en", "items.found", count=4) == "4 items on the photo"
    assert text("en", "items.overview", name="t.jpg", count=1).startswith("t.jpg · 1 item,")


def test_a_retraining_export_holds_each_item_not_the_table(
    state, identified, table_photo, tmp_path
):
    from wildlens.review.exports import export_for_retraining

    *_, analysis, _ = identified
    _, saved = save_record(state, [str(table_photo)], "C-EXPORT", "", "Somchai", analysis, "en")
    first, second, _ = saved.record_ids
    for record_id, label in ((first, "elephant_ivory"), (second, "bone")):  # two labels, one photo
        record = state.store.record(record_id)
        if record.label == label:
            state.store.confirm(record_id, "Dr Vong")
        else:
            state.store.correct(record_id, "Dr Vong", label, "looked closer")
    summary = export_for_retraining(state.store, tmp_path / "export", "folder")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "export" / "manifest.csv").read_text())))
    mine = [r for r in rows if r["group"] == "C-EXPORT"]
    assert {r["label"] for r in mine} == {"elephant_ivory", "bone"} and not summary.conflicts
    for row, item, colour in zip(mine, analysis.answer.items[:2], COLOURS[:2], strict=True):
        crop = Image.open(tmp_path / "export" / row["path"])
        assert crop.width < Image.open(table_photo).width  # the item, not the table
        middle = crop.getpixel((crop.width // 2, crop.height // 3))
        assert max(abs(a - b) for a, b in zip(middle, colour, strict=True)) < 40
        assert row["path"].endswith(f"-item{item.index}.jpg")


def test_a_language_change_rewords_the_items_answer(state, identified):
    from wildlens.ui.identify import IdentifyTab

    *_, analysis, _ = identified
    components = [object() for _ in range(7)]  # decision, top, table, card, stats, status, rows
    photos, gallery = object(), object()
    tab = IdentifyTab(None, components, None, items_switch=object(), labelled=[photos, gallery])
    shown = dict(tab.rerender(state, "lo", analysis, True))
    decision, rows = shown[components[0]], shown[components[6]]
    assert shown[photos]["label"] == text("lo", "identify.photos_table")  # the switch's words
    assert photos not in dict(tab.rerender(state, "lo", None, False))
    assert text("lo", "items.found", count=3) in decision
    assert rows.count("<tr data-item=") == 3 and text("lo", "items.col_result") in rows
