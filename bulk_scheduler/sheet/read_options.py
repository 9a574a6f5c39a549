"""How to read a campaign file, beyond which tab: the options a user gives when the
automatic reading gets a sheet wrong (``--header-row``, ``--encoding``,
``--include-hidden``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ReadOptions"]


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """``header_row``: the sheet row holding the column names (1-based; default: the first
    of the first 30 rows that holds the required columns). ``encoding``: a codec name a
    delimited file is read in (default: UTF-8, else the one detected). ``include_hidden``:
    send the rows a workbook hides (by hand or with a filter), which are skipped by default.
    """

    header_row: int | None = None
    encoding: str | None = None
    include_hidden: bool = False
