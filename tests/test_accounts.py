"""Accounts: the users file (`wildlens user ...`), roles, and what the app allows each request."""

import io
import json
import os
import stat
from types import SimpleNamespace

import gradio as gr
import pytest

from wildlens.cli import main
from wildlens.common.config_loader import ConfigError
from wildlens.ui import client
from wildlens.ui.access import Access, require
from wildlens.ui.accounts import PERMISSIONS, ROLES, AccountError, UsersFile
from wildlens.ui.app import check_exposure
from wildlens.ui.config import AppConfig

PASSWORD = "correct horse battery"


@pytest.fixture
def users(tmp_path) -> UsersFile:
    return UsersFile(tmp_path / "users.json")


def test_add_and_verify_keeps_only_a_hash_in_a_private_file(users):
    account = users.add("somchai", "officer", PASSWORD, full_name="Somchai  P.")
    assert (account.name, account.role, account.display_name) == (
        "somchai",
        "officer",
        "Somchai P.",
    )
    assert users.verify("somchai", PASSWORD) == account
    assert users.verify("somchai", PASSWORD + "x") is None
    assert users.verify("nobody", PASSWORD) is None
    content = users.path.read_text()
    assert PASSWORD not in content and "$argon2id$" in content
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    assert not users.loose_permissions()


def test_an_existing_name_is_refused_unless_the_password_is_to_change(users):
    users.add("vongsa", "expert", PASSWORD)
    before = users.path.read_bytes()
    with pytest.raises(AccountError, match="exists already"):
        users.add("vongsa", "admin", "another password")
    assert users.path.read_bytes() == before  # nothing written
    users.add("vongsa", None, "another password", change_password=True)
    assert users.verify("vongsa", "another password").role == "expert"  # role kept
    assert users.verify("vongsa", PASSWORD) is None
    with pytest.raises(AccountError, match="no user ghost"):
        users.add("ghost", "officer", PASSWORD, change_password=True)


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("bad/name", "officer", PASSWORD, "user name"),
        ("", "officer", PASSWORD, "user name"),
        ("ok", "boss", PASSWORD, "role 'boss'"),
        ("ok", "officer", "short", "too short"),
        ("ok", None, PASSWORD, "give the new user a role"),
    ],
)
def test_bad_requests_say_what_to_do(users, name, role, password, message):
    with pytest.raises(AccountError, match=message):
        users.add(name, role, password)
    assert not users.exists()


def test_remove_and_a_damaged_file(users):
    users.add("li", "trainer", PASSWORD)
    users.remove("li")
    assert users.accounts() == []
    with pytest.raises(AccountError, match="no user li"):
        users.remove("li")
    users.path.write_text("{not json")
    with pytest.raises(AccountError, match="damaged"):
        users.accounts()
    with pytest.raises(AccountError, match="damaged"):
        users.add("li", "trainer", PASSWORD)
    assert users.path.read_text() == "{not json"  # never overwritten


def test_roles_decide_actions():
    assert set(PERMISSIONS["identify"]) == set(ROLES)
    assert PERMISSIONS["save"] == ("officer", "admin")
    assert PERMISSIONS["review"] == ("expert", "admin")
    assert PERMISSIONS["export"] == ("expert", "admin")
    assert PERMISSIONS["train"] == ("trainer", "admin")
    assert PERMISSIONS["switch_model"] == ("trainer", "admin")
    assert all("admin" in roles for roles in PERMISSIONS.values())


def run_cli(monkeypatch, capsys, args, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["user", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_user_command(tmp_path, monkeypatch, capsys):
    where = f"data_dir={tmp_path}"
    code, out, _ = run_cli(
        monkeypatch,
        capsys,
        ["add", "somchai", "role=officer", "full_name=Somchai P.", "password_stdin=true", where],
        PASSWORD + "\n",
    )
    assert code == 0 and "added somchai (officer)" in out
    assert UsersFile(tmp_path / "users.json").verify("somchai", PASSWORD) is not None

    code, _, err = run_cli(
        monkeypatch,
        capsys,
        ["add", "somchai", "role=officer", "password_stdin=true", where],
        "x" * 9,
    )
    assert code == 2 and err.startswith("error: user somchai exists already")

    code, out, err = run_cli(monkeypatch, capsys, ["add", "li", "password=hunter2hunter2", where])
    assert code == 2 and "never taken from the command line" in err
    assert "hunter2" not in out + err

    code, _, err = run_cli(monkeypatch, capsys, ["add", "li", "role=trainer", where])
    assert code == 2 and "password_env=" in err  # no terminal here: no prompt

    monkeypatch.setenv("WL_TEST_PASSWORD", PASSWORD)
    code, out, _ = run_cli(
        monkeypatch, capsys, ["add", "li", "role=trainer", "password_env=WL_TEST_PASSWORD", where]
    )
    assert code == 0
    code, out, _ = run_cli(monkeypatch, capsys, ["list", where])
    assert code == 0 and out.splitlines() == ["li\ttrainer\t", "somchai\tofficer\tSomchai P."]
    assert PASSWORD not in out and "argon2" not in out

    code, out, _ = run_cli(monkeypatch, capsys, ["remove", "li", where])
    assert code == 0 and json.loads((tmp_path / "users.json").read_text())["users"].keys() == {
        "somchai"
    }


def test_user_command_asks_twice_at_a_terminal(tmp_path, monkeypatch, capsys):
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    monkeypatch.setattr("sys.stdin", SimpleNamespace(isatty=lambda: True))
    code = main(["user", "add", "vongsa", "role=expert", f"data_dir={tmp_path}"])
    assert code == 2 and "differ" in capsys.readouterr().err
    assert not (tmp_path / "users.json").exists()


def test_network_needs_accounts(tmp_path, monkeypatch):
    monkeypatch.delenv("WILDLENS_APP_USER", raising=False)
    monkeypatch.delenv("WILDLENS_APP_PASSWORD", raising=False)
    cfg = AppConfig(host="0.0.0.0", data_dir=str(tmp_path))
    with pytest.raises(ConfigError, match="wildlens user add"):
        check_exposure(cfg, None)
    UsersFile(tmp_path / "users.json").add("somchai", "officer", PASSWORD)
    assert check_exposure(cfg, None).login_required


def access_with_everyone(tmp_path) -> Access:
    users = UsersFile(tmp_path / "users.json")
    for role in ROLES:
        users.add(f"{role}1", role, PASSWORD, full_name=f"{role.title()} One")
    return Access(users)


def request(login):
    return SimpleNamespace(username=login)


def test_each_request_has_the_signed_in_persons_role(tmp_path):
    access = access_with_everyone(tmp_path)
    officer = require(access, request("officer1"), "save", "en")
    assert (officer.account, officer.name, officer.role) == ("officer1", "Officer One", "officer")
    with pytest.raises(gr.Error) as refused:
        require(access, request("officer1"), "switch_model", "lo")
    assert "ຜູ້ຝຶກ" in refused.value.message  # the roles that may, in Lao
    with pytest.raises(gr.Error):
        require(access, request("expert1"), "save", "en")
    assert require(access, request("admin1"), "switch_model", "en").role == "admin"
    with pytest.raises(gr.Error):  # removed since signing in
        require(access, request("ghost"), "identify", "en")


def test_without_accounts_one_person_may_do_everything(tmp_path):
    access = Access(UsersFile(tmp_path / "users.json"))
    assert not access.login_required
    session = require(access, None, "switch_model", "en")
    assert not session.signed_in and session.name == ""


def test_the_environment_login_is_an_admin(tmp_path):
    access = Access(UsersFile(tmp_path / "users.json"), ("boss", "s3cret-phrase"))
    assert access.login_required
    assert access.verify("boss", "s3cret-phrase").role == "admin"
    assert access.verify("boss", "wrong") is None


def test_server_without_a_font_says_which_package_to_install(tmp_path, monkeypatch):
    fake = tmp_path / "fc-list"
    fake.write_text('#!/bin/sh\ncase "$1" in *zh*) exit 0;; *) echo "DejaVu Sans";; esac\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    [warning] = client.missing_fonts()
    assert "no Chinese font" in warning and "fonts-noto-cjk" in warning


def test_every_gradio_word_has_our_three_languages():
    words = client.words()
    assert set(words) >= set(client.GRADIO_WORDS.values())
    script = client.page_script()
    for key, english in (("gradio.drop_file", "Drop File Here"), ("gradio.error", "Error")):
        assert words[key]["en"] == english and words[key]["zh"] in script
        assert words[key]["lo"] in script


def test_sessions_end_on_removal_password_or_role_change_and_idle_time(users):
    from wildlens.ui.sessions import SessionTokens

    now = [0.0]
    ended = []
    users.add("li", "trainer", PASSWORD)
    users.add("kham", "officer", PASSWORD)
    tokens = SessionTokens(
        users.stamp, idle_s=60, on_end=lambda t, s, why: ended.append(why), clock=lambda: now[0]
    )
    for token, login in (("a", "li"), ("b", "li"), ("c", "kham"), ("d", "kham")):
        tokens[token] = login
    assert tokens.get("a") == "li" and tokens.get("unknown") is None
    users.add("li", None, PASSWORD, change_password=True)  # the same password, anew
    assert tokens.get("a") is None and tokens.get("b") is None
    users.add("kham", "expert", PASSWORD + "!", change_password=True)
    assert tokens.get("c") is None
    tokens["e"] = "kham"
    now[0] = 59
    assert tokens.get("e") == "kham"  # each request restarts the idle clock
    now[0] = 110
    assert tokens.get("e") == "kham"
    now[0] = 171
    assert tokens.get("e") is None
    tokens["f"] = "kham"
    users.remove("kham")
    assert tokens.get("f") is None
    del tokens["d"]  # signing out (Gradio's /logout deletes the token)
    assert "d" not in tokens
    assert ended == ["password or role changed"] * 3 + ["idle", "account removed", "signed out"]
