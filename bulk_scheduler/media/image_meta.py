"""Image dimensions from the first bytes of a PNG (``IHDR``) or JPEG (``SOFn`` segment).

Pure functions on bytes; fetching them is :mod:`media_probe`'s job. A JPEG's frame header
can sit behind large metadata segments, so :func:`scan_jpeg` can stop and say at which file
offset to continue.

>>> png_size(PNG_SIGNATURE + b"\\x00\\x00\\x00\\x0dIHDR" + bytes.fromhex("00000438 00000780"))
(1080, 1920)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"

# Start-of-frame markers carry the size: C0–CF except DHT (C4), JPG (C8) and DAC (CC).
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers with no length field after them.
_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD9)})
_START_OF_SCAN = 0xDA
_END_OF_IMAGE = 0xD9
_APP1 = 0xE1
_EXIF_ORIENTATION_TAG = 0x0112
# EXIF orientations 5–8 turn the picture a quarter turn: the displayed width is the
# stored height.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})


class ImageFormatError(ValueError):
    """The bytes are not the image format they claim; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class JpegScan:
    """Where a JPEG scan got to: the displayed size once the frame header is found, or
    ``next_offset``, the file offset to read from to carry on. ``orientation`` is the EXIF
    orientation seen so far (1 = as stored)."""

    width: int | None = None
    height: int | None = None
    orientation: int = 1
    next_offset: int | None = None


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's ``IHDR`` chunk, which the format puts first."""
    if not data.startswith(PNG_SIGNATURE):
        raise ImageFormatError("not a PNG signature")
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ImageFormatError("the PNG has no IHDR chunk where it must be")
    width, height = struct.unpack_from(">II", data, 16)
    return width, height


def scan_jpeg(
    data: bytes, *, base: int = 0, start: int | None = None, orientation: int = 1
) -> JpegScan:
    """Walk the JPEG segments in ``data`` (the file's bytes from offset ``base``), from file
    offset ``start`` (default: just after the start-of-image marker), to the frame header.

    Returns the displayed size (EXIF quarter turns applied), or ``next_offset`` when the
    segment to read next lies beyond ``data``: call again with the bytes from there and the
    ``orientation`` returned. Raises :class:`ImageFormatError` when the segments are broken
    or the image data starts before any frame header.
    """
    if base == 0 and not data.startswith(JPEG_SIGNATURE):
        raise ImageFormatError("not a JPEG signature")
    pos = (2 if start is None else start) - base
    while True:
        if pos + 4 > len(data):
            return JpegScan(orientation=orientation, next_offset=base + pos)
        if data[pos] != 0xFF:
            raise ImageFormatError(f"no JPEG marker at offset {base + pos}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker in _STANDALONE_MARKERS:
            pos += 2
            continue
        if marker in (_START_OF_SCAN, _END_OF_IMAGE):
            raise ImageFormatError("the JPEG has no frame header before its image data")
        length = struct.unpack_from(">H", data, pos + 2)[0]
        if length < 2:
            raise ImageFormatError(f"a JPEG segment at offset {base + pos} has length {length}")
        if marker in _SOF_MARKERS:
            if pos + 9 > len(data):
                return JpegScan(orientation=orientation, next_offset=base + pos)
            height, width = struct.unpack_from(">HH", data, pos + 5)
            if orientation in _QUARTER_TURNS:
                width, height = height, width
            return JpegScan(width, height, orientation)
        end = pos + 2 + length
        if marker == _APP1 and end <= len(data):
            orientation = _exif_orientation(data[pos + 4 : end]) or orientation
        pos = end


def _exif_orientation(segment: bytes) -> int | None:
    """The orientation tag of an APP1 ``Exif`` segment's first IFD, or None."""
    if not segment.startswith(b"Exif\x00\x00"):
        return None
    tiff = segment[6:]
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return None
    try:
        ifd = struct.unpack_from(order + "I", tiff, 4)[0]
        count = struct.unpack_from(order + "H", tiff, ifd)[0]
        for index in range(count):
            entry = ifd + 2 + 12 * index
            tag = struct.unpack_from(order + "H", tiff, entry)[0]
            if tag == _EXIF_ORIENTATION_TAG:
                value = struct.unpack_from(order + "H", tiff, entry + 8)[0]
                return value if 1 <= value <= 8 else None
    except struct.error:  # a cut-off or malformed EXIF block: orientation unknown
        return None
    return None
