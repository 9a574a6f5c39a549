"""A row's media URLs: splitting the cell, rewriting Google Drive share links, and telling
videos from images by their file extension.

>>> split_media_urls("https://cdn.example.com/a.jpg | https://cdn.example.com/b.jpg")
['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.jpg']
>>> split_media_urls("https://cdn.example.com/a.jpg,https://cdn.example.com/b.jpg")
['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.jpg']
>>> rewrite_drive_url("https://drive.google.com/file/d/1AbC_d-9/view?usp=sharing")
'https://drive.google.com/uc?export=download&id=1AbC_d-9'
>>> infer_media_type(["https://cdn.example.com/clip.MP4"])
'video'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain, repeat
from operator import itemgetter
from typing import Literal

from bulk_scheduler.api.contract import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

MediaType = Literal["video", "slideshow", "text"]
MediaKind = Literal["video", "image"]

MEDIA_TYPES: tuple[MediaType, ...] = ("video", "slideshow", "text")

# What people write in the media_type column, normalised (lower case, "_" for spaces and
# hyphens), mapped to the API's media type.
MEDIA_TYPE_ALIASES: dict[str, MediaType] = {
    "video": "video",
    "videos": "video",
    "reel": "video",
    "reels": "video",
    "short": "video",
    "shorts": "video",
    "clip": "video",
    "single_video": "video",
    "slideshow": "slideshow",
    "slide_show": "slideshow",
    "slides": "slideshow",
    "image": "slideshow",
    "images": "slideshow",
    "photo": "slideshow",
    "photos": "slideshow",
    "picture": "slideshow",
    "pictures": "slideshow",
    "carousel": "slideshow",
    "gallery": "slideshow",
    "multi_image": "slideshow",
    "text": "text",
    "text_only": "text",
    "textonly": "text",
    "none": "text",
    "no_media": "text",
}

# Extensions that are clearly a video or an image even when the API does not accept them:
# a .webm is "a video in the wrong format", not "something we cannot classify".
VIDEO_LIKE_EXTENSIONS = VIDEO_EXTENSIONS | frozenset(
    {"mkv", "webm", "wmv", "flv", "f4v", "mpg", "mpeg", "3gp", "ogv", "mts", "m2ts", "hevc"}
)
IMAGE_LIKE_EXTENSIONS = IMAGE_EXTENSIONS | frozenset(
    {"gif", "webp", "heic", "heif", "bmp", "tif", "tiff", "svg", "avif", "jfif"}
)
KIND_BY_EXTENSION: dict[str, MediaKind] = {
    **{extension: "video" for extension in VIDEO_LIKE_EXTENSIONS},
    **{extension: "image" for extension in IMAGE_LIKE_EXTENSIONS},
}

_SEPARATOR = re.compile(r"[\s\-]+")
# An absolute http(s) URL; group 1 is its path's file extension: 1-5 ASCII letters or
# digits after the path's last dot (none when the text after the last dot is anything
# else, such as "1/clip" in "/v2.1/clip"). Only the scheme ignores case: an extension
# is never a non-ASCII letter that folds to an ASCII one.
_HTTP_URL_TEXT = (
    r"(?i:https?)://[^\s/?#@]+"
    r"(?:/(?:[^\s?#]*\.([A-Za-z0-9]{1,5})(?=[?#]|$)|[^\s?#]*))?"
    r"(?:[?#]\S*)?"
)
_HTTP_URL = re.compile(_HTTP_URL_TEXT)
# The same for each line of a text: a row's URLs, one per line, are read in one call.
_HTTP_URL_LINES = re.compile(rf"^{_HTTP_URL_TEXT}$", re.MULTILINE)
# The same for URLs without spaces, control characters, "?", "#" or "@" (nearly all):
# for them it comes down to a scheme, a host up to the first "/", and a path that is the
# rest of the line, which the regex engine skips through far faster.
_PLAIN_HTTP_URL_LINES = re.compile(
    r"^(?i:https?)://[^/\n]+(?:/(?:.*\.([A-Za-z0-9]{1,5})|.*))?$", re.MULTILINE
)
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})$")


class _LowerCase(dict[str | None, str | None]):
    """Extensions as written -> lower case, one shared string for each (None for none).

    Sheets use a handful of extensions; 100,000 rows would otherwise hold 100,000 copies
    of "mp4". Bounded: past ``_LIMIT`` spellings, new ones are lowered but not kept.
    """

    _LIMIT = 1024

    def __missing__(self, extension: str) -> str:
        lower = extension.lower()
        if len(self) < self._LIMIT:
            self[extension] = lower
        return lower


# findall gives '' for a URL without an extension, fullmatch None.
_LOWER_CASE = _LowerCase({None: None, "": None})
_DRIVE_FILE = re.compile(
    r"^https?://(?:drive|docs)\.google\.com/(?:a/[^/]+/)?(?:u/\d+/)?file/d/([A-Za-z0-9_\-]+)",
    re.IGNORECASE,
)
_DRIVE_QUERY = re.compile(
    r"^https?://drive\.google\.com/(?:a/[^/]+/)?(?:u/\d+/)?(?:open|uc)\?(?:[^#]*&)?id=([A-Za-z0-9_\-]+)",
    re.IGNORECASE,
)
_DRIVE_RESOURCE_KEY = re.compile(r"[?&]resourcekey=([A-Za-z0-9_\-]+)")


# What every message about a media cell says, since a wrong separator is the usual cause.
URL_SEPARATORS_HINT = "separate URLs with commas, |, new lines or spaces"
# Within a line: a comma or spaces before the next http(s)://, or a comma followed by a
# space (a URL holds neither a space nor, unencoded, ", ").
_INLINE_SEPARATOR = re.compile(r",\s*(?=(?i:https?)://)|\s+(?=(?i:https?)://)|,\s")


def split_media_urls(text: str) -> list[str]:
    """The URLs of a ``media_urls`` cell, in order, stripped, blanks dropped: split on new
    lines and ``|``, and on commas and spaces where the next URL starts (``http(s)://``)
    or a comma is followed by a space. A comma inside a URL (``/w_400,h_600/``) stays.

    New lines and ``|`` are split with ``str`` methods (most lists use them); only a
    piece that still holds a comma or whitespace goes through the regex."""
    if "\r" in text:
        text = text.replace("\r", "\n")
    pieces = list(filter(None, map(str.strip, text.replace("|", "\n").split("\n"))))
    joined = "\n".join(pieces)
    if "," not in joined and " " not in joined and "\t" not in joined:
        return pieces  # one URL per line or per "|": nearly every list
    found: list[str] = []
    for piece in pieces:
        if "," in piece or " " in piece or "\t" in piece:
            found.extend(filter(None, map(str.strip, _INLINE_SEPARATOR.split(piece))))
        else:
            found.append(piece)
    return found


def rewrite_drive_url(url: str) -> str:
    """A Google Drive share link as a direct download link; any other URL unchanged.

    ``https://drive.google.com/file/d/<ID>/view?usp=sharing`` and
    ``https://drive.google.com/open?id=<ID>`` both become
    ``https://drive.google.com/uc?export=download&id=<ID>`` (keeping a ``resourcekey``,
    which newer share links need).
    """
    if "google.com" not in url:  # cheap test first: most URLs are not Drive links
        return url
    match = _DRIVE_FILE.match(url) or _DRIVE_QUERY.match(url)
    if match is None:
        return url
    direct = f"https://drive.google.com/uc?export=download&id={match.group(1)}"
    key = _DRIVE_RESOURCE_KEY.search(url)
    if key is not None:
        direct += f"&resourcekey={key.group(1)}"
    return direct


def is_http_url(url: str) -> bool:
    """True for an absolute ``http://`` or ``https://`` URL with a host and no spaces."""
    return _HTTP_URL.fullmatch(url) is not None


def inspect_url(url: str) -> tuple[bool, str | None]:
    """``(is_http_url(url), url_extension(url))`` in one pass: the planner asks both of
    every URL of every row."""
    match = _HTTP_URL.fullmatch(url)
    if match is None:
        return False, _loose_extension(url)
    return True, _LOWER_CASE[match.group(1)]


def inspect_urls(urls: Sequence[str]) -> tuple[tuple[str | None, ...], tuple[str, ...]]:
    """:func:`inspect_url` for a row's URLs: (their extensions, those that are not http(s)
    URLs). A slideshow row has up to 35: when all are http URLs (nearly always), one
    regex call reads them all."""
    # When no URL holds a new line (the planner splits cells on them), each line of the
    # text matches exactly when its URL does, and as many matches as URLs means all did.
    text = "\n".join(urls)
    if text.count("\n") == len(urls) - 1:
        plain = not ("?" in text or "#" in text or "@" in text or " " in text) and all(
            map(str.isprintable, urls)  # no other whitespace either
        )
        found = (_PLAIN_HTTP_URL_LINES if plain else _HTTP_URL_LINES).findall(text)
        if len(found) == len(urls):
            return tuple(map(_LOWER_CASE.__getitem__, found)), ()
    extensions: list[str | None] = []
    invalid: list[str] = []
    for url in urls:
        valid, extension = inspect_url(url)
        extensions.append(extension)
        if not valid:
            invalid.append(url)
    return tuple(extensions), tuple(invalid)


# Whitespace a URL may not hold, among ASCII characters (new lines separate URLs here).
_ASCII_BLANKS = (" ", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")
# What comes before a URL's last "/" when the URL has no path: "https:/" of "https://host".
_SCHEME_ONLY = re.compile(r"(?i:https?):/")
# The same, for a URL with a path: a scheme and a host (no "@", no "/") then anything.
_SCHEME_AND_HOST = re.compile(r"(?i:https?)://[^/@]+(?:/.*)?", re.DOTALL)
_CACHE_LIMIT = 4096


class _HeadKind(dict[str, int]):
    """What comes before a plain URL's last "/" -> 1 when the URL is an http(s) URL with a
    path, 2 when it is one without a path (if its host is sound), 0 when it is not one.
    Sheets put most URLs under a few folders; bounded like :class:`_LowerCase`."""

    def __missing__(self, head: str) -> int:
        kind = 1 if _SCHEME_AND_HOST.fullmatch(head) else 2 if _SCHEME_ONLY.fullmatch(head) else 0
        if len(self) < _CACHE_LIMIT:
            self[head] = kind
        return kind


class _TailExtension(dict[str, str | None]):
    """The text after a URL's last "." -> the lower-case extension it is (1-5 ASCII letters
    or digits), None when it is none ("com/clip", "toolong"). Bounded likewise."""

    def __missing__(self, tail: str) -> str | None:
        extension = (
            _LOWER_CASE[tail] if len(tail) <= 5 and tail.isascii() and tail.isalnum() else None
        )
        if len(self) < _CACHE_LIMIT:
            self[tail] = extension
        return extension


_HEAD_KIND = _HeadKind()
_TAIL_EXTENSION = _TailExtension()


def inspect_url_lists(
    url_lists: Sequence[Sequence[str]],
) -> list[tuple[tuple[str | None, ...], tuple[str, ...]]]:
    """:func:`inspect_urls` for many rows' URLs at once (each row's URLs split and stripped,
    none holding a new line, as the planner gives them).

    When no URL holds whitespace, ``?`` or ``#`` (nearly every sheet), a URL is an http(s)
    URL exactly when what comes before its last ``/`` is a scheme and a sound host (or
    just ``https:/``, for a URL without a path, whose host must then be sound), and its
    extension is what follows its last ``.`` when that is 1-5 ASCII letters or digits.
    Both come from string methods run over every URL at once and from small caches:
    sheets repeat a few folders and extensions. Other URLs are read one by one.
    """
    flat = list(chain.from_iterable(url_lists))
    text = "\n".join(flat)
    if (
        not flat
        or text.count("\n") != len(flat) - 1
        or "?" in text
        or "#" in text
        or not _without_blanks(text, flat)
    ):
        return [inspect_urls(urls) for urls in url_lists]
    heads = map(itemgetter(0), map(str.rpartition, flat, repeat("/")))
    kinds = list(map(_HEAD_KIND.__getitem__, heads))
    tails = map(itemgetter(2), map(str.rpartition, flat, repeat(".")))
    extensions = list(map(_TAIL_EXTENSION.__getitem__, tails))
    if 1 in kinds and kinds.count(1) == len(kinds):  # every URL has a path (nearly always)
        found: list[tuple[tuple[str | None, ...], tuple[str, ...]]] = []
        append = found.append
        start = 0
        for urls in url_lists:
            end = start + len(urls)
            append((tuple(extensions[start:end]), ()))
            start = end
        return found
    found = []
    start = 0
    for urls in url_lists:
        end = start + len(urls)
        row_kinds = kinds[start:end]
        if row_kinds.count(1) == len(row_kinds):
            found.append((tuple(extensions[start:end]), ()))
        else:
            found.append(inspect_urls(urls))
        start = end
    return found


def _without_blanks(text: str, urls: list[str]) -> bool:
    """True when no URL holds whitespace (``text`` is the URLs, one per line)."""
    if text.isascii():  # a few fast scans of the text rather than a test per URL
        return not any(blank in text for blank in _ASCII_BLANKS)
    # Every whitespace character but the space is unprintable.
    return " " not in text and all(map(str.isprintable, urls))


def url_extension(url: str) -> str | None:
    """The lower-case file extension of the URL's path (``"mp4"``), or None when it has none.

    Also for a URL written without its scheme (``cdn.example.com/a.mp4``), so that such a
    row is only told about the missing ``https://``.
    """
    return inspect_url(url)[1]


def _loose_extension(url: str) -> str | None:
    path = url.partition("?")[0].partition("#")[0]
    scheme = path.find("://")
    slash = path.rfind("/")
    if scheme >= 0 and slash <= scheme + 2:  # "ftp://cdn.example.com": no path at all
        return None
    found = _EXTENSION.search(path, slash + 1)
    return found.group(1).lower() if found else None


def normalize_media_type(text: str) -> MediaType | None:
    """The API media type a ``media_type`` cell names (``"Carousel"`` -> ``"slideshow"``),
    or None when it names none. Blank text is the caller's business."""
    key = text.strip().lower()
    found = MEDIA_TYPE_ALIASES.get(key)
    return found if found is not None else MEDIA_TYPE_ALIASES.get(_SEPARATOR.sub("_", key))


def infer_media_type(urls: Sequence[str]) -> MediaType | Literal["mixed"] | None:
    """The media type the URLs imply when the ``media_type`` cell is blank.

    No URLs: ``"text"``. Only videos: ``"video"`` (several videos are the validator's
    business). Only images: ``"slideshow"``. Both: ``"mixed"``. URLs whose kind cannot be
    told are ignored when others can; when none can, None.
    """
    return infer_from_extensions([url_extension(u) for u in urls])


def infer_from_extensions(
    extensions: Sequence[str | None],
) -> MediaType | Literal["mixed"] | None:
    """:func:`infer_media_type` for the URLs' extensions (None where a URL has none)."""
    if not extensions:
        return "text"
    videos = images = False
    for extension in extensions:
        kind = KIND_BY_EXTENSION.get(extension) if extension else None
        if kind == "video":
            videos = True
        elif kind == "image":
            images = True
    if videos:
        return "mixed" if images else "video"
    return "slideshow" if images else None
