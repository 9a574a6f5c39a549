"""Cancel the posts of chosen rows: ``POST /posts/delete``, at most 50 posts a request.

Each row gets ``canceled``, or the reason it could not be: blocked by its status (posted,
partial, canceled) or not found. A cancelled row is never re-created by a later ``run``
unless the user clears its result cell in the results sheet. Every delete is journalled as
an intent before it is sent; an unanswered one is checked with ``GET /posts/{id}`` (gone:
cancelled; still there: sent again) before anything else is done.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bulk_scheduler.api.client import PartnerClient
from bulk_scheduler.api.contract import EDITABLE_STATUSES, MAX_DELETE_POST_IDS
from bulk_scheduler.errors import ApiError, ConfigurationError, FatalApiError
from bulk_scheduler.launch.lifecycle_journal import REFUSED, Action, LifecycleJournal

CANCELED = "canceled"
BLOCKED = "blocked"
NOT_FOUND = "not_found"
NO_POST = "no_post"
ALREADY = "already_canceled"
UNKNOWN = "unknown"


@dataclass(slots=True)
class CancelTarget:
    row_number: int
    external_id: str
    post_id: str | None  # None: the row has no post to cancel


@dataclass(slots=True)
class CancelResult:
    row_number: int
    external_id: str
    outcome: str  # canceled, blocked, not_found, no_post, already_canceled, unknown
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row_number,
            "external_id": self.external_id,
            "outcome": self.outcome,
            "detail": self.detail,
        }


def parse_rows(text: str) -> list[int]:
    """``"5-9,12"`` -> ``[5, 6, 7, 8, 9, 12]``; raises ConfigurationError naming the part."""
    rows: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        first, dash, last = part.partition("-")
        try:
            start = int(first)
            end = int(last) if dash else start
        except ValueError:
            raise ConfigurationError(
                f"--rows {text}: {part!r} is not a row number or a range like 5-9"
            ) from None
        if start < 2 or end < start:
            raise ConfigurationError(
                f"--rows {text}: {part!r} is not a range of data rows (the header is row 1)"
            )
        rows.extend(range(start, end + 1))
    if not rows:
        raise ConfigurationError(f"--rows {text!r}: name at least one row, e.g. 5-9,12")
    return sorted(set(rows))


async def _pause(attempt: int) -> None:
    await asyncio.sleep(min(30.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random()))


async def delete_posts(
    targets: Sequence[CancelTarget],
    client: PartnerClient,
    life: LifecycleJournal,
    *,
    max_attempts: int = 5,
    stop: asyncio.Event | None = None,
) -> list[CancelResult]:
    """Delete the targets' posts in batches of at most 50 (journalled)."""
    results: list[CancelResult] = []
    for start in range(0, len(targets), MAX_DELETE_POST_IDS):
        if stop is not None and stop.is_set():
            break
        batch = [t for t in targets[start : start + MAX_DELETE_POST_IDS] if t.post_id]
        actions = life.begin("cancel", [(t.external_id, str(t.post_id)) for t in batch], {})
        results += await _delete_batch(batch, actions, client, life, max_attempts)
    return results


async def resend(
    actions: Iterable[Action], rows: dict[str, int], client: PartnerClient, life: LifecycleJournal
) -> list[CancelResult]:
    """Send again the cancels a killed command left unanswered and the API has not done."""
    targets = [CancelTarget(rows.get(a.external_id, 0), a.external_id, a.post_id) for a in actions]
    return await delete_posts(targets, client, life)


async def _delete_batch(
    batch: list[CancelTarget],
    actions: list[Action],
    client: PartnerClient,
    life: LifecycleJournal,
    max_attempts: int,
) -> list[CancelResult]:
    by_post = {str(t.post_id): (t, a) for t, a in zip(batch, actions, strict=True)}
    results: dict[str, CancelResult] = {}
    remaining = list(by_post)
    attempt = 0
    while remaining:
        attempt += 1
        try:
            answer = await client.delete_posts(remaining)
        except FatalApiError:
            raise
        except ApiError as exc:
            if exc.status is not None and exc.status != 429 and exc.status < 500:
                for post_id in remaining:
                    target, action = by_post[post_id]
                    life.finish([action], REFUSED, str(exc))
                    results[post_id] = CancelResult(
                        target.row_number, target.external_id, UNKNOWN, str(exc)
                    )
                break
            # No answer: which were deleted? A deleted post is gone (404).
            still = []
            for post_id in remaining:
                target, action = by_post[post_id]
                try:
                    post = await client.get_post(post_id)
                except ApiError as get_exc:
                    if get_exc.status == 404:
                        life.canceled(action)
                        results[post_id] = CancelResult(
                            target.row_number, target.external_id, CANCELED
                        )
                    else:
                        still.append(post_id)
                    continue
                if post.status in EDITABLE_STATUSES:
                    still.append(post_id)
                else:
                    detail = f"blocked: the post is {post.status}"
                    life.finish([action], REFUSED, detail)
                    results[post_id] = CancelResult(
                        target.row_number, target.external_id, BLOCKED, detail
                    )
            remaining = still
            if remaining and attempt >= max_attempts:
                for post_id in remaining:  # left "sending": checked on the next command
                    target, _ = by_post[post_id]
                    results[post_id] = CancelResult(
                        target.row_number, target.external_id, UNKNOWN, f"no answer: {exc}"
                    )
                break
            if remaining:
                await _pause(attempt)
            continue
        deleted = set(answer.get("deletedIds") or [])
        blocked = {
            b.get("id"): b.get("status")
            for b in answer.get("blockedStatuses") or []
            if isinstance(b, dict)
        }
        skipped = set(answer.get("skipped") or [])
        errors = answer.get("errors") or {}
        if not isinstance(errors, dict):
            errors = {}
        for post_id in remaining:
            target, action = by_post[post_id]
            if post_id in deleted:
                life.canceled(action)
                results[post_id] = CancelResult(target.row_number, target.external_id, CANCELED)
            elif post_id in blocked:
                detail = f"blocked: the post is {blocked[post_id]}"
                life.finish([action], REFUSED, detail)
                results[post_id] = CancelResult(
                    target.row_number, target.external_id, BLOCKED, detail
                )
            elif post_id in skipped:
                detail = "not found: the API has no such post (deleted elsewhere?)"
                life.finish([action], REFUSED, detail)
                results[post_id] = CancelResult(
                    target.row_number, target.external_id, NOT_FOUND, detail
                )
            else:
                detail = str(errors.get(post_id) or "the API did not say what it did")
                life.finish([action], REFUSED, detail)
                results[post_id] = CancelResult(
                    target.row_number, target.external_id, UNKNOWN, detail
                )
        remaining = []
    return [results[str(t.post_id)] for t in batch if str(t.post_id) in results]
