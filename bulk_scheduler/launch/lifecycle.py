"""A campaign's life after ``run``: :func:`refresh_status` and :func:`cancel_posts`.

Both read the campaign as ``run`` does (so each row gets the external_id its post was
created with), open its journal, settle what an earlier command left unanswered, ask the
API, and write the results sheet: the post's status, each account's delivery, the
published URLs and when they were checked, or ``canceled``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulk_scheduler import event_loop
from bulk_scheduler.api.client import ApiKey, PartnerClient, resolve_base_url
from bulk_scheduler.checks.planner import PlanOptions
from bulk_scheduler.errors import ConfigurationError, FatalApiError
from bulk_scheduler.launch.cancel import (
    ALREADY,
    NO_POST,
    CancelResult,
    CancelTarget,
    delete_posts,
    parse_rows,
)
from bulk_scheduler.launch.choices import PlanningChoices
from bulk_scheduler.launch.dry_run import ValidationReport, load_for, validate_rows
from bulk_scheduler.launch.journal import Journal, default_journal_path
from bulk_scheduler.launch.lifecycle_journal import LifecycleJournal, PostState
from bulk_scheduler.launch.orchestrator import (
    RunReport,
    open_journal,
    outcomes_from_journal,
    write_run_results,
)
from bulk_scheduler.launch.status import RefreshStats, is_final, summarize, sync_posts
from bulk_scheduler.launch.workspace import fetch_accounts
from bulk_scheduler.outcome import RowOutcome, RowResult
from bulk_scheduler.sheet.file_guard import MAX_FILE_BYTES
from bulk_scheduler.sheet.read_options import ReadOptions
from bulk_scheduler.sheet.results import check_writable, default_results_path


@dataclass(slots=True)
class RowStatus:
    """One row's post as the API last showed it."""

    row_number: int
    external_id: str
    post_id: str
    status: str | None
    accounts: list[dict[str, Any]]
    checked_at: str | None

    @property
    def published_urls(self) -> list[str]:
        return [a["published_url"] for a in self.accounts if a.get("published_url")]

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row_number,
            "external_id": self.external_id,
            "post_id": self.post_id,
            "status": self.status,
            "accounts": [
                {k: v for k, v in a.items() if v is not None or k == "status"}
                for a in self.accounts
            ],
            "published_urls": self.published_urls,
            "checked_at": self.checked_at,
        }


@dataclass(slots=True)
class StatusReport:
    """What :func:`refresh_status` found: every row with a post, in sheet order."""

    rows: list[RowStatus]
    refresh: RefreshStats
    results_path: Path | None = None
    results_problem: str | None = None
    rows_without_post: int = 0
    canceled: int = 0
    run: RunReport | None = field(default=None, repr=False)

    @property
    def by_status(self) -> Counter[str]:
        return summarize(self._states())[0]

    @property
    def by_account(self) -> dict[str, Counter[str]]:
        return summarize(self._states())[1]

    def _states(self) -> list[PostState]:
        return [
            PostState(r.external_id, r.post_id, r.status, r.accounts, None, r.checked_at)
            for r in self.rows
        ]

    @property
    def all_final(self) -> bool:
        """Every post is posted, failed, partial or canceled: nothing more will change."""
        return all(is_final(r.status) for r in self.rows)

    def summary(self) -> dict[str, Any]:
        return {
            "posts": len(self.rows),
            "by_status": dict(self.by_status),
            "by_account": {h: dict(c) for h, c in self.by_account.items()},
            "all_final": self.all_final,
            "rows_without_post": self.rows_without_post,
            "canceled": self.canceled,
            "requests": self.refresh.requests,
            "list_requests": self.refresh.list_requests,
            "get_requests": self.refresh.get_requests,
            "results": str(self.results_path) if self.results_path else None,
            "rows": [r.to_json() for r in self.rows],
        }


@dataclass(slots=True)
class _Session:
    report: ValidationReport
    journal: Journal
    life: LifecycleJournal
    key: ApiKey
    url: str
    handles: dict[str, str]
    results: Path | None


@contextmanager
def _synced_session(
    path: str | Path,
    plan_options: PlanOptions | None,
    api_key: str | ApiKey | None,
    base_url: str | None,
    sheet: str | None,
    results_path: str | Path | None,
    journal_path: str | Path | None,
    max_rows: int | None,
    max_bytes: int | None,
    write: bool,
    reading: ReadOptions | None,
    media_dir: str | Path | None,
) -> Iterator[tuple[_Session, RefreshStats]]:
    """The campaign as the runs read it, its journal (held open inside the ``with``) and
    the API's key and URL, once the journal knows what the API now says of every post:
    where status and cancel both start. Yields the session and what the refresh took."""
    campaign_path = Path(path)
    journal_file = Path(journal_path) if journal_path else default_journal_path(campaign_path)
    choices = PlanningChoices(
        plan_options or PlanOptions(),
        sheet,
        reading=reading or ReadOptions(),
        media_dir=Path(media_dir) if media_dir is not None else None,
    ).with_remembered(journal_file)
    # Read as the runs read it: the journal keeps --header-row, --encoding, --include-hidden
    # and --media-dir (a generated external_id counts each local media file's content).
    campaign = load_for(
        campaign_path,
        choices.options,
        sheet=choices.sheet,
        max_rows=max_rows,
        max_bytes=max_bytes,
        reading=choices.reading,
    )
    if not journal_file.is_file():
        raise ConfigurationError(
            f"{campaign_path.name}: no run of this campaign is known (no journal at "
            f"{journal_file}): run it first, or name its journal with --journal"
        )
    key = ApiKey.of(api_key)
    url = resolve_base_url(base_url)
    results = Path(results_path) if results_path else None
    if write:
        check_writable(results or default_results_path(campaign.path))
    accounts = event_loop.run(fetch_accounts(key, url))
    journal = open_journal(campaign.path, journal_file)
    report = validate_rows(campaign, choices.options, accounts, media_dir=choices.media_dir)
    handles = {a.id: f"@{a.username}" if a.username else a.id for a in accounts}
    session = _Session(report, journal, LifecycleJournal(journal), key, url, handles, results)

    async def sync() -> RefreshStats:
        async with PartnerClient(key, url) as client:
            return await sync_posts(journal, session.life, client, handles)

    with journal:
        yield session, event_loop.run(sync())


def _write(session: _Session, write: bool) -> RunReport:
    """The results sheet, from the journal (every row's outcome, with its post's life)."""
    outcomes = outcomes_from_journal(session.report, session.journal) or [
        RowOutcome(p.row.row_number, p.external_id, RowResult.NOT_SUBMITTED)
        for p in session.report.planned
    ]
    run = RunReport(outcomes=outcomes, results_path=None, campaign=session.report.campaign)
    if write:
        run.results_path = write_run_results(
            session.report, run, session.results, session.journal, base_url=session.url
        )
    else:
        session.life.decorate(outcomes)
    return run


def refresh_status(
    path: str | Path,
    *,
    plan_options: PlanOptions | None = None,
    api_key: str | ApiKey | None = None,
    base_url: str | None = None,
    sheet: str | None = None,
    results_path: str | Path | None = None,
    journal_path: str | Path | None = None,
    write: bool = True,
    max_rows: int | None = None,
    max_bytes: int | None = MAX_FILE_BYTES,
    reading: ReadOptions | None = None,
    media_dir: str | Path | None = None,
) -> StatusReport:
    """Refresh every row that has a post (``bulk-scheduler status``) and write the results
    sheet with each post's status, per-account delivery, published URLs and check time.

    Posts are read through ``GET /posts`` over the creation-time windows the journal
    knows, and one by one only for what the lists do not give. Raises
    ``ConfigurationError`` when no run of the campaign is known, ``FatalApiError`` when
    the API refuses the key, ``ApiError`` when it cannot be read."""
    with _synced_session(
        path, plan_options, api_key, base_url, sheet, results_path, journal_path,
        max_rows, max_bytes, write, reading, media_dir,
    ) as (session, stats):  # fmt: skip
        run = _write(session, write)
        states = session.life.post_states()
        rows: list[RowStatus] = []
        without = canceled = 0
        for outcome in run.outcomes:
            if outcome.result is RowResult.CANCELED:
                canceled += 1
                continue
            state = states.get(outcome.external_id)
            if not outcome.is_done or state is None or state.post_id != outcome.post_id:
                without += 1
                continue
            rows.append(
                RowStatus(
                    outcome.row_number,
                    outcome.external_id,
                    state.post_id,
                    state.status,
                    state.accounts,
                    state.checked_at,
                )
            )
    return StatusReport(
        rows=rows,
        refresh=stats,
        results_path=run.results_path,
        results_problem=run.results_problem,
        rows_without_post=without,
        canceled=canceled,
        run=run,
    )


@dataclass(slots=True)
class CancelPlan:
    """The rows ``cancel`` is about to cancel, for the user to confirm."""

    targets: list[CancelTarget]
    statuses: Counter[str]
    skipped: list[CancelResult]  # chosen rows with no post, or already cancelled


@dataclass(slots=True)
class CancelReport:
    results: list[CancelResult]
    launched: bool = True
    results_path: Path | None = None
    results_problem: str | None = None

    def counts(self) -> Counter[str]:
        return Counter(r.outcome for r in self.results)

    def summary(self) -> dict[str, Any]:
        return {
            "launched": self.launched,
            **dict(self.counts()),
            "results": str(self.results_path) if self.results_path else None,
            "rows": [r.to_json() for r in self.results],
        }


def _choose(
    session: _Session,
    rows: str | Iterable[int] | None,
    external_ids: Iterable[str] | None,
    status: str | None,
    all_rows: bool,
) -> CancelPlan:
    planned = session.report.planned
    if not (rows or external_ids or status or all_rows):
        raise ConfigurationError(
            "choose the rows to cancel: --rows, --external-id, --status or --all"
        )
    chosen = list(planned)
    if rows:
        wanted = set(parse_rows(rows) if isinstance(rows, str) else rows)
        numbers = {p.row.row_number for p in planned}
        missing = sorted(wanted - numbers)
        if missing:
            first, last = min(numbers, default=2), max(numbers, default=2)
            raise ConfigurationError(
                f"--rows: row {missing[0]} is not a data row of "
                f"{session.report.campaign.path.name} (rows {first}-{last})"
            )
        chosen = [p for p in chosen if p.row.row_number in wanted]
    if external_ids:
        ids = set(external_ids)
        unknown = sorted(ids - {p.external_id for p in planned})
        if unknown:
            raise ConfigurationError(
                f"--external-id {unknown[0]}: no row of {session.report.campaign.path.name} "
                "has this external_id"
            )
        chosen = [p for p in chosen if p.external_id in ids]
    entries = {e.external_id: e for e in session.journal.entries()}
    states = session.life.post_states()
    targets: list[CancelTarget] = []
    skipped: list[CancelResult] = []
    statuses: Counter[str] = Counter()
    for p in chosen:
        entry = entries.get(p.external_id)
        outcome = entry.outcome if entry is not None else None
        number = p.row.row_number
        if outcome is not None and outcome.result is RowResult.CANCELED:
            if not status and not all_rows:
                skipped.append(CancelResult(number, p.external_id, ALREADY, "already canceled"))
            continue
        if outcome is None or not outcome.is_done or outcome.post_id is None:
            if not status and not all_rows:
                skipped.append(CancelResult(number, p.external_id, NO_POST, "the row has no post"))
            continue
        state = states.get(p.external_id)
        current = state.status if state is not None else outcome.post_status
        if status and current != status:
            continue
        statuses[current or "unknown"] += 1
        targets.append(CancelTarget(number, p.external_id, outcome.post_id))
    return CancelPlan(targets, statuses, skipped)


def cancel_posts(
    path: str | Path,
    *,
    rows: str | Iterable[int] | None = None,
    external_ids: Iterable[str] | None = None,
    status: str | None = None,
    all_rows: bool = False,
    confirm: Callable[[CancelPlan], bool] | None = None,
    plan_options: PlanOptions | None = None,
    api_key: str | ApiKey | None = None,
    base_url: str | None = None,
    sheet: str | None = None,
    results_path: str | Path | None = None,
    journal_path: str | Path | None = None,
    write: bool = True,
    max_rows: int | None = None,
    max_bytes: int | None = MAX_FILE_BYTES,
    reading: ReadOptions | None = None,
    media_dir: str | Path | None = None,
) -> CancelReport:
    """Delete the posts of the chosen rows (``bulk-scheduler cancel``).

    Rows are chosen by sheet row (``rows="5-9,12"``), ``external_ids``, the post's current
    ``status``, or ``all_rows``; the choices narrow each other. ``confirm`` sees the plan
    first (False: nothing is sent). Each row ends ``canceled`` or with the reason it could
    not be (blocked by its status, not found), in the report and the results sheet."""
    with _synced_session(
        path, plan_options, api_key, base_url, sheet, results_path, journal_path,
        max_rows, max_bytes, write, reading, media_dir,
    ) as (session, _):  # fmt: skip
        plan = _choose(session, rows, external_ids, status, all_rows)
        if plan.targets and confirm is not None and not confirm(plan):
            return CancelReport(results=plan.skipped, launched=False)

        async def send() -> list[CancelResult]:
            async with PartnerClient(session.key, session.url) as client:
                return await delete_posts(plan.targets, client, session.life)

        try:
            results = event_loop.run(send()) if plan.targets else []
        except FatalApiError:
            _write(session, write)
            raise
        run = _write(session, write)
    ordered = sorted([*plan.skipped, *results], key=lambda r: r.row_number)
    return CancelReport(
        results=ordered, results_path=run.results_path, results_problem=run.results_problem
    )


__all__ = [
    "CancelPlan",
    "CancelReport",
    "RowStatus",
    "StatusReport",
    "cancel_posts",
    "refresh_status",
]
