"""What happened to each row: the values of the results sheet's result columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class RowResult(StrEnum):
    CREATED = "created"
    ALREADY_EXISTS = "already_exists"
    INVALID = "invalid"
    REJECTED = "rejected"
    ERROR = "error"
    UNKNOWN = "unknown"
    NOT_SUBMITTED = "not_submitted"

    @property
    def is_done(self) -> bool:
        """Done rows are never sent again."""
        return self in (RowResult.CREATED, RowResult.ALREADY_EXISTS)


@dataclass(slots=True)
class RowOutcome:
    """One row's result. ``warnings`` are ``"CODE: message"`` entries."""

    row_number: int
    external_id: str
    result: RowResult
    post_id: str | None = None
    post_status: str | None = None
    scheduled_at_utc: str | None = None
    warnings: list[str] = field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None
    http_status: int | None = None
    attempts: int = 0
    submitted_at: datetime | None = None
    # The CDN URLs of the local files the post's media came from (uploaded by the run).
    media_urls_sent: list[str] = field(default_factory=list)

    @property
    def is_done(self) -> bool:
        return self.result.is_done and bool(self.post_id)
