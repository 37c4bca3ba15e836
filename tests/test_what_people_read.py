"""What officers and experts read, without a browser: an unknown item names no class anywhere
(decision box, per-photo results, expert's record, queue row, case report HTML and CSV, batch
review pages), the catalogue card says what this model does, and officers get words they can
act on (issue 26)."""

import csv
import hashlib
import html
import io
import re

import pytest
from PIL import Image

from wildlens.model.bundle.catalogue import CatalogueEntry
from wildlens.model.serving.predictor import Prediction
from wildlens.model.trust.routing import AUTO, TARGET_NOT_SHOWN, ClassRule
from wildlens.pipeline import contact_sheets
from wildlens.review import NewPhoto, NewRecord, ReviewStore
from wildlens.ui import render
from wildlens.ui.batch_tab import preview
from wildlens.ui.case_report import case_report_csv, case_report_html
from wildlens.ui.i18n import LANGUAGES, text
from wildlens.ui.review_tab import record_html
from wildlens.ui.workshop_tab import auto_accepted

NAMES = {
    "en": {"elephant_ivory": "Elephant ivory", "bone": "Bone", "ceramic": "Ceramic"},
    "zh": {"elephant_ivory": "象牙", "bone": "骨制品", "ceramic": "陶瓷"},
    "lo": {"elephant_ivory": "ງາຊ້າງ", "bone": "ກະດູກ", "ceramic": "ເຊລາມິກ"},
}
PERCENT = re.compile(r"\d+(?:\.\d+)?\s*%")


def prediction(decision: str, label: str = "elephant_ivory", **changes) -> Prediction:
    values = {
        "label": label,
        "confidence": 0.813,
        "top_k": [(label, 0.813), ("ceramic", 0.15)],
        "probabilities": {label: 0.813, "ceramic": 0.15, "bone": 0.037},
        "decision": decision,
        "reasons": ["out_of_catalogue"] if decision == "unknown" else ["target_not_shown"],
        "shortlist": [label, "ceramic"],
        "unknown_scores": {"energy": 3.0},
        "accept_threshold": None,
        "signals": {},
    }
    return Prediction(**{**values, **changes})


def class_free(shown: str, language: str) -> None:
    for name in [*NAMES[language].values(), *NAMES["en"], "ceramic"]:
        assert name not in shown, name
    assert not PERCENT.search(shown), PERCENT.search(shown)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_officers_box_of_an_unknown_item_names_no_class(language):
    names = NAMES[language]
    unknown = prediction("unknown")
    shown = render.decision_html(unknown, names, language, photos=2, coverage=0.9)
    class_free(shown, language)
    assert text(language, "result.action_review") in shown
    _, rows = render.photo_table(
        [("a.jpg", "ab" * 32, prediction("review")), ("b.jpg", "cd" * 32, unknown)],
        names,
        language,
        item_unknown=True,
    )
    class_free(" ".join(str(cell) for row in rows for cell in row[:3]), language)
    caption = render.photo_caption(1, "a.jpg", prediction("review"), names, language, True)
    class_free(caption, language)
    # An item that is not unknown still shows its classes.
    assert names["elephant_ivory"] in render.decision_html(prediction("review"), names, language)


def test_the_officer_reads_what_to_do_not_statistics():
    review = render.decision_html(prediction("review"), NAMES["en"], "en")
    assert "What to do" in review and "mistakes to allow" not in review
    poor = render.decision_html(prediction("review", reasons=["poor_image"]), NAMES["en"], "en")
    assert text("en", "result.action_retake") in poor
    state = {"enabled": True, "fired": False, "photos": 1, "means": {}, "calibration_means": {}}
    assert render.shift_html(state, "en") == ""  # nothing to do: nothing said
    assert "1 answer so far" in render.shift_details(state, "en")
    fired = {**state, "fired": True, "photos": 40, "means": {"unknown": 0.5}}
    fired["calibration_means"] = {"unknown": 0.05}
    officer = render.shift_html(fired, "en")
    assert "Check the light" in officer and "%" not in officer
    assert "50%" in render.shift_details(fired, "en")


def _rule(status, target):
    threshold = 0.9 if status == AUTO else float("inf")
    return ClassRule(threshold, status, "pooled", target, 40, None)


class _Policy:
    class_ids = ("elephant_ivory", "bone")
    rules = (_rule(AUTO, 0.95), _rule(TARGET_NOT_SHOWN, 0.98))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_card_says_what_this_model_does(language):
    """Issue 26: "automatic answers only at 0% precision or better", and 98% for a class this
    model never answers automatically."""
    bone = CatalogueEntry(id="bone", names={"en": "Bone"}, target_precision=0.98)
    ivory = CatalogueEntry(id="elephant_ivory", names={"en": "Ivory"})
    resin = CatalogueEntry(id="resin", names={"en": "Resin"})
    assert render.routing_text(bone, language, _Policy) == text(language, "card.expert_only")
    assert "95%" in render.routing_text(ivory, language, _Policy)
    assert render.routing_text(resin, language, _Policy) == text(language, "card.not_in_model")
    for entry in (bone, ivory, resin):
        assert "0%" not in render.routing_text(entry, language, _Policy).replace("100%", "")


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 190, 170)).save(buffer, format="JPEG")
    return buffer.getvalue()


def add_item(store: ReviewStore, decision: str, case: str = "C-26") -> int:
    """A record of `decision` whose one photo, alone, was nearer a class (review)."""
    data = jpeg()
    photo_prediction = prediction("review").to_dict()
    return store.add_record(
        NewRecord(
            case_id=case,
            location="Boten",
            officer="Somchai",
            prediction={
                **prediction(decision).to_dict(),
                "bundle_name": "museum",
                "bundle_version": "1",
                "bundle_sha256": "ab" * 32,
            },
            photos=[
                NewPhoto(
                    data=data,
                    sha256=hashlib.sha256(data).hexdigest(),
                    file_name="flower.jpg",
                    format="JPEG",
                    width=40,
                    height=30,
                    prediction=photo_prediction,
                )
            ],
            code_version="test",
        )
    )


@pytest.fixture
def unknown_store(tmp_path):
    store = ReviewStore(tmp_path / "review.sqlite3", tmp_path / "photos")
    add_item(store, "unknown")
    return store


def test_the_case_report_says_an_answered_items_decision_once_with_its_class(tmp_path):
    """Issue 26: "Needs expert review review" (the words, then the code)."""
    store = ReviewStore(tmp_path / "review.sqlite3", tmp_path / "photos")
    add_item(store, "review", case="C-27")
    page = case_report_html(store, "C-27", "en", names=NAMES["en"], integrity=[])
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Needs expert review" in words and "Needs expert review review" not in words
    assert "Elephant ivory (81.3%)" in words  # an answered item keeps its class


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_items_record_and_case_report_name_no_class(unknown_store, language):
    names = NAMES[language]
    [record] = unknown_store.records("C-26")
    shown = re.sub(r"<[^>]+>", " ", record_html(record, names, language))
    class_free(shown, language)
    assert text(language, "label.not_in_catalogue") in shown
    page = case_report_html(unknown_store, "C-26", language, names=names, integrity=[])
    body = re.sub(r"<[^>]+>", " ", page.split("<body>", 1)[1])
    body = re.sub(r"data:image/jpeg;base64,\S+", "", body)
    class_free(body.replace("elephant_ivory", ""), language)  # no code either:
    assert "elephant_ivory" not in body and "ceramic" not in body
    decision = text(language, "decision.unknown")
    assert decision in body and f"{decision} unknown" not in body


def test_the_case_report_csv_of_an_unknown_item_has_no_class_or_probability(unknown_store):
    [row] = csv.DictReader(io.StringIO(case_report_csv(unknown_store.records("C-26")).decode()))
    for column in ("item_label", "item_confidence", "shortlist", "photo_label", "photo_confidence"):
        assert row[column] == "", column
    assert row["item_decision"] == "unknown" and row["current_label"] == "not_in_catalogue"
    assert "elephant_ivory" not in ",".join(row.values())


def test_batch_review_cards_of_unknown_items_name_no_class(tmp_path):
    unknown = {
        "key": "flower.jpg",
        "status": "ok",
        "sha256": "ab" * 32,
        "decision": "unknown",
        "label": "elephant_ivory",
        "top_k": [["elephant_ivory", 0.81], ["ceramic", 0.15]],
        "reasons": ["out_of_catalogue"],
    }
    card = contact_sheets._card(unknown, tmp_path)
    assert "elephant_ivory" not in card and "81" not in card and "ceramic" not in card
    assert contact_sheets._class_of(unknown) == contact_sheets.NOT_IN_CATALOGUE
    answered = {**unknown, "decision": "review"}
    assert "elephant_ivory" in contact_sheets._card(answered, tmp_path)


def test_the_batch_preview_of_an_unknown_item_names_no_class(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text(
        "path,status,decision,label_1,prob_1,error_code\n"
        "flower.jpg,ok,unknown,elephant_ivory,0.81,\n"
        "tusk.jpg,ok,review,elephant_ivory,0.77,\n",
        encoding="utf-8",
    )
    rows = preview(path).to_dict("records")
    assert (rows[0]["label_1"], rows[0]["prob_1"]) == ("", "")
    assert (rows[1]["label_1"], rows[1]["prob_1"]) == ("elephant_ivory", "0.77")


def test_the_trainer_is_not_told_a_precision_of_nothing():
    """ "0% of these photos would be answered automatically (right 0% of the time)"."""
    assert auto_accepted({"coverage": 0.0, "accepted_precision": None}, "en") == text(
        "en", "workshop.none_automatic"
    )
    some = auto_accepted({"coverage": 0.4, "accepted_precision": 0.97}, "zh")
    assert "40%" in some and "97%" in some


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_box_names_the_photo_that_stopped_the_item(language):
    """An item of several photos says which photo made it unknown or kept it from an automatic
    answer, and still names no class when it is unknown."""
    names = NAMES[language]
    unknown = render.decision_html(
        prediction("unknown"), names, language, photos=3, stopped_by=(1,)
    )
    assert text(language, "result.stopped_unknown", photos="2") in html.unescape(unknown)
    class_free(unknown, language)
    review = prediction("review", reasons=["unfamiliar"])
    shown = render.decision_html(review, names, language, photos=2, stopped_by=(0,))
    assert text(language, "result.stopped_unfamiliar", photos="1") in html.unescape(shown)
    alone = render.decision_html(review, names, language, photos=1, stopped_by=(0,))
    assert "data-stopped-by" not in alone  # one photo: it is the item


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_trainer_reads_why_a_class_needs_to_be_surer_than_its_look_alikes(language):
    from dataclasses import asdict

    from wildlens.ui.workshop_tab import class_lines

    raised = asdict(ClassRule(0.993, AUTO, "pooled", 0.95, 120, None, lookalike_photos=84))
    plain = {**asdict(ClassRule(0.9, AUTO, "pooled", 0.95, 80, None)), "lookalike_photos": 0}
    old = asdict(ClassRule(0.9, AUTO, "pooled", 0.95, 80, None))
    del old["lookalike_photos"]  # a bundle from before the look-alike line
    names = {"ivory": "IVORY", "ceramic": "CERAMIC", "bone": "BONE"}
    lines = class_lines({"ivory": raised, "ceramic": plain, "bone": old}, names, language)
    [line] = [line for line in lines if line]
    assert "IVORY" in line and "84" in line and "CERAMIC" not in line
    assert line == text(language, "workshop.lookalike_line", name="IVORY", count=84)
