"""Media files on the user's own disk: find the paths a ``media_urls`` cell names, check
each file as the probe checks a URL, and hash it so that it is uploaded once.

A part of a cell is a local path when it is not a web address: relative to the campaign
file's folder (or to ``--media-dir``), absolute, ``~/…``, a ``file://`` URL, or a Windows
path (``media\\clip.mp4``; ``C:\\…`` on Windows). A cell, or a part of one, that names an
existing file is one path even when its name holds a separator (``my clip, final.mp4``).

Each file is read as the probe reads a URL, with the same container readers and the
same few partial reads (the first 64 KB, then the ``moov`` box or the JPEG frame
header), so the same rules and codes apply; then it is hashed (SHA-256) for the journal,
which keeps each content's CDN URL. Everything found goes to the checks as plain values
(:class:`~bulk_scheduler.checks.local_media.LocalMedia`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import sys
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from bulk_scheduler.campaign import CellValue, cell_text
from bulk_scheduler.checks.local_media import NOT_A_URL_PART, Finding, LocalFile, LocalMedia
from bulk_scheduler.checks.media_urls import is_http_url, split_media_urls
from bulk_scheduler.issues import Severity
from bulk_scheduler.media.probe import (
    HEAD_BYTES,
    MediaFacts,
    ProbeOptions,
    _Answer,
    _Probe,
    _sniff,
    media_issues,
)

# What a file is uploaded as, and the extension the checks count it by, per container.
CONTENT_TYPES: dict[str, tuple[str, str]] = {
    "mp4": ("mp4", "video/mp4"),
    "mov": ("mov", "video/quicktime"),
    "m4v": ("m4v", "video/x-m4v"),
    "avi": ("avi", "video/x-msvideo"),
    "jpeg": ("jpg", "image/jpeg"),
    "png": ("png", "image/png"),
}
# The hard separators of a media cell: a file name never holds them.
_HARD_SEPARATORS = re.compile(r"[\r\n|]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
# "cdn.example.com/a.mp4": a web address without its scheme, left to the URL rule.
_HOST_FIRST = re.compile(r"^(?:www\.|[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}/)")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_READ_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class MediaFolders:
    """Where relative paths are looked for (``base``: ``--media-dir``, else the campaign's
    folder) and the folder tree a file may lie in without being named in the plan."""

    base: Path
    trees: tuple[Path, ...] = ()

    @classmethod
    def for_campaign(cls, campaign: Path | None, media_dir: Path | None = None) -> MediaFolders:
        folder = campaign.parent if campaign is not None else Path.cwd()
        base = (media_dir if media_dir is not None else folder).absolute()
        trees = tuple(dict.fromkeys(_real(p) for p in (folder, media_dir) if p is not None))
        return cls(base, trees)


def _real(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return path.absolute()


def is_local_part(part: str) -> bool:
    """Whether a part of a media cell is meant as a path on disk rather than a web address:
    a ``file:`` URL, or text with no scheme that does not start like a host name."""
    if part.lower().startswith("file:"):
        return True
    if _SCHEME.match(part):
        return False
    return not _HOST_FIRST.match(part)


def needs_local_check(text: str) -> bool:
    """Cheap test for a cell: False when every part is a plain http(s) URL (nearly every
    sheet), so the file system is never asked about them."""
    if NOT_A_URL_PART.search(text) is None:
        return False
    return not all(map(is_http_url, split_media_urls(text)))


def find_local_media(cells: Iterable[CellValue], folders: MediaFolders) -> LocalMedia:
    """Split, resolve and check the local files of every distinct media cell."""
    found = LocalMedia()
    inspector = _Inspector(folders)
    for cell in dict.fromkeys(c for c in cells if c is not None):
        text = cell if isinstance(cell, str) else cell_text(cell)
        if text in found.cells or not needs_local_check(text):
            continue
        parts = split_cell(text, folders.base)
        local = [part for part in parts if is_local_part(part)]
        if not local:
            continue
        found.cells[text] = tuple(parts)
        for part in local:
            if part not in found.files:
                found.files[part] = inspector.inspect(part)
    return found


def split_cell(text: str, base: Path) -> list[str]:
    """A media cell's parts: the whole cell when it names an existing file; else each part
    between new lines and ``|`` that names one, or that part split as URLs are."""
    whole = text.strip()
    if whole and is_local_part(whole) and _exists(whole, base):
        return [whole]
    parts: list[str] = []
    for chunk in _HARD_SEPARATORS.split(text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if is_http_url(chunk) or (is_local_part(chunk) and _exists(chunk, base)):
            parts.append(chunk)
        else:
            parts.extend(split_media_urls(chunk))
    return parts


def _exists(part: str, base: Path) -> bool:
    path, _ = resolve_path(part, base)
    if path is None:
        return False
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):
        return False


def resolve_path(part: str, base: Path) -> tuple[Path | None, str | None]:
    """The path a part names (absolute, not yet checked), or None and why not."""
    written = part
    if written.lower().startswith("file:"):
        split = urlsplit(written)
        if split.netloc not in ("", "localhost"):
            return None, f"the file:// URL names another computer ({split.netloc})"
        written = unquote(split.path)
        if sys.platform == "win32" and re.match(r"^/[A-Za-z]:", written):
            written = written[1:]
    if sys.platform != "win32":
        if _WINDOWS_DRIVE.match(written):
            return None, (
                f"a Windows path (drive {written[:2]}) cannot be found on this computer; "
                "write it relative to the campaign's folder or to --media-dir"
            )
        if "\\" in written and not os.path.lexists(base / written):
            written = written.replace("\\", "/")
    path = Path(os.path.expanduser(written))
    if not path.is_absolute():
        path = base / path
    return Path(os.path.normpath(path)), None


class _FileProbe(_Probe):
    """The probe's readers on a file: each ranged read is a read of the file."""

    def __init__(self, handle: object) -> None:
        super().__init__(None, ProbeOptions())  # type: ignore[arg-type]  # never asked to fetch
        self.handle = handle

    async def read_range(self, url: str, start: int, length: int) -> bytes:
        self.handle.seek(start)  # type: ignore[attr-defined]
        data: bytes = self.handle.read(length)  # type: ignore[attr-defined]
        self.requests += 1
        self.bytes_read += len(data)
        return data


class _Inspector:
    def __init__(self, folders: MediaFolders) -> None:
        self.folders = folders

    def inspect(self, part: str) -> LocalFile:
        """One part's file: resolved, checked, measured and hashed (or why it cannot be)."""
        name_extension = _name_extension(part)
        path, problem = resolve_path(part, self.folders.base)
        if path is None:
            return self._missing(part, "", name_extension, problem or "")
        shown = str(path)
        try:
            info = os.stat(path)
        except ValueError:  # an embedded NUL
            return self._bad_path(part, name_extension, "the path holds a NUL character")
        except OSError as exc:
            return self._stat_failed(part, shown, name_extension, exc)
        if stat.S_ISDIR(info.st_mode):
            finding: Finding = (
                Severity.ERROR,
                "media-file-not-a-file",
                f"{part} is a folder, not a file ({shown}); name the video or image in it",
            )
            return LocalFile(part, shown, name_extension, None, None, problems=(finding,))
        if not stat.S_ISREG(info.st_mode):
            finding = (
                Severity.ERROR,
                "media-file-not-a-file",
                f"{part} is not a regular file ({shown}: a device, pipe or socket)",
            )
            return LocalFile(part, shown, name_extension, None, None, problems=(finding,))
        try:
            with open(path, "rb") as handle:
                facts = self._facts(part, handle, info.st_size)
                handle.seek(0)
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            finding = (
                Severity.ERROR,
                "media-file-unreadable",
                f"{part} cannot be read ({reason}: {shown}); check its permissions",
            )
            return LocalFile(part, shown, name_extension, None, None, problems=(finding,))
        extension, content_type = CONTENT_TYPES.get(facts.container or "", (None, None))
        if extension is None:
            # Not a format the API takes: count it by its container, else by its name.
            extension = facts.container or name_extension
        return LocalFile(
            part,
            shown,
            extension,
            content_type,
            digest,
            size=facts.size,
            duration_sec=facts.duration_sec,
            width=facts.width,
            height=facts.height,
            as_video=_findings(facts, "video"),
            as_image=_findings(facts, "image"),
            outside=not self._inside(path),
            modified_ns=info.st_mtime_ns,
        )

    def _facts(self, part: str, handle: object, size: int) -> MediaFacts:
        probe = _FileProbe(handle)
        head = handle.read(HEAD_BYTES)  # type: ignore[attr-defined]
        probe.bytes_read = len(head)
        if size == 0:
            return MediaFacts(part, status=200, kind="other", size=0, problem="the file is empty")
        first = _Answer(
            206,
            part,
            httpx.Headers({"content-range": f"bytes 0-{len(head) - 1}/{size}"}),
            head,
        )
        if _sniff(head) is None:
            return MediaFacts(part, status=200, kind="other", size=size)
        return _without_loop(probe._inspect(part, part, None, first))

    def _inside(self, path: Path) -> bool:
        real = _real(path)
        return any(real.is_relative_to(tree) for tree in self.folders.trees)

    def _stat_failed(self, part: str, shown: str, extension: str | None, exc: OSError) -> LocalFile:
        code = exc.errno
        if code == errno.ELOOP:
            finding: Finding = (
                Severity.ERROR,
                "media-file-symlink-loop",
                f"{part} is a symbolic link that leads back to itself ({shown})",
            )
            return LocalFile(part, shown, extension, None, None, problems=(finding,))
        if code in (errno.ENAMETOOLONG, errno.EINVAL, getattr(errno, "EILSEQ", -1)):
            reason = exc.strerror or "refused by the operating system"
            return self._bad_path(part, extension, f"the operating system refuses it ({reason})")
        if code in (errno.EACCES, errno.EPERM):
            finding = (
                Severity.ERROR,
                "media-file-unreadable",
                f"{part} cannot be read (permission denied: {shown}); check its permissions",
            )
            return LocalFile(part, shown, extension, None, None, problems=(finding,))
        broken = os.path.islink(shown)
        reason = "a link to a file that does not exist" if broken else "no such file"
        return self._missing(part, shown, extension, f"{reason}: {shown}")

    def _missing(self, part: str, shown: str, extension: str | None, reason: str) -> LocalFile:
        base = self.folders.base
        finding: Finding = (
            Severity.ERROR,
            "media-file-missing",
            f"{part} is not a web address nor a file on this computer ({reason}); relative "
            f"paths are looked for in {base} (--media-dir to change it)",
        )
        return LocalFile(part, shown, extension, None, None, problems=(finding,))

    @staticmethod
    def _bad_path(part: str, extension: str | None, reason: str) -> LocalFile:
        finding: Finding = (
            Severity.ERROR,
            "media-path-invalid",
            f"{part!r} cannot be a file path: {reason}",
        )
        return LocalFile(part, "", extension, None, None, problems=(finding,))


def _without_loop(coroutine: Coroutine[Any, Any, MediaFacts]) -> MediaFacts:
    """Run the probe's coroutine to its end: on a file its reads never wait, so it needs
    no event loop (and works inside a running one, a notebook's say)."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a file read waited: the local probe needs no event loop")


def _name_extension(part: str) -> str | None:
    name = part.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not (0 < len(extension) <= 5) or not extension.isalnum():
        return None
    return extension.lower()


# The format findings the checks already make from the extension (the content's, here).
_BY_EXTENSION = frozenset({"video-format", "image-format"})


def _findings(facts: MediaFacts, expected: str) -> tuple[Finding, ...]:
    """What the probe's rules find of the file used as a video or an image, worded for a
    file (the checks already judge its format by the extension its content gives)."""
    facts = replace(facts, status=200)
    found = []
    for severity, code, message in media_issues(facts, expected):  # type: ignore[arg-type]
        if code in _BY_EXTENSION:
            continue
        found.append((severity, code, message.replace("the URL points to", "the file is")))
    return tuple(found)


__all__ = [
    "CONTENT_TYPES",
    "MediaFolders",
    "find_local_media",
    "is_local_part",
    "needs_local_check",
    "resolve_path",
    "split_cell",
]
