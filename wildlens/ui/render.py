"""What the app shows, as text: decisions, reasons, catalogue cards, tables. Pure functions.

Every word comes from `wildlens.ui.i18n.text` in the chosen language; class names from the model's
catalogue snapshot. HTML is built here with every value escaped, and carries the codes
(`data-decision`, `data-reason`) so tests and scripts can read it in any language.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Sequence

from PIL import Image

from wildlens.model.bundle.catalogue import Catalogue, CatalogueEntry
from wildlens.model.bundle.format import Bundle
from wildlens.model.serving.predictor import Prediction
from wildlens.model.trust.routing import AUTO, IDENTIFIED, POOR_IMAGE, UNKNOWN, Policy
from wildlens.review.store import NOT_IN_CATALOGUE
from wildlens.ui.i18n import LANGUAGES, text

# Glyphs every common font has (no emoji font needed on a border-post laptop).
DECISION_ICONS = {"identified": "✔", "review": "⚠", "unknown": "?"}


def shift_html(state: dict | None, language: str) -> str:
    """Under the decision, for the officer: only while the shift guard has paused automatic
    answers, what that means and what to check (no statistics: those are in `shift_details`)."""
    if not state or not state.get("enabled") or not state["fired"]:
        return ""
    return (
        '<div class="wl-shift" data-shift="suspended">'
        + html.escape(text(language, "shift.paused"))
        + "</div>"
    )


def shift_details(state: dict | None, language: str) -> str:
    """The shift guard's statistics over the model's recent answers (every session's), for the
    expert and the trainer (in the folded details)."""
    if not state or not state.get("enabled"):
        return ""
    if not state["fired"]:
        return text(language, "shift.ok", count=state["photos"])
    rates = ", ".join(
        f"{text(language, 'shift.signal.' + name)} {state['means'][name]:.0%} "
        f"({state['calibration_means'][name]:.0%})"
        for name in state["means"]
    )
    return text(language, "shift.suspended", count=state["photos"], rates=rates)


def decision_html(
    prediction: Prediction,
    names: dict[str, str],
    language: str,
    photos: int = 1,
    coverage: float | None = None,
    stopped_by: tuple[int, ...] = (),
) -> str:
    """The decision in large plain words, what it means, its reasons and the shortlist; with
    several photos, which photo (`stopped_by`, 0-based) made the item more careful."""

    def t(key: str, **values) -> str:
        return html.escape(text(language, key, **values))

    decision = prediction.decision
    top = html.escape(names.get(prediction.label, prediction.label))
    lines = [
        f'<div class="wl-decision wl-{decision}" data-decision="{decision}">',
        f'<div class="wl-word">{DECISION_ICONS[decision]} {t("decision." + decision)}</div>',
    ]
    if decision == IDENTIFIED:
        lines.append(
            f'<div class="wl-line">{t("result.identified_as")} <b>{top}</b> · '
            f"{t('result.confidence', value=f'{prediction.confidence:.0%}')}</div>"
        )
    elif decision == UNKNOWN:
        lines.append(f'<div class="wl-line">{t("result.unknown_explained")}</div>')
    else:
        lines.append(
            f'<div class="wl-line">{t("result.most_likely")} <b>{top}</b> · '
            f"{t('result.confidence', value=f'{prediction.confidence:.0%}')}</div>"
        )
    if prediction.reasons:
        lines.append('<ul class="wl-reasons">')
        lines += [
            f'<li data-reason="{html.escape(r)}">{t("reason." + r)}</li>'
            for r in prediction.reasons
        ]
        lines.append("</ul>")
    if stopped_by and photos > 1:
        key = "result.stopped_unknown" if decision == UNKNOWN else "result.stopped_unfamiliar"
        numbers = ", ".join(str(i + 1) for i in stopped_by)
        lines.append(
            f'<div class="wl-line" data-stopped-by="{numbers}">{t(key, photos=numbers)}</div>'
        )
    lines.append(f'<div class="wl-action">{t(action_key(prediction))}</div>')
    # An unknown item has no shortlist to show: any class name next to it would read as an answer.
    if decision != UNKNOWN and (len(prediction.shortlist) > 1 or decision != IDENTIFIED):
        shortlist = ", ".join(html.escape(names.get(c, c)) for c in prediction.shortlist) or "-"
        key = "result.shortlist_coverage" if coverage else "result.shortlist"
        lines.append(
            f'<div class="wl-shortlist">{t(key, coverage=f"{coverage or 0:.0%}")}: '
            f"{shortlist}</div>"
        )
    if photos > 1:
        lines.append(f'<div class="wl-note">{t("result.photos_combined", count=photos)}</div>')
    lines.append("</div>")
    return "\n".join(lines)


def action_key(prediction: Prediction) -> str:
    """What the officer does next: retake a poor photo, save for the expert, or save."""
    if POOR_IMAGE in prediction.reasons:
        return "result.action_retake"
    if prediction.decision == IDENTIFIED:
        return "result.action_identified"
    return "result.action_review"


def confidences(prediction: Prediction, names: dict[str, str]) -> dict[str, float]:
    """Top classes with their calibrated probabilities, by display name (for gr.Label)."""
    return {names.get(c, c): p for c, p in prediction.top_k}


def photo_result(
    prediction: Prediction, names: dict[str, str], language: str, item_unknown: bool = False
) -> str:
    """One photo's answer in a few words: the decision, then the class and its confidence
    (no class for a photo unlike every class, nor for any photo of an item that is)."""
    decision = text(language, "decision." + prediction.decision)
    if prediction.decision == UNKNOWN or item_unknown:
        return decision
    label = names.get(prediction.label, prediction.label)
    return f"{decision} · {label} {prediction.confidence:.0%}"


def photo_caption(
    index: int,
    file_name: str,
    prediction: Prediction,
    names: dict[str, str],
    language: str,
    item_unknown: bool = False,
) -> str:
    result = photo_result(prediction, names, language, item_unknown)
    return f"{index} · {file_name} · {result}"


def photo_headers(language: str) -> list[str]:
    return [text(language, f"photos.{c}") for c in PHOTO_COLUMNS]


def photo_table(
    photos: Sequence[tuple[str, str, Prediction]],
    names: dict[str, str],
    language: str,
    item_unknown: bool = False,
) -> tuple[list[str], list[list]]:
    """Headers and rows of the per-photo results: (file name, sha256, prediction) each."""
    rows = [
        [
            i,
            name,
            photo_result(p, names, language, item_unknown),
            ", ".join(text(language, "reason." + r) for r in p.reasons),
            sha256[:12] + "…",
        ]
        for i, (name, sha256, p) in enumerate(photos, start=1)
    ]
    return photo_headers(language), rows


PHOTO_COLUMNS = ("number", "file", "result", "reasons", "sha256")


def photo_table_html(
    photos: Sequence[tuple[str, str, Prediction]],
    names: dict[str, str],
    language: str,
    item_unknown: bool = False,
) -> str:
    """The per-photo results as an HTML table (escaped): a table on a wide screen, one block per
    photo on a phone (CSS `.wl-photo-table`), file names and hashes never split mid-line by a
    narrow column. Each row carries the photo's full sha256 and decision as data attributes."""
    if not photos:
        return ""
    headers, rows = photo_table(photos, names, language, item_unknown)
    body = []
    for (_, sha256, prediction), row in zip(photos, rows, strict=True):
        cells = [html.escape(str(value)) for value in row]
        cells[1] = f'<span class="wl-name">{cells[1]}</span>'
        cells[4] = f"<code>{cells[4]}</code>"
        body.append(({"sha256": sha256, "decision": prediction.decision}, cells))
    return responsive_table(headers, body, "wl-photo-table")


def responsive_table(
    headers: Sequence[str], rows: Sequence[tuple[dict[str, str], Sequence[str]]], classes: str
) -> str:
    """An HTML table that is a table on a wide screen and one block per row on a phone (CSS
    `.wl-photo-table`: each cell labelled by its header). `rows`: (data attributes, cells already
    in HTML); headers and attribute values are escaped here."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for attributes, cells in rows:
        data = "".join(f' data-{k}="{html.escape(str(v))}"' for k, v in attributes.items())
        body.append(
            f"<tr{data}>"
            + "".join(
                f'<td data-label="{html.escape(h)}">{c}</td>'
                for h, c in zip(headers, cells, strict=True)
            )
            + "</tr>"
        )
    return (
        f'<table class="{classes}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def card_markdown(catalogue: Catalogue, class_id: str, language: str, policy: Policy) -> str:
    """The catalogue card of a class, then short cards of its look-alikes; each says what this
    model (its routing `policy`) does with the class."""
    if class_id not in catalogue:
        return ""
    entry = catalogue[class_id]
    parts = [_card(entry, language, "###", policy)]
    lookalikes = [catalogue[c] for c in entry.lookalikes if c in catalogue]
    if lookalikes:
        parts.append(f"#### {text(language, 'card.lookalikes')}")
        parts += [_card(other, language, "#####", policy) for other in lookalikes]
    return "\n\n".join(parts)


def routing_text(entry: CatalogueEntry, language: str, policy: Policy) -> str:
    """What the model does with a class, as its routing policy says (not the catalogue's wish:
    a class whose target was not shown is never answered automatically, whatever it asked)."""
    if entry.id not in policy.class_ids:
        return text(language, "card.not_in_model")
    rule = policy.rules[policy.class_ids.index(entry.id)]
    if rule.status == AUTO and rule.target_precision is not None:
        return text(language, "card.auto", value=f"{rule.target_precision:.0%}")
    if entry.always_review:
        return text(language, "card.always_review")
    return text(language, "card.expert_only")


def _card(entry: CatalogueEntry, language: str, heading: str, policy: Policy) -> str:
    others = " · ".join(entry.name(lang) for lang in LANGUAGES if lang != language)
    routing = routing_text(entry, language, policy)
    cites = entry.cites_appendix
    cites_text = text(language, "card.cites_none") if cites == "none" else cites
    features_label = text(language, "card.features")
    return "\n".join(
        [
            f"{heading} {_md(entry.name(language))}",
            f"*{_md(others)}*",
            "",
            f"- **{text(language, 'card.taxon')}:** *{_md(entry.taxon)}*",
            f"- **{text(language, 'card.cites')}:** {cites_text}",
            f"- **{text(language, 'card.group')}:** {text(language, 'group.' + entry.group)}",
            f"- **{text(language, 'card.routing')}:** {routing}",
            "",
            f"**{features_label}:** {_md(entry.features) or '-'}",
        ]
    )


def _md(value: str) -> str:
    """Catalogue text is trusted but may hold characters Markdown would read as markup."""
    return html.escape(value).replace("*", "\\*").replace("_", "\\_")


def label_name(label: str, names: dict[str, str], language: str) -> str:
    """A label's display name, including the expert's `not_in_catalogue`."""
    if label == NOT_IN_CATALOGUE:
        return text(language, "label.not_in_catalogue")
    return names.get(label, label)


def unique_for_cache(image: Image.Image) -> Image.Image:
    """`image` with a one-off JPEG comment, so its encoded bytes are unique.

    Gradio names a returned image's cache file by the hash of its bytes and writes it in place;
    two requests showing the same photo at the same moment (two officers, one file) rewrite one
    file while the other's browser reads it, and that download comes back cut short (seen in
    bench/app_load.py: 3 of 505). Unique bytes give each answer a file of its own.
    """
    image.info["comment"] = f"wildlens {uuid.uuid4().hex}".encode()
    return image


def model_line(bundle: Bundle, language: str) -> str:
    demo = f" · **{text(language, 'model.demo')}**" if bundle.is_demo else ""
    return (
        text(
            language,
            "model.line",
            name=bundle.name,
            version=bundle.version,
            sha=bundle.sha256[:16] + "…",
            classes=len(bundle.class_ids),
        )
        + demo
    )
