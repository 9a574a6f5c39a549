"""Row issues: what the loader, planner and validator find, cell by cell."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class RowIssue:
    """One finding.

    ``row`` is the sheet row number as the spreadsheet shows it (header = 1), ``None``
    for findings about the whole file (a header, say). ``code`` is stable, kebab-case."""

    severity: Severity
    code: str
    message: str
    row: int | None = None
    column: str | None = None
    cell: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        return data


def error(code: str, message: str, **where: Any) -> RowIssue:
    return RowIssue(Severity.ERROR, code, message, **where)


def warning(code: str, message: str, **where: Any) -> RowIssue:
    return RowIssue(Severity.WARNING, code, message, **where)
