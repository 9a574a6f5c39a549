"""The fast paths of offline validation give what the general ones give.

Loading decodes UTF-8 while it parses; URLs are read a row at a time; the media check
reads a plain URL's host without urlsplit; the planner keeps
per-run caches; duplicates are found caption first; the loader's rows make their cell
references on demand; the collector pause moves what a pass made to the oldest
generation. Each is checked here against the plain way of getting the same answer.
"""

from __future__ import annotations

import gc
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bulk_scheduler.campaign import CampaignRow, cell_ref
from bulk_scheduler.checks.accounts import split_account_tokens
from bulk_scheduler.checks.media_urls import inspect_url, inspect_urls
from bulk_scheduler.checks.planner import PlanOptions, RowPlanner, plan_row
from bulk_scheduler.checks.rules import plan_and_validate
from bulk_scheduler.errors import CampaignFileError
from bulk_scheduler.memory import collector_paused
from bulk_scheduler.sandbox.seed import HOSTED_TIKTOK_ID
from bulk_scheduler.sandbox.state import iso_utc
from bulk_scheduler.sheet.csv_reader import decode, parse_rows, read_csv
from bulk_scheduler.sheet.loader import load_campaign
from tests.rows import make_row

NOW = datetime(2030, 6, 1, tzinfo=UTC)

# --- the CSV reader ----------------------------------------------------------------------


def _text_way(path: Path) -> list[list[str | None]]:
    """The rows as a whole-file decode then a parse give them."""
    text, _ = decode(path.read_bytes(), path.name)
    return parse_rows(text, ",", path.name)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf"])
def test_utf8_read_while_decoding_matches_a_whole_file_decode(
    tmp_path: Path, ending: str, bom: bytes
) -> None:
    lines = ["caption,accounts"]
    for n in range(3_000):  # several decoding chunks, a character cut at their edges
        lines.append(f'"Line {n} 🎉\nsecond line é",acc{n}')
        lines.append(",,")
    path = tmp_path / "big.csv"
    path.write_bytes(bom + ending.join(lines).encode("utf-8") + ending.encode())
    table = read_csv(path, path.name)
    assert table.rows == _text_way(path)
    assert table.encoding == ("utf-8-sig" if bom else "utf-8")


def test_a_bad_byte_late_in_the_file_wins_over_an_earlier_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "both.csv"
    long_cell = "x" * 200_000  # over the csv module's field limit: a bad row early on
    body = f"caption,accounts\n{long_cell},a\n" + "ok,a\n" * 30_000
    path.write_bytes(body.encode() + b"\xff\n")
    # Named UTF-8 (a file that is not UTF-8 is otherwise read in the encoding detected).
    with pytest.raises(CampaignFileError, match=r"byte 0xff on line 30003"):
        read_csv(path, path.name, encoding="utf-8")


def test_a_quote_left_open_far_from_the_end_of_a_big_file_is_found(tmp_path: Path) -> None:
    path = tmp_path / "open.csv"
    path.write_text(
        "caption,accounts\n" + "ok,a\n" * 20_000 + '"never closed,a\n' + "more,b\n" * 5_000,
        encoding="utf-8",
    )
    with pytest.raises(CampaignFileError, match=r"row 20002: a quote"):
        read_csv(path, path.name)


# --- media URLs --------------------------------------------------------------------------

URLS = [
    "https://cdn.example.com/a.mp4",
    "HTTPS://CDN.example.com/b.JPG",
    "http://cdn.example.com/v2.1/clip",
    "https://cdn.example.com",
    "https://cdn.example.com/a.mp4?x=1#f",
    "https://user@cdn.example.com/a.mp4",
    "https://cdn.example.com/a b.mp4",
    "https://cdn.example.com/a.\u212a",  # KELVIN SIGN: not an ASCII extension
    "cdn.example.com/a.png",
    "https:///a.png",
    "https://cdn.example.com/a.toolong",
    "https://cdn.example.com/@/a.PNG",
]


@pytest.mark.parametrize("url", URLS)
def test_a_rows_urls_read_together_match_each_read_alone(url: str) -> None:
    urls = (url, "https://cdn.example.com/other.png")
    expected = [inspect_url(u) for u in urls]
    extensions, invalid = inspect_urls(urls)
    assert list(extensions) == [extension for _, extension in expected]
    assert list(invalid) == [u for u, (valid, _) in zip(urls, expected, strict=True) if not valid]


def test_an_http_url_is_one_the_documented_pattern_matches() -> None:
    documented = re.compile(r"https?://[^\s/?#@]+(/[^\s?#]*)?(?:[?#]\S*)?", re.IGNORECASE)
    for url in URLS:
        assert inspect_url(url)[0] == (documented.fullmatch(url) is not None), url


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2031, 3, 1, 8, 0, tzinfo=UTC),
        datetime(2031, 3, 1, 9, 30, 5, tzinfo=timezone(timedelta(hours=1, minutes=30))),
        datetime(1000, 1, 1, 0, 0, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_the_sandbox_writes_a_whole_second_time_as_strftime_does(moment: datetime) -> None:
    assert iso_utc(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the planner -------------------------------------------------------------------------


def test_one_planner_for_many_rows_plans_each_as_plan_row_does() -> None:
    options = PlanOptions(timezone="Europe/Paris", now=NOW)
    rows = [
        make_row(2, timezone="America/New_York"),
        make_row(3, timezone="Mars/Olympus"),
        make_row(4, timezone="America/New_York", scheduled_at="2031-03-02 09:00"),
        make_row(5, timezone=None),
        make_row(6, timezone="  "),
        make_row(7, accounts="@genviral"),
        make_row(8, accounts="@genviral"),
        make_row(9, accounts=""),
    ]
    planner = RowPlanner(options)
    for row in rows:
        ours, alone = planner.plan(row), plan_row(row, options)
        assert (ours.payload, ours.issues, ours.publish_at) == (
            alone.payload,
            alone.issues,
            alone.publish_at,
        )


def test_a_blank_accounts_cell_takes_the_default_accounts_each_time() -> None:
    options = PlanOptions(timezone="UTC", default_accounts=(HOSTED_TIKTOK_ID,), now=NOW)
    planned = plan_and_validate([make_row(2, accounts=""), make_row(3, accounts="  ")], options)
    assert [p.account_ids for p in planned] == [(HOSTED_TIKTOK_ID.lower(),)] * 2


@pytest.mark.parametrize(
    "cell",
    [
        "a, b;c\nd\r\ne\rf",
        ",,;;\n\r a ,\n\n, b ;;",
        "  ",
        "",
        "one",
        "@x , tiktok: @y;\t9f1c0e57-0000-4000-8000-000000000001\t",
        "a,\u00a0,b",  # a no-break space is stripped like any other
        "\u2028a\u2029,b",  # Unicode line separators are not account separators
    ],
)
def test_account_tokens_split_as_the_separator_runs_split_them(cell: str) -> None:
    by_runs = [p.strip() for p in re.split(r"[,;\r\n]+", cell)]
    assert split_account_tokens(cell) == [p for p in by_runs if p]


def test_scheduled_at_is_formatted_from_the_instant() -> None:
    planned = plan_row(make_row(), PlanOptions(timezone="Europe/Paris", now=NOW))
    assert planned.publish_at == datetime(2031, 3, 1, 8, 0, tzinfo=UTC)
    assert planned.scheduled_at == "2031-03-01T08:00:00Z"


def test_duplicates_sharing_a_caption_name_the_first_row_with_the_same_content() -> None:
    options = PlanOptions(timezone="UTC", now=NOW)
    rows = [
        make_row(2, scheduled_at="2031-03-01 09:00"),
        make_row(3, scheduled_at="2031-03-02 09:00"),
        make_row(4, scheduled_at="2031-03-02 09:00"),
        make_row(5, scheduled_at="2031-03-01 09:00"),
        make_row(6, scheduled_at="2031-03-03 09:00"),
    ]
    planned = plan_and_validate(rows, options)
    found = [
        [i.message.split(":")[0] for i in p.issues if i.code == "duplicate-row"] for p in planned
    ]
    assert found == [
        [],
        [],
        ["same caption, media, accounts, time and music as row 3"],
        ["same caption, media, accounts, time and music as row 2"],
        [],
    ]


def test_an_unreadable_time_is_never_the_same_content_as_a_read_one() -> None:
    options = PlanOptions(timezone="UTC", now=NOW)
    rows = [
        make_row(2, scheduled_at="2031-03-01T09:00:00Z"),
        make_row(3, scheduled_at="2031-03-01T09:00:00", timezone="Mars/Olympus"),
    ]
    planned = plan_and_validate(rows, options)
    assert not any(i.code == "duplicate-row" for p in planned for i in p.issues)


# --- rows and memory ---------------------------------------------------------------------


def test_loaded_rows_make_their_cell_references_on_demand(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("note,caption,accounts\nx,Hello,@a\n\ny,Bye,@b\n", encoding="utf-8")
    rows = load_campaign(path).rows
    assert [dict(row.cells) for row in rows] == [
        {"caption": "B2", "accounts": "C2"},
        {"caption": "B4", "accounts": "C4"},
    ]
    by_hand = CampaignRow(
        4,
        rows[1].values,
        {"caption": cell_ref(1, 4), "accounts": cell_ref(2, 4)},
        rows[1].original,
    )
    assert rows[1] == by_hand


def test_a_paused_collector_is_enabled_again_and_leaves_frozen_objects_frozen() -> None:
    assert gc.isenabled()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused():
            assert not gc.isenabled()
            made = [[n] for n in range(1_000)]
        assert gc.isenabled() and gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
    with collector_paused():
        made = [[n] for n in range(1_000)]
    assert gc.isenabled() and gc.get_freeze_count() == 0 and len(made) == 1_000
