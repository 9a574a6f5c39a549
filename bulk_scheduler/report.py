"""Views of a validation report and a run: the text a person reads, and files
(``--report`` as CSV, XLSX or JSON; ``--payloads`` as JSON Lines)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO, Any

from .issues import RowIssue
from .launch import LaunchPlan, RunReport
from .results import needs_csv_guard, write_atomically
from .validation import ValidationReport

REPORT_FIELDS = ("row", "cell", "column", "severity", "code", "message")


def _neutralise(value: Any) -> Any:
    """Report cells that a spreadsheet would run as a formula are written as text."""
    if isinstance(value, str) and needs_csv_guard(value):
        return "'" + value
    return value


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
    lines: list[str] = []
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


def _write_text(
    path: Path, fill: Callable[[IO[str]], None], *, encoding: str, newline: str | None
) -> None:
    """Write a text file atomically, through the results sheet's writer."""

    def write(handle: IO[bytes]) -> None:
        text = io.TextIOWrapper(handle, encoding=encoding, newline=newline)
        fill(text)
        text.flush()
        text.detach()  # the binary handle stays open for write_atomically to sync

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, write)


def _rows(issues: Iterable[RowIssue], *, guard: bool) -> Iterator[list[Any]]:
    """Report rows; ``guard`` prefixes formula-like text with ``'`` (CSV)."""
    keep = _neutralise if guard else (lambda value: value)
    for issue in issues:
        yield [
            issue.row,
            keep(issue.cell),
            keep(issue.column),
            issue.severity.value,
            issue.code,
            keep(issue.message),
        ]


def write_report(report: ValidationReport, path: Path) -> Path:
    """``--report``: ``.json``, ``.csv`` or ``.xlsx`` by the extension."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        _write_text(
            path,
            lambda handle: json.dump(report.to_json(), handle, ensure_ascii=False, indent=2),
            encoding="utf-8",
            newline=None,
        )
    elif suffix == ".csv":

        def fill(handle: IO[str]) -> None:
            writer = csv.writer(handle)
            writer.writerow(REPORT_FIELDS)
            writer.writerows(_rows(report.issues, guard=True))

        _write_text(path, fill, encoding="utf-8-sig", newline="")
    elif suffix == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook(write_only=False)
        sheet = book.active
        assert sheet is not None
        sheet.title = "Issues"
        sheet.append(list(REPORT_FIELDS))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for values in _rows(report.issues, guard=False):
            sheet.append(values)
        for column in ("B", "C", "F"):
            for cell in sheet[column][1:]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
        for letter, width in zip("ABCDEF", (6, 8, 14, 9, 28, 90), strict=True):
            sheet.column_dimensions[letter].width = width
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, book.save)
    else:
        raise ValueError(f"--report {path.name}: use a .csv, .xlsx or .json file")
    return path


def write_payloads(report: ValidationReport, path: Path) -> Path:
    """``--payloads``: one JSON line per valid row, ``{"row", "external_id", "body"}``."""

    def fill(handle: IO[str]) -> None:
        for entry in report.payloads():
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    _write_text(path, fill, encoding="utf-8", newline="\n")
    return path


def _when(moment: datetime | None, zone: tzinfo) -> str:
    if moment is None:
        return "-"
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M %Z").strip()


def render_plan(plan: LaunchPlan, zone: tzinfo) -> str:
    """The plan ``run`` shows before it asks for confirmation."""
    platforms = ", ".join(f"{n} {p}" for p, n in sorted(plan.accounts_per_platform.items()))
    targets = sum(plan.accounts_per_platform.values())
    lines = [
        f"Ready to schedule {plan.posts} post(s) on {targets} account(s): {platforms or 'none'}.",
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
    return "\n".join(lines)


def render_run(run: RunReport) -> str:
    counts = {k: v for k, v in run.counts().items() if v}
    parts = ", ".join(f"{v} {k}" for k, v in counts.items()) or "nothing to do"
    lines = [f"Done: {parts} ({run.requests} request(s), {run.rate_limited} rate-limited)."]
    if run.results_path:
        lines.append(f"Results: {run.results_path}")
    return "\n".join(lines)
