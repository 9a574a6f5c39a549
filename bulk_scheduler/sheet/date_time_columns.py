"""A date column and a time column that together say when to publish.

Most content calendars keep the day and the hour apart ("Date" and "Time", "Publish
date" and "Publish time", "Post date" and "Post time"). When a sheet has one date column
and one time column, and no other ``scheduled_at`` column, the two are read as one
``scheduled_at`` value, which the planner then reads like any other:

- a date cell and a time cell (or a time written as a fraction of a day, as Excel keeps
  it) make a date-time value, as a date-time cell would;
- otherwise the two are joined as text, ``"<date> <time>"`` (a date cell as
  ``2027-03-10``, a time cell as ``17:15``), and the planner reads that text;
- both blank is a blank ``scheduled_at`` (publish immediately); one without the other
  is a ``date-time-incomplete`` error on the row.

The sheet's own cells are never changed: the results sheet shows them as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from bulk_scheduler.campaign import CellValue, cell_text
from bulk_scheduler.sheet.columns import normalize_header

__all__ = ["DATE_HEADERS", "TIME_HEADERS", "combine_date_time", "date_time_pair"]

# Normalised headers (``columns.normalize_header``) of a date column and of a time column.
_PREFIXES = ("", "publish_", "post_", "posting_", "publishing_", "schedule_", "scheduled_")
DATE_HEADERS = frozenset(prefix + "date" for prefix in _PREFIXES)
TIME_HEADERS = frozenset(prefix + "time" for prefix in _PREFIXES)


def date_time_pair(headers: Sequence[str]) -> tuple[int, int] | None:
    """``(date index, time index)`` when ``headers`` hold exactly one date column and one
    time column (:data:`DATE_HEADERS`, :data:`TIME_HEADERS`); None otherwise."""
    dates = [i for i, h in enumerate(headers) if h and normalize_header(h) in DATE_HEADERS]
    times = [i for i, h in enumerate(headers) if h and normalize_header(h) in TIME_HEADERS]
    if len(dates) == 1 and len(times) == 1:
        return dates[0], times[0]
    return None


def combine_date_time(day: CellValue, hour: CellValue) -> CellValue | str | None:
    """The ``scheduled_at`` value a date cell and a time cell make (see the module).

    Raises ``ValueError("date")`` or ``ValueError("time")``, the half that is missing,
    when only one is given.
    """
    day_blank = day is None or (isinstance(day, str) and not day.strip())
    hour_blank = hour is None or (isinstance(hour, str) and not hour.strip())
    if day_blank and hour_blank:
        return None
    if day_blank:
        raise ValueError("date")
    if hour_blank:
        raise ValueError("time")
    real_day = _as_date(day)
    real_hour = _as_time(hour)
    if real_day is not None and real_hour is not None:
        return datetime.combine(real_day, real_hour)
    day_text = real_day.isoformat() if real_day is not None else cell_text(day).strip()
    if real_hour is not None:
        hour_text = real_hour.isoformat(timespec="seconds" if real_hour.second else "minutes")
    else:
        hour_text = cell_text(hour).strip()
    return f"{day_text} {hour_text}"


def _as_date(value: CellValue) -> date | None:
    """A date cell's day (a date-time cell's day: the time column gives the time)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def _as_time(value: CellValue) -> time | None:
    """A time cell, or a fraction of a day (Excel keeps 17:15 as 0.71875)."""
    if isinstance(value, time):
        return value
    if isinstance(value, datetime):
        # A time-only cell some writers give on Excel's day zero (1899-12-30/31).
        return value.time() if value.year < 1901 else None
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1:
        seconds = round(value * 86_400)
        return (datetime.min + timedelta(seconds=seconds)).time() if seconds < 86_400 else None
    return None
