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
    # The row's post was deleted with ``cancel``: never re-created unless the user clears
    # the row's result cell in the results sheet.
    CANCELED = "canceled"

    @property
    def is_done(self) -> bool:
        """Done rows are never sent again."""
        return self in (RowResult.CREATED, RowResult.ALREADY_EXISTS)

    @property
    def is_settled(self) -> bool:
        """Nothing is left to do for the row: its post exists, or it was cancelled."""
        return self.is_done or self is RowResult.CANCELED


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
    # After creation (``status``, ``run``'s updates and retries, ``cancel``): each account's
    # delivery ("@brand posted; @brandhq failed: <message>"), the published URLs, when the
    # API was last asked, and the last change made to the post.
    account_states: str | None = None
    published_urls: str | None = None
    status_checked_at: datetime | None = None
    last_action: str | None = None

    @property
    def is_done(self) -> bool:
        return self.result.is_done and bool(self.post_id)
