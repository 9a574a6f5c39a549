"""The planner's column-at-a-time paths give what the row-at-a-time ones give.

The planner reads a sheet column by column: cells transposed in one call, every row's
URLs checked together, a column of ISO times parsed and localised at once. Each is
checked here against the general function it stands in for, on ordinary and odd input.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bulk_scheduler.campaign import CellValue, column_values
from bulk_scheduler.checks import planner
from bulk_scheduler.checks.media_urls import inspect_url_lists, inspect_urls
from bulk_scheduler.checks.planner import PlannedRow, PlanOptions, RowPlanner
from bulk_scheduler.checks.schedule import (
    ScheduleError,
    localize,
    localize_all,
    parse_iso_column,
    parse_scheduled_at,
)
from bulk_scheduler.errors import CampaignFileError
from bulk_scheduler.sheet.loader import _rows as loader_rows
from bulk_scheduler.sheet.loader import load_campaign
from tests.rows import make_row, write_csv

NOW = datetime(2030, 6, 1, tzinfo=UTC)

# --- URLs --------------------------------------------------------------------------------

PLAIN_URLS = [
    "https://cdn.example.com/a.mp4",
    "HTTP://CDN.example.com/b.JPG",
    "https://cdn.example.com/v2.1/clip",
    "https://cdn.example.com/deep/er/c.jpeg",
    "https://cdn.example.com/a.tar.gz",
    "https://cdn.example.com/.png",
    "https://cdn.example.com/a.",
    "https://cdn.example.com/",
    "http://cdn.example.com//a.mp4",
    "https://cdn.example.com/@/a.PNG",
    "https://cdn.example.com/a.toolong",
]
ODD_URLS = [
    "https://cdn.example.com",
    "https://cdn.example.com/a.mp4?x=1#f",
    "https://user@cdn.example.com/a.mp4",
    "https://cdn.example.com/a b.mp4",
    "https://cdn.example.com/a\tb.mp4",
    "https://cdn.example.com/a\x1cb.mp4",
    "https://cdn.example.com/a.\u212a",
    "https://cdn.example.com/é/a.jpg",
    "https://cdn.example.com/a.jpg\u200b",
    "https://cdn.example.com/a\u3000b.jpg",
    "cdn.example.com/a.png",
    "https:///a.png",
    "https:/cdn.example.com/a.png",
    "ftp://cdn.example.com/a.mp4",
    "https://cdn.example.com/a.mp4#",
]


@pytest.mark.parametrize("seed", range(40))
def test_urls_of_many_rows_read_together_match_each_row_read_alone(seed: int) -> None:
    rng = random.Random(seed)
    # Half the runs use plain URLs only (the fast path), half mix in odd ones.
    pool = PLAIN_URLS if seed % 2 else PLAIN_URLS + ODD_URLS
    rows = [tuple(rng.choices(pool, k=rng.choice((0, 1, 1, 2, 5)))) for _ in range(60)]
    assert inspect_url_lists(rows) == [inspect_urls(urls) for urls in rows]


@pytest.mark.parametrize("odd", ODD_URLS + PLAIN_URLS)
def test_one_odd_url_among_plain_ones_is_read_as_alone(odd: str) -> None:
    rows = [("https://cdn.example.com/a.mp4",), (odd, "https://cdn.example.com/b.png"), ()]
    assert inspect_url_lists(rows) == [inspect_urls(urls) for urls in rows]


# --- scheduled_at ------------------------------------------------------------------------

COLUMNS_OF_TIMES = [
    ["2031-03-01 09:00", "2035-12-31 23:59"],
    ["2031-03-01T09:00", "2031-03-01 09:00"],
    ["2031-03-01 09:00:30", "2031-03-01T23:59:59"],
    ["2031-03-01 09:00", "2031-03-01 09:00:30"],
    ["2031-02-30 09:00", "2031-03-01 09:00"],
    ["2031-03-01 24:00"],
    ["2031-13-01 09:00"],
    ["2031-03-01t09:00"],
    ["２０３１-03-01 09:00"],
    ["2031-03-01 ９:00"],
    ["2031-03-01 09:00 "],
    [" 2031-03-01 09:00"],
    ["2031-03-01 09:00Z"],
    ["2031/03/01 09:00"],
    ["2031-03-01 0900"],
    ["2031-03-01 09:0", "2031-03-01 09:00"],
    ["2031-03-01X09:00"],
    ["2031-03-01 09-00"],
    ["2031-03-01 09:00:0x"],
    ["2031-03-01", "2031-03-01 09:00"],
    ["2031-03-01 09:00", None],
    ["2031-03-01 09:00", datetime(2031, 3, 1, 9)],
    [],
]


@pytest.mark.parametrize("cells", COLUMNS_OF_TIMES)
def test_a_column_of_iso_times_parses_as_each_cell_does(cells: list[object]) -> None:
    found = parse_iso_column(cells)  # type: ignore[arg-type]
    if found is None:
        return  # read row by row, by the general parser
    assert found == [parse_scheduled_at(cell) for cell in cells]  # type: ignore[arg-type]


@pytest.mark.parametrize("cells", [COLUMNS_OF_TIMES[0], COLUMNS_OF_TIMES[1], COLUMNS_OF_TIMES[2]])
def test_the_usual_forms_take_the_column_path(cells: list[str]) -> None:
    assert parse_iso_column(cells) is not None


ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "UTC"]
WALLS = [
    datetime(2031, 3, 30, 2, 30),  # Paris: skipped
    datetime(2031, 10, 26, 2, 30),  # Paris: twice
    datetime(2031, 3, 9, 2, 30),  # New York: skipped
    datetime(2031, 11, 2, 1, 30),  # New York: twice
    datetime(2031, 4, 6, 1, 45),  # Lord Howe: half-hour change
    datetime(2031, 3, 29, 2, 30),  # near a change
    datetime(2031, 7, 1, 9, 0),
    datetime(2031, 1, 15, 23, 59, 59),
]


@pytest.mark.parametrize("zone_name", ZONES)
@pytest.mark.parametrize("wall", WALLS)
def test_a_column_is_localised_as_each_time_is(zone_name: str, wall: datetime) -> None:
    zone = ZoneInfo(zone_name)
    walls = [datetime(2031, 6, 1, 12, 0), wall, datetime(2031, 12, 24, 18, 15)]
    zones = [zone] * 3
    try:
        expected = [localize(w, z) for w, z in zip(walls, zones, strict=True)]
    except ScheduleError as exc:
        with pytest.raises(ScheduleError) as raised:
            localize_all(walls, zones)
        assert (raised.value.code, raised.value.message) == (exc.code, exc.message)
        return
    found = localize_all(walls, zones)
    assert found == expected
    assert all(moment.tzinfo is UTC for moment in found)


# --- whole rows --------------------------------------------------------------------------


HEADERS = (
    "external_id",
    "caption",
    "media_type",
    "media_urls",
    "accounts",
    "scheduled_at",
    "timezone",
    "music_url",
    "note",
)


ACCOUNT = "0f4f54d4-8cce-4fb7-8c7b-befbcb8af812"


def _rows(seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    times = [
        "2031-03-01 09:00",
        "2031-03-30 02:30",
        "2031-10-26 02:30",
        "2031-02-30 10:00",
        "",
        "March 1, 2031 9:00",
        "2031-03-01T09:00:00Z",
    ]
    zones = ["Europe/Paris", "America/New_York", "", "Mars/Base", "  "]
    urls = (
        PLAIN_URLS + ODD_URLS[:4] + ["https://cdn.example.com/a.jpg|https://cdn.example.com/b.png"]
    )
    return [
        [
            rng.choice(["", "id-1", "id-1", " x "]),
            rng.choice(["Hello", "", " Hi\r\n", "Same"]),
            rng.choice(["", "video", "slideshow", "bogus"]),
            rng.choice([*urls, ""]),
            rng.choice([ACCOUNT, "@genviral", "", "no pe"]),
            rng.choice(times),
            rng.choice(zones),
            rng.choice(["", "https://www.tiktok.com/@g/video/1"]),
            "note",
        ]
        for _ in range(80)
    ]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("timezone", [None, "Asia/Tokyo"])
def test_rows_planned_together_match_rows_planned_one_by_one(
    tmp_path: Path, seed: int, timezone: str | None
) -> None:
    rows = load_campaign(write_csv(tmp_path / "c.csv", _rows(seed), HEADERS)).rows
    options = PlanOptions(timezone=timezone, now=NOW)
    together = RowPlanner(options).plan_rows(rows)
    alone = [RowPlanner(options).plan(row) for row in rows]
    for ours, theirs in zip(together, alone, strict=True):
        assert (ours.payload, ours.issues, ours.publish_at, ours.content_key) == (
            theirs.payload,
            theirs.issues,
            theirs.publish_at,
            theirs.content_key,
        )


def test_a_column_of_ordinary_rows_is_localised_at_once(tmp_path: Path) -> None:
    rows = [
        ["", "Hello", "video", PLAIN_URLS[0], ACCOUNT, "2031-03-01 09:00", "Europe/Paris", "", ""],
        ["", "Bye", "video", PLAIN_URLS[0], ACCOUNT, "2031-07-01 09:00", "", "", ""],
    ]
    loaded = load_campaign(write_csv(tmp_path / "c.csv", rows, HEADERS)).rows
    planned = RowPlanner(PlanOptions(timezone="Asia/Tokyo", now=NOW)).plan_rows(loaded)
    assert [p.scheduled_at for p in planned] == ["2031-03-01T08:00:00Z", "2031-07-01T00:00:00Z"]


@pytest.mark.parametrize("timezone", [None, "Asia/Tokyo"])
@pytest.mark.parametrize(
    "zones",
    [
        ["Europe/Paris", "Europe/Paris"],
        ["Europe/Paris", ""],
        ["", "  "],
        ["Europe/Paris", "Mars/Base"],
        ["Mars/Base", ""],
    ],
)
def test_iso_times_with_blank_or_unknown_zones_are_read_by_their_zone_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zones: list[str], timezone: str | None
) -> None:
    rows = [
        ["", f"Post {n}", "video", PLAIN_URLS[0], ACCOUNT, "2031-03-01 09:00", zone, "", ""]
        for n, zone in enumerate(zones)
    ]
    loaded = load_campaign(write_csv(tmp_path / "c.csv", rows, HEADERS)).rows
    columns: list[int] = []  # the column path's calls: one per block it takes

    def spy(walls: list[datetime], zones: list[ZoneInfo]) -> list[datetime]:
        columns.append(len(walls))
        return localize_all(walls, zones)

    monkeypatch.setattr(planner, "localize_all", spy)
    planned = RowPlanner(PlanOptions(timezone=timezone, now=NOW)).plan_rows(loaded)
    # The column path takes the block when every cell names a zone, or is blank with --timezone.
    assert bool(columns) == all(z == "Europe/Paris" or (not z.strip() and timezone) for z in zones)

    def expected(zone: str) -> tuple[datetime | None, list[str]]:
        if zone == "Europe/Paris":
            return datetime(2031, 3, 1, 8, tzinfo=UTC), []
        if zone == "Mars/Base":
            return None, ["timezone-unknown"]
        if timezone:  # a blank cell takes --timezone
            return datetime(2031, 3, 1, 0, tzinfo=UTC), []
        return None, ["timezone-missing"]

    found = [
        (p.publish_at, [i.code for i in p.issues if i.code.startswith("timezone")]) for p in planned
    ]
    assert found == [expected(zone) for zone in zones]


@pytest.mark.parametrize("default_accounts", [(), (ACCOUNT,)])
def test_accounts_cells_read_in_blocks_are_read_as_each_row_alone(
    monkeypatch: pytest.MonkeyPatch, default_accounts: tuple[str, ...]
) -> None:
    # Blocks of three: cells first seen in this block, earlier in it, or in an earlier one.
    monkeypatch.setattr(planner, "_BLOCK_ROWS", 3)
    cells: list[CellValue] = [ACCOUNT, "", "no pe", f"{ACCOUNT},{ACCOUNT.upper()}", "  ", 884]
    cells += ["@genviral", ACCOUNT, "no pe", 884, "", f"{ACCOUNT};@genviral", None, "no pe"]
    rows = [make_row(n + 2, accounts=cell, caption=f"Post {n}") for n, cell in enumerate(cells)]
    options = PlanOptions(timezone="UTC", default_accounts=default_accounts, now=NOW)
    together = RowPlanner(options).plan_rows(rows)
    alone = [RowPlanner(options).plan(row) for row in rows]

    def accounts(plan: PlannedRow) -> tuple[object, ...]:
        found = [(i.code, i.message, i.row) for i in plan.issues if i.column == "accounts"]
        return plan.account_keys, plan.account_ids, found

    assert list(map(accounts, together)) == list(map(accounts, alone))
    codes = [[code for code, _, _ in accounts(p)[2]] for p in together]
    assert codes[2] == codes[8] == codes[13] == ["account-malformed"]
    assert codes[3] == ["account-duplicate"]
    assert codes[9] == ["account-malformed"]  # 884 is not an account
    blank = [] if default_accounts else ["accounts-missing"]
    assert codes[1] == codes[4] == codes[10] == codes[12] == blank


def test_columns_read_from_loaded_rows_match_their_values(tmp_path: Path) -> None:
    extra = [f"x{n}" for n in range(30)]  # a wide sheet: only the asked columns are kept
    path = tmp_path / "wide.csv"
    path.write_text(
        ",".join(["caption", "accounts", *extra])
        + "\n"
        + "\n".join(f"c{n},@a{n}," + ",".join(extra) for n in range(5))
        + "\nonly caption\n",
        encoding="utf-8",
    )
    rows = load_campaign(path).rows
    columns = ["caption", "accounts", "timezone", "x3"]
    expected = [[row.values.get(column) for row in rows] for column in columns]
    fresh = load_campaign(path).rows
    assert [list(found) for found in column_values(fresh, columns)] == expected
    fresh[2].values["caption"] = "changed"  # a values dict made and changed: it counts
    assert list(column_values(fresh, ["caption"])[0])[2] == "changed"


# --- the loader --------------------------------------------------------------------------

GRIDS = [
    [["caption", "accounts"], ["a", "@a"], ["b", None], [None, "@c"]],
    [["caption", "accounts"], ["a", "@a"], [], [None, None], ["b", "@b"], []],
    [["caption", "accounts", "note"], ["a", "@a", None], ["b"], ["c", "@c", "x"]],
    [["caption", "accounts"], ["a", "@a", None, None], ["b", "@b"]],
    [["caption", "accounts"]],
    [["caption", "accounts"], [], []],
]


@pytest.mark.parametrize("grid", GRIDS)
@pytest.mark.parametrize("max_rows", [None, 1, 5])
def test_rows_made_at_once_match_rows_made_one_by_one(
    grid: list[list[object]], max_rows: int | None
) -> None:
    columns = {"caption": 0, "accounts": 1}
    width = max(len(grid[0]), 2)

    def made(keep: set[int]) -> object:
        try:
            rows = loader_rows([list(r) for r in grid], columns, width, keep, "f", max_rows)  # type: ignore[arg-type]
        except CampaignFileError as exc:
            return str(exc)
        return [(r.row_number, r.values, r.original, dict(r.cells)) for r in rows]

    # A row to keep that does not exist sends the rows down the one-by-one path.
    assert made(set()) == made({10**9})
