"""The app's accounts: who may sign in, with which role, kept in one JSON file.

    users = UsersFile(Path("runs/app/users.json"))
    users.add("somchai", "officer", password, full_name="Somchai P.")   # `wildlens user add`
    users.verify("somchai", password)          # the Account, or None
    Account("somchai", "officer").may("save")  # True

Passwords are hashed with Argon2id (argon2-cffi, its default parameters and a salt of its own per
password); the file holds only the hashes and is written atomically with permissions 0600. It is
read again whenever it changes, so an account added or removed while the app runs counts at the
next sign-in (an app started without any account stays without login until it is restarted).

Roles decide what a signed-in person may do (PERMISSIONS): officers identify and save records;
experts review, export labels and make case reports; trainers run the workshop; only a trainer
or an admin changes the model that answers everyone. An admin may do everything. Gradio is not
imported here: the command line reads this module too.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from wildlens.common.files import write_atomically

ROLES = ("officer", "expert", "trainer", "admin")
# What each role may do in the app; an admin may do everything.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "identify": ROLES,
    "save": ("officer", "admin"),
    "batch": ("officer", "expert", "admin"),
    "review": ("expert", "admin"),
    "export": ("expert", "admin"),
    "train": ("trainer", "admin"),
    "switch_model": ("trainer", "admin"),
}
MIN_PASSWORD_LENGTH = 8
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
FILE_FORMAT = "wildlens-users"
FILE_VERSION = 1
_TEXT_LIMIT = 200

_HASHER = PasswordHasher()
# Checked when the name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password anyone has")


class AccountError(ValueError):
    """A users-file request that cannot be done (bad name or role, short password, a name
    that exists, a damaged file); the message says what to do."""


@dataclass(frozen=True)
class Account:
    name: str  # the login
    role: str
    full_name: str = ""

    @property
    def display_name(self) -> str:
        """The name records and verdicts carry: the full name, else the login."""
        return self.full_name or self.name

    def may(self, action: str) -> bool:
        return self.role in PERMISSIONS[action]


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_PATTERN.fullmatch(name):
        raise AccountError(
            f"user name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-' "
            "(starting with a letter or digit)"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password is too short: at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class UsersFile:
    """The users file: {"format", "version", "users": {name: {role, full_name, password, ...}}}."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._cache: tuple[tuple[int, int], dict[str, dict[str, Any]]] | None = None
        self._lock = threading.Lock()

    # -- reading ------------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.is_file()

    def _entries(self) -> dict[str, dict[str, Any]]:
        """Every user's entry, read again when the file has changed since the last read."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return {}
        key = (info.st_mtime_ns, info.st_size)
        with self._lock:
            if self._cache is not None and self._cache[0] == key:
                return self._cache[1]
            entries = self._parse(self.path.read_bytes())
            self._cache = (key, entries)
            return entries

    def _parse(self, data: bytes) -> dict[str, dict[str, Any]]:
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise AccountError(
                f"{self.path} is damaged ({error}); restore it from a backup"
            ) from None
        if (
            not isinstance(document, dict)
            or document.get("format") != FILE_FORMAT
            or not isinstance(document.get("users"), dict)
        ):
            raise AccountError(
                f"{self.path} is not a WildLens users file; give another users_file="
            )
        if document.get("version") != FILE_VERSION:
            raise AccountError(
                f"{self.path}: users file version {document.get('version')}, this WildLens "
                f"reads {FILE_VERSION}"
            )
        return document["users"]

    def accounts(self) -> list[Account]:
        return [
            Account(name, entry["role"], entry.get("full_name", ""))
            for name, entry in sorted(self._entries().items())
        ]

    def get(self, name: str | None) -> Account | None:
        entry = self._entries().get(name or "")
        return Account(name, entry["role"], entry.get("full_name", "")) if entry else None

    def stamp(self, name: str | None) -> tuple[str, str] | None:
        """What a sign-in depends on: (role, the password's hash, new with every change, even
        to the same password); None when the user is gone. A session whose stamp changes ends
        (`wildlens.ui.sessions`)."""
        entry = self._entries().get(name or "")
        return (entry["role"], entry.get("password", "")) if entry else None

    def loose_permissions(self) -> bool:
        """Whether others than the owner may read or write the file (it should be 0600)."""
        try:
            return bool(stat.S_IMODE(self.path.stat().st_mode) & 0o077)
        except FileNotFoundError:
            return False

    def verify(self, name: str, password: str) -> Account | None:
        """The account if `password` is its password, else None (as slow for unknown names)."""
        entry = self._entries().get(name or "")
        try:
            _HASHER.verify(entry["password"] if entry else _DUMMY_HASH, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return self.get(name) if entry else None

    # -- writing ------------------------------------------------------------------------------

    @contextmanager
    def _editing(self) -> Iterator[dict[str, dict[str, Any]]]:
        """The entries to change, under a lock file (two `wildlens user` at once wait for
        each other); written back atomically, permissions 0600, when the block succeeds."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(f".{self.path.name}.lock")
        with os.fdopen(os.open(lock, os.O_CREAT | os.O_RDWR, 0o600), "r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            entries = self._parse(self.path.read_bytes()) if self.path.exists() else {}
            entries = {name: dict(entry) for name, entry in entries.items()}
            yield entries
            document = {"format": FILE_FORMAT, "version": FILE_VERSION, "users": entries}
            data = (
                json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
            ).encode()
            write_atomically(self.path, data)  # a temp file made 0600 by mkstemp, then renamed
            os.chmod(self.path, 0o600)

    def add(
        self,
        name: str,
        role: str | None,
        password: str,
        full_name: str = "",
        change_password: bool = False,
    ) -> Account:
        """Add a user; with `change_password`, give an existing user a new password instead
        (and the role or full name, when given). A new name with `change_password`, or an
        existing one without it, is refused: nothing anyone wrote is replaced by a typo."""
        name = check_name(name)
        check_password(password)
        full_name = " ".join((full_name or "").split())
        if len(full_name) > _TEXT_LIMIT:
            raise AccountError(f"the full name is too long (at most {_TEXT_LIMIT} characters)")
        with self._editing() as entries:
            entry = entries.get(name)
            if entry is None:
                if change_password:
                    raise AccountError(
                        f"there is no user {name} in {self.path}; leave out change_password "
                        "to add one"
                    )
                if not role:
                    raise AccountError(f"give the new user a role: role={'|'.join(ROLES)}")
                entry = {"role": check_role(role), "full_name": full_name, "created": _now()}
                entries[name] = entry
            elif not change_password:
                raise AccountError(
                    f"user {name} exists already in {self.path}; add change_password=true to "
                    "give them a new password"
                )
            else:
                if role:
                    entry["role"] = check_role(role)
                if full_name:
                    entry["full_name"] = full_name
            entry["password"] = _HASHER.hash(password)
            entry["password_changed"] = _now()
            account = Account(name, entry["role"], entry["full_name"])
        return account

    def remove(self, name: str) -> None:
        """Remove a user: they can no longer sign in (their records keep their name)."""
        with self._editing() as entries:
            if name not in entries:
                raise AccountError(f"there is no user {name} in {self.path}")
            del entries[name]
