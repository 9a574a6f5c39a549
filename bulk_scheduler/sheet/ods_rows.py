"""Which rows of an OpenDocument spreadsheet (``.ods``) are hidden.

calamine reads an ``.ods``'s cells but not its rows' visibility. LibreOffice marks a row
hidden by hand ``table:visibility="collapse"`` and one a filter hides
``table:visibility="filter"``; both are read here from ``content.xml`` (with defusedxml:
the file may be hostile), counting rows as LibreOffice writes them, runs of identical
rows as one element with ``table:number-rows-repeated``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from defusedxml.ElementTree import iterparse

from bulk_scheduler.sheet.file_guard import ZIP_DIRECTORY_ERRORS

__all__ = ["ods_hidden_rows"]

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_HIDDEN = frozenset({"collapse", "filter"})


def ods_hidden_rows(path: Path, sheet_name: str, max_row: int = 1_048_576) -> list[int]:
    """The 1-based numbers of the rows of ``sheet_name`` that are hidden, up to ``max_row``;
    an unreadable ``content.xml`` gives none (calamine has read the cells already)."""
    hidden: list[int] = []
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
            depth = 0  # tables entered inside the wanted one (a table in a cell)
            inside = False
            row = 0
            for event, element in iterparse(stream, events=("start", "end")):
                tag = element.tag
                if tag == _TABLE + "table":
                    if event == "start":
                        if inside:
                            depth += 1
                        elif element.get(_TABLE + "name") == sheet_name:
                            inside = True
                    elif inside:
                        if depth == 0:
                            break
                        depth -= 1
                    continue
                if event == "end":
                    element.clear()  # attributes are read at the start: keep nothing
                    continue
                if not inside or depth or tag != _TABLE + "table-row":
                    continue
                repeated = int(element.get(_TABLE + "number-rows-repeated") or 1)
                if element.get(_TABLE + "visibility") in _HIDDEN:
                    hidden.extend(range(row + 1, min(row + repeated, max_row) + 1))
                row += repeated
                if row >= max_row:
                    break
    except (*ZIP_DIRECTORY_ERRORS, KeyError, ValueError, SyntaxError):
        return []
    return hidden
