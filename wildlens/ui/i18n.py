"""Every word people read, in English, Chinese and Lao: `text(language, key, **values)`.

    text("zh", "decision.review")               # "需要专家审核"
    text("lo", "identify.saved", id=12)          # with {placeholders} filled in

The table is `wildlens.ui.strings.STRINGS` (key -> {en, zh, lo}); a test checks that every key has
all three languages with the same placeholders, and that every key the code uses exists. Codes
stay codes everywhere they are stored (decisions, reasons, labels): only what is shown is
translated. Catalogue names come from the bundle's catalogue snapshot, not from here.
"""

from __future__ import annotations

from wildlens.ui.strings import STRINGS

LANGUAGES = ("en", "zh", "lo")
# Each language named in itself, so anyone can find their own.
LANGUAGE_NAMES = {"en": "English", "zh": "中文", "lo": "ພາສາລາວ"}


def text(language: str, key: str, **values: object) -> str:
    """The text of `key` in `language` (English if the language is unknown), filled in.

    Where `count` is 1 and the table has `key_one` (English's singular: "1 item waiting"), that
    one is used; Chinese and Lao have no plural forms, so theirs read the same.
    """
    if values.get("count") == 1 and f"{key}_one" in STRINGS:
        key = f"{key}_one"
    entry = STRINGS[key]
    template = entry.get(language) or entry["en"]
    return template.format(**values) if values else template


def language_from_header(accept_language: str | None) -> str | None:
    """The first of our languages in an HTTP Accept-Language header (zh-CN -> zh), or None."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        base = tag.split("-")[0]
        if base in LANGUAGES:
            return base
    return None
