"""A row's media URLs: splitting the cell, rewriting Google Drive share links, and telling
videos from images by their file extension.

>>> split_media_urls("https://cdn.example.com/a.jpg | https://cdn.example.com/b.jpg")
['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.jpg']
>>> rewrite_drive_url("https://drive.google.com/file/d/1AbC_d-9/view?usp=sharing")
'https://drive.google.com/uc?export=download&id=1AbC_d-9'
>>> infer_media_type(["https://cdn.example.com/clip.MP4"])
'video'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from .contract import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

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
# An absolute http(s) URL; group 1 is its path (the extension's home).
_HTTP_URL = re.compile(r"https?://[^\s/?#@]+(/[^\s?#]*)?(?:[?#]\S*)?", re.IGNORECASE)
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})$")
# Extensions as written -> lower case, for those already seen: one shared string each.
_EXTENSIONS_SEEN: dict[str, str] = {}
_DRIVE_FILE = re.compile(
    r"^https?://(?:drive|docs)\.google\.com/(?:a/[^/]+/)?(?:u/\d+/)?file/d/([A-Za-z0-9_\-]+)",
    re.IGNORECASE,
)
_DRIVE_QUERY = re.compile(
    r"^https?://drive\.google\.com/(?:a/[^/]+/)?(?:u/\d+/)?(?:open|uc)\?(?:[^#]*&)?id=([A-Za-z0-9_\-]+)",
    re.IGNORECASE,
)
_DRIVE_RESOURCE_KEY = re.compile(r"[?&]resourcekey=([A-Za-z0-9_\-]+)")


def split_media_urls(text: str) -> list[str]:
    """The URLs of a ``media_urls`` cell, in order: split on new lines and ``|``, stripped,
    blanks dropped. Never on commas: they are legal inside URLs."""
    if "\r" in text:
        text = text.replace("\r", "\n")
    return [part for part in map(str.strip, text.replace("|", "\n").split("\n")) if part]


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
    path = match.group(1)
    if path is None:
        return True, None
    extension = path.rpartition(".")[2]
    known = _EXTENSIONS_SEEN.get(extension)  # most sheets use a handful of extensions
    if known is not None:
        return True, known
    if 0 < len(extension) <= 5 and extension.isalnum() and extension.isascii():
        if len(_EXTENSIONS_SEEN) < 1024:
            _EXTENSIONS_SEEN[extension] = extension.lower()
        return True, extension.lower()
    return True, None  # no dot, or the dot is in a folder name ("/v2.1/clip")


def inspect_urls(urls: Sequence[str]) -> tuple[tuple[str | None, ...], tuple[str, ...]]:
    """:func:`inspect_url` for a row's URLs: (their extensions, those that are not http(s)
    URLs). The common case, an http URL whose extension was seen before, costs one regex
    and two lookups per URL: a slideshow row has up to 35."""
    extensions: list[str | None] = []
    invalid: list[str] = []
    fullmatch = _HTTP_URL.fullmatch
    seen = _EXTENSIONS_SEEN.get
    for url in urls:
        match = fullmatch(url)
        path = match.group(1) if match is not None else None
        known = seen(path.rpartition(".")[2]) if path is not None else None
        if known is not None:
            extensions.append(known)
            continue
        valid, extension = inspect_url(url)
        extensions.append(extension)
        if not valid:
            invalid.append(url)
    return tuple(extensions), tuple(invalid)


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


def media_kind(url: str) -> MediaKind | None:
    """``"video"`` or ``"image"`` by the URL's extension; None when it cannot tell
    (a Drive link, a CDN URL without an extension, an extension that is neither)."""
    extension = url_extension(url)
    return KIND_BY_EXTENSION.get(extension) if extension else None


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
