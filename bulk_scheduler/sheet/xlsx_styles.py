"""Add cell styles to a workbook's ``xl/styles.xml`` and learn their indexes.

A style (an ``<xf>`` of ``cellXfs``) is a font, a fill, a number format and an alignment,
each by index into its own table. The styles asked for are appended to the tables,
unless an equal entry is already there: a results sheet run again reuses the styles its
last run added instead of adding them once per run. The new bold font is the workbook's
default font made bold, so new headers match the user's typeface.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bulk_scheduler.sheet.xlsx_xml import Edits, Node, PartRefusedError, parse_part, start_tag

__all__ = ["CellStyle", "add_styles"]

_FIRST_CUSTOM_FORMAT = 164  # ids below are Excel's built-in number formats


@dataclass(frozen=True, slots=True)
class CellStyle:
    """What a style sets; anything not set is the workbook's default."""

    bold: bool = False
    fill_rgb: str | None = None  # "DDEBF7"
    number_format: str | None = None
    wrap: bool = False
    quote_prefix: bool = False


def add_styles(data: bytes, wanted: Mapping[str, CellStyle]) -> tuple[bytes, dict[str, int]]:
    """``styles.xml`` with ``wanted`` added, and each name's index in ``cellXfs``.

    Raises ``PartRefusedError`` when the part lacks a table a style needs.
    """
    root = parse_part(data, "styles.xml")
    edits = Edits(data)
    fonts = _Table(_table(root, "fonts"), "font")
    fills = _Table(_table(root, "fills"), "fill")
    xfs = _Table(_table(root, "cellXfs"), "xf")
    formats = _NumberFormats(root.find("numFmts"), root.prefix)

    indexes: dict[str, int] = {}
    for name, style in wanted.items():
        font_id = fonts.add(_bold_font(fonts, data)) if style.bold else 0
        fill_id = fills.add(_solid_fill(fills.prefix, style.fill_rgb)) if style.fill_rgb else 0
        format_id = formats.id_for(style.number_format) if style.number_format else 0
        indexes[name] = xfs.add(_xf(xfs.prefix, style, font_id, fill_id, format_id))

    formats.apply(edits, root)
    for table in (fonts, fills, xfs):
        table.apply(edits)
    return edits.apply(), indexes


def _table(root: Node, name: str) -> Node:
    node = root.find(name)
    if node is None:
        raise PartRefusedError(f"styles.xml has no <{name}>")
    return node


class _Table:
    """One table of styles.xml (fonts, fills, cellXfs): its entries, and the ones to add."""

    def __init__(self, node: Node, entry: str) -> None:
        self.node = node
        self.entries = node.find_all(entry)
        self.prefix = self.entries[0].prefix if self.entries else node.prefix
        self._keys = {
            entry.key(): index for index, entry in reversed(list(enumerate(self.entries)))
        }
        self._added: list[str] = []

    def add(self, xml: str) -> int:
        """The index of an entry equal to ``xml``, added when there is none."""
        key = parse_part(xml.encode("utf-8"), "a new style").key()
        if key in self._keys:
            return self._keys[key]
        index = len(self.entries) + len(self._added)
        self._added.append(xml)
        self._keys[key] = index
        return index

    def apply(self, edits: Edits) -> None:
        if not self._added:
            return
        count = len(self.entries) + len(self._added)
        edits.append_children(self.node, "".join(self._added), {"count": str(count)})


class _NumberFormats:
    """The custom number formats (``numFmts``), which may be absent."""

    def __init__(self, node: Node | None, prefix: str) -> None:
        self.node = node
        entries = node.find_all("numFmt") if node is not None else []
        self.prefix = entries[0].prefix if entries else (node.prefix if node else prefix)
        self._count = len(entries)
        self._ids = {
            e.attrs.get("formatCode", ""): int(e.attrs.get("numFmtId", "0")) for e in entries
        }
        self._next = max([_FIRST_CUSTOM_FORMAT - 1, *self._ids.values()]) + 1
        self._added: list[str] = []

    def id_for(self, code: str) -> int:
        if code in self._ids:
            return self._ids[code]
        number = self._next
        self._next += 1
        self._ids[code] = number
        self._added.append(
            start_tag(f"{self.prefix}numFmt", {"numFmtId": str(number), "formatCode": code}, True)
        )
        return number

    def apply(self, edits: Edits, root: Node) -> None:
        if not self._added:
            return
        count = str(self._count + len(self._added))
        if self.node is not None:
            edits.append_children(self.node, "".join(self._added), {"count": count})
            return
        # numFmts is the first child of the style sheet when there is one.
        table = start_tag(f"{self.prefix}numFmts", {"count": count}) + "".join(self._added)
        table += f"</{self.prefix}numFmts>"
        if root.children:
            edits.insert(root.children[0].start, table)
        else:
            edits.append_children(root, table)


def _bold_font(fonts: _Table, data: bytes) -> str:
    """The default font (the first) with ``<b/>`` as its first child, as the schema orders it."""
    if not fonts.entries:
        return f"<{fonts.prefix}font><{fonts.prefix}b/></{fonts.prefix}font>"
    default = fonts.entries[0]
    if default.find("b") is not None:
        return data[default.start : default.end].decode("utf-8")
    bold = f"<{default.prefix}b/>"
    if default.empty:
        return start_tag(default.name, default.attrs) + bold + f"</{default.name}>"
    inner = data[default.open_end : default.close].decode("utf-8")
    return (
        data[default.start : default.open_end].decode("utf-8") + bold + inner + f"</{default.name}>"
    )


def _solid_fill(prefix: str, rgb: str) -> str:
    return (
        f'<{prefix}fill><{prefix}patternFill patternType="solid">'
        f'<{prefix}fgColor rgb="FF{rgb.upper()}"/><{prefix}bgColor indexed="64"/>'
        f"</{prefix}patternFill></{prefix}fill>"
    )


def _xf(prefix: str, style: CellStyle, font_id: int, fill_id: int, format_id: int) -> str:
    attrs = {
        "numFmtId": str(format_id),
        "fontId": str(font_id),
        "fillId": str(fill_id),
        "borderId": "0",
        "xfId": "0",
    }
    if format_id:
        attrs["applyNumberFormat"] = "1"
    if font_id:
        attrs["applyFont"] = "1"
    if fill_id:
        attrs["applyFill"] = "1"
    if style.quote_prefix:
        attrs["quotePrefix"] = "1"
    if not style.wrap:
        return start_tag(f"{prefix}xf", attrs, True)
    attrs["applyAlignment"] = "1"
    alignment = f'<{prefix}alignment wrapText="1" vertical="top"/>'
    return start_tag(f"{prefix}xf", attrs) + alignment + f"</{prefix}xf>"
