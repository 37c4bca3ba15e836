"""The tables of docs/benchmarks.md are the benchmarks' own output (docs/results/*.json)."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import results  # noqa: E402


def test_every_table_in_the_benchmarks_page_is_its_json() -> None:
    text = results.BENCHMARKS.read_text(encoding="utf-8")
    new, problems = results.synced(text, results.load())
    assert problems == []
    assert new == text, "docs/benchmarks.md drifted from docs/results/: run python bench/results.py"


def test_a_changed_number_is_put_back_and_an_unshown_result_is_named(tmp_path: Path) -> None:
    saved = results.publish(
        "example",
        "python bench/example.py",
        ["pool", "accuracy"],
        [["all", 0.9123]],
        directory=tmp_path,
    )
    loaded = results.load(tmp_path)
    assert json.loads(saved.read_text())["rows"] == [["all", "0.912"]]
    page = (
        "intro\n<!-- result: example -->\n| pool | accuracy |\n|---|---:|\n"
        "| all | 0.999 |\n<!-- /result -->\n"
    )
    new, problems = results.synced(page, loaded)
    assert "| all | 0.912 |" in new and "0.999" not in new and problems == []
    _, problems = results.synced("no blocks here\n", loaded)
    assert problems and "example" in problems[0]


def test_a_row_of_the_wrong_width_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2 columns"):
        results.publish("bad", "cmd", ["a", "b"], [["only one"]], directory=tmp_path)
