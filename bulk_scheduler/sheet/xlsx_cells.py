"""Cells as worksheet XML: a value and a style index in, a ``<c>`` element out.

Text is an inline string (``t="inlineStr"``), so new text needs no shared-strings table;
a text that a spreadsheet would run as a formula stays a string cell (its style carries
Excel's quote prefix). Dates are serial numbers in the workbook's own date system (1900
or 1904): the cell's number format shows them as dates.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from bulk_scheduler.campaign import CellValue
from bulk_scheduler.sheet.xlsx_xml import xml_text

__all__ = [
    "XLSX_TEXT_LIMIT",
    "CellRenderer",
    "clean_text",
    "column_index",
    "column_letters",
]

XLSX_TEXT_LIMIT = 32_767  # Excel's maximum characters in one cell
# What XML 1.0 cannot hold at all (control characters, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EPOCH_1900 = datetime(1899, 12, 30)  # serial 0 as Excel counts from 1 March 1900 on
_EPOCH_1904 = datetime(1904, 1, 1)
_DAY_SECONDS = 86_400


def clean_text(text: str) -> str:
    """Text a cell can hold: no characters XML forbids, at most 32,767 characters."""
    if _NOT_XML.search(text):
        text = _NOT_XML.sub("", text)
    return text[:XLSX_TEXT_LIMIT]


@lru_cache(maxsize=4096)
def column_letters(index: int) -> str:
    """``0`` -> ``"A"``, ``27`` -> ``"AB"``."""
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@lru_cache(maxsize=4096)
def column_index(letters: str) -> int:
    """``"AB"`` -> ``27`` (case-insensitive)."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


class CellRenderer:
    """Renders cells for one workbook (its date system)."""

    def __init__(self, date1904: bool = False) -> None:
        self._epoch = _EPOCH_1904 if date1904 else _EPOCH_1900

    def cell(self, prefix: str, ref: str, value: CellValue, style: int | str | None) -> str:
        """The ``<c>`` element for ``value`` at ``ref`` ("" for a blank cell with no style).

        ``prefix`` is the namespace prefix of the row (``"x:"``, usually ``""``).
        """
        s = "" if style is None else f' s="{style}"'
        if value is None:
            return f'<{prefix}c r="{ref}"{s}/>' if s else ""
        if isinstance(value, str):
            return self._text(prefix, ref, value, s)
        if isinstance(value, bool):
            return f'<{prefix}c r="{ref}"{s} t="b"><{prefix}v>{int(value)}</{prefix}v></{prefix}c>'
        if isinstance(value, int):
            return f'<{prefix}c r="{ref}"{s}><{prefix}v>{value}</{prefix}v></{prefix}c>'
        if isinstance(value, float):
            if not math.isfinite(value):
                return self._text(prefix, ref, str(value), s)
            return f'<{prefix}c r="{ref}"{s}><{prefix}v>{value!r}</{prefix}v></{prefix}c>'
        serial = self.serial(value)
        return f'<{prefix}c r="{ref}"{s}><{prefix}v>{serial!r}</{prefix}v></{prefix}c>'

    def serial(self, value: datetime | date | time) -> float | int:
        """A date, time or date-time as Excel's serial number; an aware time in UTC."""
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            delta = value - self._epoch
        elif isinstance(value, date):
            return (value - self._epoch.date()).days
        else:
            delta = timedelta(
                hours=value.hour,
                minutes=value.minute,
                seconds=value.second,
                microseconds=value.microsecond,
            )
        return delta.days + (delta.seconds + delta.microseconds / 1e6) / _DAY_SECONDS

    @staticmethod
    def _text(prefix: str, ref: str, value: str, s: str) -> str:
        text = clean_text(value)
        # Leading or trailing white space is kept only when the element says so.
        space = (
            ' xml:space="preserve"' if text and (text[0].isspace() or text[-1].isspace()) else ""
        )
        return (
            f'<{prefix}c r="{ref}"{s} t="inlineStr"><{prefix}is><{prefix}t{space}>'
            f"{xml_text(text)}</{prefix}t></{prefix}is></{prefix}c>"
        )
