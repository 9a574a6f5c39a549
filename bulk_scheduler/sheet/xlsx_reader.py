"""Read one sheet of an Excel workbook (``.xlsx``/``.xlsm``) into rows of cells.

python-calamine reads the cells (fast, in Rust); this module turns them into
values as the user sees them in Excel and fills in what calamine does not report:

- Text stays text (blank or whitespace-only cells become ``None``); numbers are
  ``int`` when integral (``884``, never ``884.0``), else ``float``; booleans are
  ``bool``; date cells stay ``datetime``/``date``/``time``; durations become
  ``"H:MM:SS"`` text.
- Formula cells give their cached value (what Excel last calculated). A formula
  that was never calculated has no cached value; its cell is reported in
  ``XlsxTable.uncalculated`` so the loader can say so instead of reading a blank.
- Error cells (``#N/A``, ``#DIV/0!``...) keep their error text, which calamine
  drops; the validator then names the cell rather than the row looking blank.
- Merged cells: a range merged down several rows (one ``accounts`` or
  ``scheduled_at`` cell over rows 2-5, say) gives its top-left value to every
  row of the range's first column, because that is what the user sees beside
  each of those rows. Other columns of a merged range stay blank: a merge across
  columns is layout, and copying a caption into the next column would invent data.
  Merges that start in the header row are left alone.

- Hidden rows (``<row hidden="1">``: hidden by hand, or filtered out by an
  autofilter, which Excel records alike) are listed in ``XlsxTable.hidden_rows``.
- Links: a cell's hyperlink (``<hyperlink ref="D2" r:id=...>``, its address in the
  sheet's relationships) and a ``=HYPERLINK("url", ...)`` formula give
  ``XlsxTable.links``; the loader decides where a link stands for the cell.

Formulas, error cells, hidden rows and links are found by streaming the sheet's XML
from the zip, and only when a quick byte scan finds a ``<f>``, ``t="e"``,
``hidden=`` or ``hyperlink`` at all, so plain sheets pay one decompression pass and
nothing more. Small parts (workbook,
relationships) are parsed with defusedxml; the sheet itself, once the byte scan
has refused any DTD, with the stdlib's C parser for speed.

A hostile workbook is refused before calamine touches it (``file_guard``): its zip
directory is checked before the workbook is opened (a zip bomb), and the byte
scan above also measures how far every part's cells reach before the sheet is
loaded (calamine allocates A1 to the last cell at once: one value in ``XFD1048576``
would abort the process). Entities are never expanded: calamine's XML reader
refuses custom entities, and the sheet scan refuses a DTD.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

import python_calamine
from defusedxml import ElementTree as SafeET

from bulk_scheduler.campaign import CellValue, cell_ref
from bulk_scheduler.errors import CampaignFileError
from bulk_scheduler.sheet.file_guard import (
    DEFAULT_ARCHIVE_LIMITS,
    MAX_CELL_CHARS,
    MAX_SHEET_CELLS,
    ZIP_DIRECTORY_ERRORS,
    ArchiveLimits,
    check_workbook_archive,
    check_workbook_cells,
)


@dataclass(slots=True)
class XlsxTable:
    """The cells of one sheet: ``rows[i]`` is sheet row ``i + 1``, column ``j`` is letter ``j``.

    ``uncalculated`` lists ``(row_number, column_index)`` of formula cells with no
    cached value. ``hidden_rows`` lists the rows hidden by hand or by a filter (Excel
    marks both alike). ``links`` maps ``(row_number, column_index)`` to the web address a
    cell links to: a hyperlink on the cell, or a ``=HYPERLINK("url", "text")`` formula.
    """

    rows: list[list[CellValue]]
    sheet_name: str
    sheet_names: list[str]
    uncalculated: list[tuple[int, int]] = field(default_factory=list)
    hidden_rows: list[int] = field(default_factory=list)
    links: dict[tuple[int, int], str] = field(default_factory=dict)


def read_xlsx(
    path: Path,
    name: str,
    sheet: str | None = None,
    *,
    archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
    max_cells: int = MAX_SHEET_CELLS,
) -> XlsxTable:
    """Read sheet ``sheet`` (default: the first) of the workbook at ``path``.

    ``name`` is the file as the user gave it, for messages. Raises
    ``CampaignFileError`` for an unreadable workbook or an unknown sheet, and for a
    hostile one (``file_guard``): a zip directory declaring more than
    ``archive_limits``, a sheet reaching further than ``max_cells`` cells, a cell
    longer than ``MAX_CELL_CHARS``.
    """
    # Before calamine opens it: opening inflates the shared strings.
    check_workbook_archive(path, name, archive_limits)
    try:
        with open_workbook(path) as workbook:
            sheet_names = list(workbook.sheet_names)
            chosen = choose_sheet(sheet_names, sheet, name)
            # Before calamine loads the sheet: it allocates every cell from A1 to the last.
            formulas_part, largest_part = inspect_workbook(path, chosen, name, max_cells)
            calamine_sheet = workbook.get_sheet_by_name(chosen)
            # skip_empty_area=False keeps row/column indexes absolute (A1 = [0][0]).
            raw = calamine_sheet.to_python(skip_empty_area=False)
            merged = calamine_sheet.merged_cell_ranges or []
    except python_calamine.PasswordError as exc:
        raise CampaignFileError(
            f"{name}: is password-protected; save a copy without a password"
        ) from exc
    except python_calamine.ZipError as exc:
        # Typically a CSV or an old .xls saved under a .xlsx name.
        raise CampaignFileError(
            f"{name}: is not an Excel workbook ({_one_line(exc)}); open it and save it as .xlsx"
        ) from exc
    except python_calamine.CalamineError as exc:
        problem = _one_line(exc)
        if "entity" in problem:
            # calamine refuses custom entities rather than expanding them (billion
            # laughs, or a SYSTEM entity reading a local file): say what it means.
            problem = f"it uses XML entities, which Excel never writes: {problem}"
        raise CampaignFileError(f"{name}: cannot be read as an Excel workbook ({problem})") from exc
    rows = convert_rows(raw)
    if largest_part > MAX_CELL_CHARS:  # else no part could hold a text that long
        _refuse_long_text(rows, name)
    marks = scan_formulas_and_errors(path, formulas_part, name)
    uncalculated, errors = marks.uncalculated, marks.errors
    for row_number, column, text in errors:
        _put(rows, row_number - 1, column, text)
    for row_number, column in uncalculated:
        # No value means calamine may not have reached this cell; make sure the row exists.
        _put(rows, row_number - 1, column, None)
    fill_merged_ranges(rows, merged)
    return XlsxTable(rows, chosen, sheet_names, uncalculated, marks.hidden_rows, marks.links)


def open_workbook(path: Path) -> python_calamine.CalamineWorkbook:
    """calamine's workbook at ``path``. calamine picks its reader by the extension when it
    knows it, so a file named for another format than it is (an ``.xls`` renamed
    ``.xlsx``) is opened from its bytes, which calamine reads by content."""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        from bulk_scheduler.sheet.file_kind import kind_of_extension, sniff_kind

        actual = sniff_kind(path)
        if actual in ("xlsx", "xls", "ods") and actual != kind_of_extension(path.suffix.lower()):
            with path.open("rb") as handle:
                return python_calamine.CalamineWorkbook.from_filelike(handle)
    return python_calamine.CalamineWorkbook.from_path(path)


def inspect_workbook(
    path: Path, sheet_name: str, name: str, max_cells: int
) -> tuple[str | None, int]:
    """Guard the workbook's cells, and find out whether ``sheet_name`` needs a formula scan.

    One pass over every part (``file_guard.check_workbook_cells``) refuses cells
    reaching too far and a sheet that declares a DTD. Returns the sheet's part when
    it has formulas or error cells (see ``scan_formulas_and_errors``, else None),
    and the size of the largest part once inflated.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_part(archive, sheet_name)
            mentions = _Mentions(part)
            check_workbook_cells(
                archive,
                name,
                labels={part: f"sheet '{sheet_name}'"} if part else None,
                visit=mentions.feed,
                max_cells=max_cells,
            )
            largest = max((member.file_size for member in archive.infolist()), default=0)
    except _ARCHIVE_ERRORS as exc:
        raise CampaignFileError(
            f"{name}: cannot be read as an Excel workbook ({_one_line(exc)})"
        ) from exc
    return (part if mentions.found else None), largest


def _refuse_long_text(rows: list[list[CellValue]], name: str) -> None:
    """A cell longer than ``MAX_CELL_CHARS`` is refused, as the CSV reader refuses one."""
    limit = MAX_CELL_CHARS
    # One comprehension over every cell is several times faster than a loop that stops early.
    if max([len(v) for row in rows for v in row if type(v) is str], default=0) <= limit:
        return
    for index, row in enumerate(rows):
        for column, value in enumerate(row):
            if type(value) is str and len(value) > limit:
                raise CampaignFileError(
                    f"{name}: cell {cell_ref(column, index + 1)} holds {len(value):,} "
                    f"characters, more than the {limit:,} a campaign cell may hold"
                )


def choose_sheet(sheet_names: list[str], wanted: str | None, name: str) -> str:
    """The sheet to read: ``wanted`` (exact, else the one case-insensitive match), or the first."""
    if not sheet_names:
        raise CampaignFileError(f"{name}: the workbook has no sheets")
    if wanted is None:
        return sheet_names[0]
    if wanted in sheet_names:
        return wanted
    folded = [s for s in sheet_names if s.strip().casefold() == wanted.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    raise CampaignFileError(f"{name}: no sheet named '{wanted}' (sheets: {', '.join(sheet_names)})")


def convert_rows(raw: list[list[object]]) -> list[list[CellValue]]:
    """calamine's cells -> values as the user sees them (see the module docstring)."""
    convert = _convert
    # Most cells are text; test for that inline and call out only for the rest.
    return [
        [
            (None if not value or value.isspace() else value)
            if type(value) is str
            else convert(value)
            for value in row
        ]
        for row in raw
    ]


def _convert(value: object) -> CellValue:
    if type(value) is float:
        return int(value) if value.is_integer() else value
    if isinstance(value, timedelta):
        return _duration_text(value)
    return value  # type: ignore[return-value]  # int, bool, datetime, date, time


def _duration_text(value: timedelta) -> str:
    """``timedelta(hours=26, minutes=5)`` -> ``"26:05:00"``, as Excel's ``[h]:mm:ss`` shows it."""
    seconds = round(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}"


def fill_merged_ranges(
    rows: list[list[CellValue]], merged: list[tuple[tuple[int, int], tuple[int, int]]]
) -> None:
    """Give each range's top-left value to every row of its first column (0-based corners)."""
    for (top, left), (bottom, _right) in merged:
        if top == 0 or bottom <= top or top >= len(rows):
            continue  # header merges, single-row merges, or nothing there to copy
        value = rows[top][left] if left < len(rows[top]) else None
        if value is None:
            continue
        # A range running past the last row with data would only invent rows.
        for index in range(top + 1, min(bottom, len(rows) - 1) + 1):
            _put(rows, index, left, value)


def _put(rows: list[list[CellValue]], row_index: int, column: int, value: CellValue) -> None:
    """Set a cell, growing the grid when the cell lies past calamine's data area."""
    while len(rows) <= row_index:
        # Empty, not padded: the loader pads the rows it keeps, and a far-away cell
        # must not multiply the sheet's width by a million rows.
        rows.append([])
    row = rows[row_index]
    if len(row) <= column:
        row.extend([None] * (column + 1 - len(row)))
    row[column] = value


# --- the sheet XML: formulas without cached values, and error cells -------------------------

# Transitional (Excel, openpyxl, LibreOffice) and Strict OOXML namespaces.
_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)


def _tags(local: str) -> frozenset[str]:
    return frozenset({local} | {f"{{{namespace}}}{local}" for namespace in _NAMESPACES})


_ROW_TAGS = _tags("row")
_CELL_TAGS = _tags("c")
_FORMULA_TAGS = _tags("f")
_VALUE_TAGS = _tags("v")
_ROOT_PREFIX = re.compile(rb"<(?:([A-Za-z_][\w.\-]*:))?worksheet[\s>]")
_REF = re.compile(r"([A-Za-z]{1,3})(\d+)")
_OFFICE_DOCUMENT = "/officeDocument"
_ID_ATTRIBUTE_SUFFIX = "}id"
# What a damaged or hostile zip/XML can raise (defusedxml refusals are ValueErrors).
_ARCHIVE_ERRORS = (
    *ZIP_DIRECTORY_ERRORS,  # RuntimeError: an encrypted member; NotImplementedError: a method
    KeyError,
    zlib.error,
    SafeET.ParseError,
)


@dataclass(slots=True)
class SheetMarks:
    """What the sheet XML says that calamine does not report (see ``_scan_cells``)."""

    uncalculated: list[tuple[int, int]] = field(default_factory=list)
    errors: list[tuple[int, int, str]] = field(default_factory=list)
    hidden_rows: list[int] = field(default_factory=list)
    links: dict[tuple[int, int], str] = field(default_factory=dict)


def scan_formulas_and_errors(path: Path, part: str | None, name: str) -> SheetMarks:
    """Formula cells with no cached value, error cells with their text, hidden rows and
    links, in one sheet part.

    ``uncalculated`` holds ``(row_number, column_index)``, ``errors``
    ``(row_number, column_index, "#N/A")``; ``part=None`` (the sheet has none of these, or
    its part cannot be located) returns nothing: calamine has already read the values,
    and this is a refinement.
    """
    if part is None:
        return SheetMarks()
    try:
        with zipfile.ZipFile(path) as archive:
            with archive.open(part) as stream:
                marks, link_ids = _scan_cells(stream)
            if link_ids:
                targets = _external_targets(archive, part)
                for cell, relationship in link_ids.items():
                    target = targets.get(relationship)
                    if target is not None:
                        marks.links.setdefault(cell, target)
            return marks
    except _ARCHIVE_ERRORS as exc:
        raise CampaignFileError(
            f"{name}: cannot be read as an Excel workbook ({_one_line(exc)})"
        ) from exc


def sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The zip member holding ``sheet_name``'s XML, found through the workbook's relationships."""
    workbook = _office_document(archive)
    if workbook is None or workbook not in archive.NameToInfo:
        return None
    relationship_id = None
    for element in SafeET.fromstring(archive.read(workbook)).iter():
        if _local(element.tag) == "sheet" and element.get("name") == sheet_name:
            relationship_id = next(
                (v for k, v in element.attrib.items() if k.endswith(_ID_ATTRIBUTE_SUFFIX)), None
            )
            break
    if relationship_id is None:
        return None
    folder = posixpath.dirname(workbook)
    rels = posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels")
    if rels not in archive.NameToInfo:
        return None
    for element in SafeET.fromstring(archive.read(rels)):
        if element.get("Id") == relationship_id:
            return _resolve(folder, element.get("Target", ""))
    return None


def _office_document(archive: zipfile.ZipFile) -> str | None:
    if "_rels/.rels" not in archive.NameToInfo:
        return "xl/workbook.xml"
    for element in SafeET.fromstring(archive.read("_rels/.rels")):
        if element.get("Type", "").endswith(_OFFICE_DOCUMENT):
            return _resolve("", element.get("Target", ""))
    return None


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


class _Mentions:
    """A byte scan of one part: does it have formulas or error cells at all?

    Far cheaper than parsing, and most campaign sheets have neither. Only patterns
    that start with a literal are searched for, which ``re`` and ``in`` find at memory
    speed; an alternation would be ten times slower. The same pass refuses a DTD,
    which a worksheet never has, so the full scan can use the fast C parser without
    entity tricks (``_scan_cells``). Chunks are tag-aligned, so no pattern straddles two.
    """

    def __init__(self, part: str | None) -> None:
        self.part = part
        self.found = False
        self._formula: re.Pattern[bytes] | None = None

    def feed(self, part: str, chunk: bytes) -> None:
        if part != self.part:
            return
        if self._formula is None:
            # Writers such as the OpenXML SDK prefix every tag (<x:c>, <x:f>).
            root = _ROOT_PREFIX.search(chunk)
            prefix = root.group(1) if root and root.group(1) else b""
            self._formula = re.compile(b"<" + re.escape(prefix) + rb"f[\s>/]")
        if b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk:
            raise ValueError(f"{part} declares a DTD, which a worksheet never needs")
        self.found = self.found or bool(
            self._formula.search(chunk)
            or b't="e"' in chunk
            or b"t='e'" in chunk
            or b"hidden=" in chunk  # <row hidden="1">: hidden by hand or by a filter
            or b"hyperlink" in chunk  # <hyperlinks><hyperlink ref="D2" r:id="rId1"/>
        )


def _scan_cells(stream: IO[bytes]) -> tuple[SheetMarks, dict[tuple[int, int], str]]:
    """Stream the sheet XML: formula cells with no cached value, error cells, hidden rows,
    ``=HYPERLINK("url", ...)`` formulas, and the cells' hyperlinks (by relationship id,
    returned beside the marks: their addresses are in the sheet's relationships).

    The stdlib C parser with end events only: defusedxml's parser runs its
    handlers in Python and is about six times slower on a formula-heavy sheet;
    the DTD refusal above is what defusedxml would protect against here.
    """
    marks = SheetMarks()
    uncalculated, errors = marks.uncalculated, marks.errors
    link_ids: dict[tuple[int, int], str] = {}
    row_number = 0
    for _, element in ElementTree.iterparse(stream, events=("end",)):
        if element.tag in _HYPERLINK_TAGS:
            relationship = element.get(_RELATIONSHIP_ID)
            if relationship:
                for cell in _cells_of(element.get("ref") or ""):
                    link_ids[cell] = relationship
            continue
        if element.tag not in _ROW_TAGS:
            continue
        number = element.get("r")
        row_number = int(number) if number else row_number + 1
        if element.get("hidden") in ("1", "true"):
            marks.hidden_rows.append(row_number)
        column = -1
        for cell in element:
            if cell.tag not in _CELL_TAGS:
                continue
            reference = cell.get("r")
            match = _REF.fullmatch(reference) if reference else None
            column = _column_index(match.group(1)) if match else column + 1
            formula = value = None
            for child in cell:
                if child.tag in _FORMULA_TAGS:
                    formula = child
                elif child.tag in _VALUE_TAGS:
                    value = child
            kind = cell.get("t")
            if formula is not None and (
                value is None or (not value.text and kind not in ("str", "inlineStr"))
            ):
                # An empty <v> on a text formula is a calculated "" (=IF(A2="","",...)).
                uncalculated.append((row_number, column))
            elif kind == "e" and value is not None and value.text:
                errors.append((row_number, column, value.text))
            if formula is not None and formula.text and "HYPERLINK" in formula.text.upper():
                target = _hyperlink_formula_target(formula.text)
                if target is not None:
                    marks.links[(row_number, column)] = target
        element.clear()  # a finished row's cells are no longer needed
    return marks, link_ids


_HYPERLINK_TAGS = _tags("hyperlink")
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# =HYPERLINK("https://...", "Teaser video"): the first argument when it is a text literal.
_HYPERLINK_FORMULA = re.compile(r'^\s*(?:_xlfn\.)?HYPERLINK\(\s*"((?:[^"]|"")*)"', re.IGNORECASE)
_RANGE = re.compile(r"([A-Za-z]{1,3})(\d+)(?::([A-Za-z]{1,3})(\d+))?")
# A hyperlink over a range gives its address to each cell; a huge range is a mistake.
_MAX_LINK_CELLS = 10_000


def _hyperlink_formula_target(formula: str) -> str | None:
    match = _HYPERLINK_FORMULA.match(formula)
    return match.group(1).replace('""', '"') if match else None


def _cells_of(reference: str) -> list[tuple[int, int]]:
    """``"D2"`` -> ``[(2, 3)]``; ``"D2:D3"`` -> ``[(2, 3), (3, 3)]`` (row, column index)."""
    match = _RANGE.fullmatch(reference.strip())
    if match is None:
        return []
    first_column, first_row = _column_index(match.group(1)), int(match.group(2))
    last_column = _column_index(match.group(3)) if match.group(3) else first_column
    last_row = int(match.group(4)) if match.group(4) else first_row
    rows = range(first_row, last_row + 1)
    columns = range(first_column, last_column + 1)
    if len(rows) * len(columns) > _MAX_LINK_CELLS:
        return []
    return [(row, column) for row in rows for column in columns]


def _external_targets(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    """The sheet's relationships that point outside the workbook: id -> address."""
    rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    if rels not in archive.NameToInfo:
        return {}
    targets: dict[str, str] = {}
    for element in SafeET.fromstring(archive.read(rels)):
        if element.get("TargetMode") == "External" and element.get("Type", "").endswith(
            "/hyperlink"
        ):
            targets[element.get("Id", "")] = element.get("Target", "")
    return targets


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
