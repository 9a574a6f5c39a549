"""Where a sheet's header is: planners put a title, a subtitle or notes above it.

The header is the first row, among the first :data:`HEADER_SEARCH_ROWS`, that holds every
required column (recognised as the loader recognises headers: ``columns.canonical_column``,
and a separate date and time column standing for ``scheduled_at``). Rows above it are not
part of the campaign. ``--header-row`` names the row instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from bulk_scheduler.campaign import CellValue
from bulk_scheduler.sheet.columns import canonical_column
from bulk_scheduler.sheet.date_time_columns import date_time_pair

__all__ = ["HEADER_SEARCH_ROWS", "find_header_row", "header_text", "holds_columns"]

# How far down the header is looked for.
HEADER_SEARCH_ROWS = 30


def header_text(value: CellValue) -> str:
    """A header cell as text ('' when blank); Excel headers may be numbers or dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


def holds_columns(row: Sequence[CellValue], required: Sequence[str]) -> bool:
    """Whether ``row``, read as a header, names every column of ``required``."""
    headers = [value if isinstance(value, str) else "" for value in row]
    found = {canonical_column(header) for header in headers if header.strip()}
    if date_time_pair(headers) is not None:
        found.add("scheduled_at")
    return all(column in found for column in required)


def find_header_row(grid: Sequence[Sequence[CellValue]], required: Sequence[str]) -> int | None:
    """The 0-based index of the header row in ``grid``, or None when none of the first
    :data:`HEADER_SEARCH_ROWS` rows holds the ``required`` columns."""
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        if row and any(isinstance(value, str) for value in row) and holds_columns(row, required):
            return index
    return None
