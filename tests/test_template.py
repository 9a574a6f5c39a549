"""The campaign template: written from the column table, and the committed copies match it;
its examples can never be posted (a tab of their own in the XLSX, marked rows in the CSV)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bulk_scheduler.cli.commands import cli
from bulk_scheduler.issues import Severity
from bulk_scheduler.sandbox.seed import SEED_ACCOUNTS
from bulk_scheduler.sandbox.server import SandboxServer
from bulk_scheduler.sheet.columns import COLUMNS, REQUIRED_COLUMNS
from bulk_scheduler.sheet.loader import load_campaign
from bulk_scheduler.sheet.template import SHEET_COLUMNS, write_template

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# The CSV's header: every column, the example marker last. The XLSX tabs leave the
# marker out (their examples are on a tab of their own).
SHEET_HEADERS = [column.name for column in SHEET_COLUMNS]
HEADERS = [*SHEET_HEADERS, "example"]  # the CSV template's: the marker last
EXAMPLE_ROW_MESSAGE = "example row: delete it or clear the `example` marker"
SEEDED_IDS = {account["id"] for account in SEED_ACCOUNTS if account["status"] == "active"}


def workbook_content(book: Workbook) -> dict[str, object]:
    """What a person sees in a workbook: not its zip bytes, which embed timestamps."""
    content: dict[str, object] = {"sheets": book.sheetnames}
    for sheet in book.worksheets:
        content[sheet.title] = {
            "values": [list(row) for row in sheet.iter_rows(values_only=True)],
            "comments": {
                cell.coordinate: cell.comment.text
                for row in sheet.iter_rows()
                for cell in row
                if cell.comment
            },
            "validations": [
                (dv.type, dv.formula1, str(dv.sqref))
                for dv in sheet.data_validations.dataValidation
            ],
            "freeze_panes": sheet.freeze_panes,
            "widths": {key: dim.width for key, dim in sheet.column_dimensions.items()},
        }
    return content


@pytest.fixture(scope="module")
def xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("template") / "campaign.xlsx")


@pytest.fixture(scope="module")
def campaign_sheet(xlsx: Path) -> Worksheet:
    return openpyxl.load_workbook(xlsx)["Campaign"]


@pytest.fixture(scope="module")
def examples_sheet(xlsx: Path) -> Worksheet:
    return openpyxl.load_workbook(xlsx)["Examples"]


@pytest.fixture(scope="module", params=["Campaign", "Examples"])
def either_tab(request: pytest.FixtureRequest, xlsx: Path) -> Worksheet:
    """The campaign tab and the examples tab, which share their header and formatting."""
    return openpyxl.load_workbook(xlsx)[request.param]


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def validate_json(*args: str | Path) -> tuple[int, dict[str, Any]]:
    """``bulk-scheduler validate ... --json``: (exit code, the JSON it prints)."""
    result = invoke("validate", *args, "--json")
    return result.exit_code, json.loads(result.stdout)


# --- the committed templates are what write_template writes ---------------------------


def test_committed_csv_template_is_what_write_template_writes(tmp_path: Path) -> None:
    written = write_template(tmp_path / "campaign.csv")

    assert written.read_bytes() == (TEMPLATES / "campaign_template.csv").read_bytes()


def test_committed_xlsx_template_is_what_write_template_writes(xlsx: Path) -> None:
    committed = openpyxl.load_workbook(TEMPLATES / "campaign_template.xlsx")

    assert workbook_content(openpyxl.load_workbook(xlsx)) == workbook_content(committed)


def test_writing_the_xlsx_template_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    first = write_template(tmp_path / "a.xlsx").read_bytes()
    second = write_template(tmp_path / "b.xlsx").read_bytes()

    assert first == second


# --- XLSX -----------------------------------------------------------------------------


def test_xlsx_has_a_campaign_then_an_examples_then_an_instructions_sheet(xlsx: Path) -> None:
    assert openpyxl.load_workbook(xlsx).sheetnames == ["Campaign", "Examples", "Instructions"]


def test_xlsx_campaign_sheet_holds_only_the_header(campaign_sheet: Worksheet) -> None:
    assert campaign_sheet.max_row == 1
    assert list(campaign_sheet.iter_rows(min_row=2, values_only=True)) == []


def test_xlsx_header_row_is_the_column_table_bold_and_frozen(either_tab: Worksheet) -> None:
    assert [cell.value for cell in either_tab[1]] == SHEET_HEADERS
    assert [name for name in HEADERS if name != "example"] == SHEET_HEADERS
    assert all(cell.font.bold for cell in either_tab[1])
    assert either_tab.freeze_panes == "A2"


def test_xlsx_every_header_has_a_note_from_the_column_table(either_tab: Worksheet) -> None:
    for cell, column in zip(either_tab[1], SHEET_COLUMNS, strict=True):
        assert column.description in cell.comment.text
        assert ("(required)" in cell.comment.text) == column.required


def test_xlsx_media_type_has_a_drop_down(either_tab: Worksheet) -> None:
    letter = openpyxl.utils.get_column_letter(SHEET_HEADERS.index("media_type") + 1)
    (drop_down,) = [
        found
        for found in either_tab.data_validations.dataValidation
        if str(found.sqref).startswith(f"{letter}2:")
    ]

    assert drop_down.type == "list"
    assert drop_down.formula1 == '"video,slideshow,text"'
    assert str(drop_down.sqref) == f"{letter}2:{letter}10001"


def test_xlsx_both_tabs_have_the_same_column_widths(xlsx: Path) -> None:
    book = openpyxl.load_workbook(xlsx)
    widths = [
        {key: dim.width for key, dim in book[name].column_dimensions.items()}
        for name in ("Campaign", "Examples")
    ]
    assert widths[0] == widths[1]


def test_xlsx_examples_tab_says_its_rows_are_copied_to_the_campaign_tab(
    examples_sheet: Worksheet,
) -> None:
    note = examples_sheet["A2"].comment.text

    assert "Copy the rows you want to the Campaign tab" in note
    assert "--sheet Examples" in note


def test_xlsx_has_three_example_rows_for_seeded_accounts_in_2031(examples_sheet: Worksheet) -> None:
    rows = [
        dict(zip(SHEET_HEADERS, row, strict=True))
        for row in examples_sheet.iter_rows(min_row=2, values_only=True)
    ]

    assert [row["media_type"] for row in rows] == ["video", "slideshow", "video"]
    for row in rows:
        assert {a.strip() for a in str(row["accounts"]).split(",")} <= SEEDED_IDS
        assert str(row["scheduled_at"]).startswith("2031-")
    assert len(str(rows[1]["media_urls"]).splitlines()) == 3
    assert rows[2]["timezone"] == "Europe/Paris"


def test_xlsx_caption_and_media_urls_wrap(examples_sheet: Worksheet) -> None:
    for name in ("caption", "media_urls"):
        assert examples_sheet.cell(3, SHEET_HEADERS.index(name) + 1).alignment.wrap_text


def test_instructions_explain_every_column_and_how_to_run(xlsx: Path) -> None:
    sheet = openpyxl.load_workbook(xlsx)["Instructions"]
    text = "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v)

    for column in COLUMNS:
        assert column.description in text
    assert "bulk-scheduler validate" in text
    assert "bulk-scheduler run" in text
    assert "2031-03-01T09:00:00Z" in text
    assert "rows on the Examples tab are never sent" in text


# --- CSV ------------------------------------------------------------------------------


def test_csv_template_is_utf8_with_a_bom(tmp_path: Path) -> None:
    assert (
        write_template(tmp_path / "campaign.csv")
        .read_bytes()
        .startswith(b"\xef\xbb\xbfexternal_id,")
    )


def test_csv_template_has_the_header_and_three_marked_example_rows(tmp_path: Path) -> None:
    text = write_template(tmp_path / "campaign.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))

    assert rows[0] == HEADERS
    assert HEADERS[-1] == "example"
    assert len(rows) == 4
    assert [row[-1] for row in rows[1:]] == ["yes", "yes", "yes"]


# --- both load cleanly with the project's loader --------------------------------------


@pytest.mark.parametrize(
    ("name", "sheet"), [("campaign_template.xlsx", "Examples"), ("campaign_template.csv", None)]
)
def test_committed_template_examples_load_with_three_rows_and_no_errors(
    name: str, sheet: str | None
) -> None:
    campaign = load_campaign(TEMPLATES / name, sheet=sheet)

    assert len(campaign.rows) == 3
    assert [issue for issue in campaign.issues if issue.severity is Severity.ERROR] == []
    assert set(REQUIRED_COLUMNS) <= set(campaign.columns)


def test_committed_xlsx_template_first_tab_loads_with_no_rows() -> None:
    campaign = load_campaign(TEMPLATES / "campaign_template.xlsx")

    assert campaign.sheet_name == "Campaign"
    assert campaign.rows == []
    assert [issue.code for issue in campaign.issues] == ["no-data-rows"]
    assert set(campaign.columns) == set(SHEET_HEADERS)


@pytest.mark.parametrize("name", ["campaign.txt", "campaign.xlsm", "campaign"])
def test_unsupported_extension_raises_value_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=r"written as \.xlsx or \.csv"):
        write_template(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_example_accounts_are_the_sandbox_seeded_ones() -> None:
    """The template's example ids are written out (the sheet package never imports the
    sandbox); they must stay accounts the sandbox seeds, so the examples validate there."""
    from bulk_scheduler.sandbox.seed import SEED_ACCOUNTS
    from bulk_scheduler.sheet.template import EXAMPLE_ACCOUNT_IDS

    seeded = {account["id"] for account in SEED_ACCOUNTS}
    assert set(EXAMPLE_ACCOUNT_IDS) <= seeded


# --- the examples can never be posted: what the command line says ----------------------


def without_context(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issues without the row's external_id and caption start (every issue has both)."""
    assert all("external_id" in issue and "caption" in issue for issue in issues)
    return [
        {key: value for key, value in issue.items() if key not in ("external_id", "caption")}
        for issue in issues
    ]


def test_the_xlsx_template_campaign_tab_validates_as_empty(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    assert invoke("template", target).output == f"Wrote {target}\n"

    status, report = validate_json(target, "--offline")

    assert status == 1
    assert (report["sheet"], report["rows"], report["valid_rows"]) == ("Campaign", 0, 0)
    assert without_context(report["issues"]) == [
        {
            "severity": "error",
            "code": "no-data-rows",
            "message": "no data rows below the header: nothing to send",
            "row": None,
            "column": None,
            "cell": None,
        }
    ]


def test_the_xlsx_template_examples_tab_validates_as_ready(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    invoke("template", target)

    status, report = validate_json(target, "--sheet", "Examples", "--offline")

    assert status == 0
    assert report["sheet"] == "Examples"
    assert (report["rows"], report["valid_rows"], report["errors"]) == (3, 3, 0)
    assert report["issues"] == []


def test_the_csv_template_reports_every_example_row_on_its_marker(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    invoke("template", target)

    status, report = validate_json(target, "--offline")

    assert status == 1
    assert (report["rows"], report["valid_rows"], report["invalid_rows"]) == (3, 0, 3)
    assert without_context(report["issues"]) == [
        {
            "severity": "error",
            "code": "example-row",
            "message": EXAMPLE_ROW_MESSAGE,
            "row": row,
            "column": "example",
            "cell": f"{openpyxl.utils.get_column_letter(len(HEADERS))}{row}",
        }
        for row in (2, 3, 4)
    ]
    text = invoke("validate", target, "--offline").output
    assert f"  example-row: 3 rows (2, 3, 4): {EXAMPLE_ROW_MESSAGE}\n" in text
    assert text.endswith(
        "out.csv: 3 rows checked (offline), 0 ready, 3 with errors; 3 error(s), 0 warning(s)\n"
    )


@pytest.mark.parametrize("cleared", ["", "no", "No", "false", "0"])
def test_the_csv_template_rows_are_ready_once_their_markers_are_cleared(
    tmp_path: Path, cleared: str
) -> None:
    target = tmp_path / "out.csv"
    invoke("template", target)
    text = target.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([rows[0], *([*row[:-1], cleared] for row in rows[1:])])

    status, report = validate_json(target, "--offline")

    assert status == 0
    assert (report["rows"], report["valid_rows"], report["errors"]) == (3, 3, 0)
    assert report["issues"] == []


def test_running_the_csv_template_sends_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    invoke("template", target)
    before = target.read_bytes()

    result = invoke("run", target, "--sandbox", "--yes")

    assert result.exit_code == 1, result.output
    assert (
        "Not launched: fix the errors above, or pass --skip-invalid to send the valid rows.\n"
        in result.output
    )
    assert f"  example-row: 3 rows (2, 3, 4): {EXAMPLE_ROW_MESSAGE}\n" in result.output
    # A run that sends nothing changes no file: no results sheet, the template as written.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.csv"]
    assert target.read_bytes() == before


@pytest.mark.parametrize("skip_invalid", [(), ("--skip-invalid",)], ids=["plain", "skip-invalid"])
def test_the_csv_template_examples_never_reach_the_api(
    tmp_path: Path, api_env: SandboxServer, skip_invalid: tuple[str, ...]
) -> None:
    """Even --skip-invalid, which sends the valid rows, sends no example."""
    target = tmp_path / "out.csv"
    invoke("template", target)

    result = invoke("run", target, "--yes", *skip_invalid)

    assert result.exit_code == 1, result.output
    assert api_env.stats()["create_requests"] == 0
