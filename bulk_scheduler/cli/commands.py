"""The command line: parses options, rejects bad combinations, calls the library.

It is the only module that knows about terminals, prompts and exit codes.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

import click

from bulk_scheduler import __version__, event_loop
from bulk_scheduler.api.contract import API_KEY_ENV, BASE_URL_ENV
from bulk_scheduler.checks.planner import PlanOptions
from bulk_scheduler.checks.schedule import check_timezone
from bulk_scheduler.cli.exit_status import ExitStatus
from bulk_scheduler.errors import (
    ApiError,
    BulkSchedulerError,
    CampaignInvalidError,
    ConfigurationError,
)
from bulk_scheduler.sheet.read_options import ReadOptions

if TYPE_CHECKING:  # the HTTP side is imported only by the commands that go online
    from bulk_scheduler.api.client import ApiKey
    from bulk_scheduler.launch.choices import PlanningChoices
    from bulk_scheduler.launch.dry_run import ValidationReport

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Failure(click.ClickException):
    """A one-line error with a documented exit status."""

    def __init__(self, message: str, status: ExitStatus) -> None:
        super().__init__(message)
        self.exit_code = int(status)

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def fail(message: str, status: ExitStatus = ExitStatus.BAD_INPUT) -> NoReturn:
    raise Failure(message, status)


# -- shared option sets --------------------------------------------------------------


def api_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option(
                "--base-url",
                metavar="URL",
                help=f"API base URL (default ${BASE_URL_ENV}, else the production URL).",
            ),
            click.option(
                "--sandbox",
                is_flag=True,
                help="Run against an in-process sandbox (a local simulated API).",
            ),
            click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout."),
            click.option("--quiet", "-q", is_flag=True, help="No progress bar or chatter."),
        ]
    ):
        func = option(func)
    return func


# --results and --journal: where a campaign's record is kept, for the commands that read
# or write it (run, status, cancel; calendar reads the journal only).
results_option = click.option(
    "--results",
    "results_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the results sheet (default <campaign>.results.<ext>).",
)
journal_option = click.option(
    "--journal",
    "journal_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The campaign's journal (default .bulk_scheduler/<campaign>.journal.sqlite beside it).",
)


def record_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--results`` and ``--journal``, handed over as ``results_path`` and ``journal_path``."""
    return results_option(journal_option(func))


@dataclass(frozen=True, slots=True)
class CampaignInput:
    """The campaign file and how to read it: what every campaign command shares."""

    path: Path
    sheet: str | None
    plan: PlanOptions
    media_check: bool
    max_rows: int
    max_file_mb: int
    media_dir: Path | None = None
    reading: ReadOptions = field(default_factory=ReadOptions)


def campaign_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The campaign argument and its reading options, handed over as ``source``."""

    @functools.wraps(func)
    def with_source(
        *args: Any,
        campaign: Path,
        sheet: str | None,
        timezone_name: str | None,
        default_accounts: str | None,
        date_format: str | None,
        no_media_check: bool,
        max_file_mb: int,
        max_rows: int,
        media_dir: Path | None,
        groups_path: Path | None,
        slots: str | None,
        start: str | None,
        header_row: int | None,
        encoding: str | None,
        include_hidden: bool,
        **kwargs: Any,
    ) -> Any:
        plan = _plan_options(timezone_name, default_accounts, date_format)
        source = CampaignInput(
            path=campaign,
            sheet=sheet,
            plan=_queue_options(plan, groups_path, slots, start),
            media_check=not no_media_check,
            max_rows=max_rows,
            max_file_mb=max_file_mb,
            media_dir=media_dir,
            reading=_read_options(header_row, encoding, include_hidden),
        )
        return func(*args, source=source, **kwargs)

    for option in reversed(
        [
            click.argument("campaign", type=click.Path(path_type=Path, dir_okay=False)),
            click.option(
                "--sheet",
                metavar="NAME",
                help="Workbook tab to read (default: the first with the campaign's columns).",
            ),
            click.option(
                "--timezone",
                "timezone_name",
                metavar="ZONE",
                help="IANA zone for times written without an offset, e.g. Europe/Paris.",
            ),
            click.option(
                "--accounts",
                "default_accounts",
                metavar="LIST",
                help="Accounts for rows that name none (ids, @username, platform:username).",
            ),
            click.option(
                "--date-format",
                type=click.Choice(["dmy", "mdy"]),
                help="Day/month order for dates like 03/04/2031.",
            ),
            click.option(
                "--no-media-check",
                is_flag=True,
                help="Do not probe media URLs (reachability, format, size, duration).",
            ),
            click.option(
                "--max-file-mb",
                type=click.IntRange(min=1),
                default=200,
                show_default=True,
                help="Refuse campaign files larger than this many megabytes.",
            ),
            click.option(
                "--max-rows",
                type=click.IntRange(min=1),
                default=200_000,
                show_default=True,
                help="Refuse campaigns with more data rows than this.",
            ),
            click.option(
                "--media-dir",
                type=click.Path(path_type=Path, file_okay=False, exists=True),
                help="Folder for relative media file paths (default: the campaign's folder).",
            ),
            click.option(
                "--groups",
                "groups_path",
                type=click.Path(path_type=Path, dir_okay=False),
                help="Account groups (CSV/XLSX: group, accounts) for #group in the accounts "
                "column (default: the workbook's groups tab).",
            ),
            click.option(
                "--slots",
                metavar="SLOTS",
                help='Posting slots for rows with a blank scheduled_at, e.g. "Mon-Fri '
                '09:00,18:00; Sat 11:00" (in --timezone).',
            ),
            click.option(
                "--start",
                metavar="DATE",
                help="First day of the posting slots, YYYY-MM-DD (default: now, kept for re-runs).",
            ),
            click.option(
                "--header-row",
                type=click.IntRange(min=1),
                metavar="N",
                help="The row holding the column names (default: found in the first 30 rows).",
            ),
            click.option(
                "--encoding",
                metavar="NAME",
                help="Encoding of a CSV, e.g. windows-1252 (default: UTF-8, else detected).",
            ),
            click.option(
                "--include-hidden",
                is_flag=True,
                help="Also send the rows the workbook hides (by hand or with a filter).",
            ),
        ]
    ):
        with_source = option(with_source)
    return with_source


def _queue_options(
    plan: PlanOptions, groups_path: Path | None, slots: str | None, start: str | None
) -> PlanOptions:
    """``plan`` with ``--groups`` (read here), ``--slots`` and ``--start``."""
    from bulk_scheduler.checks.slots import SlotSyntaxError, parse_slots, parse_start

    if start is not None and slots is None:
        fail("--start: give --slots too; --start is the first day of the posting slots")
    if slots is not None:
        try:
            plan = replace(plan, slots=parse_slots(slots))
        except SlotSyntaxError as exc:
            fail(f"--slots: {exc}")
    if start is not None:
        try:
            plan = replace(plan, slots_start=parse_start(start))
        except ValueError as exc:
            fail(f"--start: {exc}")
    if groups_path is not None:
        from bulk_scheduler.sheet.groups import read_groups_file

        try:
            plan = replace(plan, groups=read_groups_file(groups_path))
        except BulkSchedulerError as exc:
            fail(f"--groups: {exc}")
    return plan


def _read_options(
    header_row: int | None, encoding: str | None, include_hidden: bool
) -> ReadOptions:
    from bulk_scheduler.sheet.csv_encoding import check_encoding

    codec = None
    if encoding is not None:
        try:
            codec = check_encoding(encoding)
        except ValueError as exc:
            fail(f"--encoding: {exc}")
    return ReadOptions(header_row=header_row, encoding=codec, include_hidden=include_hidden)


def _plan_options(timezone_name: str | None, default_accounts: str | None, date_format):
    if timezone_name:
        try:
            check_timezone(timezone_name)
        except ValueError as exc:
            fail(f"--timezone: {exc}")
    accounts: tuple[str, ...] = ()
    if default_accounts:
        accounts = tuple(
            token.strip()
            for token in default_accounts.replace(";", ",").replace("\n", ",").split(",")
            if token.strip()
        )
    return PlanOptions(timezone=timezone_name, default_accounts=accounts, date_format=date_format)


@contextlib.contextmanager
def api_endpoint(
    sandbox: bool, base_url: str | None, *, resolve: bool = True
) -> Iterator[tuple[ApiKey | None, str | None]]:
    """The key and base URL to use: an in-process sandbox, or the configured API.

    With ``resolve`` false the configured ones are left for the library to resolve
    (after it has read the campaign, so a bad file is named before a missing key)."""
    if not sandbox and not resolve:
        yield None, base_url
        return
    from bulk_scheduler.api.client import ApiKey, resolve_base_url

    if sandbox:
        if base_url:
            fail("use just one of --sandbox or --base-url")
        from bulk_scheduler.sandbox.server import SandboxServer

        with SandboxServer() as server:
            yield ApiKey(server.api_key), server.base_url
        return
    try:
        url = resolve_base_url(base_url)
        key = ApiKey.from_env()
    except ConfigurationError as exc:
        fail(str(exc))
    yield key, url


def _accounts(key: ApiKey | None, url: str | None) -> list[Any]:
    """``GET /accounts``, or exit 3 with one line when the API refuses or is not reached."""
    from bulk_scheduler.launch.workspace import fetch_accounts

    assert key is not None and url is not None
    try:
        return event_loop.run(fetch_accounts(key, url))
    except ApiError as exc:
        fail(str(exc), ExitStatus.FATAL_API)


def _leave_at_once() -> None:
    """A second Ctrl-C: one line, then exit without waiting for requests in flight."""
    click.echo(
        "Stopped at once. Every row sent so far is in the journal: run the same command "
        "again to resume and write the results sheet.",
        err=True,
    )
    os._exit(int(ExitStatus.INTERRUPTED))


def _zone(name: str | None) -> Any:
    """The zone to show times in: ``--timezone`` (checked already), else UTC."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    return ZoneInfo(name) if name else UTC


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


REPORT_SUFFIXES = (".csv", ".xlsx", ".json", ".html")


def _dry_run(
    source: CampaignInput,
    base_url: str | None,
    sandbox: bool,
    offline: bool,
    quiet: bool,
    journal: Path | None = None,
) -> tuple[ValidationReport, PlanningChoices, str | None]:
    """The dry run ``validate`` and ``calendar`` make: online when a key is set (or with
    ``--sandbox``), unless ``--offline``. Returns the report, the planning choices used
    (with those an earlier run of the campaign kept) and a note for the user, if any."""
    from bulk_scheduler.cli.progress import ProbeBar
    from bulk_scheduler.launch.choices import PlanningChoices
    from bulk_scheduler.launch.dry_run import validate_campaign
    from bulk_scheduler.launch.journal import default_journal_path

    online = not offline and (sandbox or bool(os.environ.get(API_KEY_ENV)))
    note = None
    if not online and not offline:
        note = f"note: {API_KEY_ENV} is not set, so accounts and media were checked offline only"
    probe_bar = ProbeBar(enabled=not quiet and sys.stderr.isatty())
    # Plan as run would: with the options an earlier run of this campaign kept.
    try:
        choices = PlanningChoices(
            source.plan, source.sheet, reading=source.reading, media_dir=source.media_dir
        ).with_remembered(journal or default_journal_path(source.path))
    except BulkSchedulerError as exc:
        fail(str(exc))
    if (reused := choices.note()) is not None and not quiet:
        click.echo(f"note: {reused}", err=True)
    with api_endpoint(sandbox, base_url, resolve=False) as (key, url):
        try:
            report = validate_campaign(
                source.path,
                choices.options,
                sheet=choices.sheet,
                reading=choices.reading,
                max_rows=source.max_rows,
                max_bytes=source.max_file_mb * 1024 * 1024,
                api_key=(key or os.environ.get(API_KEY_ENV)) if online else None,
                base_url=url,
                media_check=source.media_check,
                media_progress=probe_bar.update,
                media_dir=choices.media_dir,
            )
        except ApiError as exc:  # the key was refused, or the API not reached
            fail(str(exc), ExitStatus.FATAL_API)
        except BulkSchedulerError as exc:
            fail(str(exc))
        finally:
            probe_bar.close()
    return report, choices, note


# -- commands ------------------------------------------------------------------------


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="bulk-scheduler")
def cli() -> None:
    """Schedule social-media campaigns from a spreadsheet through the Genviral Partner API.

    The API key is read from the GENVIRAL_API_KEY environment variable.
    """


@cli.command()
@campaign_options
@api_options
@click.option("--offline", is_flag=True, help="Check without calling the API.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the issues to a .csv, .xlsx or .json file (.html: the calendar page).",
)
@click.option(
    "--payloads",
    "payloads_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the exact bodies run would send, one JSON line per valid row.",
)
@click.option(
    "--annotate",
    "annotate_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a copy of the sheet (.xlsx) with the problem cells filled and noted.",
)
@click.option("--errors-only", is_flag=True, help="Print the errors only, no warnings.")
@click.option("--all", "show_all", is_flag=True, help="Print the warnings too (folded by default).")
def validate(
    source: CampaignInput,
    base_url: str | None,
    sandbox: bool,
    as_json: bool,
    quiet: bool,
    offline: bool,
    report_path: Path | None,
    payloads_path: Path | None,
    annotate_path: Path | None,
    errors_only: bool,
    show_all: bool,
) -> None:
    """Dry run: load, plan and check every row of CAMPAIGN; nothing is posted."""
    from bulk_scheduler.cli.render import render_issues
    from bulk_scheduler.sheet.issue_report import write_payloads, write_report
    from bulk_scheduler.sheet.results import check_writable

    if offline and sandbox:
        fail("use just one of --offline or --sandbox")
    if errors_only and show_all:
        fail("use just one of --errors-only or --all")
    if report_path and report_path.suffix.lower() not in REPORT_SUFFIXES:
        fail(f"--report {report_path.name}: use a .csv, .xlsx, .json or .html file")
    if annotate_path is not None:
        if annotate_path.suffix.lower() != ".xlsx":
            fail(f"--annotate {annotate_path.name}: use an .xlsx file")
        if annotate_path.resolve() == source.path.resolve():
            fail(
                f"--annotate {annotate_path.name}: that is the campaign file itself; name "
                "another file (the annotated copy never replaces your sheet)"
            )
    for option, path in (
        ("--report", report_path),
        ("--payloads", payloads_path),
        ("--annotate", annotate_path),
    ):
        if path is not None:
            try:
                check_writable(path, what=f"{option} file")
            except ConfigurationError as exc:
                fail(str(exc))
    report, choices, note = _dry_run(source, base_url, sandbox, offline, quiet)
    if report_path and report_path.suffix.lower() == ".html":
        from bulk_scheduler.launch.calendar_page import write_calendar

        write_calendar(report, report_path, planned_zone=choices.options.timezone)
    elif report_path:
        write_report(report, report_path)
    if payloads_path:
        write_payloads(report, payloads_path)
    if annotate_path:
        from bulk_scheduler.sheet.annotated import write_annotated

        try:
            write_annotated(report.campaign, report.issues, annotate_path)
        except ConfigurationError as exc:
            fail(str(exc))
        if not quiet and not as_json:
            click.echo(f"Annotated copy: {annotate_path}", err=True)
    if as_json:
        _print_json(report.to_json())
    else:
        show = "errors" if errors_only else "all" if show_all else "default"
        click.echo(render_issues(report, show=show, zone=_zone(choices.options.timezone)))
        if note and not quiet:
            click.echo(note, err=True)
    sys.exit(int(ExitStatus.ROWS_FAILED if report.error_count else ExitStatus.OK))


@cli.command()
@campaign_options
@api_options
@click.option("--offline", is_flag=True, help="Check without calling the API.")
@click.option(
    "--output",
    "-o",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The page to write (default <campaign>.calendar.html beside the campaign).",
)
@click.option(
    "--view-timezone",
    "view_zone",
    metavar="ZONE",
    help="Show the times in this IANA zone (default: the campaign's --timezone).",
)
@click.option(
    "--min-gap",
    default="1h",
    show_default=True,
    metavar="DURATION",
    help="Mark two posts on one account closer than this (90m, 1h30m; 0: never).",
)
@journal_option
def calendar(
    source: CampaignInput,
    base_url: str | None,
    sandbox: bool,
    as_json: bool,
    quiet: bool,
    offline: bool,
    out: Path | None,
    view_zone: str | None,
    min_gap: str,
    journal_path: Path | None,
) -> None:
    """Write the calendar page of CAMPAIGN: one HTML file to open in a browser.

    Week by week in the campaign's time zone, a card per row (time, accounts, media,
    caption, row, issues) and, once the campaign has run, each post's status from its
    journal or results sheet. Rows with no time or an unreadable one get lanes of their
    own. Checks the rows as validate does (online when GENVIRAL_API_KEY is set).
    """
    from bulk_scheduler.cli.render import render_calendar_summary
    from bulk_scheduler.launch.calendar import parse_duration
    from bulk_scheduler.launch.calendar_page import default_calendar_path, write_calendar
    from bulk_scheduler.sheet.results import check_writable

    if offline and sandbox:
        fail("use just one of --offline or --sandbox")
    try:
        gap = parse_duration(min_gap)
    except ValueError as exc:
        fail(f"--min-gap: {exc}")
    if view_zone:
        try:
            check_timezone(view_zone)
        except ValueError as exc:
            fail(f"--view-timezone: {exc}")
    if journal_path is not None and not journal_path.is_file():
        fail(f"--journal {journal_path}: no such file")
    target = out or default_calendar_path(source.path)
    if target.suffix.lower() not in (".html", ".htm"):
        fail(f"--output {target.name}: the calendar is written as a .html file")
    try:
        check_writable(target, what="calendar page")
    except ConfigurationError as exc:
        fail(str(exc))
    report, choices, note = _dry_run(source, base_url, sandbox, offline, quiet, journal_path)
    page = write_calendar(
        report,
        target,
        planned_zone=choices.options.timezone,
        view_zone=view_zone,
        min_gap=gap,
        journal_path=journal_path,
    )
    summary = page.summary()
    if as_json:
        _print_json({"path": str(target), **summary})
        return
    if not quiet:
        click.echo(render_calendar_summary(target, summary))
        if note:
            click.echo(note, err=True)


@cli.command()
@campaign_options
@api_options
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--skip-invalid", is_flag=True, help="Send the valid rows even if some rows are invalid."
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Requests in flight at most.",
)
@click.option(
    "--rate", type=click.FloatRange(min=0.1), help="Requests per minute at most (default: no cap)."
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1, 20),
    default=5,
    show_default=True,
    help="Attempts per row for 5xx and network errors (429s do not count).",
)
@click.option(
    "--upload-concurrency",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Local media files uploaded at once.",
)
@click.option(
    "--only",
    type=click.Choice(["create", "update", "retry"]),
    help="Apply only this part of the plan (creates, updates or retries).",
)
@record_options
def run(
    source: CampaignInput,
    base_url: str | None,
    sandbox: bool,
    as_json: bool,
    quiet: bool,
    yes: bool,
    skip_invalid: bool,
    concurrency: int,
    rate: float | None,
    max_attempts: int,
    results_path: Path | None,
    upload_concurrency: int,
    journal_path: Path | None,
    only: str | None,
) -> None:
    """Validate CAMPAIGN, show the plan, schedule every valid row, write the results sheet.

    Every row is journalled before it is sent, so running the same command again after a
    crash or Ctrl-C resumes: done rows are skipped, unanswered ones are safely re-sent.
    Once posts exist, the plan is the whole difference between the sheet and the API:
    rows to create, posts to update (PATCH of the changed fields only), posts to retry
    after a publish failure (their failed accounts only), and rows unchanged.
    """
    from bulk_scheduler.cli.progress import ProbeBar, Progress, UploadBar
    from bulk_scheduler.cli.render import render_issues, render_plan, render_run
    from bulk_scheduler.launch.executor import ExecutorOptions
    from bulk_scheduler.launch.orchestrator import LaunchPlan, RunHooks, local_zone, run_campaign

    campaign = source.path
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if not yes and not interactive:
        fail("no terminal to confirm on: pass --yes to launch without confirmation")
    if results_path:
        workbooks = (".xlsx", ".xlsm", ".xls", ".ods")
        wanted = ".xlsx" if campaign.suffix.lower() in workbooks else campaign.suffix
        if results_path.suffix.lower() != wanted.lower():
            fail(f"--results {results_path.name}: use the campaign's format ({wanted})")
    bars = not quiet and sys.stderr.isatty()
    probe_bar = ProbeBar(enabled=bars)
    upload_bar = UploadBar(enabled=bars)
    progress: list[Progress] = []

    plan_parts: list[dict[str, Any]] = []

    def show_plan(plan: LaunchPlan) -> None:
        plan_parts.append(plan.parts())
        probe_bar.close()
        if not quiet:
            click.echo(render_plan(plan, local_zone(source.plan, plan)), err=as_json)
        progress.append(Progress(total=len(plan.to_send), enabled=bars))

    def confirm(plan: LaunchPlan) -> bool:
        if click.confirm("Launch?", default=False, err=True):
            return True
        click.echo("Not launched.", err=True)
        return False

    hooks = RunHooks(
        notice=lambda line: click.echo(line, err=True),
        media_progress=probe_bar.update,
        upload_progress=upload_bar.update,
        plan=show_plan,
        confirm=None if yes else confirm,
        outcome=lambda outcome: progress[-1].update(outcome),
        stop_on_signals=True,
        second_signal=_leave_at_once,
    )
    executor = ExecutorOptions(
        concurrency=concurrency, rate_per_minute=rate, max_attempts=max_attempts
    )
    with api_endpoint(sandbox, base_url, resolve=False) as (key, url):
        try:
            run_report = run_campaign(
                campaign,
                plan_options=source.plan,
                executor_options=executor,
                api_key=key,
                base_url=url,
                sheet=source.sheet,
                reading=source.reading,
                results_path=results_path,
                skip_invalid=skip_invalid,
                journal_path=journal_path,
                journal_in_memory=sandbox,
                media_check=source.media_check,
                max_rows=source.max_rows,
                max_bytes=source.max_file_mb * 1024 * 1024,
                hooks=hooks,
                media_dir=source.media_dir,
                upload_concurrency=upload_concurrency,
                only=only,
            )
        except CampaignInvalidError as exc:
            report = cast("ValidationReport", exc.report)
            click.echo(render_issues(report), err=as_json)
            if as_json:
                _print_json({"launched": False, **report.to_json()})
            click.echo(
                "Not launched: fix the errors above, "
                "or pass --skip-invalid to send the valid rows.",
                err=True,
            )
            sys.exit(int(ExitStatus.ROWS_FAILED))
        except ApiError as exc:  # the key was refused, or the API not reached: nothing sent
            fail(str(exc), ExitStatus.FATAL_API)
        except BulkSchedulerError as exc:
            fail(str(exc))
        finally:
            probe_bar.close()
            upload_bar.close()
            for bar in progress:
                bar.close()
    if not run_report.launched:
        sys.exit(int(ExitStatus.OK))
    if as_json:
        _print_json({**run_report.summary(), "plan": plan_parts[-1] if plan_parts else None})
    elif not quiet:
        click.echo(render_run(run_report))
    if run_report.results_problem:
        click.echo(f"Warning: {run_report.results_problem}", err=True)
    if run_report.fatal:
        click.echo(f"Error: {run_report.fatal}", err=True)
        sys.exit(int(ExitStatus.FATAL_API))
    if run_report.interrupted:
        click.echo(
            f"Interrupted: run the same command again to resume ({run_report.results_path}).",
            err=True,
        )
        sys.exit(int(ExitStatus.INTERRUPTED))
    clean = run_report.all_done and not run_report.results_problem
    sys.exit(int(ExitStatus.OK if clean else ExitStatus.ROWS_FAILED))


@cli.command()
@api_options
def accounts(base_url: str | None, sandbox: bool, as_json: bool, quiet: bool) -> None:
    """List the workspace's accounts (id, platform, type, username, status)."""
    with api_endpoint(sandbox, base_url) as (key, url):
        found = _accounts(key, url)
    if as_json:
        _print_json([a.model_dump(mode="json", exclude_none=True) for a in found])
        return
    rows = [
        (
            a.id,
            a.platform,
            a.type,
            "@" + a.username if a.username else "-",
            a.display_name or "-",
            a.status or "-",
            str(a.caption_limit()),
        )
        for a in found
    ]
    header = ("id", "platform", "type", "username", "display name", "status", "caption limit")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def template(out: Path, force: bool) -> None:
    """Write a blank campaign template to OUT (.xlsx or .csv).

    Its example rows can never be posted by mistake. In the XLSX, the first tab (Campaign,
    the one validate and run read) holds only the header, and the examples are on the
    Examples tab: copy the rows you want to the Campaign tab. In the CSV, each example is
    marked yes in the example column, an error (example-row) until the marker is cleared.
    """
    from bulk_scheduler.sheet.template import write_template

    if out.suffix.lower() not in (".xlsx", ".csv"):
        fail(f"{out.name}: the template is written as .xlsx or .csv")
    if out.exists() and not force:
        fail(f"{out} exists: pass --force to overwrite it")
    write_template(out)
    click.echo(f"Wrote {out}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True)
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, help="Added latency.")
@click.option("--jitter-ms", type=click.FloatRange(min=0), default=0.0, help="Latency jitter.")
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0.0, help="Share of 500s.")
@click.option("--rate-limit", type=click.IntRange(min=1), help="Requests per minute, then 429.")
@click.option("--retry-after", is_flag=True, help="Send Retry-After with 429s.")
@click.option(
    "--drop-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Share of creates whose connection drops after the post is stored.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the fault knobs.")
@click.option(
    "--publish-fail-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Share of accounts that fail when the publisher delivers a due post.",
)
@click.option(
    "--publish-fail-message",
    default=None,
    metavar="TEXT",
    help="The error_message of an account that failed to publish.",
)
def sandbox(
    host: str,
    port: int,
    latency_ms: float,
    jitter_ms: float,
    error_rate: float,
    rate_limit: int | None,
    retry_after: bool,
    drop_rate: float,
    seed: int,
    publish_fail_rate: float,
    publish_fail_message: str | None,
) -> None:
    """Serve the local simulated Partner API (loopback only).

    It prints its base URL, the key it accepts and the seeded accounts. Beside the API, at
    the server's root, four control endpoints answer plain JSON (not the API's envelope);
    they need no key and are not delayed, rate-limited or counted.

    \b
    GET /__sandbox/stats returns what the sandbox saw since it started or was
    last reset:
      posts_total: posts stored now
      posts_by_external_id: posts created per external_id (2 or more: doubled)
      create_requests_by_external_id: POST /posts requests per external_id
      create_requests: POST /posts requests past the key and rate-limit checks
      requests_total: API requests, refused ones included
      max_in_flight, in_flight: API requests handled at once (the most, now)
      connections_dropped: creates cut on purpose (drop_rate)
      responses_by_status: answers per HTTP status, e.g. {"201": 4, "429": 2}
      requests_by_route: API requests per route, e.g. {"PATCH /posts/{id}": 3}
      updates_by_external_id: PATCH /posts/{id} requests per external_id
      retried_accounts: accounts re-queued by POST /posts/retry, per
        "post_id:account_id"
      deleted_posts: posts deleted by POST /posts/delete
      posts_by_status: posts stored now, per status
      now: the sandbox's clock (moved ahead by POST /__sandbox/publish)
    Example:
      $ curl -s http://127.0.0.1:8787/__sandbox/stats
      {"posts_total":4,"posts_by_external_id":{"spring-drop-01":1,...},...}

    \b
    POST /__sandbox/reset accepts no body. It forgets every post, zeroes the
    counters, restarts the random draws and refills the rate limit (accounts
    and faults stay), and returns {"ok": true}. Example:
      $ curl -s -X POST http://127.0.0.1:8787/__sandbox/reset
      {"ok":true}

    \b
    POST /__sandbox/faults accepts a JSON object of the fault fields to change
    (the others keep their values; {} changes none):
      latency_ms: milliseconds added before each API answer (--latency-ms)
      latency_jitter_ms: up to this many more or fewer, drawn (--jitter-ms)
      error_rate: share of creates answered 500 (--error-rate)
      rate_limit: requests per minute, then 429; null: none (--rate-limit)
      rate_limit_burst_seconds: a burst may use this many seconds' worth (2)
      retry_after: send Retry-After with 429s (--retry-after)
      drop_rate: share of creates cut after the post is stored (--drop-rate)
      seed: seed of the random draws; setting it restarts them (--seed)
      fetch_loopback_media: check that loopback media URLs answer 2xx (true)
      publish_fail_rate: share of accounts failing to publish (0)
      publish_fail_message: their error_message (--publish-fail-message)
      update_drop_rate: share of edits cut after they are applied (0)
    It returns {"ok": true, "faults": {...}}, every fault field's value now;
    an unknown field or a bad value returns 400 {"ok": false, "message": ...}
    and changes nothing. Example:
      $ curl -s -X POST http://127.0.0.1:8787/__sandbox/faults \\
          -H 'Content-Type: application/json' -d '{"error_rate": 0.2}'
      {"ok":true,"faults":{"drop_rate":0.0,"error_rate":0.2,...,"seed":0}}

    \b
    POST /__sandbox/publish is the publisher. It accepts an optional JSON
    object {"advance_seconds": N}: the sandbox's clock moves N seconds ahead
    (so posts scheduled for next month can publish now), then every due post
    (pending, retry, or scheduled at or before the sandbox's time) is
    delivered account by account: posted with a published_url, or failed
    (publish_fail_rate), making the post posted, failed or partial. It
    returns {"ok": true, "now": ..., "posted": n, "failed": n, "partial": n}.
    Example:
      $ curl -s -X POST http://127.0.0.1:8787/__sandbox/publish \\
          -H 'Content-Type: application/json' -d '{"advance_seconds": 86400}'

    The README's "The sandbox" section shows the answers in full.
    """
    from bulk_scheduler.sandbox.config import SandboxConfig
    from bulk_scheduler.sandbox.server import describe, serve

    config = SandboxConfig(
        latency_ms=latency_ms,
        latency_jitter_ms=jitter_ms,
        error_rate=error_rate,
        rate_limit=rate_limit,
        retry_after=retry_after,
        drop_rate=drop_rate,
        seed=seed,
        publish_fail_rate=publish_fail_rate,
        **({"publish_fail_message": publish_fail_message} if publish_fail_message else {}),
    )

    def ready(base_url: str) -> None:
        click.echo(describe(base_url, config.api_key))
        click.echo("Ctrl-C to stop.")

    try:
        serve(config, host=host, port=port, on_ready=ready)
    except ValueError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}")


def _confirm_or_yes(yes: bool) -> None:
    if not yes and not (sys.stdin.isatty() and sys.stdout.isatty()):
        fail("no terminal to confirm on: pass --yes to go ahead without confirmation")


@cli.command()
@campaign_options
@api_options
@click.option(
    "--watch",
    is_flag=True,
    help="Keep refreshing (every --interval seconds) until every post is final, or Ctrl-C.",
)
@click.option(
    "--interval",
    type=click.IntRange(min=10),
    default=60,
    show_default=True,
    help="Seconds between refreshes with --watch (at least 10: polite to the API).",
)
@record_options
def status(
    source: CampaignInput,
    base_url: str | None,
    sandbox: bool,
    as_json: bool,
    quiet: bool,
    watch: bool,
    interval: int,
    results_path: Path | None,
    journal_path: Path | None,
) -> None:
    """Refresh every row of CAMPAIGN that has a post, and write it to the results sheet.

    Each row gets its post's status, every account's delivery ("@brand posted; @brandhq
    failed: <message>"), the published URLs and when they were checked. Posts are read
    many at a time (GET /posts over the creation times the journal knows). Exits 0 when
    every post is posted or canceled, 1 when some failed or are not final yet.
    """
    import time

    from bulk_scheduler.cli.render import render_status
    from bulk_scheduler.launch.lifecycle import StatusReport, refresh_status

    if sandbox:
        fail("status needs the API that holds the posts: use --base-url or GENVIRAL_BASE_URL")

    def refresh() -> StatusReport:
        try:
            return refresh_status(
                source.path,
                plan_options=source.plan,
                base_url=base_url,
                sheet=source.sheet,
                results_path=results_path,
                journal_path=journal_path,
                max_rows=source.max_rows,
                max_bytes=source.max_file_mb * 1024 * 1024,
                reading=source.reading,
                media_dir=source.media_dir,
            )
        except ApiError as exc:
            fail(str(exc), ExitStatus.FATAL_API)
        except BulkSchedulerError as exc:
            fail(str(exc))

    report = refresh()
    while True:
        if as_json:
            _print_json(report.summary())
        elif not quiet or not watch:
            if watch and sys.stdout.isatty():
                click.clear()
            click.echo(render_status(report, rows=not quiet))
        if report.results_problem:
            click.echo(f"Warning: {report.results_problem}", err=True)
        if not watch or report.all_final:
            break
        try:  # Ctrl-C right after the line is read is caught too
            if not as_json:
                click.echo(f"Next refresh in {interval} s (Ctrl-C to stop).", err=True)
            time.sleep(interval)
        except KeyboardInterrupt:
            click.echo("Stopped watching.", err=True)
            sys.exit(int(ExitStatus.INTERRUPTED))
        report = refresh()
    settled = all(r.status in ("posted", "canceled") for r in report.rows)
    sys.exit(int(ExitStatus.OK if settled else ExitStatus.ROWS_FAILED))


@cli.command()
@campaign_options
@api_options
@click.option("--rows", "rows", metavar="LIST", help="Sheet rows to cancel, e.g. 5-9,12.")
@click.option(
    "--external-id", "external_ids", multiple=True, metavar="ID", help="A row's external_id."
)
@click.option(
    "--status",
    "post_status",
    type=click.Choice(["draft", "pending", "scheduled", "retry", "failed"]),
    help="Rows whose post has this status now.",
)
@click.option("--all", "all_rows", is_flag=True, help="Every row that has a post.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@record_options
def cancel(
    source: CampaignInput,
    base_url: str | None,
    sandbox: bool,
    as_json: bool,
    quiet: bool,
    rows: str | None,
    external_ids: tuple[str, ...],
    post_status: str | None,
    all_rows: bool,
    yes: bool,
    results_path: Path | None,
    journal_path: Path | None,
) -> None:
    """Cancel (delete) the posts of chosen rows of CAMPAIGN.

    Choose rows with --rows, --external-id, --status or --all (together they narrow each
    other). Each row ends canceled, or says why it could not be: blocked by its status
    (posted, partial) or not found. A canceled row is never re-created by a later run
    unless you clear its result cell in the results sheet.
    """
    from bulk_scheduler.cli.render import render_cancel, render_cancel_plan
    from bulk_scheduler.launch.lifecycle import CancelPlan, cancel_posts

    if sandbox:
        fail("cancel needs the API that holds the posts: use --base-url or GENVIRAL_BASE_URL")
    if not (rows or external_ids or post_status or all_rows):
        fail("choose the rows to cancel: --rows 5-9,12, --external-id ID, --status STATUS or --all")
    _confirm_or_yes(yes)

    def confirm(plan: CancelPlan) -> bool:
        if not quiet or not yes:
            click.echo(render_cancel_plan(plan), err=as_json)
        if yes:
            return True
        if click.confirm("Cancel these posts?", default=False, err=True):
            return True
        click.echo("Nothing was canceled.", err=True)
        return False

    try:
        report = cancel_posts(
            source.path,
            rows=rows,
            external_ids=external_ids or None,
            status=post_status,
            all_rows=all_rows,
            confirm=confirm,
            plan_options=source.plan,
            base_url=base_url,
            sheet=source.sheet,
            results_path=results_path,
            journal_path=journal_path,
            max_rows=source.max_rows,
            max_bytes=source.max_file_mb * 1024 * 1024,
            reading=source.reading,
            media_dir=source.media_dir,
        )
    except ApiError as exc:
        fail(str(exc), ExitStatus.FATAL_API)
    except BulkSchedulerError as exc:
        fail(str(exc))
    if as_json:
        _print_json(report.summary())
    elif not quiet:
        click.echo(render_cancel(report))
    if report.results_problem:
        click.echo(f"Warning: {report.results_problem}", err=True)
    if not report.launched:
        sys.exit(int(ExitStatus.OK))
    failed = any(r.outcome not in ("canceled", "already_canceled") for r in report.results)
    sys.exit(int(ExitStatus.ROWS_FAILED if failed else ExitStatus.OK))


def main() -> None:
    """Console entry point: a one-line error and a documented exit code, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except Failure as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(int(ExitStatus.INTERRUPTED))
    except click.ClickException as exc:
        exc.show()
        sys.exit(int(ExitStatus.BAD_INPUT))
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BulkSchedulerError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(int(ExitStatus.BAD_INPUT))
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(int(ExitStatus.INTERRUPTED))


__all__ = ["cli", "main"]
