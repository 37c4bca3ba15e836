"""Benchmark results with one source: each table a benchmark measures is saved as JSON under
docs/results/, and docs/benchmarks.md shows it between markers that this module writes.

A benchmark calls :func:`publish` with its table; ``python bench/results.py`` then rewrites every
``<!-- result: NAME -->`` ... ``<!-- /result -->`` block of docs/benchmarks.md from
docs/results/NAME.json (``--check`` only says whether they differ; tests/test_benchmark_tables.py
runs it). Prose around the blocks (what was measured, what it means) is written by hand and
cites numbers by pointing at the tables, never by copying them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "results"
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
BLOCK = re.compile(
    r"<!-- result: (?P<name>[a-z0-9_-]+) -->\n(?P<body>.*?)<!-- /result -->", re.DOTALL
)


def machine() -> str:
    """What the numbers were measured on, in a few words."""
    return f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}"


def publish(
    name: str,
    command: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    notes: str = "",
    directory: Path = RESULTS,
) -> Path:
    """Save one measured table as ``directory/NAME.json`` and print it as markdown.

    ``command`` is the command line that produced it (as a reader would type it), ``rows`` hold
    the cells as they should read (numbers formatted by the benchmark); ``notes`` is one line
    printed under the table (scene digests, load, what a blank cell means).
    """
    if not NAME.match(name):
        raise ValueError(f"result name {name!r}: lower-case letters, digits, '-' and '_' only")
    width = len(columns)
    for row in rows:
        if len(row) != width:
            raise ValueError(f"result {name}: a row has {len(row)} cells for {width} columns")
    result = {
        "name": name,
        "command": command,
        "measured": datetime.date.today().isoformat(),
        "machine": machine(),
        "columns": [str(column) for column in columns],
        "rows": [[_cell(cell) for cell in row] for row in rows],
        "notes": notes,
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)
    print("\n" + render(result), flush=True)
    return path


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def render(result: dict[str, Any]) -> str:
    """The markdown a result shows as: its table, then the command, date and machine."""
    columns = result["columns"]
    numeric = [
        all(_looks_numeric(row[i]) for row in result["rows"]) and bool(result["rows"])
        for i in range(len(columns))
    ]
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" if right else "---" for right in numeric) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in result["rows"]]
    lines.append("")
    source = f"`{result['command']}`, {result['measured']}, {result['machine']}"
    lines.append(
        f"<sub>{source}. {result['notes']}</sub>" if result["notes"] else f"<sub>{source}</sub>"
    )
    return "\n".join(lines) + "\n"


def _looks_numeric(cell: str) -> bool:
    text = cell.strip().rstrip("x%s").replace(",", "").replace("±", "").replace(" ", "")
    text = text.replace("/", "").replace("-", "").replace("+", "").replace(".", "")
    return text.isdigit()


def load(directory: Path = RESULTS) -> dict[str, dict[str, Any]]:
    """Every saved result, by name."""
    results = {}
    for path in sorted(directory.glob("*.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        results[result["name"]] = result
    return results


def synced(text: str, results: dict[str, dict[str, Any]]) -> tuple[str, list[str]]:
    """``text`` with every result block rewritten, and the problems found (unknown names)."""
    problems: list[str] = []

    def block(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in results:
            problems.append(
                f"docs/benchmarks.md shows result {name!r}: no docs/results/{name}.json"
            )
            return match[0]
        return f"<!-- result: {name} -->\n{render(results[name])}<!-- /result -->"

    new = BLOCK.sub(block, text)
    shown = {match["name"] for match in BLOCK.finditer(text)}
    problems += [
        f"docs/results/{name}.json is shown nowhere: add <!-- result: {name} --><!-- /result -->"
        for name in sorted(set(results) - shown)
    ]
    return new, problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the tables differ")
    args = parser.parse_args(argv)
    text = BENCHMARKS.read_text(encoding="utf-8")
    new, problems = synced(text, load())
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if args.check:
        if new != text:
            print(
                "error: docs/benchmarks.md differs from docs/results/: run python bench/results.py",
                file=sys.stderr,
            )
            return 1
        return 1 if problems else 0
    if new != text:
        BENCHMARKS.write_text(new, encoding="utf-8")
        print("docs/benchmarks.md: tables rewritten from docs/results/")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
