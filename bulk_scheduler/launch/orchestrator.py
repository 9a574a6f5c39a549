"""The launch: turn a campaign into posts and a results sheet.

:func:`run_campaign` is the whole job, for the command line, a notebook or a pipeline
alike: the CLI only turns options into its arguments, prints through its
:class:`RunHooks` and turns its outcome into an exit status.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bulk_scheduler import event_loop
from bulk_scheduler.api.client import (
    ApiKey,
    CreateOutcome,
    OutcomeKind,
    PartnerClient,
    is_loopback_host,
    resolve_base_url,
)
from bulk_scheduler.api.contract import EDITABLE_STATUSES
from bulk_scheduler.campaign import Campaign, CampaignRow
from bulk_scheduler.checks.local_media import LocalFile
from bulk_scheduler.checks.planner import PlannedRow, PlanOptions
from bulk_scheduler.errors import (
    ApiError,
    CampaignFileError,
    CampaignInvalidError,
    ConfigurationError,
    FatalApiError,
    JournalBusyError,
)
from bulk_scheduler.launch.changes import (
    ApplyOptions,
    ChangeResult,
    Retry,
    Update,
    apply_retries,
    apply_updates,
    changed_files,
    describe_updates,
    retry_for,
    update_for,
    with_changed_files,
)
from bulk_scheduler.launch.choices import PlanningChoices, with_slot_pins
from bulk_scheduler.launch.dry_run import ValidationReport, is_dataframe, load_for, validate_rows
from bulk_scheduler.launch.executor import ExecutionReport, ExecutorOptions, submit_rows
from bulk_scheduler.launch.journal import (
    Journal,
    JournalEntry,
    SubmitJob,
    body_hash,
    default_journal_path,
)
from bulk_scheduler.launch.lifecycle_journal import LifecycleJournal
from bulk_scheduler.launch.record import (
    cells_json,
    cells_sent,
    changed_cells,
    input_columns,
    record_view,
)
from bulk_scheduler.launch.status import RefreshStats, sync_posts
from bulk_scheduler.launch.workspace import fetch_accounts, media_options
from bulk_scheduler.media.preflight import facts_from_json, facts_to_json
from bulk_scheduler.media.upload import UploadFailure, UploadOptions, upload_files
from bulk_scheduler.outcome import RowOutcome, RowResult
from bulk_scheduler.sheet.file_guard import MAX_FILE_BYTES
from bulk_scheduler.sheet.read_options import ReadOptions
from bulk_scheduler.sheet.results import (
    check_writable,
    default_results_path,
    renamed_result_columns,
    write_results,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass(slots=True)
class LaunchPlan:
    """What ``run`` is about to do, for the user to confirm."""

    to_send: list[PlannedRow]
    already_done: dict[int, RowOutcome]  # sheet row -> the outcome that made it done
    invalid: list[PlannedRow]
    changed: list[PlannedRow]
    accounts_per_platform: dict[str, int]  # distinct accounts the posts go to
    deliveries_per_platform: dict[str, int]  # one per post and account
    first_publish: datetime | None
    last_publish: datetime | None
    immediate: int
    warnings: int
    notes: list[str] = field(default_factory=list)  # lines to show with the plan
    # external_ids of rows to send that the journal already knows (sent, not confirmed):
    # a replay of theirs may answer a post an earlier run created.
    sent_before: set[str] = field(default_factory=set)
    # Where it is going: the workspace's accounts the posts go to (platform -> names), the
    # workspaces they belong to, and the API (set by run_campaign).
    accounts_used: dict[str, list[str]] = field(default_factory=dict)
    workspaces: list[str] = field(default_factory=list)
    api_url: str | None = None
    api_is_sandbox: bool = False
    # The rest of the difference between the sheet and the API: posts to edit (PATCH),
    # posts to re-queue after a publish failure, rows whose post needs nothing, cancelled
    # rows (never re-created until their result cell is cleared), and what --only applies.
    updates: list[Update] = field(default_factory=list)
    retries: list[Retry] = field(default_factory=list)
    unchanged: int = 0
    canceled: dict[int, RowOutcome] = field(default_factory=dict)
    only: str | None = None
    refresh: RefreshStats | None = None  # the status refresh run before planning
    # The campaign's time zone as planned (given, or remembered by the journal).
    timezone: str | None = None

    @property
    def slotted(self) -> list[PlannedRow]:
        """The rows to send whose time is a posting slot (``--slots``), in sheet order."""
        return [planned for planned in self.to_send if planned.slotted]

    @property
    def posts(self) -> int:
        return len(self.to_send)

    @property
    def knows_posts(self) -> bool:
        """An earlier run created posts: the plan is a difference, not only creates."""
        return bool(self.already_done or self.canceled or self.updates or self.retries)

    def applies(self, part: str) -> bool:
        """Whether ``create``, ``update`` or ``retry`` is applied (``--only``)."""
        return self.only is None or self.only == part

    def difference(self) -> str:
        """``"2 to create, 3 to update (caption on rows 5, 9; scheduled_at on row 12), 1 to
        retry after a publish failure, 40 unchanged"``."""
        text = f"{len(self.to_send)} to create, {len(self.updates)} to update"
        if self.updates:
            text += f" ({describe_updates(self.updates)})"
        text += f", {len(self.retries)} to retry after a publish failure"
        text += f", {self.unchanged} unchanged"
        if self.canceled:
            text += f", {len(self.canceled)} canceled"
        return text

    def parts(self) -> dict[str, Any]:
        """The plan's create, update and retry parts, for ``--json`` and the library."""
        return {
            "create": [p.row.row_number for p in self.to_send],
            "update": [
                {"row": u.row_number, "external_id": u.external_id, "fields": u.changed}
                for u in self.updates
            ],
            "retry": [
                {"row": r.row_number, "external_id": r.external_id, "accounts": list(r.handles)}
                for r in self.retries
            ],
            "unchanged": self.unchanged,
            "canceled": sorted(self.canceled),
            "only": self.only,
        }


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
    launched: bool = True  # false when the plan was declined: nothing was sent or written
    campaign: Campaign | None = field(default=None, repr=False)  # for to_pandas()
    # Why the results sheet is not where it was asked for (written elsewhere, or not at all).
    results_problem: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # What came of the plan's updates and retries (``run`` on a campaign with posts).
    changes: list[ChangeResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {result.value: 0 for result in RowResult}
        for outcome in self.outcomes:
            counts[outcome.result.value] += 1
        return counts

    @property
    def all_done(self) -> bool:
        return all(o.result.is_settled for o in self.outcomes) and all(c.ok for c in self.changes)

    def to_pandas(self) -> pd.DataFrame:
        """The results sheet as a DataFrame: the campaign's columns, then the result
        columns, one row per campaign row (index: the sheet row number)."""
        from bulk_scheduler.sheet.dataframe import outcomes_frame

        if self.campaign is None:
            raise ValueError("this run launched nothing: it has no results to show")
        return outcomes_frame(self.campaign, self.outcomes)

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
        if self.changes:
            data["updated"] = sum(c.ok for c in self.changes if c.kind == "update")
            data["retried"] = sum(c.ok for c in self.changes if c.kind == "retry")
            data["changes_failed"] = [c.to_json() for c in self.changes if not c.ok]
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


CHANGED_CODE = "row-changed-after-created"


def _changed_note(planned: PlannedRow, entry: JournalEntry) -> str | None:
    """Why a done row counts as changed since its post was created, or None.

    Judged by the row's cells (what the user wrote), so that an option such as
    ``--no-media-check``, which changes the body but not the cells, changes nothing.
    A journal written before cells were kept is judged by the body."""
    if entry.cells is None:
        if planned.has_body and body_hash(planned.payload or {}) != entry.body_hash:
            return (
                f"{CHANGED_CODE}: this row's cells changed after its post was created; it was "
                "not sent again (give it a new external_id to post it anew)"
            )
        return None
    differing = changed_cells(planned.row, entry.cells)
    if not differing:
        return None
    had = "; ".join(f"{name} {text!r}" for name, text in differing.items())
    return (
        f"{CHANGED_CODE}: {', '.join(differing)} changed after the post was created; it was "
        "not sent again and this row shows the cells that were sent (give the row a new "
        f"external_id to post the new content). The sheet had: {had}"
    )


def _media_changed_note(planned: PlannedRow, entry: JournalEntry) -> str | None:
    """Why a done row counts as changed because a local file's content changed since its
    post was created (its cells may be the same), or None: for a journal from before
    updates, which cannot update the post."""
    changed = changed_files(planned, entry)
    if not changed:
        return None
    return (
        f"{CHANGED_CODE}: the content of {', '.join(changed)} changed after the post was "
        "created; it was not sent again (give the row a new external_id to post the new "
        "file)"
    )


def _outside_note(report: ValidationReport) -> str | None:
    """The local files to upload that lie outside the campaign's folder tree."""
    outside = sorted(
        {f.path for p in report.planned if p.has_body for f in p.local_media if f.outside}
    )
    if not outside:
        return None
    shown = ", ".join(outside[:5]) + (f" and {len(outside) - 5} more" if len(outside) > 5 else "")
    return f"{len(outside)} media file(s) outside the campaign's folder will be uploaded: {shown}"


def _not_updated_note(planned: PlannedRow, entry: JournalEntry, update: Update) -> str:
    """Why an edited row's post keeps its content, and what the sheet had."""
    why = update.problem or f"the post is {update.known_status} and can no longer be edited"
    had = "; ".join(
        f"{name} {text!r}" for name, text in changed_cells(planned.row, entry.cells or {}).items()
    )
    files = changed_files(planned, entry)
    if files:
        had = "; ".join([*([had] if had else []), f"new content in {', '.join(files)}"])
    return (
        f"{CHANGED_CODE}: {', '.join(update.changed)} changed after the post was created but "
        f"cannot be updated ({why}); this row shows the cells that were sent. The sheet had: {had}"
    )


def _unmeasured_note(
    report: ValidationReport, measured: dict[str, Any], rehearsal: bool
) -> str | None:
    """In a rehearsal against a sandbox only loopback media is measured: say so up front,
    so that the API's warnings about missing video metadata are no surprise."""
    if not rehearsal:
        return None
    urls = {
        url
        for p in report.planned
        if p.has_body
        for url in p.media_urls
        if not any(f.written == url for f in p.local_media)
    }
    unmeasured = [u for u in urls if u not in measured and ".invalid" not in u]
    if not unmeasured:
        return None
    return (
        f"{len(unmeasured)} media URL(s) are not on loopback, so this rehearsal against a "
        "sandbox does not measure them: their rows may carry VIDEO_DURATION_MISSING or "
        "VIDEO_METADATA_MISSING warnings, which the real API would not give measured media"
    )


def plan_launch(report: ValidationReport, *, journal: Journal | None = None) -> LaunchPlan:
    """Split the rows into those to send, those already done, and invalid ones.

    A row is done when the journal records it ``created``/``already_exists`` with a
    post id; the result cells of a sheet are never taken for it. A row the journal
    knows as sent but never answered is sent again with the same body and
    ``external_id``. A done row whose cells changed since is not sent again: it is
    listed in ``changed`` so the report can name it.
    """
    to_send: list[PlannedRow] = []
    done: dict[int, RowOutcome] = {}
    invalid: list[PlannedRow] = []
    changed: list[PlannedRow] = []
    updates: list[Update] = []
    retries: list[Retry] = []
    canceled: dict[int, RowOutcome] = {}
    unchanged = 0
    sent_before: set[str] = set()
    # One read of the journal, not one query per row.
    known = {e.external_id: e for e in journal.entries()} if journal is not None else {}
    life = LifecycleJournal(journal) if journal is not None else None
    states = life.post_states() if life is not None else {}
    # A change sent and never answered is settled (GET) before anything is sent again:
    # while it is not (the API could not be read), its post gets no other change.
    unsettled = {a.external_id for a in life.pending()} if life is not None else set()
    columns = list(input_columns(report.campaign))
    # A cancelled row comes back only when the user clears its result in a results sheet.
    results_sheet = "result" in report.campaign.columns
    for planned in report.planned:
        entry = known.get(planned.external_id)
        outcome = entry.outcome if entry is not None else None
        if (
            outcome is not None
            and outcome.result is RowResult.CANCELED
            and not (results_sheet and not planned.row.text("result"))
        ):
            outcome.row_number = planned.row.row_number
            canceled[planned.row.row_number] = outcome
        elif entry is not None and entry.done and outcome is not None:
            outcome.row_number = planned.row.row_number
            outcome.warnings = [w for w in outcome.warnings if not w.startswith(CHANGED_CODE)]
            state = states.get(planned.external_id)
            if state is not None and state.post_id != outcome.post_id:
                state = None
            update = None
            if planned.external_id not in unsettled:
                update = update_for(planned, entry, columns, state)
                update = with_changed_files(update, planned, entry, columns, state)
            note = None
            if entry.cells is None:  # a journal from before updates: the row is only named
                note = _changed_note(planned, entry) or _media_changed_note(planned, entry)
            if update is not None:
                changed.append(planned)
                updates.append(update)
                if update.blocked or update.problem:
                    outcome.warnings = [
                        _not_updated_note(planned, entry, update),
                        *outcome.warnings,
                    ]
            elif note is not None:
                changed.append(planned)
                outcome.warnings = [note, *outcome.warnings]
            retry = None
            if planned.external_id not in unsettled:
                retry = retry_for(planned.row.row_number, state)
            if retry is not None:
                retries.append(retry)
            if update is None and retry is None:
                unchanged += 1
            done[planned.row.row_number] = outcome
        elif not planned.has_body or planned.has_errors:
            invalid.append(planned)
        else:
            # A row the journal does not know as done is sent, whatever its result cells
            # say: a copy of a results sheet, say. The external_id makes the API answer
            # with the post it already has (``already_exists``), never a second one.
            to_send.append(planned)
            if entry is not None:
                sent_before.add(planned.external_id)
    deliveries: Counter[str] = Counter()
    used: dict[str, str] = {}  # account id -> platform
    names: dict[str, set[str]] = {}
    workspaces: set[str] = set()
    directory = {a.id: a for a in report.accounts or []}
    for planned in to_send:
        for account_id in planned.account_ids:
            account = directory.get(account_id)
            platform = account.platform if account else "unknown"
            deliveries[platform] += 1
            used[account_id] = platform
            name = f"@{account.username}" if account and account.username else account_id
            names.setdefault(platform, set()).add(name)
            if account is not None and account.workspace_id:
                workspaces.add(account.workspace_id)
    times = [p.publish_at for p in to_send if p.publish_at is not None]
    return LaunchPlan(
        to_send=to_send,
        already_done=done,
        invalid=invalid,
        changed=changed,
        deliveries_per_platform=dict(deliveries),
        accounts_per_platform=dict(Counter(used.values())),
        first_publish=min(times) if times else None,
        last_publish=max(times) if times else None,
        immediate=sum(1 for p in to_send if p.publish_at is None),
        warnings=sum(1 for p in to_send for issue in p.issues if not issue.is_error),
        notes=[*report.campaign.notes, *report.notes, *renamed_result_columns(report.campaign)],
        accounts_used={platform: sorted(found) for platform, found in sorted(names.items())},
        workspaces=sorted(workspaces),
        sent_before=sent_before,
        updates=updates,
        retries=retries,
        unchanged=unchanged,
        canceled=canceled,
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
    upload: UploadOptions | None = None,
) -> RunReport:
    """Upload the local media files the rows to send need (each content once: the
    journal keeps its CDN URL), send the plan's rows, then write the results sheet (all
    rows, in order). A row whose file could not be uploaded is not sent."""
    journal = journal or Journal()
    started = datetime.now(UTC)
    for outcome in [*plan.already_done.values(), *plan.canceled.values()]:
        journal.remember(outcome)
    journal.record_many(_invalid_outcome(planned) for planned in plan.invalid)
    columns = list(input_columns(report.campaign))
    to_create = plan.to_send if plan.applies("create") else []
    # An update of a post's media to files on disk (an edited cell, or a file with new
    # content) uploads them too, before the PATCH.
    editing = {p.external_id: p for p in plan.changed}
    edited_media = [
        editing[u.external_id]
        for u in plan.updates
        if u.external_id in editing and "media" in u.fields and u.problem is None
    ]
    if not plan.applies("update"):
        edited_media = []
    uploaded = await upload_local_media([*to_create, *edited_media], client, journal, upload, stop)
    plan.updates = [
        _update_with_uploads(u, editing.get(u.external_id), uploaded) for u in plan.updates
    ]
    jobs = []
    for p in to_create:
        payload = p.payload
        if payload is None:
            continue
        media = None
        if p.local_media:
            failed = _not_uploaded(p, uploaded)
            if failed:
                journal.record_outcome(_upload_failed(p, failed))
                continue
            payload, media = with_uploaded_media(payload, p, uploaded)  # type: ignore[arg-type]
        jobs.append(
            SubmitJob(
                p.row.row_number,
                p.external_id,
                payload,
                cells_json(cells_sent(p.row, columns)),
                sent_before=p.external_id in plan.sent_before,
                media=media,
            )
        )
    execution: ExecutionReport = await submit_rows(
        jobs, client, options, journal, on_outcome=on_outcome, stop=stop
    )
    # The CDN URLs of a row's uploaded files go to its media_urls_sent.
    for job in jobs:
        outcome = journal.outcome(job.row_number)
        if outcome is not None and job.media:
            outcome.media_urls_sent = list(json.loads(job.media)["sent"])
    changes = await _apply_changes(plan, client, options, journal, execution, stop)
    media_of = {u.row_number: u.media for u in plan.updates if u.media is not None}
    for change in changes:
        outcome = journal.outcome(change.row_number)
        record = media_of.get(change.row_number) if change.kind == "update" and change.ok else None
        if outcome is not None and record is not None:
            outcome.media_urls_sent = list(json.loads(record)["sent"])
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
        interrupted=execution.interrupted or (stop is not None and stop.is_set()),
        campaign=report.campaign,
        changes=changes,
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


async def upload_local_media(
    rows: list[PlannedRow],
    client: PartnerClient,
    journal: Journal,
    options: UploadOptions | None,
    stop: asyncio.Event | None,
) -> dict[str, str | UploadFailure]:
    """Content hash -> CDN URL (or why not) of every local file the rows need: from the
    journal when an earlier run uploaded that content, else uploaded now."""
    files = [f for p in rows for f in p.local_media]
    if not files:
        return {}
    found: dict[str, str | UploadFailure] = dict(journal.uploads())
    needed = [f for f in files if f.digest is not None and f.digest not in found]
    if needed:

        def keep(local: LocalFile, url: str) -> None:
            assert local.digest is not None
            journal.save_upload(local.digest, url, local.size, local.name)

        found.update(
            await upload_files(needed, client.create_upload, options, on_uploaded=keep, stop=stop)
        )
    return found


def with_uploaded_media(
    payload: dict[str, Any], planned: PlannedRow, uploaded: dict[str, str]
) -> tuple[dict[str, Any], str]:
    """The body with each local file's CDN URL in place of its path (and a video's
    measured metadata), and the journal's record (JSON): the files (path as written,
    content hash, CDN URL) and the media URLs sent, for the results' media_urls_sent."""
    by_part = {f.written: f for f in planned.local_media}
    body = dict(payload)
    media = dict(body["media"])
    if media.get("type") == "video":
        local = by_part.get(media["url"])
        if local is not None and local.digest is not None:
            media["url"] = uploaded[local.digest]
            if local.duration_sec:
                media["duration_sec"] = round(local.duration_sec, 3)
            if local.size is not None:
                media["size"] = local.size
            if local.width and local.height:
                media["width"], media["height"] = local.width, local.height
    else:
        media["urls"] = [
            uploaded[by_part[url].digest] if url in by_part else url  # type: ignore[index]
            for url in media["urls"]
        ]
    body["media"] = media
    record = {
        "files": [
            {"path": f.written, "sha256": f.digest, "url": uploaded[f.digest]}  # type: ignore[index]
            for f in planned.local_media
        ],
        "sent": [media["url"]] if media.get("type") == "video" else list(media["urls"]),
    }
    return body, json.dumps(record, ensure_ascii=False)


def _update_with_uploads(
    update: Update, planned: PlannedRow | None, uploaded: dict[str, str | UploadFailure]
) -> Update:
    """``update`` with the CDN URLs of the files its new media names, and the record of
    them the row keeps; one whose file could not be uploaded is not sent (its ``problem``
    says why)."""
    if planned is None or "media" not in update.fields or update.problem is not None:
        return update
    if not planned.local_media:  # web addresses only: the row no longer uses uploads
        return replace(update, media=json.dumps({"files": [], "sent": []}))
    failed = _not_uploaded(planned, uploaded)
    if failed:
        return replace(update, problem=_upload_messages(failed))
    body, record = with_uploaded_media({"media": update.fields["media"]}, planned, uploaded)  # type: ignore[arg-type]
    return replace(update, fields={**update.fields, "media": body["media"]}, media=record)


def _not_uploaded(
    planned: PlannedRow, uploaded: dict[str, str | UploadFailure]
) -> list[UploadFailure | str]:
    """Why each of the row's local files has no CDN URL (none: all were uploaded); a
    file the uploads never reached (a stopped run) is "not uploaded"."""
    return [
        uploaded.get(f.digest or "", "not uploaded")
        for f in planned.local_media
        if not isinstance(uploaded.get(f.digest or ""), str)
    ]


def _upload_messages(failures: list[Any]) -> str:
    return "; ".join(dict.fromkeys(str(getattr(f, "message", f)) for f in failures))


def _upload_failed(planned: PlannedRow, failures: list[Any]) -> RowOutcome:
    return RowOutcome(
        row_number=planned.row.row_number,
        external_id=planned.external_id,
        result=RowResult.ERROR,
        error_code="upload_failed",
        error_message=_upload_messages(failures) + " (the post was not sent: run again to retry)",
    )


async def _apply_changes(
    plan: LaunchPlan,
    client: PartnerClient,
    options: ExecutorOptions,
    journal: Journal,
    execution: ExecutionReport,
    stop: asyncio.Event | None,
) -> list[ChangeResult]:
    """After the creates: the plan's updates, then its retries (what ``--only`` allows)."""
    if execution.fatal is not None or (stop is not None and stop.is_set()):
        return []
    life = LifecycleJournal(journal)
    apply = ApplyOptions(concurrency=options.concurrency, max_attempts=options.max_attempts)
    changes: list[ChangeResult] = []
    sent_before = client.other_requests
    try:
        if plan.applies("update") and plan.updates:
            changes += await apply_updates(plan.updates, client, life, apply, stop)
        if plan.applies("retry") and plan.retries:
            changes += await apply_retries(plan.retries, client, life, apply, stop)
    except FatalApiError as exc:
        execution.fatal = CreateOutcome(
            OutcomeKind.FATAL, status=exc.status, error_code=exc.error_code, message=str(exc)
        )
    execution.requests += client.other_requests - sent_before
    return changes


def _edits_to_apply(
    report: ValidationReport, journal: Journal, life: LifecycleJournal
) -> frozenset[str]:
    """Rows edited since their post was created whose edit a run can still apply (the row
    has no error and the post can still be edited, as far as the journal knows): the
    results sheet keeps their cells, so that a stopped run never loses an edit."""
    entries = {e.external_id: e for e in journal.entries() if e.done and e.cells}
    if not entries:
        return frozenset()
    states = life.post_states()
    edits = set()
    for planned in report.planned:
        entry = entries.get(planned.external_id)
        if entry is None or planned.has_errors or not changed_cells(planned.row, entry.cells or {}):
            continue
        state = states.get(planned.external_id)
        if state is None or state.status is None or state.status in EDITABLE_STATUSES:
            edits.add(planned.external_id)
    return frozenset(edits)


def write_run_results(
    report: ValidationReport,
    run: RunReport,
    results_path: Path | None,
    journal: Journal | None,
    *,
    base_url: str | None = None,
) -> Path | None:
    """Write the results sheet of a run (atomically) and note it in the journal.

    When the file cannot be written (opened and locked by a spreadsheet, a folder made
    read-only during the run) the posts are safe in the journal: the sheet goes to a
    fallback file beside it (else beside the journal, else the temporary folder), which
    ``run.results_problem`` names. The journal then still counts the sheet as stale, so
    the next run writes it where it belongs."""
    target = results_path or default_results_path(report.campaign.path)
    summary: dict[str, Any] = {"campaign": str(report.campaign.path)}
    if base_url:
        summary["base_url"] = base_url
    summary.update(run.summary())
    summary["results"] = str(target)
    campaign = report.campaign
    outcomes = {o.row_number: o for o in run.outcomes}
    if journal is not None:
        life = LifecycleJournal(journal)
        edits = _edits_to_apply(report, journal, life)
        campaign, outcomes = record_view(campaign, outcomes, journal.entries(), edits)
        life.decorate(outcomes.values())
    try:
        path = write_results(campaign, outcomes, target, summary)
    except OSError as exc:
        reason = f"{exc.strerror or exc}"
        fallback = _write_fallback(campaign, outcomes, target, summary, journal)
        where = f"they were written to {fallback}" if fallback else "no fallback could be written"
        run.results_problem = (
            f"could not write the results sheet {target} ({reason}); {where}. The posts are "
            "safe in the journal: run the same command again to write the results sheet"
        )
        run.results_path = fallback
        return fallback
    if journal is not None:
        journal.mark_results_written()
    return path


def _write_fallback(
    campaign: Campaign,
    outcomes: dict[int, RowOutcome],
    target: Path,
    summary: dict[str, Any],
    journal: Journal | None,
) -> Path | None:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"{target.stem}.unsaved-{stamp}{target.suffix}"
    folders = [target.parent]
    if journal is not None and journal.path is not None:
        folders.append(journal.path.parent)
    folders.append(Path(tempfile.gettempdir()))
    for folder in folders:
        try:
            return write_results(campaign, outcomes, folder / name, summary)
        except OSError:
            continue
    return None


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


@dataclass(slots=True)
class RunHooks:
    """What a caller can watch or decide during :func:`run_campaign`; every hook is optional.

    The command line prints through them and asks for confirmation; a notebook may
    leave them all out.
    """

    notice: Callable[[str], None] | None = None  # one line worth telling (a rebuilt sheet)
    media_progress: Callable[[int, int], None] | None = None  # URLs probed, of how many
    upload_progress: Callable[[int, int], None] | None = None  # bytes uploaded, of how many
    plan: Callable[[LaunchPlan], None] | None = None  # the plan, once it is known
    confirm: Callable[[LaunchPlan], bool] | None = None  # False: nothing is sent
    outcome: Callable[[RowOutcome], None] | None = None  # each row as it is settled
    # SIGINT/SIGTERM stop launching rows (requests in flight may finish, the results sheet
    # is written); a second one calls ``second_signal`` (the CLI leaves at once).
    stop_on_signals: bool = False
    second_signal: Callable[[], None] | None = None


def open_journal(
    campaign_path: Path, journal_path: str | Path | None = None, *, in_memory: bool = False
) -> Journal:
    """The campaign's journal: ``journal_path``, else beside the campaign, else in memory.

    Raises ``JournalBusyError`` when another run holds it, ``ConfigurationError`` when it
    cannot be opened."""
    if in_memory and journal_path is None:
        return Journal()
    try:
        return Journal(Path(journal_path) if journal_path else default_journal_path(campaign_path))
    except JournalBusyError as exc:
        raise JournalBusyError(f"{campaign_path.name}: {exc}") from None
    except (OSError, sqlite3.Error) as exc:
        raise ConfigurationError(
            f"cannot open the journal for {campaign_path.name}: {exc}"
        ) from None


def run_campaign(
    path: str | Path | pd.DataFrame,
    *,
    plan_options: PlanOptions | None = None,
    executor_options: ExecutorOptions | None = None,
    api_key: str | ApiKey | None = None,
    base_url: str | None = None,
    sheet: str | None = None,
    reading: ReadOptions | None = None,
    results_path: str | Path | None = None,
    skip_invalid: bool = False,
    write: bool = True,
    journal_path: str | Path | None = None,
    journal_in_memory: bool = False,
    media_check: bool = True,
    max_rows: int | None = None,
    max_bytes: int | None = MAX_FILE_BYTES,
    hooks: RunHooks | None = None,
    media_dir: str | Path | None = None,
    upload_concurrency: int = 4,
    only: str | None = None,
) -> RunReport:
    """Everything ``bulk-scheduler run`` does: validate online, confirm, send, write results.

    In order: load the campaign; check that the results sheet can be written; fetch the
    accounts; open the journal (``journal_path``, default beside the campaign; in memory
    with ``journal_in_memory``) and rebuild a results sheet that an earlier run died before
    writing; probe the media (facts already in the journal are reused, so a resumed run
    sends the same bodies); validate; plan (done rows are skipped, unanswered ones
    re-sent); ask ``hooks.confirm``; send with the executor; write the results sheet (to a
    fallback file, named in ``results_problem``, when it cannot be written by then).

    ``path`` may be a pandas DataFrame, read as if saved as a sheet. Its results are the
    report's ``to_pandas()``, written to a file only when ``results_path`` names one, and
    its journal lives in memory unless ``journal_path`` names a file (name one to resume
    a frame's run after a crash; ``external_id`` keeps a re-run from doubling posts anyway).

    Raises ``CampaignFileError`` for an unusable file, ``ConfigurationError`` for a bad
    key, URL, journal or results path, ``JournalBusyError`` when another run holds the
    journal, ``CampaignInvalidError`` when rows have errors and ``skip_invalid`` is false,
    and ``FatalApiError`` when the API refuses the key or cannot be reached. Until the
    launch, no file is changed: a raised error, or a hook that declines the plan (the
    report's ``launched`` is then false), leaves the results sheet as it was. A refusal
    during the launch is not raised: the report's ``fatal`` says it.
    """
    hooks = hooks or RunHooks()
    executor = executor_options or ExecutorOptions()
    results = Path(results_path) if results_path else None
    campaign_file = None if is_dataframe(path) else Path(path)
    if campaign_file is None:
        # A frame has no file beside which to keep a journal or a results sheet: the
        # results come back as ``to_pandas()``, and go to a file only when one is named.
        write = write and results is not None
        journal_in_memory = journal_in_memory or journal_path is None
    journal_file = Path(journal_path) if journal_path else None
    if journal_file is None and campaign_file is not None and not journal_in_memory:
        journal_file = default_journal_path(campaign_file)
    choices = PlanningChoices(
        plan_options or PlanOptions(),
        sheet,
        skip_invalid,
        reading=reading or ReadOptions(),
        media_dir=Path(media_dir) if media_dir is not None else None,
    )
    choices = choices.with_remembered(journal_file)
    options, sheet, skip_invalid = choices.options, choices.sheet, choices.skip_invalid
    campaign = load_for(
        path,
        options,
        sheet=sheet,
        max_rows=max_rows,
        max_bytes=max_bytes,
        reading=choices.reading,
    )
    campaign_path = campaign.path
    if not campaign.rows:
        raise CampaignFileError(f"{campaign_path}: no data rows below the header: nothing to send")
    key = ApiKey.of(api_key)
    url = resolve_base_url(base_url)
    if write:
        check_writable(results or default_results_path(campaign_path))
    # Nothing is written before the API has taken the key: a refused key or an unreachable
    # API leaves every file as it was (the results sheet byte for byte).
    try:
        accounts = event_loop.run(fetch_accounts(key, url))
    except FatalApiError as exc:
        raise FatalApiError(
            f"{exc} (nothing was sent; no file was changed)", exc.status, exc.error_code
        ) from None
    folder = choices.media_dir
    with open_journal(campaign_path, journal_path, in_memory=journal_in_memory) as journal:
        rebuilt = rebuild_stale_results(
            lambda: validate_rows(campaign, options, None, media_dir=folder), journal, results
        )
        if rebuilt is not None and hooks.notice:
            hooks.notice(
                f"The last run stopped before writing its results sheet: rebuilt {rebuilt} "
                "from the journal."
            )
        refresh = _sync(journal, key, url, accounts, hooks.notice)
        media = media_options(url, hooks.media_progress) if media_check else None
        known = {
            media_url: facts
            for media_url, data in journal.media_facts().items()
            if (facts := facts_from_json(data)) is not None
        }
        report = validate_rows(
            campaign, options, accounts, media=media, media_cache=known, media_dir=folder
        )
        journal.save_media_facts({u: facts_to_json(f) for u, f in known.items()})
        blocking = _blocking_errors(report, journal)
        if blocking and not skip_invalid:
            others = report.error_count - blocking
            aside = (
                f" ({others} more on rows whose posts exist with the cells sent, which do not "
                "stop a run)"
                if others
                else ""
            )
            raise CampaignInvalidError(
                f"{blocking} error(s) in {campaign_path.name}{aside}: not launched; fix them "
                "or skip the invalid rows",
                report,
            )
        plan = plan_launch(report, journal=journal)
        plan.only = only
        plan.refresh = refresh
        plan.api_url = url
        plan.timezone = options.timezone
        plan.api_is_sandbox = is_loopback_host(urlsplit(url).hostname or "")
        if (note := choices.note()) is not None:
            plan.notes.insert(0, note)
        rehearsal = media is not None and media.rehearsal
        if (note := _unmeasured_note(report, known, rehearsal)) is not None:
            plan.notes.append(note)
        if (note := _outside_note(report)) is not None:
            plan.notes.append(note)
        if hooks.plan:
            hooks.plan(plan)
        if hooks.confirm and not hooks.confirm(plan):
            return RunReport(outcomes=[], results_path=None, launched=False)
        # Before anything is sent: the slot each row got, so that a later run, of a sheet
        # with rows added or moved, keeps every row already sent at its time.
        slotted = [p for p in report.planned if p.slotted and p.has_body and not p.has_errors]
        journal.remember_options(with_slot_pins(choices, slotted).to_json())
        upload = UploadOptions(concurrency=upload_concurrency, progress=hooks.upload_progress)
        return event_loop.run(
            _send(
                report,
                plan,
                key,
                url,
                executor,
                results,
                journal,
                hooks,
                write=write,
                upload=upload,
            )
        )


ONLY_PARTS = ("create", "update", "retry")


def _sync(
    journal: Journal,
    key: ApiKey,
    url: str,
    accounts: list[Any],
    notice: Callable[[str], None] | None,
) -> RefreshStats | None:
    """When the journal knows posts: settle what an earlier command left unanswered and
    refresh every post's status, so the plan knows what failed and what can be edited.

    An API that cannot be read now does not stop the run (its creates need none of it):
    the plan then holds no retry, and no change to a post whose last change is unsettled."""
    if not any(e.done or e.state == "canceled" for e in journal.entries()):
        return None
    handles = {a.id: f"@{a.username}" if a.username else a.id for a in accounts}

    async def sync() -> RefreshStats:
        async with PartnerClient(key, url) as client:
            return await sync_posts(journal, LifecycleJournal(journal), client, handles)

    try:
        return event_loop.run(sync())
    except FatalApiError:
        raise
    except ApiError as exc:
        if notice is not None:
            notice(
                f"The posts' statuses could not be refreshed ({exc}): the plan uses the last known."
            )
        return None


def _blocking_errors(report: ValidationReport, journal: Journal) -> int:
    """Errors that keep the run from going ahead: not those of rows whose post exists (or
    was cancelled) and whose cells are those sent (a time now in the past, say)."""
    if not report.error_count:
        return 0
    settled = {
        e.external_id: e
        for e in journal.entries()
        if e.outcome is not None and e.outcome.result.is_settled
    }
    exempt = set()
    for planned in report.planned:
        entry = settled.get(planned.external_id)
        if entry is not None and (
            entry.cells is None or not changed_cells(planned.row, entry.cells)
        ):
            exempt.add(planned.row.row_number)
    return sum(1 for issue in report.issues if issue.is_error and issue.row not in exempt)


async def _send(
    report: ValidationReport,
    plan: LaunchPlan,
    key: ApiKey,
    url: str,
    executor: ExecutorOptions,
    results_path: Path | None,
    journal: Journal,
    hooks: RunHooks,
    *,
    write: bool,
    upload: UploadOptions | None = None,
) -> RunReport:
    stop = asyncio.Event()
    with _stopping_on_signals(stop, hooks) if hooks.stop_on_signals else nullcontext():
        async with PartnerClient(key, url, max_connections=executor.concurrency) as client:
            return await launch(
                report,
                plan,
                client,
                executor,
                results_path=results_path,
                journal=journal,
                on_outcome=hooks.outcome,
                stop=stop,
                write=write,
                upload=upload,
            )


@contextmanager
def _stopping_on_signals(stop: asyncio.Event, hooks: RunHooks) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop``; a second one calls ``hooks.second_signal``."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def on_signal() -> None:
        if stop.is_set() and hooks.second_signal:
            hooks.second_signal()
        stop.set()

    for sig in signals:
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
    try:
        yield
    finally:
        for sig in signals:
            with suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def local_zone(options: PlanOptions, plan: LaunchPlan | None = None) -> tzinfo:
    """The zone to show times in: the plan's (``--timezone``, or the one the journal
    remembered), else ``--timezone`` if given, else the machine's."""
    if plan is not None and plan.timezone:
        options = replace(options, timezone=plan.timezone)
    if options.timezone:
        from zoneinfo import ZoneInfo

        return ZoneInfo(options.timezone)
    return datetime.now().astimezone().tzinfo or UTC


__all__ = [
    "LaunchPlan",
    "RunHooks",
    "RunReport",
    "launch",
    "plan_launch",
    "run_campaign",
]
