"""CSV writers whose cells are safe to open in a spreadsheet (every CSV the product writes).

    writer = csv_writer(buffer)                 # as csv.writer
    writer = dict_writer(buffer, fieldnames)    # as csv.DictWriter

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel and
LibreOffice (OWASP "CSV injection": a case id `=HYPERLINK(...)` would run when an expert opens
the case report). Such a cell gets a leading apostrophe, which spreadsheets show as text and
which a person reading the file sees. Plain numbers (`-0.25`, `+3e-4`) are left alone: a number
cannot be a formula, and negative losses or coordinates must stay numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def safe_cell(value: Any) -> Any:
    """`value`, with a leading apostrophe when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, handle, **options):
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _SafeDictWriter(csv.DictWriter):
    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def csv_writer(handle, **options) -> _SafeWriter:
    """csv.writer whose cells go through `safe_cell`."""
    return _SafeWriter(handle, **options)


def dict_writer(handle, fieldnames, **options) -> csv.DictWriter:
    """csv.DictWriter whose cells (and header) go through `safe_cell`."""
    return _SafeDictWriter(handle, fieldnames, **options)
