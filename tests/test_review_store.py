"""The review store without Gradio: records, photos by sha256, the append-only event log."""

import csv
import hashlib
import io
import sqlite3
from dataclasses import replace

import pytest
from PIL import Image

from wildlens.data.sources import read_manifest
from wildlens.review import (
    NOT_IN_CATALOGUE,
    ConflictError,
    NewPhoto,
    NewRecord,
    ReviewStore,
    StoreError,
)
from wildlens.review.exports import export_for_retraining
from wildlens.ui.case_report import case_report_csv, case_report_html


def jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def photo(data: bytes, name: str = "IMG_0001.jpg", label: str = "elephant_ivory") -> NewPhoto:
    return NewPhoto(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        file_name=name,
        format="JPEG",
        width=40,
        height=30,
        prediction={"label": label, "confidence": 0.7, "decision": "review"},
    )


def record(*photos: NewPhoto, case="C-17", decision="review", label="elephant_ivory") -> NewRecord:
    return NewRecord(
        case_id=case,
        location="Boten",
        officer="Somchai",
        prediction={
            "label": label,
            "confidence": 0.7,
            "decision": decision,
            "reasons": ["low_confidence"] if decision == "review" else [],
            "shortlist": [label, "bone"],
            "bundle_name": "tiny",
            "bundle_version": "1",
            "bundle_sha256": "ab" * 32,
        },
        photos=list(photos) or [photo(jpeg((200, 190, 170)))],
        code_version="test",
    )


@pytest.fixture
def store(tmp_path) -> ReviewStore:
    return ReviewStore(tmp_path / "review.sqlite3", tmp_path / "photos")


def test_a_record_keeps_its_photos_by_content_and_its_created_event(store, tmp_path):
    data = jpeg((10, 20, 30))
    record_id = store.add_record(record(photo(data, name="../../etc/passwd.jpg")))
    view = store.record(record_id)
    [stored] = view.photos
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.file == f"{stored.sha256[:2]}/{stored.sha256}.jpg"  # never the upload's name
    assert stored.file_name == "../../etc/passwd.jpg"  # kept as text, for people
    assert (tmp_path / "photos" / stored.file).read_bytes() == data
    assert store.photo_bytes(stored) == data
    [created] = view.events
    assert (created.action, created.status, created.label) == (
        "created",
        "pending_review",
        "elephant_ivory",
    )
    assert created.previous_label is None
    assert view.bundle["bundle_sha256"] == "ab" * 32


def test_the_same_photo_in_two_records_is_stored_once(store, tmp_path):
    data = jpeg((1, 2, 3))
    first = store.add_record(record(photo(data, name="a.jpg")))
    second = store.add_record(record(photo(data, name="b.jpg"), case="C-18"))
    assert store.record(first).photos[0].file == store.record(second).photos[0].file
    assert len(list((tmp_path / "photos").rglob("*.jpg"))) == 1


def test_photo_bytes_must_match_their_sha256(store):
    bad = NewPhoto(jpeg((9, 9, 9)), "0" * 64, "x.jpg", "JPEG", 40, 30, {})
    with pytest.raises(ValueError, match="another sha256"):
        store.add_record(record(bad))


def test_queue_is_oldest_first_and_filters_by_case_and_label(store):
    first = store.add_record(record(photo(jpeg((1, 1, 1)))))
    second = store.add_record(record(photo(jpeg((2, 2, 2))), case="C-18", label="bone"))
    store.add_record(record(photo(jpeg((3, 3, 3))), decision="identified"))  # not queued
    unknown = store.add_record(record(photo(jpeg((4, 4, 4))), decision="unknown"))
    assert [item.id for item in store.queue()] == [first, second, unknown]
    assert [item.id for item in store.queue(case_id="C-18")] == [second]
    assert [item.id for item in store.queue(label="bone")] == [second]
    assert [item.id for item in store.queue(label=NOT_IN_CATALOGUE)] == [unknown]


def test_confirm_and_correct_append_events_with_previous_values(store):
    record_id = store.add_record(record())
    created = store.record(record_id).last_event
    corrected = store.correct(
        record_id, "Dr Vong", "bone", "Haversian canals visible", expected_event=created
    )
    assert (corrected.previous_label, corrected.label) == ("elephant_ivory", "bone")
    assert (corrected.previous_status, corrected.status) == ("pending_review", "corrected")
    confirmed = store.confirm(record_id, "Dr Keo", "agree", account="keo")
    assert (confirmed.previous_label, confirmed.label, confirmed.account) == ("bone", "bone", "keo")
    view = store.record(record_id)
    assert [e.action for e in view.events] == ["created", "corrected", "confirmed"]
    assert view.label == "bone" and view.status == "confirmed"
    assert store.queue() == []
    assert store.verify() == []


def test_a_stale_verdict_is_refused(store):
    record_id = store.add_record(record())
    seen = store.record(record_id).last_event
    store.confirm(record_id, "Dr Vong", expected_event=seen)
    with pytest.raises(ConflictError, match="changed since it was opened"):
        store.correct(record_id, "Dr Keo", "bone", "looks like bone", expected_event=seen)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s, r: s.confirm(r, "  "), "reviewer's name is required"),
        (lambda s, r: s.correct(r, "Dr Vong", "bone", ""), "comment"),
        (lambda s, r: s.correct(r, "Dr Vong", "Bone!", "why"), "lowercase letters, digits"),
        (lambda s, r: s.correct(r, "Dr Vong", "elephant_ivory", "why"), "confirm it instead"),
        (lambda s, r: s.confirm(r + 99, "Dr Vong"), "no record"),
    ],
)
def test_bad_verdicts_are_clear_errors(store, call, message):
    record_id = store.add_record(record())
    with pytest.raises(StoreError, match=message):
        call(store, record_id)


def test_a_record_needs_a_case_an_officer_and_a_photo(store):
    with pytest.raises(StoreError, match="case or seizure id"):
        store.add_record(replace(record(), case_id=" "))
    with pytest.raises(StoreError, match="officer"):
        store.add_record(replace(record(), officer=""))
    with pytest.raises(StoreError, match="at least one photo"):
        store.add_record(replace(record(), photos=[]))


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("UPDATE events SET label = 'bone'", "append-only table events"),
        ("DELETE FROM events", "append-only table events"),
        ("INSERT OR REPLACE INTO events SELECT * FROM events", "created event"),
        ("UPDATE records SET decision = 'identified'", "append-only table records"),
        ("DELETE FROM records", "append-only table records"),
        ("UPDATE record_photos SET sha256 = '0'", "append-only table record_photos"),
        ("INSERT OR REPLACE INTO photos SELECT * FROM photos", "append-only table photos"),
        ("DELETE FROM photos", "append-only table photos"),
    ],
)
def test_the_database_itself_refuses_to_change_history(store, statement, refusal):
    """Triggers, not only Python: a raw connection (a script, the sqlite3 shell) is refused."""
    record_id = store.add_record(record())
    store.confirm(record_id, "Dr Vong")
    with sqlite3.connect(store.database) as db, pytest.raises(sqlite3.DatabaseError) as refused:
        db.execute(statement)
    assert refusal in str(refused.value)
    assert [e.action for e in store.record(record_id).events] == ["created", "confirmed"]
    assert store.verify() == []


def test_an_event_must_name_the_current_values(store):
    record_id = store.add_record(record())
    with sqlite3.connect(store.database) as db, pytest.raises(sqlite3.DatabaseError) as refused:
        db.execute(
            "INSERT INTO events (record_id, time, actor, account, action, label, status, "
            "previous_label, previous_status, comment, detail, chain) VALUES "
            "(?, 't', 'x', '', 'corrected', 'bone', 'corrected', 'rhino_horn', "
            "'pending_review', '', '{}', 'c')",
            (record_id,),
        )
    assert "current label and status" in str(refused.value)


def test_verify_finds_tampering_behind_the_triggers(store, tmp_path):
    record_id = store.add_record(record())
    store.confirm(record_id, "Dr Vong")
    with sqlite3.connect(store.database) as db:
        db.execute("DROP TRIGGER events_no_update")
        db.execute("UPDATE events SET actor = 'someone else' WHERE action = 'confirmed'")
    [stored] = store.record(record_id).photos
    (tmp_path / "photos" / stored.file).write_bytes(jpeg((0, 0, 0)))
    problems = store.verify()
    assert any("event chain is broken" in p for p in problems)
    assert any("altered" in p for p in problems)
    other_case = store.verify("no-such-case")  # the chain always, photos of that case only
    assert any("chain" in p for p in other_case) and not any("altered" in p for p in other_case)


def test_verify_store_command_names_the_first_broken_record(store, tmp_path, capsys):
    from wildlens.cli import main

    first, second = store.add_record(record()), store.add_record(record(case="C-18"))
    store.confirm(second, "Dr Vong")
    assert main(["verify-store", f"database={store.database}", f"data_dir={tmp_path}"]) == 0
    assert "intact" in capsys.readouterr().out
    # Someone edits the database behind the app's back: the second record's verdict.
    with sqlite3.connect(store.database) as db:
        db.execute("DROP TRIGGER events_no_update")
        db.execute("UPDATE events SET label = 'bone' WHERE record_id = ?", (second,))
    assert main(["verify-store", f"database={store.database}", f"data_dir={tmp_path}"]) == 1
    first_problem = capsys.readouterr().err.splitlines()[0]
    assert (
        f"the first: record {second}," in first_problem and f"record {first}," not in first_problem
    )
    assert main(["verify-store", f"database={tmp_path / 'none.sqlite3'}"]) == 2


def test_retraining_export_as_a_labelled_folder(store, tmp_path):
    ivory = store.add_record(record(photo(jpeg((1, 1, 1)))))
    bone = store.add_record(record(photo(jpeg((2, 2, 2))), case="C-18"))
    odd = store.add_record(record(photo(jpeg((3, 3, 3))), case="C-19"))
    store.add_record(record(photo(jpeg((4, 4, 4)))))  # not reviewed: not exported
    store.confirm(ivory, "Dr Vong")
    store.correct(bone, "Dr Vong", "bone", "canals")
    store.correct(odd, "Dr Vong", NOT_IN_CATALOGUE, "a tooth")
    summary = export_for_retraining(store, tmp_path / "export", "folder")
    assert (summary.photos, summary.unknown, summary.records) == (2, 1, 3)
    samples = {s.label: s for s in read_manifest(tmp_path / "export" / "manifest.csv")}
    assert set(samples) == {"elephant_ivory", "bone"}
    assert samples["bone"].group == "C-18"
    assert samples["bone"].source.read_bytes() == jpeg((2, 2, 2))
    assert samples["bone"].key.startswith("bone/")
    [unknown] = read_manifest(tmp_path / "export" / "unknown.csv")
    assert unknown.key.startswith("unknown/")
    provenance = list(
        csv.DictReader(io.StringIO((tmp_path / "export" / "provenance.csv").read_text()))
    )
    assert {row["reviewer"] for row in provenance} == {"Dr Vong"}


def test_retraining_export_as_a_manifest_leaves_out_conflicting_labels(store, tmp_path):
    data = jpeg((5, 5, 5))
    first = store.add_record(record(photo(data)))
    second = store.add_record(record(photo(data), case="C-20"))
    kept = store.add_record(record(photo(jpeg((6, 6, 6)))))
    store.confirm(first, "Dr Vong")
    store.correct(second, "Dr Keo", "bone", "canals")
    store.confirm(kept, "Dr Vong")
    summary = export_for_retraining(store, tmp_path / "manifest", "manifest")
    assert summary.photos == 1 and len(summary.conflicts) == 1
    [sample] = read_manifest(tmp_path / "manifest" / "manifest.csv")
    assert sample.source.is_absolute() and sample.source.read_bytes() == jpeg((6, 6, 6))
    assert "conflicting" in (tmp_path / "manifest" / "README.txt").read_text()


def test_case_report_csv_and_html(store):
    record_id = store.add_record(record(photo(jpeg((7, 7, 7)), name="<b>x</b>.jpg")))
    store.correct(record_id, "Dr Vong", "bone", "Haversian canals")
    store.add_record(record(case="other"))
    rows = list(csv.DictReader(io.StringIO(case_report_csv(store.records("C-17")).decode())))
    [row] = rows
    assert row["current_label"] == "bone" and row["item_label"] == "elephant_ivory"
    assert row["last_verdict_by"] == "Dr Vong" and row["bundle_sha256"] == "ab" * 32
    assert len(row["sha256"]) == 64
    page = case_report_html(store, "C-17", "zh", names={"bone": "骨制品"}, integrity=[])
    assert "案件报告" in page and "骨制品" in page and row["sha256"] in page
    assert "data:image/jpeg;base64," in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page  # escaped
    assert "Haversian canals" in page
