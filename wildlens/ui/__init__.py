"""The web app (Gradio): Identify for officers, Review for experts, Batch, and Workshop for
trainers, in English, Chinese and Lao.

    state = AppState(cfg, Predictor.from_bundle(path), path)
    launch(build_app(state), cfg)

One module per tab (`identify`, `review_tab`, `batch_tab`, `workshop_tab`), the shared state
(`state`: active model, review store), words and labels (`labels`, `render`; the table is
`wildlens.strings`), and the app with its hardened launch (`app`).
"""

from wildlens.ui.app import build_app, launch
from wildlens.ui.state import AppState

__all__ = ["AppState", "build_app", "launch"]
