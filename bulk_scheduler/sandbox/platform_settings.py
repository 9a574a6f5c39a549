"""The sandbox's own reading of the per-platform settings rules (``docs/partner-api.md``,
"Per-platform settings"), applied to a schema-valid ``POST /posts`` body and the
accounts it names. Written here and only here: the client's validator
(``checks/settings_rules.py``) is a separate reading, so a test shows when they differ.

- ``tiktok`` and ``pinterest`` in one body: refused.
- ``tiktok`` when an account is not a BYO TikTok account: refused.
- ``tiktok.post_mode`` ``MEDIA_UPLOAD`` (the drafts inbox) for anything but a slideshow:
  refused.
- ``pinterest`` with no Pinterest account: refused.
- A 6th drafts-mode post to one TikTok account within 24 hours of 5 others it holds:
  refused as TikTok does, ``spam_risk_too_many_pending_share``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

__all__ = ["SPAM_RISK_CODE", "drafts_problem", "settings_problem"]

SPAM_RISK_CODE = "spam_risk_too_many_pending_share"
_PENDING_DRAFTS_PER_DAY = 5
_DAY = timedelta(hours=24)


def _handle(account: dict[str, Any]) -> str:
    return f"@{account.get('username') or account['id']} ({account.get('platform')})"


def _is_drafts(body: dict[str, Any]) -> bool:
    tiktok = body.get("tiktok")
    return isinstance(tiktok, dict) and tiktok.get("post_mode") == "MEDIA_UPLOAD"


def settings_problem(body: dict[str, Any], accounts: list[dict[str, Any]]) -> str | None:
    """Why the body's ``tiktok`` or ``pinterest`` block cannot go to these accounts."""
    tiktok, pinterest = body.get("tiktok"), body.get("pinterest")
    if tiktok is not None and pinterest is not None:
        return "tiktok and pinterest settings cannot be combined in one post"
    if tiktok is not None:
        others = [a for a in accounts if a.get("platform") != "tiktok" or a.get("type") != "byo"]
        if others:
            names = ", ".join(_handle(a) for a in others)
            return f"tiktok settings require every account to be a BYO TikTok account; not: {names}"
        media = body.get("media")
        kind = media.get("type") if isinstance(media, dict) else None
        if _is_drafts(body) and kind != "slideshow":
            return "tiktok.post_mode MEDIA_UPLOAD is only supported for slideshow posts"
    if pinterest is not None and not any(a.get("platform") == "pinterest" for a in accounts):
        return "pinterest settings require a Pinterest account"
    return None


def drafts_problem(
    body: dict[str, Any],
    at: datetime,
    accounts: list[dict[str, Any]],
    stored: Iterable[tuple[dict[str, Any], datetime, list[str]]],
) -> str | None:
    """TikTok's refusal of a drafts-mode post to an account that already holds 5 drafts
    in some 24 hours that would also hold this one (at ``at``). ``stored`` gives each
    stored post's body, time and account ids."""
    if not _is_drafts(body):
        return None
    near: dict[str, list[datetime]] = {}
    for other, when, account_ids in stored:
        if _is_drafts(other) and abs(when - at) < _DAY:
            for account_id in account_ids:
                near.setdefault(account_id, []).append(when)
    full = [a for a in accounts if _crowded(sorted(near.get(a["id"], ())), at)]
    if not full:
        return None
    names = ", ".join(_handle(a) for a in full)
    return (
        f"TikTok refused the upload: {names} already has {_PENDING_DRAFTS_PER_DAY} pending "
        "drafts within 24 hours of it"
    )


def _crowded(times: list[datetime], at: datetime) -> bool:
    """Whether some 24 hours that hold ``at`` hold 5 of ``times`` too (each window starts
    at ``at`` or at one of the times before it)."""
    if len(times) < _PENDING_DRAFTS_PER_DAY:
        return False
    starts = [t for t in times if t <= at] + [at]
    for start in starts:
        end = start + _DAY
        if at < end and sum(start <= t < end for t in times) >= _PENDING_DRAFTS_PER_DAY:
            return True
    return False
