"""Video container metadata. MP4 / MOV / M4V: which container the ``ftyp`` brand names,
box headers, and duration and picture size from a ``moov`` box. AVI: the same from the
RIFF ``avih`` header.

Pure functions on bytes; fetching the bytes (ranged reads) is :mod:`media_probe`'s job.

>>> read_box_header(b"\\x00\\x00\\x00\\x10ftypisom\\x00\\x00\\x02\\x00", 0)
BoxHeader(type='ftyp', size=16, header_size=8)
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

# A moov box larger than this is not one we want to fetch to read two numbers from it.
MAX_MOOV_BYTES = 8 * 1024 * 1024

# Leading boxes of QuickTime files written before ``ftyp`` existed.
LEGACY_MOV_BOXES = frozenset({"moov", "mdat", "wide", "free", "skip", "pnot"})

_MOV_BRANDS = frozenset({"qt  "})
_M4V_BRANDS = frozenset({"M4V ", "M4VH", "M4VP"})
_3GP_PREFIXES = ("3gp", "3g2")
_HEIF_BRANDS = frozenset({"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"})
_AVIF_BRANDS = frozenset({"avif", "avis"})


class VideoFormatError(ValueError):
    """The bytes are not what an MP4 / MOV / AVI file holds; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class BoxHeader:
    """A box's four-character ``type``, its total ``size`` in bytes (header included;
    None for size 0, "runs to the end of the file") and the header's own length (8, or 16
    with a 64-bit ``largesize``)."""

    type: str
    size: int | None
    header_size: int


@dataclass(frozen=True, slots=True)
class VideoMeta:
    """What the ``moov`` box tells: duration (None when the file does not say) and the
    video track's displayed width and height (None when there is no video track)."""

    duration_sec: float | None
    width: int | None
    height: int | None


def container_for_brands(head: bytes) -> tuple[str, str] | None:
    """``(kind, container)`` for a file whose first box is ``ftyp``, from its brands:
    ``("video", "mov")`` for ``qt  ``, ``("image", "heic")`` for HEIF, and so on; None when
    ``head`` does not start with an ``ftyp`` box."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    size = struct.unpack_from(">I", head, 0)[0]
    end = min(len(head), size if size >= 16 else 16)
    # The major brand, then the compatible brands (after the 4-byte minor version).
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, end - 3, 4)]
    names = {brand.decode("latin-1") for brand in brands}
    major = brands[0].decode("latin-1")
    # A still image in a HEIF wrapper; "mif1" files are AVIF when they say so.
    if major in _AVIF_BRANDS or (major in {"mif1", "msf1"} and names & _AVIF_BRANDS):
        return ("image", "avif")
    if major in _HEIF_BRANDS:
        return ("image", "heic")
    if major in _MOV_BRANDS:
        return ("video", "mov")
    if major in _M4V_BRANDS:
        return ("video", "m4v")
    if major.startswith(_3GP_PREFIXES):
        return ("video", "3gp")
    return ("video", "mp4")


def read_box_header(data: bytes, pos: int) -> BoxHeader | None:
    """The header of the box starting at ``data[pos]``, or None when ``data`` ends before
    the header does. Raises :class:`VideoFormatError` for a size too small to be a box."""
    if pos + 8 > len(data):
        return None
    size, raw_type = struct.unpack_from(">I4s", data, pos)
    box_type = raw_type.decode("latin-1")
    if size == 1:  # the real size follows as a 64-bit "largesize"
        if pos + 16 > len(data):
            return None
        largesize = struct.unpack_from(">Q", data, pos + 8)[0]
        if largesize < 16:
            raise VideoFormatError(f"box {box_type!r} has an impossible size {largesize}")
        return BoxHeader(box_type, largesize, 16)
    if size == 0:
        return BoxHeader(box_type, None, 8)
    if size < 8:
        raise VideoFormatError(f"box {box_type!r} has an impossible size {size}")
    return BoxHeader(box_type, size, 8)


def iter_boxes(data: bytes) -> Iterator[tuple[str, bytes]]:
    """``(type, payload)`` for each box laid end to end in ``data`` (the payload of a
    container box). Raises :class:`VideoFormatError` when a box runs past the end."""
    pos = 0
    while pos + 8 <= len(data):
        header = read_box_header(data, pos)
        if header is None:
            raise VideoFormatError("a box header is cut off")
        size = header.size if header.size is not None else len(data) - pos
        if pos + size > len(data):
            raise VideoFormatError(f"box {header.type!r} runs past the end of its parent")
        yield header.type, data[pos + header.header_size : pos + size]
        pos += size


def parse_moov(payload: bytes) -> VideoMeta:
    """Duration from ``mvhd`` (or ``mehd`` for a fragmented file) and the displayed size of
    the video track (``hdlr`` = ``vide``, else the first track with a non-zero ``tkhd``
    size) from the payload of a ``moov`` box.

    Raises :class:`VideoFormatError` when there is no ``mvhd`` or a box is malformed."""
    try:
        return _parse_moov(payload)
    except (struct.error, IndexError):
        raise VideoFormatError("a header inside the moov box is cut off") from None


def _parse_moov(payload: bytes) -> VideoMeta:
    timescale: int | None = None
    duration: int | None = None
    fragment_duration: int | None = None
    tracks: list[tuple[str | None, tuple[int, int] | None]] = []
    for box_type, body in iter_boxes(payload):
        if box_type == "mvhd":
            timescale, duration = _parse_mvhd(body)
        elif box_type == "trak":
            tracks.append(_parse_trak(body))
        elif box_type == "mvex":
            for child_type, child in iter_boxes(body):
                if child_type == "mehd":
                    fragment_duration = _parse_mehd(child)
    if timescale is None:
        raise VideoFormatError("the moov box has no mvhd header")
    # A fragmented MP4 leaves mvhd's duration at 0 and gives the total in mvex/mehd.
    if not duration and fragment_duration:
        duration = fragment_duration
    seconds = duration / timescale if duration and timescale else None
    width, height = _video_size(tracks)
    return VideoMeta(seconds, width, height)


def _parse_mvhd(body: bytes) -> tuple[int, int | None]:
    """Timescale (units per second) and duration in those units; None for the all-ones
    "unknown" duration."""
    version = body[0]
    if version == 1:
        timescale, duration = struct.unpack_from(">IQ", body, 20)
        unknown = 0xFFFF_FFFF_FFFF_FFFF
    else:
        timescale, duration = struct.unpack_from(">II", body, 12)
        unknown = 0xFFFF_FFFF
    if timescale == 0:
        raise VideoFormatError("mvhd has a timescale of 0")
    return timescale, None if duration == unknown else duration


def _parse_mehd(body: bytes) -> int:
    if body[0] == 1:
        return struct.unpack_from(">Q", body, 4)[0]
    return struct.unpack_from(">I", body, 4)[0]


def _parse_trak(body: bytes) -> tuple[str | None, tuple[int, int] | None]:
    """The track's handler type (``vide``, ``soun``…) and displayed size from ``tkhd``."""
    handler: str | None = None
    size: tuple[int, int] | None = None
    for box_type, child in iter_boxes(body):
        if box_type == "tkhd":
            size = _parse_tkhd(child)
        elif box_type == "mdia":
            for mdia_type, mdia_child in iter_boxes(child):
                if mdia_type == "hdlr" and len(mdia_child) >= 12:
                    handler = mdia_child[8:12].decode("latin-1")
    return handler, size


def _parse_tkhd(body: bytes) -> tuple[int, int]:
    """Width and height as displayed: the 16.16 fixed-point sizes, swapped when the
    transformation matrix turns the picture a quarter turn (how phones store portrait
    video: 1920×1080 pixels with a 90° rotation)."""
    # version/flags, then times, track id, reserved and duration: 4 + 20 (v0) or 4 + 32 (v1).
    matrix_at = (36 if body[0] == 1 else 24) + 16  # reserved(8) layer alt_group volume reserved
    a, b, _u, c, d = struct.unpack_from(">5i", body, matrix_at)
    width, height = struct.unpack_from(">II", body, matrix_at + 36)
    width, height = round(width / 65536), round(height / 65536)
    if a == 0 and d == 0 and b != 0 and c != 0:
        width, height = height, width
    return width, height


def _video_size(
    tracks: list[tuple[str | None, tuple[int, int] | None]],
) -> tuple[int | None, int | None]:
    for handler, size in tracks:
        if handler == "vide" and size is not None and size != (0, 0):
            return size
    for _handler, size in tracks:
        if size is not None and size != (0, 0):
            return size
    return None, None


def parse_avi_header(head: bytes) -> VideoMeta:
    """Duration and size from an AVI's RIFF ``avih`` main header (inside ``LIST hdrl``, in
    the first few hundred bytes). Raises :class:`VideoFormatError` when it is not there."""
    if head[:4] != b"RIFF" or head[8:12] != b"AVI ":
        raise VideoFormatError("not an AVI RIFF header")
    try:
        return _find_avih(head)
    except struct.error:
        raise VideoFormatError("the AVI header is cut off") from None


def _find_avih(head: bytes) -> VideoMeta:
    pos = 12
    while pos + 8 <= len(head):
        chunk_id = head[pos : pos + 4]
        chunk_size = struct.unpack_from("<I", head, pos + 4)[0]
        if chunk_id == b"LIST" and head[pos + 8 : pos + 12] == b"hdrl":
            pos += 12  # descend into the header list
            continue
        if chunk_id == b"avih":
            fields = struct.unpack_from("<10I", head, pos + 8)
            micro_sec_per_frame, total_frames = fields[0], fields[4]
            width, height = fields[8], fields[9]
            seconds = micro_sec_per_frame * total_frames / 1_000_000 or None
            return VideoMeta(seconds, width or None, height or None)
        pos += 8 + chunk_size + (chunk_size & 1)  # chunks are padded to even sizes
    raise VideoFormatError("no avih header in the first bytes")
