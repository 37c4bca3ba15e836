"""Deny by default: the one table of who may call each function the app registers with Gradio.

    guard(demo, access, owners, pages, (language, radio), downloads)   # in build_app

Every backend function of every event (public API endpoints and the page's private ones alike:
Gradio lets any signed-in client call any of them by number) is listed in RULES by its module and
name, with the action whose roles may call it (`accounts.PERMISSIONS`; "any" = every signed-in
role) and what it may return. `guard` wraps each function so the rule is checked before it runs:
a caller whose role the rule leaves out gets the translated "not allowed" error; a function with
no rule is refused to everyone (and `tests/test_security_http.py` fails until it has one). The
handlers keep their own checks; this table is the one place to read the whole policy.

Two more checks live here because they need the request: a page's state belongs to the login
that made it (its Gradio session id replayed under another login is refused; the gate refuses it
earlier too), and files a handler hands to the browser are recorded as that login's, so no other
login can download them.
"""

from __future__ import annotations

import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from wildlens.ui.access import Access
from wildlens.ui.accounts import PERMISSIONS, ROLES
from wildlens.ui.errors import user_error
from wildlens.ui.i18n import LANGUAGES, text

ANY = "any"  # every signed-in role
MAX_PAGE_SESSIONS = 100_000  # pages (Gradio session ids) remembered with their login


@dataclass(frozen=True)
class Rule:
    action: str  # a key of PERMISSIONS, or ANY
    returns: str  # what the function may send back (for people reading the policy)

    @property
    def roles(self) -> tuple[str, ...]:
        return ROLES if self.action == ANY else PERMISSIONS[self.action]


# "module (under wildlens.ui):function name" -> Rule
RULES: dict[str, Rule] = {
    # app.py: the page itself
    "app:on_load": Rule(ANY, "the caller's tabs and name; the queue only to review roles"),
    "app:on_language": Rule(
        ANY, "the page's words; the queue and open record only to review roles"
    ),
    "app:on_session_line": Rule(ANY, "the caller's own name and role"),
    # identify_tab
    "identify:on_identify": Rule(
        "identify", "the decision on the caller's own photos (or each item of their photo)"
    ),
    "identify:on_answered": Rule(ANY, "visibility of two of the caller's components"),
    "identify:on_save": Rule("save", "the caller's new record numbers"),
    "identify:on_saved": Rule(ANY, "button states"),
    "identify:on_new_item": Rule(ANY, "empty components"),
    "identify:on_photos_changed": Rule(ANY, "empty components"),
    "identify:on_items_switch": Rule(ANY, "the heat map switch's visibility; empty components"),
    # review_tab
    "review_tab:on_refresh": Rule("review", "the review queue"),
    "review_tab:on_note": Rule("review", "the count of the queue it is given"),
    "review_tab:on_open": Rule("review", "a record, its photos and history"),
    "review_tab:on_select": Rule("review", "the record number clicked"),
    "review_tab:on_check_confirm": Rule("review", "nothing, or why a verdict is refused"),
    "review_tab:on_check_correct": Rule("review", "nothing, or why a verdict is refused"),
    "review_tab:on_confirm": Rule("review", "the verdict and the record"),
    "review_tab:on_correct": Rule("review", "the verdict and the record"),
    "review_tab:on_verdict_recorded": Rule("review", "empty components"),
    "review_tab:on_export": Rule("export", "the export, downloadable by the caller only"),
    "review_tab:on_report": Rule("export", "the case report, downloadable by the caller only"),
    # batch_tab
    "batch_tab:on_run": Rule("batch", "the batch CSV and summary, downloadable by the caller"),
    # workshop_tab
    "workshop_tab:on_train": Rule("train", "the new model's scores and mistakes"),
    "workshop_tab:on_switch": Rule("switch_model", "the active model's name"),
    "workshop_tab:on_refresh": Rule("train", "the names of the workshop datasets"),
}


def rule_key(fn: Callable) -> str:
    """The RULES key of a handler: its module under wildlens.ui and its name."""
    module = getattr(fn, "__module__", "") or ""
    return f"{module.removeprefix('wildlens.ui.')}:{getattr(fn, '__name__', '?')}"


class Owners:
    """Which logins each file handed out belongs to (uploads and downloads; two logins handed
    the same content get the same cached path, and both may fetch it)."""

    PRUNE_EVERY = 1000  # adds; files the cache cleanup removed are forgotten then

    def __init__(self):
        self._owners: dict[str, set[str]] = {}
        self._added = 0
        self._lock = threading.Lock()

    def add(self, path: str | Path, login: str) -> None:
        with self._lock:
            self._owners.setdefault(str(Path(path).resolve()), set()).add(login)
            self._added += 1
            if self._added % self.PRUNE_EVERY == 0:
                for known in [p for p in self._owners if not Path(p).exists()]:
                    del self._owners[known]

    def allows(self, path: str | Path, login: str | None) -> bool:
        """Whether `login` may fetch `path` (a file nobody was handed: any signed-in login)."""
        owners = self._owners.get(str(Path(path).resolve()))
        return owners is None or login in owners

    def forget(self, path: str | Path) -> None:
        with self._lock:
            self._owners.pop(str(Path(path).resolve()), None)


class Pages:
    """Which login each page (Gradio session id, which keys its server-side state) belongs to:
    the first login to use it. Bounded: the longest unused pages are forgotten."""

    def __init__(self, limit: int = MAX_PAGE_SESSIONS):
        self._login: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self.limit = limit

    def claim(self, page: str, login: str) -> bool:
        """Whether `page` is `login`'s (it is, from now on, when nobody used it before)."""
        with self._lock:
            owner = self._login.setdefault(page, login)
            self._login.move_to_end(page)
            while len(self._login) > self.limit:
                self._login.popitem(last=False)
        return owner == login


@dataclass(frozen=True)
class _Context:
    access: Access
    pages: Pages
    owners: Owners
    language: str  # the app's: for a refusal when the call names no language
    downloads: Path
    demo: gr.Blocks


def guard(
    demo: gr.Blocks,
    access: Access,
    owners: Owners,
    pages: Pages,
    language: tuple[str, Any],
    downloads: Path,
) -> None:
    """Wrap every backend function of `demo` with its rule (a function without one: refused).

    `language`: the app's language and the page's language control, whose value (when a
    function takes it) says the refusal in the caller's language."""
    context = _Context(access, pages, owners, language[0], Path(downloads), demo)
    for block_fn in demo.fns.values():
        if block_fn.fn is None or getattr(block_fn.fn, "__wildlens_rule__", None):
            continue
        rule = RULES.get(rule_key(block_fn.fn))
        chosen = next((i for i, c in enumerate(block_fn.inputs) if c is language[1]), None)
        block_fn.fn = _guarded(block_fn.fn, rule, context, chosen)


def _guarded(fn: Callable, rule: Rule | None, context: _Context, language_input) -> Callable:
    if inspect.iscoroutinefunction(fn) or inspect.isgeneratorfunction(fn):
        raise TypeError(f"{rule_key(fn)}: guard wraps plain functions only")
    signature = inspect.signature(fn)
    hints = gr.utils.get_type_hints(fn)
    request_param = inspect.Parameter(
        "_wildlens_request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request
    )
    # The parameters fed by the event's inputs, in order (Gradio fills in the others).
    fed = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        and not gr.utils.is_special_typed_parameter(p.name, hints)
        and not isinstance(p.default, gr.Progress)
    ]
    chosen_at = language_input if language_input is not None and language_input < len(fed) else None
    language_param = fed[chosen_at] if chosen_at is not None else None

    def checked(request: gr.Request, *args: Any, **kwargs: Any) -> Any:
        session = context.access.session(request)
        language = context.language
        if language_param:
            chosen = signature.bind_partial(*args, **kwargs).arguments.get(language_param)
            language = chosen if chosen in LANGUAGES else language
        if rule is None or not (session.role in rule.roles or not session.signed_in):
            roles = ", ".join(text(language, "role." + r) for r in (rule.roles if rule else ()))
            role = text(language, "role." + session.role) if session.role else "-"
            raise user_error(
                text(language, "error.not_allowed", name=session.name, role=role, roles=roles)
            )
        if session.signed_in:
            page = getattr(request, "session_hash", None) or ""
            if not context.pages.claim(page, session.account):
                raise user_error(text(language, "error.other_session"))
        result = fn(*args, **kwargs)
        if session.signed_in:
            _own_files(result, session.account, context)
        return result

    checked.__name__ = fn.__name__
    checked.__qualname__ = fn.__qualname__
    checked.__module__ = fn.__module__
    checked.__doc__ = fn.__doc__
    checked.__signature__ = signature.replace(
        parameters=[request_param, *signature.parameters.values()]
    )
    checked.__annotations__ = {"_wildlens_request": gr.Request, **hints}
    checked.__wildlens_rule__ = rule or Rule("", "nothing: no rule")
    return checked


def _own_files(value: Any, login: str, context: _Context) -> None:
    """Record the files under the downloads folder that `value` hands out as `login`'s, at the
    path Gradio will serve them from (its cache: a folder named by the file's hash)."""
    from gradio.processing_utils import save_file_to_cache

    if isinstance(value, str):
        path = Path(value)
        if path.is_absolute() and path.is_relative_to(context.downloads) and path.is_file():
            context.owners.add(save_file_to_cache(path, context.demo.GRADIO_CACHE), login)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _own_files(item, login, context)
    elif isinstance(value, dict):
        for item in value.values():
            _own_files(item, login, context)
