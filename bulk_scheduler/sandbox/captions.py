"""The server's caption rules, as the sandbox reads them from the documentation.

The sandbox stands in for someone else's server, so it keeps its own copy of these rules
(docs/partner-api.md, "Caption limits") instead of calling the client's
:func:`bulk_scheduler.api.contract.caption_limit`: were both to share one function, a
wrong limit would pass every test. ``tests/test_sandbox_rules.py`` checks that the two
copies agree on every platform, account type and kind of media, so a divergence is
noticed rather than shared.
"""

from __future__ import annotations

__all__ = ["caption_limit", "caption_unit", "js_length"]

HOSTED_LIMIT = 500  # every hosted account, whatever its platform
# BYO accounts, by platform; a TikTok photo (slideshow) post has its own, larger limit.
BYO_LIMITS: dict[str, int] = {
    "tiktok": 2_200,
    "instagram": 2_200,
    "facebook": 63_206,
    "linkedin": 3_000,
    "pinterest": 800,
    "youtube": 5_000,
    "x": 280,
    "twitter": 280,
    "bluesky": 300,
    "threads": 500,
    "reddit": 10_000,
}
TIKTOK_PHOTO_LIMIT = 4_000
# A platform the documentation does not list gets the strictest documented limit.
UNLISTED_PLATFORM_LIMIT = 500
# YouTube counts its limit in UTF-8 bytes; every other limit is in JavaScript characters.
BYTE_COUNTED_PLATFORMS = frozenset({"youtube"})


def caption_limit(platform: str, account_type: str, media_type: str | None) -> int:
    """The documented limit of one account, for a post whose media is ``media_type``
    (``video``, ``slideshow`` or None for text only)."""
    if account_type == "hosted":
        return HOSTED_LIMIT
    if platform == "tiktok" and media_type == "slideshow":
        return TIKTOK_PHOTO_LIMIT
    return BYO_LIMITS.get(platform, UNLISTED_PLATFORM_LIMIT)


def caption_unit(platform: str, account_type: str) -> str:
    """What the limit counts: ``bytes`` (UTF-8) or ``characters`` (UTF-16 code units)."""
    if account_type != "hosted" and platform in BYTE_COUNTED_PLATFORMS:
        return "bytes"
    return "characters"


def js_length(text: str) -> int:
    """The length JavaScript gives a string, which is what the server's limits (and zod's
    ``min``/``max``) count: UTF-16 code units, so an emoji outside the BMP is 2."""
    if text.isascii():  # nearly every caption: one unit per character, without encoding
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
