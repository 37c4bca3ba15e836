"""The review store attacked through its files: each tampering named by `verify` and by
`wildlens verify-store` (the head log outside the database, signed heads, photo metadata)."""

import csv
import io
import json
import shutil
import sqlite3

import pytest
from test_review_store import jpeg, photo, record

from wildlens.cli import main as cli_main
from wildlens.common.csv_cells import csv_writer, dict_writer, safe_cell
from wildlens.model.bundle.signing import generate_keys
from wildlens.review import ReviewStore
from wildlens.review.exports import export_for_retraining
from wildlens.ui.case_report import case_report_csv


def history(store: ReviewStore) -> tuple[int, int]:
    """Two records, a confirmation of the first and a correction of the second."""
    first = store.add_record(record(photo(jpeg((200, 190, 170)))))
    second = store.add_record(record(photo(jpeg((20, 90, 170)), name="b.jpg"), case="C-18"))
    store.confirm(first, "Dr Vong", "looks right")
    store.correct(second, "Dr Vong", "bone", "Haversian canals")
    return first, second


@pytest.fixture
def copy(tmp_path):
    """A store with some history, and a function that opens a copy of its data folder."""
    original = tmp_path / "site"
    store = ReviewStore(original / "review.sqlite3", original / "photos")
    history(store)
    count = [0]

    def make() -> ReviewStore:
        count[0] += 1
        target = tmp_path / f"copy{count[0]}"
        shutil.copytree(original, target)
        return ReviewStore(target / "review.sqlite3", target / "photos")

    assert store.verify() == []
    return make


def attack(store: ReviewStore, *statements: str) -> None:
    """Run SQL on the store's file as someone with write access would (triggers dropped)."""
    with sqlite3.connect(store.database) as db:
        triggers = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")]
        for name in triggers:
            db.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            db.execute(statement)


def test_deleting_the_newest_verdict_is_named(copy):
    store = copy()
    attack(store, "DELETE FROM events WHERE id = (SELECT max(id) FROM events)")
    problems = store.verify()
    assert any("events 4 are in the head log but not in the database" in p for p in problems)


def test_deleting_the_newest_record_with_its_photos_and_events_is_named(copy):
    store = copy()
    attack(
        store,
        "DELETE FROM events WHERE record_id = 2",
        "DELETE FROM record_photos WHERE record_id = 2",
        "DELETE FROM photos WHERE sha256 NOT IN (SELECT sha256 FROM record_photos)",
        "DELETE FROM records WHERE id = 2",
    )
    problems = store.verify()
    assert any("events 4 are in the head log but not in the database" in p for p in problems)
    assert "events 2 are in the head log but were deleted" in problems


def test_an_edit_with_the_chain_recomputed_is_named(copy):
    from wildlens.review.store import chain_hash

    store = copy()
    attack(store, "UPDATE events SET comment = 'looks wrong' WHERE id = 3")
    with sqlite3.connect(store.database) as db:  # recompute every chain value, as an attacker
        db.row_factory = sqlite3.Row
        previous = ""
        for row in db.execute("SELECT * FROM events ORDER BY id").fetchall():
            fields = {k: row[k] for k in row.keys() if k not in ("id", "chain")}  # noqa: SIM118
            chain = chain_hash(previous, fields)
            db.execute("UPDATE events SET chain = ? WHERE id = ?", (chain, row["id"]))
            previous = chain
    problems = store.verify()
    assert problems == [
        "events 3, 4 differ from the head log: history was rewritten from event 3 on"
    ]


@pytest.mark.parametrize(
    "column, value", [("width", 41), ("height", 1), ("format", "'PNG'"), ("num_bytes", 7)]
)
def test_an_edit_of_photo_metadata_is_named(copy, column, value):
    store = copy()
    attack(store, f"UPDATE photos SET {column} = {value}")
    problems = store.verify()
    assert "record 1: does not match its created event" in problems
    assert "record 2: does not match its created event" in problems


def test_events_written_behind_the_apps_back_are_named(copy):
    store = copy()
    lines = store.heads.path.read_text().splitlines()
    store.heads.path.write_text("\n".join(lines[:-1]) + "\n")  # the log lost its last line
    assert any("events 4 are not in the head log" in p for p in store.verify())


def test_signed_heads_cannot_be_forged(tmp_path):
    key, public = generate_keys(tmp_path / "keys" / "site")
    folder = tmp_path / "site"
    store = ReviewStore(folder / "review.sqlite3", folder / "photos", site_key=key, sign_every=2)
    history(store)
    head = store.sign_head()
    assert head is not None and head.event == 4 and head.signature["key_id"]
    assert store.verify() == []
    lines = [json.loads(line) for line in store.heads.path.read_text().splitlines()]
    assert sum("signature" in line for line in lines) == 3  # events 2, 4 and the report's
    signed = next(line for line in lines if "signature" in line)
    signed["chain"] = "0" * 64  # a rewritten head with the old signature
    store.heads.path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    problems = store.verify()
    assert any("the signature does not verify (the log was edited)" in p for p in problems)
    from wildlens.model.bundle.signing import public_key_id

    assert store.verify_history({"someone-else"}) != store.verify_history({public_key_id(public)})


def test_a_store_older_than_its_head_log_is_anchored_from_then_on(tmp_path):
    folder = tmp_path / "site"
    store = ReviewStore(folder / "review.sqlite3", folder / "photos")
    history(store)
    store.heads.path.unlink()
    reopened = ReviewStore(folder / "review.sqlite3", folder / "photos")
    assert reopened.verify() == []
    attack(reopened, "DELETE FROM events WHERE id = 4")
    assert any("events 4 are in the head log" in p for p in reopened.verify())


def test_verify_store_command_names_a_deleted_tail(copy, capsys):
    store = copy()
    attack(store, "DELETE FROM events WHERE id = (SELECT max(id) FROM events)")
    code = cli_main(["verify-store", f"data_dir={store.database.parent}"])
    out = capsys.readouterr()
    assert code == 1
    assert "deleted" in out.out + out.err and "Traceback" not in out.err


# -- spreadsheet-safe CSV --------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell, written",
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        ("-0.25", "-0.25"),  # a number stays a number
        ("C-17", "C-17"),
        (3, 3),
    ],
)
def test_formula_cells_are_neutralised(cell, written):
    assert safe_cell(cell) == written
    buffer = io.StringIO()
    csv_writer(buffer).writerow([cell])
    dict_writer(buffer, ["a"]).writerow({"a": cell})
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows[0] == rows[1] == [str(written)]


def test_case_report_and_export_manifest_neutralise_a_formula_case_id(tmp_path):
    store = ReviewStore(tmp_path / "review.sqlite3", tmp_path / "photos")
    evil = '=HYPERLINK("http://evil","click")'
    record_id = store.add_record(record(case=evil))
    store.correct(record_id, "Dr Vong", "bone", "@SUM(1)")
    rows = list(csv.DictReader(io.StringIO(case_report_csv(store.records(evil)).decode())))
    assert rows[0]["case_id"] == "'" + evil
    assert rows[0]["last_verdict_comment"] == "'@SUM(1)"
    export_for_retraining(store, tmp_path / "out", "folder")
    manifest = list(csv.DictReader(io.StringIO((tmp_path / "out" / "manifest.csv").read_text())))
    provenance = list(
        csv.DictReader(io.StringIO((tmp_path / "out" / "provenance.csv").read_text()))
    )
    assert manifest[0]["group"] == "'" + evil and provenance[0]["comment"] == "'@SUM(1)"


def test_infer_csv_neutralises_a_formula_file_name(tmp_path):
    from wildlens.pipeline.records import write_csv

    out = tmp_path / "run.csv"
    write_csv(out, [{"key": "=cmd|' /C calc'!A0.jpg", "status": "ok", "top_k": []}], top_k=1)
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows[0]["path"] == "'=cmd|' /C calc'!A0.jpg"


def test_the_review_tab_warns_of_a_tampered_store(copy):
    from types import SimpleNamespace

    from wildlens.ui.review_tab import tamper_warning

    store = copy()
    assert tamper_warning(SimpleNamespace(store=store), "en") == ""
    attack(store, "DELETE FROM events WHERE id = (SELECT max(id) FROM events)")
    warning = tamper_warning(SimpleNamespace(store=store), "zh")
    assert "审核记录库在应用之外被改动" in warning and "events 4" in warning


def test_verify_store_checks_signed_heads_against_the_sites_public_key(tmp_path, capsys):
    key, public = generate_keys(tmp_path / "keys" / "site")
    _, stranger = generate_keys(tmp_path / "keys" / "stranger")
    folder = tmp_path / "site"
    store = ReviewStore(folder / "review.sqlite3", folder / "photos", site_key=key, sign_every=2)
    history(store)
    assert cli_main(["verify-store", f"data_dir={folder}", f"site_public_keys={public}"]) == 0
    assert "2 signed heads, the last at event 4" in capsys.readouterr().out
    assert cli_main(["verify-store", f"data_dir={folder}", f"site_public_keys={stranger}"]) == 1
    assert "signed by untrusted key" in capsys.readouterr().err


def test_an_app_with_an_unusable_site_key_does_not_start(tmp_path):
    from wildlens.common.config_loader import ConfigError
    from wildlens.ui.config import AppConfig
    from wildlens.ui.state import AppState

    (tmp_path / "site.key").write_text("not a key")
    cfg = AppConfig(data_dir=str(tmp_path), site_key=str(tmp_path / "site.key"))
    with pytest.raises(ConfigError, match=r"site_key=.*not an unencrypted PEM private key"):
        AppState(cfg, predictor=None, bundle_path=tmp_path)
