"""The text a person reads: a validation report, the launch plan, a run's summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bulk_scheduler.issues import RowIssue

if TYPE_CHECKING:  # a dry run renders without loading the launch (and its HTTP library)
    from bulk_scheduler.checks.planner import PlannedRow
    from bulk_scheduler.launch.dry_run import ValidationReport
    from bulk_scheduler.launch.lifecycle import CancelPlan, CancelReport, StatusReport
    from bulk_scheduler.launch.orchestrator import LaunchPlan, RunReport

_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F] if c not in (0x0A,)}
_CONTROL[0x0A] = "\\n"


def printable(text: str | None) -> str:
    """Text for the terminal: control characters (escape sequences in a hostile sheet)
    are shown, not obeyed."""
    return (text or "").translate(_CONTROL)


IssueShow = Literal["default", "errors", "all"]
ROWS_NAMED = 5  # rows named after a code's count; then "…"
EXAMPLES_SHOWN = 3  # messages shown under a code whose rows' messages differ
MESSAGE_WIDTH = 320  # a message longer than this is shortened with "…"


def render_issues(
    report: ValidationReport, *, show: IssueShow = "default", zone: tzinfo = UTC
) -> str:
    """The report grouped by code, errors first, then a summary line.

    Each code gets one line: its count, the first rows and, when every row says the same,
    the message; when they differ, the first few messages follow, one per line. Warnings
    are folded behind errors (``show="default"``: one line says how many and how to see
    them; shown when there are no errors), hidden (``"errors"``) or shown (``"all"``).
    Then the times the posting slots gave (in ``zone``). Notes first: how the file was
    read when not the obvious way (header row, tab, encoding), then what the planner
    decided for the whole sheet.
    """
    notes = [*report.campaign.notes, *report.notes]
    lines = [f"note: {printable(note)}" for note in notes]
    issues = report.issues
    errors = [issue for issue in issues if issue.is_error]
    warnings = [issue for issue in issues if not issue.is_error]
    if errors:
        lines.append(f"errors ({len(errors)}):")
        lines.extend(_grouped(errors))
    if warnings and show != "errors":
        if show == "all" or not errors:
            lines.append(f"warnings ({len(warnings)}):")
            lines.extend(_grouped(warnings))
        else:
            counts = Counter(issue.code for issue in warnings)
            kinds = ", ".join(f"{code} ({n})" for code, n in counts.most_common())
            lines.append(
                f"{len(warnings)} warning(s) folded: {kinds}; --all shows them "
                "(--report writes every issue to a file)"
            )
    lines.extend(_slot_lines([p for p in report.valid_rows if p.slotted], zone, "--payloads"))
    lines.append(_summary(report))
    return "\n".join(lines)


def _summary(report: ValidationReport) -> str:
    campaign = report.campaign
    where = campaign.path.name + (f" (sheet {campaign.sheet_name})" if campaign.sheet_name else "")
    mode = "online" if report.online else "offline"
    later = len(report.rows_to_check_online)
    pending = f"{later} to check online, " if later else ""
    return (
        f"{printable(where)}: {len(report.planned)} rows checked ({mode}), "
        f"{len(report.valid_rows)} ready, {pending}{len(report.rows_with_errors)} with errors; "
        f"{report.error_count} error(s), {report.warning_count} warning(s)"
    )


def _grouped(issues: list[RowIssue]) -> list[str]:
    """One block per code, in the order codes first appear."""
    by_code: dict[str, list[RowIssue]] = {}
    for issue in issues:
        by_code.setdefault(issue.code, []).append(issue)
    lines: list[str] = []
    for code, found in by_code.items():
        rows = list(dict.fromkeys(issue.row for issue in found))
        messages = list(dict.fromkeys(issue.message for issue in found))
        if len(found) == 1:
            issue = found[0]
            lines.append(f"  {code}: {_place(issue)}: {_message(issue.message)}")
            continue
        head = f"  {code}: {_rows(rows)}"
        if len(messages) == 1:
            lines.append(f"{head}: {_message(messages[0])}")
            continue
        lines.append(head)
        for issue in found[:EXAMPLES_SHOWN]:
            lines.append(f"    {_place(issue)}: {_message(issue.message)}")
        if len(found) > EXAMPLES_SHOWN:
            lines.append(f"    … and {len(found) - EXAMPLES_SHOWN} more")
    return lines


def _rows(rows: list[int | None]) -> str:
    """``131 rows (3, 4, 7, …)``; the file itself counts as "the file"."""
    numbers = [row for row in rows if row is not None]
    parts = []
    if numbers:
        named = ", ".join(str(row) for row in numbers[:ROWS_NAMED])
        more = ", …" if len(numbers) > ROWS_NAMED else ""
        parts.append(f"{len(numbers)} row{'s' if len(numbers) != 1 else ''} ({named}{more})")
    if len(numbers) != len(rows):
        parts.append("the file")
    return " and ".join(parts)


def _place(issue: RowIssue) -> str:
    """``row 5 (F5)``, or ``file (I1)`` for a finding about the whole file."""
    where = "file" if issue.row is None else f"row {issue.row}"
    return f"{where} ({printable(issue.cell)})" if issue.cell else where


def _message(message: str) -> str:
    """A message on one line of the terminal, shortened with "…" past ``MESSAGE_WIDTH``."""
    text = printable(message)
    return text if len(text) <= MESSAGE_WIDTH else text[: MESSAGE_WIDTH - 1] + "…"


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
    lines = []
    if plan.knows_posts:
        lines.append(f"Plan: {plan.difference()}.")
        if plan.only:
            lines.append(f"  --only {plan.only}: the rest of the plan is not applied this time")
        if plan.refresh is not None and plan.refresh.posts:
            lines.append(
                f"  statuses of {plan.refresh.posts} post(s) refreshed in "
                f"{plan.refresh.requests} request(s)"
            )
    nothing_new = plan.knows_posts and not plan.posts
    if not nothing_new:
        lines.append(
            f"Ready to schedule {plan.posts} post(s) to {accounts} account(s) "
            f"({deliveries} deliveries): {platforms or 'none'}."
        )
    if plan.api_url:
        kind = " (a sandbox on loopback)" if plan.api_is_sandbox else ""
        lines.append(f"  API:       {plan.api_url}{kind}")
    if plan.workspaces:
        lines.append(f"  workspace: {', '.join(plan.workspaces)}")
    for platform, names in plan.accounts_used.items():
        lines.append(f"  {platform + ':':<10} {', '.join(printable(n) for n in names)}")
    if not nothing_new:
        lines += [
            f"  first publish: {_when(plan.first_publish, zone)}",
            f"  last publish:  {_when(plan.last_publish, zone)}",
        ]
    if plan.immediate:
        lines.append(f"  {plan.immediate} post(s) have no scheduled_at and publish IMMEDIATELY")
    lines.extend(_slot_lines(plan.slotted, zone, "the results sheet"))
    if plan.already_done:
        lines.append(f"  {len(plan.already_done)} row(s) already done in an earlier run: skipped")
    updated = {u.row_number for u in plan.updates}
    for planned in plan.changed:
        if planned.row.row_number in updated:
            continue
        lines.append(
            f"  row {planned.row.row_number} ({planned.external_id}) changed after its post was "
            "created: not sent again"
        )
    for update in plan.updates:
        if update.blocked or update.problem:
            why = update.problem or f"the post is {update.known_status}"
            lines.append(
                f"  row {update.row_number} ({printable(update.external_id)}) cannot be updated: "
                f"{printable(why)}"
            )
    if plan.canceled:
        lines.append(
            f"  {len(plan.canceled)} canceled row(s) are not re-created (clear the result cell "
            "in the results sheet to post one again)"
        )
    if plan.invalid:
        lines.append(f"  {len(plan.invalid)} invalid row(s) will not be sent (--skip-invalid)")
    if plan.warnings:
        lines.append(f"  {plan.warnings} warning(s) on rows to send (see validate)")
    lines.extend(f"  note: {note}" for note in plan.notes)
    return "\n".join(lines)


SLOTS_SHOWN = 10  # posting slots listed in the plan; then a count


def _slot_lines(slotted: list[PlannedRow], zone: tzinfo, all_in: str) -> list[str]:
    """The times the posting slots gave the rows with a blank scheduled_at (the first
    :data:`SLOTS_SHOWN`; ``all_in`` says where to see them all)."""
    if not slotted:
        return []
    lines = [f"  {len(slotted)} post(s) placed in posting slots (--slots):"]
    for planned in slotted[:SLOTS_SHOWN]:
        when = planned.publish_at.astimezone(zone) if planned.publish_at else None
        shown = f"{when:%a %Y-%m-%d %H:%M %Z}".strip() if when else "now"
        lines.append(f"    row {planned.row.row_number}: {shown}")
    if len(slotted) > SLOTS_SHOWN:
        lines.append(f"    … and {len(slotted) - SLOTS_SHOWN} more ({all_in} lists all)")
    return lines


ATTENTION_SHOWN = 20  # rows needing attention listed at the end of a run; then a count


def render_run(run: RunReport) -> str:
    """The end of a run: counts, the sheet, the rows that need attention (the first 20),
    and, last, where to look for them."""
    counts = {k: v for k, v in run.counts().items() if v}
    parts = ", ".join(f"{v} {k}" for k, v in counts.items()) or "nothing to do"
    lines = [f"Done: {parts} ({run.requests} request(s), {run.rate_limited} rate-limited)."]
    if run.results_path:
        lines.append(f"Results: {run.results_path}")
    updated = sum(c.ok for c in run.changes if c.kind == "update")
    retried = sum(c.ok for c in run.changes if c.kind == "retry")
    if run.changes:
        lines[0] = lines[0][:-1] + f"; {updated} updated, {retried} retried."
    for change in run.changes:
        if not change.ok:
            lines.append(
                f"  row {change.row_number} ({printable(change.external_id)}): not "
                f"{'updated' if change.kind == 'update' else 'retried'}: "
                f"{printable(change.detail)}"
            )
    pending = [o for o in run.outcomes if not o.result.is_settled]
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


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


STATUS_ROWS_SHOWN = 30  # rows listed by ``status``; the summary counts them all


def render_status(report: StatusReport, *, rows: bool = True, zone: tzinfo | None = None) -> str:
    """``status``: a compact table of posts (the first 30), then per status and per account."""
    lines: list[str] = []
    if rows and report.rows:
        table: list[tuple[str, ...]] = [("row", "status", "accounts")]
        for row in report.rows[:STATUS_ROWS_SHOWN]:
            accounts = "; ".join(
                f"{a.get('handle') or a['account_id']} {a.get('status') or '?'}"
                for a in row.accounts
            )
            table.append((str(row.row_number), row.status or "?", printable(accounts)))
        lines += ["  " + line for line in _table(table)]
        if len(report.rows) > STATUS_ROWS_SHOWN:
            lines.append(
                f"  … and {len(report.rows) - STATUS_ROWS_SHOWN} more (see the results sheet)"
            )
    by_status = ", ".join(f"{n} {s}" for s, n in sorted(report.by_status.items())) or "none"
    lines.append(f"Posts: {len(report.rows)} ({by_status}).")
    for handle, counts in sorted(report.by_account.items()):
        parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        lines.append(f"  {printable(handle)}: {parts}")
    extra = []
    if report.canceled:
        extra.append(f"{report.canceled} canceled")
    if report.rows_without_post:
        extra.append(f"{report.rows_without_post} row(s) without a post")
    if extra:
        lines.append(f"  ({', '.join(extra)})")
    refresh = report.refresh
    lines.append(
        f"Checked {refresh.posts} post(s) in {refresh.requests} request(s) "
        f"({refresh.list_requests} list, {refresh.get_requests} single)."
    )
    if report.results_path:
        lines.append(f"Results: {report.results_path}")
    return "\n".join(lines)


def render_cancel_plan(plan: CancelPlan) -> str:
    rows = ", ".join(str(t.row_number) for t in plan.targets[:20])
    if len(plan.targets) > 20:
        rows += f" and {len(plan.targets) - 20} more"
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(plan.statuses.items()))
    lines = [f"Cancel {len(plan.targets)} post(s): rows {rows or '-'} ({statuses or 'none'})."]
    for skipped in plan.skipped:
        lines.append(f"  row {skipped.row_number}: {printable(skipped.detail)}")
    return "\n".join(lines)


def render_cancel(report: CancelReport) -> str:
    counts = ", ".join(f"{n} {k}" for k, n in sorted(report.counts().items())) or "nothing to do"
    lines = [f"Done: {counts}."]
    for result in report.results:
        if result.outcome != "canceled":
            lines.append(
                f"  row {result.row_number} ({printable(result.external_id)}): "
                f"{printable(result.detail or result.outcome)}"
            )
    if report.results_path:
        lines.append(f"Results: {report.results_path}")
    return "\n".join(lines)


def render_calendar_summary(path: Path, summary: Mapping[str, Any]) -> str:
    """What ``calendar`` says once the page is written."""

    def count(n: object, one: str, many: str | None = None) -> str:
        return f"{n} {one if n == 1 else many or one + 's'}"

    lanes = []
    if summary["immediate"]:
        lanes.append(f"{summary['immediate']} at once")
    if summary["unreadable_time"]:
        lanes.append(f"{summary['unreadable_time']} with a time that cannot be read")
    posts = count(summary["posts"], "post") + (f" ({', '.join(lanes)})" if lanes else "")
    marks = [
        count(summary["errors"], "error"),
        count(summary["warnings"], "warning"),
        count(summary["closer_than_min_gap"], "post") + " too close on an account",
        count(summary["days_with_a_hole"], "day") + " with a gap",
    ]
    statuses = ", ".join(f"{n} {status}" for status, n in summary["by_status"].items())
    return (
        f"Wrote {path}: {posts}, times in {summary['timezone']}; {'; '.join(marks)}.\n"
        f"  status: {statuses or 'none'}"
    )
