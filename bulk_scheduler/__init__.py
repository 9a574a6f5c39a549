"""bulk_scheduler: schedule social-media campaigns from a spreadsheet through the
Genviral Partner API.

>>> from bulk_scheduler import validate_campaign, PlanOptions  # doctest: +SKIP
>>> validate_campaign("campaign.xlsx", PlanOptions(timezone="Europe/Paris")).error_count
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bulk-scheduler")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

from .campaign import Campaign, CampaignRow
from .client import ApiKey, PartnerClient
from .executor import ExecutorOptions
from .issues import RowIssue, Severity
from .launch import RunReport, run_campaign
from .loader import load_campaign
from .outcome import RowOutcome, RowResult
from .planner import PlanOptions
from .validation import ValidationReport, validate_campaign

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
