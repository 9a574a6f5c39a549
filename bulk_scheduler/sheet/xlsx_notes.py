"""Notes (Excel's "comments") for a sheet that has none: the comments part and the legacy
VML drawing that shows them.

Excel keeps a note's text in the comments part and draws its yellow box from the VML
drawing; the sheet names the drawing in ``<legacyDrawing>``. The markup is the one Excel
and openpyxl write for plain notes (openpyxl's own is not used: importing it costs the
results sheet about 0.4 s).
"""

from __future__ import annotations

from collections.abc import Mapping

from bulk_scheduler.sheet.xlsx_cells import column_index
from bulk_scheduler.sheet.xlsx_xml import xml_text

__all__ = ["notes_parts"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_VML_HEAD = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:x="urn:schemas-microsoft-com:office:excel">'
    '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
    '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)
# One hidden note box (shown on hovering its cell); {id}, {row} and {column} are 0-based
# where Excel counts so.
_VML_SHAPE = (
    '<v:shape id="_x0000_s{id}" type="#_x0000_t202" style="position:absolute;'
    "margin-left:59.25pt;margin-top:1.5pt;width:180pt;height:60pt;z-index:{z};"
    'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
    '<v:fill color2="#ffffe1"/><v:shadow color="black" obscured="t"/>'
    '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
    '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
    "<x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill>"
    "<x:Row>{row}</x:Row><x:Column>{column}</x:Column></x:ClientData></v:shape>"
)


def notes_parts(notes: Mapping[str, str], author: str) -> tuple[bytes, bytes]:
    """The comments part and its VML drawing for ``notes`` (cell reference -> text)."""
    comments = "".join(
        f'<comment ref="{ref}" authorId="0"><text><t xml:space="preserve">{xml_text(text)}</t>'
        "</text></comment>"
        for ref, text in notes.items()
    )
    comments_part = (
        f'{_DECLARATION}<comments xmlns="{_MAIN}"><authors><author>{xml_text(author)}</author>'
        f"</authors><commentList>{comments}</commentList></comments>"
    )
    shapes = []
    for number, ref in enumerate(notes, start=1):
        letters = ref.rstrip("0123456789")
        shapes.append(
            _VML_SHAPE.format(
                id=1024 + number,  # the block idmap data="1" gives: 1025 on
                z=number,
                row=int(ref[len(letters) :]) - 1,
                column=column_index(letters),
            )
        )
    drawing = _VML_HEAD + "".join(shapes) + "</xml>"
    return comments_part.encode("utf-8"), drawing.encode("utf-8")
