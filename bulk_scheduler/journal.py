"""The journal: the one place that owns what happened to each row.

The results sheet and the summary are views of it. It records the intent
before a request is sent and the outcome after the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from .outcome import RowOutcome, RowResult


@dataclass(frozen=True, slots=True)
class SubmitJob:
    """One row to send: its sheet row, idempotency key and the exact JSON body."""

    row_number: int
    external_id: str
    body: dict


class Journal:
    """In-memory journal of one run."""

    def __init__(self) -> None:
        self._outcomes: dict[int, RowOutcome] = {}
        self._sending: dict[int, datetime] = {}

    def record_sending(self, job: SubmitJob, attempt: int) -> datetime:
        """Called just before each request; returns the time it was sent."""
        now = datetime.now(UTC)
        self._sending[job.row_number] = now
        return now

    def record_outcome(self, outcome: RowOutcome) -> None:
        self._outcomes[outcome.row_number] = outcome

    def record_many(self, outcomes: Iterable[RowOutcome]) -> None:
        for outcome in outcomes:
            self.record_outcome(outcome)

    def outcome(self, row_number: int) -> RowOutcome | None:
        return self._outcomes.get(row_number)

    @property
    def outcomes(self) -> dict[int, RowOutcome]:
        return dict(self._outcomes)

    def counts(self) -> dict[str, int]:
        counts = {result.value: 0 for result in RowResult}
        for outcome in self._outcomes.values():
            counts[outcome.result.value] += 1
        return counts
