"""The planning choices a campaign's journal remembers: how its sheet is read and planned.

A later run of the same campaign, or of its results sheet, makes the same choices unless
the user gives others, and says which ones it reused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bulk_scheduler.checks.planner import PlannedRow, PlanOptions
from bulk_scheduler.checks.rules import slot_key
from bulk_scheduler.checks.slots import SlotSyntaxError, parse_slots
from bulk_scheduler.errors import ConfigurationError
from bulk_scheduler.launch.journal import remembered_options
from bulk_scheduler.sheet.read_options import ReadOptions

# Without --start, posting slots start this long after the moment the campaign is first
# planned (then the journal keeps that start): time to read the plan and confirm it, so
# that the first slot is not already too soon (2 minutes) when it is sent.
SLOTS_LEAD = timedelta(minutes=15)


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
    # --media-dir: where relative media file paths are looked for (kept as an absolute
    # path, so that a run of the results sheet written elsewhere finds the same files).
    media_dir: Path | None = None

    def to_json(self) -> dict[str, Any]:
        options = self.options
        start = options.slots_start
        return {
            "timezone": options.timezone,
            "date_format": options.date_format,
            "default_accounts": list(options.default_accounts),
            "sheet": self.sheet,
            "skip_invalid": self.skip_invalid,
            "slots": options.slots.text if options.slots is not None else None,
            "slots_start": start.isoformat() if start is not None else None,
            "groups": {k: list(v) for k, v in options.groups.items()} if options.groups else None,
            "slot_times": {k: v.isoformat() for k, v in (options.slot_pins or {}).items()} or None,
            "header_row": self.reading.header_row,
            "encoding": self.reading.encoding,
            "include_hidden": self.reading.include_hidden,
            "media_dir": str(self.media_dir.absolute()) if self.media_dir is not None else None,
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
        options = _remembered_slots(options, saved, reused)
        groups = saved.get("groups")
        if options.groups is None and isinstance(groups, dict) and groups:
            options = replace(
                options, groups={str(k): tuple(map(str, v)) for k, v in groups.items()}
            )
            reused.append("--groups (the groups of the earlier run)")
        if options.slots is not None and not options.timezone:
            raise ConfigurationError(
                "--slots needs --timezone: the time zone the slots are in, e.g. "
                "--timezone Europe/Paris"
            )
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
        media_dir = self.media_dir
        kept = saved.get("media_dir")
        if media_dir is None and isinstance(kept, str) and Path(kept).is_dir():
            media_dir = Path(kept)
            reused.append(f"--media-dir {kept}")
        return PlanningChoices(options, sheet, skip, tuple(reused), reading, media_dir)

    def note(self) -> str | None:
        if not self.reused:
            return None
        return f"options reused from an earlier run of this campaign: {', '.join(self.reused)}"


def _remembered_slots(
    options: PlanOptions, saved: dict[str, Any], reused: list[str]
) -> PlanOptions:
    """The posting slots and their start: as given, else as the journal keeps them. With
    slots but no start anywhere, the start is fixed now (:data:`SLOTS_LEAD` ahead), and
    a run keeps it in the journal, so that a re-run places every row at the same time."""
    text = saved.get("slots")
    if options.slots is None and isinstance(text, str):
        try:
            options = replace(options, slots=parse_slots(text))
            reused.append(f'--slots "{text}"')
        except SlotSyntaxError:
            pass  # not one this version reads: as if none were kept
    pins = saved.get("slot_times")
    if options.slots is not None and options.slot_pins is None and isinstance(pins, dict):
        kept = {str(k): _instant(v) for k, v in pins.items()}
        options = replace(options, slot_pins={k: v for k, v in kept.items() if v is not None})
    if options.slots is None or options.slots_start is not None:
        return options
    start = _start_from_json(saved.get("slots_start"))
    if start is not None:
        reused.append(f"--start {start.isoformat()}")
        return replace(options, slots_start=start)
    now = options.now or datetime.now(UTC)
    return replace(options, slots_start=(now + SLOTS_LEAD).replace(second=0, microsecond=0))


def _start_from_json(value: object) -> date | datetime | None:
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def with_slot_pins(choices: PlanningChoices, slotted: Iterable[PlannedRow]) -> PlanningChoices:
    """``choices`` keeping, besides the slots kept before, the slot of each row in
    ``slotted``: what a run remembers before it sends them."""
    pins = dict(choices.options.slot_pins or {})
    for planned in slotted:
        if planned.publish_at is not None:
            pins[slot_key(planned)] = planned.publish_at
    if not pins:
        return choices
    return replace(choices, options=replace(choices.options, slot_pins=pins))
