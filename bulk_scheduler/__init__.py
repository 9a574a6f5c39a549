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
    "ApiKey": "client",
    "Campaign": "campaign",
    "CampaignRow": "campaign",
    "ExecutorOptions": "executor",
    "PartnerClient": "client",
    "PlanOptions": "planner",
    "RowIssue": "issues",
    "RowOutcome": "outcome",
    "RowResult": "outcome",
    "RunReport": "launch",
    "Severity": "issues",
    "ValidationReport": "validation",
    "load_campaign": "loader",
    "run_campaign": "launch",
    "validate_campaign": "validation",
}

__all__ = [
    "ApiKey",
    "Campaign",
    "CampaignRow",
    "ExecutorOptions",
    "PartnerClient",
    "PlanOptions",
    "RowIssue",
    "RowOutcome",
    "RowResult",
    "RunReport",
    "Severity",
    "ValidationReport",
    "__version__",
    "load_campaign",
    "run_campaign",
    "validate_campaign",
]

if TYPE_CHECKING:
    from .campaign import Campaign, CampaignRow
    from .client import ApiKey, PartnerClient
    from .executor import ExecutorOptions
    from .issues import RowIssue, Severity
    from .launch import RunReport, run_campaign
    from .loader import load_campaign
    from .outcome import RowOutcome, RowResult
    from .planner import PlanOptions
    from .validation import ValidationReport, validate_campaign


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'bulk_scheduler' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
