"""The rules that judge a row's settings blocks against its accounts and media, as the
API does (``docs/partner-api.md``, "Per-platform settings"):

- a ``tiktok`` block only when every account is a BYO TikTok account
  (``tiktok-settings-not-tiktok``);
- ``tiktok`` and ``pinterest`` blocks not in one post (``tiktok-pinterest-both``);
- drafts mode (``MEDIA_UPLOAD``) only for slideshows (``tiktok-drafts-not-slideshow``);
- a ``pinterest`` block only with a Pinterest account (``pinterest-no-account``);
- a Pinterest account with no board: the warning ``pinterest-board-missing``;
- across rows, more than 5 drafts-mode posts to one TikTok account within 24 hours: the
  warning ``tiktok-drafts-too-many`` (TikTok refuses them with
  ``spam_risk_too_many_pending_share``).

Offline, an account's platform is known only when written as ``platform:username``;
what cannot be known is left to the online run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bulk_scheduler.api.contract import TIKTOK_PENDING_DRAFTS_PER_DAY, Account
from bulk_scheduler.checks.accounts import describe_account
from bulk_scheduler.checks.planner import PlannedRow
from bulk_scheduler.issues import error, warning

_DAY = timedelta(hours=24)


def _where(plan: PlannedRow, column: str) -> dict[str, object]:
    return {"row": plan.row.row_number, "column": column, "cell": plan.row.cells.get(column)}


def _first_column(plan: PlannedRow, prefix: str, preferred: str) -> str:
    """The column to point at for a block: ``preferred`` when the sheet has it filled,
    else the first filled column of the block."""
    values = plan.row.values
    filled = [
        column
        for column, value in values.items()
        if column.startswith(prefix) and value is not None and str(value).strip()
    ]
    return preferred if preferred in filled else (filled[0] if filled else preferred)


def _platform_of_key(key: str) -> str | None:
    """The platform an offline account key names (``tiktok:genviral``), else None."""
    platform, colon, _ = key.partition(":")
    return platform if colon else None


def check_settings(plan: PlannedRow, online: bool) -> None:
    """Add the row's settings issues (the caller skips rows with no settings and no
    Pinterest account)."""
    settings = plan.settings
    tiktok = settings.tiktok if settings else None
    pinterest = settings.pinterest if settings else None
    if tiktok and pinterest:
        column = _first_column(plan, "pinterest.", "pinterest.board_id")
        plan.issues.append(
            error(
                "tiktok-pinterest-both",
                "this row has tiktok.* and pinterest.* settings; a post takes one or the other "
                "— put the TikTok and the Pinterest accounts in separate rows",
                **_where(plan, column),
            )
        )
    if tiktok:
        _check_tiktok_targets(plan, online)
        if tiktok.get("post_mode") == "MEDIA_UPLOAD" and plan.media_type not in (
            None,
            "slideshow",
        ):
            plan.issues.append(
                error(
                    "tiktok-drafts-not-slideshow",
                    f"tiktok.post_mode is Drafts, which TikTok takes only for slideshows, and "
                    f"this post is a {plan.media_type}; write Direct, or clear the cell",
                    **_where(plan, "tiktok.post_mode"),
                )
            )
    pinterest_targets = _pinterest_targets(plan, online)
    if pinterest and pinterest_targets is not None and not pinterest_targets:
        column = _first_column(plan, "pinterest.", "pinterest.board_id")
        plan.issues.append(
            error(
                "pinterest-no-account",
                "this row has pinterest.* settings but none of its accounts is a Pinterest "
                "account; add the Pinterest account, or clear the pinterest.* cells",
                **_where(plan, column),
            )
        )
    if pinterest_targets and not (pinterest and pinterest.get("board_id")):
        plan.issues.append(
            warning(
                "pinterest-board-missing",
                f"pinterest.board_id is blank: the pin to {', '.join(pinterest_targets)} goes "
                "to the account's default board; write the board id to choose one",
                **_where(plan, "pinterest.board_id"),
            )
        )


def _check_tiktok_targets(plan: PlannedRow, online: bool) -> None:
    if online:
        others: list[str] = [
            describe_account(a) for a in plan.resolved_accounts if not _is_byo_tiktok(a)
        ]
    else:
        others = [
            key
            for key in plan.account_keys
            if (platform := _platform_of_key(key)) is not None and platform != "tiktok"
        ]
    if not others:
        return
    plan.issues.append(
        error(
            "tiktok-settings-not-tiktok",
            f"tiktok.* settings go only to BYO TikTok accounts, and {', '.join(others)} "
            f"{'is' if len(others) == 1 else 'are'} not; post to "
            f"{'it' if len(others) == 1 else 'them'} in a separate row without tiktok.* "
            "settings",
            **_where(plan, _first_column(plan, "tiktok.", "tiktok.privacy_level")),
        )
    )


def _is_byo_tiktok(account: Account) -> bool:
    return account.platform.lower() == "tiktok" and account.type.lower() == "byo"


def _pinterest_targets(plan: PlannedRow, online: bool) -> list[str] | None:
    """The row's Pinterest accounts as messages name them; None when that cannot be told
    (offline, an account whose platform is not written)."""
    if online:
        if not plan.resolved_accounts:
            return None
        return [
            describe_account(a) for a in plan.resolved_accounts if a.platform.lower() == "pinterest"
        ]
    platforms = [_platform_of_key(key) for key in plan.account_keys]
    found = [
        key
        for key, platform in zip(plan.account_keys, platforms, strict=True)
        if platform == "pinterest"
    ]
    if found or (platforms and None not in platforms):
        return found
    return None


def check_drafts_per_day(planned: Sequence[PlannedRow], now: datetime) -> None:
    """The warning ``tiktok-drafts-too-many`` on each drafts-mode row that is the 6th
    (or later) to one TikTok account within 24 hours; rows that will not be sent do not
    count, and a row with no time counts as sent now."""
    by_account: dict[str, list[tuple[datetime, PlannedRow]]] = {}
    for plan in planned:
        settings = plan.settings
        if settings is None or not settings.drafts or not plan.has_body:
            continue
        moment = plan.publish_at or now
        for key in plan.account_keys:
            by_account.setdefault(key, []).append((moment, plan))
    warned: set[int] = set()
    for key, posts in by_account.items():
        if len(posts) <= TIKTOK_PENDING_DRAFTS_PER_DAY:
            continue
        posts.sort(key=lambda post: (post[0], post[1].row.row_number))
        for index in range(TIKTOK_PENDING_DRAFTS_PER_DAY, len(posts)):
            moment, plan = posts[index]
            first = posts[index - TIKTOK_PENDING_DRAFTS_PER_DAY][0]
            if moment - first >= _DAY or id(plan) in warned:
                continue
            warned.add(id(plan))
            account = _named(plan, key)
            window = posts[index - TIKTOK_PENDING_DRAFTS_PER_DAY : index]
            rows = ", ".join(str(p.row.row_number) for _, p in window)
            plan.issues.append(
                warning(
                    "tiktok-drafts-too-many",
                    f"rows {rows} already send {TIKTOK_PENDING_DRAFTS_PER_DAY} drafts-mode posts "
                    f"to {account} within 24 hours of this one: TikTok refuses more than "
                    f"{TIKTOK_PENDING_DRAFTS_PER_DAY} pending drafts per account a day "
                    "(spam_risk_too_many_pending_share); spread them over more days, or post "
                    "directly",
                    **_where(plan, "tiktok.post_mode"),
                )
            )


def _named(plan: PlannedRow, key: str) -> str:
    for account in plan.resolved_accounts:
        if account.id.lower() == key:
            return describe_account(account)
    return key


__all__ = ["check_drafts_per_day", "check_settings"]
