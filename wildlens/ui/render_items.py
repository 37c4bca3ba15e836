"""What the app shows of a photo of several items, as text: the counts line, one row per item,
the photo's evidence line. Pure functions, every value escaped, codes kept as data attributes
(`data-item`, `data-decision`, `data-box`) so tests and scripts read them in any language.

    summary_line(answer.counts, names, "lo")    # counts per class and decision, in Lao
    rows_html(answer, crops, names, "en", catalogue, policy)
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt

from wildlens.model.bundle.catalogue import Catalogue
from wildlens.model.serving.items import DECISION_COLOURS, ItemsAnswer
from wildlens.model.trust.routing import IDENTIFIED, REVIEW, UNKNOWN, Policy
from wildlens.ui.i18n import text
from wildlens.ui.render import DECISION_ICONS, card_markdown, responsive_table

ROW_COLUMNS = ("number", "item", "result", "top_classes", "reasons")
LEGEND = {  # how each decision's box is drawn (`model.items.draw_items`)
    IDENTIFIED: "items.legend_identified",
    REVIEW: "items.legend_review",
    UNKNOWN: "items.legend_unknown",
}
# Catalogue cards are Markdown (render.card_markdown, values already escaped); raw HTML off.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def summary_line(counts: dict[str, Any], names: dict[str, str], language: str) -> str:
    """Counts per class and decision in `language`: "4 elephant ivory identified, 2 for review,
    1 unknown" (an unknown item names no class)."""
    parts = [
        text(language, "items.identified_part", count=n, name=names.get(c, c))
        for c, n in counts[IDENTIFIED].items()
    ]
    review = sum(counts[REVIEW].values())
    if review:
        parts.append(text(language, "items.review_part", count=review))
    if counts[UNKNOWN]:
        parts.append(text(language, "items.unknown_part", count=counts[UNKNOWN]))
    return text(language, "items.separator").join(parts)


def summary_html(answer: ItemsAnswer, names: dict[str, str], language: str) -> str:
    """The photo's answer: how many items, the counts line, what to do, and how to read boxes."""

    def t(key: str, **values: Any) -> str:
        return html.escape(text(language, key, **values))

    counts = answer.counts
    waiting = counts["items"] - sum(counts[IDENTIFIED].values())
    legend = " · ".join(
        f'<span class="wl-badge" style="background:{DECISION_COLOURS[d]}">'
        f"{DECISION_ICONS[d]}</span> {t(key)}"
        for d, key in LEGEND.items()
    )
    action = "items.action_review" if waiting else "items.action_identified"
    return "\n".join(
        [
            f'<div class="wl-decision wl-items" data-items="{counts["items"]}">',
            f'<div class="wl-word">{t("items.found", count=counts["items"])}</div>',
            f'<div class="wl-line" data-summary="items">'
            f"{html.escape(summary_line(counts, names, language))}</div>",
            f'<div class="wl-action">{t(action, count=waiting)}</div>',
            f'<div class="wl-note wl-legend">{legend}</div>',
            "</div>",
        ]
    )


def row_headers(language: str) -> list[str]:
    return [text(language, f"items.col_{c}") for c in ROW_COLUMNS]


def rows_html(
    answer: ItemsAnswer,
    crops: Sequence[bytes],
    names: dict[str, str],
    language: str,
    catalogue: Catalogue,
    policy: Policy,
) -> str:
    """One row per item: its number (coloured as its box), its crop, its decision, top classes
    and reasons, and its class's catalogue card behind a click (none for an unknown item). A
    table on a wide screen, one block per item on a phone (CSS `.wl-photo-table`)."""
    headers = row_headers(language)
    body = []
    for item, crop in zip(answer.items, crops, strict=True):
        prediction = item.prediction
        decision = prediction.decision
        unknown = decision == UNKNOWN
        image = (
            f'<img class="wl-crop" alt="{item.index}" '
            f'src="data:image/jpeg;base64,{base64.b64encode(crop).decode()}">'
        )
        result = html.escape(f"{DECISION_ICONS[decision]} {text(language, 'decision.' + decision)}")
        if not unknown:
            result += _card_html(catalogue, prediction.label, names, language, policy)
        top = (
            "-"
            if unknown  # an unknown item names no class, nor its probability
            else ", ".join(html.escape(f"{names.get(c, c)} {p:.0%}") for c, p in prediction.top_k)
        )
        reasons = ", ".join(html.escape(text(language, "reason." + r)) for r in prediction.reasons)
        cells = [
            f'<span class="wl-badge" style="background:{DECISION_COLOURS[decision]}">'
            f"{item.index}</span>",
            image,
            result,
            top,
            reasons or "-",
        ]
        box = ",".join(str(v) for v in item.box.as_list())
        body.append(({"item": item.index, "decision": decision, "box": box}, cells))
    return responsive_table(headers, body, "wl-photo-table wl-items-table")


def _card_html(
    catalogue: Catalogue, label: str, names: dict[str, str], language: str, policy: Policy
) -> str:
    """The class's catalogue card, folded (a click opens it): the Identify tab's own card."""
    card = card_markdown(catalogue, label, language, policy)
    if not card:
        return ""
    summary = html.escape(text(language, "items.card", name=names.get(label, label)))
    return (
        f'<details class="wl-card"><summary>{summary}</summary>{_MARKDOWN.render(card)}</details>'
    )


def photo_html(file_name: str, sha256: str, language: str) -> str:
    """The photo all the items are on, with its evidence key."""
    return (
        f'<p class="wl-items-photo" data-sha256="{sha256}">'
        f"{html.escape(text(language, 'items.photo', name=file_name))} "
        f"<code>{sha256}</code></p>"
    )


def overview_caption(file_name: str, count: int, language: str) -> str:
    return text(language, "items.overview", name=file_name, count=count)
