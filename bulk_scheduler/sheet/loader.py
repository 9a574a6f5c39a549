"""Load a campaign file into a ``Campaign``: the first stage of the flow in ``design.md``.

``load_campaign`` picks a reader by extension (``csv_reader`` for ``.csv``,
``.tsv`` and ``.txt``; ``xlsx_reader`` for ``.xlsx`` and ``.xlsm``), then does
what every format shares:

- Row 1 holds the headers. They are matched to the campaign columns of
  ``columns.py`` (case-insensitive, spaces/hyphens/underscores equal, aliases);
  result columns are recognised too, so a results sheet can be loaded again.
- Unknown headers are ``unknown-column`` warnings (with a "did you mean" when
  one is close); a column with values but no header is a ``blank-header``
  warning. Two headers meaning the same column, or a missing required column,
  make the file unusable.
- A workbook's ``groups`` tab (not the campaign's own) is read as its account groups
  (``groups.py``) into ``Campaign.groups``.
- Fully blank rows are skipped but keep their number: ``row_number`` is always
  the row the spreadsheet shows. Trailing blank columns are dropped.

A problem that makes the file unusable raises ``CampaignFileError`` with one line
that starts with the file's name as given; findings that do not stop the load
are in ``Campaign.issues``.

``campaign_from_cells`` does the same for cells already in memory (a pandas DataFrame's,
through ``dataframe.py``), so a frame and a file are read by one set of rules.

A campaign file may be hostile or broken, so the loader refuses what would
exhaust memory or time before it is read (limits in ``file_guard.py``): a file
over ``max_bytes`` (200 MB by default) or not a regular file, a workbook whose
zip declares too much, a sheet reaching further than 30 million cells, more
than 16,384 columns, a cell over 131,072 characters. Blank rows cost nothing
(a million-line CSV of commas loads in about a second).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import compress, islice, repeat
from operator import ne
from pathlib import Path

from bulk_scheduler.campaign import (
    Campaign,
    CampaignRow,
    CellValue,
    ColumnIndex,
    ColumnLetters,
    FileFormat,
    cell_ref,
)
from bulk_scheduler.errors import CampaignFileError
from bulk_scheduler.issues import RowIssue, error, warning
from bulk_scheduler.memory import collector_paused
from bulk_scheduler.sheet.columns import (
    HEADER_ALIASES,
    REQUIRED_COLUMNS,
    WRITTEN_RESULT_COLUMNS,
    canonical_column,
    normalize_header,
    result_block,
)
from bulk_scheduler.sheet.csv_reader import read_csv
from bulk_scheduler.sheet.file_guard import (
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_SHEET_CELLS,
    check_file_size,
)
from bulk_scheduler.sheet.groups import groups_tab_name, read_groups_tab
from bulk_scheduler.sheet.results import is_formula_like
from bulk_scheduler.sheet.xlsx_reader import read_xlsx

__all__ = ["SUPPORTED_EXTENSIONS", "campaign_from_cells", "load_campaign"]

SUPPORTED_EXTENSIONS: tuple[str, ...] = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
_EXCEL_EXTENSIONS = (".xlsx", ".xlsm")

# difflib ratio above which an unknown header earns a "did you mean" ('capton' -> 'caption').
_SUGGESTION_CUTOFF = 0.75
# difflib costs a fraction of a millisecond per header: a sheet of 16,000 junk headers
# gets its first ones suggested, then plain warnings.
_MAX_SUGGESTIONS = 100


def load_campaign(
    path: str | Path,
    sheet: str | None = None,
    required: Iterable[str] = REQUIRED_COLUMNS,
    max_rows: int | None = None,
    max_bytes: int | None = MAX_FILE_BYTES,
) -> Campaign:
    """Read a campaign file: one ``CampaignRow`` per non-blank row after the header.

    ``sheet`` names the workbook tab to read (default: the first; Excel files
    only). ``required`` lists the canonical columns that must be present (the
    caller drops ``accounts`` when default accounts are given). ``max_rows``
    caps the number of data rows; ``max_bytes`` the size of the file on disk
    (``MAX_FILE_BYTES``, 200 MB, by default; ``None`` for no limit). Raises
    ``CampaignFileError`` when the file cannot be used, including a hostile one
    (see ``file_guard``: zip bombs, far-away cells, huge cells, too many columns).

    >>> campaign = load_campaign("campaign.csv")  # doctest: +SKIP
    >>> campaign.rows[0].row_number, campaign.rows[0].cells["caption"]  # doctest: +SKIP
    (2, 'A2')
    """
    name = os.fspath(path)
    file = Path(path)
    extension = file.suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        shown = f"'{file.suffix}'" if file.suffix else "(no extension)"
        raise CampaignFileError(
            f"{name}: unsupported file type {shown}; use one of {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    if not file.exists():
        raise CampaignFileError(f"{name}: file not found")
    if file.is_dir():
        raise CampaignFileError(f"{name}: is a folder, not a campaign file")
    check_file_size(file, name, max_bytes)

    with collector_paused():
        source = _read(file, name, extension, sheet, max_bytes)
        campaign = _campaign(file, name, source, tuple(required), max_rows)
    tab = groups_tab_name(source.sheet_names, source.sheet_name)
    if tab is not None:
        campaign.groups = read_groups_tab(file, name, tab)
    return campaign


def campaign_from_cells(
    rows: list[list[CellValue]],
    name: str,
    *,
    format: FileFormat,
    container: str,
    required: Iterable[str] = REQUIRED_COLUMNS,
    max_rows: int | None = None,
) -> Campaign:
    """A campaign from cells already in memory, read exactly as a sheet's cells are:
    ``rows[0]`` holds the headers (row 1), ``rows[i]`` is row ``i + 1``; the same header
    matching, row numbering, issues and ``CampaignFileError`` messages as
    :func:`load_campaign`. ``name`` starts every message and becomes ``Campaign.path``
    (there is no file); ``container`` says what was read in them (``"the frame"`` where a
    file says ``"the file"``). Cells must already be values as the readers give them
    (blank as ``None``); ``rows`` may be changed in place.
    """
    source = _Source(format, rows, container=container)
    with collector_paused():
        return _campaign(Path(name), name, source, tuple(required), max_rows)


@dataclass(slots=True)
class _Source:
    """What a reader found, before headers are interpreted: ``rows[i]`` is sheet row ``i + 1``."""

    format: FileFormat
    rows: list[list[CellValue]]
    uncalculated: list[tuple[int, int]] = field(default_factory=list)
    sheet_name: str | None = None
    sheet_names: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","
    # What messages call the source when it has no sheet name.
    container: str = "the file"

    @property
    def where(self) -> str:
        return f"sheet '{self.sheet_name}'" if self.sheet_name is not None else self.container


def _read(
    file: Path, name: str, extension: str, sheet: str | None, max_bytes: int | None
) -> _Source:
    if extension in _EXCEL_EXTENSIONS:
        table = read_xlsx(file, name, sheet)
        return _Source(
            "xlsm" if extension == ".xlsm" else "xlsx",
            table.rows,
            table.uncalculated,
            sheet_name=table.sheet_name,
            sheet_names=table.sheet_names,
        )
    if sheet is not None:
        raise CampaignFileError(
            f"{name}: sheet '{sheet}' was asked for, but a {extension} file has no sheets"
        )
    text = read_csv(
        file, name, delimiter="\t" if extension == ".tsv" else None, max_bytes=max_bytes
    )
    tab_text = extension == ".tsv" or (extension == ".txt" and text.delimiter == "\t")
    return _Source(
        "tsv" if tab_text else "csv",
        text.rows,  # type: ignore[arg-type]  # list is invariant; str | None are CellValues
        encoding=text.encoding,
        delimiter=text.delimiter,
    )


def _campaign(
    file: Path, name: str, source: _Source, required: Sequence[str], max_rows: int | None
) -> Campaign:
    grid = source.rows
    if not grid or all(row.count(None) == len(row) for row in grid):
        raise CampaignFileError(f"{name}: {source.where} is empty")
    headers = [_header_text(value) for value in grid[0]]
    width = _width(headers, grid)
    if width > MAX_COLUMNS:
        raise CampaignFileError(
            f"{name}: {source.where} has {width:,} columns, more than the {MAX_COLUMNS:,} "
            "a spreadsheet can hold; is it a campaign sheet?"
        )
    if not any(headers):
        raise CampaignFileError(
            f"{name}: row 1 of {source.where} is blank; the first row must hold the column names"
        )
    headers += [""] * (width - len(headers))
    del headers[width:]

    columns = _match_headers(headers, name)
    if source.format in ("csv", "tsv") and "result" in columns:
        # A results sheet we wrote: undo the quote that kept formula-like text inert,
        # so a re-run sends the user's caption, not "'-50% off" (and a guarded header
        # does not gain a quote on every run).
        _strip_formula_guards(grid)
        headers = [_unguarded(header) for header in headers]
    missing = [column for column in required if column not in columns]
    if missing:
        listed = ", ".join(f"'{column}'" for column in missing)
        plural = "s" if len(missing) > 1 else ""
        in_sheet = f" in {source.where}" if source.sheet_name is not None else ""
        found = ", ".join(_shown(h) for h in headers if h.strip())
        raise CampaignFileError(
            f"{name}: missing required column{plural} {listed}{in_sheet} (found: {found})"
            + _typo_hint(headers, columns, missing)
        )

    index_to_column = {index: column for column, index in columns.items()}
    uncalculated = sorted(
        (row, index) for row, index in source.uncalculated if row > 1 and index in index_to_column
    )
    rows = _rows(
        grid, columns, width, {row for row, _ in uncalculated}, name, max_rows, source.where
    )
    issues = _header_issues(headers, columns, grid)
    if not rows:  # run refuses such a file as a whole, so the dry run reports it
        issues.append(error("no-data-rows", "no data rows below the header: nothing to send"))
    issues += [
        error(
            "formula-not-calculated",
            f"cell {cell_ref(index, row)} has a formula that was never calculated; "
            "open and save the file in Excel to calculate it",
            row=row,
            column=index_to_column[index],
            cell=cell_ref(index, row),
        )
        for row, index in uncalculated
    ]
    return Campaign(
        path=file,
        format=source.format,
        headers=headers,
        columns=columns,
        rows=rows,
        sheet_name=source.sheet_name,
        sheet_names=source.sheet_names,
        encoding=source.encoding,
        delimiter=source.delimiter,
        issues=issues,
    )


def _strip_formula_guards(grid: list[list[CellValue]]) -> None:
    for row in grid[1:]:
        for index, value in enumerate(row):
            if isinstance(value, str) and value[:1] == "'":
                row[index] = _unguarded(value)


def _unguarded(text: str) -> str:
    """Text as the user wrote it, without the ``'`` a results CSV put before it.

    The writer guards text that a spreadsheet would run once its leading quotes are
    set aside (``=1``, and the user's own ``'=1``, which becomes ``''=1``), so one
    quote comes off exactly when the text without its leading quotes is formula-like.
    """
    if text[:1] == "'" and is_formula_like(text.lstrip("'")):
        return text[1:]
    return text


def _shown(header: str) -> str:
    """A header as one line of a message: a header cell may hold new lines or tabs."""
    return " ".join(header.split())


def _header_text(value: CellValue) -> str:
    """A header cell as text ('' when blank); Excel headers may be numbers or dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


def _width(headers: list[str], grid: list[list[CellValue]]) -> int:
    """Columns that matter: up to the last header or the last cell with a value, if further."""
    width = max((i + 1 for i, header in enumerate(headers) if header.strip()), default=0)
    if max(map(len, islice(grid, 1, None)), default=0) <= width:  # nearly always
        return width
    for row in islice(grid, 1, None):
        extra = len(row) - width
        # Fast path: most rows are no wider than the headers, or blank beyond them.
        if extra > 0 and row[width:].count(None) < extra:
            width = max(i + 1 for i, value in enumerate(row) if value is not None)
    return width


def _match_headers(headers: list[str], name: str) -> dict[str, int]:
    """Canonical column -> 0-based index; two headers meaning one column is an error.

    Result columns are mapped only where the sheet is a results sheet this tool wrote
    (:func:`result_block`): a planner's own "Result" or "Post ID" column is the user's,
    never read as a result."""
    columns: dict[str, int] = {}
    block = result_block(headers)
    for index, header in enumerate(headers):
        if not header.strip():
            continue
        column = canonical_column(header)
        if column is None or column in WRITTEN_RESULT_COLUMNS:
            continue
        if column in columns:
            first = columns[column]
            raise CampaignFileError(
                f"{name}: columns '{_shown(headers[first])}' ({cell_ref(first, 1)}) and "
                f"'{_shown(header)}' ({cell_ref(index, 1)}) both mean '{column}'; keep one of them"
            )
        columns[column] = index
    columns.update(block or {})
    return columns


def _typo_hint(headers: list[str], columns: dict[str, int], missing: list[str]) -> str:
    """``"; did you mean 'caption' instead of 'capton' (B1)?"`` when a header looks like a typo."""
    for index, header in enumerate(headers):
        if header.strip() and canonical_column(header) is None:
            suggestion = _suggest(header, columns)
            if suggestion in missing:
                return (
                    f"; did you mean '{suggestion}' instead of '{_shown(header)}' "
                    f"({cell_ref(index, 1)})?"
                )
    return ""


def _header_issues(
    headers: list[str], columns: dict[str, int], grid: list[list[CellValue]]
) -> list[RowIssue]:
    """Warnings about headers: unknown names, and values under a blank header."""
    issues: list[RowIssue] = []
    blank = [index for index, header in enumerate(headers) if not header.strip()]
    with_values = _columns_with_values(grid, blank)
    suggestions_left = _MAX_SUGGESTIONS
    for index, header in enumerate(headers):
        ref = cell_ref(index, 1)
        shown = header.strip()
        if not shown:
            if index in with_values:
                letters = ref[:-1]
                issues.append(
                    warning(
                        "blank-header",
                        f"column {letters} has values but no header, so it is ignored; "
                        "give it a header to use it",
                        row=1,
                        cell=ref,
                    )
                )
        elif canonical_column(header) is None:
            suggestion = None
            if suggestions_left:
                suggestions_left -= 1
                suggestion = _suggest(header, columns)
            hint = f"; did you mean '{suggestion}'?" if suggestion else ""
            issues.append(
                warning(
                    "unknown-column",
                    f"unknown column '{shown}' is ignored{hint}",
                    row=1,
                    column=shown,
                    cell=ref,
                )
            )
    return issues


def _columns_with_values(grid: list[list[CellValue]], indexes: list[int]) -> set[int]:
    """Which of ``indexes`` hold a value in some data row.

    One pass over the cells from the first such index on, so a sheet with
    thousands of blank headers costs what its cells cost, not headers x rows.
    """
    if not indexes:
        return set()
    wanted = set(indexes)
    first = indexes[0]
    found: set[int] = set()
    for row in islice(grid, 1, None):
        if len(row) <= first:
            continue
        for index, value in enumerate(row[first:], start=first):
            if value is not None and index in wanted:
                found.add(index)
        if len(found) == len(wanted):
            break
    return found


def _suggest(header: str, taken: Container[str]) -> str | None:
    """The canonical column an unknown header most likely meant, unless it is already there."""
    matches = difflib.get_close_matches(
        normalize_header(header), list(HEADER_ALIASES), n=1, cutoff=_SUGGESTION_CUTOFF
    )
    if not matches:
        return None
    column = HEADER_ALIASES[matches[0]]
    return None if column in taken else column


def _rows_at_once(
    grid: list[list[CellValue]], width: int, index: ColumnIndex, letters: ColumnLetters, cap: int
) -> list[CampaignRow] | None:
    """:func:`_rows` for a sheet whose non-blank rows all have its width (nearly every
    sheet: both readers give rows as wide as they are written) and are no more than
    ``cap``, with each step mapped over the rows in C rather than looped over in Python;
    None for any other sheet (:func:`_rows` then says what is wrong, if anything)."""
    data = grid[1:]
    lengths = list(map(len, data))
    # A blank row is one whose every cell is None (the CSV reader's blank rows are []).
    filled = list(map(ne, map(list.count, data, repeat(None)), lengths))
    if False in filled:
        data = list(compress(data, filled))
        numbers: Iterable[int] = compress(range(2, len(grid) + 1), filled)
        lengths = list(compress(lengths, filled))
    else:
        numbers = range(2, len(grid) + 1)
    if len(lengths) > cap or (lengths and (min(lengths) != width or max(lengths) != width)):
        return None
    return list(map(CampaignRow, numbers, repeat(index), repeat(letters), data))


def _rows(
    grid: list[list[CellValue]],
    columns: dict[str, int],
    width: int,
    keep: set[int],
    name: str,
    max_rows: int | None,
    where: str = "the file",
) -> list[CampaignRow]:
    """One CampaignRow per non-blank data row (and per row in ``keep``), numbered as shown.

    Each row is padded to ``width``, so rows x width is held to ``MAX_SHEET_CELLS``:
    a header 16,000 columns wide over 200,000 one-cell lines would otherwise ask for
    3.2 billion cells.
    """
    # Shared by every row: each makes its values dict and cell references when asked.
    index = ColumnIndex(columns)
    letters = ColumnLetters({column: cell_ref(columns[column], 1)[:-1] for column in columns})
    grid_limit = MAX_SHEET_CELLS // max(width, 1)
    # One test a row for both limits; which one was passed is worked out after.
    cap = grid_limit if max_rows is None or max_rows < 0 else min(max_rows, grid_limit)
    if not keep:
        made = _rows_at_once(grid, width, index, letters, cap)
        if made is not None:
            return made
    rows: list[CampaignRow] = []
    append = rows.append
    for row_number, cells in enumerate(islice(grid, 1, None), start=2):
        size = len(cells)
        if cells.count(None) == size and row_number not in keep:
            continue
        if size != width:
            cells = cells[:width] if size > width else cells + [None] * (width - size)
        append(CampaignRow(row_number, index, letters, cells))
        if len(rows) > cap:
            if max_rows is not None and len(rows) == max_rows + 1:
                raise CampaignFileError(
                    f"{name}: more than {max_rows:,} data rows (the limit is {max_rows:,}); "
                    "split the file or raise the limit with --max-rows"
                )
            raise CampaignFileError(
                f"{name}: {where} has more than {grid_limit:,} data rows {width:,} columns "
                f"wide, over the {MAX_SHEET_CELLS:,} cells a campaign may hold; delete the "
                "columns it does not need, or split it"
            )
    return rows
