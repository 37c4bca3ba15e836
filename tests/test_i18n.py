"""Every word of the app and its reports exists in English, Chinese and Lao."""

import ast
import re
import string
from pathlib import Path

import pytest

from wildlens.data.images import ERROR_CODES
from wildlens.model.bundle.catalogue import GROUPS
from wildlens.model.trust.routing import DECISIONS, REASONS, STATUS_REASONS
from wildlens.model.trust.shift import SIGNALS
from wildlens.ui import client, render, render_items, review_tab, workshop_tab
from wildlens.ui.accounts import ROLES
from wildlens.ui.i18n import LANGUAGES, language_from_header, text
from wildlens.ui.strings import STRINGS

ROOT = Path(__file__).resolve().parent.parent
CODE = sorted((ROOT / "wildlens" / "ui").glob("*.py")) + sorted((ROOT / "review").glob("*.py"))
AREAS = {key.split(".")[0] for key in STRINGS}
CJK = re.compile(r"[\u4e00-\u9fff]")
LAO = re.compile(r"[\u0e80-\u0eff]")

# Keys built from codes at run time: every code must have its words.
DYNAMIC = (
    {f"decision.{d}" for d in DECISIONS}
    | {f"reason.{r}" for r in REASONS}
    | {f"reason_detail.{r}" for r in REASONS}
    | {f"reason_short.{r}" for r in REASONS}
    | {f"image_error.{c}" for c in (*ERROR_CODES, "unprocessable")}
    | {f"status.{s}" for s in ("identified", "pending_review", "confirmed", "corrected")}
    | {f"action.{a}" for a in ("created", "confirmed", "corrected")}
    | {f"group.{g}" for g in GROUPS}
    | {f"routing.{s}" for s in ("auto", "always_review", *STATUS_REASONS)}
    | {f"shift.signal.{s}" for s in SIGNALS}
    | {f"photos.{c}" for c in render.PHOTO_COLUMNS}
    | {f"items.col_{c}" for c in render_items.ROW_COLUMNS}
    | {f"queue.{c}" for c in review_tab.QUEUE_COLUMNS}
    | {f"history.{c}" for c in review_tab.HISTORY_COLUMNS}
    | {f"workshop.col_{c}" for c in workshop_tab.PER_CLASS_COLUMNS}
    | {f"workshop.col_{c}" for c in workshop_tab.MISTAKE_COLUMNS}
    | {f"role.{r}" for r in ROLES}
    | {f"language.{lang}" for lang in client.FONT_PROBES}
    # English's singular, picked by `text` when count is 1
    | {key for key in STRINGS if key.endswith("_one") and key.removesuffix("_one") in STRINGS}
)


def literal_keys() -> set[str]:
    """String constants in the UI and review code that look like keys of the table."""
    found = set()
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value
                # No digits or trailing "_": review.sqlite3 or an f-string's "queue." is no key.
                if re.fullmatch(r"[a-z]+\.[a-z_]*[a-z]", value) and value.split(".")[0] in AREAS:
                    found.add(value)
    return found


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_has_every_language_with_the_same_placeholders():
    problems = []
    for key, entry in STRINGS.items():
        if set(entry) != set(LANGUAGES):
            problems.append(f"{key}: languages {sorted(entry)}")
            continue
        for language in LANGUAGES:
            if not entry[language].strip():
                problems.append(f"{key}: empty in {language}")
            elif placeholders(entry[language]) != placeholders(entry["en"]):
                problems.append(f"{key}: other placeholders in {language}")
    assert not problems, "\n".join(problems)


# What may stay the same in every language: placeholders, code, names of formats and files.
UNTRANSLATED = re.compile(
    r"\{[a-z_]+\}|`[^`]*`|\b(?:CITES|CSV|HTML|JPEG|PNG|WebP|TIFF|BMP|GIF|HEIC|UTC|zip)\b"
    r"|\b[a-z]+_[a-z_]+\b|README\.txt|infer\.py|macro-F1|sha256"
)


def test_chinese_and_lao_are_translations_not_copies():
    copies = []
    for key, entry in STRINGS.items():
        if len(re.findall(r"[A-Za-z]", UNTRANSLATED.sub("", entry["en"]))) < 3:
            continue  # "#", "sha256", ...: the same in every language
        if not CJK.search(entry["zh"]):
            copies.append(f"{key}: no Chinese")
        if not LAO.search(entry["lo"]):
            copies.append(f"{key}: no Lao")
    assert not copies, "\n".join(copies)


def test_every_key_the_code_uses_exists():
    missing = sorted((literal_keys() | DYNAMIC) - set(STRINGS))
    assert not missing, f"keys used in code but missing from wildlens/strings.py: {missing}"


def test_every_key_in_the_table_is_used():
    unused = sorted(set(STRINGS) - literal_keys() - DYNAMIC)
    assert not unused, f"keys in wildlens/strings.py that no code uses: {unused}"


@pytest.mark.parametrize(
    ("key", "values", "english"),
    [
        ("review.waiting", {}, "1 item waiting."),
        ("report.record_count", {}, "1 record"),
        ("batch.done", {}, "1 file classified"),
        ("review.report_ready", {"folder": "f"}, "Report of 1 record ready"),
        ("shift.ok", {}, "the model's 1 answer so far looks like"),
    ],
)
def test_one_reads_as_one(key, values, english):
    """Issue 26: "The last 1 answers", "1 items waiting"."""
    assert english in text("en", key, count=1, **values)
    assert text("en", key, count=2, **values) != text("en", key, count=1, **values)
    for language in ("zh", "lo"):  # no plural forms: the same words for 1 and for 2
        one = text(language, key, count=1, **values)
        assert one == text(language, key, count=2, **values).replace("2", "1")


def test_every_one_form_has_its_plural_and_a_count():
    for key in STRINGS:
        if key.endswith("_one"):
            assert key.removesuffix("_one") in STRINGS, key
            assert "{count}" in STRINGS[key]["en"], key


def test_text_fills_placeholders_and_falls_back_to_english():
    assert text("lo", "error.no_record", id=7) == "ບໍ່ມີລາຍການ #7."
    assert text("fr", "decision.review") == "Needs expert review"
    with pytest.raises(KeyError):
        text("en", "no.such_key")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("lo-LA,lo;q=0.9", "lo"),
        ("fr-FR,en-GB;q=0.8", "en"),
        ("de-DE", None),
        (None, None),
    ],
)
def test_language_from_the_browser(header, language):
    assert language_from_header(header) == language


@pytest.mark.slow
def test_the_built_app_relabels_every_component_in_every_language(tiny_bundle, tmp_path):
    from wildlens.model.serving.predictor import Predictor
    from wildlens.ui import AppState
    from wildlens.ui.config import AppConfig
    from wildlens.ui.relabel import Labels

    cfg = AppConfig(data_dir=str(tmp_path))
    state = AppState(cfg, Predictor.from_bundle(tiny_bundle, device="cpu"), tiny_bundle)
    captured = {}
    original = Labels.__init__

    def remember(self, language):
        original(self, language)
        captured["labels"] = self

    Labels.__init__ = remember
    try:
        from wildlens.ui import build_app

        build_app(state)
    finally:
        Labels.__init__ = original
    labels = captured["labels"]
    assert len(labels.components) > 60
    for language in LANGUAGES:
        updates = labels.updates(language)
        assert len(updates) == len(labels.components)
        for update in updates:
            for prop, value in update.items():
                if prop in ("label", "value", "info", "placeholder"):
                    assert isinstance(value, str) and value.strip(), (language, update)
    tabs = [u["label"] for u in labels.updates("lo") if u.get("label") == text("lo", "tab.review")]
    assert tabs, "the Review tab is re-labelled in Lao"
    names = state.model.names("lo")
    assert names["elephant_ivory"] == "ງາຊ້າງ" and all(LAO.search(n) for n in names.values())
    assert state.model.names("zh")["rosewood"].startswith("红木")
