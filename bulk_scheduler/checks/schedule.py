"""Reading a row's ``scheduled_at``: spreadsheet date cells, ISO 8601 and common text
formats, turned into one aware UTC instant, or a :class:`ScheduleError` that says why not.

Two steps, because the time zone of a naive time comes from elsewhere in the row:

>>> when = parse_scheduled_at("01/03/2031 09:00", date_format="dmy")
>>> when
datetime.datetime(2031, 3, 1, 9, 0)
>>> format_utc(localize(when, check_timezone("Europe/Paris")))
'2031-03-01T08:00:00Z'

Accepted text (case-insensitive, any amount of spacing):

- ISO 8601 with or without an offset: ``2031-03-01T09:00:00Z``, ``2031-03-01T09:00+02:00``,
  ``2031-03-01 09:00``; also ``2031/03/01 09:00`` and ``2031.03.01 09:00``.
- Day and month as numbers: ``01/03/2031 09:00``, ``3-1-2031 9:00 PM``. When both are
  <= 12 and differ, the order is ambiguous and ``date_format`` must say (``"dmy"`` or
  ``"mdy"``); when one is > 12 the order is clear. A column's order can also be inferred
  from the cells that settle it (:func:`infer_date_order`); the planner does that.
- Dotted dates are day first, always: ``10.03.2031 17:15`` is 10 March (nobody writes
  month first with dots).
- Two-digit years are 2000 + the number: ``10.03.31`` and ``3/1/31`` are in 2031.
- Month names (English): ``March 1, 2031 9:00``, ``1 Mar 2031 09:00``,
  ``Sat, 1st March 2031 at 9:00 am``, ``1-Mar-2031 09:00``.
- Times ``9:00``, ``09:00:30``, ``9:00.250``, ``9 AM``, ``9:30 p.m.``; offsets ``Z``, ``UTC``,
  ``GMT``, ``+02:00``, ``+0200``, ``-05``, ``UTC+2``.
- A zone after the time: an IANA name (``2031-07-01 10:00 Europe/Paris``, daylight saving
  applied), ``ET``/``CT``/``MT``/``PT`` (the US zones, daylight saving applied), or an
  abbreviation that names one offset (``CET``, ``EST``, ``PST``, ``BST``: that fixed
  offset, see :data:`ZONE_ABBREVIATIONS`). One that names several (``IST``, ``CST``) is an
  error listing them.
- ``now`` (any case) means "publish immediately", as a blank cell does.

A date without a time is refused (posting at midnight is rarely meant), and so is a time
without a date. Seconds are kept; fractions of a second are dropped.

Why hand-written rather than python-dateutil: dateutil's parser is lenient by design. It
fills what is missing from a default (``"March 2031"`` becomes the 1st at 00:00), reads
``"10.03.2031"`` month first unless told, takes ``"IST"`` as whatever its tzinfos say,
and with ``fuzzy`` skips words it does not know. Every one of those is a post published at
a time nobody wrote. Here each accepted form is listed above, every other text is refused
with a message naming the forms that work, and a day/month order is used only when the
cell, its column or ``--date-format`` settles it.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from itertools import repeat
from operator import add, and_, eq, sub
from typing import Literal
from zoneinfo import ZoneInfo

from bulk_scheduler.campaign import CellValue
from bulk_scheduler.issues import shorten

DateFormat = Literal["dmy", "mdy"]

# Excel stores a date-time as days since 1899-12-30. Numbers from 2000-01-01 (36526) to
# 9999-12-31 are taken as such; smaller ones are surely something else.
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_MIN_SERIAL = 36_526
_EXCEL_MAX_SERIAL = 2_958_466

_MONTH_NAMES = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Full English names and their three-letter abbreviations (and "Sept"), lower case.
_MONTHS: dict[str, int] = {"sept": 9}
for _number, _name in enumerate(_MONTH_NAMES[1:], start=1):
    _MONTHS[_name.lower()] = _number
    _MONTHS[_name[:3].lower()] = _number

_TIME = (
    r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?)?"
    r"\s*(?P<ampm>[ap])?(?(ampm)\.?m\.?)"
)
_ZONE = r"(?P<zone>z|utc|gmt|(?:utc|gmt)?\s*[+\-]\d{1,2}(?::?\d{2})?)"
# What may follow the date: "T09:00", " 09:00", ", 9:00 AM", " at 9:00", then an offset.
_TAIL = rf"(?:(?:\s*[t,]\s*|\s+(?:at\s+)?){_TIME})?\s*{_ZONE}?"
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_ORDINAL = r"(?:st|nd|rd|th)?"

_YMD = re.compile(
    rf"(?P<year>\d{{4}})(?P<sep>[\-/.])(?P<month>\d{{1,2}})(?P=sep)(?P<day>\d{{1,2}}){_TAIL}",
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    rf"(?P<first>\d{{1,2}})(?P<sep>[\-/.])(?P<second_part>\d{{1,2}})(?P=sep)(?P<year>\d{{2,4}}){_TAIL}",
    re.IGNORECASE,
)
_MONTH_FIRST = re.compile(
    rf"{_WEEKDAY}(?P<month_name>[a-z]{{3,9}})\.?[\s\-]+(?P<day>\d{{1,2}}){_ORDINAL},?[\s\-]+"
    rf"(?P<year>\d{{4}}){_TAIL}",
    re.IGNORECASE,
)
_DAY_FIRST = re.compile(
    rf"{_WEEKDAY}(?P<day>\d{{1,2}}){_ORDINAL}[\s\-]+(?:of\s+)?(?P<month_name>[a-z]{{3,9}})\.?,?"
    rf"[\s\-]+(?P<year>\d{{4}}){_TAIL}",
    re.IGNORECASE,
)
# A zone written after the time: an IANA name (it has a "/"), or a word of 2-5 letters.
_ZONE_WORD = re.compile(r"(?:[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+)+|[A-Za-z]{2,5})")
_NOT_ZONE_WORDS = frozenset({"am", "pm", "z", "utc", "gmt", "at"})
# Abbreviations that name one offset, used as that fixed offset. Chosen as people use them
# in a content calendar (BST is British Summer Time; tzdata writes Bangladesh as +06).
ZONE_ABBREVIATIONS: dict[str, timedelta] = {
    "wet": timedelta(0),
    "west": timedelta(hours=1),
    "bst": timedelta(hours=1),
    "cet": timedelta(hours=1),
    "cest": timedelta(hours=2),
    "eet": timedelta(hours=2),
    "eest": timedelta(hours=3),
    "msk": timedelta(hours=3),
    "gst": timedelta(hours=4),
    "pkt": timedelta(hours=5),
    "wib": timedelta(hours=7),
    "sgt": timedelta(hours=8),
    "hkt": timedelta(hours=8),
    "awst": timedelta(hours=8),
    "jst": timedelta(hours=9),
    "kst": timedelta(hours=9),
    "acst": timedelta(hours=9, minutes=30),
    "acdt": timedelta(hours=10, minutes=30),
    "aest": timedelta(hours=10),
    "aedt": timedelta(hours=11),
    "nzst": timedelta(hours=12),
    "nzdt": timedelta(hours=13),
    "nst": timedelta(hours=-3, minutes=-30),
    "ndt": timedelta(hours=-2, minutes=-30),
    "adt": timedelta(hours=-3),
    "est": timedelta(hours=-5),
    "edt": timedelta(hours=-4),
    "cdt": timedelta(hours=-5),
    "mst": timedelta(hours=-7),
    "mdt": timedelta(hours=-6),
    "pst": timedelta(hours=-8),
    "pdt": timedelta(hours=-7),
    "akst": timedelta(hours=-9),
    "akdt": timedelta(hours=-8),
    "hst": timedelta(hours=-10),
}
# Abbreviations that name several offsets: an error that lists them.
AMBIGUOUS_ZONE_ABBREVIATIONS: dict[str, str] = {
    "ist": "India +05:30 (Asia/Kolkata), Ireland +01:00 (Europe/Dublin) or Israel +02:00 "
    "(Asia/Jerusalem)",
    "cst": "US Central -06:00 (America/Chicago), China +08:00 (Asia/Shanghai) or Cuba "
    "-05:00 (America/Havana)",
    "ast": "Atlantic -04:00 (America/Halifax) or Arabia +03:00 (Asia/Riyadh)",
    "amt": "Amazon -04:00 (America/Manaus) or Armenia +04:00 (Asia/Yerevan)",
    "sst": "Samoa -11:00 (Pacific/Pago_Pago) or Singapore +08:00 (Asia/Singapore)",
}
# Short names of zones with daylight saving: the zone, so summer times get summer offsets.
ZONE_SHORT_NAMES: dict[str, str] = {
    "et": "America/New_York",
    "ct": "America/Chicago",
    "mt": "America/Denver",
    "pt": "America/Los_Angeles",
}
# What every message about an unreadable time offers instead.
FORMATS_HINT = (
    "write e.g. 2031-03-14 09:00, 14.03.2031 09:00 (day first), 3/14/2031 9:00 AM, "
    "Mar 14, 2031 9:00 AM, 14 March 2031 17:15, 2031-03-14 09:00 Europe/Paris, or now"
)
_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+\-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_DAY = timedelta(days=1)
# A column of times written "2031-03-01 09:00" or "2031-03-01T09:00:30", one per line: the
# form nearly every sheet uses, which parse_scheduled_at reads with fromisoformat.
_ISO_NAIVE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2})?"
_ISO_NAIVE_LINES = re.compile(rf"{_ISO_NAIVE}(?:\n{_ISO_NAIVE})*")
# One instant as a naive and as a UTC datetime: ``_EPOCH_UTC + (wall - _EPOCH - offset)``
# is the UTC instant of a wall time at ``offset``, in three C operations. Measured in
# CPython 3.11: 0.2 µs, where ``replace(tzinfo=UTC)`` costs 1.9 µs and the constructor 0.7.
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)


class ScheduleError(ValueError):
    """Why a ``scheduled_at`` value cannot be used. ``code`` is the row issue's code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_scheduled_at(value: CellValue, date_format: DateFormat | None = None) -> datetime | None:
    """The moment a ``scheduled_at`` cell names: aware when it carries an offset, naive when
    the time zone must come from elsewhere; None when the cell is blank.

    Raises :class:`ScheduleError` with code ``scheduled-at-invalid``, ``scheduled-at-no-time``
    or ``scheduled-at-ambiguous`` (day/month order).
    """
    if isinstance(value, str):  # the common case first
        text = value.strip()
        if "  " in text or "\t" in text or "\n" in text or "\r" in text:
            text = _SPACES.sub(" ", text)
        if not text or (len(text) == 3 and text.lower() == "now"):
            return None
        return _parse_text(text, date_format)
    if value is None:
        return None
    if isinstance(value, datetime):  # before date: a datetime is a date too
        return value.replace(microsecond=0) if value.microsecond else value
    if isinstance(value, date):
        raise ScheduleError(
            "scheduled-at-no-time",
            f"{value.isoformat()} is a date without a time of day; "
            f"write the time too, e.g. {value.isoformat()} 09:00",
        )
    if isinstance(value, time):
        raise ScheduleError(
            "scheduled-at-invalid",
            f"{value.isoformat()} is a time without a date; write the date too, "
            f"e.g. 2031-03-01 {value.strftime('%H:%M')}",
        )
    if isinstance(value, bool):
        raise ScheduleError(
            "scheduled-at-invalid", f"{value} is not a date and time; {FORMATS_HINT}"
        )
    if isinstance(value, int | float):
        return _from_excel_serial(value)
    return parse_scheduled_at(str(value), date_format)


def _from_excel_serial(serial: float) -> datetime:
    """A number in a date column: Excel's day count (a cell that lost its date format)."""
    if not _EXCEL_MIN_SERIAL <= serial < _EXCEL_MAX_SERIAL:
        raise ScheduleError(
            "scheduled-at-invalid",
            f"{serial} is a number, not a date and time; {FORMATS_HINT}",
        )
    moment = _EXCEL_EPOCH + timedelta(seconds=round(serial * 86_400))
    if float(serial).is_integer():
        raise ScheduleError(
            "scheduled-at-no-time",
            f"{serial} reads as the date {moment.date().isoformat()} without a time of day; "
            f"write the time too, e.g. {moment.date().isoformat()} 09:00",
        )
    return moment


def _parse_text(text: str, date_format: DateFormat | None) -> datetime:
    # Fast path: most sheets use ISO "2031-03-01T09:00:00Z" or "2031-03-01 09:00", which
    # the C parser reads directly. Length >= 16 guarantees hours and minutes are present.
    if len(text) >= 16 and text[4] == "-" and text[7] == "-" and text[10] in "T t":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass  # the slower parsers below explain what is wrong
        else:
            return moment.replace(microsecond=0) if moment.microsecond else moment
    match = _YMD.fullmatch(text)
    if match is not None:
        return _build(text, match, int(match["year"]), int(match["month"]), int(match["day"]))
    match = _NUMERIC.fullmatch(text)
    if match is not None:
        return _build_numeric(text, match, date_format)
    match = _MONTH_FIRST.fullmatch(text) or _DAY_FIRST.fullmatch(text)
    if match is not None:
        month = _MONTHS.get(match["month_name"].lower())
        if month is not None:
            return _build(text, match, int(match["year"]), month, int(match["day"]))
    head, space, word = text.rpartition(" ")
    if space and _ZONE_WORD.fullmatch(word) and word.lower() not in _NOT_ZONE_WORDS:
        return _with_zone(text, head, word, date_format)
    raise ScheduleError("scheduled-at-invalid", f"'{shorten(text)}'{_UNREADABLE}")


_UNREADABLE = f" is not a date and time this tool can read; {FORMATS_HINT}"


def _with_zone(text: str, head: str, word: str, date_format: DateFormat | None) -> datetime:
    """``head`` read as a naive time, in the zone ``word`` names (see the docstring)."""
    try:
        moment = _parse_text(head, date_format)
    except ScheduleError as exc:
        if exc.message.endswith(_UNREADABLE):  # the head is no date: say so of the whole
            raise ScheduleError("scheduled-at-invalid", f"'{shorten(text)}'{_UNREADABLE}") from None
        raise
    zone = _zone_named(text, word)
    if moment.tzinfo is not None:
        raise ScheduleError(
            "scheduled-at-invalid",
            f"'{shorten(text)}' has both an offset and a zone; keep one of them",
        )
    return moment.replace(tzinfo=zone)


def _zone_named(text: str, word: str) -> tzinfo:
    """The zone (or fixed offset) a word after the time names; ScheduleError when none."""
    lower = word.lower()
    if "/" in word:
        found = zone_or_problem(word)
        if isinstance(found, str):
            raise ScheduleError("scheduled-at-invalid", f"'{shorten(text)}': {found}")
        return found
    if lower in ZONE_SHORT_NAMES:
        return ZoneInfo(ZONE_SHORT_NAMES[lower])
    offset = ZONE_ABBREVIATIONS.get(lower)
    if offset is not None:
        return timezone(offset, word.upper())
    choices = AMBIGUOUS_ZONE_ABBREVIATIONS.get(lower)
    if choices is not None:
        raise ScheduleError(
            "scheduled-at-zone-ambiguous",
            f"'{shorten(text)}': {word} names several zones: {choices}; write the zone name "
            "or the offset instead (e.g. 2031-03-14 09:00 Asia/Kolkata or 09:00+05:30)",
        )
    raise ScheduleError(
        "scheduled-at-invalid",
        f"'{shorten(text)}': {word} is not a time zone this tool knows; write an IANA name "
        f"(Europe/Paris) or an offset (+01:00) after the time; {FORMATS_HINT}",
    )


def _build_numeric(text: str, match: re.Match[str], date_format: DateFormat | None) -> datetime:
    if match["hour"] is None:  # say the time is missing before arguing about the date
        _refuse_date_only(text)
    first, second = int(match["first"]), int(match["second_part"])
    digits = len(match["year"])
    if digits == 3:
        raise ScheduleError(
            "scheduled-at-invalid",
            f"'{shorten(text)}' has a 3-digit year; write the year in full, e.g. 2031",
        )
    year = int(match["year"]) + (2000 if digits == 2 else 0)  # the two-digit-year rule
    if match["sep"] == ".":  # dotted dates are day first: 10.03.2031 is 10 March
        return _build(text, match, year, second, first)
    if first > 12 >= second:
        day, month = first, second
    elif second > 12 >= first:
        day, month = second, first
    elif first == second or date_format == "dmy":
        day, month = first, second
    elif date_format == "mdy":
        day, month = second, first
    else:
        raise ScheduleError(
            "scheduled-at-ambiguous",
            f"'{shorten(text)}' could be {first} {_MONTH_NAMES[second]} or {second} "
            f"{_MONTH_NAMES[first]}, and no cell of the column settles it (a day over 12); "
            f"write the date year-month-day ({year}-{second:02d}-{first:02d} for "
            f"{first} {_MONTH_NAMES[second]}), or pass --date-format dmy (day first) or mdy "
            "(month first)",
        )
    return _build(text, match, year, month, day)


def _build(text: str, match: re.Match[str], year: int, month: int, day: int) -> datetime:
    if match["hour"] is None:
        _refuse_date_only(text)
    hour = int(match["hour"])
    minute = int(match["minute"] or 0)
    second = int(match["second"] or 0)
    ampm = match["ampm"]
    if ampm is None and match["minute"] is None:
        raise ScheduleError(
            "scheduled-at-invalid",
            f"'{shorten(text)}' has an hour without minutes; {FORMATS_HINT}",
        )
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise ScheduleError(
                "scheduled-at-invalid",
                f"'{shorten(text)}': {hour} is not an hour on a 12-hour clock; "
                f"use 1-12 with AM/PM, or 0-23 without; {FORMATS_HINT}",
            )
        hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise ScheduleError(
            "scheduled-at-invalid",
            f"'{shorten(text)}' is not a real date-time: {exc}; {FORMATS_HINT}",
        ) from None
    zone = match["zone"]
    if zone is None:
        return moment
    return moment.replace(tzinfo=_parse_offset(text, zone))


def _refuse_date_only(text: str) -> None:
    raise ScheduleError(
        "scheduled-at-no-time",
        f"'{shorten(text)}' is a date without a time of day; write the time too, "
        f"e.g. '{shorten(text)} 09:00'",
    )


def _parse_offset(text: str, zone: str) -> tzinfo:
    if zone.lower() in ("z", "utc", "gmt"):
        return UTC
    found = _OFFSET.match(zone.strip())
    if found is None:  # the regex above only lets offsets through; kept for safety
        raise ScheduleError(
            "scheduled-at-invalid", f"'{shorten(text)}' has an unreadable offset; {FORMATS_HINT}"
        )
    sign, hours, minutes = found.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta >= timedelta(hours=24):
        raise ScheduleError(
            "scheduled-at-invalid",
            f"'{shorten(text)}' has an offset beyond 24 hours; {FORMATS_HINT}",
        )
    return timezone(-delta if sign == "-" else delta)


def parse_iso_column(cells: Sequence[CellValue]) -> list[datetime] | None:
    """What :func:`parse_scheduled_at` gives for each cell, when every cell is text of the
    form ``2031-03-01 09:00`` (or ``T``, or with seconds) and a real date and time;
    None otherwise (the caller reads the cells one by one). One regex and one C call for
    the column instead of a parse per row."""
    if not cells or not all(type(cell) is str for cell in cells):
        return None
    if not _iso_naive_column(cells):  # type: ignore[arg-type]
        return None
    try:
        return list(map(datetime.fromisoformat, cells))  # type: ignore[arg-type]
    except ValueError:  # "2031-02-30 09:00": the slower parsers say what is wrong
        return None


def _iso_naive_column(cells: Sequence[str]) -> bool:
    """True when every cell matches ``_ISO_NAIVE``. When all have one length (sheets
    write their times one way), each position is checked down the whole column at once:
    a strided slice of the joined text per position, in C. Else one regex over it."""
    lengths = set(map(len, cells))
    if len(lengths) == 1 and (size := lengths.pop()) in _ISO_LAYOUTS:
        joined = "".join(cells)
        count = len(cells)
        digits = "".join(joined[position::size] for position in _ISO_LAYOUTS[size])
        return (
            digits.isascii()
            and digits.isdigit()
            and joined[4::size] == joined[7::size] == "-" * count
            and not joined[10::size].replace("T", " ").strip(" ")
            and joined[13::size] == ":" * count
            and (size == 16 or joined[16::size] == ":" * count)
        )
    return _ISO_NAIVE_LINES.fullmatch("\n".join(cells)) is not None


# The digit positions of "2031-03-01 09:00" and "2031-03-01 09:00:30", by length.
_ISO_LAYOUTS = {
    16: (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15),
    19: (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18),
}


def localize_all(walls: Sequence[datetime], zones: Sequence[ZoneInfo]) -> list[datetime]:
    """``[localize(wall, zone) for ...]`` for naive wall times without fold or fraction
    (as :func:`parse_iso_column` gives them), raising as :func:`localize` does.

    The offsets and the steady-offset test of :func:`localize` are computed by C calls
    mapped over the column; only times near a transition are looked at one by one.
    """
    utcoffset = ZoneInfo.utcoffset
    offsets = list(map(utcoffset, zones, walls))
    steady_before = map(eq, map(utcoffset, zones, map(sub, walls, repeat(_DAY))), offsets)
    steady_after = map(eq, map(utcoffset, zones, map(add, walls, repeat(_DAY))), offsets)
    steady = list(map(and_, steady_before, steady_after))
    since_epoch = map(sub, map(sub, walls, repeat(_EPOCH)), offsets)
    utcs = list(map(add, repeat(_EPOCH_UTC), since_epoch))
    if False in steady:  # times near a transition: the exact test (raises in a gap or overlap)
        for index, calm in enumerate(steady):
            if not calm:
                utcs[index] = localize(walls[index], zones[index])
    return utcs


def localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant (whole seconds) of a wall-clock time in ``zone``.

    Raises :class:`ScheduleError` ``scheduled-at-nonexistent`` for a time skipped when
    clocks go forward and ``scheduled-at-ambiguous-dst`` for one that happens twice when
    they go back.
    """
    wall = naive
    if naive.fold or naive.microsecond or naive.tzinfo is not None:
        wall = datetime(naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second)
    offset = zone.utcoffset(wall)
    # A zone with the same offset a day before and a day after has no transition near this
    # time, so the time is neither skipped nor repeated: the cheap test for nearly every
    # row. Times near a transition get the exact one: the later reading (fold=1) of the
    # wall time has another offset only in a gap or an overlap.
    if zone.utcoffset(wall - _DAY) != offset or zone.utcoffset(wall + _DAY) != offset:
        other = zone.utcoffset(wall.replace(fold=1))
        if other != offset:
            _refuse_transition(wall, zone, offset, other)
    return _EPOCH_UTC + (wall - _EPOCH - offset)


def _refuse_transition(
    wall: datetime, zone: ZoneInfo, offset: timedelta | None, other: timedelta | None
) -> None:
    # A round trip through UTC tells a gap (the wall time never shows) from an overlap.
    back = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    shown = wall.strftime("%Y-%m-%d %H:%M")
    if back != wall:
        raise ScheduleError(
            "scheduled-at-nonexistent",
            f"{shown} does not exist in {zone.key}: clocks go forward that night and skip it; "
            "pick a time outside the skipped hour",
        )
    earlier = wall.replace(tzinfo=timezone(offset)).isoformat(timespec="minutes")
    later = wall.replace(tzinfo=timezone(other)).isoformat(timespec="minutes")
    raise ScheduleError(
        "scheduled-at-ambiguous-dst",
        f"{shown} happens twice in {zone.key}: clocks go back that night; write the offset "
        f"to choose, e.g. {earlier} (the first) or {later} (the second)",
    )


def to_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC, whole seconds."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    if moment.microsecond:
        moment = moment.replace(microsecond=0)
    return moment


def format_utc(moment: datetime) -> str:
    """``2031-03-01T08:00:00Z``: the form sent as ``scheduled_at`` (UTC, seconds, ``Z``)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    two = _TWO_DIGITS  # a table beats %02d formatting several times over; it runs per row
    year = moment.year
    return (
        f"{year if year >= 1000 else f'{year:04d}'}-{two[moment.month]}-{two[moment.day]}"
        f"T{two[moment.hour]}:{two[moment.minute]}:{two[moment.second]}Z"
    )


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))


@lru_cache(maxsize=512)
def zone_or_problem(name: str) -> ZoneInfo | str:
    """The zone ``name`` names (spaces around it ignored), or why it names none: the
    message :func:`check_timezone` raises. Cached."""
    # Failures are cached as messages too: a sheet with a misspelled zone on every row
    # must not look the name up (and compute suggestions) 100,000 times.
    candidate = name.strip()
    if not candidate:
        return "the time zone is blank"
    try:
        return ZoneInfo(candidate)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    message = f"'{candidate}' is not an IANA time zone name"
    suggestions = _suggest_zones(candidate)
    if suggestions:
        message += f"; did you mean {' or '.join(suggestions)}?"
    else:
        message += " (e.g. Europe/Paris, America/New_York, UTC)"
    return message


def _suggest_zones(name: str) -> list[str]:
    """Zones a mistyped name may mean: the same name in another case, a zone whose city
    it names (``Berlin`` -> ``Europe/Berlin``), or one spelled closely."""
    zones = _available_zones()
    key = name.lower().replace(" ", "_")
    exact = zones.get(key)
    if exact is not None:
        return [exact]
    by_city = sorted(zone for lower, zone in zones.items() if lower.rsplit("/", 1)[-1] == key)
    if by_city:
        return by_city[:2]
    matches = difflib.get_close_matches(name.lower(), list(zones), n=2, cutoff=0.75)
    return [zones[m] for m in matches]


@lru_cache(maxsize=1)
def _available_zones() -> dict[str, str]:
    return {zone.lower(): zone for zone in zoneinfo.available_timezones()}


def check_timezone(name: str) -> ZoneInfo:
    """The zone an IANA name names (``"Europe/Paris"``), cached.

    Raises ValueError with a one-line message (with a suggestion when the name is close to
    a real one, e.g. a lower-case ``europe/paris``).
    """
    found = zone_or_problem(name)
    if isinstance(found, str):
        raise ValueError(found)
    return found


# The start of a date written with numbers and "/" or "-", day and month in either order.
_NUMERIC_START = re.compile(r"\s*(\d{1,2})([/\-])(\d{1,2})\2\d{2,4}(?!\d)")
_NUMERIC_START_LINES = re.compile(r"^[ \t]*\d{1,2}[/\-]\d{1,2}[/\-]\d{2,4}", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class DateOrder:
    """What a ``scheduled_at`` column's cells say about its day/month order.

    ``order`` is the order its settling cells agree on (most of them, when they disagree),
    None when none settles it; ``evidence`` the first such cell (row number, text);
    ``settled`` how many cells settle it that way. ``conflicts`` maps the row number of
    each cell that settles it the other way to the error to give it.
    """

    order: DateFormat | None = None
    evidence: tuple[int, str] | None = None
    settled: int = 0
    conflicts: dict[int, str] = field(default_factory=dict)

    def note(self) -> str | None:
        """``scheduled_at read as month/day (row 7 has 3/14/2027)``, for the plan."""
        if self.order is None or self.evidence is None:
            return None
        row, text = self.evidence
        words = "month/day" if self.order == "mdy" else "day/month"
        more = f", and {self.settled - 1} more cell(s) agree" if self.settled > 1 else ""
        return f"scheduled_at read as {words} (row {row} has {shorten(text, 40)}{more})"


def infer_date_order(cells: Sequence[CellValue], row_numbers: Sequence[int]) -> DateOrder:
    """The day/month order of a column of ``scheduled_at`` cells, from the cells that
    settle it (a number over 12 in the day's place: ``3/14/2031`` is month first).

    Text cells with ``/`` or ``-`` after a 1-2 digit number count; dotted dates are day
    first anyway and ISO dates have the year first, so neither counts. When cells settle
    it both ways, the order of most wins and the others are ``conflicts``.
    """
    if all(map(isinstance, cells, repeat(str))):
        if _iso_naive_column(cells):  # type: ignore[arg-type]
            return DateOrder()  # the usual column: year first, nothing to settle
        texts: Sequence[str] = cells  # type: ignore[assignment]
    else:
        texts = [cell for cell in cells if type(cell) is str]
    if not texts or _NUMERIC_START_LINES.search("\n".join(texts)) is None:
        return DateOrder()  # no cell starts like one (an ISO column, say): one C scan
    found: dict[DateFormat, list[tuple[int, str]]] = {"dmy": [], "mdy": []}
    match = _NUMERIC_START.match
    for index, cell in enumerate(cells):
        if type(cell) is not str or not ("/" in cell[:6] or "-" in cell[:3]):
            continue
        numbers = match(cell)
        if numbers is None:
            continue
        first, second = int(numbers[1]), int(numbers[3])
        if first > 12 >= second:
            found["dmy"].append((row_numbers[index], cell.strip()))
        elif second > 12 >= first:
            found["mdy"].append((row_numbers[index], cell.strip()))
    dmy, mdy = found["dmy"], found["mdy"]
    if not dmy and not mdy:
        return DateOrder()
    if len(mdy) > len(dmy) or (len(mdy) == len(dmy) and mdy[0][0] < dmy[0][0]):
        order: DateFormat = "mdy"
    else:
        order = "dmy"
    agree, disagree = (mdy, dmy) if order == "mdy" else (dmy, mdy)
    evidence = agree[0]
    words = "month first" if order == "mdy" else "day first"
    other = "day first" if order == "mdy" else "month first"
    conflicts = {
        row: (
            f"'{shorten(text)}' can only be read {other}, but the column reads {words} "
            f"(row {evidence[0]} has {shorten(evidence[1], 40)}; {len(agree)} cell(s) read "
            "that way); write this date year-month-day (e.g. 2031-03-14 09:00) or make the "
            "column agree"
        )
        for row, text in disagree
    }
    return DateOrder(order, evidence, len(agree), conflicts)
