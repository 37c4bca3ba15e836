"""The app served on a free localhost port, used through gradio_client and plain HTTP, as an
officer's phone, an expert's browser or a script would."""

import csv
import io
import socket
import zipfile
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from wildlens.common.config_loader import ConfigError
from wildlens.model.bundle.format import BundleError
from wildlens.model.serving.predictor import Predictor
from wildlens.ui import AppState, build_app, launch
from wildlens.ui.accounts import UsersFile
from wildlens.ui.app import check_exposure, credentials
from wildlens.ui.config import AppConfig

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(bundle: Path, data_dir: Path, **settings):
    cfg = AppConfig(
        port=free_port(),
        max_file_size_mb=1,
        data_dir=str(data_dir),
        workshop_image_size=64,
        **settings,
    )
    state = AppState(cfg, Predictor.from_bundle(bundle, device="cpu"), bundle)
    demo = build_app(state)
    _, url, _ = launch(demo, cfg, prevent_thread_lock=True, quiet=True)
    return demo, url, state


@pytest.fixture(scope="module")
def server(tiny_bundle, tmp_path_factory):
    demo, url, state = serve(tiny_bundle, tmp_path_factory.mktemp("app"))
    yield url, state
    demo.close()


@pytest.fixture
def client(server):
    client = Client(server[0], verbose=False)
    yield client
    client.close()


def val_photo(tiny_dataset: Path, class_id: str, index: int = 0) -> Path:
    return sorted((tiny_dataset / "val" / class_id).glob("*.jpg"))[index]


def identify(client: Client, *photos: Path, heat_map=True, language="en"):
    files = [handle_file(str(p)) for p in photos]
    return client.predict(files, heat_map, language, api_name="/identify")


def test_binds_to_localhost_by_default(server):
    assert AppConfig().host == "127.0.0.1"
    assert server[0].startswith("http://127.0.0.1:")


def test_identify_one_photo(client, tiny_dataset):
    decision, top, gallery, table, card, status, *_ = identify(
        client, val_photo(tiny_dataset, "bone")
    )
    # The tiny bundle has about one calibration photo per class: it may never answer alone.
    assert 'data-decision="review"' in decision and "Needs expert review" in decision
    assert 'data-reason="insufficient_calibration"' in decision
    assert {c["label"] for c in top["confidences"]} == {
        "Bone",
        "Elephant ivory",
        "Rosewood (Dalbergia / Pterocarpus)",
    }
    assert sum(c["confidence"] for c in top["confidences"]) == pytest.approx(1, abs=1e-4)
    [shown] = gallery
    assert shown["caption"].startswith("1 · ") and Path(shown["image"]).is_file()
    assert "<th>#</th><th>File</th>" in table and table.count("<tr data-sha256=") == 1
    assert "CITES appendix" in card and "Look-alikes" in card
    assert "Not saved yet" in status


def test_several_photos_of_one_item_in_chinese(client, tiny_dataset):
    photos = [val_photo(tiny_dataset, "elephant_ivory", i) for i in range(2)]
    decision, top, gallery, table, card, *_ = identify(client, *photos, language="zh")
    assert "CITES 附录" in card
    assert "2 张照片合并为一个结论" in decision and "需要专家审核" in decision
    assert "象牙" in {c["label"] for c in top["confidences"]}
    assert len(gallery) == 2 and table.count("<tr data-sha256=") == 2
    assert "<th>文件</th>" in table


def test_lao_words_for_the_decision(client, tiny_dataset):
    decision, *_ = identify(client, val_photo(tiny_dataset, "rosewood"), language="lo")
    assert "ຕ້ອງໃຫ້ຜູ້ຊ່ຽວຊານກວດສອບ" in decision


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("zero.jpg", b"", "[empty]"),
        ("notes.jpg", b"not a photo at all", "[not_an_image]"),
    ],
)
def test_bad_photos_get_a_readable_error(client, tmp_path, tiny_dataset, name, content, message):
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(AppError) as error:
        identify(client, val_photo(tiny_dataset, "bone"), bad)
    assert f"Photo 2 ({name}) cannot be used" in str(error.value)
    assert message in str(error.value)


def test_a_file_that_is_not_an_image_type_is_refused(client, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(AppError, match="Invalid file type"):
        identify(client, text)


def test_save_review_confirm_and_correct(server, client, tiny_dataset):
    state = server[1]
    identify(client, val_photo(tiny_dataset, "bone", 1), val_photo(tiny_dataset, "bone", 2))
    with pytest.raises(AppError, match="case or seizure id"):
        save(client, tiny_dataset, ("bone", 1), ("bone", 2), case="")
    status = save(client, tiny_dataset, ("bone", 1), ("bone", 2), case="C-17")
    assert "Saved as record" in status and "review queue" in status
    record_id = int(status.split("#")[1].split("*")[0])
    again = save(client, tiny_dataset, ("bone", 1), ("bone", 2), case="C-17")
    assert "Already saved" in again
    queue = client.predict("C-17", "", "en", api_name="/review_queue")
    assert record_id in [row[0] for row in queue["data"]]

    with pytest.raises(AppError, match="Open the record first"):
        client.predict(record_id, "Dr Vong", "", "en", api_name="/confirm")
    summary, photos, history, *_ = client.predict(record_id, "en", api_name="/open_record")
    assert f'data-record="{record_id}"' in summary and len(photos) == 2
    assert len(history["data"]) == 1
    status, summary, _, history, *_ = client.predict(
        record_id, "Dr Vong", "looks right", "en", api_name="/confirm"
    )
    assert "confirmed" in status and 'data-status="confirmed"' in summary
    with pytest.raises(AppError, match="comment"):
        client.predict(record_id, "Dr Vong", "elephant_ivory", "", "en", api_name="/correct")
    status, summary, _, history, *_ = client.predict(
        record_id, "Dr Vong", "elephant_ivory", "Schreger lines", "en", api_name="/correct"
    )
    assert 'data-label="elephant_ivory"' in summary and len(history["data"]) == 3
    events = state.store.record(record_id).events
    assert [(e.action, e.previous_label, e.label) for e in events] == [
        ("created", None, "bone"),
        ("confirmed", "bone", "bone"),
        ("corrected", "bone", "elephant_ivory"),
    ]
    assert record_id not in [
        row[0] for row in client.predict("", "", "en", api_name="/review_queue")["data"]
    ]


def save(client, tiny_dataset, *photos, case="C-17", officer="Somchai"):
    files = [handle_file(str(val_photo(tiny_dataset, c, i))) for c, i in photos]
    return client.predict(files, case, "Boten", officer, "en", api_name="/save_record")


def test_items_on_a_table_through_the_api(client, tmp_path):
    from test_items import COLOURS, THREE, lay, table

    photo = tmp_path / "table.jpg"
    lay(table("cloth"), THREE, COLOURS).save(photo, quality=95)
    files = [handle_file(str(photo))]
    decision, _, gallery, _, _, _, _, rows = client.predict(
        files, False, "en", True, api_name="/identify"
    )
    assert 'data-items="3"' in decision and rows.count("<tr data-item=") == 3
    assert len(gallery) == 1  # the photo with its numbered boxes
    status = client.predict(files, "C-TABLE", "", "Somchai", "en", api_name="/save_record")
    assert "Saved 3 items" in status
    first = int(status.split("#")[1].split("*")[0])
    summary, photos, *_ = client.predict(first, "en", api_name="/open_record")
    assert "item 1 of 3 on photo" in summary and len(photos) == 2  # the item, the overview


def test_save_refuses_photos_other_than_the_ones_identified(client, tiny_dataset):
    with pytest.raises(AppError, match="Press Identify first"):
        save(client, tiny_dataset, ("bone", 0))
    identify(client, val_photo(tiny_dataset, "bone", 0))
    with pytest.raises(AppError, match="photos changed"):
        save(client, tiny_dataset, ("rosewood", 0))
    with pytest.raises(AppError, match="officer"):
        save(client, tiny_dataset, ("bone", 0), officer=" ")


def test_export_labels_and_case_report(server, client, tiny_dataset):
    state = server[1]
    identify(client, val_photo(tiny_dataset, "rosewood", 1))
    status = save(client, tiny_dataset, ("rosewood", 1), case="C-EXPORT")
    record_id = int(status.split("#")[1].split("*")[0])
    client.predict(record_id, "en", api_name="/open_record")
    client.predict(record_id, "Dr Vong", "bone", "canals", "en", api_name="/correct")

    files, message = client.predict("folder", "en", api_name="/export_labels")
    assert "labelled photos" in message
    archive = next(f for f in files if f.endswith(".zip"))
    with zipfile.ZipFile(archive) as zf:
        manifest = next(n for n in zf.namelist() if n.endswith("/manifest.csv"))
        rows = list(csv.DictReader(io.StringIO(zf.read(manifest).decode())))
        assert {"path", "label", "group"} == set(rows[0])
        row = next(r for r in rows if r["group"] == "C-EXPORT")
        assert row["label"] == "bone"
        assert (
            zf.read(manifest.rsplit("/", 1)[0] + "/" + row["path"])
            == val_photo(tiny_dataset, "rosewood", 1).read_bytes()
        )
    assert (state.data_dir / "exports").is_dir()

    files, message = client.predict("C-EXPORT", "zh", api_name="/case_report")
    page = Path(next(f for f in files if f.endswith(".html"))).read_text()
    table = Path(next(f for f in files if f.endswith(".csv"))).read_text()
    sha256 = state.store.record(record_id).photos[0].sha256
    assert "案件报告" in page and sha256 in page and "data:image/jpeg;base64," in page
    assert sha256 in table and "Dr Vong" in table
    with pytest.raises(AppError, match="No saved records"):
        client.predict("NO-SUCH-CASE", "en", api_name="/case_report")


def test_batch_zip_through_the_batch_pipeline(client, tiny_dataset, tmp_path):
    archive = tmp_path / "seizure.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i, path in enumerate(sorted((tiny_dataset / "val").rglob("*.jpg"))[:3]):
            zf.write(path, f"box/{i}.jpg")
        zf.writestr("box/broken.jpg", b"not a photo")
        zf.writestr("readme.txt", b"skipped")
    summary, files, preview = client.predict(handle_file(str(archive)), "en", api_name="/batch")
    assert "5 files classified" in summary and "`not_an_image`: 1" in summary
    rows = list(
        csv.DictReader(io.StringIO(Path(next(f for f in files if f.endswith(".csv"))).read_text()))
    )
    status = {row["path"]: row["status"] for row in rows}
    assert status == {
        "box/0.jpg": "ok",
        "box/1.jpg": "ok",
        "box/2.jpg": "ok",
        "box/broken.jpg": "failed",
        "readme.txt": "skipped",
    }
    assert len(preview["data"]) == 5


def test_workshop_trains_a_model_and_switches_to_it(server, client, tiny_dataset, tmp_path):
    state = server[1]
    archive = tmp_path / "workshop.zip"
    with zipfile.ZipFile(archive, "w") as zf:  # zipped from the folder: one wrapping folder
        for path in sorted(tiny_dataset.rglob("*.jpg")):
            zf.write(path, "my-photos/" + path.relative_to(tiny_dataset).as_posix())
    summary, per_class, confusion, mistakes, sheet, chosen, model_line, banner = client.predict(
        handle_file(str(archive)), None, "Class 3", True, "en", api_name="/train"
    )
    assert "Trained Class 3" in summary and "accuracy" in summary
    assert mistakes["headers"] == ["Photo", "True class", "Predicted", "Confidence"]
    assert sheet is not None and chosen["value"].startswith("class-3-")
    assert len(per_class["data"]) == 3 and len(confusion["data"]) == 3
    # Cross-fitted: all 36 photos (train/ and val/), each judged by a head that did not see it.
    assert sum(sum(row[1:]) for row in confusion["data"]) == 36
    assert "cross-validated" in summary and "answered automatically" in summary
    assert "With 3 classes" in summary  # a catalogue this small is told about look-alikes
    assert state.model.key.startswith("class-3-") and state.model.bundle.name == "Class 3"
    assert "Class 3" in model_line and banner["visible"] is False  # not the demo model
    datasets = list((state.data_dir / "datasets").glob("class-3-*.zip"))
    with zipfile.ZipFile(datasets[0]) as zf:
        assert all(n.startswith(("train/", "val/")) for n in zf.namelist())

    decision, *_ = identify(client, val_photo(tiny_dataset, "bone"))
    assert "data-decision" in decision  # the new model answers
    status, line, _ = client.predict("startup", "en", api_name="/switch_model")
    assert state.model.key == "startup" and "Now using" in status
    assert state.model.bundle.name in line
    # Issue 26: not used at once, the new model is still chosen in the list (it was blank).
    *_, chosen, model_line, _ = client.predict(
        handle_file(str(archive)), None, "Class 4", False, "en", api_name="/train"
    )
    assert chosen["value"].startswith("class-4-") and state.model.key == "startup"
    assert any(label.startswith("Class 4 ·") for label, _ in chosen["choices"])
    with pytest.raises(AppError, match="not in the list of choices"):
        client.predict("../../etc", "en", api_name="/switch_model")
    with pytest.raises(BundleError, match="no bundle"):  # the state refuses it too
        state.switch("../../etc")


def test_over_limit_upload_is_refused(server):
    response = httpx.post(
        f"{server[0]}gradio_api/upload",
        files={"files": ("big.jpg", b"\xff" * (2 * 1024 * 1024), "image/jpeg")},
    )
    assert response.status_code == 413


def test_files_outside_the_cache_are_not_served(server):
    state = server[1]
    assert httpx.get(f"{server[0]}gradio_api/file=/etc/passwd").status_code == 403
    database = state.store.database.resolve()
    assert httpx.get(f"{server[0]}gradio_api/file={database}").status_code == 403


def test_no_monitoring_or_run_history_pages(server):
    for path in ("monitoring", "gradio_api/runs"):
        assert httpx.get(f"{server[0]}{path}").status_code in (403, 404)


def test_login_from_environment_variables(tiny_bundle, tmp_path, monkeypatch):
    monkeypatch.setenv("WILDLENS_APP_USER", "officer")
    monkeypatch.setenv("WILDLENS_APP_PASSWORD", "s3cret-phrase")
    demo, url, _ = serve(tiny_bundle, tmp_path)
    try:
        assert httpx.get(f"{url}config").status_code == 401
        client = Client(url, verbose=False, auth=("officer", "s3cret-phrase"))
        try:
            endpoints = client.view_api(print_info=False, return_format="dict")
        finally:
            client.close()
        assert "/identify" in endpoints["named_endpoints"]
    finally:
        demo.close()


def test_network_exposure_needs_a_login(monkeypatch, tmp_path):
    monkeypatch.delenv("WILDLENS_APP_USER", raising=False)
    monkeypatch.delenv("WILDLENS_APP_PASSWORD", raising=False)
    network = AppConfig(host="0.0.0.0", data_dir=str(tmp_path))
    with pytest.raises(ConfigError, match="exposes the app to the network"):
        check_exposure(network, credentials(network))
    check_exposure(
        AppConfig(host="0.0.0.0", allow_network_without_login=True, data_dir=str(tmp_path)), None
    )
    check_exposure(AppConfig(host="::1", data_dir=str(tmp_path)), None)
    monkeypatch.setenv("WILDLENS_APP_USER", "officer")
    with pytest.raises(ConfigError, match="set both"):
        credentials(AppConfig())


def test_an_unknown_item_gets_no_class_and_no_card(client, tmp_path):
    pattern = tmp_path / "checkerboard.png"
    Image.fromarray((np.indices((64, 64)).sum(0) // 8 % 2 * 255).astype(np.uint8)).convert(
        "RGB"
    ).save(pattern)
    decision, top, gallery, table, card, *_ = identify(client, pattern)
    assert 'data-decision="unknown"' in decision
    assert not (top or {}).get("confidences") and card == ""
    assert '<td data-label="Result">Not in catalogue</td>' in table
    assert "Bone" not in table and "Bone" not in gallery[0]["caption"]


PASSWORD = "border-post-2026"


def test_roles_decide_what_each_login_may_do(tiny_bundle, tiny_dataset, tmp_path, monkeypatch):
    monkeypatch.delenv("WILDLENS_APP_USER", raising=False)
    monkeypatch.delenv("WILDLENS_APP_PASSWORD", raising=False)
    users = UsersFile(tmp_path / "users.json")
    users.add("somchai", "officer", PASSWORD, full_name="Somchai P.")
    users.add("vongsa", "expert", PASSWORD, full_name="Dr K. Vongsa")
    demo, url, state = serve(tiny_bundle, tmp_path)
    clients = []

    def login(name, password=PASSWORD):
        client = Client(url, verbose=False, auth=(name, password))
        clients.append(client)
        return client

    try:
        assert httpx.get(f"{url}config").status_code == 401
        with pytest.raises(Exception):  # noqa: B017 (gradio_client raises a bare ValueError)
            login("somchai", "wrong password")
        officer, expert = login("somchai"), login("vongsa")
        photo = val_photo(tiny_dataset, "bone", 3)
        identify(officer, photo)
        files = [handle_file(str(photo))]
        # The typed name is ignored: the record carries who signed in.
        status = officer.predict(
            files, "C-ROLES", "Boten", "Someone Else", "en", api_name="/save_record"
        )
        record_id = int(status.split("#")[1].split("*")[0])
        record = state.store.record(record_id)
        assert (record.officer, record.account) == ("Somchai P.", "somchai")
        with pytest.raises(AppError, match="may not do this"):
            officer.predict("C-ROLES", "", "en", api_name="/review_queue")
        with pytest.raises(AppError, match="may not do this"):
            officer.predict("startup", "en", api_name="/switch_model")
        with pytest.raises(AppError, match="may not do this"):
            expert.predict(files, "C-ROLES", "", "", "en", api_name="/save_record")

        expert.predict(record_id, "en", api_name="/open_record")
        expert.predict(record_id, "typed", "ok", "en", api_name="/confirm")
        event = state.store.record(record_id).events[-1]
        assert (event.actor, event.account) == ("Dr K. Vongsa", "vongsa")
    finally:
        for client in clients:
            client.close()
        demo.close()
