"""Cells as worksheet XML: a value and a style index in, a ``<c>`` element out.

Text is an inline string (``t="inlineStr"``), so new text needs no shared-strings table;
a text that a spreadsheet would run as a formula stays a string cell (its style carries
Excel's quote prefix). Dates are serial numbers in the workbook's own date system (1900
or 1904): the cell's number format shows them as dates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

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
# What text cannot be written as it is: characters to drop or escape (a carriage return
# as a reference, or a parser would read a new line).
_NOT_PLAIN = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_SPACE = " \t\n\r"
_EPOCH_1900 = datetime(1899, 12, 30)  # serial 0 as Excel counts from 1 March 1900 on
_EPOCH_1904 = datetime(1904, 1, 1)
_DAY_SECONDS = 86_400


def clean_text(text: str) -> str:
    """Text a cell can hold: no characters XML forbids, at most 32,767 characters."""
    if _NOT_XML.search(text):
        text = _NOT_XML.sub("", text)
    return text if len(text) <= XLSX_TEXT_LIMIT else text[:XLSX_TEXT_LIMIT]


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
        self._epoch_utc = self._epoch.replace(tzinfo=UTC)
        self._style_attributes: dict[int | str | None, str] = {None: ""}
        # prefix -> (column, style) -> the fixed parts of a cell (see _template).
        self._templates: dict[str, dict[tuple[int, int | str | None], tuple[str, ...]]] = {}

    def cell(self, prefix: str, ref: str, value: CellValue, style: int | str | None) -> str:
        """The ``<c>`` element for ``value`` at ``ref`` ("" for a blank cell with no style).

        ``prefix`` is the namespace prefix of the row (``"x:"``, usually ``""``).
        """
        s = self._style_attribute(style)
        if value is None:
            return f'<{prefix}c r="{ref}"{s}/>' if s else ""
        if isinstance(value, str):
            return _text_cell(prefix, ref, value, s)
        if isinstance(value, bool):
            return f'<{prefix}c r="{ref}"{s} t="b"><{prefix}v>{int(value)}</{prefix}v></{prefix}c>'
        if isinstance(value, int):
            return f'<{prefix}c r="{ref}"{s}><{prefix}v>{value}</{prefix}v></{prefix}c>'
        if isinstance(value, float):
            if not math.isfinite(value):
                return _text_cell(prefix, ref, str(value), s)
            return f'<{prefix}c r="{ref}"{s}><{prefix}v>{value!r}</{prefix}v></{prefix}c>'
        serial = self.serial(value)
        return f'<{prefix}c r="{ref}"{s}><{prefix}v>{serial!r}</{prefix}v></{prefix}c>'

    def cells(
        self,
        prefix: str,
        row_number: int,
        updates: Mapping[int, tuple[CellValue, int | str | None]],
        columns: Iterable[int],
    ) -> str:
        """The cells of ``updates`` at ``columns`` of row ``row_number``, in that order.

        The same as :meth:`cell` for each; plain text, whole numbers and date-times (nearly
        every new cell) are written from templates made once per column and style: this
        runs for every row of the sheet.
        """
        suffix = str(row_number)
        parts = []
        templates = self._templates.get(prefix)
        if templates is None:
            templates = self._templates[prefix] = {}
        for column in columns:
            value: Any  # a CellValue, its type tested once below
            value, style = updates[column]
            template = templates.get((column, style))
            if template is None:
                template = templates[column, style] = self._template(prefix, column, style)
            kind = type(value)
            if kind is str:
                # Plain text: nothing to drop or escape, no white space at either end (with
                # no control character, "> ' '" says just that).
                if (
                    value
                    and value[0] > " "
                    and value[-1] > " "
                    and len(value) <= XLSX_TEXT_LIMIT
                    and not _NOT_PLAIN.search(value)
                ):
                    parts.append(f"{template[0]}{suffix}{template[1]}{value}{template[2]}")
                    continue
            elif kind is int:
                parts.append(f"{template[0]}{suffix}{template[3]}{value}{template[4]}")
                continue
            elif kind is datetime and value.tzinfo is UTC:
                # A UTC time (every result time) from the epoch as UTC: no conversion.
                delta = value - self._epoch_utc
                serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / _DAY_SECONDS
                parts.append(f"{template[0]}{suffix}{template[3]}{serial!r}{template[4]}")
                continue
            parts.append(self.cell(prefix, column_letters(column) + suffix, value, style))
        return "".join(parts)

    def _template(self, prefix: str, column: int, style: int | str | None) -> tuple[str, ...]:
        """The fixed parts of a text cell and of a number cell at ``column`` with ``style``:
        (start up to the row number, text start, text end, number start, number end)."""
        s = self._style_attribute(style)
        return (
            f'<{prefix}c r="{column_letters(column)}',
            f'"{s} t="inlineStr"><{prefix}is><{prefix}t>',
            f"</{prefix}t></{prefix}is></{prefix}c>",
            f'"{s}><{prefix}v>',
            f"</{prefix}v></{prefix}c>",
        )

    def _style_attribute(self, style: int | str | None) -> str:
        attribute = self._style_attributes.get(style)
        if attribute is None:
            attribute = self._style_attributes[style] = f' s="{style}"'
        return attribute

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


def _text_cell(prefix: str, ref: str, value: str, s: str) -> str:
    text = clean_text(value)
    # Leading or trailing white space is kept only when the element says so.
    space = (
        ' xml:space="preserve"'
        if text and (text[0] in _XML_SPACE or text[-1] in _XML_SPACE)
        else ""
    )
    return (
        f'<{prefix}c r="{ref}"{s} t="inlineStr"><{prefix}is><{prefix}t{space}>'
        f"{xml_text(text)}</{prefix}t></{prefix}is></{prefix}c>"
    )
