"""Reading scheduled_at: the formats people write, the day/month rule, time zones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulk_scheduler.checks.schedule import (
    ScheduleError,
    check_timezone,
    format_utc,
    infer_date_order,
    localize,
    parse_scheduled_at,
    to_utc,
    zone_or_problem,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def utc_text(value: object, zone: ZoneInfo = PARIS, date_format: str | None = None) -> str:
    """The UTC form a cell would be sent as, read in ``zone`` when it has no offset."""
    moment = parse_scheduled_at(value, date_format)  # type: ignore[arg-type]
    assert moment is not None
    return format_utc(localize(moment, zone) if moment.tzinfo is None else to_utc(moment))


def schedule_error(value: object, date_format: str | None = None) -> ScheduleError:
    with pytest.raises(ScheduleError) as caught:
        parse_scheduled_at(value, date_format)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2031-03-01T09:00:00Z", "2031-03-01T09:00:00Z"),
        ("2031-03-01T09:00:00+02:00", "2031-03-01T07:00:00Z"),
        ("2031-03-01T09:00:00.750-05:00", "2031-03-01T14:00:00Z"),
        ("2031-03-01 09:00", "2031-03-01T08:00:00Z"),
        ("2031-03-01T09:00", "2031-03-01T08:00:00Z"),
        ("2031-03-01 9:00 AM", "2031-03-01T08:00:00Z"),
        ("2031-03-01 9:30 p.m.", "2031-03-01T20:30:00Z"),
        ("2031-03-01 12:15 am", "2031-02-28T23:15:00Z"),
        ("2031/03/01 09:00", "2031-03-01T08:00:00Z"),
        ("2031.03.01 09:00:30", "2031-03-01T08:00:30Z"),
        ("13/03/2031 09:00", "2031-03-13T08:00:00Z"),
        ("03/13/2031 09:00", "2031-03-13T08:00:00Z"),
        ("03/03/2031 09:00", "2031-03-03T08:00:00Z"),
        ("March 1, 2031 9:00", "2031-03-01T08:00:00Z"),
        ("Mar 1 2031 09:00", "2031-03-01T08:00:00Z"),
        ("1 Mar 2031 09:00", "2031-03-01T08:00:00Z"),
        ("1st March 2031 at 9am", "2031-03-01T08:00:00Z"),
        ("Saturday, March 1, 2031 9:00 AM", "2031-03-01T08:00:00Z"),
        ("1-Mar-2031 09:00", "2031-03-01T08:00:00Z"),
        ("Sept 3, 2031 10:00", "2031-09-03T08:00:00Z"),
        ("2031-03-01 09:00 UTC", "2031-03-01T09:00:00Z"),
        ("2031-03-01 09:00 GMT+2", "2031-03-01T07:00:00Z"),
        ("2031-03-01 09:00 -0500", "2031-03-01T14:00:00Z"),
        ("  2031-03-01   09:00  ", "2031-03-01T08:00:00Z"),
    ],
)
def test_common_text_formats_are_read(written: str, expected: str) -> None:
    assert utc_text(written) == expected


def test_a_naive_datetime_cell_is_local_time() -> None:
    assert utc_text(datetime(2031, 3, 1, 9, 0)) == "2031-03-01T08:00:00Z"


def test_an_aware_datetime_cell_keeps_its_offset() -> None:
    cell = datetime(2031, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert utc_text(cell) == "2031-03-01T14:00:00Z"


def test_a_number_is_read_as_an_excel_serial_date_time() -> None:
    # 46082.375 days after 1899-12-30 is 2026-03-01 09:00.
    assert parse_scheduled_at(46082.375) == datetime(2026, 3, 1, 9, 0)


def test_fractions_of_a_second_are_dropped() -> None:
    assert parse_scheduled_at("2031-03-01T09:00:00.999Z") == datetime(2031, 3, 1, 9, tzinfo=UTC)


def test_blank_means_no_time() -> None:
    assert parse_scheduled_at(None) is None
    assert parse_scheduled_at("   ") is None


@pytest.mark.parametrize(
    "written",
    ["2031-03-01", "March 1, 2031", "01/03/2031", date(2031, 3, 1), 46082.0],
)
def test_a_date_without_a_time_is_refused(written: object) -> None:
    assert schedule_error(written).code == "scheduled-at-no-time"


@pytest.mark.parametrize(
    "written",
    [
        "next tuesday",
        "2031-02-30 10:00",
        "2031-03-01 25:00",
        "2031-03-01 13:00 PM",
        "2031-03-01 9",
        "01/03/031 09:00",
        "Smarch 1, 2031 09:00",
        time(9, 0),
        True,
        12.5,
    ],
)
def test_unreadable_values_are_invalid(written: object) -> None:
    assert schedule_error(written).code == "scheduled-at-invalid"


def test_day_and_month_both_twelve_or_less_is_ambiguous() -> None:
    problem = schedule_error("01/03/2031 09:00")
    assert problem.code == "scheduled-at-ambiguous"
    assert "1 March or 3 January" in problem.message
    assert "--date-format" in problem.message


@pytest.mark.parametrize(
    ("date_format", "expected"),
    [("dmy", datetime(2031, 3, 1, 9)), ("mdy", datetime(2031, 1, 3, 9))],
)
def test_date_format_settles_the_order(date_format: str, expected: datetime) -> None:
    assert parse_scheduled_at("01/03/2031 09:00", date_format) == expected  # type: ignore[arg-type]


def test_a_part_over_twelve_settles_the_order_whatever_date_format_says() -> None:
    assert parse_scheduled_at("25/03/2031 09:00", "mdy") == datetime(2031, 3, 25, 9)


@pytest.mark.parametrize(
    ("zone", "wall"),
    [(PARIS, datetime(2031, 3, 30, 2, 30)), (NEW_YORK, datetime(2031, 3, 9, 2, 30))],
)
def test_a_time_skipped_by_spring_forward_does_not_exist(zone: ZoneInfo, wall: datetime) -> None:
    with pytest.raises(ScheduleError) as caught:
        localize(wall, zone)
    assert caught.value.code == "scheduled-at-nonexistent"
    assert zone.key in caught.value.message


@pytest.mark.parametrize(
    ("zone", "wall", "first", "second"),
    [
        (PARIS, datetime(2031, 10, 26, 2, 30), "+02:00", "+01:00"),
        (NEW_YORK, datetime(2031, 11, 2, 1, 30), "-04:00", "-05:00"),
    ],
)
def test_a_time_repeated_by_fall_back_is_ambiguous(
    zone: ZoneInfo, wall: datetime, first: str, second: str
) -> None:
    with pytest.raises(ScheduleError) as caught:
        localize(wall, zone)
    assert caught.value.code == "scheduled-at-ambiguous-dst"
    assert first in caught.value.message and second in caught.value.message


def test_a_fold_flag_does_not_silently_pick_one_of_two_times() -> None:
    with pytest.raises(ScheduleError):
        localize(datetime(2031, 11, 2, 1, 30, fold=1), NEW_YORK)


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        (datetime(2031, 3, 30, 1, 59), "2031-03-30T00:59:00Z"),  # just before the gap
        (datetime(2031, 3, 30, 3, 0), "2031-03-30T01:00:00Z"),  # just after it
        (datetime(2031, 10, 26, 1, 59), "2031-10-25T23:59:00Z"),  # just before the overlap
        (datetime(2031, 10, 26, 3, 0), "2031-10-26T02:00:00Z"),  # just after it
    ],
)
def test_times_around_a_transition_are_fine(wall: datetime, expected: str) -> None:
    assert format_utc(localize(wall, PARIS)) == expected


_ZONES = [ZoneInfo(name) for name in ("Europe/Paris", "America/New_York", "Australia/Lord_Howe")]


@settings(max_examples=300, deadline=None)
@given(
    wall=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2040, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    ),
    zone=st.sampled_from(_ZONES),
)
def test_localize_agrees_with_the_fold_round_trip(wall: datetime, zone: ZoneInfo) -> None:
    # The reference: a wall time is in a gap or an overlap exactly when its two readings
    # (fold 0 and 1) have different offsets; a gap when fold 0 does not round-trip.
    earlier = wall.replace(tzinfo=zone, fold=0)
    later = wall.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() == later.utcoffset():
        assert localize(wall, zone) == earlier.astimezone(UTC)
        return
    round_trip = earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    expected = "scheduled-at-nonexistent" if round_trip != wall else "scheduled-at-ambiguous-dst"
    with pytest.raises(ScheduleError) as caught:
        localize(wall, zone)
    assert caught.value.code == expected


def test_utc_is_sent_with_z_and_whole_seconds() -> None:
    moment = datetime(2031, 3, 1, 9, 0, 5, 123_000, tzinfo=timezone(timedelta(hours=1)))
    assert format_utc(to_utc(moment)) == "2031-03-01T08:00:05Z"


def test_check_timezone_returns_the_zone() -> None:
    assert check_timezone("America/New_York") == NEW_YORK


def test_check_timezone_suggests_the_right_spelling() -> None:
    with pytest.raises(ValueError, match="did you mean Europe/Paris"):
        check_timezone("europe/paris")


def test_check_timezone_refuses_a_made_up_zone() -> None:
    with pytest.raises(ValueError, match="not an IANA time zone"):
        check_timezone("Mars/Olympus_Mons")


def test_zone_or_problem_gives_the_reason_instead_of_raising() -> None:
    assert zone_or_problem(" Europe/Paris ") == PARIS
    assert "not an IANA time zone" in str(zone_or_problem("Nowhere/Land"))


# --- dates people write (issue 15) ------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("10.03.2027 17:15", datetime(2027, 3, 10, 17, 15)),  # dotted: day first
        ("10.03.27 17:15", datetime(2027, 3, 10, 17, 15)),  # two-digit year: 2000 + yy
        ("3/14/27 9:00 PM", datetime(2027, 3, 14, 21, 0)),
        ("Mar 3, 2027 9:00 AM", datetime(2027, 3, 3, 9, 0)),
        ("3 March 2027 17:15", datetime(2027, 3, 3, 17, 15)),
    ],
)
def test_dates_people_write(written: str, expected: datetime) -> None:
    assert parse_scheduled_at(written) == expected


@pytest.mark.parametrize("written", ["now", "NOW", " Now ", ""])
def test_now_and_blank_mean_immediately(written: str) -> None:
    assert parse_scheduled_at(written) is None


def test_a_dotted_date_is_never_month_first() -> None:
    assert schedule_error("03.14.2027 09:00").code == "scheduled-at-invalid"


def test_a_zone_name_after_the_time_is_used() -> None:
    moment = parse_scheduled_at("2027-07-01 10:00 Europe/Paris")
    assert moment is not None and moment.tzinfo is not None
    assert format_utc(localize(moment.replace(tzinfo=None), moment.tzinfo)) == (  # type: ignore[arg-type]
        "2027-07-01T08:00:00Z"
    )


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2027-07-01 10:00 CET", "2027-07-01T09:00:00Z"),
        ("2027-01-15 10:00 EST", "2027-01-15T15:00:00Z"),
        ("Mar 3, 2027 9:00 AM PST", "2027-03-03T17:00:00Z"),
        ("2027-07-01 10:00 BST", "2027-07-01T09:00:00Z"),
    ],
)
def test_an_abbreviation_with_one_offset_is_that_offset(written: str, utc: str) -> None:
    moment = parse_scheduled_at(written)
    assert moment is not None
    assert format_utc(moment) == utc


@pytest.mark.parametrize("abbreviation", ["IST", "CST"])
def test_an_ambiguous_abbreviation_lists_the_choices(abbreviation: str) -> None:
    problem = schedule_error(f"2027-07-01 10:00 {abbreviation}")
    assert problem.code == "scheduled-at-zone-ambiguous"
    assert " or " in problem.message and "+0" in problem.message


@pytest.mark.parametrize("written", ["next tuesday", "2027-07-01 10:00 XYZ", "31.02.2027 9:00"])
def test_every_rejected_date_names_the_formats_that_work(written: str) -> None:
    assert "14.03.2031 09:00" in schedule_error(written).message
    assert "Mar 14, 2031 9:00 AM" in schedule_error(written).message


def test_a_column_order_is_inferred_from_the_cells_that_settle_it() -> None:
    found = infer_date_order(["4/1/2027 9:00", "3/14/2027 9:00:00", "2027-01-01 10:00"], [2, 3, 4])
    assert found.order == "mdy" and not found.conflicts
    assert found.note() == "scheduled_at read as month/day (row 3 has 3/14/2027 9:00:00)"


def test_a_column_that_contradicts_itself_names_the_cells_that_disagree() -> None:
    found = infer_date_order(["3/14/2027 9:00", "3/15/2027 9:00", "25/3/2027 9:00"], [2, 3, 4])
    assert found.order == "mdy"
    assert list(found.conflicts) == [4]
    assert "day first" in found.conflicts[4] and "row 2" in found.conflicts[4]
