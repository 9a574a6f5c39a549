"""The text a person reads: a validation report, the launch plan, a run's summary."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a dry run renders without loading the launch (and its HTTP library)
    from bulk_scheduler.launch.dry_run import ValidationReport
    from bulk_scheduler.launch.orchestrator import LaunchPlan, RunReport

_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F] if c not in (0x0A,)}
_CONTROL[0x0A] = "\\n"


def printable(text: str | None) -> str:
    """Text for the terminal: control characters (escape sequences in a hostile sheet)
    are shown, not obeyed."""
    return (text or "").translate(_CONTROL)


def render_issues(report: ValidationReport, *, limit: int | None = None) -> str:
    """The report grouped by row: row, cell, severity, code, message; then totals."""
    campaign = report.campaign
    where = campaign.path.name + (f" (sheet {campaign.sheet_name})" if campaign.sheet_name else "")
    # How the file was read, when not the obvious way (header row, tab, encoding).
    lines: list[str] = [f"note: {printable(note)}" for note in campaign.notes]
    issues = report.issues
    shown = 0
    current: int | str | None = "start"
    for issue in issues:
        if limit is not None and shown >= limit:
            lines.append(f"… and {len(issues) - shown} more (use --report to see them all)")
            break
        if issue.row != current:
            current = issue.row
            lines.append("file" if issue.row is None else f"row {issue.row}")
        lines.append(
            f"  {printable(issue.cell) or '-':<6} {issue.severity.value:<8} {issue.code:<28} "
            f"{printable(issue.message)}"
        )
    mode = "online" if report.online else "offline"
    lines.append(
        f"{where}: {len(report.planned)} rows checked ({mode}), "
        f"{len(report.valid_rows)} ready, {len(report.invalid_rows)} with errors; "
        f"{report.error_count} error(s), {report.warning_count} warning(s)"
    )
    return "\n".join(lines)


def _when(moment: datetime | None, zone: tzinfo) -> str:
    if moment is None:
        return "-"
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M %Z").strip()


def render_plan(plan: LaunchPlan, zone: tzinfo) -> str:
    """The plan ``run`` shows before it asks for confirmation."""
    platforms = ", ".join(f"{n} {p}" for p, n in sorted(plan.accounts_per_platform.items()))
    accounts = sum(plan.accounts_per_platform.values())
    deliveries = sum(plan.deliveries_per_platform.values())
    lines = [
        f"Ready to schedule {plan.posts} post(s) to {accounts} account(s) "
        f"({deliveries} deliveries): {platforms or 'none'}.",
    ]
    if plan.api_url:
        kind = " (a sandbox on loopback)" if plan.api_is_sandbox else ""
        lines.append(f"  API:       {plan.api_url}{kind}")
    if plan.workspaces:
        lines.append(f"  workspace: {', '.join(plan.workspaces)}")
    for platform, names in plan.accounts_used.items():
        lines.append(f"  {platform + ':':<10} {', '.join(printable(n) for n in names)}")
    lines += [
        f"  first publish: {_when(plan.first_publish, zone)}",
        f"  last publish:  {_when(plan.last_publish, zone)}",
    ]
    if plan.immediate:
        lines.append(f"  {plan.immediate} post(s) have no scheduled_at and publish IMMEDIATELY")
    if plan.already_done:
        lines.append(f"  {len(plan.already_done)} row(s) already done in an earlier run: skipped")
    for planned in plan.changed:
        lines.append(
            f"  row {planned.row.row_number} ({planned.external_id}) changed after its post was "
            "created: not sent again"
        )
    if plan.invalid:
        lines.append(f"  {len(plan.invalid)} invalid row(s) will not be sent (--skip-invalid)")
    if plan.warnings:
        lines.append(f"  {plan.warnings} warning(s) on rows to send (see validate)")
    lines.extend(f"  note: {note}" for note in plan.notes)
    return "\n".join(lines)


ATTENTION_SHOWN = 20  # rows needing attention listed at the end of a run; then a count


def render_run(run: RunReport) -> str:
    """The end of a run: counts, the sheet, the rows that need attention (the first 20),
    and, last, where to look for them."""
    counts = {k: v for k, v in run.counts().items() if v}
    parts = ", ".join(f"{v} {k}" for k, v in counts.items()) or "nothing to do"
    lines = [f"Done: {parts} ({run.requests} request(s), {run.rate_limited} rate-limited)."]
    if run.results_path:
        lines.append(f"Results: {run.results_path}")
    pending = [o for o in run.outcomes if not o.result.is_done]
    if pending:
        for outcome in pending[:ATTENTION_SHOWN]:
            message = printable((outcome.error_message or "").split("\n", 1)[0])
            code = outcome.error_code or outcome.result.value
            lines.append(
                f"  row {outcome.row_number} ({printable(outcome.external_id)}): {code}"
                + (f": {message}" if message else "")
            )
        if len(pending) > ATTENTION_SHOWN:
            lines.append(f"  … and {len(pending) - ATTENTION_SHOWN} more")
        sheet = run.results_path.name if run.results_path else "the results sheet"
        lines.append(
            f"{len(pending)} row(s) need attention: see {sheet}, "
            "or run `bulk-scheduler validate` on it."
        )
    return "\n".join(lines)
