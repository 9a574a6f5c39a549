"""What a campaign file is, by its bytes rather than its name.

People rename files: an ``.xlsx`` saved as ``campaign.csv`` by a download, a CSV given
an ``.xlsx`` name, an old ``.xls`` renamed ``.xlsx``. The loader reads a file as what its
first bytes say it is, and warns that the name says otherwise:

- a zip holding ``xl/workbook.xml`` (or any ``xl/`` part) is an Excel workbook; one whose
  ``mimetype`` names an OpenDocument spreadsheet is an ``.ods``; one holding
  ``Index/Document.iwa`` is an Apple Numbers document;
- the OLE2 compound-file signature is an Excel 97-2003 ``.xls``;
- anything else is text (CSV, TSV).

A zip that is none of these, or a damaged one, is left to the reader its name asks for,
which says what is wrong with it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Literal

from bulk_scheduler.sheet.file_guard import ZIP_DIRECTORY_ERRORS

__all__ = ["KIND_NAMES", "FileKind", "kind_of_extension", "sniff_kind"]

FileKind = Literal["text", "xlsx", "xls", "ods", "numbers"]

# What a warning calls each kind.
KIND_NAMES: dict[str, str] = {
    "text": "a text file (CSV)",
    "xlsx": "an Excel workbook (.xlsx)",
    "xls": "an Excel 97-2003 workbook (.xls)",
    "ods": "an OpenDocument spreadsheet (.ods)",
    "numbers": "an Apple Numbers document",
}

_EXTENSION_KINDS: dict[str, FileKind] = {
    ".csv": "text",
    ".tsv": "text",
    ".txt": "text",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".ods": "ods",
    ".numbers": "numbers",
}

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def kind_of_extension(extension: str) -> FileKind | None:
    """The kind a (lower-case) extension names, or None for one no reader takes."""
    return _EXTENSION_KINDS.get(extension)


def sniff_kind(path: Path) -> FileKind | None:
    """What the bytes of ``path`` are; None when they do not say (an empty file, a
    damaged or foreign zip): the extension then decides."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError:
        return None
    if not head:
        return None
    if head.startswith(_OLE2_MAGIC):
        return "xls"
    if head.startswith(_ZIP_MAGIC):
        return _zip_kind(path)
    return "text"


def _zip_kind(path: Path) -> FileKind | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.NameToInfo
            if "mimetype" in names:
                info = names["mimetype"]
                if info.file_size <= 200 and archive.read(info).strip() == _ODS_MIMETYPE:
                    return "ods"
            if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
                return "xlsx"
            if any(n.startswith("Index/") and n.endswith(".iwa") for n in names):
                return "numbers"
    except (*ZIP_DIRECTORY_ERRORS, KeyError):
        return None
    return None
