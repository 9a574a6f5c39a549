"""What the journal keeps of a post's life after its creation.

Two tables beside the journal's ``rows``:

- ``post_states``: each post's status and per-account delivery as the API last showed it
  (and the API's creation time, which ``status`` lists posts by);
- ``actions``: every change made to a post (``update``, ``retry``, ``cancel``), written as
  an intent (``sending``) *before* the request goes out and settled after its answer
  (``done``, ``refused``, ``not_applied``). An action still ``sending`` when a command
  starts was sent and never answered: :mod:`bulk_scheduler.launch.settle` asks the API
  (``GET /posts/{id}``) whether it took effect before anything is sent again.

Each step is one SQLite transaction, as the journal's own, so ``kill -9`` at any instant
leaves either the intent or its outcome, never half of one.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bulk_scheduler.launch.journal import Journal
from bulk_scheduler.outcome import RowOutcome

SCHEMA = """
CREATE TABLE IF NOT EXISTS post_states (
    external_id TEXT PRIMARY KEY,
    post_id TEXT NOT NULL,
    status TEXT,
    accounts TEXT,
    created_at TEXT,
    checked_at TEXT
);
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    external_id TEXT NOT NULL,
    post_id TEXT NOT NULL,
    request TEXT NOT NULL,
    cells TEXT,
    body_hash TEXT,
    state TEXT NOT NULL,
    detail TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS actions_by_state ON actions (state);
"""

SENDING = "sending"
DONE = "done"
REFUSED = "refused"  # the API answered no (not editable, blocked, not found)
NOT_APPLIED = "not_applied"  # sent, no answer, and the API shows it did not take effect


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(slots=True)
class PostState:
    """A post as the API last showed it. ``accounts`` are its per-account states, each a
    dict with ``account_id``, ``handle`` (``@username`` when known), ``status``,
    ``published_at``, ``published_url``, ``error_message`` and ``last_attempted_at``."""

    external_id: str
    post_id: str
    status: str | None
    accounts: list[dict[str, Any]] = field(default_factory=list)
    created_at: str | None = None
    checked_at: str | None = None

    @property
    def failed_accounts(self) -> tuple[str, ...]:
        return tuple(a["account_id"] for a in self.accounts if a.get("status") == "failed")

    def handle(self, account_id: str) -> str:
        for account in self.accounts:
            if account["account_id"] == account_id:
                return account.get("handle") or account_id
        return account_id


@dataclass(frozen=True, slots=True)
class Action:
    """One change to a post, as journalled."""

    id: int
    kind: str  # update | retry | cancel
    external_id: str
    post_id: str
    request: dict[str, Any]
    cells: str | None
    body_hash: str | None
    state: str
    detail: str | None
    started_at: str
    finished_at: str | None


class LifecycleJournal:
    """The lifecycle tables of one campaign's :class:`Journal`."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._db = journal.connection
        self._db.executescript(SCHEMA)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- post states -------------------------------------------------------------------

    def post_states(self) -> dict[str, PostState]:
        cursor = self._db.execute(
            "SELECT external_id, post_id, status, accounts, created_at, checked_at FROM post_states"
        )
        return {
            row[0]: PostState(row[0], row[1], row[2], json.loads(row[3] or "[]"), row[4], row[5])
            for row in cursor
        }

    def save_states(self, states: Iterable[PostState]) -> None:
        """Keep what a refresh saw (and the post status in the row, for the sheet)."""
        with self._transaction():
            for state in states:
                self._save_state(state)

    def _save_state(self, state: PostState) -> None:
        self._db.execute(
            "INSERT INTO post_states (external_id, post_id, status, accounts, created_at, "
            "checked_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(external_id) DO UPDATE SET "
            "post_id = excluded.post_id, status = excluded.status, "
            "accounts = excluded.accounts, "
            "created_at = COALESCE(excluded.created_at, post_states.created_at), "
            "checked_at = COALESCE(excluded.checked_at, post_states.checked_at)",
            (
                state.external_id,
                state.post_id,
                state.status,
                json.dumps(state.accounts, ensure_ascii=False),
                state.created_at,
                state.checked_at,
            ),
        )
        if state.status:
            self._db.execute(
                "UPDATE rows SET post_status = ? WHERE external_id = ? AND post_id = ? "
                "AND result IN ('created', 'already_exists')",
                (state.status, state.external_id, state.post_id),
            )

    # -- actions: intent before, outcome after ---------------------------------------------

    def begin(
        self,
        kind: str,
        targets: Iterable[tuple[str, str]],
        request: dict[str, Any],
        *,
        cells: str | None = None,
        body_hash: str | None = None,
    ) -> list[Action]:
        """Write the intent for ``(external_id, post_id)`` targets, before the request."""
        actions: list[Action] = []
        stamp = _now()
        body = json.dumps(request, sort_keys=True, ensure_ascii=False)
        with self._transaction():
            for external_id, post_id in targets:
                cursor = self._db.execute(
                    "INSERT INTO actions (kind, external_id, post_id, request, cells, body_hash, "
                    "state, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (kind, external_id, post_id, body, cells, body_hash, SENDING, stamp),
                )
                actions.append(
                    Action(
                        int(cursor.lastrowid or 0),
                        kind,
                        external_id,
                        post_id,
                        dict(request),
                        cells,
                        body_hash,
                        SENDING,
                        None,
                        stamp,
                        None,
                    )
                )
        return actions

    def finish(self, actions: Iterable[Action], state: str, detail: str | None = None) -> None:
        """Settle actions that changed nothing (refused, not applied)."""
        with self._transaction():
            for action in actions:
                self._finish(action.id, state, detail)

    def _finish(self, action_id: int, state: str, detail: str | None) -> None:
        self._db.execute(
            "UPDATE actions SET state = ?, detail = ?, finished_at = ? WHERE id = ?",
            (state, detail, _now(), action_id),
        )
        # The row changed: a results sheet written before is out of date.
        self._db.execute(
            "UPDATE rows SET updated_at = ? WHERE external_id = "
            "(SELECT external_id FROM actions WHERE id = ?)",
            (_now(), action_id),
        )

    def updated(
        self,
        action: Action,
        *,
        status: str | None,
        scheduled_at: str | None,
        warnings: list[str],
        media: str | None = None,
    ) -> None:
        """An update took effect: the row's cells and body are now those of the edit (and
        ``media``, when given, its record of the uploaded local files)."""
        with self._transaction():
            self._finish(action.id, DONE, None)
            self._db.execute(
                "UPDATE rows SET cells = COALESCE(?, cells), body_hash = COALESCE(?, body_hash), "
                "media = COALESCE(?, media), post_status = COALESCE(?, post_status), "
                "scheduled_at_utc = CASE WHEN ? THEN ? ELSE scheduled_at_utc END, "
                "warnings = ?, updated_at = ? WHERE external_id = ?",
                (
                    action.cells,
                    action.body_hash,
                    media,
                    status,
                    "scheduled_at" in action.request,
                    scheduled_at,
                    json.dumps(warnings, ensure_ascii=False),
                    _now(),
                    action.external_id,
                ),
            )
            if status:
                self._db.execute(
                    "UPDATE post_states SET status = ? WHERE external_id = ?",
                    (status, action.external_id),
                )

    def retried(self, action: Action, account_ids: Iterable[str]) -> None:
        """A retry was accepted: the post and its retried accounts are now ``retry``."""
        wanted = set(account_ids)
        with self._transaction():
            self._finish(action.id, DONE, None)
            states = self.post_states().get(action.external_id)
            if states is not None:
                states.status = "retry"
                for account in states.accounts:
                    if account["account_id"] in wanted and account.get("status") == "failed":
                        account["status"] = "retry"
                        account["error_message"] = None
                self._save_state(states)

    def canceled(self, action: Action) -> None:
        """The post was deleted: the row is ``canceled`` (never re-created by itself)."""
        with self._transaction():
            self._finish(action.id, DONE, None)
            self._db.execute(
                "UPDATE rows SET result = 'canceled', state = 'canceled', "
                "post_status = 'canceled', error_code = NULL, error_message = NULL, "
                "updated_at = ? WHERE external_id = ?",
                (_now(), action.external_id),
            )
            self._db.execute(
                "UPDATE post_states SET status = 'canceled' WHERE external_id = ?",
                (action.external_id,),
            )

    def actions(self, *, state: str | None = None) -> list[Action]:
        query = (
            "SELECT id, kind, external_id, post_id, request, cells, body_hash, state, detail, "
            "started_at, finished_at FROM actions"
        )
        params: tuple[Any, ...] = ()
        if state is not None:
            query += " WHERE state = ?"
            params = (state,)
        return [
            Action(r[0], r[1], r[2], r[3], json.loads(r[4]), *r[5:])
            for r in self._db.execute(query + " ORDER BY id", params)
        ]

    def pending(self) -> list[Action]:
        """Actions sent and never answered (a crash, a kill, a lost connection)."""
        return self.actions(state=SENDING)

    def last_actions(self) -> dict[str, Action]:
        """The last settled action of each post, by external_id."""
        last: dict[str, Action] = {}
        for action in self.actions():
            if action.state in (DONE, REFUSED):
                last[action.external_id] = action
        return last

    # -- the view: what the results sheet shows of each post's life ------------------------

    def decorate(self, outcomes: Iterable[RowOutcome]) -> None:
        """Fill each done row's lifecycle fields (``account_states``, ``published_urls``,
        ``status_checked_at``, ``last_action``) from the journal. A cancelled post is gone:
        its row shows only its last action."""
        states = self.post_states()
        last = self.last_actions()
        for outcome in outcomes:
            state = states.get(outcome.external_id)
            if state is not None and outcome.is_done and state.post_id == outcome.post_id:
                if state.status:
                    outcome.post_status = state.status
                outcome.account_states = describe_accounts(state.accounts) or None
                urls = [a["published_url"] for a in state.accounts if a.get("published_url")]
                outcome.published_urls = "\n".join(urls) or None
                if state.checked_at:
                    outcome.status_checked_at = datetime.fromisoformat(state.checked_at)
            action = last.get(outcome.external_id)
            if action is not None and action.post_id == outcome.post_id:
                outcome.last_action = describe_action(action)


def read_post_states(path: Path) -> dict[str, PostState]:
    """The post states of the journal at ``path`` by external_id, read as
    :func:`~bulk_scheduler.launch.journal.read_entries` reads its rows: without its lock and
    without writing to it (a run in progress may hold the lock). ``{}`` when there is no
    journal there or it has no ``post_states`` table (a journal from before ``status``); a
    state whose accounts cannot be read has none. Raises ``sqlite3.Error`` for a file that
    is not a journal."""
    if not path.is_file():
        return {}
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        db.execute("PRAGMA busy_timeout=5000")
        if not db.execute("PRAGMA table_info(post_states)").fetchall():
            return {}
        rows = db.execute(
            "SELECT external_id, post_id, status, accounts, created_at, checked_at FROM post_states"
        ).fetchall()
    return {
        external_id: PostState(external_id, post_id, status, _accounts_of(accounts), *times)
        for external_id, post_id, status, accounts, *times in rows
    }


def _accounts_of(text: str | None) -> list[dict[str, Any]]:
    """The per-account states kept as JSON: the dicts among them (none when unreadable)."""
    try:
        accounts = json.loads(text or "[]")
    except ValueError:
        return []
    if not isinstance(accounts, list):
        return []
    return [account for account in accounts if isinstance(account, dict)]


def describe_accounts(accounts: Iterable[dict[str, Any]]) -> str:
    """``"@brand_tiktok posted; @brandhq failed: <message>"``."""
    parts = []
    for account in accounts:
        text = f"{account.get('handle') or account['account_id']} {account.get('status') or '?'}"
        if account.get("error_message"):
            text += f": {account['error_message']}"
        parts.append(text)
    return "; ".join(parts)


def describe_action(action: Action) -> str:
    """One line for the results sheet's ``last_action`` column."""
    when = (action.finished_at or action.started_at)[:19].replace("T", " ") + " UTC"
    if action.kind == "update":
        fields = ", ".join(sorted(action.request))
        if action.state == DONE:
            return f"updated {fields} ({when})"
        return f"not updated ({fields}): {action.detail} ({when})"
    if action.kind == "retry":
        accounts = ", ".join(action.request.get("handles") or action.request.get("account_ids", []))
        if action.state == DONE:
            return f"retried {accounts} ({when})"
        return f"not retried: {action.detail} ({when})"
    if action.state == DONE:
        return f"canceled ({when})"
    return f"not canceled: {action.detail} ({when})"
