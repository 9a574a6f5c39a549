"""The exceptions the library raises, in one tree.

Every error a caller can catch has one place and one parent::

    BulkSchedulerError                 the message is one line a user can act on
     ├── CampaignFileError             the campaign file cannot be used (unreadable,
     │                                 wrong format, bad headers, too large)
     ├── ConfigurationError            an option or setting is unusable (bad URL, missing
     │                                 key, unknown zone, a results path that cannot be written)
     ├── JournalBusyError              another run holds the campaign's journal
     ├── CampaignInvalidError          rows have errors and invalid rows were not to be
     │                                 skipped: nothing was sent (``report`` has them)
     └── ApiError                      an API call failed (``status``, ``error_code``)
          └── FatalApiError            the API refused the whole run (401, 402, 403) or
                                       could not be reached at all: nothing more is sent

A ``POST /posts`` never raises for the network or the API's answer: the client
classifies each attempt (``api.client.CreateOutcome``) and the executor decides.
Failures inside one row (a bad cell, a rejected post) are never exceptions either:
they are ``RowIssue`` findings or ``RowOutcome`` results.
"""

from __future__ import annotations


class BulkSchedulerError(Exception):
    """Base class: the message is one line a user can act on."""


class CampaignFileError(BulkSchedulerError):
    """The campaign file cannot be used (unreadable, wrong format, bad headers)."""


class ConfigurationError(BulkSchedulerError):
    """An option or setting is unusable (bad URL, missing key, unknown zone)."""


class JournalBusyError(BulkSchedulerError):
    """Another run of the same campaign holds its journal."""


class CampaignInvalidError(BulkSchedulerError):
    """Some rows have errors and the run was not told to skip them: nothing was sent.

    ``report`` is the validation report (``launch.dry_run.ValidationReport``) that
    names every error."""

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        self.report = report


class ApiError(BulkSchedulerError):
    """An API call failed: ``status`` is the HTTP status (None when no answer came),
    ``error_code`` the API's own code when it sent one."""

    def __init__(self, message: str, status: int | None = None, error_code: str | None = None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class FatalApiError(ApiError):
    """The API refused the whole run (401, 402, 403) or could not be reached at all."""


__all__ = [
    "ApiError",
    "BulkSchedulerError",
    "CampaignFileError",
    "CampaignInvalidError",
    "ConfigurationError",
    "FatalApiError",
    "JournalBusyError",
]
