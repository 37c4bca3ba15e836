"""Sign-ins that end, and sign-in attempts that slow down: the app's session table and throttle.

    tokens = SessionTokens(access.stamp, idle_s=12 * 3600, on_end=forget_uploads)
    app.tokens = tokens        # Gradio's own token -> login map; every route reads it via .get
    throttle = LoginThrottle(failures=5, lock_s=60)

Gradio keeps one dict from each sign-in's cookie token to its login, and every route that needs a
sign-in (pages, config, uploads, downloads, the queue) looks the token up with `.get`. Replacing
that dict with `SessionTokens` makes the lookup itself refuse a token whose account was removed,
whose password or role changed after it signed in, or that was idle too long: the session ends
there, for every route at once. Sign-out deletes the token (Gradio's own route).

`LoginThrottle` counts wrong passwords per account and per address. Attempts on one account (or
from one address) are checked one at a time, each failure costs a delay, and after `failures`
in a row the account or address is locked for `lock_s` seconds, doubling with each further
failure up to an hour. While locked, even the right password is refused, with the same answer as
a wrong one (Gradio's "Incorrect credentials."), so a locked account tells an attacker nothing.
Gradio is not imported here.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("wildlens.app")

# The address a sign-in attempt comes from, set by the app's gate for Gradio's login route
# (Gradio's auth callable is given only the name and password).
CLIENT_ADDRESS: contextvars.ContextVar[str] = contextvars.ContextVar("client_address", default="")


@dataclass
class _Session:
    login: str
    stamp: Any  # the account's (role, password hash) when it signed in
    last_seen: float
    uploads: list[str] = field(default_factory=list)


class SessionTokens(dict):
    """Gradio's token -> login dict, whose `get` ends sessions that should no longer be."""

    def __init__(
        self,
        stamp: Callable[[str], Any],
        idle_s: float,
        on_end: Callable[[str, _Session, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__()
        self._stamp = stamp  # login -> the account's current stamp, None when it is gone
        self.idle_s = idle_s
        self._on_end = on_end
        self._clock = clock
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def __setitem__(self, token: str, login: str) -> None:  # Gradio's login route
        with self._lock:
            super().__setitem__(token, login)
            self._sessions[token] = _Session(login, self._stamp(login), self._clock())
        log.info("signed in: %s", login)

    def __delitem__(self, token: str) -> None:  # Gradio's logout route
        self.end(token, "signed out")

    def get(self, token: Any, default: Any = None) -> Any:
        """The login of a live session (and its idle clock restarts); else `default`."""
        if not isinstance(token, str):
            return default
        with self._lock:
            session = self._sessions.get(token)
        if session is None:
            return default
        reason = self._why_ended(session)
        if reason:
            self.end(token, reason)
            return default
        session.last_seen = self._clock()
        return session.login

    def session(self, token: str | None) -> _Session | None:
        return self._sessions.get(token or "") if self.get(token) is not None else None

    def _why_ended(self, session: _Session) -> str:
        if self._clock() - session.last_seen > self.idle_s:
            return "idle"
        stamp = self._stamp(session.login)
        if stamp is None:
            return "account removed"
        if stamp != session.stamp:
            return "password or role changed"
        return ""

    def end(self, token: str, reason: str) -> None:
        with self._lock:
            session = self._sessions.pop(token, None)
            super().pop(token, None)
        if session is not None:
            log.warning("session of %s ended: %s", session.login, reason)
            if self._on_end is not None:
                self._on_end(token, session, reason)

    def end_all(self, reason: str = "stale") -> None:
        """Check every session now (ended ones go; their uploads with them)."""
        for token in list(self._sessions):
            self.get(token)


class LoginThrottle:
    """Failed sign-ins per key (("account", name), ("address", ip)): delays and locks."""

    def __init__(
        self,
        failures: int = 5,
        lock_s: float = 60,
        max_lock_s: float = 3600,
        delay_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.failures = max(1, failures)
        self.lock_s = lock_s
        self.max_lock_s = max_lock_s
        self.delay_s = delay_s
        self._clock = clock
        self._failed: dict[Hashable, int] = {}
        self._until: dict[Hashable, float] = {}
        self._locks: dict[Hashable, asyncio.Lock] = {}

    @asynccontextmanager
    async def one_at_a_time(self, keys: Iterable[Hashable]):
        """Attempts sharing a key wait for each other (parallel guesses gain nothing)."""
        async with AsyncExitStack() as stack:
            for key in sorted(keys, key=repr):  # one order: no deadlock
                await stack.enter_async_context(self._locks.setdefault(key, asyncio.Lock()))
            yield

    def locked_for(self, keys: Iterable[Hashable]) -> float:
        """Seconds until every key may try again (0: none is locked)."""
        now = self._clock()
        return max((self._until.get(k, 0.0) - now for k in keys), default=0.0)

    def failed(self, keys: Iterable[Hashable]) -> None:
        for key in keys:
            count = self._failed.get(key, 0) + 1
            self._failed[key] = count
            if count >= self.failures:
                lock = min(self.lock_s * 2 ** (count - self.failures), self.max_lock_s)
                self._until[key] = self._clock() + lock
                log.warning("sign-in locked for %.0f s: %s (%d failures)", lock, key, count)

    def succeeded(self, keys: Iterable[Hashable]) -> None:
        for key in keys:
            self._failed.pop(key, None)
            self._until.pop(key, None)
