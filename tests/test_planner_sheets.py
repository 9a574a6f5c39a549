"""Planners' sheets as they are, through the command line: a header below a title, the
plan on a later tab, date and time in two columns, rows hidden by a filter, a German
Excel CSV, ``.xls``/``.ods``, a ``.numbers`` file, renamed files and linked media cells.

The files are in ``tests/fixtures/planners`` (``make_sheets.py`` writes them: openpyxl
for the workbooks, LibreOffice for the ``.ods``/``.xls``, cp1252 bytes for the German CSV).
Each test asserts what the user gets: the rows read, the bodies planned (``--payloads``),
the warnings and the exit status.
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
from bulk_scheduler.sandbox import seed

PLANNERS = Path(__file__).parent / "fixtures" / "planners"
ACCOUNT = seed.BYO_TIKTOK_ID


def invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def validate(name: str | Path, *options: str, tmp_path: Path) -> tuple[Any, list[dict[str, Any]]]:
    """``validate --offline`` on a planner file: the result and the bodies planned."""
    path = name if isinstance(name, Path) else PLANNERS / name
    payloads = tmp_path / "payloads.jsonl"
    result = invoke("validate", "--offline", path, "--payloads", payloads, *options)
    lines = payloads.read_text(encoding="utf-8").splitlines() if payloads.exists() else []
    return result, [json.loads(line) for line in lines]


def as_json(name: str, *options: str) -> dict[str, Any]:
    result = invoke("validate", "--offline", "--json", PLANNERS / name, *options)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def codes(report: dict[str, Any]) -> list[str]:
    return [issue["code"] for issue in report["issues"]]


def summary(result: Any) -> str:
    return result.stdout.strip().splitlines()[-1]


# --- the header below a title ------------------------------------------------------------


def test_the_header_is_found_below_a_title_and_the_output_names_its_row(tmp_path: Path) -> None:
    result, bodies = validate("title_rows.xlsx", tmp_path=tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "note: header on row 4"
    assert summary(result) == (
        "title_rows.xlsx (sheet Campaign): 3 rows checked (offline), 3 ready, 0 with errors; "
        "0 error(s), 0 warning(s)"
    )
    assert [(body["row"], body["body"]["caption"]) for body in bodies] == [
        (5, "Spring is here 🌷"),
        (6, "New colours"),
        (7, "Last call"),
    ]
    # 17:15 in Berlin in March is 16:15 UTC.
    assert bodies[0]["body"]["scheduled_at"] == "2031-03-10T16:15:00Z"


def test_header_row_forces_the_row(tmp_path: Path) -> None:
    result, bodies = validate("title_rows.xlsx", "--header-row", "4", tmp_path=tmp_path)
    assert result.exit_code == 0, result.output
    assert len(bodies) == 3


def test_a_wrong_header_row_is_one_line_naming_the_option(tmp_path: Path) -> None:
    result, _ = validate("title_rows.xlsx", "--header-row", "2", tmp_path=tmp_path)
    assert result.exit_code == 2
    path = PLANNERS / "title_rows.xlsx"
    assert result.output == (
        f"Error: {path}: --header-row 2: row 2 of sheet 'Campaign' does not hold the required "
        "columns 'caption', 'accounts' (found: Owner: social team · last updated 1 Feb 2031)\n"
    )
    beyond, _ = validate("title_rows.xlsx", "--header-row", "99", tmp_path=tmp_path)
    assert beyond.exit_code == 2
    assert beyond.output == (f"Error: {path}: --header-row 99: sheet 'Campaign' has 7 rows\n")


def test_a_csv_keeps_its_title_rows_in_the_results_sheet(tmp_path: Path, api_env: Any) -> None:
    campaign = tmp_path / "plan.csv"
    campaign.write_text(
        "Spring plan,,\nby the social team,,\ncaption,accounts,media_urls,scheduled_at,timezone\n"
        f"Hello,{ACCOUNT},https://cdn.example.com/a.mp4,2031-03-10 10:00,Europe/Berlin\n",
        encoding="utf-8",
    )
    result = invoke("run", campaign, "--yes", "--no-media-check")
    assert result.exit_code == 0, result.output
    assert "note: header on row 3" in result.output
    with (tmp_path / "plan.results.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "Spring plan"
    assert rows[1][0] == "by the social team"
    assert rows[2][:3] == ["caption", "accounts", "media_urls"]
    assert rows[3][0] == "Hello" and "created" in rows[3]


def test_a_workbook_with_a_title_gets_its_results_beside_the_header_on_row_4(
    tmp_path: Path,
) -> None:
    campaign = tmp_path / "title_rows.xlsx"
    shutil.copy(PLANNERS / "title_rows.xlsx", campaign)
    result = invoke("run", campaign, "--sandbox", "--yes", "--no-media-check")
    assert result.exit_code == 0, result.output
    assert "note: header on row 4" in result.output
    sheet = load_workbook(tmp_path / "title_rows.results.xlsx")["Campaign"]
    assert sheet["A1"].value == "Spring launch – content plan"
    assert "A1:E1" in {str(merged) for merged in sheet.merged_cells.ranges}
    header = [cell.value for cell in sheet[4]]
    assert header[:5] == ["Caption", "Accounts", "Media", "Scheduled at", "Timezone"]
    result_column = header.index("result") + 1
    assert [sheet.cell(row, result_column).value for row in (5, 6, 7)] == ["created"] * 3
    assert all(sheet.cell(row, result_column).value is None for row in (1, 2, 3))


# --- the plan on a later tab -------------------------------------------------------------


def test_the_first_tab_with_the_campaign_columns_is_used_and_named(tmp_path: Path) -> None:
    result, bodies = validate("readme_first.xlsx", tmp_path=tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "note: using tab 'Plan' (the first tab with the campaign's columns)"
    )
    assert [body["external_id"] for body in bodies] == ["plan-01", "plan-02"]


def test_sheet_forces_the_tab(tmp_path: Path) -> None:
    result, bodies = validate("readme_first.xlsx", "--sheet", "Archive", tmp_path=tmp_path)
    assert [body["external_id"] for body in bodies] == []  # 2030: in the past
    assert "note: using tab" not in result.stdout
    assert "(sheet Archive)" in summary(result)


def test_no_tab_with_the_columns_lists_the_tabs_and_says_to_use_sheet(tmp_path: Path) -> None:
    from openpyxl import Workbook

    path = tmp_path / "notes.xlsx"
    book = Workbook()
    book.active.title = "Read me"
    book.active["A1"] = "Nothing here"
    book.create_sheet("Ideas")["A1"] = "Post ideas"
    book.save(path)
    result = invoke("validate", "--offline", path)
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {path}: no tab has the required columns 'caption', 'accounts' in its first "
        "30 rows (tabs: 'Read me', 'Ideas'); name the tab to read with --sheet\n"
    )


# --- date and time in two columns --------------------------------------------------------


def test_date_and_time_columns_are_combined(tmp_path: Path) -> None:
    result, bodies = validate("date_time_columns.xlsx", tmp_path=tmp_path)
    assert result.exit_code == 1  # the row without a time
    assert [(body["row"], body["body"]["scheduled_at"]) for body in bodies] == [
        (2, "2031-03-10T16:15:00Z"),  # a date cell and a time cell
        (3, "2031-03-11T08:45:00Z"),  # 0.40625 of a day: 09:45
        (4, "2031-03-12T08:30:00Z"),  # both typed as text
    ]
    report = as_json("date_time_columns.xlsx")
    incomplete = [issue for issue in report["issues"] if issue["code"] == "date-time-incomplete"]
    assert [issue.pop("external_id").startswith("bs-") for issue in incomplete] == [True]
    assert incomplete == [
        {
            "severity": "error",
            "code": "date-time-incomplete",
            "message": "the row has a date but no time (cell E5 is blank); fill in the time, "
            "or clear the date to publish immediately",
            "row": 5,
            "column": "scheduled_at",
            "cell": "E5",
            "caption": "No time",
        }
    ]
    assert "unknown-column" not in codes(report)  # "Publish time" is not unknown


def test_post_date_and_post_time_as_text_from_a_csv(tmp_path: Path) -> None:
    result, bodies = validate("date_time_text.csv", tmp_path=tmp_path)
    assert result.exit_code == 0, result.output
    assert [body["body"]["scheduled_at"] for body in bodies] == [
        "2031-05-01T08:00:00Z",
        "2031-05-02T12:45:00Z",
    ]


# --- hidden rows -------------------------------------------------------------------------

HIDDEN_WARNING = (
    "8 hidden rows (rows 3-4, 6-8, 10-11, 13) skipped: hidden by hand or by a filter in the "
    "sheet; pass --include-hidden to send them"
)


@pytest.mark.parametrize("name", ["cancelled_hidden.xlsx", "cancelled_hidden.ods"])
def test_rows_hidden_by_a_filter_are_skipped_with_one_warning(name: str, tmp_path: Path) -> None:
    result, bodies = validate(name, tmp_path=tmp_path)
    assert result.exit_code == 0, result.output
    assert [body["external_id"] for body in bodies] == [
        "spring-01",
        "spring-04",
        "spring-08",
        "spring-11",
    ]
    report = as_json(name)
    hidden = [issue for issue in report["issues"] if issue["code"] == "hidden-rows-skipped"]
    assert [issue["message"] for issue in hidden] == [HIDDEN_WARNING]
    assert hidden[0]["severity"] == "warning"


def test_include_hidden_sends_them(tmp_path: Path) -> None:
    result, bodies = validate("cancelled_hidden.xlsx", "--include-hidden", tmp_path=tmp_path)
    assert result.exit_code == 0, result.output
    assert len(bodies) == 12
    assert "12 rows checked" in summary(result)
    assert "8 hidden rows (rows 3-4, 6-8, 10-11, 13) will be sent too" in result.stdout


def test_a_run_does_not_send_hidden_rows_and_the_results_keep_them_hidden(
    tmp_path: Path,
) -> None:
    campaign = tmp_path / "cancelled_hidden.xlsx"
    shutil.copy(PLANNERS / "cancelled_hidden.xlsx", campaign)
    result = invoke("run", campaign, "--sandbox", "--yes", "--no-media-check", "--json")
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert (run["rows"], run["created"], run["requests"]) == (4, 4, 4)
    results = load_workbook(tmp_path / "cancelled_hidden.results.xlsx")
    sheet = results["Posts"]
    header = [cell.value for cell in sheet[1]]
    result_column = header.index("result")
    hidden = {n for n, dimension in sheet.row_dimensions.items() if dimension.hidden}
    assert hidden == {3, 4, 6, 7, 8, 10, 11, 13}
    for row_number in range(2, 14):
        value = sheet.cell(row_number, result_column + 1).value
        assert value == (None if row_number in hidden else "created"), row_number
    assert sheet.auto_filter.ref is not None


def test_a_done_row_hidden_later_is_neither_sent_nor_added_again(
    tmp_path: Path, api_env: Any
) -> None:
    campaign = tmp_path / "plan.xlsx"
    shutil.copy(PLANNERS / "cancelled_hidden.xlsx", campaign)
    first = invoke("run", campaign, "--yes", "--no-media-check")
    assert first.exit_code == 0, first.output
    results = tmp_path / "plan.results.xlsx"
    # The user filters the done rows out of view (here: hides row 2, done) and runs again.
    book = load_workbook(results)
    book["Posts"].row_dimensions[2].hidden = True
    book.save(results)
    second = invoke("run", results, "--yes", "--no-media-check")
    assert second.exit_code == 0, second.output
    assert api_env.stats()["posts_total"] == 4  # nothing sent twice
    sheet = load_workbook(results)["Posts"]
    assert sheet.max_row == 13  # no row added for the hidden row's post
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(2, header.index("result") + 1).value == "created"
    assert sheet.row_dimensions[2].hidden


# --- encodings ---------------------------------------------------------------------------


def test_a_german_excel_csv_is_read_as_windows_1252_with_semicolons(tmp_path: Path) -> None:
    result, _ = validate("german_excel.csv", tmp_path=tmp_path)
    assert result.stdout.splitlines()[0] == "note: read as Windows-1252"
    assert "2 rows checked" in summary(result)
    report = as_json("german_excel.csv")
    assert report["notes"] == ["read as Windows-1252"]
    # Dotted dates are read by the scheduled_at rules; the file itself read cleanly.
    assert set(codes(report)) <= {"scheduled-at-ambiguous"}
    issue_text = " ".join(issue["message"] for issue in report["issues"])
    assert "\ufffd" not in issue_text
    with_dates, bodies = validate("german_excel.csv", "--date-format", "dmy", tmp_path=tmp_path)
    assert with_dates.exit_code == 0, with_dates.output
    assert [body["body"]["caption"] for body in bodies] == [
        "Frühlingsaktion: 20 % auf Größen – nur heute für 5 €!",
        "Schöne Grüße aus Köln",
    ]
    assert bodies[0]["body"]["scheduled_at"] == "2031-03-10T16:15:00Z"


def test_encoding_forces_the_encoding(tmp_path: Path) -> None:
    _, bodies = validate(
        "german_excel.csv", "--encoding", "latin-1", "--date-format", "dmy", tmp_path=tmp_path
    )
    # ISO-8859-1 has no € or –: the bytes Windows-1252 gives them read as controls.
    assert bodies[1]["body"]["caption"] == "Schöne Grüße aus Köln"
    assert "€" not in bodies[0]["body"]["caption"]
    assert as_json("german_excel.csv", "--encoding", "latin-1")["notes"] == ["read as ISO-8859-1"]


def test_an_unknown_encoding_is_one_line_naming_the_option(tmp_path: Path) -> None:
    result = invoke("validate", "--offline", PLANNERS / "german_excel.csv", "--encoding", "klingon")
    assert result.exit_code == 2
    assert result.output == (
        "Error: --encoding: unknown encoding 'klingon'; use a name such as windows-1252, "
        "latin-1, iso-8859-15 or utf-8\n"
    )


def test_bytes_that_are_not_the_encoding_named_are_one_line(tmp_path: Path) -> None:
    result = invoke("validate", "--offline", PLANNERS / "german_excel.csv", "--encoding", "utf-8")
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {PLANNERS / 'german_excel.csv'}: is not UTF-8 text")
    assert result.output.count("\n") == 1


def test_a_utf8_csv_names_no_encoding(tmp_path: Path) -> None:
    assert as_json("date_time_text.csv")["notes"] == []


def test_a_binary_file_named_csv_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(range(256)) * 8)
    result = invoke("validate", "--offline", path)
    assert result.exit_code == 2
    assert "is not UTF-8 text" in result.output
    assert "no other text encoding fits it" in result.output


# --- formats -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["formats.xlsx", "formats.xls", "formats.ods"])
def test_xls_and_ods_read_as_the_xlsx_does(name: str, tmp_path: Path) -> None:
    result, bodies = validate(name, tmp_path=tmp_path)
    assert result.exit_code == 0, result.output
    assert [
        (body["row"], body["external_id"], body["body"]["caption"], body["body"]["scheduled_at"])
        for body in bodies
    ] == [
        (2, "1001", "Hello from a spreadsheet", "2031-07-01T07:00:00Z"),
        (3, "1002", "Second post", "2031-07-02T16:30:00Z"),
    ]
    assert as_json(name)["issues"] == []


def test_a_numbers_file_says_how_to_export_it(tmp_path: Path) -> None:
    result = invoke("validate", "--offline", PLANNERS / "plan.numbers")
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {PLANNERS / 'plan.numbers'}: is an Apple Numbers document, which cannot be "
        "read; export it from Numbers as .xlsx or CSV (File > Export To)\n"
    )


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("xlsx_named.csv", "an Excel workbook (.xlsx), not what its .csv name says"),
        ("xls_named.xlsx", "an Excel 97-2003 workbook (.xls), not what its .xlsx name says"),
        ("csv_named.xlsx", "a text file (CSV), not what its .xlsx name says"),
    ],
)
def test_a_renamed_file_is_read_by_its_bytes_with_a_warning(
    name: str, what: str, tmp_path: Path
) -> None:
    result, bodies = validate(name, tmp_path=tmp_path)
    assert result.exit_code == 0, result.output
    assert len(bodies) == 2
    report = as_json(name)
    assert [(issue["code"], issue["message"]) for issue in report["issues"]] == [
        (
            "file-type-mismatch",
            f"{name} is {what}; it was read as what it is (rename it to match)",
        )
    ]


# --- hyperlinks --------------------------------------------------------------------------


def test_a_linked_media_cell_uses_the_link(tmp_path: Path) -> None:
    result, bodies = validate("hyperlinks.xlsx", tmp_path=tmp_path)
    assert result.exit_code == 0, result.output
    assert [body["body"]["media"]["url"] for body in bodies] == [
        "https://cdn.example.com/spring/teaser.mp4",  # a cell hyperlink
        "https://cdn.example.com/spring/promo.mp4",  # =HYPERLINK("url", "Promo clip")
        "https://cdn.example.com/spring/plain.mp4",
    ]
    report = as_json("hyperlinks.xlsx")
    assert [(i["code"], i["cell"], i["message"]) for i in report["issues"]] == [
        (
            "hyperlink-target-used",
            "C2",
            "cell C2 shows 'Teaser video' and links to "
            "https://cdn.example.com/spring/teaser.mp4: the link's address is used",
        ),
        (
            "hyperlink-target-used",
            "C3",
            "cell C3 shows 'Promo clip' and links to "
            "https://cdn.example.com/spring/promo.mp4: the link's address is used",
        ),
    ]
