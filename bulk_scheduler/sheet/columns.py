"""The campaign sheet's columns: the single description that the loader, the
template writer and the docs all read (see ``design.md``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str
    example: str
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        False,
        "Your correlation id (<= 128 characters). Leave blank and one is generated, "
        "stable across re-runs, and written back in the results sheet.",
        "launch-week-01",
        ("externalid", "post_id_ext", "correlation_id", "ref", "reference"),
    ),
    Column(
        "caption",
        True,
        "The post text. Hosted accounts allow 500 characters; BYO accounts their platform's limit.",
        "Holiday drops start Monday! #sale",
        ("text", "message", "description", "post_text", "copy", "body"),
    ),
    Column(
        "media_type",
        False,
        "video, slideshow or text. Inferred from the URLs when blank.",
        "video",
        ("type", "post_type", "format", "kind"),
    ),
    Column(
        "media_urls",
        False,
        "One video URL (MP4/MOV/M4V/AVI), or 1-35 image URLs (JPG/PNG) in display order, "
        "one per line or separated by |.",
        "https://cdn.example.com/holidays.mp4",
        ("media_url", "media", "video_url", "image_urls", "urls", "url", "images", "video"),
    ),
    Column(
        "music_url",
        False,
        "Optional TikTok post URL whose sound is used. Only when every account is TikTok.",
        "https://www.tiktok.com/@genviral/video/1234567890",
        ("music", "sound", "sound_url", "audio_url", "tiktok_music"),
    ),
    Column(
        "accounts",
        True,
        "Up to 10 account ids, @username or platform:username, separated by commas, "
        "semicolons or new lines.",
        "0f4f54d4-8cce-4fb7-8c7b-befbcb8af812",
        ("account", "account_ids", "account_id", "profiles", "profile", "channels"),
    ),
    Column(
        "scheduled_at",
        False,
        "When to publish: a date-time cell, ISO 8601 or a common text format. "
        "Blank publishes immediately.",
        "2031-03-01 09:00",
        ("schedule", "scheduled", "publish_at", "date", "datetime", "time", "post_at", "when"),
    ),
    Column(
        "timezone",
        False,
        "IANA time zone for this row's time when it has no offset, e.g. Europe/Paris.",
        "Europe/Paris",
        ("tz", "time_zone", "zone"),
    ),
    Column(
        "example",
        False,
        "yes marks an example row, as in the CSV template: it is reported as an error and "
        "never sent. Delete the row, or clear the cell (or write no), to send it.",
        "yes",
        ("is_example", "example_row", "examples"),
    ),
)

COLUMNS_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)

# The result columns of the results sheet, in order (design.md). ``external_id``
# is both an input and a result column: it is filled in where it was generated.
RESULT_COLUMNS: tuple[str, ...] = (
    "external_id",
    "result",
    "post_id",
    "post_status",
    "scheduled_at_utc",
    "warnings",
    "error_code",
    "error_message",
    "http_status",
    "attempts",
    "submitted_at",
    # The post's life after creation (``status``, updates, retries, ``cancel``).
    "account_states",
    "published_urls",
    "status_checked_at",
    "last_action",
)

# The result columns that a results sheet written before ``status`` existed lacks: a sheet
# is a results sheet without them, and gets them on its next write.
LIFECYCLE_RESULT_COLUMNS: tuple[str, ...] = (
    "account_states",
    "published_urls",
    "status_checked_at",
    "last_action",
)


# The result columns only the tool writes (``external_id`` is an input column too).
WRITTEN_RESULT_COLUMNS: tuple[str, ...] = RESULT_COLUMNS[1:]
# Added to a result column's header when the user's own sheet has a column of that name
# ("Result", "Post ID"): the user's column stays theirs, never read back or overwritten.
RENAMED_RESULT_SUFFIX = " (bulk-scheduler)"


def result_block(headers: Sequence[str]) -> dict[str, int] | None:
    """Where a results sheet this tool wrote keeps its result columns, or None.

    A sheet is a results sheet only when it holds the whole run the tool writes: the
    columns ``result`` … ``submitted_at`` side by side and in order, each headed by its
    name exactly (or its name and :data:`RENAMED_RESULT_SUFFIX`). A planner's own "Post
    ID" or "Result" column is never taken for one.

    >>> result_block(["caption", "Result", "Post ID"]) is None
    True
    """
    names = tuple(n for n in WRITTEN_RESULT_COLUMNS if n not in LIFECYCLE_RESULT_COLUMNS)
    stripped = [header.strip() for header in headers]
    for start in range(len(stripped) - len(names) + 1):
        if all(
            stripped[start + offset] in (name, name + RENAMED_RESULT_SUFFIX)
            for offset, name in enumerate(names)
        ):
            block = {name: start + offset for offset, name in enumerate(names)}
            # The lifecycle's columns follow, wherever a later write put them.
            after = start + len(names)
            for name in LIFECYCLE_RESULT_COLUMNS:
                for index in range(after, len(stripped)):
                    if stripped[index] in (name, name + RENAMED_RESULT_SUFFIX):
                        block[name] = index
                        break
            return block
    return None


def normalize_header(header: str) -> str:
    """``" Media-URLs "`` -> ``"media_urls"``.

    Case-insensitive, with spaces, hyphens and underscores equal."""
    return re.sub(r"[\s\-_]+", "_", str(header).strip().lower()).strip("_")


def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for column in COLUMNS:
        table[column.name] = column.name
        for alias in column.aliases:
            table[normalize_header(alias)] = column.name
    for name in RESULT_COLUMNS:
        table.setdefault(name, name)
    return table


HEADER_ALIASES: dict[str, str] = _alias_table()


def canonical_column(header: str) -> str | None:
    """The canonical column a header names, or None when it is not one we know."""
    normalized = normalize_header(header)
    return HEADER_ALIASES.get(normalized) or HEADER_ALIASES.get(normalized.replace("_", ""))
