"""Errors a person at the app can cause (no photo, a bad photo, a missing case number): a toast
in their language, and one line in the server's log, never a traceback."""

from __future__ import annotations

import logging

import gradio as gr

log = logging.getLogger("wildlens.app")


def user_error(message: str) -> gr.Error:
    """The gr.Error to raise for an expected user error; logs it as one line."""
    log.warning("user error: %s", " ".join(str(message).split()))
    return gr.Error(message, print_exception=False)
