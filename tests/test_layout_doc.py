"""docs/layout.md lists every module of the project, as the code stands."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("make_layout", ROOT / "docs" / "make_layout.py")
make_layout = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_layout)


def test_every_package_folder_has_its_place_in_the_layout() -> None:
    listed = {folder for folder, _, _ in make_layout.FOLDERS}
    folders = {
        str(p.parent.relative_to(ROOT))
        for top in ("data", "model", "review", "wildlens")
        for p in (ROOT / top).rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert folders - listed == set(), "add these folders to docs/make_layout.py FOLDERS"


def test_the_layout_page_is_the_modules_as_they_are() -> None:
    text = make_layout.layout()
    assert "`model/serving/predictor.py`" in text and "`data/images.py`" in text
    assert (ROOT / "docs" / "layout.md").read_text(encoding="utf-8") == text, (
        "docs/layout.md is out of date: run python docs/make_layout.py"
    )
