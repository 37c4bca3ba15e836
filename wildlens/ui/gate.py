"""The app's gate: what every HTTP request passes before Gradio sees it.

    launch(..., app_kwargs={"middleware": [Middleware(Gate, policy=policy)]})

- Sessions: Gradio's token table becomes `SessionTokens` on the first request, so a removed
  user's, a changed password's or role's, and an idle session's token is refused by every route.
- With accounts, every route under /gradio_api/ needs a live session (a short allow-list for the
  sign-in page aside), also those Gradio leaves open (the heartbeat stream, /cancel, /reset).
- Cross-site requests: a POST, and the sign-out link, from another site (the browser says so in
  `Origin` or `Sec-Fetch-Site`) are refused: no sign-in or sign-out forced from a foreign page.
- Uploads: bytes and files per request, and per account (without accounts: per address) per
  hour, are budgeted while the body streams in (HTTP 413 beyond, nothing kept); each uploaded
  file is its uploader's, and goes when the session ends.
- Pages: a Gradio session id (which keys a page's server-side state) belongs to the first login
  to use it; another login naming it to join the queue, read its results or its heartbeat is
  refused.
- Downloads: a file handed to one login (an export, a report, an upload) is refused to others.
- The address of each sign-in attempt is handed to the login throttle.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.formparsers import MultiPartException

from wildlens.ui.access import Access
from wildlens.ui.rules import Owners, Pages
from wildlens.ui.sessions import CLIENT_ADDRESS, SessionTokens

log = logging.getLogger("wildlens.app")
MB = 1024 * 1024
HOUR_S = 3600.0
PART = b"content-disposition:"  # the first header of each part of a multipart form
MAX_JOIN_BYTES = 4 * MB  # a queue join is a few file references and texts, never this much
# With accounts, every /gradio_api/ route needs a live session except what the sign-in page and
# `launch` need (startup-events: `launch` calls it once itself; it runs nothing a second time).
# Deny by default: Gradio's heartbeat stream, /cancel, /reset and streams, which answer without a
# sign-in of their own, and any route a newer Gradio adds.
OPEN_ROUTES = ("startup-events", "login_check", "app_id", "theme.css")


@dataclass
class Budget:
    """Upload limits (from the app config)."""

    request_bytes: int
    request_files: int
    session_bytes: int
    session_files: int
    window_s: float = HOUR_S


@dataclass
class _Usage:
    spent: deque = field(default_factory=deque)  # (time, bytes, files)

    def totals(self, now: float, window_s: float) -> tuple[int, int]:
        while self.spent and now - self.spent[0][0] > window_s:
            self.spent.popleft()
        return sum(s[1] for s in self.spent), sum(s[2] for s in self.spent)


class Policy:
    """What the gate enforces, shared with the handlers' guard (`rules.guard`)."""

    def __init__(self, access: Access, budget: Budget, idle_s: float, owners: Owners, pages: Pages):
        self.access = access
        self.budget = budget
        self.owners = owners
        self.pages = pages
        self.tokens = SessionTokens(access.stamp, idle_s, on_end=self._ended)
        self.usage: dict[str, _Usage] = {}

    def _ended(self, token: str, session: Any, reason: str) -> None:
        """A session's uploads go with it."""
        for path in session.uploads:
            self.owners.forget(path)
            Path(path).unlink(missing_ok=True)


class Gate:
    def __init__(self, app, policy: Policy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        policy = self.policy
        server_app = scope.get("app")
        if server_app is not None and not isinstance(server_app.tokens, SessionTokens):
            server_app.tokens = policy.tokens  # before anyone signed in: nothing to carry over
        path = scope["path"]
        method = scope["method"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        client = (scope.get("client") or ("", 0))[0]
        if (method == "POST" or path.rstrip("/").endswith("/logout")) and _cross_site(headers):
            log.warning("cross-site %s %s refused (from %s)", method, path, client)
            return await _answer(send, 403, "cross-site request refused")
        login_required = policy.access.login_required
        token = _token(headers, server_app)
        login = policy.tokens.get(token) if login_required and token else None
        route = path.split("/gradio_api/", 1)[1] if "/gradio_api/" in path else None
        signed_out = login_required and login is None
        if signed_out and route is not None and route.rstrip("/") not in OPEN_ROUTES:
            return await _answer(send, 401, "sign in first")
        if login is not None and route is not None:
            page, receive = await _page_of(scope, route, method, receive)
            if page is not None and not policy.pages.claim(page, login):
                log.warning("%s used another login's page %s: refused", login, page)
                return await _answer(send, 403, "This page belongs to another sign-in: reload it.")
        if route is not None and route.startswith(("file=", "file/")):
            wanted = route[len("file=") :]  # decoded already, as Gradio reads it
            if login_required and not policy.owners.allows(wanted, login):
                log.warning("download of another login's file refused: %s", login)
                return await _answer(send, 403, "File not allowed")
        if path.rstrip("/").endswith("/login") and method == "POST":
            reset = CLIENT_ADDRESS.set(client)
            try:
                return await self.app(scope, receive, send)
            finally:
                CLIENT_ADDRESS.reset(reset)
        if route is not None and route.rstrip("/") == "upload" and method == "POST":
            # A budget per account (signing in again starts none afresh), else per address.
            key = f"login:{login}" if login else f"address:{client}"
            return await self._upload(scope, receive, send, headers, key, token, login)
        return await self.app(scope, receive, send)

    async def _upload(self, scope, receive, send, headers, key, token, login: str | None):
        budget, policy = self.policy.budget, self.policy
        usage = policy.usage.setdefault(key, _Usage())
        now = time.monotonic()
        spent_bytes, spent_files = usage.totals(now, budget.window_s)
        allowed = min(budget.request_bytes, budget.session_bytes - spent_bytes)
        declared = int(headers.get("content-length") or 0)
        if spent_files >= budget.session_files or allowed <= 0:
            return await _refuse_upload(send, key, "the hour's upload budget is spent")
        if declared > allowed:
            return await _refuse_upload(send, key, f"over {allowed // MB} MB in one request")
        counted = {"bytes": 0, "parts": 0, "tail": b""}
        files_allowed = min(budget.request_files, budget.session_files - spent_files)

        async def counting_receive():
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                counted["bytes"] += len(chunk)
                # Each part of the form starts with its header: counted as it streams by.
                seen = (counted["tail"] + chunk).lower()
                counted["parts"] += seen.count(PART) - counted["tail"].lower().count(PART)
                counted["tail"] = seen[-len(PART) :]
                if counted["bytes"] > allowed or counted["parts"] > files_allowed:
                    raise _OverBudget(allowed)
            return message

        # The answer (a short list of paths) is held back until the files are counted exactly.
        held: list[dict] = []

        async def holding_send(message):
            held.append(message)

        try:
            await self.app(scope, counting_receive, holding_send)
        except _OverBudget:
            held = []
        status = held[0]["status"] if held else 413
        body = b"".join(m.get("body", b"") for m in held[1:])
        paths = _paths(body) if status == 200 else []
        usage.spent.append((now, counted["bytes"], max(counted["parts"], len(paths))))
        if len(paths) > files_allowed:
            for path in paths:
                Path(path).unlink(missing_ok=True)
            return await _refuse_upload(send, key, f"over {files_allowed} files in one request")
        if not held:
            return await _refuse_upload(send, key, "over the upload budget of one request")
        if status == 413:
            log.warning("upload refused for %s: over the size limit", key)
        for path in paths:
            if login:
                self.policy.owners.add(path, login)
                session = self.policy.tokens.session(token)
                if session is not None:
                    session.uploads.append(path)
        for message in held:
            await send(message)
        return None


async def _page_of(scope, route: str, method: str, receive):
    """The Gradio session id (page) a queue or heartbeat request names, and the `receive` to
    pass on (a queue join's body is read here, then given to Gradio as it came)."""
    route = route.rstrip("/")
    if route.startswith("heartbeat/"):
        return route.split("/", 1)[1], receive
    if route == "queue/data":
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        return (query.get("session_hash") or [None])[0], receive
    if route != "queue/join" or method != "POST":
        return None, receive
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = message.get("more_body", False) and size <= MAX_JOIN_BYTES
    body = b"".join(chunks)
    try:
        page = json.loads(body).get("session_hash") if size <= MAX_JOIN_BYTES else None
    except (ValueError, AttributeError):
        page = None
    sent = False

    async def replay():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return (page if isinstance(page, str) else None), replay


def _paths(body: bytes) -> list[str]:
    try:
        paths = json.loads(body)
    except ValueError:
        return []
    return [p for p in paths if isinstance(p, str)] if isinstance(paths, list) else []


class _OverBudget(MultiPartException):
    """Raised while the body streams in: Gradio's parser then deletes what it wrote and
    answers 413 (its words for a size limit)."""

    def __init__(self, limit: int):
        super().__init__(f"File size exceeded maximum allowed size of {limit} bytes.")


def _token(headers: dict[str, str], server_app: Any) -> str | None:
    cookie_id = getattr(server_app, "cookie_id", None)
    if not cookie_id:
        return None
    cookies = {}
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        cookies[name] = value
    return cookies.get(f"access-token-{cookie_id}") or cookies.get(
        f"access-token-unsecure-{cookie_id}"
    )


def _cross_site(headers: dict[str, str]) -> bool:
    """Whether a browser says this request comes from another site (scripts send neither)."""
    if headers.get("sec-fetch-site", "") in ("cross-site", "same-site"):
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc != headers.get("host", "")


async def _refuse_upload(send, who: str, why: str) -> None:
    log.warning("upload refused for %s: %s", who, why)
    await _answer(send, 413, f"Upload refused: {why}. Send fewer or smaller files.")


async def _answer(send, status: int, message: str) -> None:
    body = message.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
