"""The XLSX results sheet as the user's own workbook, plus the result columns and a Summary.

The campaign's workbook is copied part by part (``xlsx_package``): every other tab, the
styles, names, notes, drawings and so on stay as they were. On the campaign's tab
(``xlsx_sheet_rewrite``) the result columns are appended to the right of the user's last
column, or updated in place when the sheet already has them (a results sheet run again),
and every other cell, row height, hidden row or column, merge, freeze pane, filter and
validation is kept. A ``Summary`` tab is added, or replaced when it is one this tool wrote.

What goes in the cells is decided by ``results.result_table``; this module only decides
which cells change: new columns get a cell wherever there is a value, existing columns
only where the value differs from what the sheet held (so a row with no new outcome keeps
its old result cells, fills and all).

The result cells look as in a new workbook (``results_xlsx``; ``results_style`` holds
what both share): a bold, filled header; the ``result`` cell filled per result;
``warnings`` and ``error_message`` wrapped; times in UTC with a format that says so; text
a spreadsheet would run as a formula kept as text with Excel's quote prefix. The styles
are added to the workbook's own (``xlsx_styles``). New header cells get notes explaining
their column (see ``_add_notes``). The user's own autofilter, when it spans their columns
from the header row, is widened to the new ones.

A workbook this module cannot vouch for (a part it cannot parse, a DTD, cells or rows out
of order, Excel 4 macro sheets...) raises ``WorkbookNotReusableError``: ``results`` then
writes a new workbook, so the run's outcomes are written down whatever the file holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO

import python_calamine

from bulk_scheduler.campaign import Campaign, CellValue
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
from bulk_scheduler.sheet.xlsx_cells import CellRenderer, column_letters
from bulk_scheduler.sheet.xlsx_notes import add_notes, notes_parts
from bulk_scheduler.sheet.xlsx_package import (
    COMMENTS_CONTENT_TYPE,
    VML_CONTENT_TYPE,
    WORKSHEET_CONTENT_TYPE,
    Package,
    SheetEntry,
    WorkbookNotReusableError,
    rels_part,
)
from bulk_scheduler.sheet.xlsx_sheet_rewrite import (
    CellUpdate,
    SheetChanges,
    rewrite_sheet,
    widened_range,
)
from bulk_scheduler.sheet.xlsx_styles import CellStyle, add_styles
from bulk_scheduler.sheet.xlsx_xml import PartRefusedError, start_tag, xml_text

__all__ = ["WorkbookNotReusableError", "write_into_workbook"]

_TRANSITIONAL = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CALC_CHAIN_TYPE = "/calcChain"
# Fast enough for a 100,000-row sheet (deflate level 6 takes three times as long), and
# about 30% larger: the sheet is most of the file.
_COMPRESSLEVEL = 1
_SUMMARY_TITLES = ("Summary", "Run summary", *(f"Run summary {n}" for n in range(2, 100)))

STYLES: dict[str, CellStyle] = {
    "header": CellStyle(bold=True, fill_rgb=HEADER_FILL_RGB),
    "bold": CellStyle(bold=True),
    "wrap": CellStyle(wrap=True),
    "wrap_quote": CellStyle(wrap=True, quote_prefix=True),
    "quote": CellStyle(quote_prefix=True),
    "utc": CellStyle(number_format=UTC_FORMAT),
    "datetime": CellStyle(number_format="yyyy-mm-dd hh:mm:ss"),
    "date": CellStyle(number_format="yyyy-mm-dd"),
    "time": CellStyle(number_format="hh:mm:ss"),
    **{f"result:{result.value}": CellStyle(fill_rgb=rgb) for result, rgb in RESULT_FILLS.items()},
}


def write_into_workbook(
    handle: IO[bytes],
    source: Path,
    campaign: Campaign,
    headers: Sequence[str],
    result_index: Mapping[str, int],
    rows: Sequence[Sequence[CellValue]],
    added_columns: frozenset[int],
    summary_rows: Sequence[tuple[str, object]],
    header_row: int,
) -> None:
    """Write ``source`` with the results to ``handle`` (see the module docstring).

    ``headers``, ``result_index`` and ``rows`` come from ``results.result_table``;
    ``added_columns`` are the result columns the sheet did not have. Raises
    ``WorkbookNotReusableError`` when the workbook cannot be copied with confidence
    (the caller then writes a new workbook); ``handle`` may hold a partial file then.
    """
    try:
        with Package(source, source.name) as package:
            _write(
                handle,
                package,
                source,
                campaign,
                headers,
                result_index,
                rows,
                added_columns,
                summary_rows,
                header_row,
            )
    except PartRefusedError as exc:
        raise WorkbookNotReusableError(str(exc)) from exc


@dataclass(slots=True)
class _Output:
    """What the new package holds besides the parts copied as they are."""

    replaced: dict[str, bytes | Callable[[IO[bytes], IO[bytes]], None]] = field(
        default_factory=dict
    )
    added: dict[str, bytes] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)  # lower-cased part names
    taken: set[str] = field(default_factory=set)  # new part names, lower-cased


def _write(
    handle: IO[bytes],
    package: Package,
    source: Path,
    campaign: Campaign,
    headers: Sequence[str],
    result_index: Mapping[str, int],
    rows: Sequence[Sequence[CellValue]],
    added_columns: frozenset[int],
    summary_rows: Sequence[tuple[str, object]],
    header_row: int,
) -> None:
    sheet = _campaign_sheet(package, campaign.sheet_name)
    assert sheet.part is not None and sheet.relationship is not None
    # Relationship types and the r: namespace share their stem (transitional or strict).
    relationships = sheet.relationship.type.rpartition("/")[0]
    namespace = package.workbook.namespace_of(package.workbook.prefix) or _TRANSITIONAL
    output = _Output(dropped=package.macro_parts() | _calc_chain(package))
    package.drop_parts(output.dropped)

    styles = package.workbook_rels.of_type("/styles")
    if not styles or not package.has(styles[0].target):
        raise WorkbookNotReusableError("the workbook has no styles part")
    output.replaced[styles[0].target], xf = add_styles(package.read(styles[0].target), STYLES)
    renderer = CellRenderer(date1904=_date1904(package))

    notes = {
        f"{column_letters(index)}{header_row}": RESULT_COLUMN_NOTES[name]
        for name, index in result_index.items()
        if index in added_columns
    }
    legacy_drawing = _add_notes(package, sheet.part, notes, namespace, relationships, output)
    summary = _summary_sheet(namespace, summary_rows, xf, renderer)
    _place_summary(package, source, sheet, summary, relationships, output)

    plan = _CellPlan(campaign, headers, result_index, rows, added_columns, xf, header_row)
    widen = _filter_widener(added_columns, header_row)
    _widen_filter_name(package, sheet, widen)
    changes = SheetChanges(
        row_numbers=plan.row_numbers,
        cells_for=plan.cells_for,
        new_columns=[(index, _width(headers, rows, index)) for index in sorted(added_columns)],
        last_column=max(result_index.values()),
        last_row=max(plan.row_numbers),
        widen_filter=widen,
        renderer=renderer,
        legacy_drawing=legacy_drawing,
        relationships_namespace=relationships,
    )

    def rewrite(old: IO[bytes], new: IO[bytes]) -> None:
        rewrite_sheet(old, new, changes)

    output.replaced[sheet.part] = rewrite
    output.replaced["[Content_Types].xml"] = package.content_types_edits.apply()
    output.replaced[package.workbook_part] = package.workbook_edits.apply()
    output.replaced[package.workbook_rels.part] = package.workbook_rels.render()
    package.write(
        handle,
        replaced=output.replaced,
        added=output.added,
        dropped=output.dropped,
        compresslevel=_COMPRESSLEVEL,
    )


def _add_notes(
    package: Package,
    sheet_part: str,
    notes: Mapping[str, str],
    namespace: str,
    relationships: str,
    output: _Output,
) -> str | None:
    """Notes on the new header cells, as comments drawn by a legacy (VML) drawing.

    A tab without notes gets a comments part and a drawing of its own, and the returned
    relationship id goes in its new ``<legacyDrawing>``. A tab with notes (the campaign
    template has one on every header) gets ours added to its own parts, which its
    ``<legacyDrawing>`` already shows: None is returned. Anything less plain (a drawing
    with no comments part, two drawings, a drawing that is not well-formed XML) gets no
    notes: they explain the columns, and the user's drawing is not worth risking for them.
    """
    if not notes or namespace != _TRANSITIONAL:
        return None  # the notes' markup is transitional OOXML
    sheet_rels = package.relationships(sheet_part)
    comments = [r.target for r in sheet_rels.of_type("/comments") if package.has(r.target)]
    drawings = [r.target for r in sheet_rels.of_type("/vmlDrawing") if package.has(r.target)]
    if comments or drawings:
        if len(comments) != 1 or len(drawings) != 1:
            return None
        try:
            merged = add_notes(
                package.read(comments[0]), package.read(drawings[0]), notes, NOTE_AUTHOR
            )
        except PartRefusedError:
            return None
        output.replaced[comments[0]], output.replaced[drawings[0]] = merged
        return None
    comments_part = package.new_part_name("xl", "comments", "xml", output.taken)
    drawing_part = package.new_part_name("xl/drawings", "vmlDrawing", "vml", output.taken)
    sheet_rels.add(relationships + "/comments", comments_part)
    drawing = sheet_rels.add(relationships + "/vmlDrawing", drawing_part)
    output.added[comments_part], output.added[drawing_part] = notes_parts(notes, NOTE_AUTHOR)
    package.add_override(comments_part, COMMENTS_CONTENT_TYPE)
    package.add_default("vml", VML_CONTENT_TYPE)
    if sheet_rels.created:
        output.added[sheet_rels.part] = sheet_rels.render()
    else:
        output.replaced[sheet_rels.part] = sheet_rels.render()
    return drawing


def _place_summary(
    package: Package,
    source: Path,
    campaign_sheet: SheetEntry,
    summary: bytes,
    relationships: str,
    output: _Output,
) -> None:
    """The Summary tab: ours from the last run rewritten in its place, or a new last tab."""
    title, previous = _summary_target(package, source, campaign_sheet)
    if previous is not None and previous.part is not None:
        output.replaced[previous.part] = summary
        output.dropped.add(rels_part(previous.part).lower())  # ours never has any
        return
    part = package.new_part_name("xl/worksheets", "sheet", "xml", output.taken)
    relationship_id = package.workbook_rels.add(relationships + "/worksheet", part)
    _add_sheet_entry(package, campaign_sheet, title, relationship_id, relationships)
    package.add_override(part, WORKSHEET_CONTENT_TYPE)
    output.added[part] = summary


class _CellPlan:
    """Which cells of which rows change, and how they look (see the module docstring)."""

    def __init__(
        self,
        campaign: Campaign,
        headers: Sequence[str],
        result_index: Mapping[str, int],
        rows: Sequence[Sequence[CellValue]],
        added_columns: frozenset[int],
        xf: Mapping[str, int],
        header_row: int,
    ) -> None:
        self.rows = rows
        self.originals = [row.original for row in campaign.rows]
        # Rows whose own cells the results show differently (``Campaign.shown``): their
        # cells that differ from the sheet's are written too, in the user's styles.
        self.shown = frozenset(campaign.shown)
        result_columns = set(result_index.values())
        self.input_columns = [i for i in range(len(headers)) if i not in result_columns]
        self.index_of = {row.row_number: index for index, row in enumerate(campaign.rows)}
        self.header_row = header_row
        self.row_numbers = sorted({header_row, *self.index_of})
        self.xf = xf
        result_styles = {
            name[len("result:") :]: index
            for name, index in xf.items()
            if name.startswith("result:")
        }
        # Per column, in column order: whether it is new, the style of plain text and of
        # formula-like text, and the styles of the result column's words.
        self.columns: list[tuple[int, bool, int | None, int, Mapping[str, int]]] = []
        for name, index in sorted(result_index.items(), key=lambda item: item[1]):
            wrapped = name in WRAPPED_COLUMNS
            self.columns.append(
                (
                    index,
                    index in added_columns,
                    xf["wrap"] if wrapped else None,
                    xf["wrap_quote" if wrapped else "quote"],
                    result_styles if name == "result" else {},
                )
            )
        self.header_cells: dict[int, CellUpdate] = {
            index: (headers[index], xf["header"]) for index in sorted(added_columns)
        }

    def cells_for(self, row_number: int) -> Mapping[int, CellUpdate] | None:
        """The row's cells to write, in column order (None: the row is not a campaign row)."""
        if row_number == self.header_row:
            return self.header_cells
        index = self.index_of.get(row_number)
        if index is None:
            return None
        values = self.rows[index]
        original = self.originals[index]
        updates: dict[int, CellUpdate] = {}
        if row_number in self.shown:
            for column in self.input_columns:
                value = values[column] if column < len(values) else None
                old = original[column] if column < len(original) else None
                if value != old or type(value) is not type(old):
                    updates[column] = (value, None)
        for column, new, text_style, formula_style, words in self.columns:
            value = values[column]
            if new:
                if value is None:
                    continue
            else:
                old = original[column] if column < len(original) else None
                if value == old and type(value) is type(old):
                    continue  # unchanged: the cell stays as it was, style and all
            if type(value) is str:
                # None keeps the style of the cell replaced, if any (the user's own).
                style = words.get(value)
                if style is None:
                    style = formula_style if value.startswith(FORMULA_TRIGGERS) else text_style
                updates[column] = (value, style)
            else:
                updates[column] = (value, self._style(value))
        return updates

    def _style(self, value: CellValue) -> int | None:
        """The style a value other than text needs; None keeps the replaced cell's style."""
        if isinstance(value, datetime):
            return self.xf["utc"]  # result times are UTC, naive or not
        if isinstance(value, date):
            return self.xf["date"]
        if isinstance(value, time):
            return self.xf["time"]
        return None


def _width(headers: Sequence[str], rows: Sequence[Sequence[CellValue]], index: int) -> float:
    """A readable width for a new column: its longest line, capped (as results_xlsx does).

    Measured a kind of value at a time with ``map``: 100,000 rows, eleven columns.
    """
    values = [row[index] for row in rows]
    widest = display_width(headers[index]) + 2  # + room for the filter button
    texts = [value for value in values if type(value) is str]
    if texts:
        lines = [text for text in texts if "\n" in text]
        widest = max(widest, max(map(len, texts)) if not lines else max(map(display_width, texts)))
    others = [value for value in values if value is not None and type(value) is not str]
    if others:
        if all(type(value) is int for value in others):
            widest = max(widest, max(len(str(value)) for value in others))
        else:
            widest = max(widest, max(map(display_width, others)))
    return float(min(max(widest + 1, MIN_WIDTH), MAX_WIDTH))


def _campaign_sheet(package: Package, sheet_name: str | None) -> SheetEntry:
    sheets = package.sheets
    if sheet_name is None:
        found = sheets[0] if sheets else None
    else:
        found = next((s for s in sheets if s.name == sheet_name), None)
    if found is None or found.part is None or not package.has(found.part):
        raise WorkbookNotReusableError(f"the sheet '{sheet_name}' is no longer in the workbook")
    if package.content_type(found.part) != WORKSHEET_CONTENT_TYPE:
        raise WorkbookNotReusableError(f"the sheet '{found.name}' is not a worksheet")
    return found


def _calc_chain(package: Package) -> set[str]:
    """The calculation chain, dropped: a replaced cell may have held a formula it lists, and
    Excel repairs a chain naming a cell with none (it rebuilds a missing chain silently)."""
    dropped = set()
    for relationship in package.workbook_rels.of_type(_CALC_CHAIN_TYPE):
        if relationship.target:
            dropped.add(relationship.target.lower())
    return dropped


def _date1904(package: Package) -> bool:
    properties = package.workbook.find("workbookPr")
    flag = (properties.attrs.get("date1904", "") if properties is not None else "").lower()
    return flag in ("1", "true")


def _summary_target(
    package: Package, source: Path, campaign_sheet: SheetEntry
) -> tuple[str, SheetEntry | None]:
    """The Summary tab's title, and the tab to replace when the last run wrote one."""
    for title in _SUMMARY_TITLES:
        entry = next((s for s in package.sheets if s.name.casefold() == title.casefold()), None)
        if entry is None:
            return title, None
        if entry is not campaign_sheet and _is_our_summary(package, source, entry):
            return entry.name, entry
    raise WorkbookNotReusableError("no free name for the Summary tab")


def _is_our_summary(package: Package, source: Path, entry: SheetEntry) -> bool:
    """A worksheet whose first row reads ``item | value``, as every Summary tab we wrote."""
    if entry.part is None or package.content_type(entry.part) != WORKSHEET_CONTENT_TYPE:
        return False
    try:
        with python_calamine.CalamineWorkbook.from_path(source) as book:
            first = book.get_sheet_by_name(entry.name).to_python(skip_empty_area=False, nrows=1)
    except Exception:  # calamine's errors are not one family; the tab is simply not ours
        return False
    return bool(first) and [str(v).strip().lower() for v in first[0][:2]] == ["item", "value"]


def _add_sheet_entry(
    package: Package,
    campaign_sheet: SheetEntry,
    title: str,
    relationship_id: str,
    relationships_namespace: str,
) -> None:
    """A ``<sheet>`` for the new tab, last in ``<sheets>``, written like the campaign's."""
    sheets = campaign_sheet.node.parent
    assert sheets is not None
    id_attribute = campaign_sheet.node.attr_name("id") or "r:id"
    prefix = id_attribute.partition(":")[0] if ":" in id_attribute else ""
    numbers = [int(s.node.attrs.get("sheetId", "0") or 0) for s in package.sheets]
    attrs = {"name": title, "sheetId": str(max(numbers, default=0) + 1)}
    if prefix and sheets.namespace_of(prefix) is None:
        attrs[f"xmlns:{prefix}"] = relationships_namespace
    attrs[id_attribute] = relationship_id
    package.workbook_edits.append_children(
        sheets, start_tag(campaign_sheet.node.prefix + "sheet", attrs, empty=True)
    )


def _filter_widener(added_columns: frozenset[int], header_row: int) -> Callable[[str], str | None]:
    """An autofilter over the user's columns, from the header row, is widened to the new
    result columns, so they can be filtered too; any other filter is left alone."""
    if not added_columns or min(added_columns) == 0:
        return lambda ref: None
    right, new_right = min(added_columns) - 1, max(added_columns)
    return lambda ref: widened_range(ref, header_row, right, new_right)


def _widen_filter_name(
    package: Package, sheet: SheetEntry, widen: Callable[[str], str | None]
) -> None:
    """Excel names a filtered range ``_xlnm._FilterDatabase``; it follows the filter."""
    names = package.workbook.find("definedNames")
    if names is None:
        return
    for node in names.find_all("definedName"):
        if node.attrs.get("name") != "_xlnm._FilterDatabase":
            continue
        if node.attrs.get("localSheetId") != str(sheet.index):
            continue
        where, bang, ref = node.text.strip().rpartition("!")
        widened = widen(ref.replace("$", "")) if bang else None
        if widened is None:
            continue
        left, right = widened.split(":")
        absolute = ":".join(_absolute(corner) for corner in (left, right))
        package.workbook_edits.replace(node.open_end, node.close, xml_text(f"{where}!{absolute}"))


def _absolute(corner: str) -> str:
    letters = corner.rstrip("0123456789")
    return f"${letters}${corner[len(letters) :]}"


def _summary_sheet(
    namespace: str,
    summary_rows: Sequence[tuple[str, object]],
    xf: Mapping[str, int],
    renderer: CellRenderer,
) -> bytes:
    """A small worksheet: ``item | value``, then one row per summary entry."""
    cell = renderer.cell
    header = cell("", "A1", "item", xf["bold"]) + cell("", "B1", "value", xf["bold"])
    rows = [f'<row r="1">{header}</row>']
    for number, (key, value) in enumerate(summary_rows, start=2):
        text = str(key)
        key_style = xf["quote"] if is_formula_like(text) else None
        shown, style = _summary_value(value, xf)
        rows.append(
            f'<row r="{number}">{cell("", f"A{number}", text, key_style)}'
            f"{cell('', f'B{number}', shown, style)}</row>"
        )
    key_width = max([12, *(min(len(str(key)) + 2, MAX_WIDTH) for key, _ in summary_rows)])
    last = len(summary_rows) + 1
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{namespace}"><dimension ref="A1:B{last}"/>'
        f'<cols><col min="1" max="1" width="{key_width}" customWidth="1"/>'
        f'<col min="2" max="2" width="{MAX_WIDTH}" customWidth="1"/></cols>'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    ).encode()


def _summary_value(value: object, xf: Mapping[str, int]) -> tuple[CellValue, int | None]:
    if isinstance(value, datetime):
        return value, xf["utc" if value.tzinfo is not None else "datetime"]
    if isinstance(value, date):
        return value, xf["date"]
    if isinstance(value, time):
        return value, xf["time"]
    if value is None or isinstance(value, bool | int | float):
        return value, None
    text = str(value)
    return text, xf["quote"] if is_formula_like(text) else None
