"""Edit the XML parts of a workbook in place: parse with expat, splice bytes, keep the rest.

A workbook's parts are edited by splicing, not by parsing into a tree and writing it
back: a tree writer renames namespace prefixes (``ns0:``) and drops declarations that only
an attribute value names (``mc:Ignorable="x14ac"``), and Excel repairs a file whose
ignorable prefixes are not declared. So the stdlib's expat parser reports each element
with its byte offsets, and edits replace or insert bytes at those offsets; every byte not
edited is copied as it was. Names are kept as written (``x:row``): expat runs without
namespace processing, and elements are matched by local name.

The parser is guarded as defusedxml guards its own: a part that declares a DTD is refused
(no workbook part needs one, and entities can only be declared in one), and so is a part
not in UTF-8, whose offsets the UTF-8 bytes spliced in would corrupt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from xml.parsers import expat

__all__ = [
    "Edits",
    "Node",
    "PartRefusedError",
    "attribute_text",
    "guarded_parser",
    "local_name",
    "parse_part",
    "start_tag",
    "xml_text",
]


class PartRefusedError(ValueError):
    """A part this module will not edit: malformed, hostile, or not UTF-8."""


def guarded_parser() -> expat.XMLParserType:
    """An expat parser (no namespace processing) that refuses DTDs and non-UTF-8 input."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_entity
    parser.XmlDeclHandler = _utf8_only
    return parser


def _refuse_dtd(*_: object) -> None:
    raise PartRefusedError("the part declares a DTD, which no workbook part needs")


def _refuse_entity(*_: object) -> None:
    raise PartRefusedError("the part declares an entity")


def _utf8_only(_version: str | None, encoding: str | None, _standalone: int) -> None:
    if encoding is not None and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise PartRefusedError(f"the part is encoded in {encoding}, not UTF-8")


def check_utf8_start(data: bytes) -> None:
    """Refuse a part that starts with a UTF-16 byte order mark (expat would accept it)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise PartRefusedError("the part is encoded in UTF-16, not UTF-8")


def local_name(name: str) -> str:
    """``"x:row"`` -> ``"row"``."""
    return name.rpartition(":")[2]


def prefix_of(name: str) -> str:
    """``"x:row"`` -> ``"x:"``; ``"row"`` -> ``""``: the prefix to give a new sibling or child."""
    head, colon, _ = name.rpartition(":")
    return head + colon


# The end of a start tag that expat has already accepted: quoted values may hold ">".
_START_TAG = re.compile(rb"""<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>""")


def start_tag_end(data: bytes | bytearray | memoryview, start: int) -> int:
    """Offset just after the start tag that begins at ``start`` (expat already parsed it)."""
    match = _START_TAG.match(data, start)
    if match is None:
        raise PartRefusedError(f"no start tag at offset {start}")
    return match.end()


@dataclass(slots=True, eq=False)
class Node:
    """One element of a parsed part, with its byte offsets.

    ``start``: the ``<`` of its start tag; ``open_end``: just after the start tag;
    ``close``: the ``<`` of its end tag (``open_end`` for an empty element ``<a/>``);
    ``end``: just after the element.
    """

    name: str
    attrs: dict[str, str]
    start: int
    open_end: int = 0
    close: int = 0
    end: int = 0
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    text: str = ""

    @property
    def local(self) -> str:
        return local_name(self.name)

    @property
    def prefix(self) -> str:
        return prefix_of(self.name)

    @property
    def empty(self) -> bool:
        return self.close == self.open_end and self.end == self.open_end

    def find(self, local: str) -> Node | None:
        """The first child named ``local`` (any prefix)."""
        return next((child for child in self.children if child.local == local), None)

    def find_all(self, local: str) -> list[Node]:
        return [child for child in self.children if child.local == local]

    def attr(self, local: str) -> str | None:
        """An attribute by local name (``r:id`` is found as ``id``), or None."""
        if local in self.attrs:
            return self.attrs[local]
        suffix = ":" + local
        return next((v for k, v in self.attrs.items() if k.endswith(suffix)), None)

    def attr_name(self, local: str) -> str | None:
        """The attribute's name as written (``"r:id"`` for ``id``), or None."""
        if local in self.attrs:
            return local
        suffix = ":" + local
        return next((k for k in self.attrs if k.endswith(suffix)), None)

    def namespace_of(self, prefix: str) -> str | None:
        """The namespace URI bound to ``prefix`` ("" for the default) here, or None."""
        key = f"xmlns:{prefix}" if prefix else "xmlns"
        node: Node | None = self
        while node is not None:
            if key in node.attrs:
                return node.attrs[key]
            node = node.parent
        return None

    def key(self) -> tuple[object, ...]:
        """What the element says, prefixes and attribute order aside: for spotting equals."""
        attrs = tuple(
            sorted((local_name(k), v) for k, v in self.attrs.items() if not k.startswith("xmlns"))
        )
        return (self.local, attrs, self.text.strip(), tuple(c.key() for c in self.children))


def parse_part(data: bytes, part: str) -> Node:
    """Parse a (small) part into nodes with byte offsets; returns the root element.

    Raises ``PartRefusedError`` for malformed XML, a DTD or a non-UTF-8 encoding.
    """
    check_utf8_start(data)
    parser = guarded_parser()
    parser.ordered_attributes = False
    stack: list[Node] = []
    root: list[Node] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        position = parser.CurrentByteIndex
        parent = stack[-1] if stack else None
        node = Node(name, attrs, position, start_tag_end(data, position), parent=parent)
        if parent is None:
            root.append(node)
        else:
            parent.children.append(node)
        stack.append(node)

    def end(_name: str) -> None:
        node = stack.pop()
        position = parser.CurrentByteIndex
        if data[node.open_end - 2 : node.open_end] == b"/>":
            # An empty element: expat reports its end just after the tag.
            node.close = node.end = node.open_end
        else:
            node.close = position
            node.end = data.index(b">", position) + 1

    def text(content: str) -> None:
        if stack:
            stack[-1].text += content

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise PartRefusedError(f"{part}: {exc}") from exc
    except PartRefusedError as exc:
        raise PartRefusedError(f"{part}: {exc}") from exc
    if not root:
        raise PartRefusedError(f"{part}: no root element")
    return root[0]


def xml_text(text: str) -> str:
    """Text as element content: ``&``, ``<``, ``>`` escaped; a carriage return as ``&#13;``
    (a parser would read a bare one as a new line)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


_ATTRIBUTE_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)


def attribute_text(value: str) -> str:
    """A value for a double-quoted attribute; white space as character references, which
    attribute-value normalisation would otherwise turn into spaces."""
    return value.translate(_ATTRIBUTE_ESCAPES)


def start_tag(
    name: str, attrs: Mapping[str, str] | Iterable[tuple[str, str]], empty: bool = False
) -> str:
    """``<name a="1">`` (``<name a="1"/>`` when ``empty``), attributes in the order given."""
    items = attrs.items() if isinstance(attrs, Mapping) else attrs
    rendered = "".join(f' {key}="{attribute_text(value)}"' for key, value in items)
    return f"<{name}{rendered}{'/>' if empty else '>'}"


class Edits:
    """Byte edits of one part, applied in offset order; what is not edited is kept.

    Inserts at the same offset keep the order they were made in.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._edits: list[tuple[int, int, int, bytes]] = []

    def replace(self, start: int, end: int, text: str | bytes) -> None:
        payload = text.encode("utf-8") if isinstance(text, str) else text
        self._edits.append((start, end, len(self._edits), payload))

    def insert(self, position: int, text: str | bytes) -> None:
        self.replace(position, position, text)

    def set_attributes(self, node: Node, changes: Mapping[str, str | None]) -> None:
        """Rewrite ``node``'s start tag with attributes changed (None removes one); the
        attributes keep their order and names as written, new ones go last."""
        attrs = _changed(node.attrs, changes)
        self.replace(node.start, node.open_end, start_tag(node.name, attrs, node.empty))

    def append_children(
        self, node: Node, content: str, changes: Mapping[str, str | None] | None = None
    ) -> None:
        """Add ``content`` as ``node``'s last children (an empty element gets an end tag),
        and change its attributes as :meth:`set_attributes` does."""
        if node.empty:
            attrs = _changed(node.attrs, changes or {})
            self.replace(
                node.start, node.end, start_tag(node.name, attrs) + content + f"</{node.name}>"
            )
            return
        if changes:
            self.set_attributes(node, changes)
        self.insert(node.close, content)

    def remove(self, node: Node) -> None:
        self.replace(node.start, node.end, b"")

    def apply(self) -> bytes:
        if not self._edits:
            return self.data
        pieces: list[bytes] = []
        position = 0
        for start, end, _order, payload in sorted(self._edits):
            if start < position:
                raise PartRefusedError("overlapping edits")  # a bug, never the user's file
            pieces.append(self.data[position:start])
            pieces.append(payload)
            position = end
        pieces.append(self.data[position:])
        return b"".join(pieces)


def _changed(attrs: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    changed = dict(attrs)
    for key, value in changes.items():
        if value is None:
            changed.pop(key, None)
        else:
            changed[key] = value
    return changed
