"""Write the local-media sample campaign (run: python sample_campaigns/make_local_media.py).

``local_media_campaign.csv`` names files beside it instead of URLs: ``run`` uploads them
through ``POST /files`` and posts their CDN URLs. The media are made here, byte by byte,
so that they stay tiny (about 2 KB each):

- ``media/teaser clip.mp4``: an MP4 container (``ftyp``, a ``moov`` saying 20 s and a
  1080×1920 video track, an empty ``mdat``): what the tool reads to check a video;
- ``media/cover.jpg`` and ``media/detail.jpg``: baseline grayscale JPEGs of one flat
  grey, 540×960 and 720×1280 (each 8×8 block is its DC term only, coded with
  one-symbol Huffman tables).
"""

from __future__ import annotations

import csv
import struct
from pathlib import Path

from bulk_scheduler.sandbox import seed

HERE = Path(__file__).resolve().parent
MEDIA = HERE / "media"


def _box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full_box(kind: bytes, payload: bytes) -> bytes:
    return _box(kind, bytes(4), payload)


IDENTITY = (0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def mp4(seconds: int, width: int, height: int) -> bytes:
    """An MP4 whose ``moov`` gives its duration and picture size."""
    timescale = 1000
    mvhd = _full_box(
        b"mvhd",
        struct.pack(">IIII", 0, 0, timescale, seconds * timescale)
        + struct.pack(">iH10x9i24xI", 0x10000, 0x100, *IDENTITY, 2),
    )
    tkhd = _full_box(
        b"tkhd",
        struct.pack(">IIIII", 0, 0, 1, 0, seconds * timescale)
        + struct.pack(">8xhhhH9iII", 0, 0, 0, 0, *IDENTITY, width << 16, height << 16),
    )
    hdlr = _full_box(b"hdlr", struct.pack(">I4s12x", 0, b"vide") + b"video\x00")
    mdhd = _full_box(b"mdhd", struct.pack(">IIIIHH", 0, 0, timescale, seconds * timescale, 0, 0))
    trak = _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr))
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isom", b"mp41")
    return ftyp + _box(b"moov", mvhd, trak) + _box(b"mdat")


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def grey_jpeg(width: int, height: int) -> bytes:
    """A baseline grayscale JPEG of one flat grey: every block's DC difference is 0 and
    its AC part ends at once; with one-symbol Huffman tables both codes are one 0 bit."""
    quantisation = _segment(0xDB, b"\x00" + bytes([1]) * 64)
    frame = _segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    one_symbol = bytes([1]) + bytes(15) + b"\x00"
    tables = _segment(0xC4, b"\x00" + one_symbol) + _segment(0xC4, b"\x10" + one_symbol)
    scan = _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    blocks = -(-width // 8) * -(-height // 8)
    bits = 2 * blocks
    data = bytes(bits // 8)
    if bits % 8:  # the last byte's unused bits are 1s
        data += bytes([(1 << (8 - bits % 8)) - 1])
    return b"\xff\xd8" + quantisation + frame + tables + scan + data + b"\xff\xd9"


def local_media_campaign() -> None:
    MEDIA.mkdir(exist_ok=True)
    (MEDIA / "teaser clip.mp4").write_bytes(mp4(20, 1080, 1920))
    (MEDIA / "cover.jpg").write_bytes(grey_jpeg(540, 960))
    (MEDIA / "detail.jpg").write_bytes(grey_jpeg(720, 1280))
    rows = [
        [
            "local-01",
            "Teaser from our own folder",
            "video",
            "media/teaser clip.mp4",
            seed.BYO_TIKTOK_ID,
            "2036-04-01T09:00:00Z",
        ],
        [
            "local-02",
            "Two local images and one from the CDN",
            "slideshow",
            "media/cover.jpg | media/detail.jpg | https://cdn.genviral.com/spring/look-3.jpg",
            seed.BYO_TIKTOK_ID,
            "2036-04-02T09:00:00Z",
        ],
        [
            "local-03",
            "The teaser again: uploaded once, used twice",
            "video",
            "media/teaser clip.mp4",
            seed.BYO_INSTAGRAM_ID,
            "2036-04-03T09:00:00Z",
        ],
    ]
    with (HERE / "local_media_campaign.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["external_id", "caption", "media_type", "media_urls", "accounts", "scheduled_at"]
        )
        writer.writerows(rows)


if __name__ == "__main__":
    local_media_campaign()
