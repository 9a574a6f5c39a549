"""Values as real planners write them (issue 15), through the command line: media URL
lists, dates, accounts, the dry run's output at 5 and 5,000 rows, and the annotated sheet.

The fixtures are in ``tests/fixtures/planners/`` (made by ``make_values.py``). Accounts
are resolved against the sandbox (``--sandbox``), which seeds the accounts they name.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bulk_scheduler.cli.commands import cli
from bulk_scheduler.sandbox.seed import (
    BYO_INSTAGRAM_ID,
    BYO_TIKTOK_ID,
    BYO_YOUTUBE_ID,
    HOSTED_TIKTOK_ID,
)
from bulk_scheduler.sheet.annotated import ERROR_FILL_RGB, WARNING_FILL_RGB
from tests.conftest import SAMPLES

FIXTURES = Path(__file__).parent / "fixtures" / "planners"
SEPARATORS = "separate URLs with commas, |, new lines or spaces"


def invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def validate(
    path: Path, tmp_path: Path, *options: str
) -> tuple[int, dict[str, Any], dict[int, dict[str, Any]]]:
    """(exit code, the --json report, the --payloads bodies by row) of a validate run."""
    payloads = tmp_path / "bodies.jsonl"
    result = invoke("validate", path, "--json", "--payloads", payloads, *options)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    bodies = {
        entry["row"]: entry["body"]
        for entry in map(json.loads, payloads.read_text(encoding="utf-8").splitlines())
    }
    return result.exit_code, report, bodies


def issues_by_row(report: dict[str, Any]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for issue in report["issues"]:
        found.setdefault(issue["row"], []).append(issue["code"])
    return found


# --- media URL lists ---------------------------------------------------------------------


def test_google_sheets_image_lists_split_on_commas_bars_lines_and_spaces(tmp_path: Path) -> None:
    status, report, bodies = validate(
        FIXTURES / "google_images.csv", tmp_path, "--sandbox", "--no-media-check"
    )
    assert status == 1 and report["rows"] == 7
    images = [f"https://cdn.example.com/spring/look-{n}.jpg" for n in range(1, 5)]
    assert bodies[2]["media"] == {"type": "slideshow", "urls": images}
    assert bodies[3]["media"]["urls"] == images[:3]
    assert bodies[4]["media"]["urls"] == images[1:]
    assert bodies[5]["media"]["urls"] == images[:2]
    assert bodies[6]["media"]["urls"] == images[2:]
    # A comma inside a URL is part of it.
    assert bodies[7]["media"]["urls"] == [
        "https://img.example.com/w_400,h_700/look-1.jpg",
        "https://img.example.com/look-2.jpg",
    ]
    # "/" is not a separator: refused, and the message says which ones work.
    [problem] = report["issues"]
    assert (problem["row"], problem["code"]) == (8, "media-url-invalid")
    assert SEPARATORS in problem["message"]


# --- dates -------------------------------------------------------------------------------


def test_us_dates_take_their_order_from_the_cell_that_settles_it(tmp_path: Path) -> None:
    path = FIXTURES / "us_dates.csv"
    status, report, bodies = validate(path, tmp_path, "--sandbox", "--timezone", "UTC")
    assert status == 0, report["issues"]
    assert report["notes"] == ["scheduled_at read as month/day (row 4 has 3/14/2027 9:00:00)"]
    assert [bodies[row]["scheduled_at"] for row in (2, 3, 4, 5)] == [
        "2027-04-01T09:00:00Z",  # alone, 4/1 could be either; the column says month first
        "2027-04-02T09:00:00Z",
        "2027-03-14T09:00:00Z",
        "2027-05-06T17:30:00Z",
    ]
    # The plan says so in words.
    text = invoke("validate", path, "--offline", "--timezone", "UTC").output
    assert (
        text.splitlines()[0] == "note: scheduled_at read as month/day (row 4 has 3/14/2027 9:00:00)"
    )


def test_an_explicit_date_format_wins_over_the_column(tmp_path: Path) -> None:
    path = FIXTURES / "us_dates.csv"
    status, report, bodies = validate(
        path, tmp_path, "--sandbox", "--timezone", "UTC", "--date-format", "dmy"
    )
    assert status == 0, report["issues"]
    assert report["notes"] == []
    assert bodies[2]["scheduled_at"] == "2027-01-04T09:00:00Z"  # 4 January, as told
    assert bodies[4]["scheduled_at"] == "2027-03-14T09:00:00Z"  # only one reading exists


def test_a_column_that_contradicts_itself_is_an_error_on_the_cells_that_disagree(
    tmp_path: Path,
) -> None:
    status, report, bodies = validate(
        FIXTURES / "us_dates_conflict.csv", tmp_path, "--sandbox", "--timezone", "UTC"
    )
    assert status == 1
    assert issues_by_row(report) == {4: ["scheduled-at-order-conflict"]}
    message = report["issues"][0]["message"]
    assert "'25/03/2027 9:00' can only be read day first" in message and "row 2" in message
    assert sorted(bodies) == [2, 3, 5]


def test_times_people_write(tmp_path: Path) -> None:
    status, report, bodies = validate(FIXTURES / "written_times.csv", tmp_path, "--sandbox")
    assert status == 1
    assert "scheduled_at" not in bodies[2]  # now: publish immediately
    assert "scheduled_at" not in bodies[8]  # NOW
    assert bodies[3]["scheduled_at"] == "2027-07-01T08:00:00Z"  # Europe/Paris in summer
    assert bodies[4]["scheduled_at"] == "2027-03-03T14:00:00Z"  # 9 AM in New York (EST)
    assert bodies[5]["scheduled_at"] == "2027-03-03T17:15:00Z"  # London in March: GMT
    assert bodies[6]["scheduled_at"] == "2027-07-01T09:00:00Z"  # CET is +01:00
    # IST is India, Ireland or Israel: an error that lists them.
    assert issues_by_row(report) == {7: ["scheduled-at-zone-ambiguous"]}
    message = report["issues"][0]["message"]
    assert all(zone in message for zone in ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"))
    # "now" is not a blank cell: no warning that the post publishes immediately.
    assert not any(issue["code"] == "scheduled-at-blank" for issue in report["issues"])


def test_a_german_excel_csv_reads_dotted_dates_day_first(tmp_path: Path) -> None:
    status, report, bodies = validate(FIXTURES / "german_excel_utf8.csv", tmp_path, "--sandbox")
    assert status == 0, report["issues"]
    assert report["rows"] == 3
    assert bodies[2]["caption"] == "Frühlingsangebot: 20 % auf alles!"
    assert bodies[2]["scheduled_at"] == "2027-03-10T16:15:00Z"  # 10 March, 17:15 in Berlin
    assert bodies[3]["scheduled_at"] == "2027-04-01T07:00:00Z"  # 01.04.27: 2000 + 27
    assert bodies[4]["scheduled_at"] == "2027-04-12T06:30:00Z"


# --- accounts ----------------------------------------------------------------------------


def test_accounts_written_naturally_resolve_online(tmp_path: Path) -> None:
    status, report, bodies = validate(
        FIXTURES / "natural_accounts.csv", tmp_path, "--sandbox", "--no-media-check"
    )
    assert status == 1

    def ids(row: int) -> list[str]:
        return [account["id"] for account in bodies[row]["accounts"]]

    assert ids(2) == [BYO_TIKTOK_ID]  # https://www.tiktok.com/@genviral
    assert ids(3) == [BYO_INSTAGRAM_ID]  # instagram.com/genviral.ig
    assert ids(4) == [BYO_YOUTUBE_ID]  # https://www.youtube.com/@GenviralShorts
    assert ids(5) == [HOSTED_TIKTOK_ID]  # genviral_hosted: one account has that name
    assert ids(6) == [BYO_TIKTOK_ID, BYO_INSTAGRAM_ID]  # " and "
    assert ids(7) == [BYO_TIKTOK_ID, BYO_YOUTUBE_ID]  # " / " beside a URL's own slashes
    by_row = issues_by_row(report)
    assert by_row == {8: ["account-ambiguous"], 9: ["account-unknown"]}
    unknown = next(issue for issue in report["issues"] if issue["row"] == 9)
    assert "did you mean tiktok:genviral_hosted?" in unknown["message"]


def test_accounts_written_naturally_are_to_check_online_when_offline(tmp_path: Path) -> None:
    result = invoke("validate", FIXTURES / "natural_accounts.csv", "--offline")
    assert result.exit_code == 0, result.output  # warnings only: nothing is an error yet
    assert result.stdout.splitlines()[-1] == (
        "natural_accounts.csv: 8 rows checked (offline), 0 ready, 8 to check online, "
        "0 with errors; 0 error(s), 8 warning(s)"
    )


# --- the dry run at any size --------------------------------------------------------------


def big_campaign(path: Path, rows: int = 5000) -> Path:
    """5,000 rows: every 37th in the past (an error), every 11th naming a username (a
    warning offline), every 500th with a 3,000-character caption, every 1,000th with a
    2,000-character URL that is not one (an error quoting it)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["caption", "media_urls", "accounts", "scheduled_at", "timezone"])
        for n in range(rows):
            when = "2020-01-01 09:00" if n % 37 == 0 else f"2031-03-01 {n % 24:02d}:00"
            account = "@genviral" if n % 11 == 0 else HOSTED_TIKTOK_ID
            caption = ("Long " * 600) if n % 500 == 1 else f"Post {n}"
            url = (
                f"ftp://cdn.example.com/{'x' * 2000}.mp4"
                if n % 1000 == 2
                else f"https://cdn.example.com/{n}.mp4"
            )
            writer.writerow([caption, url, account, when, "UTC"])
    return path


def test_the_dry_run_at_5000_rows_is_grouped_and_folded(tmp_path: Path) -> None:
    campaign = big_campaign(tmp_path / "big.csv")
    result = invoke("validate", campaign, "--offline")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) < 20, result.stdout
    past = sum(1 for n in range(5000) if n % 37 == 0)
    assert any(
        line.startswith(f"  scheduled-at-past: {past} rows (2, 39, 76, 113, 150, …): ")
        for line in lines
    )
    assert any(
        line.startswith("  caption-too-long: 10 rows (3, 503, 1003, 1503, 2003, …): caption is ")
        for line in lines
    )
    # The long URL is quoted cut short.
    [invalid] = [line for line in lines if line.startswith("  media-url-invalid: ")]
    assert invalid.startswith("  media-url-invalid: 5 rows (4, 1004, 2004, 3004, 4004): ")
    assert "xxx…' is not a web address" in invalid
    assert all(len(line) <= 340 for line in lines)  # long cells are cut with "…"
    warnings = sum(1 for n in range(5000) if n % 11 == 0)
    folded = [line for line in lines if "folded" in line]
    assert folded == [
        f"{warnings} warning(s) folded: account-unresolved-offline ({warnings}); --all shows "
        "them (--report writes every issue to a file)"
    ]
    rows_later = sum(
        1 for n in range(5000) if n % 11 == 0 and n % 37 and n % 500 != 1 and n % 1000 != 2
    )
    assert lines[-1].startswith("big.csv: 5000 rows checked (offline), ")
    assert f" {rows_later} to check online, " in lines[-1]

    every = invoke("validate", campaign, "--offline", "--all").stdout.splitlines()
    assert f"warnings ({warnings}):" in every
    assert len(every) < 30
    errors_only = invoke("validate", campaign, "--offline", "--errors-only").stdout
    assert "account-unresolved-offline" not in errors_only


def test_the_dry_run_at_5_rows(tmp_path: Path) -> None:
    campaign = big_campaign(tmp_path / "small.csv", rows=5)
    lines = invoke("validate", campaign, "--offline").stdout.splitlines()
    assert lines[:2] == [
        "errors (3):",
        "  scheduled-at-past: row 2 (D2): scheduled_at 2020-01-01T09:00:00Z (UTC) is "
        + lines[1].split(" is ", 1)[1],
    ]
    assert lines[2].startswith("  caption-too-long: row 3 (A3): ")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_each_reported_issue_names_the_post(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"report{suffix}"
    invoke("validate", FIXTURES / "us_dates_conflict.csv", "--offline", "--report", target)
    if suffix == ".json":
        records = json.loads(target.read_text(encoding="utf-8"))["issues"]
    elif suffix == ".csv":
        with target.open(encoding="utf-8-sig") as handle:
            records = list(csv.DictReader(handle))
    else:
        sheet = load_workbook(target).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    conflict = next(r for r in records if r["code"] == "scheduled-at-order-conflict")
    assert (conflict["external_id"], conflict["caption"]) == ("mix-3", "Mixed post 3")


# --- the annotated sheet ------------------------------------------------------------------


def test_the_annotated_copy_of_a_csv_marks_the_cells_and_links_them(tmp_path: Path) -> None:
    out = tmp_path / "checked.xlsx"
    result = invoke("validate", FIXTURES / "written_times.csv", "--offline", "--annotate", out)
    assert result.exit_code == 1
    book = load_workbook(out)
    assert book.sheetnames == ["Issues", "Campaign"]
    sheet = book["Campaign"]
    assert [cell.value for cell in sheet[1]][:2] == ["external_id", "caption"]
    assert sheet["E7"].value == "2027-07-01 10:00 IST"
    assert sheet["E7"].fill.fgColor.rgb.endswith(ERROR_FILL_RGB)
    assert "scheduled-at-zone-ambiguous" in sheet["E7"].comment.text
    assert sheet["D2"].fill.fgColor.rgb.endswith(WARNING_FILL_RGB)  # offline username
    assert "account-unresolved-offline" in sheet["D2"].comment.text
    assert sheet["B2"].comment is None and sheet["B2"].fill.fill_type is None

    summary = book["Issues"]
    rows = {row[0].value: row for row in summary.iter_rows(min_row=2)}
    assert list(rows) == ["scheduled-at-zone-ambiguous", "account-unresolved-offline"]
    zone = rows["scheduled-at-zone-ambiguous"]
    assert [zone[1].value, zone[2].value] == ["error", 1]
    assert zone[4].value == "E7" and zone[4].hyperlink.location == "'Campaign'!E7"
    warned = rows["account-unresolved-offline"]
    assert warned[2].value == 7
    assert [cell.hyperlink.location for cell in warned[4:11]] == [
        f"'Campaign'!D{row}" for row in range(2, 9)
    ]


def test_the_annotated_copy_of_a_workbook_keeps_it_and_never_writes_over_it(
    tmp_path: Path,
) -> None:
    source = tmp_path / "mistakes.xlsx"
    shutil.copy(SAMPLES / "every_mistake.xlsx", source)
    before = source.read_bytes()
    refused = invoke("validate", source, "--offline", "--annotate", source)
    assert refused.exit_code == 2 and "the campaign file itself" in refused.output
    assert source.read_bytes() == before

    out = tmp_path / "annotated.xlsx"
    assert invoke("validate", source, "--offline", "--annotate", out).exit_code == 1
    assert source.read_bytes() == before
    book = load_workbook(out)
    original = load_workbook(source)
    assert book.sheetnames == ["Issues", *original.sheetnames]
    sheet = book["Mistakes"]
    assert sheet["B2"].fill.fgColor.rgb.endswith(ERROR_FILL_RGB)
    assert "caption-missing" in sheet["B2"].comment.text
    assert sheet["A38"].fill.fgColor.rgb.endswith(ERROR_FILL_RGB)  # duplicate-row: the row
    assert sheet["I1"].fill.fgColor.rgb.endswith(WARNING_FILL_RGB)  # unknown-column header
    # The user's cells are the same, note column and all.
    for row_before, row_after in zip(
        original["Mistakes"].iter_rows(values_only=True),
        sheet.iter_rows(values_only=True),
        strict=True,
    ):
        assert row_before == row_after
    codes = [row[0].value for row in book["Issues"].iter_rows(min_row=2)]
    assert codes.index("caption-missing") < codes.index("unknown-column")  # errors first


def test_the_order_is_inferred_over_the_whole_column_whatever_the_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bulk_scheduler.checks import planner
    from bulk_scheduler.checks.planner import PlanOptions, RowPlanner
    from tests.rows import make_row

    # Blocks of two: an ISO block first (read at once), then an ambiguous cell, and the
    # cell that settles the order only in the last block.
    monkeypatch.setattr(planner, "_BLOCK_ROWS", 2)
    cells = ["2031-03-01 09:00", "2031-03-02 09:00", "4/1/2031 09:00", "5/2/2031 09:00"]
    cells.append("3/14/2031 09:00")
    rows = [make_row(n + 2, scheduled_at=cell) for n, cell in enumerate(cells)]
    found = RowPlanner(PlanOptions(timezone="UTC")).plan_rows(rows)
    assert [plan.scheduled_at for plan in found] == [
        "2031-03-01T09:00:00Z",
        "2031-03-02T09:00:00Z",
        "2031-04-01T09:00:00Z",
        "2031-05-02T09:00:00Z",
        "2031-03-14T09:00:00Z",
    ]
