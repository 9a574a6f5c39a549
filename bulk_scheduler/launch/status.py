"""Refresh what the API says of every post a campaign created: ``bulk-scheduler status``.

Posts are read many at a time: ``GET /posts`` lists at most 100 posts, newest first, with
no offset, filtered by creation time (``since``/``until``, both inclusive). The journal
knows when each post was created (the API's ``created_at`` once a list has shown it, else
when its row was sent), so the refresh lists over windows of creation time around the
campaign's posts: a full page moves the window's end back to the oldest post it held, until
a page comes back short. Only posts the lists did not show (deleted, or created outside the
windows) or showed without their per-account states are read one by one
(``GET /posts/{id}``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bulk_scheduler.api.client import PartnerClient
from bulk_scheduler.api.contract import FINAL_STATUSES, MAX_LIST_LIMIT, Post
from bulk_scheduler.errors import ApiError
from bulk_scheduler.launch.journal import Journal
from bulk_scheduler.launch.lifecycle_journal import LifecycleJournal, PostState

# A window of creation time holds posts created within this of each other; a post's
# window reaches this far either side of the time its row was sent (the API's clock may
# differ from this machine's), and a second either side of a creation time the API gave.
WINDOW_GAP = timedelta(hours=1)
SENT_MARGIN = timedelta(minutes=15)
API_MARGIN = timedelta(seconds=1)


@dataclass(slots=True)
class RefreshStats:
    """What one refresh cost: posts refreshed, and the requests made for them."""

    posts: int = 0
    list_requests: int = 0
    get_requests: int = 0
    not_found: list[str] = field(default_factory=list)  # external_ids the API no longer has

    @property
    def requests(self) -> int:
        return self.list_requests + self.get_requests


@dataclass(frozen=True, slots=True)
class Target:
    external_id: str
    post_id: str
    created: datetime  # when the post was created, as well as the journal knows
    exact: bool  # the API's own creation time


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _shown_until(text: str | None) -> datetime | None:
    """The last instant a creation time as shown can stand for: ``...:05.123Z`` may be a
    post created at ``.1234``, so a window that must still hold it ends ``.1239...``."""
    moment = _parse(text)
    if moment is None or text is None:
        return None
    fraction = text.split(".", 1)[1].rstrip("Z").split("+")[0] if "." in text else ""
    digits = min(len(fraction), 6)
    return moment + timedelta(microseconds=10 ** (6 - digits) - 1)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def refresh_targets(journal: Journal, life: LifecycleJournal) -> list[Target]:
    """Every post the journal knows as created and not cancelled."""
    states = life.post_states()
    targets = []
    for entry in journal.entries():
        outcome = entry.outcome
        if outcome is None or not outcome.is_done or outcome.post_id is None:
            continue
        state = states.get(entry.external_id)
        created = _parse(state.created_at) if state and state.post_id == outcome.post_id else None
        exact = created is not None
        if created is None:
            created = outcome.submitted_at or datetime.now(UTC)
            if created.tzinfo is None:
                created = created.replace(tzinfo=UTC)
        targets.append(Target(entry.external_id, outcome.post_id, created, exact))
    return targets


def windows(targets: Iterable[Target]) -> list[tuple[datetime, datetime]]:
    """Creation-time windows that hold every target, split where posts are far apart."""
    spans = sorted(
        (t.created - (API_MARGIN if t.exact else SENT_MARGIN),
         t.created + (API_MARGIN if t.exact else SENT_MARGIN))
        for t in targets
    )  # fmt: skip
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + WINDOW_GAP:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


async def _list_window(
    client: PartnerClient,
    since: datetime,
    until: datetime,
    wanted: Mapping[str, Target],
    seen: dict[str, Post],
    stats: RefreshStats,
) -> None:
    """List one window newest first, page by page (a full page ends the next at its oldest)."""
    end = until
    while True:
        page = await client.list_posts(limit=MAX_LIST_LIMIT, since=_iso(since), until=_iso(end))
        stats.list_requests += 1
        oldest: datetime | None = None
        for post in page:
            if post.id in wanted:
                seen[post.id] = post
            created = _shown_until(post.created_at)
            if created is not None and (oldest is None or created < oldest):
                oldest = created
        if len(page) < MAX_LIST_LIMIT or oldest is None or oldest >= end:
            # A short page is the window's last; a full page of one instant cannot be
            # paged further (no offset): what it hid is read one by one below.
            return
        end = oldest


def _accounts(post: Post, handles: Mapping[str, str]) -> list[dict[str, Any]]:
    states = post.accounts.states if post.accounts is not None else []
    return [
        {
            "account_id": s.account_id,
            "handle": handles.get(s.account_id, s.account_id),
            "status": s.status,
            "published_at": s.published_at,
            "published_url": s.published_url,
            "error_message": s.error_message,
            "last_attempted_at": s.last_attempted_at,
        }
        for s in states
    ]


async def refresh_posts(
    journal: Journal,
    life: LifecycleJournal,
    client: PartnerClient,
    handles: Mapping[str, str],
) -> RefreshStats:
    """Ask the API for every post the journal knows, and keep what it says in the journal.

    ``handles`` maps account ids to ``@username`` for the sheet. Raises ``ApiError`` when
    the API cannot be read (nothing is then changed)."""
    targets = refresh_targets(journal, life)
    stats = RefreshStats(posts=len(targets))
    if not targets:
        return stats
    wanted = {t.post_id: t for t in targets}
    seen: dict[str, Post] = {}
    for since, until in windows(targets):
        await _list_window(client, since, until, wanted, seen, stats)
    checked = datetime.now(UTC).isoformat()
    states: list[PostState] = []
    for target in targets:
        post = seen.get(target.post_id)
        if post is None or post.accounts is None or not post.accounts.states:
            try:
                post = await client.get_post(target.post_id)
            except ApiError as exc:
                if exc.status != 404:
                    raise
                stats.get_requests += 1
                stats.not_found.append(target.external_id)
                states.append(
                    PostState(target.external_id, target.post_id, "not_found", [], None, checked)
                )
                continue
            stats.get_requests += 1
        states.append(
            PostState(
                target.external_id,
                target.post_id,
                post.status,
                _accounts(post, handles),
                post.created_at,
                checked,
            )
        )
    life.save_states(states)
    return stats


def is_final(status: str | None) -> bool:
    """A post whose status will not change by itself."""
    return status in FINAL_STATUSES or status == "not_found"


def summarize(states: Iterable[PostState]) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """Posts per status, and deliveries per account and status."""
    by_status: Counter[str] = Counter()
    by_account: dict[str, Counter[str]] = {}
    for state in states:
        by_status[state.status or "unknown"] += 1
        for account in state.accounts:
            handle = account.get("handle") or account["account_id"]
            by_account.setdefault(handle, Counter())[account.get("status") or "unknown"] += 1
    return by_status, by_account


async def sync_posts(
    journal: Journal,
    life: LifecycleJournal,
    client: PartnerClient,
    handles: Mapping[str, str],
    *,
    refresh: bool = True,
) -> RefreshStats:
    """Before a command plans anything: settle the changes an earlier command left
    unanswered (checked with ``GET``; unanswered cancels the API has not done are sent
    again), then refresh every post's status."""
    from bulk_scheduler.launch.cancel import resend
    from bulk_scheduler.launch.changes import settle_pending

    settled, cancels = await settle_pending(life, client)
    if cancels:
        rows = {e.external_id: e.row_number for e in journal.entries()}
        await resend(cancels, rows, client, life)
    stats = await refresh_posts(journal, life, client, handles) if refresh else RefreshStats()
    stats.get_requests += len(settled)
    return stats
