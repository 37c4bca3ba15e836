"""Components whose words follow the language selector.

    labels = Labels("en")
    button = labels.make(gr.Button, {"value": "identify.run"}, variant="primary")
    labels.dynamic(classes, lambda language: {"choices": class_choices(language)})
    language.change(labels.updates, language, labels.components)

Why not Gradio's `gr.I18n` (checked in Gradio 6.31): its translations are applied in the browser
for the browser's locale or the one picked in Gradio's settings menu, which offers only Gradio's
own 33 languages: Lao is not one, so a Lao officer could never get Lao, and the frontend has no
API an app can call to change the locale. So the language is a control of the app's own: changing
it re-labels every registered component from the one table in `wildlens.ui.strings`, and on page
load it is preset from `?lang=` or the browser's Accept-Language header (server side, in any of
the three languages). Gradio's built-in words (e.g. the upload area's "Drop File Here") still
follow the browser's locale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from wildlens.ui.i18n import text

Props = dict[str, str]  # component property (label, value, info, placeholder) -> string key


class Labels:
    def __init__(self, language: str):
        self.language = language
        self._static: list[tuple[Any, Props]] = []
        self._dynamic: list[tuple[Any, Callable[[str], dict[str, Any]]]] = []

    def make(self, cls: type, props: Props, /, **kwargs: Any) -> Any:
        """Create `cls(**kwargs)` with its `props` in the current language, and remember them."""
        component = cls(**{p: text(self.language, k) for p, k in props.items()}, **kwargs)
        self._static.append((component, props))
        return component

    def dynamic(self, component: Any, update: Callable[[str], dict[str, Any]]) -> Any:
        """Re-label `component` with `update(language)` (choices, headers, ...)."""
        self._dynamic.append((component, update))
        return component

    @property
    def components(self) -> list[Any]:
        return [c for c, _ in self._static] + [c for c, _ in self._dynamic]

    @property
    def keys(self) -> set[str]:
        return {key for _, props in self._static for key in props.values()}

    def updates(self, language: str) -> list[Any]:
        """One `gr.update` per registered component, in `components` order."""
        static = [
            gr.update(**{p: text(language, k) for p, k in props.items()})
            for _, props in self._static
        ]
        return static + [gr.update(**update(language)) for _, update in self._dynamic]
