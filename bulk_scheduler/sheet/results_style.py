"""How the result columns look in an XLSX results sheet, shared by both writers: the new
workbook (``results_xlsx``) and the user's own workbook (``results_workbook``).

Kept apart from both so that the user's-workbook writer never imports openpyxl (and the
numpy it imports when installed): about 0.4 s that a results sheet need not pay.
"""

from __future__ import annotations

from datetime import date, datetime, time

from bulk_scheduler.campaign import CellValue

__all__ = [
    "HEADER_FILL_RGB",
    "MAX_WIDTH",
    "MIN_WIDTH",
    "NOTE_AUTHOR",
    "UTC_FORMAT",
    "WRAPPED_COLUMNS",
    "display_width",
]

MIN_WIDTH, MAX_WIDTH = 8, 60  # column widths, in characters
UTC_FORMAT = 'yyyy-mm-dd hh:mm:ss "UTC"'  # Excel has no time zones: the format says UTC
WRAPPED_COLUMNS = ("warnings", "error_message")
HEADER_FILL_RGB = "DDEBF7"
NOTE_AUTHOR = "bulk-scheduler"


def display_width(value: CellValue) -> int:
    """How many characters wide a value shows: its longest line, or its date's length."""
    if isinstance(value, str):
        return max(map(len, value.splitlines()), default=0) if "\n" in value else len(value)
    if isinstance(value, datetime):
        return 23 if value.tzinfo is not None else 19
    if isinstance(value, date | time):
        return 10
    return len(str(value))
