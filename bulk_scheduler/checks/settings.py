"""Per-platform settings read from a row's cells: the ``tiktok``, ``pinterest`` and
``settings`` blocks of the create body.

A settings column is named with its platform: ``tiktok.<field>``, ``pinterest.<field>``
or ``settings.<provider>.<key>`` (``sheet/columns.py`` maps the headers people write,
"TikTok privacy", "Pin board", "YouTube title", to these names). Cells are read as people
write them:

- switches: yes/no, y/n, TRUE/FALSE, on/off, 1/0, ✓/✗ (a checkbox cell is TRUE/FALSE);
- ``tiktok.privacy_level``: Public, Friends, Followers, Only me (or the API's names);
- ``tiktok.post_mode``: Direct or Drafts (or ``DIRECT_POST`` / ``MEDIA_UPLOAD``);
- ``pinterest.tags``: separated by commas (or new lines);
- ``settings.<provider>.<key>``: text as written, a number as a number, TRUE/FALSE as a
  boolean; a ``title`` always as text.

A blank cell sends nothing; a row whose settings cells are all blank sends no block. Each
cell that cannot be read, or breaks one of the contract's limits, is an error on that
cell. The rules that need the row's accounts and media (a ``tiktok`` block only for BYO
TikTok accounts, drafts only for slideshows, …) are in ``settings_rules.py``.

>>> from bulk_scheduler.checks.settings import read_privacy_level
>>> read_privacy_level("Only me")
'SELF_ONLY'
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from bulk_scheduler.api.contract import (
    PINTEREST_BOARD_ID_MAX_LENGTH,
    PINTEREST_LINK_MAX_LENGTH,
    PINTEREST_MAX_TAGS,
    PINTEREST_TAG_MAX_LENGTH,
    PINTEREST_TITLE_MAX_LENGTH,
    TIKTOK_DESCRIPTION_MAX_LENGTH,
    TIKTOK_PHOTO_TITLE_MAX_LENGTH,
    TIKTOK_VIDEO_TITLE_MAX_LENGTH,
    YOUTUBE_TITLE_MAX_LENGTH,
    utf16_length,
)
from bulk_scheduler.campaign import CampaignRow, CellValue, cell_text
from bulk_scheduler.checks.media_urls import is_http_url
from bulk_scheduler.issues import RowIssue, error

SETTINGS_PREFIX = "settings."

# The tiktok block's fields in the order the contract (and ``TikTokSettings``) lists them,
# so that a body built here serialises as ``PostCreateBody.to_json`` does.
TIKTOK_FIELDS = (
    "title",
    "description",
    "user_consent",
    "is_commercial",
    "is_your_brand",
    "is_branded_content",
    "privacy_level",
    "disable_comment",
    "disable_duet",
    "disable_stitch",
    "video_cover_timestamp_ms",
    "auto_add_music",
    "post_mode",
)
TIKTOK_SWITCHES = frozenset(
    {
        "user_consent",
        "is_commercial",
        "is_your_brand",
        "is_branded_content",
        "disable_comment",
        "disable_duet",
        "disable_stitch",
        "auto_add_music",
    }
)
PINTEREST_FIELDS = ("board_id", "link", "title", "tags")

_YES = frozenset({"yes", "y", "true", "1", "on", "x", "✓", "✔", "☑"})
_NO = frozenset({"no", "n", "false", "0", "off", "✗", "✘", "☐"})

# Words people write for each privacy level and post mode, compared after lower-casing
# and turning runs of spaces, hyphens and underscores into one space.
PRIVACY_WORDS: dict[str, str] = {
    "public": "PUBLIC_TO_EVERYONE",
    "everyone": "PUBLIC_TO_EVERYONE",
    "public to everyone": "PUBLIC_TO_EVERYONE",
    "friends": "MUTUAL_FOLLOW_FRIENDS",
    "mutual friends": "MUTUAL_FOLLOW_FRIENDS",
    "mutual follow friends": "MUTUAL_FOLLOW_FRIENDS",
    "followers": "FOLLOWER_OF_CREATOR",
    "follower of creator": "FOLLOWER_OF_CREATOR",
    "only me": "SELF_ONLY",
    "private": "SELF_ONLY",
    "self only": "SELF_ONLY",
}
POST_MODE_WORDS: dict[str, str] = {
    "direct": "DIRECT_POST",
    "direct post": "DIRECT_POST",
    "publish": "DIRECT_POST",
    "drafts": "MEDIA_UPLOAD",
    "draft": "MEDIA_UPLOAD",
    "inbox": "MEDIA_UPLOAD",
    "media upload": "MEDIA_UPLOAD",
    "upload": "MEDIA_UPLOAD",
}
_PROVIDER_TITLE_LIMITS = {"youtube": YOUTUBE_TITLE_MAX_LENGTH}


@dataclass(frozen=True, slots=True)
class PlatformSettings:
    """A row's settings blocks as the body carries them (None: no such block).

    ``cells`` maps each filled settings column to its cell reference, for the messages of
    the rules that judge the blocks against the row's accounts and media."""

    tiktok: dict[str, Any] | None
    pinterest: dict[str, Any] | None
    providers: dict[str, dict[str, Any]] | None

    def body_parts(self) -> dict[str, Any]:
        """The body's ``tiktok``, ``pinterest`` and ``settings`` keys, in that order."""
        parts: dict[str, Any] = {}
        if self.tiktok:
            parts["tiktok"] = dict(self.tiktok)
        if self.pinterest:
            pinterest = self.pinterest.items()
            parts["pinterest"] = {k: list(v) if k == "tags" else v for k, v in pinterest}
        if self.providers:
            parts["settings"] = {p: dict(v) for p, v in self.providers.items()}
        return parts

    @property
    def key(self) -> str:
        """The blocks as one text, for the row's content key (and its generated id)."""
        return json.dumps(self.body_parts(), ensure_ascii=False, sort_keys=True)

    @property
    def drafts(self) -> bool:
        """True when the tiktok block sends to the drafts inbox (``MEDIA_UPLOAD``)."""
        return bool(self.tiktok) and self.tiktok.get("post_mode") == "MEDIA_UPLOAD"  # type: ignore[union-attr]


def is_settings_column(column: str) -> bool:
    """True for a per-platform setting's canonical column."""
    return column.startswith(("tiktok.", "pinterest.", SETTINGS_PREFIX))


def settings_columns(columns: Sequence[str]) -> tuple[str, ...]:
    """The settings columns among a sheet's canonical columns, in order."""
    return tuple(column for column in columns if is_settings_column(column))


def _words(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().casefold())


def read_switch(value: CellValue) -> bool | None:
    """A switch cell: True/False, or None when it says neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = _words(cell_text(value))
    if word in _YES:
        return True
    if word in _NO:
        return False
    return None


def read_privacy_level(value: CellValue) -> str | None:
    """``"Only me"`` -> ``"SELF_ONLY"``; None when the cell names no privacy level."""
    return PRIVACY_WORDS.get(_words(cell_text(value)))


def read_post_mode(value: CellValue) -> str | None:
    """``"Drafts"`` -> ``"MEDIA_UPLOAD"``; None when the cell names no post mode."""
    return POST_MODE_WORDS.get(_words(cell_text(value)))


def split_tags(text: str) -> list[str]:
    """``"spring, #style,  new  in"`` -> ``["spring", "#style", "new in"]``: split on commas
    and new lines, inner runs of spaces made one (as the API does), blanks dropped."""
    parts = text.replace("\r", "\n").replace("\n", ",").split(",")
    return [" ".join(part.split()) for part in parts if part.strip()]


def _blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_settings(
    row: CampaignRow,
    columns: Sequence[str],
    cells: Sequence[CellValue],
    media_type: str | None,
    issues: list[RowIssue],
) -> PlatformSettings | None:
    """The row's settings blocks from its settings ``cells`` (one per column of
    ``columns``); None when every cell is blank. Each cell that cannot be read, or is too
    long for ``media_type``'s limits, adds an error to ``issues`` and sends nothing."""
    tiktok: dict[str, Any] = {}
    pinterest: dict[str, Any] = {}
    providers: dict[str, dict[str, Any]] = {}
    for column, value in zip(columns, cells, strict=True):
        if _blank(value):
            continue
        where = {"row": row.row_number, "column": column, "cell": row.cells.get(column)}
        if column.startswith("tiktok."):
            read = _tiktok_value(column, value, media_type, where, issues)
            if read is not None:
                tiktok[column[len("tiktok.") :]] = read
        elif column.startswith("pinterest."):
            read = _pinterest_value(column, value, where, issues)
            if read is not None:
                pinterest[column[len("pinterest.") :]] = read
        else:
            provider, _, key = column[len(SETTINGS_PREFIX) :].partition(".")
            read = _provider_value(provider, key, value, where, issues)
            if read is not None:
                providers.setdefault(provider, {})[key] = read
    if not (tiktok or pinterest or providers):
        return None
    return PlatformSettings(
        {f: tiktok[f] for f in TIKTOK_FIELDS if f in tiktok} or None,
        {f: pinterest[f] for f in PINTEREST_FIELDS if f in pinterest} or None,
        providers or None,
    )


def _text(value: CellValue) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return cell_text(value).strip()


def _too_long(
    column: str, text: str, limit: int, what: str, where: dict[str, Any], issues: list[RowIssue]
) -> bool:
    size = utf16_length(text)
    if size <= limit:
        return False
    issues.append(
        error(
            "setting-too-long",
            f"{column} is {size:,} characters; the limit is {limit:,}{what}",
            **where,
        )
    )
    return True


def _tiktok_value(
    column: str,
    value: CellValue,
    media_type: str | None,
    where: dict[str, Any],
    issues: list[RowIssue],
) -> Any:
    field = column[len("tiktok.") :]
    written = _text(value)
    if field in TIKTOK_SWITCHES:
        switch = read_switch(value)
        if switch is None:
            issues.append(
                error(
                    "setting-switch-invalid",
                    f"{column} is '{written}'; write yes or no (TRUE/FALSE, ✓ or 1/0 work too), "
                    "or leave it blank to use TikTok's default",
                    **where,
                )
            )
        return switch
    if field == "privacy_level":
        level = read_privacy_level(value)
        if level is None:
            issues.append(
                error(
                    "tiktok-privacy-invalid",
                    f"{column} is '{written}'; write Public, Friends, Followers or Only me",
                    **where,
                )
            )
        return level
    if field == "post_mode":
        mode = read_post_mode(value)
        if mode is None:
            issues.append(
                error(
                    "tiktok-post-mode-invalid",
                    f"{column} is '{written}'; write Direct (publish) or Drafts (send to the "
                    "TikTok drafts inbox, slideshows only)",
                    **where,
                )
            )
        return mode
    if field == "video_cover_timestamp_ms":
        milliseconds = _whole_number(value)
        if milliseconds is None or milliseconds < 0:
            issues.append(
                error(
                    "tiktok-cover-invalid",
                    f"{column} is '{written}'; write the cover frame's time in whole "
                    "milliseconds from the start of the video, e.g. 1500",
                    **where,
                )
            )
            return None
        return milliseconds
    if field == "title":
        if media_type == "slideshow":
            limit, what = TIKTOK_PHOTO_TITLE_MAX_LENGTH, " for a slideshow (photo) post"
        else:
            limit, what = TIKTOK_VIDEO_TITLE_MAX_LENGTH, " for a video post"
        return None if _too_long(column, written, limit, what, where, issues) else written
    if field == "description":
        limit = TIKTOK_DESCRIPTION_MAX_LENGTH
        return None if _too_long(column, written, limit, "", where, issues) else written
    raise AssertionError(f"no reader for {column}")  # columns.py lists only these


def _whole_number(value: CellValue) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = cell_text(value).strip().replace(",", "").replace("_", "")
    if re.fullmatch(r"[+-]?\d+(\.0*)?", text):
        return int(text.split(".", 1)[0])
    return None


def _pinterest_value(
    column: str, value: CellValue, where: dict[str, Any], issues: list[RowIssue]
) -> Any:
    field = column[len("pinterest.") :]
    written = _text(value)
    if field == "board_id":
        limit = PINTEREST_BOARD_ID_MAX_LENGTH
        return None if _too_long(column, written, limit, "", where, issues) else written
    if field == "title":
        title = " ".join(written.split()) if "\n" in written else written
        limit = PINTEREST_TITLE_MAX_LENGTH
        return None if _too_long(column, title, limit, "", where, issues) else title
    if field == "link":
        if not is_http_url(written):
            issues.append(
                error(
                    "pinterest-link-invalid",
                    f"{column} '{written}' is not a web address; write the pin's destination "
                    "as a full URL starting with https://",
                    **where,
                )
            )
            return None
        limit = PINTEREST_LINK_MAX_LENGTH
        return None if _too_long(column, written, limit, "", where, issues) else written
    if field == "tags":
        tags = split_tags(written)
        if len(tags) > PINTEREST_MAX_TAGS:
            issues.append(
                error(
                    "pinterest-tags-too-many",
                    f"{column} lists {len(tags)} tags; a pin takes at most {PINTEREST_MAX_TAGS}",
                    **where,
                )
            )
            return None
        long = [tag for tag in tags if utf16_length(tag) > PINTEREST_TAG_MAX_LENGTH]
        if long:
            shown = long[0] if len(long[0]) <= 40 else long[0][:37] + "..."
            issues.append(
                error(
                    "setting-too-long",
                    f"{column}: the tag '{shown}' is {utf16_length(long[0]):,} characters; "
                    f"the limit is {PINTEREST_TAG_MAX_LENGTH} a tag",
                    **where,
                )
            )
            return None
        return tuple(tags) or None
    raise AssertionError(f"no reader for {column}")


def _provider_value(
    provider: str, key: str, value: CellValue, where: dict[str, Any], issues: list[RowIssue]
) -> Any:
    column = f"{SETTINGS_PREFIX}{provider}.{key}"
    if key == "title":  # the contract: a non-empty string
        title = _text(value)
        limit = _PROVIDER_TITLE_LIMITS.get(provider)
        if limit is not None and _too_long(column, title, limit, "", where, issues):
            return None
        return title
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, int):
        return value
    text = _text(value)
    if text.casefold() in ("true", "false"):
        return text.casefold() == "true"
    return text


__all__ = [
    "PlatformSettings",
    "is_settings_column",
    "read_post_mode",
    "read_privacy_level",
    "read_settings",
    "read_switch",
    "settings_columns",
    "split_tags",
]
