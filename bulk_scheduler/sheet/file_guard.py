"""Limits that keep a hostile or broken campaign file from exhausting memory or time.

A campaign file is input from anywhere (a download, a shared drive, a colleague's
macro), so the loader checks what a file *declares* before it reads it:

- ``check_file_size``: the file itself, against ``MAX_FILE_BYTES`` (a parameter of
  ``load_campaign``). Special files (a FIFO, ``/dev/zero`` under a ``.csv`` name)
  are refused: they have no size to check.
- ``check_workbook_archive``: an ``.xlsx`` is a zip. Its central directory states
  every member's compressed and uncompressed size, so a zip bomb (a small file
  whose ``sharedStrings.xml`` inflates to gigabytes) is refused before anything
  is inflated. The zip readers used afterwards (Python's ``zipfile``, calamine's
  Rust ``zip``) both stop at a member's declared size, which is why the
  declaration can be trusted as an upper bound.
- ``check_workbook_cells``: calamine allocates a dense grid from A1 to the last
  cell that holds a value, so one value in ``XFD1048576`` asks for 17 billion
  cells and aborts the whole process (a Rust allocation failure, no exception).
  Every part is scanned before calamine loads a sheet: a quick byte scan
  (``SheetExtentScan``) settles the common case (references no wider than ``Z``,
  rows below 100,000), and anything else is measured exactly by a tag tokenizer
  (``exact_sheet_extent``) that reads crafted XML as leniently as calamine does.

The numbers are documented here, in one place, so the messages and the docs agree.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bulk_scheduler.campaign import cell_ref
from bulk_scheduler.errors import CampaignFileError

__all__ = [
    "DEFAULT_ARCHIVE_LIMITS",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_SHEET_CELLS",
    "MAX_SHEET_ROWS",
    "ZIP_DIRECTORY_ERRORS",
    "ArchiveLimits",
    "SheetExtentScan",
    "check_file_size",
    "check_workbook_archive",
    "check_workbook_cells",
    "describe_size",
    "exact_sheet_extent",
    "tag_aligned_chunks",
]

# The largest campaign file read (CSV or XLSX on disk): 200 MiB is ten times a
# 200,000-row campaign, the CLI's default --max-rows.
MAX_FILE_BYTES = 200 * 1024 * 1024

# Excel's own sheet is 16,384 columns (A to XFD) wide and 1,048,576 rows deep; no
# campaign needs more.
MAX_COLUMNS = 16_384
MAX_SHEET_ROWS = 1_048_576

# The most characters one cell may hold: the csv module's default field limit, four
# times Excel's 32,767. A caption is a few thousand characters at most.
MAX_CELL_CHARS = 131_072

# The most cells (rows x columns, from A1) a sheet may span: about 1 GB while it is
# read. A full-height Excel sheet 26 columns wide (A:Z x 1,048,576) fits. The loader
# holds a CSV to the same budget (rows kept x columns).
MAX_SHEET_CELLS = 30_000_000


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """What a workbook's zip directory may declare.

    ``max_total_bytes`` bounds all members inflated; a member larger than
    ``ratio_floor_bytes`` may not be compressed more than ``max_ratio`` to one (text
    XML compresses about 10:1, a bomb about 1000:1); ``max_members`` bounds the
    directory itself.
    """

    max_total_bytes: int = 500 * 1024 * 1024
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 50 * 1024 * 1024
    max_members: int = 10_000


DEFAULT_ARCHIVE_LIMITS = ArchiveLimits()

# What reading a damaged or crafted zip directory can raise (zipfile refuses a "version
# 25.1" archive with NotImplementedError, a short extra field with struct.error...).
ZIP_DIRECTORY_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    OverflowError,
)

# A zip ends with its "end of central directory" record, within the last 64 KiB + 22 bytes.
_EOCD_SIGNATURE = b"PK\x05\x06"
_EOCD_SEARCH = 65_536 + 22


def describe_size(size: int) -> str:
    """``describe_size(3_500_000)`` -> ``"3.3 MB"``; bytes as a person reads them."""
    if size >= 1024 * 1024:
        megabytes = size / (1024 * 1024)
        return f"{megabytes:,.0f} MB" if megabytes >= 10 else f"{megabytes:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def check_file_size(path: Path, name: str, max_bytes: int | None) -> int:
    """Refuse a campaign file that is not a regular file or is over ``max_bytes``.

    Returns the size in bytes. ``max_bytes=None`` means no limit.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise CampaignFileError(f"{name}: cannot read the file ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise CampaignFileError(f"{name}: is not a regular file, so it cannot be a campaign")
    if max_bytes is not None and info.st_size > max_bytes:
        size, limit = describe_size(info.st_size), describe_size(max_bytes)
        if size == limit:  # "200 MB, over the 200 MB limit" says nothing
            size, limit = f"{info.st_size:,} bytes", f"{max_bytes:,} bytes"
        raise CampaignFileError(
            f"{name}: the file is {size}, over the {limit} limit for a campaign file; "
            "split it into smaller files"
        )
    return info.st_size


def check_workbook_archive(
    path: Path, name: str, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS
) -> None:
    """Refuse a workbook whose zip directory declares too much, before anything is inflated.

    A file with no zip directory at all is left for the workbook reader to refuse
    (it says what the file is not); a directory that is there but unreadable is
    refused here, so no reader inflates a member this check could not see.
    """
    if not _has_zip_directory(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except ZIP_DIRECTORY_ERRORS as exc:
        raise CampaignFileError(
            f"{name}: is not an Excel workbook (damaged zip: {_one_line(exc)}); "
            "open it and save it as .xlsx"
        ) from exc
    if len(members) > limits.max_members:
        raise CampaignFileError(
            f"{name}: the workbook holds {len(members):,} parts, more than "
            f"{limits.max_members:,}; it is not a campaign workbook"
        )
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise CampaignFileError(
                f"{name}: the workbook part {member.filename} would inflate from "
                f"{describe_size(member.compress_size)} to {describe_size(member.file_size)} "
                f"({ratio:,.0f}:1), which only a zip bomb does; it was not opened"
            )
    if total > limits.max_total_bytes:
        raise CampaignFileError(
            f"{name}: the workbook would inflate to {describe_size(total)}, over the "
            f"{describe_size(limits.max_total_bytes)} limit; it was not opened"
        )


def _has_zip_directory(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - _EOCD_SEARCH))
            return _EOCD_SIGNATURE in handle.read()
    except OSError:
        return False


def check_workbook_cells(
    archive: zipfile.ZipFile,
    name: str,
    *,
    labels: Mapping[str, str] | None = None,
    visit: Callable[[str, bytes], None] | None = None,
    max_cells: int = MAX_SHEET_CELLS,
) -> None:
    """Refuse a workbook with a part whose cells reach further than ``max_cells`` allow.

    Every part is measured, not only the sheet the workbook's relationships lead
    to: the reader resolves them on its own, and a crafted workbook could make the
    two disagree. ``labels`` names parts for messages (``"sheet 'Posts'"``);
    ``visit(part, chunk)`` sees every tag-aligned chunk read, so a caller can scan a
    part in the same pass. Zip and I/O errors propagate.
    """
    for member in archive.infolist():
        if member.is_dir():
            continue
        scan = SheetExtentScan(max_cells)
        with archive.open(member) as stream:
            for chunk in tag_aligned_chunks(stream):
                if visit is not None:
                    visit(member.filename, chunk)
                scan.feed(chunk)
        if not scan.needs_exact:
            continue
        with archive.open(member) as stream:
            rows, columns = exact_sheet_extent(tag_aligned_chunks(stream))
        if rows * columns > max_cells or rows > MAX_SHEET_ROWS or columns > MAX_COLUMNS:
            where = (labels or {}).get(member.filename, f"the part {member.filename}")
            raise CampaignFileError(
                f"{name}: {where} has a value as far as cell {cell_ref(columns - 1, rows)} "
                f"({rows:,} rows x {columns:,} columns); a campaign sheet may span "
                f"{MAX_SHEET_ROWS:,} rows, {MAX_COLUMNS:,} columns and {max_cells:,} cells "
                "at most: delete the far-away cells (Ctrl+End in Excel goes to the last one)"
            )


# --- how far a sheet reaches -------------------------------------------------------------------


class SheetExtentScan:
    """A byte scan of a sheet's XML that bounds the grid calamine will allocate.

    Feed it the sheet in chunks that each end just before a ``<`` (so no tag is
    split, see ``tag_aligned_chunks``); then ``needs_exact`` tells whether the quick
    bound was not enough and ``exact_sheet_extent`` must measure the sheet.

    The quick path: while every cell tag is ``<c r="A1"`` with one column letter and
    at most five digits, the grid is within Z99999 (2.6 million cells). From the
    first cell that is not, cells must still have a plain ``r="XFD123"`` reference,
    and the widest column and the deepest row are collected exactly. Anything less
    plain (cells without a reference, prefixed tags, odd spacing or quoting: written
    by a rare tool, or crafted) sends the sheet to the exact count.
    """

    _QUICK_WIDTH = 26
    _QUICK_HEIGHT = 99_999
    _UNUSUAL = re.compile(rb'<c(?! r="[A-Z][0-9]{1,5}")[\s/>]')
    _IRREGULAR = re.compile(rb'<c(?! r="[A-Z]{1,3}[0-9]{1,7}")[\s/>]')
    _PREFIXED = re.compile(rb":c[\s/>]")
    _WIDE = re.compile(rb'<c r="([A-Z]{2,3})[0-9]')
    _DEEP = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{6,7})"')

    def __init__(self, max_cells: int = MAX_SHEET_CELLS) -> None:
        self._max_cells = max_cells
        self._started = False
        self._careful = False
        self._irregular = False
        self._width = self._QUICK_WIDTH
        self._height = self._QUICK_HEIGHT

    def feed(self, chunk: bytes) -> None:
        """Scan the next tag-aligned chunk of the sheet XML."""
        if self._irregular:
            return
        self._started = True
        if self._PREFIXED.search(chunk) is not None:
            # Prefixed cells (<x:c>: the OpenXML SDK writes them, or a crafted namespace).
            self._irregular = True
            return
        if not self._careful:
            if self._UNUSUAL.search(chunk) is None:
                return
            self._careful = True  # every chunk before this one was within Z99999
        if self._IRREGULAR.search(chunk) is not None:
            self._irregular = True
            return
        for letters in set(self._WIDE.findall(chunk)):
            self._width = max(self._width, _column_number(letters))
        deep = self._DEEP.findall(chunk)
        if deep:
            self._height = max(self._height, *map(int, deep))

    @property
    def needs_exact(self) -> bool:
        """True when the quick bound may exceed the cell budget (or could not be taken)."""
        return (
            self._irregular
            or not self._started
            or self._height > MAX_SHEET_ROWS
            or self._width * self._height > self._max_cells
        )


def exact_sheet_extent(chunks: Iterable[bytes]) -> tuple[int, int]:
    """``(rows, columns)`` from A1 to the farthest cell holding a value, as calamine sees it.

    ``chunks`` are tag-aligned (``tag_aligned_chunks``). The XML is tokenised by tag,
    not parsed, so damaged or crafted XML that a lenient parser would still read
    is measured all the same, and no entity is ever expanded. A cell counts when it
    has a value (``<v>`` with text), inline text (``<is>``) or a formula; a formatted
    but empty cell (``<c r="XFD1048576" s="1"/>``) does not. A cell without a
    reference follows the one before it; a row without one follows the row before.
    """
    rows = columns = 0
    row_number = column = 0
    cell_row = cell_column = 0
    in_cell = has_value = False
    for chunk in chunks:
        for match in _TAG.finditer(chunk):
            closing, local, attributes = match.group(1, 2, 3)
            if local == b"row" and not closing:
                number = _attribute_int(attributes)
                row_number = number if number is not None else row_number + 1
                column = 0
            elif local == b"c" and not closing:
                reference = _parse_ref(attributes)
                column, cell_row = reference if reference else (column + 1, row_number)
                cell_column = column
                in_cell, has_value = not attributes.endswith(b"/"), False
            elif local == b"c":
                if in_cell and has_value:
                    rows, columns = max(rows, cell_row), max(columns, cell_column)
                in_cell = False
            elif in_cell and not closing and local in (b"is", b"f"):
                has_value = True
            elif in_cell and not closing and local == b"v":
                following = chunk.find(b"<", match.end())
                text = chunk[match.end() : following if following >= 0 else len(chunk)]
                has_value = has_value or (bool(text) and not attributes.endswith(b"/"))
    return rows, columns


# Any start or end tag, with its namespace prefix dropped: (closing "/", local name, attributes).
_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)([^>]*)>")
_REF_ATTRIBUTE = re.compile(rb"""(?:^|\s)r\s*=\s*["']\s*([A-Za-z]+)([0-9]+)\s*["']""")
_ROW_ATTRIBUTE = re.compile(rb"""(?:^|\s)r\s*=\s*["']\s*([0-9]+)\s*["']""")


def _parse_ref(attributes: bytes) -> tuple[int, int] | None:
    """A cell's ``r="XFD7"`` -> ``(16384, 7)`` (1-based column, row); None when absent."""
    match = _REF_ATTRIBUTE.search(attributes)
    if match is None:
        return None
    return _column_number(match.group(1).upper()), int(match.group(2))


def _attribute_int(attributes: bytes) -> int | None:
    match = _ROW_ATTRIBUTE.search(attributes)
    return int(match.group(1)) if match else None


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def tag_aligned_chunks(stream: IO[bytes], size: int = 1 << 20) -> Iterable[bytes]:
    """Read ``stream`` in chunks of about ``size`` bytes, each cut just before a ``<``.

    A pattern that starts with ``<`` and stays inside one tag then never straddles
    two chunks.
    """
    carry = b""
    while block := stream.read(size):
        data = carry + block
        cut = data.rfind(b"<")
        if cut <= 0:
            carry = data  # no tag starts here yet (or only at 0): read on
            continue
        carry = data[cut:]
        yield data[:cut]
    if carry:
        yield carry
