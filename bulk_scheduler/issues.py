"""Row issues: what the loader, planner, validator and media probe find, cell by cell.

Every code a stage can emit is registered in :data:`ISSUE_CODES`, with its severity, the
stage that emits it and a one-line title; README.md's "Issue codes" table is rendered
from it (:func:`issue_codes_markdown`). The helpers that build issues check each code
against the registry, so a stage cannot emit a code, or a severity, that it does not
list.

>>> ISSUE_CODES["caption-too-long"].severity
<Severity.ERROR: 'error'>
>>> [str(stage) for stage in ISSUE_CODES["video-format"].stages]
['checks', 'media']

The API's own error codes (``validation_failed``, ``rate_limited``, …) are not row
issues: they describe a request's answer and go to the results sheet's ``error_code``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Stage(StrEnum):
    """Where in the flow a code is emitted (the package that emits it)."""

    SHEET = "sheet"  # the loader: the file's headers and cells
    CHECKS = "checks"  # the planner and the validator's rules, offline and online
    MEDIA = "media"  # the media probe, online


@dataclass(frozen=True, slots=True)
class IssueCode:
    """One registered code. ``severities`` holds what it can be, the usual one first."""

    code: str
    severities: tuple[Severity, ...]
    stages: tuple[Stage, ...]
    title: str

    @property
    def severity(self) -> Severity | None:
        """The code's severity; None for a code that can be either."""
        return self.severities[0] if len(self.severities) == 1 else None


ERROR, WARNING = Severity.ERROR, Severity.WARNING
SHEET, CHECKS, MEDIA = Stage.SHEET, Stage.CHECKS, Stage.MEDIA


def _registry(*entries: IssueCode) -> Mapping[str, IssueCode]:
    registry = {entry.code: entry for entry in entries}
    if len(registry) != len(entries):
        raise ValueError("an issue code is registered twice")
    return MappingProxyType(registry)


def _code(
    code: str,
    severity: Severity | tuple[Severity, ...],
    stage: Stage | tuple[Stage, ...],
    title: str,
) -> IssueCode:
    severities = severity if isinstance(severity, tuple) else (severity,)
    stages = stage if isinstance(stage, tuple) else (stage,)
    return IssueCode(code, severities, stages, title)


ISSUE_CODES: Mapping[str, IssueCode] = _registry(
    # sheet: the file itself
    _code(
        "unknown-column", WARNING, SHEET, "A header is not a known column; the column is ignored."
    ),
    _code("blank-header", WARNING, SHEET, "A column has values but no header; it is ignored."),
    _code("no-data-rows", ERROR, SHEET, "The sheet has a header but no data rows below it."),
    _code(
        "formula-not-calculated",
        ERROR,
        SHEET,
        "A cell holds a formula that was never calculated (the file was not saved by Excel).",
    ),
    # checks: the row itself
    _code(
        "example-row",
        ERROR,
        CHECKS,
        "The example column marks the row as an example (as in the CSV template), or holds "
        "neither yes nor no; the row is never sent.",
    ),
    # checks: caption
    _code("caption-missing", ERROR, CHECKS, "The caption is blank; every post needs text."),
    _code(
        "caption-too-long",
        ERROR,
        CHECKS,
        "The caption is longer than the strictest targeted account allows "
        "(500 offline; online each account's own limit, counted as the API counts).",
    ),
    # checks: media
    _code(
        "media-type-invalid",
        ERROR,
        CHECKS,
        "media_type is not video, slideshow or text (or a known alias).",
    ),
    _code(
        "media-type-unknown",
        ERROR,
        CHECKS,
        "media_type is blank and the URLs have no file extension to tell video from images "
        "(e.g. Google Drive links).",
    ),
    _code(
        "media-type-mismatch",
        ERROR,
        CHECKS,
        "media_type disagrees with the URLs (video with images, slideshow with a video, text "
        "with URLs).",
    ),
    _code(
        "media-urls-missing",
        ERROR,
        CHECKS,
        "media_type is video or slideshow but media_urls is blank.",
    ),
    _code("media-url-invalid", ERROR, CHECKS, "A media URL is not an absolute http(s) URL."),
    _code("media-mixed", ERROR, CHECKS, "Videos and images are mixed in one row."),
    _code("video-multiple-urls", ERROR, CHECKS, "A video post has more than one URL."),
    _code(
        "video-format",
        ERROR,
        (CHECKS, MEDIA),
        "The video is not MP4, MOV, M4V or AVI (by its extension, or online by its content).",
    ),
    _code(
        "image-format",
        ERROR,
        (CHECKS, MEDIA),
        "A slideshow image is not JPG, JPEG or PNG (by its extension, or online by its content).",
    ),
    _code("slideshow-too-many", ERROR, CHECKS, "A slideshow has more than 35 images."),
    _code(
        "media-missing",
        (WARNING, ERROR),
        CHECKS,
        "No media: the accounts must support text-only posts (an error online unless every "
        "account lists text_only, a warning offline).",
    ),
    # checks: music
    _code("music-url-invalid", ERROR, CHECKS, "music_url is not a TikTok URL."),
    _code(
        "music-non-tiktok-account", ERROR, CHECKS, "music_url is set but an account is not TikTok."
    ),
    # checks: accounts
    _code("accounts-missing", ERROR, CHECKS, "No accounts in the row and no --accounts default."),
    _code("accounts-too-many", ERROR, CHECKS, "More than 10 accounts in one row."),
    _code(
        "account-malformed",
        ERROR,
        CHECKS,
        "An account is not a UUID, @username, platform:username, bare username or profile URL.",
    ),
    _code(
        "account-duplicate",
        WARNING,
        CHECKS,
        "An account is listed twice in one row (it is posted to once).",
    ),
    _code(
        "account-unknown",
        ERROR,
        CHECKS,
        "An account is not among the workspace's active accounts (online).",
    ),
    _code(
        "account-ambiguous",
        ERROR,
        CHECKS,
        "A @username belongs to accounts on several platforms (online).",
    ),
    _code("account-inactive", ERROR, CHECKS, "An account is listed but not active (online)."),
    _code(
        "account-unresolved-offline",
        WARNING,
        CHECKS,
        "A username cannot be looked up offline; the row is checked and built online only.",
    ),
    # checks: scheduled_at and timezone
    _code("scheduled-at-invalid", ERROR, CHECKS, "scheduled_at cannot be read as a date and time."),
    _code("scheduled-at-no-time", ERROR, CHECKS, "scheduled_at is a date without a time of day."),
    _code(
        "scheduled-at-ambiguous",
        ERROR,
        CHECKS,
        "scheduled_at's day and month could be either way round (both <= 12) and "
        "--date-format does not say.",
    ),
    _code(
        "scheduled-at-nonexistent",
        ERROR,
        CHECKS,
        "The local time does not exist (clocks go forward).",
    ),
    _code(
        "scheduled-at-ambiguous-dst",
        ERROR,
        CHECKS,
        "The local time happens twice (clocks go back).",
    ),
    _code(
        "scheduled-at-midnight",
        WARNING,
        CHECKS,
        "A date-time cell at exactly 00:00, often a date without a time.",
    ),
    _code("scheduled-at-past", ERROR, CHECKS, "scheduled_at is in the past."),
    _code("scheduled-at-too-soon", ERROR, CHECKS, "scheduled_at is less than 2 minutes from now."),
    _code(
        "scheduled-at-blank",
        WARNING,
        CHECKS,
        "scheduled_at is blank: the post publishes immediately.",
    ),
    _code(
        "timezone-missing",
        ERROR,
        CHECKS,
        "A time without an offset, and no timezone column or --timezone.",
    ),
    _code("timezone-unknown", ERROR, CHECKS, "The timezone cell is not an IANA time zone name."),
    _code(
        "scheduled-at-zone-ambiguous",
        ERROR,
        CHECKS,
        "The zone abbreviation after the time names several zones (IST, CST); the message "
        "lists them.",
    ),
    _code(
        "scheduled-at-order-conflict",
        ERROR,
        CHECKS,
        "The scheduled_at column settles its day/month order both ways (13/03 in one cell, "
        "3/13 in another); the cells that disagree with most are errors.",
    ),
    # checks: external_id and duplicates
    _code("external-id-too-long", ERROR, CHECKS, "external_id is longer than 128 characters."),
    _code(
        "external-id-duplicate",
        ERROR,
        CHECKS,
        "external_id is used by an earlier row with different content.",
    ),
    _code("duplicate-row", ERROR, CHECKS, "The row would send the same post as an earlier row."),
    # checks: per-platform settings (tiktok.*, pinterest.*, settings.<provider>.<key>)
    _code(
        "setting-switch-invalid",
        ERROR,
        CHECKS,
        "A TikTok switch (disable_comment, user_consent, …) is not yes/no, TRUE/FALSE, ✓ or 1/0.",
    ),
    _code(
        "tiktok-privacy-invalid",
        ERROR,
        CHECKS,
        "tiktok.privacy_level is not Public, Friends, Followers or Only me.",
    ),
    _code("tiktok-post-mode-invalid", ERROR, CHECKS, "tiktok.post_mode is not Direct or Drafts."),
    _code(
        "tiktok-cover-invalid",
        ERROR,
        CHECKS,
        "tiktok.video_cover_timestamp_ms is not a whole number of milliseconds (0 or more).",
    ),
    _code(
        "setting-too-long",
        ERROR,
        CHECKS,
        "A setting is longer than the API allows (TikTok title: 90 for a slideshow, 2,200 for "
        "a video; description 4,000; Pinterest board 128, title 100, link 2,048, tag 100; "
        "YouTube title 100).",
    ),
    _code(
        "pinterest-link-invalid",
        ERROR,
        CHECKS,
        "pinterest.link is not an absolute http(s) URL.",
    ),
    _code("pinterest-tags-too-many", ERROR, CHECKS, "pinterest.tags lists more than 30 tags."),
    _code(
        "tiktok-settings-not-tiktok",
        ERROR,
        CHECKS,
        "The row has tiktok.* settings but an account is not a BYO TikTok account.",
    ),
    _code(
        "tiktok-pinterest-both",
        ERROR,
        CHECKS,
        "The row has both tiktok.* and pinterest.* settings; one post takes only one of them.",
    ),
    _code(
        "tiktok-drafts-not-slideshow",
        ERROR,
        CHECKS,
        "tiktok.post_mode is Drafts (MEDIA_UPLOAD), which TikTok takes only for slideshows.",
    ),
    _code(
        "tiktok-drafts-too-many",
        WARNING,
        CHECKS,
        "More than 5 drafts-mode posts to one TikTok account within 24 hours: TikTok refuses "
        "them (spam_risk_too_many_pending_share).",
    ),
    _code(
        "pinterest-no-account",
        ERROR,
        CHECKS,
        "The row has pinterest.* settings but none of its accounts is a Pinterest account.",
    ),
    _code(
        "pinterest-board-missing",
        WARNING,
        CHECKS,
        "A Pinterest account is targeted with no pinterest.board_id: the pin goes to the "
        "account's default board.",
    ),
    # checks: account groups
    _code(
        "account-group-unknown",
        ERROR,
        CHECKS,
        "The accounts cell names a #group that the groups tab (or --groups file) does not define.",
    ),
    # media: what the probe finds online
    _code(
        "media-unreachable",
        ERROR,
        MEDIA,
        "A media URL could not be fetched, or did not answer 2xx.",
    ),
    _code(
        "media-not-shared",
        ERROR,
        MEDIA,
        "A Google Drive link answers with a web page: the file is not shared publicly.",
    ),
    _code(
        "media-not-video",
        ERROR,
        MEDIA,
        "The URL of a video post is not a video by its content.",
    ),
    _code(
        "media-not-image",
        ERROR,
        MEDIA,
        "A slideshow URL is not an image by its content.",
    ),
    _code("video-too-large", ERROR, MEDIA, "The video is over 100 MB."),
    _code("video-duration", ERROR, MEDIA, "The video is shorter than 15 s or longer than 60 s."),
    _code(
        "video-duration-unknown",
        WARNING,
        MEDIA,
        "The video's duration could not be read; the API will warn VIDEO_DURATION_MISSING.",
    ),
    _code("image-too-large", ERROR, MEDIA, "An image is over 5 MB."),
    _code(
        "aspect-ratio",
        WARNING,
        MEDIA,
        "The video or image is far from 9:16 portrait, which is recommended.",
    ),
    # sheet: how a planner's file was read
    _code(
        "file-type-mismatch",
        WARNING,
        SHEET,
        "The file's bytes are another format than its name says; it was read as what it is.",
    ),
    _code(
        "hidden-rows-skipped",
        WARNING,
        SHEET,
        "Rows hidden in the sheet (by hand or by a filter) are not sent; --include-hidden "
        "sends them.",
    ),
    _code(
        "hidden-rows-included",
        WARNING,
        SHEET,
        "Rows hidden in the sheet are sent, as --include-hidden asks.",
    ),
    _code(
        "hyperlink-target-used",
        WARNING,
        SHEET,
        "A media cell shows text and links to a web address; the link's address is used.",
    ),
    _code(
        "date-time-incomplete",
        ERROR,
        SHEET,
        "A row has a date but no time, or a time but no date, in separate columns.",
    ),
    # media: files on the user's disk named in media_urls (media/local_files.py)
    _code(
        "media-file-missing",
        ERROR,
        MEDIA,
        "A media_urls path names no file (relative paths: beside the campaign, or --media-dir).",
    ),
    _code(
        "media-file-not-a-file",
        ERROR,
        MEDIA,
        "A media_urls path names a folder (or a device or pipe), not a file.",
    ),
    _code(
        "media-file-unreadable",
        ERROR,
        MEDIA,
        "A media file exists but cannot be read (permissions, an I/O error).",
    ),
    _code(
        "media-file-symlink-loop",
        ERROR,
        MEDIA,
        "A media path is a symbolic link that leads back to itself.",
    ),
    _code(
        "media-path-invalid",
        ERROR,
        MEDIA,
        "A media path holds characters, or a length, the operating system refuses.",
    ),
)

# The codes each severity allows, for the cheap check in the helpers below (they run once
# per issue, and a sheet of 100,000 rows can have as many warnings).
_ALLOWED: dict[Severity, frozenset[str]] = {
    severity: frozenset(c.code for c in ISSUE_CODES.values() if severity in c.severities)
    for severity in Severity
}


class UnregisteredIssueError(ValueError):
    """A stage emitted a code, or a severity of it, that :data:`ISSUE_CODES` does not list:
    a programming error, caught by the tests before any user sees it."""


@dataclass(frozen=True, slots=True)
class RowIssue:
    """One finding.

    ``row`` is the sheet row number as the spreadsheet shows it (header = 1), ``None``
    for findings about the whole file (a header, say). ``code`` is stable, kebab-case."""

    severity: Severity
    code: str
    message: str
    row: int | None = None
    column: str | None = None
    cell: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        return data


def row_issue(severity: Severity, code: str, message: str, **where: Any) -> RowIssue:
    """An issue whose severity its stage worked out (the accounts' reading, the media
    probe's findings), checked against the registry."""
    if code not in _ALLOWED[severity]:
        registered = ISSUE_CODES.get(code)
        if registered is None:
            raise UnregisteredIssueError(
                f"issue code {code!r} is not registered in bulk_scheduler/issues.py"
            )
        raise UnregisteredIssueError(
            f"issue code {code!r} is registered as {_severities(registered)}, not {severity}"
        )
    return RowIssue(severity, code, message, **where)


def error(code: str, message: str, **where: Any) -> RowIssue:
    return row_issue(Severity.ERROR, code, message, **where)


def warning(code: str, message: str, **where: Any) -> RowIssue:
    return row_issue(Severity.WARNING, code, message, **where)


def codes_of(stage: Stage) -> Mapping[str, IssueCode]:
    """The registered codes that ``stage`` emits, in the registry's order."""
    return {code: entry for code, entry in ISSUE_CODES.items() if stage in entry.stages}


def issue_codes_markdown() -> str:
    """The registry as a Markdown table: code, severity, stage, title (README.md's)."""
    lines = ["| code | severity | stage | title |", "|---|---|---|---|"]
    for entry in ISSUE_CODES.values():
        stages = ", ".join(entry.stages)
        lines.append(f"| `{entry.code}` | {_severities(entry)} | {stages} | {entry.title} |")
    return "\n".join(lines) + "\n"


def _severities(entry: IssueCode) -> str:
    return " or ".join(entry.severities)


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with "…": how a message quotes a long cell
    (a 2,000-character caption or URL would drown the message it is quoted in)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
