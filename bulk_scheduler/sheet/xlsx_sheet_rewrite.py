"""Stream a worksheet's XML from the old package to the new one, adding and replacing cells.

The sheet can hold 100,000 rows and more, so it is never held whole: expat reads it in
chunks and reports each element with its byte offset, and every byte outside the few
places that change is copied as it was (prefixes, attributes, extension elements and all).
What changes:

- each row named in ``SheetChanges.cells_for`` gets its cells: a cell already at one of
  the columns is replaced in place (a blank new value keeps the old cell's style); the
  others are inserted in column order; a row the sheet lacks is created in order;
- the row's ``spans`` hint and the sheet's ``<dimension>`` grow to the new cells;
- ``<cols>`` gets a width for each new column: a ``<col>`` range that covers one is split
  around it, since Excel repairs a sheet whose ranges overlap;
- an ``<autoFilter>`` is widened when ``widen_filter`` says so;
- a ``<legacyDrawing>`` (the notes' drawing) is added in its place in the schema's order.

Cells, rows and the root are matched by local name, so a sheet written with prefixes
(``<x:row>``) keeps them, and new elements take the prefix of their parent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO
from xml.parsers import expat

from bulk_scheduler.campaign import CellValue
from bulk_scheduler.sheet.file_guard import tag_aligned_chunks
from bulk_scheduler.sheet.xlsx_cells import CellRenderer, column_index, column_letters
from bulk_scheduler.sheet.xlsx_xml import (
    PartRefusedError,
    attribute_text,
    check_utf8_start,
    guarded_parser,
    local_name,
    prefix_of,
    start_tag,
    start_tag_end,
)

__all__ = ["CellUpdate", "SheetChanges", "rewrite_sheet", "widened_range"]

# A cell to write: its value and style (an index into cellXfs), or None for the style of
# the cell it replaces, if any.
CellUpdate = tuple[CellValue, int | None]

# Root children that the schema puts after <legacyDrawing>: a new one goes before them.
_AFTER_LEGACY_DRAWING = frozenset(
    {
        "legacyDrawingHF",
        "drawingHF",
        "picture",
        "oleObjects",
        "controls",
        "webPublishItems",
        "tableParts",
        "extLst",
    }
)
_DIGITS = "0123456789"
_PAST_LAST_COLUMN = 1 << 30  # no cell is this far right
# Column letters -> 0-based index, filled as cells are met: a dict lookup per cell.
_COLUMN_OF_LETTERS: dict[str, int] = {}
_RANGE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?$")


@dataclass(slots=True)
class SheetChanges:
    """What to change in one sheet (see the module docstring)."""

    # Every row number that may get cells, ascending (header row included).
    row_numbers: Sequence[int]
    # Row number -> {0-based column -> CellUpdate} in column order; None or empty: the row
    # is left alone.
    cells_for: Callable[[int], Mapping[int, CellUpdate] | None]
    # (0-based column, width) of each new column.
    new_columns: Sequence[tuple[int, float]]
    # The farthest cell written, for <dimension>: 0-based column, row number.
    last_column: int
    last_row: int
    # An <autoFilter>'s ref -> the widened ref, or None to leave it.
    widen_filter: Callable[[str], str | None]
    renderer: CellRenderer
    # The relationship id of a notes drawing to reference, and its namespace.
    legacy_drawing: str | None = None
    relationships_namespace: str = ""


def rewrite_sheet(source: IO[bytes], sink: IO[bytes], changes: SheetChanges) -> None:
    """Copy the sheet XML from ``source`` to ``sink`` with ``changes``.

    Raises ``PartRefusedError`` for XML that expat refuses, a DTD, a non-UTF-8 sheet, or a
    notes drawing asked for where the sheet already has one.
    """
    _Rewriter(changes, sink).run(source)


def widened_range(ref: str, top_row: int, right_column: int, new_right_column: int) -> str | None:
    """``"A1:H101"`` -> ``"A1:S101"`` when the range starts on ``top_row`` and ends at
    ``right_column`` (0-based); else None."""
    match = _RANGE.match(ref.strip())
    if match is None or match.group(3) is None:
        return None
    left, top, right, bottom = match.groups()
    if int(top) != top_row or column_index(right) != right_column:
        return None
    return f"{left.upper()}{top}:{column_letters(new_right_column)}{bottom}"


def _grown_dimension(ref: str, last_column: int, last_row: int) -> str | None:
    match = _RANGE.match(ref.strip())
    if match is None:
        return None
    left, top, right, bottom = match.groups()
    right_index = column_index(right) if right else column_index(left)
    bottom_row = int(bottom) if bottom else int(top)
    new_right = max(right_index, last_column)
    new_bottom = max(bottom_row, last_row)
    if (new_right, new_bottom) == (right_index, bottom_row) and right:
        return None
    return f"{left.upper()}{top}:{column_letters(new_right)}{new_bottom}"


class _Edit:
    """A new cell to write at ``start`` (``end == start``), or the cell it replaces, from
    ``start`` to ``end``, with that cell's style and whether it had children."""

    __slots__ = ("children", "column", "end", "start", "style")

    def __init__(self, column: int, start: int, end: int | None = None, style: str | None = None):
        self.column = column
        self.start = start
        self.end = start if end is None else end
        self.style = style
        self.children = False


class _Rewriter:
    """The expat handlers and the copy state of one sheet (see the module docstring).

    Offsets are global (from the start of the part); ``buffer`` holds the bytes from
    ``base`` on, and everything before ``copied`` has gone to the output. Bytes are
    copied up to ``mark`` (the last row or top-level event, which expat has finished)
    after each chunk, unless a row or ``<cols>`` being rebuilt holds them back.

    Expat calls a handler for every element: two million of them for 100,000 rows. The
    handlers for cells and what is inside them (``run``) are closures that return as soon
    as they can; the rare elements (rows, top-level ones) go to methods.
    """

    def __init__(self, changes: SheetChanges, sink: IO[bytes]) -> None:
        self.changes = changes
        self.sink = sink
        self.parser = guarded_parser()
        self.parser.ordered_attributes = False
        self.buffer = bytearray()
        self.base = 0
        self.copied = 0
        self.mark = 0
        self.hold: int | None = None
        self.out: list[bytes | bytearray] = []
        self.root_prefix = ""
        # Top level.
        self.cols_seen = False
        self.in_cols = False
        self.cols_node: tuple[str, dict[str, str], int] | None = None
        self.col_entries: list[tuple[dict[str, str], str, int, int]] = []
        self.col_start = 0
        self.col_attrs: dict[str, str] = {}
        self.in_data = False
        self.data_node: tuple[str, dict[str, str], int, int] | None = None
        self.legacy_done = changes.legacy_drawing is None
        # Rows: the rows still to be met that get cells, and the row being rebuilt.
        self.todo = changes.row_numbers
        self.todo_index = 0
        self.row_number = 0
        self.row_name = ""
        self.row_attrs: dict[str, str] = {}
        self.row_start = 0
        self.row_open_end = 0
        self.row_updates: Mapping[int, CellUpdate] | None = None
        # The row's columns to write, in order; the next one not yet met; the cells met at
        # those columns or past them, in order.
        self.row_columns: list[int] = []
        self.row_next = 0
        self.next_column = _PAST_LAST_COLUMN
        self.row_edits: list[_Edit] = []
        self.row_other: int | None = None
        self.row_children = False
        self.cell_name = "c"

    # --- driving ---------------------------------------------------------------------------

    def run(self, source: IO[bytes]) -> None:
        parser = self.parser
        depth = 0
        # The cell being replaced, until its end.
        cell: _Edit | None = None
        # The row being rebuilt, if any: its cells' tag, the last column met, and the next
        # column to write (copied from the methods that own them once per row, so that the
        # handler of every cell reads locals).
        tracking = False
        cell_name = "c"
        column = -1
        next_column = _PAST_LAST_COLUMN
        letters = _COLUMN_OF_LETTERS

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal depth, cell, tracking, cell_name, column, next_column
            depth += 1
            if depth > 4:  # inside a cell: only whether it has children matters
                if cell is not None:
                    cell.children = True
                return
            if depth < 4:
                self._structural_start(name, attrs, depth)
                if depth == 3 and self.in_data:
                    tracking = self.row_updates is not None
                    cell_name, column, next_column = self.cell_name, -1, self.next_column
                return
            if not tracking:
                return  # a cell of a row that gets no cells, or a deeper element elsewhere
            self.row_children = True
            if name != cell_name and local_name(name) != "c":
                if self.row_other is None:  # <extLst> after the cells: new cells go before it
                    self.row_other = parser.CurrentByteIndex
                return
            ref = attrs.get("r")
            if ref:
                text = ref.rstrip(_DIGITS)
                met = letters.get(text)
                if met is None:
                    met = _column_of(text, ref)
                if met <= column:
                    # Cells must come in column order; new ones are placed by it.
                    raise PartRefusedError(f"cell {ref} is out of order in its row")
                column = met
            else:
                column += 1
            if column >= next_column:
                cell = self._cell_met(column, attrs)
                next_column = self.next_column
            elif name == cell_name:
                # Nothing inside this cell matters: no handler for what starts in it, and
                # only its own end is looked for (a cell holds no cell). Most cells of a
                # sheet pass this way, and a handler call is most of what a cell costs.
                parser.StartElementHandler = None
                parser.EndElementHandler = end_of_cell

        def end_of_cell(name: str) -> None:
            nonlocal depth
            if name == cell_name:
                depth = 3
                parser.StartElementHandler = start
                parser.EndElementHandler = end

        def end(name: str) -> None:
            nonlocal depth, cell, tracking
            level = depth
            depth = level - 1
            if level > 4:
                return
            if level < 4:
                self._structural_end(name, level)
                tracking = False
            elif cell is not None:
                self._cell_end(cell)
                cell = None

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        first = True
        for chunk in tag_aligned_chunks(source):
            if first:
                check_utf8_start(chunk)
                first = False
            self.buffer += chunk
            self._parse(chunk, False)
            self._flush()
        self._parse(b"", True)
        self._copy_to(self.base + len(self.buffer))
        self._write()

    def _parse(self, chunk: bytes, final: bool) -> None:
        try:
            self.parser.Parse(chunk, final)
        except PartRefusedError:
            raise
        except (expat.ExpatError, ValueError) as exc:  # or a malformed number in an attribute
            raise PartRefusedError(f"the sheet cannot be read: {exc}") from exc

    def _flush(self) -> None:
        limit = self.mark if self.hold is None else min(self.mark, self.hold)
        if limit > self.copied:
            self._copy_to(limit)
        self._write()
        drop = self.copied - self.base
        if drop > 0:
            del self.buffer[:drop]
            self.base = self.copied

    def _write(self) -> None:
        if self.out:
            self.sink.write(b"".join(self.out))
            self.out.clear()

    def _copy_to(self, position: int) -> None:
        if position > self.copied:
            self.out.append(self._bytes(self.copied, position))
            self.copied = position

    def _bytes(self, start: int, end: int) -> bytearray:
        return self.buffer[start - self.base : end - self.base]

    def _element_end(self, position: int, open_end: int, children: bool) -> tuple[int, bool]:
        """(offset after the element, whether it was empty ``<a/>``) at its end event."""
        if not children and open_end == position and self._bytes(position - 2, position) == b"/>":
            return position, True
        local = position - self.base
        return self.buffer.index(b">", local) + 1 + self.base, False

    def _open_end(self, position: int) -> int:
        return start_tag_end(self.buffer, position - self.base) + self.base

    def _structural_start(self, name: str, attrs: dict[str, str], depth: int) -> None:
        position = self.parser.CurrentByteIndex
        self.mark = position
        if depth == 3:
            if self.in_data:
                self._row_start(name, attrs, position)
            elif self.in_cols:
                self.col_start = position
                self.col_attrs = attrs
        elif depth == 2:
            self._top_start(name, attrs, position)
        else:
            self.root_prefix = prefix_of(name)

    def _structural_end(self, name: str, depth: int) -> None:
        position = self.parser.CurrentByteIndex
        self.mark = position
        if depth == 3:
            if self.in_data:
                self._row_end(position)
            elif self.in_cols:
                open_end = self._open_end(self.col_start)
                end, _ = self._element_end(position, open_end, False)
                self.col_entries.append((self.col_attrs, name, self.col_start, end))
        elif depth == 2:
            self._top_end(name, position)
        else:
            self._insert_legacy_drawing(position)

    # --- top level -----------------------------------------------------------------------

    def _top_start(self, name: str, attrs: dict[str, str], position: int) -> None:
        local = local_name(name)
        changes = self.changes
        if local == "sheetData":
            if changes.new_columns and not self.cols_seen:
                self._copy_to(position)
                self.out.append(self._new_cols(prefix_of(name)).encode())
            self.in_data = True
            self.data_node = (name, attrs, position, self._open_end(position))
        elif local == "cols":
            self.cols_seen = True
            if changes.new_columns:
                self.in_cols = True
                self.cols_node = (name, attrs, position)
                self.col_entries = []
                self._copy_to(position)
                self.hold = position
        elif local == "dimension":
            grown = _grown_dimension(attrs.get("ref", ""), changes.last_column, changes.last_row)
            if grown is not None:
                self._replace_start_tag(name, {**attrs, "ref": grown}, position)
        elif local == "autoFilter":
            widened = changes.widen_filter(attrs.get("ref", ""))
            if widened is not None:
                self._replace_start_tag(name, {**attrs, "ref": widened}, position)
        elif local == "legacyDrawing" and not self.legacy_done:
            raise PartRefusedError("the sheet already has a drawing for notes")
        elif local in _AFTER_LEGACY_DRAWING:
            self._insert_legacy_drawing(position)

    def _top_end(self, name: str, position: int) -> None:
        local = local_name(name)
        if local == "sheetData":
            self.in_data = False
            self._finish_sheet_data(position)
        elif local == "cols" and self.in_cols:
            self.in_cols = False
            self._rebuild_cols(name, position)
            self.hold = None

    def _replace_start_tag(self, name: str, attrs: dict[str, str], position: int) -> None:
        open_end = self._open_end(position)
        empty = self._bytes(open_end - 2, open_end) == b"/>"
        self._copy_to(position)
        self.out.append(start_tag(name, attrs, empty).encode())
        self.copied = open_end

    def _insert_legacy_drawing(self, position: int) -> None:
        if self.legacy_done:
            return
        self.legacy_done = True
        self._copy_to(position)
        namespace = attribute_text(self.changes.relationships_namespace)
        self.out.append(
            f'<{self.root_prefix}legacyDrawing xmlns:r="{namespace}" '
            f'r:id="{self.changes.legacy_drawing}"/>'.encode()
        )

    # --- <cols> --------------------------------------------------------------------------

    def _new_cols(self, prefix: str) -> str:
        entries = "".join(
            _col(prefix + "col", {}, index, width) for index, width in self.changes.new_columns
        )
        return f"<{prefix}cols>{entries}</{prefix}cols>"

    def _rebuild_cols(self, name: str, position: int) -> None:
        assert self.cols_node is not None
        _, attrs, start = self.cols_node
        open_end = self._open_end(start)
        end, _ = self._element_end(position, open_end, bool(self.col_entries))
        new = {index + 1: width for index, width in self.changes.new_columns}
        entries: list[tuple[int, int, bytes | bytearray]] = []
        for order, (col_attrs, col_name, col_start, col_end) in enumerate(self.col_entries):
            try:
                low, high = int(col_attrs["min"]), int(col_attrs["max"])
            except (KeyError, ValueError):
                entries.append((0, order, self._bytes(col_start, col_end)))
                continue
            inside = sorted(number for number in new if low <= number <= high)
            if not inside:
                entries.append((low, order, self._bytes(col_start, col_end)))
                continue
            # Split the range around the new columns: ranges may not overlap.
            for piece_low, piece_high in _ranges_without(low, high, inside):
                piece = {**col_attrs, "min": str(piece_low), "max": str(piece_high)}
                entries.append((piece_low, order, start_tag(col_name, piece, True).encode()))
        prefix = prefix_of(self.col_entries[0][1]) if self.col_entries else prefix_of(name)
        for number, width in new.items():
            entries.append((number, -1, _col(prefix + "col", {}, number - 1, width).encode()))
        entries.sort(key=lambda entry: (entry[0], entry[1]))
        self.out.append(start_tag(name, attrs).encode())
        self.out.extend(entry[2] for entry in entries)
        self.out.append(f"</{name}>".encode())
        self.copied = end

    # --- rows ----------------------------------------------------------------------------

    def _row_start(self, name: str, attrs: dict[str, str], position: int) -> None:
        number_text = attrs.get("r")
        number = int(number_text) if number_text else self.row_number + 1
        if number <= self.row_number:
            # Rows must come in order: rows the sheet lacks are created by it.
            raise PartRefusedError(f"row {number} is out of order")
        self.row_number = number
        todo = self.todo
        index = self.todo_index
        while index < len(todo) and todo[index] < number:
            self._copy_to(position)
            self._new_row(todo[index], prefix_of(name))
            index += 1
        updates = None
        if index < len(todo) and todo[index] == number:
            index += 1
            updates = self.changes.cells_for(number) or None
        self.todo_index = index
        self.row_updates = updates
        if updates is None:
            return
        self.row_name = name
        self.row_attrs = attrs
        self.row_start = position
        self.row_open_end = self._open_end(position)
        self.row_columns = list(updates)  # in column order
        self.row_next = 0
        self.next_column = self.row_columns[0]
        self.row_edits = []
        self.row_other = None
        self.row_children = False
        self.cell_name = prefix_of(name) + "c"
        self.hold = position

    def _cell_met(self, column: int, attrs: dict[str, str]) -> _Edit | None:
        """A cell at or right of the next column to write: new cells for the columns before
        it go before it; a cell at a column to write is replaced (its end is to come)."""
        position = self.parser.CurrentByteIndex
        columns = self.row_columns
        index = self.row_next
        while index < len(columns) and columns[index] < column:
            self.row_edits.append(_Edit(columns[index], position))
            index += 1
        replaced = None
        if index < len(columns) and columns[index] == column:
            replaced = _Edit(column, position, position, attrs.get("s"))
            self.row_edits.append(replaced)
            index += 1
        self.row_next = index
        self.next_column = columns[index] if index < len(columns) else _PAST_LAST_COLUMN
        return replaced

    def _cell_end(self, cell: _Edit) -> None:
        position = self.parser.CurrentByteIndex
        if not cell.children and self._bytes(position - 2, position) == b"/>":
            cell.end = position
        else:
            cell.end = self.buffer.index(b">", position - self.base) + 1 + self.base

    def _row_end(self, position: int) -> None:
        updates = self.row_updates
        if updates is None:
            return
        self.row_updates = None
        self.hold = None
        self.next_column = _PAST_LAST_COLUMN
        name = self.row_name
        prefix = prefix_of(name)
        end, empty = self._element_end(position, self.row_open_end, self.row_children)
        renderer = self.changes.renderer
        number = self.row_number
        out = self.out

        self._copy_to(self.row_start)
        out.append(self._row_tag(updates, empty))
        cursor = self.row_open_end
        for edit in self.row_edits:
            out.append(self._bytes(cursor, edit.start))
            value, style = updates[edit.column]
            # A cell replaced with no style of its own keeps the old one.
            kept: int | str | None = edit.style if style is None else style
            ref = column_letters(edit.column) + str(number)
            out.append(renderer.cell(prefix, ref, value, kept).encode())
            cursor = edit.end
        tail = renderer.cells(prefix, number, updates, self.row_columns[self.row_next :]).encode()
        if empty:
            out.append(tail)
            out.append(f"</{name}>".encode())
        else:
            where = self.row_other if self.row_other is not None else position
            out.append(self._bytes(cursor, where))
            out.append(tail)
            out.append(self._bytes(where, end))
        self.copied = end

    def _row_tag(self, updates: Mapping[int, CellUpdate], empty: bool) -> bytes | bytearray:
        """The row's start tag: as it was, with its ``spans`` hint grown to the new cells
        (and no longer empty: the row gets cells)."""
        attrs = self.row_attrs
        spans = attrs.get("spans")
        if spans is None and not empty:
            return self._bytes(self.row_start, self.row_open_end)
        if spans is not None:
            columns = list(updates)
            attrs = {**attrs, "spans": _grown_spans(spans, columns[0] + 1, columns[-1] + 1)}
        return start_tag(self.row_name, attrs).encode()

    def _new_row(self, number: int, prefix: str) -> None:
        updates = self.changes.cells_for(number)
        if not updates:
            return
        cells = self.changes.renderer.cells(prefix, number, updates, updates)
        if cells:
            self.out.append(f'<{prefix}row r="{number}">{cells}</{prefix}row>'.encode())

    def _finish_sheet_data(self, position: int) -> None:
        """Rows still to create go at the end of <sheetData> (which may have been empty)."""
        assert self.data_node is not None
        name, attrs, start, open_end = self.data_node
        end, empty = self._element_end(position, open_end, open_end != position)
        prefix = prefix_of(name)
        if empty:
            self._copy_to(start)
            self.out.append(start_tag(name, attrs).encode())
        else:
            self._copy_to(position)
        while self.todo_index < len(self.todo):
            self._new_row(self.todo[self.todo_index], prefix)
            self.todo_index += 1
        if empty:
            self.out.append(f"</{name}>".encode())
            self.copied = end


def _col(name: str, attrs: dict[str, str], index: int, width: float) -> str:
    number = str(index + 1)
    return start_tag(
        name,
        {**attrs, "min": number, "max": number, "width": f"{width:g}", "customWidth": "1"},
        True,
    )


def _column_of(letters: str, ref: str) -> int:
    """The column of a cell reference's letters (``"AB"`` -> 27), remembered; a reference
    that is not one to three letters and a row number is refused."""
    if not (0 < len(letters) <= 3 and letters.isascii() and letters.isalpha()):
        raise PartRefusedError(f"the cell reference {ref!r} is not a cell reference")
    column = _COLUMN_OF_LETTERS[letters] = column_index(letters)
    return column


def _grown_spans(spans: str, first: int, last: int) -> str:
    """``"1:8"`` grown to hold columns ``first``-``last`` (1-based): ``"1:19"``."""
    numbers = [int(n) for n in re.findall(r"\d+", spans)] or [first]
    return f"{min([*numbers, first])}:{max([*numbers, last])}"


def _ranges_without(low: int, high: int, holes: list[int]) -> list[tuple[int, int]]:
    """``low``-``high`` minus the sorted column numbers ``holes``, as ranges."""
    ranges = []
    start = low
    for hole in holes:
        if hole > start:
            ranges.append((start, hole - 1))
        start = hole + 1
    if start <= high:
        ranges.append((start, high))
    return ranges
