"""bulk_scheduler: schedule social-media campaigns from a spreadsheet through the
Genviral Partner API.

>>> from bulk_scheduler import validate_campaign, PlanOptions  # doctest: +SKIP
>>> validate_campaign("campaign.xlsx", PlanOptions(timezone="Europe/Paris")).error_count

The names below are imported on first use, so that ``import bulk_scheduler.X`` (the
sandbox, say) and the command line start without loading spreadsheet libraries.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("bulk-scheduler")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

_PUBLIC = {
    "ApiError": "errors",
    "ApiKey": "api.client",
    "BulkSchedulerError": "errors",
    "CampaignFileError": "errors",
    "CampaignInvalidError": "errors",
    "ConfigurationError": "errors",
    "FatalApiError": "errors",
    "JournalBusyError": "errors",
    "LaunchPlan": "launch.orchestrator",
    "RunHooks": "launch.orchestrator",
    "Campaign": "campaign",
    "CampaignRow": "campaign",
    "ExecutorOptions": "launch.executor",
    "PartnerClient": "api.client",
    "PlanOptions": "checks.planner",
    "RowIssue": "issues",
    "RowOutcome": "outcome",
    "RowResult": "outcome",
    "RunReport": "launch.orchestrator",
    "Severity": "issues",
    "ValidationReport": "launch.dry_run",
    "load_campaign": "sheet.loader",
    "run_campaign": "launch.orchestrator",
    "validate_campaign": "launch.dry_run",
    "refresh_status": "launch.lifecycle",
    "cancel_posts": "launch.lifecycle",
    "StatusReport": "launch.lifecycle",
    "CancelReport": "launch.lifecycle",
    "CancelPlan": "launch.lifecycle",
    "Update": "launch.changes",
    "Retry": "launch.changes",
    "ChangeResult": "launch.changes",
    # For PlanOptions(slots=..., groups=...), as --slots and --groups make them.
    "parse_slots": "checks.slots",
    "read_groups_file": "sheet.groups",
    "ReadOptions": "sheet.read_options",
    "write_calendar": "launch.calendar_page",
}

__all__ = [
    "ApiError",
    "ApiKey",
    "BulkSchedulerError",
    "Campaign",
    "CampaignFileError",
    "CampaignInvalidError",
    "CampaignRow",
    "CancelPlan",
    "CancelReport",
    "ChangeResult",
    "ConfigurationError",
    "ExecutorOptions",
    "FatalApiError",
    "JournalBusyError",
    "LaunchPlan",
    "PartnerClient",
    "PlanOptions",
    "ReadOptions",
    "Retry",
    "RowIssue",
    "RowOutcome",
    "RowResult",
    "RunHooks",
    "RunReport",
    "Severity",
    "StatusReport",
    "Update",
    "ValidationReport",
    "__version__",
    "cancel_posts",
    "load_campaign",
    "parse_slots",
    "read_groups_file",
    "refresh_status",
    "run_campaign",
    "validate_campaign",
    "write_calendar",
]

if TYPE_CHECKING:
    from bulk_scheduler.api.client import ApiKey, PartnerClient
    from bulk_scheduler.campaign import Campaign, CampaignRow
    from bulk_scheduler.checks.planner import PlanOptions
    from bulk_scheduler.checks.slots import parse_slots
    from bulk_scheduler.errors import (
        ApiError,
        BulkSchedulerError,
        CampaignFileError,
        CampaignInvalidError,
        ConfigurationError,
        FatalApiError,
        JournalBusyError,
    )
    from bulk_scheduler.issues import RowIssue, Severity
    from bulk_scheduler.launch.calendar_page import write_calendar
    from bulk_scheduler.launch.changes import ChangeResult, Retry, Update
    from bulk_scheduler.launch.dry_run import ValidationReport, validate_campaign
    from bulk_scheduler.launch.executor import ExecutorOptions
    from bulk_scheduler.launch.lifecycle import (
        CancelPlan,
        CancelReport,
        StatusReport,
        cancel_posts,
        refresh_status,
    )
    from bulk_scheduler.launch.orchestrator import LaunchPlan, RunHooks, RunReport, run_campaign
    from bulk_scheduler.outcome import RowOutcome, RowResult
    from bulk_scheduler.sheet.groups import read_groups_file
    from bulk_scheduler.sheet.loader import load_campaign
    from bulk_scheduler.sheet.read_options import ReadOptions


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'bulk_scheduler' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
