"""Write docs/layout.md: every module of the project, by package, with the first sentence of its
docstring, so the list cannot fall behind the code (tests/test_layout_doc.py checks it).

    python docs/make_layout.py            # rewrite docs/layout.md
    python docs/make_layout.py --check    # exit 1 if it differs
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = ROOT / "docs" / "layout.md"
LONGEST = 240  # characters of a docstring's first sentence shown
# Folders in the order a reader meets them: entry points, then the layers from the top down.
FOLDERS = [
    (".", "Entry points", "wildlens"),
    ("wildlens", "Command line", "wildlens"),
    ("wildlens/ui", "The app", "wildlens.ui"),
    ("wildlens/pipeline", "infer.py's pipeline", "wildlens.pipeline"),
    ("review", "The review store", "wildlens.review"),
    ("model/workflows", "Model: whole runs", "wildlens.model.workflows"),
    ("model/evaluation", "Model: evaluation", "wildlens.model.evaluation"),
    ("model/serving", "Model: answering", "wildlens.model.serving"),
    ("model/training", "Model: fitting", "wildlens.model.workflows.train"),
    ("model/network", "Model: networks and backends", "wildlens.model.network"),
    ("model/bundle", "Model: the bundle", "wildlens.model.bundle.format"),
    ("model/trust", "Model: decision statistics", "wildlens.model.training.policy"),
    ("model", "Model: configs of the commands", "wildlens.model"),
    ("data", "Photos and datasets", "wildlens.data"),
    ("wildlens/common", "Shared utilities (the lowest layer)", "wildlens.common"),
    ("bench", "Benchmarks (not installed)", "bench"),
    ("docs", "Documentation scripts (not installed)", "docs"),
]
HEADER = (
    "# Layout: every module\n\n"
    "Written by `python docs/make_layout.py` from each module's docstring; the layers and\n"
    "contracts are in [architecture.md](architecture.md). Folders from the top layer down: a\n"
    "module imports only from its own layer and those below it (`make lint` checks).\n"
)


def first_sentence(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    paragraph = " ".join(doc.split("\n\n")[0].split())
    sentence = paragraph.split(". ")[0].rstrip(".") + "."
    if len(sentence) > LONGEST:
        sentence = sentence[: LONGEST - 3].rsplit(" ", 1)[0] + " ..."
    return sentence.replace("|", "\\|")


def modules(folder: Path) -> list[Path]:
    names = sorted(p for p in folder.glob("*.py") if p.name != "__init__.py")
    if folder == ROOT:
        names = [p for p in names if p.name in {"train.py", "infer.py", "app.py"}]
    return names


def layout() -> str:
    parts = [HEADER]
    for folder, title, package in FOLDERS:
        path = ROOT / folder
        found = modules(path)
        if not found:
            continue
        intro = first_sentence(path / "__init__.py") if (path / "__init__.py").exists() else ""
        parts.append(f"\n## {title}: `{folder}/`" + (f" ({package})" if folder != "." else ""))
        parts.append("\n" + (intro + "\n" if intro else ""))
        parts.append("\n| module | what it holds |\n|---|---|\n")
        parts += [f"| `{p.relative_to(ROOT)}` | {first_sentence(p)} |\n" for p in found]
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/layout.md from the modules.")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = layout()
    if args.check:
        same = LAYOUT.exists() and LAYOUT.read_text(encoding="utf-8") == text
        if not same:
            print("error: docs/layout.md is out of date: run python docs/make_layout.py")
        return 0 if same else 1
    LAYOUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
