"""The journal: the one place that owns what happened to each row.

It records, for each row's ``external_id``, the hash of the body and the intent
*before* a request is sent, and the outcome after the answer. It is an SQLite
database in WAL mode, committed at each step, so it survives ``kill -9`` at any
instant; the results sheet and the summary are views of it. A run that finds a
row ``sending`` in the journal knows the row was sent and never answered, and
resends the same body with the same ``external_id``: the API's replay settles it.

By default a campaign ``dir/plan.xlsx`` (or its results sheet
``dir/plan.results.xlsx``) journals to ``dir/.bulk_scheduler/plan.journal.sqlite``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO

from bulk_scheduler.errors import JournalBusyError
from bulk_scheduler.outcome import RowOutcome, RowResult

try:  # POSIX advisory locks die with the process that holds them: never stale.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

SENDING = "sending"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS rows (
    external_id TEXT PRIMARY KEY,
    row_number INTEGER NOT NULL,
    body_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    result TEXT,
    post_id TEXT,
    post_status TEXT,
    scheduled_at_utc TEXT,
    warnings TEXT,
    error_code TEXT,
    error_message TEXT,
    http_status INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    submitted_at TEXT,
    updated_at TEXT NOT NULL,
    cells TEXT
);
CREATE TABLE IF NOT EXISTS media (url TEXT PRIMARY KEY, facts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS uploads (
    digest TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    size INTEGER,
    name TEXT,
    uploaded_at TEXT NOT NULL
);
"""


OPTIONS_KEY = "plan_options"


def remembered_options(path: Path | None) -> dict[str, Any]:
    """The planning options kept in the journal at ``path`` (``{}`` when there are none),
    read without creating the journal or waiting for its lock."""
    if path is None or not path.is_file():
        return {}
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        ) as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (OPTIONS_KEY,)).fetchone()
    except sqlite3.Error:
        return {}
    try:
        saved = json.loads(row[0]) if row else {}
    except ValueError:
        return {}
    return saved if isinstance(saved, dict) else {}


def body_json(body: dict[str, Any]) -> bytes:
    """The bytes sent for a body: canonical JSON (sorted keys, no spaces), so a row sends
    the same bytes on every attempt and in every run."""
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def body_hash(body: dict[str, Any]) -> str:
    """A stable hash of the exact JSON body."""
    return hashlib.sha256(body_json(body)).hexdigest()


def default_journal_path(campaign_path: Path) -> Path:
    """``dir/plan.xlsx`` and ``dir/plan.results.xlsx`` share ``dir/.bulk_scheduler/plan...``."""
    stem = campaign_path.stem
    if stem.endswith(".results"):
        stem = stem[: -len(".results")]
    return campaign_path.parent / ".bulk_scheduler" / f"{stem}.journal.sqlite"


@dataclass(frozen=True)
class SubmitJob:
    """One row to send: its sheet row, idempotency key and the exact JSON body."""

    row_number: int
    external_id: str
    body: dict
    # The row's cells as sent ({column: text}, JSON): what the results sheet shows for
    # the post whatever version of the sheet is run later, and what "changed" is judged by.
    cells: str | None = None
    # The journal knew this row before this run (sent, and not confirmed): a replay may
    # then be of a post an earlier run created.
    sent_before: bool = False
    # The local files the body's media came from (JSON: see JournalEntry.media).
    media: str | None = None

    @cached_property
    def content(self) -> bytes:
        """The request's bytes, encoded once for every attempt."""
        return body_json(self.body)

    @cached_property
    def body_hash(self) -> str:
        """Hashed once: the journal records it before the request and after the answer."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """What the journal knows of one external_id."""

    external_id: str
    row_number: int
    body_hash: str
    state: str
    outcome: RowOutcome | None
    cells: dict[str, str] | None = None  # the row's cells as sent, when recorded
    # The local files its media came from, when it had any: {"files": [{"path", "sha256",
    # "url"}], "sent": [the media URLs sent]}.
    media: dict[str, Any] | None = None

    @property
    def done(self) -> bool:
        return self.outcome is not None and self.outcome.is_done


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


class Journal:
    """The journal of one campaign. ``Journal()`` with no path lives in memory only
    (for a sandbox in this process, whose posts end with it)."""

    def __init__(self, path: Path | None = None, *, scope: str = "") -> None:
        self.path = path
        self.scope = scope
        self._lock: TextIO | None = None
        self._by_row: dict[int, RowOutcome] = {}
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._take_lock(path)
        target = str(path) if path is not None else ":memory:"
        self._db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a killed process; only a power cut can lose the tail.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(rows)")}
        if "cells" not in columns:  # a journal written before the cells were kept
            self._db.execute("ALTER TABLE rows ADD COLUMN cells TEXT")
        if "media" not in columns:  # before local files: the media URLs sent, with hashes
            self._db.execute("ALTER TABLE rows ADD COLUMN media TEXT")

    # -- the lock: one run at a time ------------------------------------------------

    def _take_lock(self, path: Path) -> None:
        if fcntl is None:  # pragma: no cover
            return
        handle = open(path.with_name(path.name + ".lock"), "a+", encoding="utf-8")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise JournalBusyError(
                f"another run of this campaign is in progress ({holder}); "
                "wait for it to finish, or stop it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._lock = handle

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The database (autocommit), for the tables other modules keep in the journal
        (``launch.lifecycle_journal``)."""
        return self._db

    # -- meta ------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def remember_options(self, options: dict[str, Any]) -> None:
        """Keep the planning options a run used, for later runs that give none."""
        self.set_meta(OPTIONS_KEY, json.dumps(options, sort_keys=True))

    def mark_results_written(self) -> None:
        self.set_meta("results_written_at", datetime.now(UTC).isoformat())

    def results_stale(self) -> bool:
        """True when outcomes were recorded after the last results sheet was written."""
        latest = self._db.execute("SELECT MAX(updated_at) FROM rows").fetchone()[0]
        written = self.get_meta("results_written_at")
        return latest is not None and (written is None or latest > written)

    # -- media facts: a resumed run sends exactly the bodies the first run sent -------

    def media_facts(self) -> dict[str, dict[str, Any]]:
        return {
            url: json.loads(facts)
            for url, facts in self._db.execute("SELECT url, facts FROM media")
        }

    def save_media_facts(self, facts: dict[str, dict[str, Any]]) -> None:
        self._db.execute("BEGIN")
        try:
            self._db.executemany(
                "INSERT INTO media (url, facts) VALUES (?, ?) "
                "ON CONFLICT(url) DO UPDATE SET facts = excluded.facts",
                [(url, json.dumps(data)) for url, data in facts.items()],
            )
        finally:
            self._db.execute("COMMIT")

    # -- uploads: each local file's content is uploaded once ---------------------------

    def uploads(self) -> dict[str, str]:
        """Content hash (SHA-256) -> the CDN URL its upload got."""
        return dict(self._db.execute("SELECT digest, url FROM uploads"))

    def save_upload(self, digest: str, url: str, size: int | None, name: str) -> None:
        """Keep an upload as soon as it is done (committed: it survives ``kill -9``)."""
        self._db.execute(
            "INSERT INTO uploads (digest, url, size, name, uploaded_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(digest) DO UPDATE SET url = excluded.url, "
            "uploaded_at = excluded.uploaded_at",
            (digest, url, size, name, datetime.now(UTC).isoformat()),
        )

    # -- rows ------------------------------------------------------------------------

    def record_sending(self, job: SubmitJob, attempt: int) -> datetime:
        """Write the intent before the request goes out; returns the time it was sent."""
        now = datetime.now(UTC)
        stamp = now.isoformat()
        self._db.execute(
            "INSERT INTO rows (external_id, row_number, body_hash, state, attempts, "
            "submitted_at, updated_at, cells, media) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(external_id) DO UPDATE SET row_number = excluded.row_number, "
            "body_hash = excluded.body_hash, state = excluded.state, "
            "attempts = rows.attempts + 1, submitted_at = excluded.submitted_at, "
            "updated_at = excluded.updated_at, cells = COALESCE(excluded.cells, rows.cells), "
            "media = COALESCE(excluded.media, rows.media)",
            (
                job.external_id,
                job.row_number,
                job.body_hash,
                SENDING,
                1,
                stamp,
                stamp,
                job.cells,
                job.media,
            ),
        )
        return now

    def record_outcome(self, outcome: RowOutcome, body_digest: str | None = None) -> None:
        """Write a row's outcome (after the answer, or for rows never sent)."""
        self._by_row[outcome.row_number] = outcome
        state = outcome.result.value
        self._db.execute(
            "INSERT INTO rows (external_id, row_number, body_hash, state, result, post_id, "
            "post_status, scheduled_at_utc, warnings, error_code, error_message, http_status, "
            "attempts, submitted_at, updated_at) "
            "VALUES (?, ?, COALESCE(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(external_id) DO UPDATE SET row_number = excluded.row_number, "
            "body_hash = COALESCE(?, rows.body_hash), state = excluded.state, "
            "result = excluded.result, post_id = excluded.post_id, "
            "post_status = excluded.post_status, scheduled_at_utc = excluded.scheduled_at_utc, "
            "warnings = excluded.warnings, error_code = excluded.error_code, "
            "error_message = excluded.error_message, http_status = excluded.http_status, "
            "attempts = MAX(rows.attempts, excluded.attempts), "
            "submitted_at = COALESCE(excluded.submitted_at, rows.submitted_at), "
            "updated_at = excluded.updated_at",
            (
                outcome.external_id,
                outcome.row_number,
                body_digest,
                state,
                state,
                outcome.post_id,
                outcome.post_status,
                outcome.scheduled_at_utc,
                json.dumps(outcome.warnings, ensure_ascii=False),
                outcome.error_code,
                outcome.error_message,
                outcome.http_status,
                outcome.attempts,
                _iso(outcome.submitted_at),
                datetime.now(UTC).isoformat(),
                body_digest,
            ),
        )

    def remember(self, outcome: RowOutcome) -> None:
        """Count an outcome from an earlier run in this run's view, without writing it."""
        self._by_row[outcome.row_number] = outcome

    def record_many(self, outcomes: Iterable[RowOutcome]) -> None:
        self._db.execute("BEGIN")
        try:
            for outcome in outcomes:
                self.record_outcome(outcome)
        finally:
            self._db.execute("COMMIT")

    def outcome(self, row_number: int) -> RowOutcome | None:
        """The outcome recorded in this run for a sheet row."""
        return self._by_row.get(row_number)

    @property
    def outcomes(self) -> dict[int, RowOutcome]:
        return dict(self._by_row)

    def entries(self) -> Iterator[JournalEntry]:
        for row in self._db.execute(ENTRIES_QUERY):
            yield _entry(row)


ENTRIES_QUERY = (
    "SELECT external_id, row_number, body_hash, state, result, post_id, post_status, "
    "scheduled_at_utc, warnings, error_code, error_message, http_status, attempts, "
    "submitted_at, cells, media FROM rows ORDER BY row_number"
)


def read_entries(path: Path) -> list[JournalEntry]:
    """The entries of the journal at ``path``, read without its lock and without writing
    to it (a run in progress may hold the lock: a reader sees its last commit); ``[]``
    when there is no journal there. Raises ``sqlite3.Error`` for a file that is not one."""
    if not path.is_file():
        return []
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        db.execute("PRAGMA busy_timeout=5000")
        columns = {row[1] for row in db.execute("PRAGMA table_info(rows)")}
        if not columns:
            return []
        query = ENTRIES_QUERY  # a journal from before a column reads it as blank
        for column in ("cells", "media"):
            if column not in columns:
                query = query.replace(f", {column}", ", NULL")
        return [_entry(row) for row in db.execute(query)]


def _entry(row: tuple[Any, ...]) -> JournalEntry:
    (external_id, row_number, digest, state, result, post_id, post_status, scheduled,
     warnings, error_code, error_message, http_status, attempts, submitted_at, cells,
     media) = row  # fmt: skip
    outcome = None
    files = json.loads(media) if media else None
    if result is not None:
        outcome = RowOutcome(
            row_number=row_number,
            external_id=external_id,
            result=RowResult(result),
            post_id=post_id,
            post_status=post_status,
            scheduled_at_utc=scheduled,
            warnings=json.loads(warnings) if warnings else [],
            error_code=error_code,
            error_message=error_message,
            http_status=http_status,
            attempts=attempts or 0,
            submitted_at=datetime.fromisoformat(submitted_at) if submitted_at else None,
        )
    elif state == SENDING:
        outcome = RowOutcome(
            row_number=row_number,
            external_id=external_id,
            result=RowResult.UNKNOWN,
            error_code="no_answer",
            error_message="sent, but the run stopped before the answer: run again to confirm",
            attempts=attempts or 0,
            submitted_at=datetime.fromisoformat(submitted_at) if submitted_at else None,
        )
    if outcome is not None and files:
        outcome.media_urls_sent = list(files.get("sent", []))
    return JournalEntry(
        external_id,
        row_number,
        digest,
        state,
        outcome,
        json.loads(cells) if cells else None,
        files,
    )
