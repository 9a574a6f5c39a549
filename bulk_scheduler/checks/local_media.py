"""Media files on the user's own disk, as plain values for the planner and the rules.

A ``media_urls`` cell may name files (``clips/intro.mp4``, ``C:\\media\\a.jpg``,
``file:///…``) beside web addresses. Finding them on disk and reading them is the media
package's job (``media/local_files.py``): it hands the checks a :class:`LocalMedia` of
plain values, which this module applies to the planned rows. Nothing here opens a file.

>>> clip = LocalFile("intro.mp4", "/data/intro.mp4", "mp4", "video/mp4", "ab12", 1024)
>>> clip.usable
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bulk_scheduler.issues import RowIssue, Severity, row_issue

# (severity, code, message), as the media package finds them.
Finding = tuple[Severity, str, str]

# The start of a part of a media cell (after a separator: a new line, |, a comma or a
# blank) that is not "http://" or "https://": a cell without one names no file. One scan
# tells for a whole sheet; a false alarm (a comma inside a URL) only costs a closer look.
NOT_A_URL_PART = re.compile(r"(?:^|[|,\s])(?=[^|,\s])(?!https?://)", re.IGNORECASE)


def may_name_files(texts: Iterable[str]) -> bool:
    """Whether any of these media cells may name a file: False when every part (between
    new lines, ``|``, commas and blanks) starts with ``http://`` or ``https://``. Counted
    with string methods over all the cells at once, as 100,000 rows must stay fast."""
    blob = "\n".join(texts)
    if not blob:
        return False
    for separator in "|,\r\t ":  # str.replace is far faster than str.translate
        if separator in blob:
            blob = blob.replace(separator, "\n")
    while "\n\n" in blob:
        blob = blob.replace("\n\n", "\n")
    blob = blob.strip("\n")
    if not blob:
        return False
    parts = blob.count("\n") + 1
    lined = "\n" + blob
    if lined.count("\nhttps://") + lined.count("\nhttp://") == parts:
        return False
    lined = lined.lower()  # a scheme in capitals ("HTTPS://") is rare: counted again
    return lined.count("\nhttps://") + lined.count("\nhttp://") != parts


@dataclass(frozen=True, slots=True)
class LocalFile:
    """One part of a media cell that names a file on disk.

    ``written`` is the part as the cell has it; ``path`` the absolute path it resolved to
    ("" when it could not be). ``extension`` is the file's kind by its bytes (``mp4``,
    ``jpg``…; by its name when it could not be read), ``content_type`` what to upload it
    as, ``digest`` the SHA-256 of its content (None when unreadable). ``problems`` are
    findings whatever the post (missing, unreadable…); ``as_video`` and ``as_image`` those
    of the file used as a video or as a slideshow image (format, size, duration).
    ``outside`` is true when the file lies outside the campaign's folder tree.
    """

    written: str
    path: str
    extension: str | None
    content_type: str | None
    digest: str | None
    size: int | None = None
    duration_sec: float | None = None
    width: int | None = None
    height: int | None = None
    problems: tuple[Finding, ...] = ()
    as_video: tuple[Finding, ...] = ()
    as_image: tuple[Finding, ...] = ()
    outside: bool = False
    # The file's modification time (ns) when it was checked: an upload that finds another
    # is of a file edited since, and is not used.
    modified_ns: int | None = None

    @property
    def usable(self) -> bool:
        """True when the file was found, read and hashed: it can be uploaded."""
        return self.digest is not None and not any(
            severity is Severity.ERROR for severity, _, _ in self.problems
        )

    @property
    def name(self) -> str:
        """The file's name (the last part of its path)."""
        return self.path.replace("\\", "/").rsplit("/", 1)[-1] or self.written


@dataclass(slots=True)
class LocalMedia:
    """What the media package found of a campaign's local files.

    ``cells`` maps each ``media_urls`` cell's text that names a file to its parts, in
    order (a file whose name holds a separator stays one part); ``files`` each such part
    to its :class:`LocalFile`.
    """

    cells: dict[str, tuple[str, ...]] = field(default_factory=dict)
    files: dict[str, LocalFile] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.files)

    def of(self, parts: Sequence[str]) -> tuple[LocalFile, ...]:
        """The local files among a row's media parts, in order."""
        files = self.files
        return tuple(files[part] for part in parts if part in files)


def content_key_urls(urls: tuple[str, ...], files: Mapping[str, LocalFile]) -> tuple[str, ...]:
    """The row's URLs as its content key (and so its generated external_id) counts them:
    a local file by its path as written and its content's hash, so that a file whose
    content changes makes the row change, as an edited URL would."""
    return tuple(
        f"{url}\nsha256:{files[url].digest or '-'}" if url in files else url for url in urls
    )


def local_issues(
    files: Sequence[LocalFile], media_type: str | None, where: Mapping[str, object]
) -> list[RowIssue]:
    """The issues of a row's local files, on its ``media_urls`` cell: each file's own
    problems, then (when it has none) those of its use as the row's video or image."""
    found: list[RowIssue] = []
    for local in files:
        findings: Sequence[Finding] = local.problems
        if not any(severity is Severity.ERROR for severity, _, _ in findings):
            if media_type == "video":
                findings = (*findings, *local.as_video)
            elif media_type == "slideshow":
                findings = (*findings, *local.as_image)
        for severity, code, message in findings:
            text = message if local.written in message else f"{local.written}: {message}"
            found.append(row_issue(severity, code, text, **where))
    return found


__all__ = [
    "NOT_A_URL_PART",
    "Finding",
    "LocalFile",
    "LocalMedia",
    "content_key_urls",
    "local_issues",
    "may_name_files",
]
