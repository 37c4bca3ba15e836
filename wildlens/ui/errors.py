"""Errors a person at the app can cause (no photo, a bad photo, a missing case number): a toast
in their language that stays until they close it, and one line in the server's log, never a
traceback.

What the browser gets is text, never markup (a typed case id `<img onerror=...>` shows as typed:
Gradio's toast renders HTML), and names no folder of the server: a path such as
`/srv/wildlens/runs/app/datasets/x.zip` shows as `x.zip`; the log keeps the whole message.
"""

from __future__ import annotations

import html
import logging
import re

import gradio as gr

from wildlens.ui.i18n import text

log = logging.getLogger("wildlens.app")
# An absolute path of two or more parts: its folders are dropped, its last part kept.
_SERVER_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/:'\"<>]+/)+([^\s/:'\"<>]*)")


def user_error(message: str) -> gr.Error:
    """The gr.Error to raise for an expected user error; logs it as one line.

    Its toast stays until the person closes it (no `duration`): a reason that fades after ten
    seconds is gone before someone who looked away has read it."""
    log.warning("user error: %s", " ".join(str(message).split()))
    return gr.Error(for_browser(str(message)), duration=None, print_exception=False)


def for_browser(message: str) -> str:
    """`message` without server folders, escaped so the toast shows it as text."""
    return html.escape(_SERVER_PATH.sub(r"\1", message), quote=False)


def photo_error(language: str, index: int, name: str, code: str) -> gr.Error:
    """A photo the decoder or the eval transform refused: which one, and why (its code)."""
    reason = text(language, "image_error." + code)
    return user_error(
        text(language, "error.photo_unusable", n=index, name=name, reason=reason, code=code)
    )
