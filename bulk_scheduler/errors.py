"""Exceptions the library raises for problems that stop a whole command."""

from __future__ import annotations


class BulkSchedulerError(Exception):
    """Base class: the message is one line a user can act on."""


class CampaignFileError(BulkSchedulerError):
    """The campaign file cannot be used (unreadable, wrong format, bad headers)."""


class ConfigurationError(BulkSchedulerError):
    """An option or setting is unusable (bad URL, missing key, unknown zone)."""


class FatalApiError(BulkSchedulerError):
    """The API refused the whole run (401, 402, 403) or could not be reached at all."""

    def __init__(self, message: str, status: int | None = None, error_code: str | None = None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
