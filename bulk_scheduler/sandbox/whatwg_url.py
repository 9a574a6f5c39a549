"""Does ``new URL(text)`` succeed? The WHATWG URL parser, reduced to its failure paths.

zod 3's ``z.string().url()`` accepts exactly the strings that JavaScript's ``new URL()``
parses without a base. That parser is lenient (``mailto:x`` passes) but fails on a
handful of precise conditions: no scheme, an empty or malformed host, a bad port, an
IPv4/IPv6 literal that does not parse, or a domain that IDNA (UTS #46) rejects. Only
those paths are implemented here; everything else the parser does (percent-encoding,
path normalisation) cannot fail and is skipped.

Spec: https://url.spec.whatwg.org/ (basic URL parser, host parser, domain to ASCII).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from functools import lru_cache

from idna import idnadata
from idna.intranges import intranges_contain
from idna.uts46data import uts46_replacements, uts46_starts, uts46_statuses

__all__ = ["parses_as_url"]

SPECIAL_SCHEMES = frozenset({"ftp", "file", "http", "https", "ws", "wss"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*:")
_FORBIDDEN_HOST = frozenset("\x00\t\n\r #/:<>?@[\\]^|")
_FORBIDDEN_DOMAIN = _FORBIDDEN_HOST | frozenset(chr(c) for c in range(0x20)) | {"%", "\x7f"}
_ASCII_DIGITS = frozenset("0123456789")
_C0_CONTROL_OR_SPACE = "".join(chr(c) for c in range(0x21))
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_PERCENT_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")


@lru_cache(maxsize=16384)  # the same media URLs come back on every retry and replay
def parses_as_url(text: str) -> bool:
    """True when JavaScript's ``new URL(text)`` (no base) would not throw.

    >>> parses_as_url("mailto:x"), parses_as_url("example.com/a.mp4")
    (True, False)
    """
    # JS converts the argument to a USVString: lone surrogates become U+FFFD.
    if not text.isascii():
        text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    text = text.strip(_C0_CONTROL_OR_SPACE)
    text = text.replace("\t", "").replace("\n", "").replace("\r", "")
    match = _SCHEME.match(text)
    if match is None:
        return False  # "no scheme state" without a base URL is a failure
    scheme = match.group()[:-1].lower()
    rest = text[match.end() :]
    if scheme == "file":
        return _file_rest_parses(rest)
    if scheme in SPECIAL_SCHEMES:
        return _authority_parses(rest.lstrip("/\\"), special=True)
    if rest.startswith("//"):
        return _authority_parses(rest[2:], special=False)
    return True  # a path or an opaque path: cannot fail


def _authority_parses(rest: str, *, special: bool) -> bool:
    terminators = "/?#\\" if special else "/?#"
    end = next((i for i, c in enumerate(rest) if c in terminators), len(rest))
    authority = rest[:end]
    host_and_port = authority.rpartition("@")[2]
    if "@" in authority and not host_and_port:
        return False  # credentials with no host
    inside_brackets = False
    host, port = host_and_port, None
    for i, c in enumerate(host_and_port):
        if c == ":" and not inside_brackets:
            host, port = host_and_port[:i], host_and_port[i + 1 :]
            if not host:
                return False
            break
        if c == "[":
            inside_brackets = True
        elif c == "]":
            inside_brackets = False
    else:
        if special and not host:
            return False
    if not _host_parses(host, opaque=not special):
        return False
    if port is None:
        return True
    return all(c in _ASCII_DIGITS for c in port) and (not port or int(port) <= 65535)


def _file_rest_parses(rest: str) -> bool:
    if rest[:1] not in ("/", "\\") or rest[1:2] not in ("/", "\\"):
        return True  # file slash/path states cannot fail
    host_part = rest[2:]
    end = next((i for i, c in enumerate(host_part) if c in "/\\?#"), len(host_part))
    buffer = host_part[:end]
    if len(buffer) == 2 and buffer[0].isascii() and buffer[0].isalpha() and buffer[1] in ":|":
        return True  # a Windows drive letter goes to the path
    if not buffer:
        return True
    return _host_parses(buffer, opaque=False)


def _host_parses(text: str, *, opaque: bool) -> bool:
    if text.startswith("["):
        return text.endswith("]") and _ipv6_parses(text[1:-1])
    if opaque:
        return not any(c in _FORBIDDEN_HOST for c in text)
    raw = _PERCENT_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8"))
    domain = raw.decode("utf-8", errors="replace")
    ascii_domain = _domain_to_ascii(domain)
    if ascii_domain is None or any(c in _FORBIDDEN_DOMAIN for c in ascii_domain):
        return False
    if _ends_in_number(ascii_domain):
        return _ipv4_parses(ascii_domain)
    return True


# --- IPv4 / IPv6 -----------------------------------------------------------------------


def _ipv4_number(part: str) -> int | None:
    if not part:
        return None
    radix = 10
    if part[:2] in ("0x", "0X"):
        part, radix = part[2:], 16
    elif len(part) >= 2 and part[0] == "0":
        part, radix = part[1:], 8
    if not part:
        return 0
    digits = {10: _ASCII_DIGITS, 16: _HEX_DIGITS, 8: frozenset("01234567")}[radix]
    if any(c not in digits for c in part):
        return None
    return int(part, radix)


def _ends_in_number(domain: str) -> bool:
    parts = domain.split(".")
    if parts[-1] == "":
        if len(parts) == 1:
            return False
        parts.pop()
    last = parts[-1]
    if last and all(c in _ASCII_DIGITS for c in last):
        return True
    return _ipv4_number(last) is not None and last[:2] in ("0x", "0X")


def _ipv4_parses(domain: str) -> bool:
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        return False
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        return False
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]):
        return False
    return values[-1] < 256 ** (5 - len(values))


def _ipv6_parses(text: str) -> bool:
    n = len(text)
    piece_index, compress, i = 0, None, 0
    if text[:1] == ":":
        if text[1:2] != ":":
            return False
        i, piece_index = 2, 1
        compress = piece_index
    while i < n:
        if piece_index == 8:
            return False
        if text[i] == ":":
            if compress is not None:
                return False
            i += 1
            piece_index += 1
            compress = piece_index
            continue
        length = 0
        while length < 4 and i < n and text[i] in _HEX_DIGITS:
            i += 1
            length += 1
        if i < n and text[i] == ".":
            if length == 0:
                return False
            i -= length
            if piece_index > 6:
                return False
            numbers_seen = 0
            while i < n:
                ipv4_piece: int | None = None
                if numbers_seen > 0:
                    if text[i] == "." and numbers_seen < 4:
                        i += 1
                    else:
                        return False
                if i >= n or text[i] not in _ASCII_DIGITS:
                    return False
                while i < n and text[i] in _ASCII_DIGITS:
                    if ipv4_piece is None:
                        ipv4_piece = int(text[i])
                    elif ipv4_piece == 0:
                        return False
                    else:
                        ipv4_piece = ipv4_piece * 10 + int(text[i])
                    if ipv4_piece > 255:
                        return False
                    i += 1
                numbers_seen += 1
                if numbers_seen in (2, 4):
                    piece_index += 1
            return numbers_seen == 4 and (compress is not None or piece_index == 8)
        if i < n and text[i] == ":":
            i += 1
            if i >= n:
                return False
        elif i < n:
            return False
        piece_index += 1
    return compress is not None or piece_index == 8


# --- domain to ASCII -------------------------------------------------------------------
#
# Node's URL is ada (2.9 in Node 20). Its IDNA step is UTS #46 mapping + NFC, then per-label
# checks that differ from the letter of UTS #46 in a few places, which matter here because
# the goal is to agree with Node, not with the standard: a punycode label that decodes to
# ASCII is accepted, the bidi rule is applied label by label, and ContextJ decides on the
# first joiner it meets. Those quirks were confirmed by running Node on probe hosts.

# Node 20's IDNA tables are Unicode 15.0; the idna package's are newer. Code points that
# Node rejects but the newer table accepts (later additions, and a few whose status changed)
# are listed here, found by parsing every code point as a host with Node.
_NODE_DISALLOWED: tuple[tuple[int, int], ...] = (
    (0x004C0, 0x004C0),
    (0x00558, 0x00558),
    (0x0058B, 0x0058C),
    (0x005C8, 0x005C9),
    (0x0088F, 0x0088F),
    (0x00897, 0x00897),
    (0x00B53, 0x00B54),
    (0x00C5C, 0x00C5C),
    (0x00CDC, 0x00CDC),
    (0x010A0, 0x010C5),
    (0x0115F, 0x01160),
    (0x017B4, 0x017B5),
    (0x01806, 0x01806),
    (0x0180E, 0x0180E),
    (0x01ACF, 0x01AF0),
    (0x01B4E, 0x01B4F),
    (0x01B7F, 0x01B7F),
    (0x01C89, 0x01C8A),
    (0x02061, 0x02063),
    (0x0206A, 0x0206F),
    (0x0208F, 0x0208F),
    (0x0209D, 0x0209F),
    (0x020C1, 0x020C4),
    (0x02132, 0x02132),
    (0x02183, 0x02183),
    (0x02427, 0x02429),
    (0x02B96, 0x02B96),
    (0x02E60, 0x02E63),
    (0x03164, 0x03164),
    (0x031E4, 0x031E5),
    (0x0A7CB, 0x0A7CF),
    (0x0A7D2, 0x0A7D2),
    (0x0A7D4, 0x0A7D4),
    (0x0A7DA, 0x0A7DD),
    (0x0A7E2, 0x0A7E2),
    (0x0A7F1, 0x0A7F1),
    (0x0AB6C, 0x0AB6D),
    (0x0FBC3, 0x0FBD2),
    (0x0FD90, 0x0FD91),
    (0x0FDC8, 0x0FDCE),
    (0x0FFA0, 0x0FFA0),
    (0x105C0, 0x105F3),
    (0x107BB, 0x107BF),
    (0x10940, 0x10959),
    (0x10D40, 0x10D65),
    (0x10D69, 0x10D85),
    (0x10D8E, 0x10D8F),
    (0x10EC2, 0x10EC7),
    (0x10EC9, 0x10EEE),
    (0x10EF0, 0x10EFC),
    (0x11380, 0x11389),
    (0x1138B, 0x1138B),
    (0x1138E, 0x1138E),
    (0x11390, 0x113B5),
    (0x113B7, 0x113C0),
    (0x113C2, 0x113C2),
    (0x113C5, 0x113C5),
    (0x113C7, 0x113CA),
    (0x113CC, 0x113D5),
    (0x113D7, 0x113D8),
    (0x113E1, 0x113E2),
    (0x116D0, 0x116E3),
    (0x11B0A, 0x11B0A),
    (0x11B60, 0x11B67),
    (0x11BC0, 0x11BE1),
    (0x11BF0, 0x11BF9),
    (0x11DB0, 0x11DDB),
    (0x11DE0, 0x11DE9),
    (0x11DF0, 0x11DF1),
    (0x11F5A, 0x11F5A),
    (0x1246F, 0x1246F),
    (0x12475, 0x1247F),
    (0x12550, 0x12686),
    (0x13460, 0x143FA),
    (0x16100, 0x16139),
    (0x16D40, 0x16D79),
    (0x16EA0, 0x16EB8),
    (0x16EBB, 0x16ED3),
    (0x16FF2, 0x16FF6),
    (0x187F8, 0x187FF),
    (0x18CD6, 0x18CDA),
    (0x18CFF, 0x18CFF),
    (0x18D09, 0x18D20),
    (0x18D80, 0x18DF2),
    (0x18E00, 0x19191),
    (0x191A0, 0x191D2),
    (0x1B123, 0x1B128),
    (0x1B168, 0x1B168),
    (0x1CC00, 0x1CCFC),
    (0x1CD00, 0x1CEB3),
    (0x1CEBA, 0x1CED0),
    (0x1CED2, 0x1CED4),
    (0x1CEDD, 0x1CEFD),
    (0x1D127, 0x1D128),
    (0x1D173, 0x1D17A),
    (0x1D1EB, 0x1D1FF),
    (0x1D250, 0x1D281),
    (0x1D6A6, 0x1D6A6),
    (0x1DB00, 0x1DB1C),
    (0x1DF1F, 0x1DF24),
    (0x1DF2B, 0x1DF81),
    (0x1DF90, 0x1DF96),
    (0x1DFCD, 0x1DFFF),
    (0x1E5D0, 0x1E5FA),
    (0x1E5FF, 0x1E5FF),
    (0x1E6C0, 0x1E6DE),
    (0x1E6E0, 0x1E6F5),
    (0x1E6FE, 0x1E6FF),
    (0x1F1AE, 0x1F1AE),
    (0x1F6D8, 0x1F6D9),
    (0x1F777, 0x1F77A),
    (0x1F7DA, 0x1F7DB),
    (0x1F7F1, 0x1F7FF),
    (0x1F8B2, 0x1F8BB),
    (0x1F8C0, 0x1F8C1),
    (0x1F8D0, 0x1F8D8),
    (0x1FA54, 0x1FA57),
    (0x1FA89, 0x1FA8F),
    (0x1FABE, 0x1FABE),
    (0x1FAC6, 0x1FAC6),
    (0x1FAC8, 0x1FAC8),
    (0x1FACC, 0x1FACD),
    (0x1FADC, 0x1FADD),
    (0x1FADF, 0x1FADF),
    (0x1FAE9, 0x1FAEB),
    (0x1FAEF, 0x1FAEF),
    (0x1FAF9, 0x1FAFA),
    (0x1FBCB, 0x1FBEF),
    (0x1FBFA, 0x1FBFA),
    (0x2B73A, 0x2B73F),
    (0x2B81E, 0x2B81E),
    (0x2CEA2, 0x2CEAD),
    (0x2EBF0, 0x2EE5D),
    (0x2F868, 0x2F868),
    (0x2F874, 0x2F874),
    (0x2F91F, 0x2F91F),
    (0x2F95F, 0x2F95F),
    (0x2F9BF, 0x2F9BF),
    (0x323B0, 0x33479),
    (0x3D000, 0x3FC3F),
)
_NODE_DISALLOWED_STARTS = [start for start, _ in _NODE_DISALLOWED]
# Unicode 14 marks that ada does not know as marks (it may begin a label with them).
_MARKS_NODE_ALLOWS_FIRST: tuple[tuple[int, int], ...] = (
    (0x00898, 0x0089F),
    (0x008CA, 0x008D2),
    (0x00C3C, 0x00C3C),
    (0x01715, 0x01715),
    (0x01AC1, 0x01ACE),
    (0x01DFA, 0x01DFA),
    (0x10F82, 0x10F85),
    (0x11070, 0x11070),
    (0x11073, 0x11074),
    (0x110C2, 0x110C2),
    (0x1CF00, 0x1CF2D),
    (0x1CF30, 0x1CF46),
    (0x1E2AE, 0x1E2AE),
)
# Code points with no bidi class in ada's older direction table (it treats them as neutral).
_NO_DIRECTION_IN_NODE: tuple[tuple[int, int], ...] = (
    *_MARKS_NODE_ALLOWS_FIRST,
    (0x0061D, 0x0061D),
    (0x00870, 0x0088E),
    (0x008B5, 0x008B5),
    (0x008C8, 0x008C9),
    (0x0FBC2, 0x0FBC2),
    (0x10F70, 0x10F81),
    (0x10F86, 0x10F89),
)
_NO_DIRECTION_STARTS = sorted(start for start, _ in _NO_DIRECTION_IN_NODE)
_NO_DIRECTION_SORTED = tuple(sorted(_NO_DIRECTION_IN_NODE))


def _in(
    code_point: int, ranges: tuple[tuple[int, int], ...], starts: list[int] | None = None
) -> bool:
    keys = starts if starts is not None else [start for start, _ in ranges]
    pos = bisect.bisect_right(keys, code_point) - 1
    return pos >= 0 and ranges[pos][0] <= code_point <= ranges[pos][1]


def _uts46_status(code_point: int) -> tuple[str, str | None]:
    if _in(code_point, _NODE_DISALLOWED, _NODE_DISALLOWED_STARTS):
        return "X", None
    index = code_point if code_point < 256 else bisect.bisect_right(uts46_starts, code_point) - 1
    return chr(uts46_statuses[index]), uts46_replacements[index]


def _uts46_map(domain: str) -> str | None:
    out: list[str] = []
    for char in domain:
        status, replacement = _uts46_status(ord(char))
        if status in "VD":
            out.append(char)
        elif status == "M":
            out.append(replacement or "")
        elif status != "I":
            return None  # disallowed
    return "".join(out)


def _punycode_label_ok(encoded: str) -> bool:
    try:
        decoded = encoded.encode("ascii").decode("punycode")
    except (UnicodeError, ValueError, OverflowError):
        return False
    if not decoded or _uts46_map(decoded) != decoded:
        return False
    if unicodedata.normalize("NFC", decoded) != decoded:
        return False
    return _label_is_valid(decoded)


_VIRAMA = 9
_RTL = frozenset({"R", "AL", "AN"})
_RTL_ALLOWED = frozenset({"R", "AL", "AN", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"})
_LTR_ALLOWED = frozenset({"L", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"})


def _joining_type(char: str) -> str | None:
    code_point = ord(char)
    for joining_type, ranges in idnadata.joining_types.items():
        if intranges_contain(code_point, ranges):
            return joining_type
    return None


def _label_is_valid(label: str) -> bool:
    """ada's ``is_label_valid``: leading mark, ContextJ, then the bidi rule for RTL labels."""
    first = label[0]
    if unicodedata.category(first).startswith("M") and not _in(
        ord(first), _MARKS_NODE_ALLOWS_FIRST
    ):
        return False
    for i, char in enumerate(label):
        if char not in "\u200c\u200d":
            continue
        if i > 0 and unicodedata.combining(label[i - 1]) == _VIRAMA:
            return True
        if char == "\u200d" or i == 0 or i + 1 >= len(label):
            return False
        return any(_joining_type(c) in ("L", "D") for c in label[:i]) and any(
            _joining_type(c) in ("R", "D") for c in label[i + 1 :]
        )
    classes = [
        ""
        if _in(ord(c), _NO_DIRECTION_SORTED, _NO_DIRECTION_STARTS)
        else unicodedata.bidirectional(c)
        for c in label
    ]
    last = next((i for i in range(len(label) - 1, -1, -1) if classes[i] != "NSM"), None)
    if last is None:
        return False
    if not _RTL.intersection(classes):
        return True
    if classes[0] == "L":
        return all(c in _LTR_ALLOWED for c in classes[:last])
    numbers = {c for c in classes[: last + 1] if c in ("EN", "AN")}
    return (
        len(numbers) < 2
        and all(c in _RTL_ALLOWED for c in classes[: last + 1])
        and classes[last] in ("R", "AL", "AN", "EN")
    )


def _domain_to_ascii(domain: str) -> str | None:
    mapped = domain.lower() if domain.isascii() else _uts46_map(domain)
    if mapped is None:
        return None
    if not mapped.isascii():
        mapped = unicodedata.normalize("NFC", mapped)
    out: list[str] = []
    for label in mapped.split("."):
        if label.startswith("xn--"):
            if not label.isascii() or not _punycode_label_ok(label[4:]):
                return None
            out.append(label)
        elif label.isascii():
            out.append(label)
        else:
            if not _label_is_valid(label):
                return None
            out.append("xn--" + label.encode("punycode").decode("ascii"))
    result = ".".join(out)
    return result or None
