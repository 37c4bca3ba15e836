"""Components whose words follow the language selector.

    labels = Labels("en")
    button = labels.make(gr.Button, {"value": "identify.run"}, variant="primary")
    labels.dynamic(classes, lambda language: {"choices": class_choices(language)})
    table = labels.table(gr.Dataframe(...), lambda language: headers(language))
    updates = labels.pairs(language, table_values)     # [(component, update), ...]

Why not Gradio's `gr.I18n` (checked in Gradio 6.31): its translations are applied in the browser
for the browser's locale or the one picked in Gradio's settings menu, which offers only Gradio's
own 33 languages: Lao is not one, so a Lao officer could never get Lao, and the frontend has no
API an app can call to change the locale. So the language is a control of the app's own: changing
it re-labels every registered component from the one table in `wildlens.ui.strings`, and on page
load it is preset from `?lang=` or the browser's Accept-Language header (server side, in any of
the three languages). Gradio's built-in words (the upload area's "Drop File Here", "Error") are
translated in the browser by `wildlens.ui.client`.

Tables: an empty gr.Dataframe shows "1 2 3" as headers, so every table starts as an empty frame
with its headers in the page's language, and a table that is still empty gets them again in the
new language (a table with results is re-rendered by its tab).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import gradio as gr
import pandas as pd

from wildlens.ui.i18n import text

Props = dict[str, str]  # component property (label, value, info, placeholder) -> string key
Columns = Callable[[str], list[str]]  # language -> a table's headers


def empty_table(headers: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame([], columns=list(headers))


class Labels:
    def __init__(self, language: str):
        self.language = language
        self._static: list[tuple[Any, Props]] = []
        self._dynamic: list[tuple[Any, Callable[[str], dict[str, Any]]]] = []
        self._tables: list[tuple[Any, Columns]] = []

    def make(self, cls: type, props: Props, /, **kwargs: Any) -> Any:
        """Create `cls(**kwargs)` with its `props` in the current language, and remember them."""
        component = cls(**{p: text(self.language, k) for p, k in props.items()}, **kwargs)
        self._static.append((component, props))
        return component

    def dynamic(self, component: Any, update: Callable[[str], dict[str, Any]]) -> Any:
        """Re-label `component` with `update(language)` (choices, headers, ...)."""
        self._dynamic.append((component, update))
        return component

    def table(self, component: Any, columns: Columns) -> Any:
        """A gr.Dataframe whose headers, while it is empty, follow the language."""
        self._tables.append((component, columns))
        return component

    def dataframe(self, label: str, columns: Columns, **kwargs: Any) -> Any:
        """A read-only gr.Dataframe labelled `label`, empty with `columns` headers, registered
        so its label and (while empty) its headers follow the language."""
        component = self.make(
            gr.Dataframe,
            {"label": label},
            value=empty_table(columns(self.language)),
            interactive=False,
            **kwargs,
        )
        return self.table(component, columns)

    def photos(self, label: str, **kwargs: Any) -> Any:
        """A gr.Gallery labelled `label` that shows each photo whole, its caption whole (CSS
        `.wl-photos`: no fixed height, no square crops), two to a row."""
        return self.make(
            gr.Gallery,
            {"label": label},
            columns=2,
            height="auto",
            object_fit="contain",
            format="jpeg",
            elem_classes=["wl-photos"],
            **kwargs,
        )

    @property
    def components(self) -> list[Any]:
        return [c for c, _ in self._static] + [c for c, _ in self._dynamic]

    @property
    def tables(self) -> list[Any]:
        return [c for c, _ in self._tables]

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

    def pairs(self, language: str, table_values: Sequence[Any]) -> list[tuple[Any, dict]]:
        """(component, update) of every registered component, and of every empty table (its
        current value in `table_values`, in `tables` order)."""
        pairs = list(zip(self.components, self.updates(language), strict=True))
        for (component, columns), value in zip(self._tables, table_values, strict=True):
            if value is None or len(value) == 0:
                pairs.append((component, gr.update(value=empty_table(columns(language)))))
        return pairs


def merge(outputs: Sequence[Any], pairs: Iterable[tuple[Any, Any]]) -> list[Any]:
    """One update per component of `outputs` from (component, update or value) pairs: several
    updates of one component are merged (later ones win), a component without any is kept."""
    merged: dict[int, dict[str, Any]] = {}
    for component, update in pairs:
        if not (isinstance(update, dict) and update.get("__type__") == "update"):
            update = {"value": update}  # a plain value (DataFrame, string, None)
        merged.setdefault(id(component), {}).update(
            {k: v for k, v in update.items() if k != "__type__"}
        )
    return [gr.update(**merged.get(id(c), {})) for c in outputs]


def unique(components: Iterable[Any]) -> list[Any]:
    seen, out = set(), []
    for component in components:
        if id(component) not in seen:
            seen.add(id(component))
            out.append(component)
    return out
