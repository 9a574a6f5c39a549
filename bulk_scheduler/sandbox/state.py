"""The sandbox's memory: the workspace's accounts, the posts created, and what was asked.

Everything lives in one event loop (the server's), so no locking is needed.
"""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bulk_scheduler.sandbox.seed import SEED_ACCOUNTS, WORKSPACE_ID

__all__ = ["SandboxState", "StoredPost", "iso_utc"]


def iso_utc(moment: datetime) -> str:
    """``2025-02-01T15:00:00Z``, or with milliseconds when the time has a fraction."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    if moment.year >= 1000:  # the same text, several times faster; it pads years to 4 digits
        return moment.isoformat()[:-6] + "Z"  # "+00:00" off
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class StoredPost:
    """One created post, with the answer its creation got (replayed on duplicates)."""

    id: str
    sequence: int
    body: dict[str, Any]
    canonical_body: str
    idempotency_key: str
    status: str
    scheduled_at: datetime | None
    created_at: datetime
    account_ids: list[str]
    create_data: dict[str, Any]
    # Each account's delivery: account id -> {status, published_at, published_url,
    # error_message, last_attempted_at}; made from the post's status when first read.
    states: dict[str, dict[str, Any]] = field(default_factory=dict)

    def account_state(self, account_id: str) -> dict[str, Any]:
        """The delivery state of one account (created on first use)."""
        state = self.states.get(account_id)
        if state is None:
            state = self.states[account_id] = {
                "account_id": account_id,
                "status": self.status,
                "published_at": None,
                "published_url": None,
                "error_message": None,
                "last_attempted_at": None,
            }
        return state

    def to_api(self) -> dict[str, Any]:
        """The post as ``GET /posts/{id}`` shows it."""
        return {
            "id": self.id,
            "status": self.status,
            "caption": self.body.get("caption"),
            "media": self.body.get("media"),
            "music_url": self.body.get("music_url"),
            "scheduled_at": iso_utc(self.scheduled_at) if self.scheduled_at else None,
            "external_id": self.body.get("external_id"),
            "created_at": iso_utc(self.created_at),
            "source": "partner_api",
            "accounts": {
                "total": len(self.account_ids),
                "states": [dict(self.account_state(a)) for a in self.account_ids],
            },
        }


@dataclass
class SandboxState:
    """Accounts (from the seed), posts, the idempotency index and request counters."""

    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: dict[str, StoredPost] = field(default_factory=dict)
    by_idempotency_key: dict[str, str] = field(default_factory=dict)
    posts_by_external_id: Counter[str] = field(default_factory=Counter)
    create_requests_by_external_id: Counter[str] = field(default_factory=Counter)
    create_requests: int = 0
    requests_total: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    connections_dropped: int = 0
    responses_by_status: Counter[str] = field(default_factory=Counter)
    # API requests per route ("PATCH /posts/{id}"), and the lifecycle's own counters.
    requests_by_route: Counter[str] = field(default_factory=Counter)
    updates_by_external_id: Counter[str] = field(default_factory=Counter)
    retried_accounts: Counter[str] = field(default_factory=Counter)  # "post_id:account_id"
    deleted_posts: int = 0
    # How far the sandbox's clock is ahead of the machine's (POST /__sandbox/publish).
    clock_offset: timedelta = field(default_factory=timedelta)
    _sequence: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        if not self.accounts:
            self.accounts = {
                account["id"]: {**copy.deepcopy(account), "workspace_id": WORKSPACE_ID}
                for account in SEED_ACCOUNTS
            }

    def active_accounts(self) -> list[dict[str, Any]]:
        """Accounts the API lists: the inactive ones are hidden."""
        return [a for a in self.accounts.values() if a.get("status") == "active"]

    def now(self) -> datetime:
        """The sandbox's time: the machine's, plus what the clock was advanced by."""
        return now_utc() + self.clock_offset

    def next_sequence(self) -> int:
        """A number that orders posts created within the same instant."""
        return next(self._sequence)

    def add_post(self, post: StoredPost) -> None:
        """Store a created post and index it for idempotent replays."""
        self.posts[post.id] = post
        self.by_idempotency_key[post.idempotency_key] = post.id
        external_id = post.body.get("external_id")
        if isinstance(external_id, str):
            self.posts_by_external_id[external_id] += 1

    def delete_post(self, post_id: str) -> None:
        """Forget a post; its idempotency key becomes free again."""
        post = self.posts.pop(post_id)
        if self.by_idempotency_key.get(post.idempotency_key) == post_id:
            del self.by_idempotency_key[post.idempotency_key]

    def record_response(self, status: int) -> None:
        """Count one answered API request by HTTP status."""
        self.responses_by_status[str(status)] += 1

    def reset(self) -> None:
        """Forget every post and zero every counter (accounts stay)."""
        self.posts.clear()
        self.by_idempotency_key.clear()
        self.posts_by_external_id.clear()
        self.create_requests_by_external_id.clear()
        self.responses_by_status.clear()
        self.requests_by_route.clear()
        self.updates_by_external_id.clear()
        self.retried_accounts.clear()
        self.deleted_posts = 0
        self.clock_offset = timedelta()
        self.create_requests = self.requests_total = self.connections_dropped = 0
        self.max_in_flight = self.in_flight

    def stats(self) -> dict[str, Any]:
        """What ``GET /__sandbox/stats`` returns."""
        return {
            "posts_total": len(self.posts),
            "posts_by_external_id": dict(self.posts_by_external_id),
            "create_requests_by_external_id": dict(self.create_requests_by_external_id),
            "create_requests": self.create_requests,
            "requests_total": self.requests_total,
            "max_in_flight": self.max_in_flight,
            "in_flight": self.in_flight,
            "connections_dropped": self.connections_dropped,
            "responses_by_status": dict(self.responses_by_status),
            "requests_by_route": dict(self.requests_by_route),
            "updates_by_external_id": dict(self.updates_by_external_id),
            "retried_accounts": dict(self.retried_accounts),
            "deleted_posts": self.deleted_posts,
            "posts_by_status": dict(Counter(p.status for p in self.posts.values())),
            "now": iso_utc(self.now()),
        }


def now_utc() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)
