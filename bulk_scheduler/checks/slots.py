"""Posting slots: a weekly queue that places the rows written without a time.

``--slots "Mon-Fri 09:00,18:00; Sat 11:00"`` lists the times of the week, in the
campaign's time zone, at which posts go out. Each row whose ``scheduled_at`` is blank
gets the first slot, from the start (``--start DATE``, its midnight), that is free for
its accounts, in sheet order. A slot is free for a row when no other row of the campaign
posts to one of its accounts at that moment: neither a row with its own time, nor a row
placed before it.

The placing depends only on the sheet, the slots, the zone and the start, never on the
clock: the same sheet gives the same times on every run, so the same generated
external_ids, and a re-run replays rather than doubles. (Without ``--start``, the launch
fixes the start once and the journal keeps it; see ``launch/choices.py``.)

>>> parse_slots("Mon,Wed 09:00,18:00; Sat 11am").describe()
'Mon 09:00, 18:00; Wed 09:00, 18:00; Sat 11:00'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_WORDS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        ("mon", "monday"),
        ("tue", "tues", "tuesday"),
        ("wed", "weds", "wednesday"),
        ("thu", "thur", "thurs", "thursday"),
        ("fri", "friday"),
        ("sat", "saturday"),
        ("sun", "sunday"),
    )
):
    for _name in _names:
        _DAY_WORDS[_name] = _index
_DAY_SETS: dict[str, tuple[int, ...]] = {
    "daily": tuple(range(7)),
    "everyday": tuple(range(7)),
    "every day": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "weekends": (5, 6),
    "weekend": (5, 6),
}
_TIME = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?", re.IGNORECASE)
_GROUP = re.compile(r"\s*(?P<days>[A-Za-z][A-Za-z ,\-]*?)\s+(?P<times>\d.*?)\s*")


class SlotSyntaxError(ValueError):
    """``--slots`` cannot be read; the message says which part and how to write it."""


@dataclass(frozen=True, slots=True)
class SlotSchedule:
    """The weekly slots: ``by_weekday[0]`` holds Monday's times (minutes after midnight),
    in order. ``text`` is the option as written."""

    text: str
    by_weekday: tuple[tuple[int, ...], ...]

    def describe(self) -> str:
        return "; ".join(
            f"{DAY_NAMES[day]} " + ", ".join(f"{m // 60:02d}:{m % 60:02d}" for m in minutes)
            for day, minutes in enumerate(self.by_weekday)
            if minutes
        )


def parse_slots(text: str) -> SlotSchedule:
    """Read ``--slots``: groups separated by ``;``, each days then times, e.g.
    ``Mon-Fri 09:00,18:00``. Days: Mon … Sun (or full names), ranges (``Fri-Mon``
    wraps), lists (``Mon,Wed``), daily, weekdays, weekends. Times: ``HH:MM`` (24-hour),
    or ``9am`` / ``6:30pm``. Raises :class:`SlotSyntaxError`."""
    week: list[set[int]] = [set() for _ in range(7)]
    groups = [part for part in text.split(";") if part.strip()]
    if not groups:
        raise SlotSyntaxError(
            'no slots given; write days and times, e.g. "Mon-Fri 09:00,18:00; Sat 11:00"'
        )
    for group in groups:
        match = _GROUP.fullmatch(group)
        if match is None:
            raise SlotSyntaxError(
                f"'{group.strip()}' is not days then times; write e.g. \"Mon-Fri 09:00,18:00\""
            )
        days = _days(match.group("days"))
        minutes = [_minutes(t) for t in match.group("times").split(",") if t.strip()]
        for day in days:
            week[day].update(minutes)
    return SlotSchedule(text.strip(), tuple(tuple(sorted(day)) for day in week))


def _days(written: str) -> list[int]:
    words = " ".join(written.split())
    if words.casefold() in _DAY_SETS:
        return list(_DAY_SETS[words.casefold()])
    days: list[int] = []
    for part in filter(None, (p.strip() for p in words.split(","))):
        if part.casefold() in _DAY_SETS:
            days.extend(_DAY_SETS[part.casefold()])
            continue
        first, dash, last = (p.strip() for p in part.partition("-"))
        start = _day(first)
        if not dash:
            days.append(start)
            continue
        end = _day(last)
        span = (end - start) % 7
        days.extend((start + offset) % 7 for offset in range(span + 1))
    if not days:
        raise SlotSyntaxError(f"'{written.strip()}' names no day; write e.g. Mon-Fri or Sat")
    return days


def _day(word: str) -> int:
    found = _DAY_WORDS.get(word.casefold())
    if found is None:
        raise SlotSyntaxError(
            f"'{word}' is not a day; write Mon, Tue, Wed, Thu, Fri, Sat or Sun "
            "(or a range such as Mon-Fri)"
        )
    return found


def _minutes(written: str) -> int:
    match = _TIME.fullmatch(written.strip())
    if match is None:
        raise SlotSyntaxError(f"'{written.strip()}' is not a time; write HH:MM, e.g. 09:00")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").casefold()
    if meridiem:
        if not 1 <= hour <= 12:
            raise SlotSyntaxError(f"'{written.strip()}' is not a time of day")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif match.group(2) is None:
        raise SlotSyntaxError(f"'{written.strip()}' is not a time; write HH:MM, e.g. 09:00")
    if hour > 23 or minute > 59:
        raise SlotSyntaxError(f"'{written.strip()}' is not a time of day")
    return hour * 60 + minute


def parse_start(text: str) -> date:
    """``--start``: a date, ``YYYY-MM-DD``. Raises ValueError with the option's form."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a date; write YYYY-MM-DD, e.g. 2031-03-01") from None


def slot_times(schedule: SlotSchedule, start: datetime, zone: tzinfo) -> Iterator[datetime]:
    """The slots at or after ``start`` (aware), in order, as aware UTC times. A slot that
    a clock change skips (02:30 on the night clocks go forward) does not exist; one it
    repeats is taken at its first occurrence."""
    day = start.astimezone(zone).date()
    while True:
        for minutes in schedule.by_weekday[day.weekday()]:
            local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
            moment = local.astimezone(UTC)
            if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
                continue  # in the gap of a clock change
            if moment >= start:
                yield moment
        day += timedelta(days=1)


def start_instant(start: date | datetime, zone: tzinfo) -> datetime:
    """The aware instant slots start from: a date's midnight in ``zone``, or ``start``."""
    if isinstance(start, datetime):
        return start if start.tzinfo is not None else start.replace(tzinfo=zone)
    return datetime.combine(start, time(0, 0), tzinfo=zone)


class SlotPlacer:
    """Places rows in the slots, one after another in sheet order.

    ``taken`` is every (account, moment) a row of the campaign already posts at; a row
    gets the first slot at which none of its accounts is taken. Rows with the same
    accounts never look at a slot twice: the first free slot for a set of accounts only
    moves later as slots are taken, so each set keeps where its search stopped."""

    def __init__(self, schedule: SlotSchedule, start: datetime, zone: tzinfo) -> None:
        self._slots = slot_times(schedule, start, zone)
        self._known: list[datetime] = []
        self._taken: dict[str, set[datetime]] = {}
        self._next: dict[tuple[str, ...], int] = {}

    def take(self, accounts: tuple[str, ...], moment: datetime) -> None:
        """Note that a row posts to ``accounts`` at ``moment``."""
        for account in accounts or ("",):
            self._taken.setdefault(account, set()).add(moment)

    def place(self, accounts: tuple[str, ...]) -> datetime:
        """The first slot free for ``accounts``; it is then taken for them."""
        accounts = accounts or ("",)
        key = tuple(sorted(accounts))
        index = self._next.get(key, 0)
        taken = [self._taken.setdefault(account, set()) for account in key]
        while True:
            while index >= len(self._known):
                self._known.append(next(self._slots))
            moment = self._known[index]
            if not any(moment in seen for seen in taken):
                break
            index += 1
        self._next[key] = index + 1
        for seen in taken:
            seen.add(moment)
        return moment


__all__ = [
    "SlotPlacer",
    "SlotSchedule",
    "SlotSyntaxError",
    "parse_slots",
    "parse_start",
    "slot_times",
    "start_instant",
]
