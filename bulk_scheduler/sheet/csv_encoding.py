"""The encoding of a delimited file that is not UTF-8: detected, or named by the user.

UTF-8 is always tried first (``csv_reader``), so a UTF-8 file never pays for detection.
Only when its bytes are not UTF-8 does :func:`detect_encoding` ask charset-normalizer,
a maintained detector, what they are: Excel's plain "CSV" is written in the Windows
code page of the machine (Windows-1252 in Western Europe and the Americas), and
LibreOffice or older tools may write ISO-8859-1 or others.

Single-byte code pages often decode a file to the same text (``é`` is 0xE9 in
Windows-1250, -1252 and ISO-8859-1 alike); the detector may then name any of them, so
Windows-1252 is preferred whenever it gives the same text. ``--encoding`` names the
encoding instead (:func:`check_encoding` reads the name).
"""

from __future__ import annotations

import codecs

from bulk_scheduler.errors import CampaignFileError

__all__ = [
    "check_encoding",
    "detect_encoding",
    "encoding_label",
    "refuse_encoding",
    "unreadable_text",
]

# Preferred when the detector's guess and this one read the bytes the same: the code page
# Excel writes "CSV" in on Western Windows machines.
_PREFERRED = "cp1252"

# How the plan names a codec (``codecs.lookup(...).name``) a person knows by another name.
_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with a BOM)",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "ascii": "ASCII",
    "mac-roman": "Mac Roman",
    "koi8-r": "KOI8-R",
    "koi8-u": "KOI8-U",
    "shift_jis": "Shift JIS",
    "cp932": "Shift JIS (Windows-932)",
    "euc_jp": "EUC-JP",
    "gb2312": "GB2312",
    "gbk": "GBK",
    "gb18030": "GB18030",
    "big5": "Big5",
    "euc_kr": "EUC-KR",
    "cp949": "Windows-949",
}


def encoding_label(codec: str) -> str:
    """``"cp1252"`` -> ``"Windows-1252"``, ``"iso8859-15"`` -> ``"ISO-8859-15"``: a codec as
    a person names it."""
    name = codecs.lookup(codec).name
    if name in _LABELS:
        return _LABELS[name]
    if name.startswith("cp125"):
        return "Windows-" + name[2:]
    if name.startswith("iso8859-"):
        return "ISO-8859-" + name.removeprefix("iso8859-")
    if name.startswith("cp"):
        return "code page " + name[2:]
    return name.upper()


def check_encoding(name: str) -> str:
    """The codec ``name`` means (``"Windows-1252"`` -> ``"cp1252"``); ``ValueError`` when
    Python knows no such text encoding."""
    try:
        info = codecs.lookup(name.strip())
    except LookupError:
        raise ValueError(
            f"unknown encoding '{name}'; use a name such as windows-1252, latin-1, "
            "iso-8859-15 or utf-8"
        ) from None
    if not getattr(info, "_is_text_encoding", True):  # base64, rot13, zlib...
        raise ValueError(f"'{name}' is not a text encoding; use a name such as windows-1252")
    return info.name


def detect_encoding(data: bytes) -> str | None:
    """The codec the bytes of a delimited file are written in, or None when no text
    encoding fits them (binary data). Asks charset-normalizer (see the module)."""
    from charset_normalizer import from_bytes  # loads only for a file that is not UTF-8

    best = from_bytes(data).best()
    if best is None:
        return None
    if _PREFERRED in best.could_be_from_charset:
        return _PREFERRED
    return codecs.lookup(best.encoding).name


def unreadable_text(text: str) -> bool:
    """Whether decoded text holds control characters no campaign file has (a binary file
    a detector still found some code page for)."""
    # Tab, new lines and form feeds are text; other C0 controls (and DEL) are not.
    sample = text[:65_536]
    controls = sum(
        1 for char in sample if (ord(char) < 32 and char not in "\t\n\r\f") or char == "\x7f"
    )
    return controls > max(2, len(sample) // 1000)


def refuse_encoding(
    name: str, label: str, data: bytes, exc: UnicodeDecodeError
) -> CampaignFileError:
    """The one line for bytes that ``--encoding`` says are ``label`` but are not."""
    line = data.count(b"\n", 0, exc.start) + 1
    return CampaignFileError(
        f"{name}: is not {label} text (byte 0x{data[exc.start]:02x} on line {line}); "
        "check --encoding"
    )
