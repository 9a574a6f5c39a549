"""The difference between the sheet and the API, beyond creating posts: updates and retries.

A row whose post exists and whose cells changed since they were sent is an *update*: a
``PATCH /posts/{id}`` of only the fields its changed cells make (caption; media from
media_type or media_urls; accounts; scheduled_at from scheduled_at or timezone; music_url),
never ``external_id``. A post the journal last saw failed or partial is a *retry*
(``POST /posts/retry``) of only its failed accounts, at most 20 posts a request.

Both are journalled (:mod:`bulk_scheduler.launch.lifecycle_journal`): the intent before
the request, the outcome after. An answer that never came (a dropped connection, a 5xx, a
timeout) is checked with ``GET /posts/{id}`` before anything is sent again.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bulk_scheduler.api.client import PartnerClient
from bulk_scheduler.api.contract import (
    EDITABLE_STATUSES,
    MAX_RETRY_POST_IDS,
    RETRYABLE_STATUSES,
    Post,
)
from bulk_scheduler.checks.planner import PlannedRow
from bulk_scheduler.errors import ApiError, FatalApiError
from bulk_scheduler.launch.journal import JournalEntry, body_hash
from bulk_scheduler.launch.lifecycle_journal import (
    NOT_APPLIED,
    REFUSED,
    Action,
    LifecycleJournal,
    PostState,
)
from bulk_scheduler.launch.record import cells_json, cells_sent, changed_cells

# Which field of the API each of the sheet's columns feeds.
FIELD_OF_COLUMN: dict[str, str] = {
    "caption": "caption",
    "media_type": "media",
    "media_urls": "media",
    "accounts": "accounts",
    "scheduled_at": "scheduled_at",
    "timezone": "scheduled_at",
    "music_url": "music_url",
}
# The order fields are named in.
FIELD_ORDER = ("caption", "media", "accounts", "scheduled_at", "music_url")


@dataclass(slots=True)
class Update:
    """One post to edit: ``fields`` is the exact ``PATCH`` body (None clears a field)."""

    row_number: int
    external_id: str
    post_id: str
    fields: dict[str, Any]
    cells: str  # the row's cells after the edit (JSON), what the journal keeps once done
    body_hash: str
    known_status: str | None = None  # the post's status as last seen
    problem: str | None = None  # why it cannot be sent (the edited row has errors)
    # When the new media holds uploaded local files: the journal's record of them (JSON,
    # as ``JournalEntry.media``), which the row keeps once the update takes effect.
    media: str | None = None

    @property
    def changed(self) -> list[str]:
        return [name for name in FIELD_ORDER if name in self.fields]

    @property
    def blocked(self) -> bool:
        """The post is past editing (posted, partial, canceled) as last seen."""
        return self.known_status is not None and self.known_status not in EDITABLE_STATUSES


@dataclass(frozen=True, slots=True)
class Retry:
    """One failed or partial post to re-queue, on its failed accounts only."""

    row_number: int
    external_id: str
    post_id: str
    account_ids: tuple[str, ...]
    handles: tuple[str, ...]


@dataclass(slots=True)
class ChangeResult:
    """What came of one update or retry: ``ok``, or ``detail`` says why not."""

    kind: str  # update | retry
    row_number: int
    external_id: str
    ok: bool
    detail: str | None = None
    unknown: bool = False  # no answer: the next run checks with GET before sending again

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "row": self.row_number,
            "external_id": self.external_id,
            "ok": self.ok,
            "detail": self.detail,
            "unknown": self.unknown,
        }


def update_for(
    planned: PlannedRow,
    entry: JournalEntry,
    columns: Iterable[str],
    state: PostState | None,
) -> Update | None:
    """The update a done row needs, or None when its cells are those sent (or changed
    only in cells the API has no field for)."""
    if entry.cells is None or entry.outcome is None or entry.outcome.post_id is None:
        return None
    differing = changed_cells(planned.row, entry.cells)
    names = {FIELD_OF_COLUMN[c] for c in differing if c in FIELD_OF_COLUMN}
    if not names:
        return None
    errors = [issue for issue in planned.issues if issue.is_error]
    payload = planned.payload if planned.has_body and not errors else None
    problem = None
    fields: dict[str, Any] = {}
    if payload is None:
        problem = "; ".join(f"{i.column or 'row'}: {i.message}" for i in errors) or (
            "the edited row cannot be sent"
        )
    else:
        fields = {name: payload.get(name) for name in FIELD_ORDER if name in names}
    cells = cells_json(cells_sent(planned.row, list(columns)))
    return Update(
        row_number=planned.row.row_number,
        external_id=entry.external_id,
        post_id=entry.outcome.post_id,
        fields=fields or {name: None for name in FIELD_ORDER if name in names},
        cells=cells,
        body_hash=body_hash(payload) if payload is not None else entry.body_hash,
        known_status=state.status if state is not None else None,
        problem=problem,
    )


def changed_files(planned: PlannedRow, entry: JournalEntry) -> list[str]:
    """The local media files of a done row (as its cell writes them) whose content changed
    since its post was sent with them."""
    if not entry.media or not planned.local_media:
        return []
    sent = {item.get("path"): item.get("sha256") for item in entry.media.get("files", [])}
    return [
        f.written for f in planned.local_media if f.written in sent and sent[f.written] != f.digest
    ]


def with_changed_files(
    update: Update | None,
    planned: PlannedRow,
    entry: JournalEntry,
    columns: Iterable[str],
    state: PostState | None,
) -> Update | None:
    """``update`` (None: the row's cells are those sent) with the post's media sent again
    when a local file it came from has new content: the run uploads it, then updates the
    post with its new URL."""
    if not changed_files(planned, entry) or (update is not None and "media" in update.fields):
        return update
    if update is None:
        if entry.cells is None or entry.outcome is None or entry.outcome.post_id is None:
            return None
        if not planned.has_body or planned.has_errors or planned.payload is None:
            return None
        return Update(
            row_number=planned.row.row_number,
            external_id=entry.external_id,
            post_id=entry.outcome.post_id,
            fields={"media": planned.payload["media"]},
            cells=cells_json(cells_sent(planned.row, list(columns))),
            body_hash=body_hash(planned.payload),
            known_status=state.status if state is not None else None,
        )
    if update.problem is not None or planned.payload is None:
        return update
    return replace(update, fields={**update.fields, "media": planned.payload["media"]})


def retry_for(row_number: int, state: PostState | None) -> Retry | None:
    """The retry a post needs: it failed or partly failed at publish time."""
    if state is None or state.status not in RETRYABLE_STATUSES:
        return None
    failed = state.failed_accounts
    if not failed:
        return None
    return Retry(
        row_number,
        state.external_id,
        state.post_id,
        failed,
        tuple(state.handle(a) for a in failed),
    )


def describe_updates(updates: Sequence[Update]) -> str:
    """``"caption on rows 5, 9; scheduled_at on row 12"``."""
    rows: dict[str, list[int]] = {}
    for update in updates:
        for name in update.changed:
            rows.setdefault(name, []).append(update.row_number)
    parts = []
    for name in FIELD_ORDER:
        if name in rows:
            numbers = sorted(rows[name])
            shown = ", ".join(str(n) for n in numbers[:8])
            more = f" and {len(numbers) - 8} more" if len(numbers) > 8 else ""
            noun = "row" if len(numbers) == 1 else "rows"
            parts.append(f"{name} on {noun} {shown}{more}")
    return "; ".join(parts)


# -- checking an unanswered request with GET ---------------------------------------------


def _same_time(a: str | None, b: str | None) -> bool:
    def parse(text: str | None) -> datetime | None:
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment.astimezone(UTC).replace(microsecond=0)

    return parse(a) == parse(b)


def update_applied(post: Post, fields: Mapping[str, Any]) -> bool:
    """True when the post already shows every field of a ``PATCH`` body."""
    for name, value in fields.items():
        if name == "caption" and post.caption != value:
            return False
        if name == "scheduled_at" and not _same_time(post.scheduled_at, value):
            return False
        if name == "music_url" and (post.music_url or None) != value:
            return False
        if name == "accounts":
            shown = {s.account_id for s in (post.accounts.states if post.accounts else [])}
            if shown != {a["id"] for a in value or []}:
                return False
        if name == "media":
            media = post.media or {}
            wanted = value or {}
            if (media.get("url"), media.get("urls")) != (wanted.get("url"), wanted.get("urls")):
                return False
    return True


def retry_applied(post: Post, account_ids: Iterable[str]) -> bool:
    """True when a retry of these accounts was taken (they are no longer failed)."""
    if post.status not in RETRYABLE_STATUSES:
        return True
    failed = {
        s.account_id
        for s in (post.accounts.states if post.accounts else [])
        if s.status == "failed"
    }
    return not (failed & set(account_ids))


def _ambiguous(exc: ApiError) -> bool:
    """No answer, a rate limit or a server error: the request may or may not have acted."""
    return exc.status is None or exc.status == 429 or exc.status >= 500


async def _get(client: PartnerClient, post_id: str) -> Post | None:
    """The post, or None when the API no longer has it."""
    try:
        return await client.get_post(post_id)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


# -- applying ----------------------------------------------------------------------------


@dataclass(slots=True)
class ApplyOptions:
    concurrency: int = 4
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0


async def _pause(attempt: int, options: ApplyOptions) -> None:
    delay = min(options.backoff_cap, options.backoff_base * 2 ** (attempt - 1))
    await asyncio.sleep(delay * (0.5 + random.random()))


async def _refusal_detail(client: PartnerClient, post_id: str, exc: ApiError) -> str:
    """Why the API refused, naming the post's status when it can be read."""
    message = str(exc).split(": ", 1)[-1]
    try:
        post = await _get(client, post_id)
    except ApiError:
        return message
    if post is None:
        return f"the post no longer exists ({message})"
    return f"the post is {post.status}: {message}"


async def apply_update(
    update: Update,
    client: PartnerClient,
    life: LifecycleJournal,
    options: ApplyOptions,
) -> ChangeResult:
    """Send one update (journalled), or record why it cannot be sent."""
    result = ChangeResult("update", update.row_number, update.external_id, ok=False)
    target = [(update.external_id, update.post_id)]
    if update.problem is not None or update.blocked:
        detail = (
            f"the edited row has errors: {update.problem}"
            if update.problem is not None
            else f"the post is {update.known_status} and can no longer be edited"
        )
        life.finish(life.begin("update", target, update.fields), REFUSED, detail)
        result.detail = detail
        return result
    (action,) = life.begin(
        "update", target, update.fields, cells=update.cells, body_hash=update.body_hash
    )
    attempt = 0
    while True:
        attempt += 1
        try:
            answer = await client.update_post(update.post_id, update.fields)
        except FatalApiError:
            raise
        except ApiError as exc:
            if exc.status == 404:
                life.finish([action], REFUSED, "the post no longer exists (404)")
                result.detail = "the post no longer exists"
                return result
            if not _ambiguous(exc):
                detail = await _refusal_detail(client, update.post_id, exc)
                life.finish([action], REFUSED, detail)
                result.detail = detail
                return result
            # No answer: did it take effect? Ask before sending it again (a 429 is the API
            # saying it did nothing: only the wait is needed).
            try:
                post = None if exc.status == 429 else await _get(client, update.post_id)
            except FatalApiError:
                raise
            except ApiError:
                pass  # not readable now: sent again below, or left for the next command
            else:
                if post is not None and update_applied(post, update.fields):
                    life.updated(
                        action,
                        status=post.status,
                        scheduled_at=post.scheduled_at,
                        warnings=[],
                        media=update.media,
                    )
                    result.ok = True
                    return result
            if attempt >= options.max_attempts:
                # Left "sending": the next command checks it with GET first.
                result.unknown = True
                result.detail = f"no answer after {attempt} attempt(s): {exc}"
                return result
            await _pause(attempt, options)
            continue
        warnings = [f"{w.code or 'WARNING'}: {w.message}".strip() for w in answer.warnings]
        life.updated(
            action,
            status=answer.status,
            scheduled_at=answer.scheduled_at,
            warnings=warnings,
            media=update.media,
        )
        result.ok = True
        return result


async def apply_updates(
    updates: Sequence[Update],
    client: PartnerClient,
    life: LifecycleJournal,
    options: ApplyOptions,
    stop: asyncio.Event | None = None,
) -> list[ChangeResult]:
    """Send every update, ``options.concurrency`` at a time."""
    slots = asyncio.Semaphore(options.concurrency)

    async def one(update: Update) -> ChangeResult | None:
        async with slots:
            if stop is not None and stop.is_set():
                return None
            return await apply_update(update, client, life, options)

    results = await asyncio.gather(*(one(u) for u in updates))
    return [r for r in results if r is not None]


async def apply_retries(
    retries: Sequence[Retry],
    client: PartnerClient,
    life: LifecycleJournal,
    options: ApplyOptions,
    stop: asyncio.Event | None = None,
) -> list[ChangeResult]:
    """Re-queue failed accounts: posts with the same failed accounts go together, at most
    20 a request, with exactly those ``account_ids``."""
    groups: dict[tuple[str, ...], list[Retry]] = {}
    for retry in retries:
        groups.setdefault(tuple(sorted(retry.account_ids)), []).append(retry)
    results: list[ChangeResult] = []
    for accounts, members in groups.items():
        for start in range(0, len(members), MAX_RETRY_POST_IDS):
            if stop is not None and stop.is_set():
                return results
            batch = members[start : start + MAX_RETRY_POST_IDS]
            results += await _retry_batch(batch, list(accounts), client, life, options)
    return results


async def _retry_batch(
    batch: list[Retry],
    account_ids: list[str],
    client: PartnerClient,
    life: LifecycleJournal,
    options: ApplyOptions,
) -> list[ChangeResult]:
    handles = sorted({h for r in batch for h in r.handles})
    request = {"account_ids": account_ids, "handles": handles}
    begun = life.begin("retry", [(r.external_id, r.post_id) for r in batch], request)
    actions = {a.post_id: a for a in begun}
    by_post = {r.post_id: r for r in batch}
    results: dict[str, ChangeResult] = {
        r.post_id: ChangeResult("retry", r.row_number, r.external_id, ok=False) for r in batch
    }
    remaining = list(by_post)
    attempt = 0
    while remaining:
        attempt += 1
        try:
            answer = await client.retry_posts(remaining, account_ids)
        except FatalApiError:
            raise
        except ApiError as exc:
            if not _ambiguous(exc):
                for post_id in remaining:
                    life.finish([actions[post_id]], REFUSED, str(exc))
                    results[post_id].detail = str(exc)
                break
            still: list[str] = []
            for post_id in remaining:
                try:
                    post = await _get(client, post_id)
                except ApiError:
                    still.append(post_id)
                    continue
                if post is None:
                    life.finish([actions[post_id]], REFUSED, "the post no longer exists")
                    results[post_id].detail = "the post no longer exists"
                elif retry_applied(post, account_ids):
                    life.retried(actions[post_id], account_ids)
                    results[post_id].ok = True
                else:
                    still.append(post_id)
            remaining = still
            if remaining and attempt >= options.max_attempts:
                for post_id in remaining:
                    results[post_id].unknown = True
                    results[post_id].detail = f"no answer after {attempt} attempt(s): {exc}"
                break
            if remaining:
                await _pause(attempt, options)
            continue
        retried = set(answer.get("ids") or [])
        errors = answer.get("errors") or {}
        for post_id in remaining:
            if post_id in retried:
                life.retried(actions[post_id], account_ids)
                results[post_id].ok = True
            else:
                reason = str(errors.get(post_id) or "the API did not retry it")
                life.finish([actions[post_id]], REFUSED, reason)
                results[post_id].detail = reason
        remaining = []
    return list(results.values())


async def settle_pending(
    life: LifecycleJournal, client: PartnerClient
) -> tuple[list[Action], list[Action]]:
    """Settle the actions a killed or cut-off command left unanswered, by asking the API.

    An update or retry that took effect is recorded as done; one that did not is
    ``not_applied`` (the next plan sends it again). A cancel whose post is gone is done;
    one whose post is still deletable is returned, for the caller to send again (the user
    confirmed it). Returns (settled, cancels to send again)."""
    settled: list[Action] = []
    resend: list[Action] = []
    for action in life.pending():
        post = await _get(client, action.post_id)
        settled.append(action)
        if action.kind == "cancel":
            if post is None:
                life.canceled(action)
            elif post.status in EDITABLE_STATUSES:
                life.finish([action], NOT_APPLIED, "no answer; sent again")
                resend.append(action)
            else:
                life.finish([action], REFUSED, f"blocked: the post is {post.status}")
            continue
        if post is None:
            life.finish([action], REFUSED, "the post no longer exists")
        elif action.kind == "update" and update_applied(post, action.request):
            life.updated(action, status=post.status, scheduled_at=post.scheduled_at, warnings=[])
        elif action.kind == "retry" and retry_applied(post, action.request["account_ids"]):
            life.retried(action, action.request["account_ids"])
        else:
            life.finish([action], NOT_APPLIED, "no answer, and the API shows no change")
    return settled, resend


__all__ = [
    "ApplyOptions",
    "ChangeResult",
    "Retry",
    "Update",
    "apply_retries",
    "apply_updates",
    "describe_updates",
    "retry_for",
    "settle_pending",
    "update_for",
]
