"""The campaign sheet's columns: the single description that the loader, the
template writer and the docs all read (see ``design.md``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bulk_scheduler.api.contract import SETTINGS_PROVIDERS


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
    # Per-platform settings, grouped by platform (README "Platform settings"). A blank cell
    # sends nothing; switches read yes/no, TRUE/FALSE, ✓ or 1/0.
    Column(
        "tiktok.privacy_level",
        False,
        "TikTok: who can see the post: Public, Friends, Followers or Only me. Every account "
        "of the row must be a BYO TikTok account for any tiktok.* setting.",
        "Public",
        ("tiktok_privacy", "tiktok_privacy_level", "tiktok_visibility", "tiktok_audience"),
    ),
    Column(
        "tiktok.post_mode",
        False,
        "TikTok: Direct (publish) or Drafts (send to the TikTok drafts inbox; slideshows only).",
        "Direct",
        ("tiktok_post_mode", "tiktok_mode", "tiktok_drafts"),
    ),
    Column(
        "tiktok.title",
        False,
        "TikTok: the post's title (<= 90 characters for a slideshow, 2,200 for a video).",
        "Spring drop",
        ("tiktok_title",),
    ),
    Column(
        "tiktok.description",
        False,
        "TikTok: the photo post's description (<= 4,000 characters).",
        "Three looks for spring",
        ("tiktok_description",),
    ),
    Column(
        "tiktok.disable_comment",
        False,
        "TikTok: yes turns comments off.",
        "no",
        ("tiktok_disable_comments", "tiktok_no_comments", "tiktok_comments_off"),
    ),
    Column(
        "tiktok.disable_duet",
        False,
        "TikTok: yes turns duets off.",
        "no",
        ("tiktok_disable_duets", "tiktok_no_duet", "tiktok_duet_off"),
    ),
    Column(
        "tiktok.disable_stitch",
        False,
        "TikTok: yes turns stitches off.",
        "no",
        ("tiktok_disable_stitches", "tiktok_no_stitch", "tiktok_stitch_off"),
    ),
    Column(
        "tiktok.auto_add_music",
        False,
        "TikTok: yes lets TikTok add music to a slideshow.",
        "yes",
        ("tiktok_auto_music", "tiktok_add_music"),
    ),
    Column(
        "tiktok.is_commercial",
        False,
        "TikTok: yes discloses commercial content.",
        "no",
        ("tiktok_commercial",),
    ),
    Column(
        "tiktok.is_branded_content",
        False,
        "TikTok: yes marks paid partnership (branded content).",
        "no",
        ("tiktok_branded_content", "tiktok_branded", "tiktok_paid_partnership"),
    ),
    Column(
        "tiktok.is_your_brand",
        False,
        "TikTok: yes marks promotion of your own brand.",
        "no",
        ("tiktok_your_brand", "tiktok_own_brand"),
    ),
    Column(
        "tiktok.user_consent",
        False,
        "TikTok: yes records that the creator agreed to TikTok's music and branded terms.",
        "yes",
        ("tiktok_consent", "tiktok_user_consent"),
    ),
    Column(
        "tiktok.video_cover_timestamp_ms",
        False,
        "TikTok: the video frame used as cover, in milliseconds from the start.",
        "1500",
        ("tiktok_cover_ms", "tiktok_cover_timestamp", "tiktok_cover", "tiktok_cover_timestamp_ms"),
    ),
    Column(
        "pinterest.board_id",
        False,
        "Pinterest: the board to pin to (its id, <= 128 characters). Blank: the account's "
        "default board.",
        "987654321098765432",
        ("pin_board", "pinterest_board", "pinterest_board_id", "pin_board_id", "board", "board_id"),
    ),
    Column(
        "pinterest.title",
        False,
        "Pinterest: the pin's title (<= 100 characters).",
        "Spring looks",
        ("pin_title", "pinterest_title"),
    ),
    Column(
        "pinterest.link",
        False,
        "Pinterest: the pin's destination link, an https:// URL (<= 2,048 characters).",
        "https://shop.example.com/spring",
        ("pin_link", "pinterest_link", "pin_url", "destination_link"),
    ),
    Column(
        "pinterest.tags",
        False,
        "Pinterest: up to 30 tags, separated by commas.",
        "spring, outfits, style",
        ("pin_tags", "pinterest_tags"),
    ),
    Column(
        "settings.youtube.title",
        False,
        "YouTube: the video title. Any other setting is a settings.<provider>.<key> column, "
        "e.g. settings.youtube.privacy.",
        "Spring drop in 30 seconds",
        ("youtube_title", "yt_title"),
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
    # The CDN URLs the run uploaded the row's local media files to (the row's own
    # media_urls cell keeps the paths as written).
    "media_urls_sent",
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
# The run of them a sheet must hold to be a results sheet: those that sheets written before
# the lifecycle's columns and ``media_urls_sent`` were appended hold too.
RESULTS_BLOCK_COLUMNS: tuple[str, ...] = WRITTEN_RESULT_COLUMNS[
    : WRITTEN_RESULT_COLUMNS.index("submitted_at") + 1
]
# The columns appended since: read wherever they stand after the block.
APPENDED_RESULT_COLUMNS: tuple[str, ...] = WRITTEN_RESULT_COLUMNS[len(RESULTS_BLOCK_COLUMNS) :]
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
    names = RESULTS_BLOCK_COLUMNS
    stripped = [header.strip() for header in headers]
    for start in range(len(stripped) - len(names) + 1):
        if all(
            stripped[start + offset] in (name, name + RENAMED_RESULT_SUFFIX)
            for offset, name in enumerate(names)
        ):
            block = {name: start + offset for offset, name in enumerate(names)}
            # The columns appended since follow, wherever a later write put them.
            after = start + len(names)
            for name in APPENDED_RESULT_COLUMNS:
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
    """The canonical column a header names, or None when it is not one we know.

    Besides the columns above, ``settings.<provider>.<key>`` names any setting of a
    provider the API takes (``settings.youtube.privacy``), and "<Provider> title" the title
    of a provider without a block of its own ("Threads title"). Any other header stays
    unknown: a planner's own "Facebook notes" column is never sent."""
    normalized = normalize_header(header)
    found = HEADER_ALIASES.get(normalized) or HEADER_ALIASES.get(normalized.replace("_", ""))
    if found is None and ("." in normalized or normalized[:1] in _PROVIDER_INITIALS):
        return provider_setting_column(normalized)
    return found


# The providers ``settings`` takes, by their header spelling: a header is normalised
# with hyphens as underscores.
_PROVIDERS_BY_HEADER = {provider.replace("-", "_"): provider for provider in SETTINGS_PROVIDERS}
# "<Provider> title" is read as settings.<provider>.title for the providers whose settings
# have no block of their own (tiktok.* and pinterest.* have named columns).
_PLAIN_PROVIDERS = {  # the longest first: "linkedin_page_title" is LinkedIn Page's title
    header: provider
    for header, provider in sorted(_PROVIDERS_BY_HEADER.items(), key=lambda h: -len(h[0]))
    if provider not in ("tiktok", "pinterest", "x")  # "x_..." is too easily something else
}
_PROVIDER_INITIALS = frozenset(header[0] for header in _PLAIN_PROVIDERS)
_SETTING_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
SETTINGS_PREFIX = "settings."


def provider_setting_column(normalized: str) -> str | None:
    """``settings.<provider>.<key>`` for a normalised header that names a provider's
    setting (``settings.youtube.privacy``, ``threads_title``), else None."""
    if normalized.startswith(SETTINGS_PREFIX):
        provider, dot, key = normalized[len(SETTINGS_PREFIX) :].partition(".")
        provider = _PROVIDERS_BY_HEADER.get(provider, "")
    else:
        provider, dot, key = "", "", ""
        for header, name in _PLAIN_PROVIDERS.items():
            if normalized == header + "_title":
                provider, dot, key = name, ".", "title"
                break
    if provider and dot and _SETTING_KEY.fullmatch(key):
        return f"{SETTINGS_PREFIX}{provider}.{key}"
    return None
