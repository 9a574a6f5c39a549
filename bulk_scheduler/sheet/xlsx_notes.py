"""Notes (Excel's "comments") on cells: a new comments part and the legacy VML drawing that
shows them, or notes added to a sheet's own.

Excel keeps a note's text in the comments part and draws its yellow box from the VML
drawing; the sheet names the drawing in ``<legacyDrawing>``. The markup is the one Excel
and openpyxl write for plain notes (openpyxl's own is not used: importing it costs the
results sheet about 0.4 s). Notes added to a sheet's own parts are appended, each new
shape declaring its namespaces so that whatever prefixes the drawing uses do not matter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bulk_scheduler.sheet.xlsx_cells import column_index
from bulk_scheduler.sheet.xlsx_xml import (
    Edits,
    Node,
    PartRefusedError,
    parse_part,
    start_tag,
    xml_text,
)

__all__ = ["add_notes", "notes_parts"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NAMESPACES = (
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:x="urn:schemas-microsoft-com:office:excel"'
)
_SHAPE_TYPE_ID = "_x0000_t202"  # Excel's text box, which every note's shape is drawn as
_SHAPE_TYPE = (
    '<v:shapetype{declare} id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
    '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)
# One hidden note box (shown on hovering its cell); {row} and {column} are 0-based.
_SHAPE = (
    '<v:shape{declare} id="_x0000_s{id}" type="#_x0000_t202" style="position:absolute;'
    "margin-left:59.25pt;margin-top:1.5pt;width:180pt;height:60pt;z-index:{z};"
    'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
    '<v:fill color2="#ffffe1"/><v:shadow color="black" obscured="t"/>'
    '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
    '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
    "<x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill>"
    "<x:Row>{row}</x:Row><x:Column>{column}</x:Column></x:ClientData></v:shape>"
)
_FIRST_SHAPE = 1025  # the first id of the block that o:idmap data="1" gives
_SHAPE_NUMBER = re.compile(r"_x0000_s(\d+)$")


def notes_parts(notes: Mapping[str, str], author: str) -> tuple[bytes, bytes]:
    """A new comments part and its VML drawing for ``notes`` (cell reference -> text)."""
    comments_part = (
        f'{_DECLARATION}<comments xmlns="{_MAIN}"><authors><author>{xml_text(author)}</author>'
        f"</authors><commentList>{_comments(notes, 0, '')}</commentList></comments>"
    )
    drawing = (
        f"<xml {_NAMESPACES}>"
        '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
        + _SHAPE_TYPE.format(declare="")
        + _shapes(notes, _FIRST_SHAPE, declare="")
        + "</xml>"
    )
    return comments_part.encode("utf-8"), drawing.encode("utf-8")


def add_notes(
    comments: bytes, drawing: bytes, notes: Mapping[str, str], author: str
) -> tuple[bytes, bytes]:
    """A sheet's own comments part and VML drawing with ``notes`` added; a cell that has a
    note keeps it and gets none of ours. Raises ``PartRefusedError`` when either part
    cannot be parsed (Excel's VML is not always well-formed XML)."""
    comments_root = parse_part(comments, "the comments part")
    drawing_root = parse_part(drawing, "the notes' drawing")
    comment_list = comments_root.find("commentList")
    authors = comments_root.find("authors")
    if comment_list is None or authors is None:
        raise PartRefusedError("the comments part has no comment list")
    noted = {(node.attrs.get("ref") or "").upper() for node in comment_list.find_all("comment")}
    notes = {ref: text for ref, text in notes.items() if ref.upper() not in noted}
    if not notes:
        return comments, drawing

    comment_edits = Edits(comments)
    names = [node.text for node in authors.find_all("author")]
    if author in names:
        author_id = names.index(author)
    else:
        author_id = len(names)
        prefix = authors.prefix
        comment_edits.append_children(
            authors, f"<{prefix}author>{xml_text(author)}</{prefix}author>"
        )
    comment_edits.append_children(comment_list, _comments(notes, author_id, comment_list.prefix))

    shapes = ""
    if not any(_is_text_box_type(node) for node in _walk(drawing_root)):
        shapes += _SHAPE_TYPE.format(declare=" " + _NAMESPACES)
    numbers = [_FIRST_SHAPE - 1]
    for node in _walk(drawing_root):
        for name, value in node.attrs.items():
            match = _SHAPE_NUMBER.match(value) if name == "id" or name.endswith("spid") else None
            if match:
                numbers.append(int(match.group(1)))
    shapes += _shapes(notes, max(numbers) + 1, declare=" " + _NAMESPACES)
    drawing_edits = Edits(drawing)
    drawing_edits.append_children(drawing_root, shapes)
    return comment_edits.apply(), drawing_edits.apply()


def _comments(notes: Mapping[str, str], author_id: int, prefix: str) -> str:
    return "".join(
        start_tag(f"{prefix}comment", {"ref": ref, "authorId": str(author_id)})
        + f'<{prefix}text><{prefix}t xml:space="preserve">{xml_text(text)}</{prefix}t>'
        f"</{prefix}text></{prefix}comment>"
        for ref, text in notes.items()
    )


def _shapes(notes: Mapping[str, str], first: int, declare: str) -> str:
    shapes = []
    for offset, ref in enumerate(notes):
        letters = ref.rstrip("0123456789")
        shapes.append(
            _SHAPE.format(
                declare=declare,
                id=first + offset,
                z=offset + 1,
                row=int(ref[len(letters) :]) - 1,
                column=column_index(letters),
            )
        )
    return "".join(shapes)


def _walk(node: Node) -> list[Node]:
    nodes = [node]
    for child in node.children:
        nodes.extend(_walk(child))
    return nodes


def _is_text_box_type(node: Node) -> bool:
    return node.local == "shapetype" and node.attrs.get("id") == _SHAPE_TYPE_ID
