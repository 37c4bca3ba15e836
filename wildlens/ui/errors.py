"""Errors a person at the app can cause (no photo, a bad photo, a missing case number): a toast
in their language that stays until they close it, and one line in the server's log, never a
traceback."""

from __future__ import annotations

import logging

import gradio as gr

log = logging.getLogger("wildlens.app")


def user_error(message: str) -> gr.Error:
    """The gr.Error to raise for an expected user error; logs it as one line.

    Its toast stays until the person closes it (no `duration`): a reason that fades after ten
    seconds is gone before someone who looked away has read it."""
    log.warning("user error: %s", " ".join(str(message).split()))
    return gr.Error(message, duration=None, print_exception=False)
