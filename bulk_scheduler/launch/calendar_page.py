"""The calendar page: one self-contained HTML file (styles and script inline; nothing is
fetched but the image thumbnails), rendered from ``calendar_page.html.j2`` with Jinja2.

Autoescaping is on for the whole template, so every cell of the sheet shows as text; the
little data the script needs goes in a JSON block written with Jinja's ``tojson``, which
escapes ``<``, ``>``, ``&`` and ``'`` so that no cell can close the block. As a second
wall, the page's Content-Security-Policy lets only its own script run (``calendar_page.js``,
inlined and allowed by its SHA-256): no other script, inline handler or fetch.

>>> write_calendar(report, Path("may.calendar.html"), planned_zone="Europe/Paris")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from bulk_scheduler.campaign import Campaign
from bulk_scheduler.errors import BulkSchedulerError
from bulk_scheduler.launch.calendar import (
    DEFAULT_MIN_GAP,
    CalendarPage,
    PostRecord,
    build_calendar,
    describe_duration,
    journal_records,
    page_zone,
    sheet_records,
)
from bulk_scheduler.launch.journal import default_journal_path, read_entries
from bulk_scheduler.launch.lifecycle_journal import read_post_states
from bulk_scheduler.sheet.loader import load_campaign
from bulk_scheduler.sheet.results import default_results_path, write_atomically

if TYPE_CHECKING:
    from bulk_scheduler.launch.dry_run import ValidationReport

TEMPLATE = "calendar_page.html.j2"
SCRIPT = "calendar_page.js"  # the page's script, inline and allowed by its hash
# The status colours' groups (the page's CSS classes): what went well, what waits, what failed.
STATUS_TONES: dict[str, str] = {
    "posted": "good",
    "created": "wait",
    "already_exists": "wait",
    "scheduled": "wait",
    "pending": "wait",
    "retry": "wait",
    "draft": "idle",
    "ready": "idle",
    "not_submitted": "idle",
    "canceled": "idle",
    "partial": "warn",
    "unknown": "warn",
    "not_found": "warn",  # status found no such post (deleted outside the tool)
    "failed": "bad",
    "rejected": "bad",
    "error": "bad",
    "invalid": "bad",
}


def default_calendar_path(campaign_path: Path) -> Path:
    """``dir/may.xlsx`` (and its results sheet ``dir/may.results.xlsx``) ->
    ``dir/may.calendar.html``.

    >>> default_calendar_path(Path("plans/may.results.csv"))
    PosixPath('plans/may.calendar.html')
    """
    stem = campaign_path.stem
    if stem.lower().endswith(".results"):
        stem = stem[: -len(".results")]
    return campaign_path.with_name(f"{stem}.calendar.html")


@cache
def _script() -> tuple[Markup, str]:
    """The page's script (our own file, not data: marked safe) and its CSP hash."""
    text = resources.files("bulk_scheduler.launch").joinpath(SCRIPT).read_text("utf-8")
    if "</" in text:
        raise ValueError(f"{SCRIPT} must not hold '</': it would end its script element")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"sha256-{digest}"


@cache
def _template() -> jinja2.Template:
    source = resources.files("bulk_scheduler.launch").joinpath(TEMPLATE).read_text("utf-8")
    environment = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["tone"] = lambda status: STATUS_TONES.get(status, "idle")
    environment.filters["duration"] = describe_duration
    # "Mon 4 May" without strftime's platform-dependent %-d.
    environment.filters["day"] = lambda day: f"{day:%a} {day.day} {day:%b}"
    return environment.from_string(source)


def render_page(page: CalendarPage) -> str:
    """The page's HTML."""
    account_index = {account.key: n for n, account in enumerate(page.accounts)}
    data: dict[str, Any] = {
        "accounts": [{"key": a.key, "text": a.text, "platform": a.platform} for a in page.accounts],
        "platforms": page.platforms,
        "statuses": page.statuses,
    }
    script, script_hash = _script()
    return _template().render(
        page=page,
        account_index=account_index,
        data=data,
        script=script,
        script_hash=script_hash,
    )


def post_records(
    report: ValidationReport, journal_path: Path | None = None
) -> tuple[dict[int, PostRecord], str | None]:
    """What the journal (else a results sheet) recorded of each row, and where from: the
    result, and after ``status`` the post's status and its published links.

    The journal is ``journal_path``, else the campaign's default one; the results sheet is
    the campaign itself when it has result columns, else ``<campaign>.results.<ext>``
    beside it when there is one. A journal or results sheet that cannot be read is left
    out (the page then shows the plan only)."""
    campaign = report.campaign
    journal = journal_path or default_journal_path(Path(campaign.path))
    try:
        records = journal_records(report.planned, read_entries(journal), read_post_states(journal))
    except sqlite3.Error:
        records = {}
    if records:
        return records, journal.name
    results: Campaign | None = campaign if "result" in campaign.columns else None
    beside = default_results_path(Path(campaign.path))
    if results is None and beside != Path(campaign.path) and beside.is_file():
        try:
            results = load_campaign(beside, sheet=campaign.sheet_name)
        except BulkSchedulerError:
            results = None
    records = sheet_records(report.planned, results)
    return records, (Path(results.path).name if records and results is not None else None)


def calendar_of(
    report: ValidationReport,
    *,
    planned_zone: str | None = None,
    view_zone: str | None = None,
    min_gap: timedelta = DEFAULT_MIN_GAP,
    journal_path: Path | None = None,
    now: datetime | None = None,
) -> CalendarPage:
    """The page of a validated campaign, with what its journal or results sheet recorded.

    Times show in ``view_zone``, else ``planned_zone`` (the zone the campaign was planned
    in: ``--timezone``, or the one its journal remembers), else the zone most rows name,
    else UTC."""
    zone, name, note = page_zone(view_zone, planned_zone, report.campaign.rows)
    records, source = post_records(report, journal_path)
    return build_calendar(
        report.campaign,
        report.planned,
        report.file_issues,
        zone,
        name,
        zone_note=note,
        min_gap=min_gap,
        records=records,
        records_from=source,
        now=now,
    )


def write_page(page: CalendarPage, path: Path) -> Path:
    """Write the page to ``path`` atomically (a failed write leaves the old file)."""
    html = render_page(page).encode("utf-8")

    def write(handle: IO[bytes]) -> None:
        handle.write(html)

    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(path, write)


def write_calendar(
    report: ValidationReport,
    path: Path,
    *,
    planned_zone: str | None = None,
    view_zone: str | None = None,
    min_gap: timedelta = DEFAULT_MIN_GAP,
    journal_path: Path | None = None,
) -> CalendarPage:
    """Build the calendar of ``report`` (see :func:`calendar_of`) and write it to ``path``."""
    page = calendar_of(
        report,
        planned_zone=planned_zone,
        view_zone=view_zone,
        min_gap=min_gap,
        journal_path=journal_path,
    )
    write_page(page, path)
    return page
