"""The server-side rules a schema-valid ``POST /posts`` body must still pass.

These are the sandbox's own reading of the documented rules (``docs/partner-api.md``):
the numbers of media and scheduling come from ``bulk_scheduler.api.contract``, the
caption limits and the way text is counted from :mod:`bulk_scheduler.sandbox.captions`,
and the logic is written here and only here, so the client's validator and this
stand-in for the server can disagree, and a test would show it.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from bulk_scheduler.api import contract
from bulk_scheduler.sandbox import captions

__all__ = [
    "Schedule",
    "caption_problems",
    "media_problems",
    "media_urls",
    "music_problem",
    "parse_timestamp",
    "reachability_problem",
    "schedule_for",
    "warnings_for",
]

DURATION_FIELDS = (
    "duration_sec",
    "duration_seconds",
    "duration",
    "durationSec",
    "video_duration_sec",
)
SIZE_FIELDS = ("size", "bytes")
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(Z|([+-])(\d{2}):?(\d{2}))",
    re.ASCII,
)


def _handle(account: dict[str, Any]) -> str:
    return f"@{account.get('username') or account['id']}"


def media_type(body: dict[str, Any]) -> str | None:
    """``video``, ``slideshow`` or None (text only)."""
    media = body.get("media")
    return media.get("type") if isinstance(media, dict) else None


def media_urls(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, url) for every media URL in the body, in order."""
    media = body.get("media")
    if not isinstance(media, dict):
        return []
    if media.get("type") == "video":
        return [("media.url", media["url"])]
    return [(f"media.urls[{i}]", url) for i, url in enumerate(media.get("urls", []))]


def _account_caption_limit(account: dict[str, Any], kind: str | None) -> tuple[int, str]:
    """(limit, unit): hosted 500, else the account's capability, else the platform table."""
    account_type = str(account.get("type", "byo"))
    if account_type == "hosted":
        return captions.HOSTED_LIMIT, "characters"
    capabilities = account.get("capabilities") or {}
    if isinstance(capabilities.get("caption_limit"), int):
        return capabilities["caption_limit"], "characters"
    platform = str(account.get("platform", ""))
    limit = captions.caption_limit(platform, account_type, kind)
    return limit, captions.caption_unit(platform, account_type)


def caption_problems(body: dict[str, Any], accounts: list[dict[str, Any]]) -> list[str]:
    """One message per targeted account whose caption limit the caption exceeds."""
    caption: str = body["caption"]
    kind = media_type(body)
    problems = []
    for account in accounts:
        limit, unit = _account_caption_limit(account, kind)
        length = (
            len(caption.encode("utf-8", "surrogatepass"))
            if unit == "bytes"
            else captions.js_length(caption)
        )
        if length > limit:
            problems.append(
                f"caption is {length} {unit}; account {_handle(account)} allows {limit}"
            )
    return problems


def _extension(url: str) -> str:
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return ""
    return posixpath.splitext(path)[1].lstrip(".").lower()


def _first_number(media: dict[str, Any], names: tuple[str, ...]) -> float | None:
    metadata = media.get("metadata") if isinstance(media.get("metadata"), dict) else {}
    for source in (media, metadata):
        for name in names:
            if isinstance(source.get(name), int | float):
                return float(source[name])
    return None


def _supports_text_only(account: dict[str, Any]) -> bool:
    kinds = (account.get("capabilities") or {}).get("supported_content_kinds") or []
    return "text_only" in kinds


def media_problems(body: dict[str, Any], accounts: list[dict[str, Any]]) -> list[str]:
    """Formats, duration, size, and media required unless every account takes text only."""
    media = body.get("media")
    if not isinstance(media, dict):
        return [
            f"media is required: account {_handle(a)} cannot publish text-only posts"
            for a in accounts
            if not _supports_text_only(a)
        ]
    problems = []
    if media["type"] == "video":
        extension = _extension(media["url"])
        if extension not in contract.VIDEO_EXTENSIONS:
            got = f".{extension}" if extension else "no extension"
            problems.append(f"media.url must be an MP4, MOV, M4V or AVI video (got {got})")
        duration = _first_number(media, DURATION_FIELDS)
        lo, hi = contract.VIDEO_MIN_SECONDS, contract.VIDEO_MAX_SECONDS
        if duration is not None and not lo <= duration <= hi:
            problems.append(f"video duration is {duration:g} s; it must be {lo}-{hi} s")
        size = _first_number(media, SIZE_FIELDS)
        if size is not None and size > contract.VIDEO_MAX_BYTES:
            problems.append(
                f"video size is {size / 1024 / 1024:.1f} MB; the limit is "
                f"{contract.VIDEO_MAX_BYTES // 1024 // 1024} MB"
            )
    else:
        for field, url in media_urls(body):
            extension = _extension(url)
            if extension not in contract.IMAGE_EXTENSIONS:
                got = f".{extension}" if extension else "no extension"
                problems.append(f"{field} must be a JPG, JPEG or PNG image (got {got})")
    return problems


def warnings_for(body: dict[str, Any]) -> list[dict[str, str]]:
    """The non-blocking warnings a created post reports."""
    media = body.get("media")
    if not isinstance(media, dict) or media.get("type") != "video":
        return []
    warnings = []
    if _first_number(media, DURATION_FIELDS) is None:
        warnings.append(
            {
                "field": "media",
                "message": "Video duration metadata is missing",
                "code": "VIDEO_DURATION_MISSING",
            }
        )
    if _first_number(media, SIZE_FIELDS) is None:
        warnings.append(
            {
                "field": "media",
                "message": "Video size metadata is missing",
                "code": "VIDEO_METADATA_MISSING",
            }
        )
    return warnings


def parse_timestamp(text: str) -> datetime | None:
    """An ISO 8601 time with ``Z`` or an offset, as an aware datetime; None if not one."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone, sign, oh, om = match.groups()
    try:
        tz = UTC
        if zone != "Z":
            offset = timedelta(hours=int(oh), minutes=int(om))
            tz = timezone(-offset if sign == "-" else offset)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
        )
    except ValueError:
        return None


@dataclass(frozen=True)
class Schedule:
    """When a post goes out: ``at`` is None for "publish now" (status ``pending``)."""

    at: datetime | None
    problem: str | None = None

    @property
    def status(self) -> str:
        return "pending" if self.at is None else "scheduled"


def schedule_for(body: dict[str, Any], now: datetime) -> Schedule:
    """Publish now (absent or within 30 s of now), or a time at least 2 minutes ahead."""
    text = body.get("scheduled_at")
    if text is None:
        return Schedule(None)
    at = parse_timestamp(text)
    if at is None:
        return Schedule(None, f"scheduled_at {text!r} is not a real date and time")
    ahead = (at - now).total_seconds()
    if abs(ahead) <= contract.IMMEDIATE_WINDOW_SECONDS:
        return Schedule(None)
    if ahead < 0:
        return Schedule(None, f"scheduled_at {text} is in the past ({-ahead:.0f} s ago)")
    if ahead < contract.MIN_SCHEDULE_LEAD_SECONDS:
        return Schedule(
            None,
            f"scheduled_at {text} is {ahead:.0f} s ahead; it must be at least "
            f"{contract.MIN_SCHEDULE_LEAD_SECONDS // 60} minutes in the future "
            f"(or within {contract.IMMEDIATE_WINDOW_SECONDS} s of now to publish now)",
        )
    return Schedule(at.astimezone(UTC))


def music_problem(body: dict[str, Any], accounts: list[dict[str, Any]]) -> str | None:
    """music_url is only for posts whose every account is on TikTok."""
    if body.get("music_url") is None:
        return None
    others = [a for a in accounts if a.get("platform") != "tiktok"]
    if not others:
        return None
    names = ", ".join(f"{_handle(a)} ({a.get('platform')})" for a in others)
    return f"music_url can only be used when every account is on TikTok; not: {names}"


@lru_cache(maxsize=16384)
def _host(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


@lru_cache(maxsize=4096)  # a few hosts serve every URL of a campaign
def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def reachability_problem(body: dict[str, Any], fetch_loopback: bool) -> str | None:
    """Media/music on the reserved ``.invalid`` domain, or loopback media that is not 2xx."""
    urls = media_urls(body)
    if isinstance(body.get("music_url"), str):
        urls.append(("music_url", body["music_url"]))
    for field, url in urls:
        host = _host(url) or ""
        if host == "invalid" or host.endswith(".invalid"):
            return f"{field} {url} is unreachable: host {host} does not resolve"
    if not fetch_loopback:
        return None
    loopback = [(f, u) for f, u in media_urls(body) if _is_loopback(_host(u) or "")]
    if not loopback:
        return None
    async with httpx.AsyncClient(timeout=3.0, follow_redirects=True, trust_env=False) as client:
        for field, url in loopback:
            try:
                async with client.stream("GET", url) as response:
                    status = response.status_code
            except httpx.HTTPError as exc:
                return f"{field} {url} is unreachable: {type(exc).__name__}"
            if not 200 <= status < 300:
                return f"{field} {url} is unreachable: GET answered {status}"
    return None
