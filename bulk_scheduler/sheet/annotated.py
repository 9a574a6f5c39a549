"""``validate --annotate OUT.xlsx``: the user's sheet with its problems marked on it.

A copy of the campaign's workbook (for a CSV or TSV, a new workbook holding its cells)
in which every cell with an issue is filled, red for an error and amber for a warning,
and carries the issue's messages as its note. A row's issue that names no cell
(``duplicate-row``) marks the row's first cell. A first tab, ``Issues``, lists the
issues by code (errors first): severity, how many, what the code means, and links to
the first cells that have it.

The copy is made with openpyxl, which keeps the cells, their formats, widths, hidden
rows, merges, filters, validations and notes (a note of the user's keeps its text, ours
follows it); it does not keep charts and images, which an annotated copy does not need.
The results sheet (``results_workbook``) is the one that must keep everything, and it
never goes through here. The input is never written: the output is refused when it is
the campaign file, and written atomically (``results.write_atomically``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from bulk_scheduler.campaign import Campaign, cell_ref
from bulk_scheduler.errors import ConfigurationError
from bulk_scheduler.issues import ISSUE_CODES, RowIssue
from bulk_scheduler.sheet.results import needs_csv_guard, write_atomically
from bulk_scheduler.sheet.results_style import HEADER_FILL_RGB, NOTE_AUTHOR

__all__ = ["ERROR_FILL_RGB", "WARNING_FILL_RGB", "write_annotated"]

ERROR_FILL_RGB = "FFC7CE"  # Excel's "bad" red
WARNING_FILL_RGB = "FFEB9C"  # Excel's "neutral" amber
SUMMARY_TITLE = "Issues"
LINKS_PER_CODE = 20  # cells linked from a code's line; the rest are counted
_NOTE_WIDTH = 360  # points: a note wide enough to read a message or two
_NOTE_MAX_CHARACTERS = 4000  # a longer note is cut: Excel shows no more anyway


def write_annotated(campaign: Campaign, issues: Sequence[RowIssue], out: Path) -> Path:
    """Write the annotated copy of ``campaign`` to ``out`` (``.xlsx``); see the module
    docstring. Raises ``ConfigurationError`` when ``out`` is the campaign file itself or
    not an ``.xlsx`` path."""
    if out.suffix.lower() != ".xlsx":
        raise ConfigurationError(f"--annotate {out.name}: use an .xlsx file")
    if _same_file(out, campaign.path):
        raise ConfigurationError(
            f"--annotate {out.name}: that is the campaign file itself; name another file "
            "(the annotated copy never replaces your sheet)"
        )
    book, sheet = _copy(campaign)
    marked = _mark(sheet, issues)
    _summary(book, sheet.title, issues, marked)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(out, book.save)
    return out


def _same_file(out: Path, source: Path) -> bool:
    if not out.exists() or not source.exists():
        return out.resolve() == source.resolve()
    return out.samefile(source)


def _copy(campaign: Campaign) -> tuple[Workbook, Worksheet]:
    """The workbook to mark and its campaign tab: the user's own, or the cells of a CSV."""
    if campaign.format in ("xlsx", "xlsm") and campaign.path.exists():
        book = load_workbook(campaign.path, rich_text=True)
        if campaign.sheet_name and campaign.sheet_name in book.sheetnames:
            return book, book[campaign.sheet_name]
        return book, book.worksheets[0]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Campaign"
    header_row = min((row.row_number for row in campaign.rows), default=2) - 1
    for index, header in enumerate(campaign.headers, start=1):
        _put(sheet, max(header_row, 1), index, header).font = Font(bold=True)
    for row in campaign.rows:
        for index, value in enumerate(row.original, start=1):
            if value is not None:
                _put(sheet, row.row_number, index, value)
    sheet.freeze_panes = f"A{max(header_row, 1) + 1}"
    return book, sheet


def _put(sheet: Worksheet, row: int, column: int, value: object) -> Cell:
    """A CSV cell as written; text stays text, never run as a formula."""
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and needs_csv_guard(value):
        cell.data_type = "s"  # openpyxl would take "=..." for a formula
    return cell


def _mark(sheet: Worksheet, issues: Sequence[RowIssue]) -> dict[str, list[RowIssue]]:
    """Fill and note each cell with issues; returns the issues by cell reference."""
    by_cell: dict[str, list[RowIssue]] = {}
    for issue in issues:
        where = issue.cell or (cell_ref(0, issue.row) if issue.row is not None else None)
        if where is not None:
            by_cell.setdefault(where, []).append(issue)
    error_fill = PatternFill("solid", fgColor=ERROR_FILL_RGB)
    warning_fill = PatternFill("solid", fgColor=WARNING_FILL_RGB)
    for where, found in by_cell.items():
        cell = sheet[where]
        cell.fill = error_fill if any(issue.is_error for issue in found) else warning_fill
        text = "\n".join(f"{issue.severity}: {issue.code}: {issue.message}" for issue in found)
        own = cell.comment.text.rstrip() + "\n\n" if cell.comment is not None else ""
        note = (own + text)[:_NOTE_MAX_CHARACTERS]
        lines = sum(1 + len(line) // 60 for line in note.split("\n"))
        cell.comment = Comment(
            note, NOTE_AUTHOR, width=_NOTE_WIDTH, height=min(20 + 15 * lines, 600)
        )
    return by_cell


def _summary(
    book: Workbook, campaign_title: str, issues: Sequence[RowIssue], marked: dict[str, list]
) -> None:
    """The first tab: one line per code, errors first, with links to its cells."""
    title = SUMMARY_TITLE
    number = 2
    while title in book.sheetnames:
        title = f"{SUMMARY_TITLE} {number}"
        number += 1
    summary = book.create_sheet(title, 0)
    book.active = 0
    for other in book.worksheets[1:]:
        other.sheet_view.tabSelected = False
    header = ("code", "severity", "count", "what it means", "cells (links)")
    summary.append(list(header))
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor=HEADER_FILL_RGB)
    for cell in summary[1]:
        cell.font = bold
        cell.fill = head_fill
    by_code: dict[str, list[RowIssue]] = {}
    for issue in issues:
        by_code.setdefault(issue.code, []).append(issue)
    order = sorted(by_code, key=lambda code: (not by_code[code][0].is_error, code))
    quoted = "'" + campaign_title.replace("'", "''") + "'"
    link_font = Font(color="0563C1", underline="single")
    for line, code in enumerate(order, start=2):
        found = by_code[code]
        severity = found[0].severity
        fill = ERROR_FILL_RGB if found[0].is_error else WARNING_FILL_RGB
        registered = ISSUE_CODES.get(code)
        summary.cell(row=line, column=1, value=code).fill = PatternFill("solid", fgColor=fill)
        summary.cell(row=line, column=2, value=str(severity))
        summary.cell(row=line, column=3, value=len(found))
        summary.cell(row=line, column=4, value=registered.title if registered else "")
        places = list(
            dict.fromkeys(
                issue.cell or (cell_ref(0, issue.row) if issue.row is not None else "")
                for issue in found
            )
        )
        places = [place for place in places if place and place in marked]
        for offset, place in enumerate(places[:LINKS_PER_CODE]):
            cell = summary.cell(row=line, column=5 + offset, value=place)
            cell.hyperlink = Hyperlink(
                ref=cell.coordinate, location=f"{quoted}!{place}", display=place
            )
            cell.font = link_font
        if len(places) > LINKS_PER_CODE:
            summary.cell(
                row=line,
                column=5 + LINKS_PER_CODE,
                value=f"… and {len(places) - LINKS_PER_CODE} more",
            )
    if not order:
        summary.cell(row=2, column=1, value="no issues")
    summary.freeze_panes = "A2"
    for letter, width in zip("ABCD", (30, 9, 7, 70), strict=True):
        summary.column_dimensions[letter].width = width
