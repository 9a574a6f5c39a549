"""The launch: turn a validated campaign into posts and a results sheet.

:func:`run_campaign` is the whole job for a notebook or a pipeline; the CLI
calls the same steps (:func:`plan_launch`, :func:`launch`) so it can show the
plan and ask for confirmation in between.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from bulk_scheduler import event_loop
from bulk_scheduler.api.client import ApiKey, PartnerClient
from bulk_scheduler.campaign import CampaignRow
from bulk_scheduler.checks.planner import PlannedRow, PlanOptions
from bulk_scheduler.errors import FatalApiError
from bulk_scheduler.launch.dry_run import ValidationReport, validate_campaign
from bulk_scheduler.launch.executor import ExecutionReport, ExecutorOptions, submit_rows
from bulk_scheduler.launch.journal import Journal, SubmitJob, body_hash, default_journal_path
from bulk_scheduler.outcome import RowOutcome, RowResult
from bulk_scheduler.sheet.results import default_results_path, write_results


@dataclass(slots=True)
class LaunchPlan:
    """What ``run`` is about to do, for the user to confirm."""

    to_send: list[PlannedRow]
    already_done: dict[int, RowOutcome]  # sheet row -> the outcome that made it done
    invalid: list[PlannedRow]
    changed: list[PlannedRow]
    accounts_per_platform: dict[str, int]
    first_publish: datetime | None
    last_publish: datetime | None
    immediate: int
    warnings: int

    @property
    def posts(self) -> int:
        return len(self.to_send)


@dataclass(slots=True)
class RunReport:
    """The outcome of a run: one :class:`RowOutcome` per row, in sheet order."""

    outcomes: list[RowOutcome]
    results_path: Path | None
    fatal: str | None = None
    fatal_status: int | None = None
    interrupted: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None
    requests: int = 0
    rate_limited: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        counts = {result.value: 0 for result in RowResult}
        for outcome in self.outcomes:
            counts[outcome.result.value] += 1
        return counts

    @property
    def all_done(self) -> bool:
        return all(o.result.is_done for o in self.outcomes)

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rows": len(self.outcomes),
            **self.counts(),
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "results": str(self.results_path) if self.results_path else None,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "fatal": self.fatal,
            "interrupted": self.interrupted,
        }
        data.update(self.extra)
        return data


def _previous_outcome(row: CampaignRow, external_id: str) -> RowOutcome | None:
    """The outcome a results sheet given as input already records for a row."""
    result = row.text("result").lower()
    try:
        previous = RowResult(result)
    except ValueError:
        return None

    def number(column: str) -> int | None:
        text = row.text(column)
        try:
            return int(float(text)) if text else None
        except ValueError:
            return None

    submitted = row.values.get("submitted_at")
    return RowOutcome(
        row_number=row.row_number,
        external_id=row.text("external_id") or external_id,
        result=previous,
        post_id=row.text("post_id") or None,
        post_status=row.text("post_status") or None,
        scheduled_at_utc=row.text("scheduled_at_utc") or None,
        warnings=[w for w in row.text("warnings").splitlines() if w.strip()],
        error_code=row.text("error_code") or None,
        error_message=row.text("error_message") or None,
        http_status=number("http_status"),
        attempts=number("attempts") or 0,
        submitted_at=submitted if isinstance(submitted, datetime) else None,
    )


def plan_launch(report: ValidationReport, *, journal: Journal | None = None) -> LaunchPlan:
    """Split the rows into those to send, those already done, and invalid ones.

    A row is done when the journal (or, without one, the results sheet given as
    input) records it ``created``/``already_exists`` with a post id. A row the
    journal knows as sent but never answered is sent again with the same body and
    ``external_id``. A done row whose cells changed since is not sent again: it is
    listed in ``changed`` so the report can name it.
    """
    to_send: list[PlannedRow] = []
    done: dict[int, RowOutcome] = {}
    invalid: list[PlannedRow] = []
    changed: list[PlannedRow] = []
    # One read of the journal, not one query per row.
    known = {e.external_id: e for e in journal.entries()} if journal is not None else {}
    for planned in report.planned:
        entry = known.get(planned.external_id)
        if entry is not None and entry.done and entry.outcome is not None:
            outcome = entry.outcome
            outcome.row_number = planned.row.row_number
            if planned.has_body and body_hash(planned.payload or {}) != entry.body_hash:
                changed.append(planned)
                note = (
                    "row-changed-after-created: this row's cells changed after its post was "
                    "created; it was not sent again (give it a new external_id to post it anew)"
                )
                outcome.warnings = [note, *[w for w in outcome.warnings if w != note]]
            done[planned.row.row_number] = outcome
            continue
        previous = _previous_outcome(planned.row, planned.external_id)
        if entry is None and previous is not None and previous.is_done:
            done[planned.row.row_number] = previous
        elif not planned.has_body or planned.has_errors:
            invalid.append(planned)
        else:
            to_send.append(planned)
    platforms: Counter[str] = Counter()
    directory = {a.id: a for a in report.accounts or []}
    for planned in to_send:
        for account_id in planned.account_ids:
            account = directory.get(account_id)
            platforms[account.platform if account else "unknown"] += 1
    times = [p.publish_at for p in to_send if p.publish_at is not None]
    return LaunchPlan(
        to_send=to_send,
        already_done=done,
        invalid=invalid,
        changed=changed,
        accounts_per_platform=dict(platforms),
        first_publish=min(times) if times else None,
        last_publish=max(times) if times else None,
        immediate=sum(1 for p in to_send if p.publish_at is None),
        warnings=sum(1 for p in to_send for issue in p.issues if not issue.is_error),
    )


def _invalid_outcome(planned: PlannedRow) -> RowOutcome:
    errors = [issue for issue in planned.issues if issue.is_error]
    return RowOutcome(
        row_number=planned.row.row_number,
        external_id=planned.external_id,
        result=RowResult.INVALID,
        warnings=[f"{i.code}: {i.message}" for i in planned.issues if not i.is_error],
        error_code=errors[0].code if errors else "invalid",
        error_message="\n".join(
            f"{i.column or 'row'} ({i.cell or '-'}): {i.message}" for i in errors
        )
        or "the row could not be planned",
    )


async def launch(
    report: ValidationReport,
    plan: LaunchPlan,
    client: PartnerClient,
    options: ExecutorOptions,
    *,
    results_path: Path | None = None,
    journal: Journal | None = None,
    on_outcome: Callable[[RowOutcome], None] | None = None,
    stop: asyncio.Event | None = None,
    write: bool = True,
) -> RunReport:
    """Send the plan's rows, then write the results sheet (all rows, in order)."""
    journal = journal or Journal()
    started = datetime.now(UTC)
    for outcome in plan.already_done.values():
        journal.remember(outcome)
    journal.record_many(_invalid_outcome(planned) for planned in plan.invalid)
    jobs = [
        SubmitJob(p.row.row_number, p.external_id, payload)
        for p in plan.to_send
        if (payload := p.payload) is not None
    ]
    execution: ExecutionReport = await submit_rows(
        jobs, client, options, journal, on_outcome=on_outcome, stop=stop
    )
    # Rows planned with a warning keep it in the results, beside the API's own warnings.
    for planned in plan.to_send:
        outcome = journal.outcome(planned.row.row_number)
        if outcome is not None:
            local = [f"{i.code}: {i.message}" for i in planned.issues if not i.is_error]
            outcome.warnings = local + [w for w in outcome.warnings if w not in local]
    outcomes = [
        journal.outcome(p.row.row_number)
        or RowOutcome(p.row.row_number, p.external_id, RowResult.NOT_SUBMITTED)
        for p in report.planned
    ]
    run = RunReport(
        outcomes=outcomes,
        results_path=None,
        started_at=started,
        finished_at=datetime.now(UTC),
        requests=execution.requests,
        rate_limited=execution.rate_limited,
        interrupted=execution.interrupted,
    )
    if execution.fatal is not None:
        run.fatal = (
            f"the API refused the run: {execution.fatal.message} "
            f"[{execution.fatal.status} {execution.fatal.error_code}]"
        )
        run.fatal_status = execution.fatal.status
    if write:
        run.results_path = write_run_results(
            report, run, results_path, journal, base_url=client.base_url
        )
    return run


def write_run_results(
    report: ValidationReport,
    run: RunReport,
    results_path: Path | None,
    journal: Journal | None,
    *,
    base_url: str | None = None,
) -> Path:
    """Write the results sheet of a run (atomically) and note it in the journal."""
    target = results_path or default_results_path(report.campaign.path)
    summary: dict[str, Any] = {"campaign": str(report.campaign.path)}
    if base_url:
        summary["base_url"] = base_url
    summary.update(run.summary())
    summary["results"] = str(target)
    path = write_results(report.campaign, {o.row_number: o for o in run.outcomes}, target, summary)
    if journal is not None:
        journal.mark_results_written()
    return path


def outcomes_from_journal(report: ValidationReport, journal: Journal) -> list[RowOutcome] | None:
    """Every row's outcome as the journal knows it (None when it knows none of them)."""
    outcomes: list[RowOutcome] = []
    known = 0
    entries = {e.external_id: e for e in journal.entries()}
    for planned in report.planned:
        entry = entries.get(planned.external_id)
        if entry is not None and entry.outcome is not None:
            outcome = entry.outcome
            outcome.row_number = planned.row.row_number
            known += 1
        else:
            outcome = _previous_outcome(planned.row, planned.external_id) or RowOutcome(
                planned.row.row_number, planned.external_id, RowResult.NOT_SUBMITTED
            )
        outcomes.append(outcome)
    return outcomes if known else None


def rebuild_stale_results(
    offline_report: Callable[[], ValidationReport],
    journal: Journal,
    results_path: Path | None = None,
) -> Path | None:
    """If a run died before writing its results sheet, write it now from the journal.

    ``offline_report`` plans the sheet; it is called only when a rebuild is needed.
    """
    if not journal.results_stale():
        return None
    report = offline_report()
    outcomes = outcomes_from_journal(report, journal)
    if outcomes is None:
        return None
    run = RunReport(outcomes=outcomes, results_path=None, extra={"rebuilt_from_journal": True})
    return write_run_results(report, run, results_path, journal)


def abandon(
    report: ValidationReport,
    fatal: FatalApiError,
    *,
    results_path: Path | None = None,
    write: bool = True,
) -> RunReport:
    """The API refused the run before anything was sent: every row is ``not_submitted``."""
    outcomes = [
        RowOutcome(
            p.row.row_number,
            p.external_id,
            RowResult.NOT_SUBMITTED,
            error_code=fatal.error_code,
            error_message=str(fatal),
            http_status=fatal.status,
        )
        for p in report.planned
    ]
    now = datetime.now(UTC)
    run = RunReport(
        outcomes, None, fatal=str(fatal), fatal_status=fatal.status, started_at=now, finished_at=now
    )
    if write:
        target = results_path or default_results_path(report.campaign.path)
        summary = {"campaign": str(report.campaign.path), **run.summary(), "results": str(target)}
        run.results_path = write_results(
            report.campaign, {o.row_number: o for o in outcomes}, target, summary
        )
    return run


def run_campaign(
    path: str | Path,
    *,
    plan_options: PlanOptions | None = None,
    executor_options: ExecutorOptions | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    sheet: str | None = None,
    results_path: str | Path | None = None,
    skip_invalid: bool = False,
    write: bool = True,
    journal_path: str | Path | None = None,
) -> RunReport:
    """Validate ``path`` online and schedule every valid row; write the results sheet.

    Rows are journalled (``journal_path``, default beside the campaign) so that calling
    it again after a crash resumes without doubling a post.

    Raises ``CampaignFileError`` for an unusable file, ``FatalApiError`` when the API
    refuses the key before anything was sent, and ``ValueError`` when rows are invalid
    and ``skip_invalid`` is false (nothing is sent then).
    """

    async def go() -> RunReport:
        key = ApiKey(api_key) if api_key else None
        options = executor_options or ExecutorOptions()
        async with PartnerClient(
            key, base_url, max_connections=max(options.concurrency, 1)
        ) as client:
            accounts = await client.list_accounts()
            report = validate_campaign(path, plan_options, sheet=sheet, accounts=accounts)
            if report.error_count and not skip_invalid:
                raise ValueError(
                    f"{report.error_count} error(s) in {Path(path).name}; "
                    "fix them or pass skip_invalid=True"
                )
            target = Path(journal_path) if journal_path else default_journal_path(Path(path))
            with Journal(target) as journal:
                plan = plan_launch(report, journal=journal)
                return await launch(
                    report,
                    plan,
                    client,
                    options,
                    results_path=Path(results_path) if results_path else None,
                    journal=journal,
                    write=write,
                )

    return event_loop.run(go())


def local_zone(options: PlanOptions) -> tzinfo:
    """The zone to show times in: ``--timezone`` if given, else the machine's."""
    if options.timezone:
        from zoneinfo import ZoneInfo

        return ZoneInfo(options.timezone)
    return datetime.now().astimezone().tzinfo or UTC


__all__ = [
    "FatalApiError",
    "LaunchPlan",
    "RunReport",
    "launch",
    "plan_launch",
    "run_campaign",
]
