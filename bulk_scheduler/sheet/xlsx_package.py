"""A workbook as a package: the zip of XML parts, its relationships and content types, and a
copy of it made part by part with some parts changed, some added and some dropped.

Parts that are not changed are copied as they are (inflated and deflated again: the zip
module cannot copy a member's compressed bytes). The small parts that must change
(``[Content_Types].xml``, the workbook, relationships) are edited with ``xlsx_xml``,
which keeps every byte it does not edit. Macros are dropped: the VBA project and its
signatures, their relationships and content types, and the workbook's macro-enabled
content type becomes the plain one.

A package this module cannot vouch for raises ``WorkbookNotReusableError``; the caller
then writes a new workbook instead.
"""

from __future__ import annotations

import posixpath
import shutil
import time
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bulk_scheduler.errors import CampaignFileError
from bulk_scheduler.sheet.file_guard import ZIP_DIRECTORY_ERRORS, check_workbook_archive
from bulk_scheduler.sheet.xlsx_streams import read_ahead, write_behind
from bulk_scheduler.sheet.xlsx_xml import Edits, Node, parse_part, start_tag

__all__ = [
    "COMMENTS_CONTENT_TYPE",
    "VML_CONTENT_TYPE",
    "WORKSHEET_CONTENT_TYPE",
    "Package",
    "Relationships",
    "SheetEntry",
    "WorkbookNotReusableError",
    "relative_target",
    "rels_part",
]

WORKBOOK_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WORKSHEET_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
COMMENTS_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_RELATIONSHIPS_NAMESPACE = "http://schemas.openxmlformats.org/package/2006/relationships"
# The VBA project and its signatures: what makes a workbook macro-enabled.
_MACRO_CONTENT_TYPES = frozenset(
    {
        "application/vnd.ms-office.vbaproject",
        "application/vnd.ms-office.vbaprojectsignature",
        "application/vnd.ms-office.vbaprojectsignatureagile",
        "application/vnd.ms-office.vbaprojectsignaturev3",
    }
)
# Excel 4 macro sheets are sheets of the workbook: dropping one would renumber the others.
_MACRO_SHEET_CONTENT_TYPES = frozenset(
    {"application/vnd.ms-excel.macrosheet+xml", "application/vnd.ms-excel.intlmacrosheet+xml"}
)
_CONTENT_TYPES = "[Content_Types].xml"
_OFFICE_DOCUMENT = "/officeDocument"
_COPY_CHUNK = 1 << 20
_ZIP64_FROM = 256 << 20  # a part this large may grow past 2 GiB once rewritten


class WorkbookNotReusableError(Exception):
    """The workbook cannot be copied with confidence; say why in one line."""


def rels_part(part: str) -> str:
    """``"xl/workbook.xml"`` -> ``"xl/_rels/workbook.xml.rels"``; ``""`` (the package) ->
    ``"_rels/.rels"``."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def relative_target(source_part: str, target_part: str) -> str:
    """The ``Target`` of a relationship from ``source_part`` to ``target_part``."""
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


@dataclass(slots=True)
class Relationship:
    id: str
    type: str
    target: str  # the part it leads to, resolved ("" for an external target)
    node: Node


class Relationships:
    """One relationships part (``_rels/*.rels``), read and edited, or new."""

    def __init__(self, source_part: str, data: bytes | None) -> None:
        self.source_part = source_part
        self.part = rels_part(source_part)
        self.created = data is None
        self._added: list[str] = []
        self._added_ids: set[str] = set()
        self.items: list[Relationship] = []
        self._edits: Edits | None = None
        if data is None:
            return
        root = parse_part(data, self.part)
        self._edits = Edits(data)
        self._prefix = root.prefix
        self._root = root
        folder = posixpath.dirname(source_part)
        for node in root.find_all("Relationship"):
            external = (node.attrs.get("TargetMode") or "").lower() == "external"
            target = "" if external else _resolve(folder, node.attrs.get("Target", ""))
            self.items.append(
                Relationship(node.attrs.get("Id", ""), node.attrs.get("Type", ""), target, node)
            )

    def of_type(self, suffix: str) -> list[Relationship]:
        """Relationships whose type ends with ``suffix`` (``"/worksheet"``): transitional and
        strict types differ only before it."""
        return [item for item in self.items if item.type.endswith(suffix)]

    def by_id(self, relationship_id: str) -> Relationship | None:
        return next((item for item in self.items if item.id == relationship_id), None)

    def add(self, type_: str, target_part: str) -> str:
        """A new relationship to ``target_part``; returns its id."""
        taken = {item.id for item in self.items} | self._added_ids
        number = len(taken) + 1
        while f"rId{number}" in taken:
            number += 1
        relationship_id = f"rId{number}"
        self._added_ids.add(relationship_id)
        prefix = "" if self.created else self._prefix
        self._added.append(
            start_tag(
                f"{prefix}Relationship",
                {
                    "Id": relationship_id,
                    "Type": type_,
                    "Target": relative_target(self.source_part, target_part),
                },
                empty=True,
            )
        )
        return relationship_id

    def remove(self, relationship: Relationship) -> None:
        if self._edits is not None:
            self._edits.remove(relationship.node)
        self.items.remove(relationship)

    def render(self) -> bytes:
        added = "".join(self._added)
        if self._edits is None:
            return (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<Relationships xmlns="{_RELATIONSHIPS_NAMESPACE}">{added}</Relationships>'
            ).encode()
        if added:
            self._edits.append_children(self._root, added)
        return self._edits.apply()


@dataclass(slots=True)
class SheetEntry:
    """A tab of the workbook: its name, position, ``<sheet>`` element and part."""

    name: str
    index: int
    node: Node
    relationship: Relationship | None

    @property
    def part(self) -> str | None:
        return self.relationship.target if self.relationship else None


class Package:
    """A workbook's zip, opened for copying; use as a context manager."""

    def __init__(self, path: Path, name: str) -> None:
        try:
            # The same zip-bomb guard as the loader: the file may have changed since.
            check_workbook_archive(path, name)
            self.archive = zipfile.ZipFile(path)
        except (CampaignFileError, *ZIP_DIRECTORY_ERRORS) as exc:
            raise WorkbookNotReusableError(str(exc)) from exc
        try:
            self._parts = {info.filename.lower(): info for info in self.archive.infolist()}
            self.content_types_data = self.read(_CONTENT_TYPES)
            self.content_types = parse_part(self.content_types_data, _CONTENT_TYPES)
            self.content_types_edits = Edits(self.content_types_data)
            package_rels = self.relationships("")
            documents = package_rels.of_type(_OFFICE_DOCUMENT)
            if not documents:
                raise WorkbookNotReusableError("the package names no workbook part")
            self.workbook_part = documents[0].target
            self.workbook_data = self.read(self.workbook_part)
            self.workbook = parse_part(self.workbook_data, self.workbook_part)
            self.workbook_edits = Edits(self.workbook_data)
            self.workbook_rels = self.relationships(self.workbook_part)
            self.sheets = self._sheets()
        except BaseException:
            self.archive.close()
            raise

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *_: object) -> None:
        self.archive.close()

    def has(self, part: str) -> bool:
        return part.lower() in self._parts

    def read(self, part: str) -> bytes:
        info = self._parts.get(part.lower())
        if info is None:
            raise WorkbookNotReusableError(f"the part {part} is missing")
        try:
            return self.archive.read(info)
        except (*ZIP_DIRECTORY_ERRORS, zlib.error, KeyError) as exc:
            raise WorkbookNotReusableError(f"the part {part} cannot be read: {exc}") from exc

    def relationships(self, part: str) -> Relationships:
        """``part``'s relationships (an empty, new set when it has none)."""
        name = rels_part(part)
        data = self.read(name) if self.has(name) else None
        return Relationships(part, data)

    def content_type(self, part: str) -> str | None:
        """The part's content type, lower-cased: its Override, else its extension's Default."""
        wanted = "/" + part.lower()
        extension = posixpath.splitext(part)[1].lstrip(".").lower()
        default = None
        for node in self.content_types.children:
            if node.local == "Override" and node.attrs.get("PartName", "").lower() == wanted:
                return node.attrs.get("ContentType", "").lower()
            if node.local == "Default" and node.attrs.get("Extension", "").lower() == extension:
                default = node.attrs.get("ContentType", "").lower()
        return default

    def parts(self) -> list[str]:
        return [info.filename for info in self.archive.infolist() if not info.is_dir()]

    def new_part_name(self, folder: str, stem: str, extension: str, taken: set[str]) -> str:
        """``folder/stemN.extension`` with the smallest N that no part (nor ``taken``) uses."""
        number = 1
        while True:
            name = f"{folder}/{stem}{number}.{extension}"
            if not self.has(name) and name.lower() not in taken:
                taken.add(name.lower())
                return name
            number += 1

    def _sheets(self) -> list[SheetEntry]:
        sheets_node = self.workbook.find("sheets")
        if sheets_node is None:
            raise WorkbookNotReusableError("the workbook lists no sheets")
        entries = []
        for index, node in enumerate(sheets_node.find_all("sheet")):
            relationship_id = node.attr("id")
            relationship = self.workbook_rels.by_id(relationship_id) if relationship_id else None
            entries.append(SheetEntry(node.attrs.get("name", ""), index, node, relationship))
        return entries

    # --- content types -------------------------------------------------------------------

    def add_override(self, part: str, content_type: str) -> None:
        prefix = self.content_types.prefix
        self.content_types_edits.append_children(
            self.content_types,
            start_tag(
                f"{prefix}Override", {"PartName": "/" + part, "ContentType": content_type}, True
            ),
        )

    def add_default(self, extension: str, content_type: str) -> None:
        """A Default for ``extension`` unless there is one (a Default is per extension)."""
        for node in self.content_types.find_all("Default"):
            if node.attrs.get("Extension", "").lower() == extension.lower():
                return
        prefix = self.content_types.prefix
        self.content_types_edits.append_children(
            self.content_types,
            start_tag(
                f"{prefix}Default", {"Extension": extension, "ContentType": content_type}, True
            ),
        )

    # --- macros --------------------------------------------------------------------------

    def macro_parts(self) -> set[str]:
        """The VBA project, its signatures and their relationships parts (lower-cased names).

        Raises ``WorkbookNotReusableError`` for Excel 4 macro sheets, which are tabs.
        """
        dropped: set[str] = set()
        for part in self.parts():
            content_type = self.content_type(part)
            if content_type in _MACRO_SHEET_CONTENT_TYPES:
                raise WorkbookNotReusableError("the workbook has Excel 4 macro sheets")
            if content_type in _MACRO_CONTENT_TYPES:
                dropped.add(part.lower())
                dropped.add(rels_part(part).lower())
        return dropped

    def drop_parts(self, dropped: set[str]) -> None:
        """Edit the workbook's relationships and content types so that no part of ``dropped``
        (lower-cased names) is named, and give the workbook the plain (macro-free, not a
        template) content type."""
        for relationship in list(self.workbook_rels.items):
            if relationship.target and relationship.target.lower() in dropped:
                self.workbook_rels.remove(relationship)
        remaining = {part.lower() for part in self.parts()} - dropped
        overridden = set()
        for node in self.content_types.children:
            if node.local != "Override":
                continue
            name = node.attrs.get("PartName", "").lstrip("/").lower()
            overridden.add(name)
            if name in dropped:
                self.content_types_edits.remove(node)
            elif (
                name == self.workbook_part.lower()
                and node.attrs.get("ContentType") != WORKBOOK_CONTENT_TYPE
            ):
                # Macro-enabled (or template) main part: the plain workbook's content type.
                self.content_types_edits.set_attributes(
                    node, {"ContentType": WORKBOOK_CONTENT_TYPE}
                )
        for node in self.content_types.find_all("Default"):
            if node.attrs.get("ContentType", "").lower() not in _MACRO_CONTENT_TYPES:
                continue
            extension = "." + node.attrs.get("Extension", "").lower()
            if not any(p.endswith(extension) and p not in overridden for p in remaining):
                self.content_types_edits.remove(node)

    # --- writing -------------------------------------------------------------------------

    def write(
        self,
        handle: IO[bytes],
        *,
        replaced: Mapping[str, bytes | Callable[[IO[bytes], IO[bytes]], None]],
        added: Mapping[str, bytes],
        dropped: set[str],
        compresslevel: int,
    ) -> None:
        """Write the package to ``handle``: every part in its order, ``replaced`` ones with
        new bytes or through a function given the old part's stream and the new one's, then
        the ``added`` parts; parts in ``dropped`` (lower-cased) are left out."""
        replaced_by_name = {name.lower(): value for name, value in replaced.items()}
        with zipfile.ZipFile(
            handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        ) as out:
            for info in self.archive.infolist():
                key = info.filename.lower()
                if info.is_dir() or key in dropped:
                    continue
                target = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                target.compress_type = zipfile.ZIP_DEFLATED
                target.external_attr = info.external_attr
                replacement = replaced_by_name.get(key)
                try:
                    if isinstance(replacement, bytes):
                        out.writestr(target, replacement)
                    elif replacement is not None:
                        with (
                            self.archive.open(info) as source,
                            # A rewritten part may outgrow the 2 GiB of a plain zip entry.
                            out.open(target, "w", force_zip64=info.file_size > _ZIP64_FROM) as sink,
                            read_ahead(source) as ahead,
                            write_behind(sink) as behind,
                        ):
                            replacement(ahead, behind)
                    else:
                        with self.archive.open(info) as source, out.open(target, "w") as sink:
                            shutil.copyfileobj(source, sink, _COPY_CHUNK)
                except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                    # A damaged part of the workbook read; the disk written to raises OSError.
                    raise WorkbookNotReusableError(
                        f"the part {info.filename} cannot be read: {exc}"
                    ) from exc
            now = time.localtime()[:6]
            for name, data in added.items():
                target = zipfile.ZipInfo(name, date_time=now)
                target.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(target, data)


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))
