"""The XLSX results sheet as a new workbook: openpyxl's write-only workbook, with styles,
notes and a Summary tab (see :mod:`bulk_scheduler.sheet.results`, which decides what goes
in it). Used when there is no workbook of the user's to add the results to
(``results_workbook`` does that): a campaign read from CSV written as ``.xlsx``, or a
workbook that cannot be copied with confidence.

Apart from ``results`` so that openpyxl, and the numpy it imports when installed, load
only when an XLSX sheet is written: about 0.4 s of start-up that CSV campaigns never need.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from copy import copy
from datetime import UTC, date, datetime, time
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bulk_scheduler.campaign import CellValue
from bulk_scheduler.sheet.results import (
    FORMULA_TRIGGERS,
    RESULT_COLUMN_NOTES,
    RESULT_FILLS,
    is_formula_like,
)
from bulk_scheduler.sheet.results_style import (
    HEADER_FILL_RGB,
    MAX_WIDTH,
    MIN_WIDTH,
    NOTE_AUTHOR,
    UTC_FORMAT,
    WRAPPED_COLUMNS,
    display_width,
)

_XLSX_TEXT_LIMIT = 32_767  # Excel's maximum characters in one cell
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor=HEADER_FILL_RGB)
_WRAP = Alignment(wrap_text=True, vertical="top")
_SUMMARY_TITLE = "Summary"


class _CellMaker:
    """Makes the styled cells of one write-only sheet.

    Assigning a font or fill to an openpyxl cell hashes it into the workbook's
    style tables every time; copying a style array prepared once is several
    times faster, which matters at 100,000 rows.
    """

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self.sheet = sheet
        self._styles: dict[str, StyleArray] = {}
        self.add_style("header", font=_HEADER_FONT, fill=_HEADER_FILL)
        self.add_style("bold", font=_HEADER_FONT)
        self.add_style("wrap", alignment=_WRAP)
        self.add_style("utc", number_format=UTC_FORMAT)
        for result, rgb in RESULT_FILLS.items():
            self.add_style(f"result:{result.value}", fill=PatternFill("solid", fgColor=rgb))

    def add_style(self, name: str, **attributes: Any) -> None:
        prototype = WriteOnlyCell(self.sheet)
        for attribute, value in attributes.items():
            setattr(prototype, attribute, value)
        self._styles[name] = prototype._style

    def has_style(self, name: str) -> bool:
        return name in self._styles

    def text(self, text: str, style: str | None = None) -> Cell:
        """A cell that holds ``text`` as text, whatever it starts with.

        openpyxl turns any string starting with ``=`` into a formula (and ``#N/A``
        into an error) when it is assigned, so the type is set back to string.
        """
        cell = self._cell(style)
        cell.value = text
        cell.data_type = "s"
        if is_formula_like(text):
            # Excel's own "typed with a leading '" flag: it stays text even when edited.
            cell.quotePrefix = True
        return cell

    def utc(self, value: datetime) -> Cell:
        """A date-time cell in UTC: Excel has no time zones, so the number format says UTC."""
        cell = self._cell("utc")
        cell.value = value.astimezone(UTC).replace(tzinfo=None)
        return cell

    def _cell(self, style: str | None) -> Cell:
        cell = WriteOnlyCell(self.sheet)
        if style is not None:
            cell._style = copy(self._styles[style])
        return cell


def write_xlsx(
    handle: IO[bytes],
    sheet_title: str,
    headers: Sequence[str],
    result_index: Mapping[str, int],
    rows: Sequence[Sequence[CellValue]],
    summary_rows: Sequence[tuple[str, object]],
) -> None:
    # Write-only mode streams rows to a temporary file: big campaigns stay small in memory.
    workbook = Workbook(write_only=True)
    sheet: WriteOnlyWorksheet = workbook.create_sheet(sheet_title)
    # Sheet view and column widths go out before the first row in write-only mode.
    sheet.freeze_panes = "A2"
    for index, width in enumerate(_column_widths(headers, rows), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"

    cells = _CellMaker(sheet)
    notes = {index: RESULT_COLUMN_NOTES[name] for name, index in result_index.items()}
    header_row = []
    for index, header in enumerate(headers):
        cell = cells.text(_xlsx_text(header), "header")
        if index in notes:
            cell.comment = Comment(notes[index], NOTE_AUTHOR, height=80, width=240)
        header_row.append(cell)
    sheet.append(header_row)

    result_column = result_index["result"]
    wrapped = {result_index[name] for name in WRAPPED_COLUMNS}
    try:
        for row in rows:
            sheet.append(_xlsx_row(cells, row, result_column, wrapped))
        summary_title = _SUMMARY_TITLE if sheet_title.lower() != "summary" else "Run summary"
        _write_summary(workbook.create_sheet(summary_title), summary_rows)
    except BaseException:
        _discard(workbook)
        raise
    workbook.save(handle)


def _discard(workbook: Workbook) -> None:
    """Close and delete the sheets' streaming files after a failure.

    openpyxl only does this when the workbook is saved; left alone, the files
    stay in the temp folder until exit and their writers complain when collected.
    """
    for sheet in workbook.worksheets:
        writer = sheet._writer
        if writer is None:
            continue
        with suppress(Exception):
            if sheet._rows is not None:
                sheet._rows.close()
            writer.close()
        with suppress(Exception):
            writer.cleanup()


def _xlsx_row(
    cells: _CellMaker, row: Sequence[CellValue], result_column: int, wrapped: set[int]
) -> list[Any]:
    """One row for ``sheet.append``: plain values where openpyxl types them right, cells else."""
    out: list[Any] = []
    for index, value in enumerate(row):
        if isinstance(value, str):
            text = _xlsx_text(value)
            if index == result_column and cells.has_style(f"result:{text}"):
                out.append(cells.text(text, f"result:{text}"))
            elif index in wrapped:
                out.append(cells.text(text, "wrap"))
            elif text.startswith(FORMULA_TRIGGERS) or text in ERROR_CODES:
                out.append(cells.text(text))
            else:
                out.append(text)
        elif isinstance(value, datetime) and value.tzinfo is not None:
            out.append(cells.utc(value))
        else:
            out.append(value)
    return out


def _xlsx_text(text: str) -> str:
    """Text Excel accepts: no control characters it forbids, at most 32,767 characters."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text[:_XLSX_TEXT_LIMIT]


def _column_widths(headers: Sequence[str], rows: Sequence[Sequence[CellValue]]) -> list[float]:
    """Readable widths: the longest line in each column, capped so no column swamps the sheet."""
    widths = [display_width(header) + 2 for header in headers]  # + room for the filter button
    for row in rows:
        for index, value in enumerate(row):
            if value is not None:
                length = display_width(value)
                if length > widths[index]:
                    widths[index] = length
    return [float(min(max(width + 1, MIN_WIDTH), MAX_WIDTH)) for width in widths]


def _write_summary(sheet: WriteOnlyWorksheet, summary_rows: Sequence[tuple[str, object]]) -> None:
    sheet.column_dimensions["A"].width = max(
        [12, *(min(len(str(key)) + 2, MAX_WIDTH) for key, _ in summary_rows)]
    )
    sheet.column_dimensions["B"].width = MAX_WIDTH
    cells = _CellMaker(sheet)
    sheet.append([cells.text("item", "bold"), cells.text("value", "bold")])
    for key, value in summary_rows:
        sheet.append([cells.text(_xlsx_text(str(key))), _summary_value(cells, value)])


def _summary_value(cells: _CellMaker, value: object) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return cells.utc(value)
    if value is None or isinstance(value, bool | int | float | date | time):
        return value
    return cells.text(_xlsx_text(str(value)))
