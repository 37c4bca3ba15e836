"""What runs in the browser: Gradio's own words in the page's language, and a warning when the
computer has no font for it.

    launch(..., js=page_script())                   # once per page load
    language.change(None, language, None, js=SET_LANGUAGE)

Gradio's built-in words (the upload area's "Drop File Here", "Error" badges and toasts, the
file-size refusal, button labels read by screen readers) come from its frontend, which picks its
language from the browser's locale once, has no Lao, and shows some keys raw
(`common.complete`, `common.upload`). So the page script translates them itself: each text node
and label attribute (aria-label, title) outside the app's own content whose text is one of
GRADIO_WORDS in any of our languages is rewritten in the language chosen at the top of the page,
as Gradio renders it (a MutationObserver) and whenever the language changes. The words live with
every other word in `wildlens.ui.strings` (keys `gradio.*`).

Fonts: where the phone or laptop has no font for Chinese or Lao, the browser draws every
character as the same empty box. The script draws two different characters of the language on a
canvas; identical pixels mean boxes, and a banner (in English and the page's language) says which
font package to install. `missing_fonts()` checks the server's own fonts with fontconfig, for the
laptop that is both server and browser.
"""

from __future__ import annotations

import json
import shutil
import subprocess

from wildlens.ui.i18n import LANGUAGE_NAMES, LANGUAGES, text

# Gradio's words as its frontend shows them (Gradio 6) -> our key. "{n}"-style parts are
# matched as patterns (PATTERNS) instead.
GRADIO_WORDS = {
    "Drop File Here": "gradio.drop_file",
    "- or -": "gradio.or",
    "Click to Upload": "gradio.click_to_upload",
    "Uploading...": "gradio.uploading",
    "Error": "gradio.error",
    "common.complete": "gradio.complete",
    "common.upload": "gradio.upload",
    "Loading": "gradio.loading",
    "Clear": "gradio.clear",
    "Click to upload or drop files": "gradio.upload_area",
    "File upload": "gradio.file_upload",
    "Remove this file": "gradio.remove_file",
    "Download All": "gradio.download_all",
    "Download": "gradio.download",
    "Fullscreen": "gradio.fullscreen",
    "Exit fullscreen mode": "gradio.exit_fullscreen",
    "Copy table data": "gradio.copy_table",
    "Table actions": "gradio.table_actions",
    "Open cell menu": "gradio.cell_menu",
    "Empty value": "gradio.empty_value",
    "More tabs": "gradio.more_tabs",
    "Close": "gradio.close",
    "Use via API": "gradio.use_via_api",
}
# Gradio's sentences with values in them: (regular expression on the English, our key with the
# groups as {placeholders}, in order).
PATTERNS = (
    (
        r"^File\(s\) exceed the maximum allowed size of (.+?)(?::\s*(.*))?$",
        "gradio.file_too_large",
        ("size", "files"),
    ),
    (r"^Thumbnail (\d+) of (\d+)$", "gradio.thumbnail", ("n", "count")),
)
# Two different characters of each language: drawn identically, they are boxes.
FONT_PROBES = {"zh": ("中", "国"), "lo": ("ກ", "ຂ")}
# Debian / Ubuntu packages with a font for the language.
FONT_PACKAGES = {"zh": "fonts-noto-cjk", "lo": "fonts-noto-core"}
# fontconfig language tags
FONTCONFIG_LANGUAGES = {"zh": "zh-cn", "lo": "lo"}

# Runs on every change of the language selector (before any Python handler).
SET_LANGUAGE = "(language) => { window.wildlensLanguage?.(language); return language; }"


def words() -> dict[str, dict[str, str]]:
    """Every Gradio word in every language: {key: {en, zh, lo}} (the English as Gradio shows it
    is the key's English)."""
    keys = [*GRADIO_WORDS.values(), *(key for _, key, _ in PATTERNS)]
    return {key: {lang: text(lang, key) for lang in LANGUAGES} for key in keys}


def font_warning(language: str) -> str:
    """The missing-font banner's text for the page `language`: English first (readable
    whatever fonts are missing), then the language itself."""
    english = text(
        "en",
        "font.missing",
        name=f"{text('en', 'language.' + language)} ({LANGUAGE_NAMES[language]})",
        package=FONT_PACKAGES[language],
    )
    own = text(
        language,
        "font.missing",
        name=LANGUAGE_NAMES[language],
        package=FONT_PACKAGES[language],
    )
    return english if language == "en" else f"{english} {own}"


def page_script() -> str:
    """The JavaScript function Gradio runs once the page has loaded (`launch(js=...)`)."""
    data = {
        "exact": {english: key for english, key in GRADIO_WORDS.items()},
        "patterns": [[pattern, key, list(names)] for pattern, key, names in PATTERNS],
        "words": words(),
        "fonts": {lang: [*FONT_PROBES[lang], font_warning(lang)] for lang in FONT_PROBES},
    }
    return _SCRIPT.replace("__DATA__", json.dumps(data, ensure_ascii=False))


_SCRIPT = """
() => {
  const DATA = __DATA__;
  // Any language's version of a word -> its key, so a word is found whatever it shows now.
  const known = new Map(Object.entries(DATA.exact));
  for (const [key, byLanguage] of Object.entries(DATA.words)) {
    for (const value of Object.values(byLanguage)) if (!/[{]/.test(value)) known.set(value, key);
  }
  const patterns = DATA.patterns.map(([source, key, names]) => [new RegExp(source), key, names]);
  const SKIP = ".prose, .md, .wl-decision, .wl-record, #decision, #card, td, textarea, input, "
    + "code, pre, [data-testid=markdown]";
  let language = "en";

  function say(key, values) {
    let out = (DATA.words[key] || {})[language] || (DATA.words[key] || {}).en || key;
    for (const [name, value] of Object.entries(values || {})) {
      out = out.replace("{" + name + "}", value);
    }
    return out;
  }
  function translate(value) {
    const trimmed = value.trim();
    if (!trimmed) return null;
    const key = known.get(trimmed);
    if (key) {
      const wanted = say(key);
      return wanted === trimmed ? null : value.replace(trimmed, wanted);
    }
    for (const [regex, key, names] of patterns) {
      const found = trimmed.match(regex);
      if (found) {
        const values = {};
        names.forEach((name, i) => { values[name] = found[i + 1] || ""; });
        const wanted = say(key, values);
        // Unchanged, nothing is written: a write is a mutation, and would come back here.
        return wanted === trimmed ? null : value.replace(trimmed, wanted);
      }
    }
    return null;
  }
  function visit(node) {
    if (node.nodeType === Node.TEXT_NODE) {
      const parent = node.parentElement;
      if (!parent || parent.closest(SKIP)) return;
      const changed = translate(node.nodeValue);
      if (changed !== null) node.nodeValue = changed;
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    for (const element of [node, ...node.querySelectorAll("[aria-label], [title]")]) {
      for (const name of ["aria-label", "title"]) {
        const value = element.getAttribute(name);
        if (value === null) continue;
        const changed = translate(value);
        if (changed !== null) element.setAttribute(name, changed);
      }
    }
    if (node.closest && node.closest(SKIP)) return;
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    const texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    texts.forEach(visit);
  }
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      if (mutation.type === "characterData") visit(mutation.target);
      else if (mutation.type === "attributes") visit(mutation.target);
      else mutation.addedNodes.forEach(visit);
    }
  }).observe(document.body, {
    subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ["aria-label", "title"],
  });

  function boxes(a, b) {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 48;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    const draw = (character) => {
      context.clearRect(0, 0, 48, 48);
      context.font = "40px sans-serif";
      context.fillText(character, 2, 40);
      return context.getImageData(0, 0, 48, 48).data.join(",");
    };
    return draw(a) === draw(b);
  }
  function checkFont() {
    let banner = document.getElementById("wl-font-warning");
    const probe = DATA.fonts[language];
    const missing = probe ? boxes(probe[0], probe[1]) : false;
    if (!missing) { if (banner) banner.remove(); return; }
    if (!banner) {
      banner = document.createElement("div");
      banner.id = "wl-font-warning";
      banner.setAttribute("role", "alert");
      const app = document.querySelector(".gradio-container") || document.body;
      app.prepend(banner);
    }
    banner.dataset.language = language;
    banner.textContent = probe[2];
  }
  window.wildlensLanguage = (chosen) => {
    language = chosen in DATA.fonts || chosen === "en" ? chosen : "en";
    document.documentElement.lang = { en: "en", zh: "zh-Hans", lo: "lo" }[language];
    visit(document.body);
    checkFont();
  };
  window.wildlensLanguage(language);
}
"""


def missing_fonts() -> list[str]:
    """The warning for each of our languages the server has no font for (fontconfig's
    `fc-list`); nothing where fontconfig is not installed (then nothing can be told)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    warnings = []
    for language, tag in FONTCONFIG_LANGUAGES.items():
        try:
            found = subprocess.run(
                [fc_list, f":lang={tag}", "family"], capture_output=True, text=True, timeout=20
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return []
        if not found:
            warnings.append(
                text(
                    "en",
                    "font.missing_server",
                    name=text("en", "language." + language),
                    package=FONT_PACKAGES[language],
                )
            )
    return warnings
