"""Read a delimited text file (CSV, TSV, Excel "Unicode text") into rows of cells.

The loader (``loader.py``) turns these rows into a ``Campaign``; this module only
knows about bytes, encodings, delimiters and quoting.

- Encodings: UTF-8 with or without a BOM (Excel's "CSV UTF-8" writes one), and
  UTF-16 LE/BE with a BOM (Excel's "Unicode text", tab-delimited). A file that is
  not valid UTF-8 and has no BOM is read in the legacy encoding charset-normalizer
  finds for it (Excel's plain "CSV" is Windows-1252 in Western Europe; see
  ``csv_encoding``), and refused when none fits. UTF-8 is always tried first, so a
  UTF-8 file never pays for detection. ``encoding=`` names the encoding instead.
- The delimiter is sniffed from the header line among ``,`` ``;`` and tab,
  counting only outside quotes (European Excel writes ``;`` because ``,`` is
  its decimal mark). ``.tsv`` files are always tab-delimited.
- Row ``i`` of the result is spreadsheet row ``i + 1``: a quoted multi-line cell
  is one row, and a blank line is still a row (an empty list), just as a
  spreadsheet shows it when it opens the file.
- Cells are kept exactly as written (leading zeros, inner spaces), except that
  blank or whitespace-only cells become ``None``.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

from bulk_scheduler.errors import CampaignFileError
from bulk_scheduler.sheet.csv_encoding import (
    detect_encoding,
    encoding_label,
    refuse_encoding,
    unreadable_text,
)
from bulk_scheduler.sheet.file_guard import describe_size

DELIMITERS: tuple[str, ...] = (",", ";", "\t")

# The sniffer only needs the header line; a cap keeps a file with no newline cheap.
_SNIFF_LIMIT = 65_536
# Bytes of a UTF-8 file decoded at a time while it is parsed.
_DECODE_CHUNK = 65_536


@dataclass(slots=True)
class CsvTable:
    """The rows of a delimited file and how it was written (to write results back the same way).

    ``encoding`` is a Python codec name: ``utf-8``, ``utf-8-sig`` (BOM), ``utf-16`` (BOM),
    or a legacy one found or given (``cp1252``).
    """

    rows: list[list[str | None]]
    encoding: str
    delimiter: str


class NotUtf8Error(CampaignFileError):
    """The bytes are not UTF-8; ``where`` says where (``"byte 0xe9 on line 2"``)."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


def read_csv(
    path: Path,
    name: str,
    *,
    delimiter: str | None = None,
    max_bytes: int | None = None,
    encoding: str | None = None,
) -> CsvTable:
    """Read ``path``; ``name`` is the file as the user gave it, for messages.

    ``delimiter=None`` sniffs it from the header line. ``max_bytes`` caps what is
    read (the loader checks the size first; this also holds if the file grows).
    ``encoding`` (a codec name, checked by ``csv_encoding.check_encoding``) forces
    the encoding; by default UTF-8 (or the BOM's), else the one detected.
    Raises ``CampaignFileError`` for a file that cannot be decoded or parsed.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    except OSError as exc:
        raise CampaignFileError(f"{name}: cannot read the file ({exc.strerror or exc})") from exc
    if max_bytes is not None and len(data) > max_bytes:
        raise CampaignFileError(
            f"{name}: the file is over the {describe_size(max_bytes)} limit for a campaign "
            "file; split it into smaller files"
        )
    forced = codecs.lookup(encoding).name if encoding is not None else None
    if forced is not None and forced not in ("utf-8", "utf-16"):
        return _read_legacy(data, name, delimiter, forced, forced=True)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or forced == "utf-16":
        text, encoding = decode(data, name, utf16=forced == "utf-16")
        del data  # the decoded text replaces it: hold one copy of the file, not two
        _refuse_nul(text, name)
        chosen = delimiter or sniff_delimiter(text)
        return CsvTable(parse_rows(text, chosen, name), encoding, chosen)
    # UTF-8, nearly every file: decoded while it is parsed, so the file is held once, as
    # bytes, never as one string (four bytes a character as soon as it holds an emoji).
    # Problems are reported as if the file were decoded first: a bad byte anywhere wins
    # over a bad row.
    try:
        if b"\x00" in data:  # in UTF-8 only the NUL character has a zero byte
            _refuse_nul(decode(data, name)[0], name)
        encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
        start = _text_start(data)
        chosen = delimiter or sniff_delimiter(_head_text(data, start, name))
        return CsvTable(_parse_utf8(data, start, chosen, name), encoding, chosen)
    except NotUtf8Error as exc:
        if forced is not None or data.startswith(codecs.BOM_UTF8):
            raise  # the user or the file's BOM says UTF-8
        detected = detect_encoding(data)
        if detected is None or detected.startswith("utf"):
            raise _no_encoding_fits(name, exc) from None
        return _read_legacy(data, name, delimiter, detected, forced=False, not_utf8=exc)


def _read_legacy(
    data: bytes,
    name: str,
    delimiter: str | None,
    codec: str,
    *,
    forced: bool,
    not_utf8: NotUtf8Error | None = None,
) -> CsvTable:
    """Read ``data`` as ``codec`` text: named by ``--encoding`` (``forced``) or detected."""
    label = encoding_label(codec)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise refuse_encoding(name, label, data, exc) from None
    del data
    text = text.removeprefix("\ufeff")
    if not forced and unreadable_text(text):
        # Binary data some code page still decodes: not a text file at all.
        raise _no_encoding_fits(name, not_utf8) from None
    _refuse_nul(text, name)
    chosen = delimiter or sniff_delimiter(text)
    return CsvTable(parse_rows(text, chosen, name), codec, chosen)


def _no_encoding_fits(name: str, exc: NotUtf8Error | None) -> NotUtf8Error:
    where = f" ({exc.where})" if exc is not None and exc.where else ""
    return NotUtf8Error(
        f"{name}: is not UTF-8 text{where} and no other text encoding fits it; "
        "save it as 'CSV UTF-8', or name its encoding with --encoding"
    )


def decode(data: bytes, name: str, *, utf16: bool = False) -> tuple[str, str]:
    """Decode file bytes; returns ``(text, codec name to write it back with)``."""
    if data.startswith(codecs.BOM_UTF8):
        codec, encoding, body = "utf-8", "utf-8-sig", data[len(codecs.BOM_UTF8) :]
    elif utf16 or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # The "utf-16" codec reads either byte order from the BOM and writes one back.
        codec, encoding, body = "utf-16", "utf-16", data
    else:
        codec, encoding, body = "utf-8", "utf-8", data
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        if codec == "utf-16":
            raise CampaignFileError(
                f"{name}: is not valid UTF-16 text ({exc.reason}); save it as 'CSV UTF-8'"
            ) from exc
        line = body.count(b"\n", 0, exc.start) + 1
        where = f"byte 0x{body[exc.start]:02x} on line {line}"
        raise NotUtf8Error(
            f"{name}: is not UTF-8 text ({where}); save it as 'CSV UTF-8'", where
        ) from exc
    return text.removeprefix("\ufeff"), encoding


def _refuse_nul(text: str, name: str) -> None:
    if "\x00" in text:
        # UTF-16 without a BOM decodes as "valid" UTF-8 full of NULs; never guess.
        raise CampaignFileError(
            f"{name}: contains NUL characters, so it is not UTF-8 text; save it as 'CSV UTF-8'"
        )


def sniff_delimiter(text: str) -> str:
    """The delimiter used most in the header line, outside quotes; ``,`` when none is.

    >>> sniff_delimiter('caption;"a;b";accounts\\n')
    ';'
    """
    counts = dict.fromkeys(DELIMITERS, 0)
    in_quotes = False
    for char in text[:_SNIFF_LIMIT]:
        if char == '"':
            in_quotes = not in_quotes
        elif in_quotes:
            continue
        elif char in "\r\n":
            break
        elif char in counts:
            counts[char] += 1
    best = max(counts, key=counts.__getitem__)  # ties go to the earliest in DELIMITERS
    return best if counts[best] else ","


def parse_rows(text: str, delimiter: str, name: str) -> list[list[str | None]]:
    """Split decoded text into rows of cells, blank cells as ``None``."""
    # Lines are split the way the csv module expects (\n, \r, \r\n, endings kept), one
    # at a time: a list of every line would hold a second copy of the file. The lines
    # after a record are read again only for the open-quote checks.
    rows, previous_end, _ = _records(_physical_lines(text), delimiter, name, lambda: text)
    if rows and _quote_left_open(_lines_after(text, previous_end), delimiter):
        raise _open_quote_error(name, len(rows))
    return rows


def _parse_utf8(data: bytes, start: int, delimiter: str, name: str) -> list[list[str | None]]:
    """:func:`parse_rows` for the UTF-8 text of ``data`` from byte ``start``, decoded as it
    is read: the lines come from a ``TextIOWrapper`` (split in C, endings kept, as
    ``io.StringIO(text, newline="")`` splits them)."""
    buffer = io.BytesIO(data)  # shares the bytes object: no copy
    buffer.seek(start)
    lines = io.TextIOWrapper(buffer, encoding="utf-8", errors="strict", newline="")
    # Decoded 64 KiB at a time rather than 8 KiB: fewer, larger pieces of text come and go
    # among the cells being made, which leaves the heap less fragmented (measured: 30 MB
    # less held after reading 100,000 rows) and is a little faster.
    lines._CHUNK_SIZE = _DECODE_CHUNK
    try:
        rows, previous_end, end = _records(lines, delimiter, name, lambda: decode(data, name)[0])
    except UnicodeDecodeError:
        decode(data, name)  # raises the message a whole-file decode gives
        raise
    if rows and _quote_left_open(_last_lines(data, start, end - previous_end), delimiter):
        raise _open_quote_error(name, len(rows))
    return rows


def _records(
    lines: Iterable[str], delimiter: str, name: str, whole_text: Callable[[], str]
) -> tuple[list[list[str | None]], int, int]:
    """(rows, physical lines before the last record, physical lines read).

    ``whole_text`` gives the file's text, for the message about a row the csv module
    refuses (it raises the decoding problem first, if the file has one).
    """
    reader = csv.reader(lines, delimiter=delimiter)
    rows: list[list[str | None]] = []
    append = rows.append
    # One shared empty row for every blank record: a file of a million ",,," lines
    # costs a million pointers, not a million lists. Nobody mutates a row here.
    blank: list[str | None] = []
    # Physical line counts after the last two records: the last record starts
    # where the one before it ended, which is all the open-quote check needs.
    previous_end = end = 0
    try:
        for record in reader:
            if not any(record):
                append(blank)
            elif (blanks := record.count("")) > 2:
                append([cell or None for cell in record])
            else:  # at most two blank cells (nearly always): set in place
                for _ in range(blanks):
                    record[record.index("")] = None
                append(record)
            previous_end, end = end, reader.line_num
    except csv.Error as exc:
        text = whole_text()
        problem = str(exc)
        if "field larger than field limit" in problem:
            problem = _long_cell_problem(_lines_after(text, end))
        raise CampaignFileError(f"{name}: row {len(rows) + 1}: {problem}") from exc
    # Cells of only spaces are blank too. They are rare: one pass over every cell in C finds
    # whether there are any, rather than a test of each record as it is read.
    if any(map(str.isspace, filter(None, chain.from_iterable(rows)))):
        rows = [
            [None if cell is None or cell.isspace() else cell for cell in row] if row else row
            for row in rows
        ]
    return rows, previous_end, reader.line_num


def _open_quote_error(name: str, row: int) -> CampaignFileError:
    return CampaignFileError(
        f'{name}: row {row}: a quote (") opens a cell that never closes; '
        "check the quotes in that row"
    )


def _text_start(data: bytes) -> int:
    """Where the text of UTF-8 ``data`` starts: after a BOM, and one more BOM, as
    :func:`decode` drops them."""
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if data.startswith(codecs.BOM_UTF8, start):
        start += len(codecs.BOM_UTF8)
    return start


def _head_text(data: bytes, start: int, name: str) -> str:
    """The first characters of the UTF-8 text of ``data`` from byte ``start``: enough to
    sniff the header line."""
    head = data[start : start + 4 * _SNIFF_LIMIT]  # a character is at most 4 bytes
    try:
        # Incremental: a character cut at the end of ``head`` is held back, not an error.
        return codecs.getincrementaldecoder("utf-8")().decode(head)[:_SNIFF_LIMIT]
    except UnicodeDecodeError:
        decode(data, name)  # raises the message a whole-file decode gives
        raise


def _last_lines(data: bytes, start: int, count: int) -> list[str]:
    """The last ``count`` physical lines of the UTF-8 text of ``data`` from byte ``start``
    (already known to decode), decoding only the end of the file."""
    if count <= 0:
        return []
    size = 4096
    while True:
        cut = max(start, len(data) - size)
        while cut > start and 0x80 <= data[cut] < 0xC0:  # not inside a character
            cut += 1
        lines = list(io.StringIO(data[cut:].decode("utf-8"), newline=""))
        # Unless it starts the text, the first line may have begun before the cut.
        if cut == start or len(lines) > count:
            return lines[-count:]
        size *= 4


def _physical_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, as ``io.StringIO(text, newline="")`` gives
    them, without the copy of the whole text that a StringIO holds."""
    if text.count("\r") != text.count("\r\n"):
        # Lone carriage returns end lines too (old Mac files): let StringIO split them.
        yield from io.StringIO(text, newline="")
        return
    find = text.find
    start = 0
    size = len(text)
    while start < size:
        end = find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _lines_after(text: str, skip: int) -> list[str]:
    """The physical lines of ``text`` after the first ``skip`` (line endings kept)."""
    return list(islice(_physical_lines(text), skip, None))


def _long_cell_problem(rest: list[str]) -> str:
    """Why a cell ran past the csv module's field limit: a quote left open, or a huge cell.

    Quotes in a well-formed record come in pairs (around a cell, doubled inside it),
    so an odd count from the failing record to the end of the file means one never closed.
    """
    limit = csv.field_size_limit()
    if sum(line.count('"') for line in rest) % 2:
        return (
            f'a quote (") opens a cell that never closes, so the cell runs past {limit:,} '
            "characters"
        )
    return f"a cell is longer than {limit:,} characters, more than a campaign cell may hold"


def _quote_left_open(tail: list[str], delimiter: str) -> bool:
    """True when the record that starts ``tail`` runs to the end of the file inside a quote.

    The lenient reader (which accepts stray quotes, as spreadsheets do) swallows
    the rest of the file into one cell instead; a strict re-read of just the
    last record tells the two apart.
    """
    strict = csv.reader(tail, delimiter=delimiter, strict=True)
    try:
        for _ in strict:
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False
