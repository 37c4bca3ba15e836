"""The web app (Gradio): Identify for officers, Review for experts, Batch, and Workshop for
trainers, in English, Chinese and Lao.

    state = AppState(cfg, Predictor.from_bundle(path), path)
    launch(build_app(state), cfg)

One module per tab (`identify`, `review_tab`, `batch_tab`, `workshop_tab`), the shared state
(`state`: active model, review store), words and labels (`labels`, `render`; the table is
`wildlens.ui.strings`), and the app with its hardened launch (`app`).
"""

from typing import Any

__all__ = ["AppState", "build_app", "launch"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: `wildlens.ui.config` (read by the command line) must not pull in
    # Gradio, which takes seconds to import.
    if name in ("build_app", "launch"):
        from wildlens.ui import app

        return getattr(app, name)
    if name == "AppState":
        from wildlens.ui.state import AppState

        return AppState
    raise AttributeError(f"module 'wildlens.ui' has no attribute {name!r}")
