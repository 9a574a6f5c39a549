"""Campaigns as pandas DataFrames: a frame is validated as the same data saved as a sheet
would be, and the results and the issues come back as frames."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bulk_scheduler.checks.planner import PlanOptions
from bulk_scheduler.errors import CampaignFileError
from bulk_scheduler.launch.dry_run import ValidationReport, is_dataframe, validate_campaign
from bulk_scheduler.outcome import RowOutcome, RowResult
from bulk_scheduler.sandbox.seed import HOSTED_TIKTOK_ID
from bulk_scheduler.sandbox.server import SandboxServer
from bulk_scheduler.sheet.columns import RESULT_COLUMNS
from bulk_scheduler.sheet.dataframe import (
    campaign_from_dataframe,
    issues_frame,
    outcomes_frame,
    results_frame,
)
from bulk_scheduler.sheet.issue_report import REPORT_FIELDS
from bulk_scheduler.sheet.loader import load_campaign
from bulk_scheduler.sheet.results import write_results
from tests.rows import VIDEO, write_csv

NOW = datetime(2031, 1, 1, tzinfo=UTC)
OPTIONS = PlanOptions(timezone="Europe/Paris", now=NOW)
PARIS = "Europe/Paris"


def notebook_frame(times: str) -> pd.DataFrame:
    """A campaign as a notebook user builds one: a dict of lists, NaN for blanks, numpy
    numbers, an alias header ("Text" for caption), an index that is not 0, 1, 2...

    ``times`` is "naive" (local times with a zone column) or "aware" (Timestamps with a
    zone, as ``pd.to_datetime(..., utc=True)`` gives).
    """
    local = ["2031-03-01 09:00", "2031-03-02 09:00", None, "2030-06-01 09:00", None]
    local += ["2031-03-03 09:00", "2031-03-01 09:00"]
    scheduled = pd.to_datetime(pd.Series(local))
    if times == "aware":
        scheduled = scheduled.dt.tz_localize(PARIS)
    return pd.DataFrame(
        {
            "external_id": ["may-1", "may-2", np.nan, "may-4", np.nan, "may-1", np.nan],
            "Text": [
                "Holiday drops start Monday!",
                np.nan,  # a missing caption
                "x" * 2300,  # too long for any platform
                "Past",
                np.nan,  # row 6 is blank throughout, and skipped
                "Same external id as row 2",
                "Holiday drops start Monday!",
            ],
            "media_urls": [
                VIDEO,
                VIDEO,
                VIDEO,
                "ftp://cdn.example.com/a.mp4",
                np.nan,
                VIDEO,
                VIDEO,
            ],
            "accounts": [HOSTED_TIKTOK_ID] * 4 + [np.nan] + [HOSTED_TIKTOK_ID, "@nobody"],
            "scheduled_at": scheduled.array,  # an array: a Series would align on the index
            "timezone": [PARIS] * 4 + [np.nan] + [PARIS, "Mars/Olympus"],
            "sku": pd.array([101, 102, 103, 104, None, 106, 107], dtype="Int64"),
            "budget": np.array([10.0, 12.5, 3.0, 0.0, np.nan, 7.0, 1.0]),
        },
        index=[70, 10, 30, 40, 50, 60, 0],
    )


def written_like_a_user(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` saved as a user would from a notebook, index left out. Excel holds no time
    zones, so an aware time goes to XLSX as its ISO text (pandas refuses to write it)."""
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
        return path
    copy = frame.copy()
    for column in copy.columns:
        if isinstance(copy[column].dtype, pd.DatetimeTZDtype):
            copy[column] = copy[column].map(lambda t: None if pd.isna(t) else t.isoformat())
    copy.to_excel(path, index=False)
    return path


def where(report: ValidationReport) -> list[tuple[object, ...]]:
    return [
        (issue.code, issue.severity.value, issue.row, issue.cell, issue.column)
        for issue in report.issues
    ]


@pytest.mark.parametrize("times", ["naive", "aware"])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_frame_has_the_issues_of_the_same_data_saved_as_a_sheet(
    tmp_path: Path, times: str, suffix: str
) -> None:
    frame = notebook_frame(times)
    path = written_like_a_user(frame, tmp_path / f"may{suffix}")

    from_frame = validate_campaign(frame, OPTIONS)
    from_file = validate_campaign(path, OPTIONS)

    assert where(from_frame) == where(from_file)
    codes = from_frame.code_counts()
    # Header, blank row, alias, NaN, numpy numbers and both kinds of time all took part.
    assert {
        "unknown-column",
        "caption-missing",
        "external-id-duplicate",
        "scheduled-at-past",
    } <= set(codes)
    assert from_frame.issues[0].cell == "G1"  # sku: the header is row 1
    assert [p.row.row_number for p in from_frame.planned] == [2, 3, 4, 5, 7, 8]
    assert [p.payload for p in from_frame.valid_rows] == [p.payload for p in from_file.valid_rows]


def test_cells_read_as_a_saved_sheet_gives_them() -> None:
    paris = timezone(timedelta(hours=1))
    frame = pd.DataFrame(
        {
            "Caption": ["Hello", "  ", None],
            "accounts": [["@maya", "tiktok:joe"], np.nan, "@maya"],
            "scheduled_at": [
                pd.Timestamp("2031-03-01 09:00"),
                pd.Timestamp("2031-03-01 09:00:00.000001500"),
                pd.NaT,
            ],
            "when_there": pd.to_datetime(["2031-03-01 09:00+01:00"] * 3),
            "count": np.array([1, 2, 3], dtype=np.int32),
            "ratio": [1.0, 2.5, np.nan],
            "flag": [True, False, True],
            "length": pd.to_timedelta(["0:00:45", "1:30:00", None]),
            "mixed": [np.int64(7), np.float64(2.0), np.bool_(False)],
        }
    )
    campaign = campaign_from_dataframe(frame)

    assert campaign.headers == list(frame.columns)
    nine = datetime(2031, 3, 1, 9)
    there = nine.replace(tzinfo=paris)
    micro = nine.replace(microsecond=1)  # nanoseconds dropped: a sheet holds none
    assert [row.original for row in campaign.rows] == [
        ["Hello", "@maya\ntiktok:joe", nine, there, 1, 1, True, "0:00:45", 7],
        [None, None, micro, there, 2, 2.5, False, "1:30:00", 2],
        [None, "@maya", None, there, 3, None, True, None, False],
    ]
    assert all(
        type(v) in (str, int, float, bool, datetime, type(None)) for v in frame_cells(campaign)
    )
    assert campaign.rows[0].cells["caption"] == "A2"
    assert campaign.rows[2].values["accounts"] == "@maya"


def frame_cells(campaign: Any) -> list[object]:
    return [value for row in campaign.rows for value in row.original]


def test_a_frame_campaign_is_named_not_a_file() -> None:
    frame = pd.DataFrame({"caption": ["Hi"], "accounts": [HOSTED_TIKTOK_ID]})

    campaign = campaign_from_dataframe(frame, name="launch")
    report = validate_campaign(frame, OPTIONS)

    assert (campaign.path, campaign.format) == (Path("launch"), "dataframe")
    assert report.to_json()["campaign"] == "dataframe"
    assert is_dataframe(frame) and not is_dataframe(frame["caption"])
    assert not is_dataframe("may.csv")


def test_the_options_apply_to_a_frame_as_to_a_file() -> None:
    frame = pd.DataFrame({"caption": ["One", "Two", "Three"]})
    defaults = PlanOptions(timezone="UTC", default_accounts=(HOSTED_TIKTOK_ID,), now=NOW)

    assert validate_campaign(frame, defaults).error_count == 0
    with pytest.raises(CampaignFileError, match=r"^dataframe: more than 2 data rows"):
        validate_campaign(frame, defaults, max_rows=2)
    with pytest.raises(CampaignFileError, match="a DataFrame has no sheets"):
        validate_campaign(frame, defaults, sheet="May")


@pytest.mark.parametrize(
    ("frame", "rows"),
    [
        (pd.DataFrame(), []),
        (pd.DataFrame({"accounts": [HOSTED_TIKTOK_ID], "sku": [7]}), [[HOSTED_TIKTOK_ID, "7"]]),
        (pd.DataFrame({"Capton": ["Hi"], "accounts": ["@maya"]}), [["Hi", "@maya"]]),
    ],
    ids=["empty", "no-caption", "typo"],
)
def test_an_unusable_frame_is_refused_with_the_files_one_line(
    tmp_path: Path, frame: pd.DataFrame, rows: list[list[str]]
) -> None:
    path = write_csv(tmp_path / "may.csv", rows, header=[str(c) for c in frame.columns])
    if frame.empty and not len(frame.columns):
        path.write_text("")
    with pytest.raises(CampaignFileError) as from_file:
        validate_campaign(path, OPTIONS)
    with pytest.raises(CampaignFileError) as from_frame:
        validate_campaign(frame, OPTIONS)

    # The loader's message, naming the frame where it names the file.
    expected = str(from_file.value).replace(str(path), "dataframe").replace("the file", "the frame")
    assert str(from_frame.value) == expected
    assert "\n" not in expected


def test_to_pandas_holds_the_reports_issues() -> None:
    report = validate_campaign(notebook_frame("naive"), OPTIONS)

    issues = report.to_pandas()

    assert list(issues.columns) == list(REPORT_FIELDS)
    assert len(issues) == len(report.issues)
    assert str(issues["row"].dtype) == "Int64"
    as_records = [
        tuple(None if pd.isna(value) else value for value in record)
        for record in issues.itertuples(index=False)
    ]
    context = report.row_context()
    assert as_records == [
        (
            i.row,
            i.cell,
            i.column,
            i.severity.value,
            i.code,
            i.message,
            *context.get(i.row, ("", "")),
        )
        for i in report.issues
    ]
    empty = issues_frame([])
    assert (list(empty.columns), len(empty)) == (list(REPORT_FIELDS), 0)


def outcomes() -> dict[int, RowOutcome]:
    submitted = datetime(2031, 1, 1, 8, 0, 5, tzinfo=UTC)
    return {
        2: RowOutcome(
            2,
            "may-1",
            RowResult.CREATED,
            post_id="7f3e",
            post_status="scheduled",
            scheduled_at_utc="2031-03-01T08:00:00Z",
            http_status=201,
            attempts=1,
            submitted_at=submitted,
        ),
        4: RowOutcome(
            4,
            "gen-4",
            RowResult.INVALID,
            warnings=["W: one", "W: two"],
            error_code="caption-missing",
            error_message="caption is blank",
        ),
    }


def test_the_results_frame_has_the_results_sheets_columns_and_typed_values(
    tmp_path: Path,
) -> None:
    frame = notebook_frame("naive")
    campaign = campaign_from_dataframe(frame)
    by_row = outcomes()

    results = results_frame(campaign, by_row)
    written = write_results(campaign, by_row, tmp_path / "may.results.csv")
    with written.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))

    assert list(results.columns) == header == [*frame.columns, *RESULT_COLUMNS[1:]]
    assert list(results.index) == [2, 3, 4, 5, 7, 8] and results.index.name == "row"
    first, second = results.loc[2], results.loc[4]
    assert (first["result"], first["post_id"], first["external_id"]) == ("created", "7f3e", "may-1")
    assert isinstance(first["post_id"], str)
    assert str(results["attempts"].dtype) == str(results["http_status"].dtype) == "Int64"
    assert (first["attempts"], first["http_status"]) == (1, 201)
    assert pd.isna(results.loc[3, "attempts"])
    assert first["scheduled_at_utc"] == pd.Timestamp("2031-03-01 08:00", tz="UTC")
    assert first["submitted_at"] == pd.Timestamp("2031-01-01 08:00:05", tz="UTC")
    assert str(results["submitted_at"].dtype).endswith(", UTC]")
    assert (second["warnings"], second["error_code"]) == ("W: one\nW: two", "caption-missing")
    assert second["external_id"] == "gen-4"  # generated, filled in as the sheet does
    # Input columns keep their values: the frame's own data comes back.
    assert list(results["sku"]) == [101, 102, 103, 104, 106, 107]
    assert results.loc[2, "scheduled_at"] == pd.Timestamp("2031-03-01 09:00")


def test_the_results_frame_of_a_results_sheet_loaded_again(tmp_path: Path) -> None:
    row = ["may-1", "Hi", "video", VIDEO, HOSTED_TIKTOK_ID, "2031-03-01T09:00:00Z"]
    campaign = load_campaign(write_csv(tmp_path / "may.csv", [row]))
    written = write_results(campaign, outcomes(), tmp_path / "may.results.csv")
    again = load_campaign(written)

    results = results_frame(again, {})

    with written.open(encoding="utf-8-sig", newline="") as handle:
        assert list(results.columns) == next(csv.reader(handle))
    # The CSV's text read back into types: the columns were written, not duplicated.
    assert (results.loc[2, "attempts"], results.loc[2, "post_id"]) == (1, "7f3e")
    assert results.loc[2, "submitted_at"] == pd.Timestamp("2031-01-01 08:00:05", tz="UTC")


def test_outcomes_frame_takes_a_runs_list_of_outcomes() -> None:
    campaign = campaign_from_dataframe(notebook_frame("aware"))
    listed = list(outcomes().values())

    assert outcomes_frame(campaign, listed).equals(results_frame(campaign, outcomes()))


# Runs the command line as ``python -m bulk_scheduler`` does and says, at exit, which of
# these modules were loaded.
_MODULES_AT_EXIT = (
    "import atexit, runpy, sys\n"
    "watched = ('pandas', 'aiohttp', 'httpx')\n"
    "atexit.register(lambda: print(sorted(set(watched) & set(sys.modules)), file=sys.stderr))\n"
    "sys.argv = ['bulk_scheduler', *sys.argv[1:]]\n"
    "runpy.run_module('bulk_scheduler', run_name='__main__', alter_sys=True)\n"
)


def test_validating_a_csv_never_imports_pandas(tmp_path: Path) -> None:
    row = ["may-1", "Holiday drops start Monday!", "video", VIDEO, HOSTED_TIKTOK_ID]
    campaign = write_csv(tmp_path / "may.csv", [[*row, "2031-03-01T09:00:00Z"]])

    done = subprocess.run(
        [sys.executable, "-c", _MODULES_AT_EXIT, "validate", str(campaign), "--offline"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    loaded = done.stderr.strip().splitlines()[-1]
    # Only pandas is this test's: whether an offline run loads HTTP libraries is the
    # command line's to decide, so they are reported above but not asserted.
    assert "'pandas'" not in loaded, loaded


def test_run_campaign_takes_a_frame_and_returns_its_results_as_a_frame(
    tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No file is written for a frame unless a results path is named; the results come
    back as a DataFrame with the sheet's row numbers."""
    from bulk_scheduler import run_campaign
    from bulk_scheduler.sandbox import seed

    monkeypatch.chdir(tmp_path)
    frame = pd.DataFrame(
        {
            "Text": ["First post", "Second post"],
            "media_urls": ["https://cdn.example.com/a.mp4", "https://cdn.example.com/b.mp4"],
            "accounts": [seed.BYO_TIKTOK_ID, seed.BYO_INSTAGRAM_ID],
            "scheduled_at": pd.to_datetime(["2036-03-01 09:00", "2036-03-02 09:00"], utc=True),
        }
    )
    report = run_campaign(frame, api_key=sandbox.api_key, base_url=sandbox.base_url)
    assert report.all_done and report.results_path is None
    assert list(tmp_path.iterdir()) == []
    results = report.to_pandas()
    assert list(results.index) == [2, 3]
    assert list(results["result"]) == ["created", "created"]
    stored = {post.id for post in sandbox._sandbox.state.posts.values()}
    assert set(results["post_id"]) == stored

    again = run_campaign(
        frame,
        api_key=sandbox.api_key,
        base_url=sandbox.base_url,
        results_path=tmp_path / "frame.results.csv",
    )
    assert [p.name for p in tmp_path.iterdir()] == ["frame.results.csv"]
    assert list(again.to_pandas()["result"]) == ["already_exists", "already_exists"]
    assert len(sandbox._sandbox.state.posts) == 2
