"""The executor: submits rows to ``POST /posts`` with bounded concurrency, an
optional pace, and retries that are safe because every retry resends the same
body with the same ``external_id``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bulk_scheduler.api.client import CreateOutcome, OutcomeKind, PartnerClient
from bulk_scheduler.api.throttle import Throttle
from bulk_scheduler.launch.journal import Journal, SubmitJob
from bulk_scheduler.outcome import RowOutcome, RowResult

# A 429 is the API asking to wait, not a failure of the row, so it does not use up
# the row's attempts; this bound only stops a run against an API that never relents.
MAX_RATE_LIMITED_PER_ROW = 100


@dataclass(slots=True)
class ExecutorOptions:
    concurrency: int = 4
    rate_per_minute: float | None = None
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    seed: int | None = None
    # After a stop (Ctrl-C, SIGTERM), how long requests in flight may take to finish.
    stop_grace_seconds: float = 10.0


@dataclass(slots=True)
class ExecutionReport:
    outcomes: dict[int, RowOutcome]
    fatal: CreateOutcome | None = None
    interrupted: bool = False
    rate_limited: int = 0
    requests: int = 0


class _Stop:
    """Why the run stopped launching rows, if it did."""

    def __init__(self, external: asyncio.Event | None) -> None:
        self.fatal: CreateOutcome | None = None
        self._external = external

    @property
    def interrupted(self) -> bool:
        return self._external is not None and self._external.is_set()

    @property
    def stopped(self) -> bool:
        return self.fatal is not None or self.interrupted


def _outcome_from(job: SubmitJob, answer: CreateOutcome, attempts: int, sent_at) -> RowOutcome:
    outcome = RowOutcome(
        row_number=job.row_number,
        external_id=job.external_id,
        result=RowResult.ERROR,
        http_status=answer.status,
        attempts=attempts,
        submitted_at=sent_at,
    )
    if answer.post is not None:
        outcome.result = (
            RowResult.CREATED if answer.kind is OutcomeKind.CREATED else RowResult.ALREADY_EXISTS
        )
        outcome.post_id = answer.post.id
        outcome.post_status = answer.post.status
        outcome.scheduled_at_utc = answer.post.scheduled_at
        outcome.warnings = [
            f"{w.code or 'WARNING'}: {w.message}".strip() for w in answer.post.warnings
        ]
    else:
        outcome.error_code = answer.error_code
        outcome.error_message = answer.message
        # A conflict naming the post its external_id already has: the sheet shows which.
        outcome.post_id = answer.existing_post_id
    return outcome


async def submit_rows(
    jobs: Sequence[SubmitJob],
    client: PartnerClient,
    options: ExecutorOptions,
    journal: Journal,
    *,
    on_outcome: Callable[[RowOutcome], None] | None = None,
    stop: asyncio.Event | None = None,
) -> ExecutionReport:
    """Send every job; return one outcome per job (in the journal too).

    A fatal answer (401/402/403) or ``stop`` being set stops launching new rows;
    requests in flight finish; rows never sent end ``not_submitted``.
    """
    rng = random.Random(options.seed)
    throttle = Throttle(options.concurrency, options.rate_per_minute, rng=rng)
    state = _Stop(stop)
    queue: asyncio.Queue[SubmitJob] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    counters = {"requests": 0}
    sent: dict[int, int] = {}  # row -> requests made so far in this run

    def finish(job: SubmitJob, outcome: RowOutcome) -> None:
        journal.record_outcome(outcome, job.body_hash)
        if on_outcome is not None:
            on_outcome(outcome)

    async def submit(job: SubmitJob) -> RowOutcome:
        attempts = 0  # requests made for this row
        failures = 0  # attempts that count against max_attempts (429s do not)
        rate_limited = 0
        maybe_committed = False
        last: CreateOutcome | None = None
        sent_at = None
        while True:
            if state.stopped and attempts == 0:
                return RowOutcome(job.row_number, job.external_id, RowResult.NOT_SUBMITTED)
            async with throttle.slot():
                if state.stopped and attempts == 0:
                    return RowOutcome(job.row_number, job.external_id, RowResult.NOT_SUBMITTED)
                attempts += 1
                sent[job.row_number] = attempts
                counters["requests"] += 1
                sent_at = journal.record_sending(job, attempts)
                answer = await client.create_post(job.content)
                if answer.rate_limited:
                    pause = throttle.rate_limited(answer.retry_after)
                elif answer.kind in (OutcomeKind.CREATED, OutcomeKind.REPLAYED):
                    throttle.succeeded()
            last = answer
            if answer.kind in (OutcomeKind.CREATED, OutcomeKind.REPLAYED):
                outcome = _outcome_from(job, answer, attempts, sent_at)
                if attempts > 1 and not job.sent_before:
                    # The replay answers an attempt of this run whose answer was lost (a
                    # dropped connection, a 5xx after storing): the post was created now.
                    outcome.result = RowResult.CREATED
                return outcome
            if answer.kind is OutcomeKind.ROW_ERROR:
                outcome = _outcome_from(job, answer, attempts, sent_at)
                outcome.result = RowResult.REJECTED
                return outcome
            if answer.kind is OutcomeKind.FATAL:
                if state.fatal is None:
                    state.fatal = answer
                outcome = _outcome_from(job, answer, attempts, sent_at)
                outcome.result = RowResult.UNKNOWN if maybe_committed else RowResult.NOT_SUBMITTED
                return outcome
            # Retryable.
            maybe_committed = maybe_committed or answer.maybe_committed
            if answer.rate_limited:
                rate_limited += 1
                if rate_limited >= MAX_RATE_LIMITED_PER_ROW:
                    break
                await asyncio.sleep(pause)
            else:
                failures += 1
                if failures >= options.max_attempts:
                    break
                delay = min(options.backoff_cap, options.backoff_base * 2 ** (failures - 1))
                await asyncio.sleep(delay * (0.5 + rng.random()))
            if state.stopped:
                break
        assert last is not None
        outcome = _outcome_from(job, last, attempts, sent_at)
        outcome.result = RowResult.UNKNOWN if maybe_committed else RowResult.ERROR
        if maybe_committed:
            outcome.error_message = (
                f"{last.message}; an earlier attempt may have created the post: "
                "run again to confirm (the same external_id makes it safe)"
            )
        return outcome

    async def worker() -> None:
        while True:
            try:
                job = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                outcome = await submit(job)
            except asyncio.CancelledError:
                # The grace after a stop ran out with this row in flight or backing off.
                attempts = sent.get(job.row_number, 0)
                outcome = RowOutcome(
                    job.row_number,
                    job.external_id,
                    RowResult.UNKNOWN if attempts else RowResult.NOT_SUBMITTED,
                    attempts=attempts,
                    error_code="interrupted" if attempts else None,
                    error_message=(
                        "sent, but the run was interrupted before the answer: run again to confirm"
                    )
                    if attempts
                    else None,
                )
                finish(job, outcome)
                return
            finish(job, outcome)

    # More workers than places, so rows waiting out a backoff do not leave places idle.
    workers = [
        asyncio.create_task(worker())
        for _ in range(min(len(jobs), options.concurrency * 2 + 2) or 0)
    ]

    async def cancel_after_grace() -> None:
        if stop is None:
            return
        await stop.wait()
        await asyncio.sleep(options.stop_grace_seconds)
        for task in workers:
            task.cancel()

    watcher = asyncio.create_task(cancel_after_grace())
    try:
        await asyncio.gather(*workers)
    finally:
        watcher.cancel()
        for task in workers:
            task.cancel()
    for job in jobs:
        if journal.outcome(job.row_number) is None:
            finish(job, RowOutcome(job.row_number, job.external_id, RowResult.NOT_SUBMITTED))
    outcomes = {job.row_number: journal.outcome(job.row_number) for job in jobs}
    return ExecutionReport(
        outcomes={k: v for k, v in outcomes.items() if v is not None},
        fatal=state.fatal,
        interrupted=state.interrupted,
        rate_limited=throttle.rate_limited_count,
        requests=counters["requests"],
    )
