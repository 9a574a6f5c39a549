"""The planning choices a campaign's journal remembers: how its sheet is read and planned.

A later run of the same campaign, or of its results sheet, makes the same choices unless
the user gives others, and says which ones it reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bulk_scheduler.checks.planner import PlanOptions
from bulk_scheduler.launch.journal import remembered_options
from bulk_scheduler.sheet.read_options import ReadOptions


@dataclass(frozen=True, slots=True)
class PlanningChoices:
    """The options that decide how a campaign's sheet is read and planned, which a
    campaign's journal keeps so that a later run (of the sheet or of its results sheet)
    plans it the same way when the user gives none of them again."""

    options: PlanOptions
    sheet: str | None = None
    skip_invalid: bool = False
    reused: tuple[str, ...] = ()  # the options taken from the journal, as flags
    # How the file is read: --header-row, --encoding, --include-hidden.
    reading: ReadOptions = field(default_factory=ReadOptions)

    def to_json(self) -> dict[str, Any]:
        return {
            "timezone": self.options.timezone,
            "date_format": self.options.date_format,
            "default_accounts": list(self.options.default_accounts),
            "sheet": self.sheet,
            "skip_invalid": self.skip_invalid,
            "header_row": self.reading.header_row,
            "encoding": self.reading.encoding,
            "include_hidden": self.reading.include_hidden,
        }

    def with_remembered(self, journal_file: Path | None) -> PlanningChoices:
        """These choices, with what the journal remembers for each one not given."""
        saved = remembered_options(journal_file)
        options, sheet, skip, reused = self.options, self.sheet, self.skip_invalid, []
        if options.timezone is None and isinstance(saved.get("timezone"), str):
            options = replace(options, timezone=saved["timezone"])
            reused.append(f"--timezone {saved['timezone']}")
        if options.date_format is None and saved.get("date_format") in ("dmy", "mdy"):
            options = replace(options, date_format=saved["date_format"])
            reused.append(f"--date-format {saved['date_format']}")
        accounts = saved.get("default_accounts")
        if not options.default_accounts and isinstance(accounts, list) and accounts:
            options = replace(options, default_accounts=tuple(map(str, accounts)))
            reused.append(f"--accounts {','.join(options.default_accounts)}")
        if sheet is None and isinstance(saved.get("sheet"), str):
            sheet = saved["sheet"]
            reused.append(f"--sheet {sheet}")
        if not skip and saved.get("skip_invalid") is True:
            skip = True
            reused.append("--skip-invalid")
        reading = self.reading
        header_row = saved.get("header_row")
        if reading.header_row is None and type(header_row) is int and header_row > 0:
            reading = replace(reading, header_row=header_row)
            reused.append(f"--header-row {header_row}")
        if reading.encoding is None and isinstance(saved.get("encoding"), str):
            reading = replace(reading, encoding=saved["encoding"])
            reused.append(f"--encoding {saved['encoding']}")
        if not reading.include_hidden and saved.get("include_hidden") is True:
            # Rows an earlier run sent must stay rows of the campaign, not posts it lost.
            reading = replace(reading, include_hidden=True)
            reused.append("--include-hidden")
        return PlanningChoices(options, sheet, skip, tuple(reused), reading)

    def note(self) -> str | None:
        if not self.reused:
            return None
        return f"options reused from an earlier run of this campaign: {', '.join(self.reused)}"
