"""Posting slots: how ``--slots`` is read, and how rows are placed in them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bulk_scheduler.checks.slots import SlotPlacer, SlotSyntaxError, parse_slots, slot_times


@pytest.mark.parametrize(
    ("written", "described"),
    [
        (
            "Mon-Fri 09:00,18:00; Sat 11:00",
            "Mon 09:00, 18:00; Tue 09:00, 18:00; Wed 09:00, "
            "18:00; Thu 09:00, 18:00; Fri 09:00, 18:00; Sat 11:00",
        ),
        ("Fri-Mon 9am", "Mon 09:00; Fri 09:00; Sat 09:00; Sun 09:00"),
        ("mon,WED 6:30pm, 07:15", "Mon 07:15, 18:30; Wed 07:15, 18:30"),
        (
            "weekends 12pm; weekdays 12am",
            "Mon 00:00; Tue 00:00; Wed 00:00; Thu 00:00; Fri 00:00; Sat 12:00; Sun 12:00",
        ),
        (
            "daily 10:00;",
            "Mon 10:00; Tue 10:00; Wed 10:00; Thu 10:00; Fri 10:00; Sat 10:00; Sun 10:00",
        ),
        ("Tuesday 08.45; Thursday 8h45", "Tue 08:45; Thu 08:45"),
    ],
)
def test_slots_are_read_as_people_write_them(written: str, described: str) -> None:
    assert parse_slots(written).describe() == described


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("", "no slots given"),
        ("Mon", "is not days then times"),
        ("Mon 9", "'9' is not a time"),
        ("Mon 13pm", "'13pm' is not a time of day"),
        ("Mon 09:60", "'09:60' is not a time of day"),
        ("Mon-Funday 09:00", "'Funday' is not a day"),
    ],
)
def test_bad_slots_say_which_part(written: str, problem: str) -> None:
    with pytest.raises(SlotSyntaxError, match=problem):
        parse_slots(written)


def test_slots_start_at_the_start_and_skip_the_gap_of_a_clock_change() -> None:
    paris = ZoneInfo("Europe/Paris")
    schedule = parse_slots("daily 02:30")
    start = datetime(2036, 3, 29, 3, 0, tzinfo=paris)  # after Saturday's slot
    times = slot_times(schedule, start, paris)
    assert [next(times) for _ in range(2)] == [
        datetime(2036, 3, 31, 0, 30, tzinfo=UTC),  # Sunday 02:30 does not exist in Paris
        datetime(2036, 4, 1, 0, 30, tzinfo=UTC),
    ]


def test_a_slot_is_free_only_when_none_of_the_rows_accounts_takes_it() -> None:
    utc = ZoneInfo("UTC")
    placer = SlotPlacer(parse_slots("daily 09:00"), datetime(2036, 1, 1, tzinfo=UTC), utc)
    placer.take(("a",), datetime(2036, 1, 1, 9, tzinfo=UTC))
    assert placer.place(("a", "b")).day == 2
    assert placer.place(("b",)).day == 1
    assert placer.place(("c",)).day == 1
    assert placer.place(("b", "c")).day == 3
    assert placer.place(("a",)).day == 3
