"""Read one sheet of an Excel 97-2003 (``.xls``) or OpenDocument (``.ods``) workbook.

python-calamine reads both, as it reads ``.xlsx``; the cells are converted exactly as
``xlsx_reader`` converts an ``.xlsx``'s (``convert_rows``: text, whole numbers as
``int``, date cells as dates, merged ranges filled down), so a campaign reads the same
whichever of the three it was saved as.

What calamine does not report for these formats, this reader does not either: error
cells read as blank, and a formula never calculated reads as its (empty) cached value.
Hidden rows of an ``.ods`` are read from its ``content.xml`` (``ods_rows``); an ``.xls``
does not say which rows are hidden through calamine, so all its rows are read.

An ``.ods`` is a zip, checked like an ``.xlsx`` before it is opened (``file_guard``).
"""

from __future__ import annotations

from pathlib import Path

import python_calamine

from bulk_scheduler.errors import CampaignFileError
from bulk_scheduler.sheet.file_guard import check_workbook_archive
from bulk_scheduler.sheet.ods_rows import ods_hidden_rows
from bulk_scheduler.sheet.xlsx_reader import (
    XlsxTable,
    choose_sheet,
    convert_rows,
    fill_merged_ranges,
    open_workbook,
)

__all__ = ["read_calamine"]

_FORMAT_NAMES = {"xls": "Excel 97-2003 workbook", "ods": "OpenDocument spreadsheet"}


def read_calamine(path: Path, name: str, sheet: str | None, kind: str) -> XlsxTable:
    """Read sheet ``sheet`` (default: the first) of the ``kind`` (``"xls"`` or ``"ods"``)
    workbook at ``path``; ``name`` is the file as the user gave it, for messages."""
    what = _FORMAT_NAMES[kind]
    if kind == "ods":
        check_workbook_archive(path, name)
    try:
        with open_workbook(path) as workbook:
            sheet_names = list(workbook.sheet_names)
            chosen = choose_sheet(sheet_names, sheet, name)
            calamine_sheet = workbook.get_sheet_by_name(chosen)
            raw = calamine_sheet.to_python(skip_empty_area=False)
            try:
                merged = calamine_sheet.merged_cell_ranges or []
            except python_calamine.CalamineError:
                merged = []
    except python_calamine.PasswordError as exc:
        raise CampaignFileError(
            f"{name}: is password-protected; save a copy without a password"
        ) from exc
    except python_calamine.CalamineError as exc:
        problem = " ".join(str(exc).split()) or type(exc).__name__
        raise CampaignFileError(f"{name}: cannot be read as an {what} ({problem})") from exc
    rows = convert_rows(raw)
    fill_merged_ranges(rows, merged)
    hidden = ods_hidden_rows(path, chosen, len(rows)) if kind == "ods" else []
    return XlsxTable(rows, chosen, sheet_names, hidden_rows=hidden)
