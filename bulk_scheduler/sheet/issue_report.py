"""Files of a validation report: ``--report`` as CSV, XLSX or JSON, and ``--payloads``
as JSON Lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from bulk_scheduler.issues import RowIssue
from bulk_scheduler.sheet.results import needs_csv_guard, write_atomically

REPORT_FIELDS = ("row", "cell", "column", "severity", "code", "message", "external_id", "caption")


class IssueReport(Protocol):
    """What the writers need of a validation report (``launch.dry_run.ValidationReport``)."""

    @property
    def issues(self) -> list[RowIssue]: ...

    def to_json(self) -> dict[str, Any]: ...

    def row_context(self) -> dict[int, tuple[str, str]]: ...

    def payloads(self) -> Iterable[dict[str, Any]]: ...


def _neutralise(value: Any) -> Any:
    """Report cells that a spreadsheet would run as a formula are written as text."""
    if isinstance(value, str) and needs_csv_guard(value):
        return "'" + value
    return value


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


def _rows(
    issues: Iterable[RowIssue], context: dict[int, tuple[str, str]], *, guard: bool
) -> Iterator[list[Any]]:
    """Report rows; ``guard`` prefixes formula-like text with ``'`` (CSV). ``context``
    gives each row's external_id and the start of its caption."""
    keep = _neutralise if guard else (lambda value: value)
    for issue in issues:
        external_id, caption = context.get(issue.row, ("", "")) if issue.row else ("", "")
        yield [
            issue.row,
            keep(issue.cell),
            keep(issue.column),
            issue.severity.value,
            issue.code,
            keep(issue.message),
            keep(external_id),
            keep(caption),
        ]


def write_report(report: IssueReport, path: Path) -> Path:
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
            writer.writerows(_rows(report.issues, report.row_context(), guard=True))

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
        for values in _rows(report.issues, report.row_context(), guard=False):
            sheet.append(values)
        for column in ("B", "C", "F", "G", "H"):
            for cell in sheet[column][1:]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
        for letter, width in zip("ABCDEFGH", (6, 8, 14, 9, 28, 90, 20, 40), strict=True):
            sheet.column_dimensions[letter].width = width
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, book.save)
    else:
        raise ValueError(f"--report {path.name}: use a .csv, .xlsx or .json file")
    return path


def write_payloads(report: IssueReport, path: Path) -> Path:
    """``--payloads``: one JSON line per valid row, ``{"row", "external_id", "body"}``."""

    def fill(handle: IO[str]) -> None:
        for entry in report.payloads():
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    _write_text(path, fill, encoding="utf-8", newline="\n")
    return path
