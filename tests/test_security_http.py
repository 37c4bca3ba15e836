"""The app with accounts, attacked through plain HTTP as someone on the network would: every
registered function called as no one and as each role (the rule table), sessions that must end,
upload budgets, the sign-in throttle, cross-site requests, replayed sessions and other logins'
files."""

import json
import os
import socket
import time
import uuid
import zipfile
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from test_review_store import record

from wildlens.model.serving.predictor import Predictor
from wildlens.ui import AppState, build_app, launch
from wildlens.ui.accounts import UsersFile
from wildlens.ui.config import AppConfig
from wildlens.ui.rules import RULES, rule_key

pytestmark = pytest.mark.slow

PASSWORD = "border-post-2026"
PEOPLE = {"officer": "officer1", "expert": "expert1", "trainer": "trainer1", "admin": "admin1"}
REFUSED = "may not do this"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(bundle: Path, folder: Path, users: dict[str, str], **settings) -> SimpleNamespace:
    for name in ("WILDLENS_APP_USER", "WILDLENS_APP_PASSWORD"):
        os.environ.pop(name, None)
    accounts = UsersFile(folder / "users.json")
    for name, role in users.items():
        accounts.add(name, role, PASSWORD)
    cfg = AppConfig(
        port=free_port(), data_dir=str(folder), max_file_size_mb=1, workshop_image_size=64
    )
    for key, value in settings.items():
        setattr(cfg, key, value)
    state = AppState(cfg, Predictor.from_bundle(bundle, device="cpu"), bundle)
    demo = build_app(state)
    _, url, _ = launch(demo, cfg, prevent_thread_lock=True, quiet=True)
    demo.wildlens_policy.access.throttle.delay_s = 0.05  # fast tests; the policy is the same
    return SimpleNamespace(url=url, state=state, demo=demo, users=accounts)


@pytest.fixture(scope="module")
def site(tiny_bundle, tmp_path_factory):
    folder = tmp_path_factory.mktemp("secure")
    people = {name: role for role, name in PEOPLE.items()}
    people |= {"expert2": "expert", "leaver": "officer", "mover": "officer", "idler": "officer"}
    app = serve(
        tiny_bundle, folder, people, max_request_mb=1, max_request_files=3, max_session_files=10
    )
    app.state.store.add_record(record(case="C-SECRET-QUEUE"))
    yield app
    app.demo.close()


def sign_in(url: str, name: str, password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    response = client.post("login", data={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return client


def call(client: httpx.Client, fn_index: int, data: list, session_hash: str = "") -> tuple:
    """("http", status) when the queue refuses; else ("ok", data) or ("error", message)."""
    session_hash = session_hash or uuid.uuid4().hex[:12]
    body = {"data": data, "fn_index": fn_index, "session_hash": session_hash}
    # What a click on a table's first cell sends (handlers without gr.SelectData ignore it).
    clicked = {"index": [0, 0], "value": 1, "row_value": [1], "col_value": [1], "selected": True}
    joined = client.post("gradio_api/queue/join", json={**body, "event_data": clicked})
    if joined.status_code != 200:
        return "http", joined.status_code
    params = {"session_hash": session_hash}
    with client.stream("GET", "gradio_api/queue/data", params=params) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("msg") == "process_completed":
                output = message.get("output") or {}
                if message.get("success"):
                    return "ok", output.get("data")
                return "error", str(output.get("error"))
    return "http", 0


def functions(site) -> list[tuple[int, str, dict]]:
    """(fn_index, rule key, dependency) of every backend function the app's config lists; each
    dependency gets "values": its inputs' values as the page starts (what the browser sends)."""
    with closing(sign_in(site.url, "admin1")) as admin:
        config = admin.get("config").json()
    values = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}
    listed = []
    for dependency in config["dependencies"]:
        if not dependency.get("backend_fn"):
            continue  # a browser-only event (js): nothing to call on the server
        fn = site.demo.fns[dependency["id"]].fn
        dependency["values"] = [values.get(i) for i in dependency["inputs"]]
        listed.append((dependency["id"], rule_key(fn), dependency))
    return listed


def test_every_registered_function_has_a_rule_and_the_rule_holds(site):
    listed = functions(site)
    assert len(listed) >= 25
    keys = {key for _, key, _ in listed}
    assert keys - set(RULES) == set(), "handlers without a rule in wildlens/ui/rules.py"
    assert set(RULES) - keys == set(), "rules for handlers that no longer exist"
    anonymous = httpx.Client(base_url=site.url, timeout=30)
    clients = {role: sign_in(site.url, name) for role, name in PEOPLE.items()}
    try:
        for fn_index, key, dependency in listed:
            data = dependency["values"]
            assert call(anonymous, fn_index, data) == ("http", 401), key
            for role, client in clients.items():
                outcome, detail = call(client, fn_index, data)
                assert outcome != "http", (key, role, detail)
                refused = outcome == "error" and REFUSED in detail
                assert refused == (role not in RULES[key].roles), (key, role, outcome, detail)
    finally:
        anonymous.close()
        for client in clients.values():
            client.close()


def language_call(site, client: httpx.Client) -> str:
    (fn_index, _, dependency) = next(
        f for f in functions(site) if f[2].get("api_name") == "set_language"
    )
    data = dependency["values"]
    outcome, detail = call(client, fn_index, data)
    assert outcome == "ok", detail
    return json.dumps(detail)


def test_the_page_load_shows_the_queue_only_to_reviewers(site):
    fn_index, _, dependency = next(f for f in functions(site) if f[1] == "app:on_load")
    for name, sees in (("expert1", True), ("officer1", False), ("trainer1", False)):
        with closing(sign_in(site.url, name)) as client:
            outcome, data = call(client, fn_index, dependency["values"])
        assert outcome == "ok" and ("C-SECRET-QUEUE" in json.dumps(data)) == sees, name


def test_the_language_switch_shows_the_queue_only_to_reviewers(site):
    with (
        closing(sign_in(site.url, "expert1")) as expert,
        closing(sign_in(site.url, "officer1")) as officer,
    ):
        assert "C-SECRET-QUEUE" in language_call(site, expert)
        assert "C-SECRET-QUEUE" not in language_call(site, officer)
    with closing(sign_in(site.url, "trainer1")) as trainer:
        assert "C-SECRET-QUEUE" not in language_call(site, trainer)


def upload(client: httpx.Client, *files: tuple[str, bytes]) -> httpx.Response:
    return client.post(
        "gradio_api/upload", files=[("files", (name, data, "image/jpeg")) for name, data in files]
    )


@pytest.mark.parametrize(
    "name, change", [("leaver", "remove"), ("mover", "password"), ("mover", "role")]
)
def test_removal_password_and_role_changes_end_sessions_on_every_route(site, name, change):
    client = sign_in(site.url, name)
    response = upload(client, ("a.jpg", b"x" * 100))
    assert response.status_code == 200
    mine = response.json()[0]
    assert client.get(f"gradio_api/file={mine}").status_code == 200
    if change == "remove":
        site.users.remove(name)
    else:
        role = "expert" if change == "role" else None
        site.users.add(name, role, PASSWORD + "-new", change_password=True)
    assert client.get("config").status_code == 401
    assert upload(client, ("b.jpg", b"y" * 100)).status_code == 401
    assert client.get(f"gradio_api/file={mine}").status_code in (401, 403)
    assert call(client, 0, [])[1] == 401
    assert client.get("gradio_api/heartbeat/abc", timeout=5).status_code == 401
    assert not Path(mine).exists()  # the ended session's uploads are gone
    client.close()
    if change != "remove":  # put the account back for the next case
        site.users.add(name, "officer", PASSWORD, change_password=True)
    else:
        site.users.add(name, "officer", PASSWORD)


def test_idle_sessions_and_signed_out_sessions_end(site):
    client = sign_in(site.url, "idler")
    tokens = site.demo.wildlens_policy.tokens
    before, tokens.idle_s = tokens.idle_s, 0.5
    try:
        time.sleep(1.0)
        assert client.get("config").status_code == 401
    finally:
        tokens.idle_s = before
    client = sign_in(site.url, "idler")
    assert client.get("config").status_code == 200
    client.get("logout")
    assert client.get("config").status_code == 401


def test_routes_gradio_leaves_open_need_a_sign_in(site):
    with httpx.Client(base_url=site.url, timeout=10) as nobody:
        assert nobody.get("gradio_api/heartbeat/abc").status_code == 401
        cancel = {"session_hash": "abc", "fn_index": 0, "event_id": "x"}
        assert nobody.post("gradio_api/cancel", json=cancel).status_code == 401
        assert upload(nobody, ("a.jpg", b"x")).status_code == 401


def cache_files(site) -> int:
    return sum(1 for p in Path(site.demo.GRADIO_CACHE).rglob("*") if p.is_file())


def test_upload_budgets_per_request_and_per_session(site):
    with closing(sign_in(site.url, "officer1")) as client:
        before = cache_files(site)
        part = b"\xff" * (700 * 1024)  # under the 1 MB per file; two exceed 1 MB per request
        assert upload(client, ("a.jpg", part), ("b.jpg", part)).status_code == 413
        four = [(f"{i}.jpg", b"x" * 10) for i in range(4)]  # 3 files per request
        assert upload(client, *four).status_code == 413
        assert cache_files(site) == before  # nothing kept from refused requests
        assert upload(client, *four[:3]).status_code == 200
        assert upload(client, *four[:3]).status_code == 200
        # 10 files per session per hour: the 4 refused count, then 3 + 3
        assert upload(client, *four[:3]).status_code == 413


def test_cross_site_sign_in_and_sign_out_are_refused(site):
    with httpx.Client(base_url=site.url, timeout=10) as browser:
        form = {"username": "officer1", "password": PASSWORD}
        evil = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
        assert browser.post("login", data=form, headers=evil).status_code == 403
        assert browser.post("login", data=form).status_code == 200
        assert browser.get("logout", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
        assert browser.get("config").status_code == 200  # still signed in


def test_a_session_cannot_be_replayed_under_another_login(site):
    listed = {f[2].get("api_name"): f for f in functions(site)}
    record_id = site.state.store.add_record(record(case="C-REPLAY"))
    open_index = listed["open_record"][0]
    confirm_index = listed["confirm"][0]
    shared = uuid.uuid4().hex[:12]
    with (
        closing(sign_in(site.url, "expert1")) as first,
        closing(sign_in(site.url, "expert2")) as second,
    ):
        assert call(first, open_index, [str(record_id), "en"], shared)[0] == "ok"
        verdict = [str(record_id), "", "ok", None, "en"]
        assert call(second, confirm_index, verdict, shared) == ("http", 403)
        params = {"session_hash": shared}
        assert second.get("gradio_api/queue/data", params=params).status_code == 403
        assert second.get(f"gradio_api/heartbeat/{shared}").status_code == 403
    assert site.state.store.record(record_id).status == "pending_review"


def test_an_export_is_downloadable_by_its_maker_only(site):
    listed = {f[2].get("api_name"): f for f in functions(site)}
    with (
        closing(sign_in(site.url, "expert1")) as expert,
        closing(sign_in(site.url, "admin1")) as other,
    ):
        outcome, data = call(expert, listed["case_report"][0], ["C-SECRET-QUEUE", "en"])
        assert outcome == "ok", data
        path = data[0][0]["path"]
        assert expert.get(f"gradio_api/file={path}").status_code == 200
        assert other.get(f"gradio_api/file={path}").status_code == 403
        assert other.get(f"gradio_api/file/{path}").status_code == 403
        assert (
            other.get(
                f"gradio_api/file={Path(path).parent}/../{Path(path).parent.name}/{Path(path).name}"
            ).status_code
            == 403
        )
        page = expert.get(f"gradio_api/file={path}").text
        assert "Chain head: event" in page


def test_error_toasts_are_text_without_server_folders(site):
    listed = {f[2].get("api_name"): f for f in functions(site)}
    with closing(sign_in(site.url, "expert1")) as expert:
        outcome, detail = call(
            expert, listed["case_report"][0], ["<img src=x onerror=alert(1)>", "en"]
        )
    assert outcome == "error" and "<img" not in detail and "&lt;img" in detail


def test_a_workshop_zip_bomb_is_refused_and_leaves_nothing(site, tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(3):
            archive.writestr(f"photos/bone/{index}.jpg", b"\0" * (40 * 1024 * 1024))
    assert bomb.stat().st_size < 1024 * 1024
    listed = {f[2].get("api_name"): f for f in functions(site)}
    with closing(sign_in(site.url, "trainer1")) as trainer:
        response = upload(trainer, ("bomb.zip", bomb.read_bytes()))
        assert response.status_code == 200
        handle = {"path": response.json()[0], "meta": {"_type": "gradio.FileData"}}
        outcome, detail = call(trainer, listed["train"][0], [handle, None, "bomb", False, "en"])
    assert outcome == "error" and "unpacks far beyond" in detail
    datasets = site.state.datasets_dir
    assert not datasets.exists() or not any(datasets.iterdir())


def test_sign_in_is_throttled_per_account_and_per_address(tiny_bundle, tmp_path):
    app = serve(
        tiny_bundle,
        tmp_path,
        {"target": "officer", "other": "officer"},
        login_failures=3,
        login_lock_s=2,
    )
    try:
        with httpx.Client(base_url=app.url, timeout=30) as client:

            def attempt(name, password):
                return client.post("login", data={"username": name, "password": password})

            unknown = attempt("nobody", "wrong password")
            wrong = attempt("target", "wrong password")
            assert unknown.status_code == wrong.status_code == 400
            assert unknown.text == wrong.text  # the same answer for unknown names
            attempt("target", "wrong again")
            # third failure: the account and this address are locked; the right password waits
            assert attempt("target", "and again").status_code == 400
            assert attempt("target", PASSWORD).status_code == 400
            assert attempt("other", PASSWORD).status_code == 400  # the address is locked too
            time.sleep(2.2)
            assert attempt("target", PASSWORD).status_code == 200
    finally:
        app.demo.close()


def test_an_account_is_locked_whatever_address_the_guesses_come_from(tmp_path):
    import asyncio

    from wildlens.ui.access import Access
    from wildlens.ui.sessions import CLIENT_ADDRESS, LoginThrottle

    users = UsersFile(tmp_path / "users.json")
    users.add("target", "officer", PASSWORD)
    access = Access(users, throttle=LoginThrottle(failures=3, lock_s=60, delay_s=0.01))

    async def attempt(address, password):
        CLIENT_ADDRESS.set(address)
        return await access.check("target", password)

    async def scenario():
        guesses = [attempt(f"10.0.0.{i}", f"guess {i}") for i in range(3)]
        assert await asyncio.gather(*guesses) == [False] * 3  # parallel, one at a time
        assert not await attempt("10.0.0.99", PASSWORD)  # a fresh address: the account is locked
        return access.throttle.locked_for([("account", "target")])

    assert 50 < asyncio.run(scenario()) <= 60


def test_error_messages_name_no_server_folder():
    from wildlens.ui.errors import for_browser

    assert for_browser("/srv/wildlens/runs/app/datasets/x.zip: the archive is damaged") == (
        "x.zip: the archive is damaged"
    )
    assert for_browser("case C-17/3 at http://host/a/b") == "case C-17/3 at http://host/a/b"


def test_a_refusal_speaks_the_callers_language(site):
    fn_index, _, _ = next(f for f in functions(site) if f[2].get("api_name") == "review_queue")
    with closing(sign_in(site.url, "officer1")) as officer:
        outcome, detail = call(officer, fn_index, ["", "", "zh"])
    assert outcome == "error" and "无权执行此操作" in detail
