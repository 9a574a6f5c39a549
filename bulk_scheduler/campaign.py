"""A campaign as loaded from its sheet: rows of values with their cell references."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from operator import itemgetter
from pathlib import Path
from typing import Literal

from bulk_scheduler.issues import RowIssue

# A cell as the user sees it: text, a number, a boolean, a date/time cell, or blank (None).
CellValue = str | int | float | bool | datetime | date | time | None

# "dataframe": cells taken from a pandas DataFrame (``sheet/dataframe.py``), not a file.
FileFormat = Literal["csv", "tsv", "xlsx", "xlsm", "dataframe", "xls", "ods"]


def cell_ref(column_index: int, row_number: int) -> str:
    """``cell_ref(2, 14)`` -> ``"C14"`` (column_index is 0-based, row_number as shown)."""
    letters = ""
    n = column_index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row_number}"


class ColumnLetters(dict[str, str]):
    """The column letters of a sheet's canonical columns (``{"caption": "B", ...}``),
    shared by its rows: a :class:`CampaignRow` given these as ``cells`` makes its cell
    references from them when asked."""


class ColumnIndex(dict[str, int]):
    """Where a sheet's canonical columns sit in its rows (``{"caption": 1, ...}``), shared
    by its rows: a :class:`CampaignRow` given this as ``values`` reads them from its cells
    when asked, and :func:`column_values` reads a column of many rows at once."""


class CellRefs(Mapping[str, str]):
    """A row's cell references (``{"caption": "B14", ...}``), made on demand from the
    columns' letters, which every row of a sheet shares: 100,000 rows would otherwise hold
    100,000 dicts of short strings."""

    __slots__ = ("_letters", "_row")

    def __init__(self, letters: Mapping[str, str], row_number: int) -> None:
        self._letters = letters
        self._row = row_number

    def __getitem__(self, column: str) -> str:
        return f"{self._letters[column]}{self._row}"

    def __iter__(self) -> Iterator[str]:
        return iter(self._letters)

    def __len__(self) -> int:
        return len(self._letters)

    def __repr__(self) -> str:
        return repr(dict(self))


class CampaignRow:
    """One post: the row's values keyed by canonical column name.

    ``row_number`` is the sheet row as the spreadsheet shows it (header = 1).
    ``cells`` maps each canonical column to its cell reference (``"C14"``); the loader
    gives the sheet's shared :class:`ColumnLetters` instead, and the references are made
    when ``cells`` is read (only rows with a problem need them).
    ``values`` maps each canonical column to its value; the loader gives the sheet's
    shared :class:`ColumnIndex` instead, and the dict is made from ``original`` the first
    time ``values`` is read (the planner reads whole columns without it).
    ``original`` holds every cell of the row, in the sheet's column order,
    for the results sheet to write back unchanged.
    """

    __slots__ = ("_cells", "_values", "original", "row_number")

    def __init__(
        self,
        row_number: int,
        values: dict[str, CellValue] | ColumnIndex,
        cells: Mapping[str, str],
        original: list[CellValue],
    ) -> None:
        self.row_number = row_number
        self._values = values
        self._cells = cells
        self.original = original

    @property
    def values(self) -> dict[str, CellValue]:
        values = self._values
        if type(values) is ColumnIndex:
            original = self.original
            made = {column: original[index] for column, index in values.items()}
            self._values = made
            return made
        return values  # type: ignore[return-value]  # a dict once made

    @values.setter
    def values(self, values: dict[str, CellValue]) -> None:
        self._values = values

    @property
    def cells(self) -> Mapping[str, str]:
        cells = self._cells
        if type(cells) is ColumnLetters:
            return CellRefs(cells, self.row_number)
        return cells

    @cells.setter
    def cells(self, cells: Mapping[str, str]) -> None:
        self._cells = cells

    def text(self, column: str) -> str:
        """The value as stripped text ('' when blank); dates and numbers as the user sees them."""
        return cell_text(self.values.get(column)).strip()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CampaignRow):
            return NotImplemented
        return (self.row_number, self.values, self.original) == (
            other.row_number,
            other.values,
            other.original,
        ) and dict(self.cells) == dict(other.cells)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaced

    def __repr__(self) -> str:
        return (
            f"CampaignRow(row_number={self.row_number!r}, values={self.values!r}, "
            f"cells={self.cells!r}, original={self.original!r})"
        )


def column_values(rows: Sequence[CampaignRow], columns: Sequence[str]) -> list[Sequence[CellValue]]:
    """For each of ``columns``, ``[row.values.get(column) for row in rows]``; read straight
    from the rows' cells when they share one :class:`ColumnIndex` (rows as loaded, whose
    values dicts were never made): no dict per row."""
    shared = rows[0]._values if rows else None
    if type(shared) is ColumnIndex and all(row._values is shared for row in rows):
        wanted = sorted({shared[column] for column in columns if column in shared})
        cells: list[Sequence[CellValue]] = [row.original for row in rows]
        if 1 < len(wanted) < len(cells[0]) // 2:  # a wide sheet: keep only what is asked
            cells = list(map(itemgetter(*wanted), cells))
            position = {index: n for n, index in enumerate(wanted)}
        else:
            position = {index: index for index in wanted}
        # Transposed in one C call: far cheaper than one pass over the rows per column.
        # Loaded rows all have the sheet's width; zip stops at the shortest, so check.
        transposed = list(zip(*cells, strict=False))
        if all(n < len(transposed) for n in position.values()):
            blank = [None] * len(rows)
            return [
                transposed[position[shared[column]]] if column in shared else blank
                for column in columns
            ]
    return [[row.values.get(column) for row in rows] for column in columns]


def cell_text(value: CellValue) -> str:
    """A cell as the text a user sees, not stripped: ``884`` and ``884.0`` -> ``"884"``,
    booleans ``TRUE``/``FALSE``, dates ISO 8601, blank -> ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


@dataclass(slots=True)
class Campaign:
    """A loaded campaign: a file, or a DataFrame's cells.

    ``headers`` are the sheet's headers as written, in order; ``columns`` maps
    each recognised canonical column to its 0-based index. ``issues`` holds
    file-level findings (unknown headers, say) that do not stop the load.

    ``shown`` (empty once loaded) is set by the launch for the results sheet.

    ``path`` is the file as given. A campaign made from a DataFrame has ``format``
    ``"dataframe"`` and no file: its ``path`` is the name it was given
    (``Path("dataframe")`` by default), so that messages and reports that name the
    campaign still read well; nothing exists at that path.
    """

    path: Path
    format: FileFormat
    headers: list[str]
    columns: dict[str, int]
    rows: list[CampaignRow]
    sheet_name: str | None = None
    sheet_names: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","
    issues: list[RowIssue] = field(default_factory=list)
    # Cells the results sheet shows for a row instead of ``original`` (row number ->
    # cells in column order): the cells that were sent for its post, from the journal,
    # where the sheet now holds others or has no row for it.
    shown: dict[int, list[CellValue]] = field(default_factory=dict)
    # The account groups of the workbook's ``groups`` tab (name -> accounts as written),
    # None when it has none (``sheet/groups.py``).
    groups: dict[str, tuple[str, ...]] | None = None
    # The sheet row holding the headers (1-based), and the rows above it as read (a
    # planner's title and notes), which the results sheet keeps.
    header_row: int = 1
    above_header: list[list[CellValue]] = field(default_factory=list)
    # How the file was read, when it was not the obvious way, one line each for the
    # output: "header on row 4", "using tab 'Plan' (...)", "read as Windows-1252".
    notes: list[str] = field(default_factory=list)
    # The rows the sheet hides that were not read (``--include-hidden`` reads them): not
    # sent, but still the sheet's rows, which the results sheet must not take for free.
    hidden: list[CampaignRow] = field(default_factory=list)
