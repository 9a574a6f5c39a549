"""The campaign template: written from the column table, and the committed copies match it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bulk_scheduler.issues import Severity
from bulk_scheduler.sandbox.seed import SEED_ACCOUNTS
from bulk_scheduler.sheet.columns import COLUMNS, REQUIRED_COLUMNS
from bulk_scheduler.sheet.loader import load_campaign
from bulk_scheduler.sheet.template import write_template

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
HEADERS = [column.name for column in COLUMNS]
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


def test_xlsx_has_a_campaign_sheet_and_an_instructions_sheet(xlsx: Path) -> None:
    assert openpyxl.load_workbook(xlsx).sheetnames == ["Campaign", "Instructions"]


def test_xlsx_header_row_is_the_column_table_bold_and_frozen(campaign_sheet: Worksheet) -> None:
    assert [cell.value for cell in campaign_sheet[1]] == HEADERS
    assert all(cell.font.bold for cell in campaign_sheet[1])
    assert campaign_sheet.freeze_panes == "A2"


def test_xlsx_every_header_has_a_note_from_the_column_table(campaign_sheet: Worksheet) -> None:
    for cell, column in zip(campaign_sheet[1], COLUMNS, strict=True):
        assert column.description in cell.comment.text
        assert ("(required)" in cell.comment.text) == column.required


def test_xlsx_media_type_has_a_drop_down(campaign_sheet: Worksheet) -> None:
    (drop_down,) = campaign_sheet.data_validations.dataValidation
    letter = openpyxl.utils.get_column_letter(HEADERS.index("media_type") + 1)

    assert drop_down.type == "list"
    assert drop_down.formula1 == '"video,slideshow,text"'
    assert str(drop_down.sqref) == f"{letter}2:{letter}10001"


def test_xlsx_has_three_example_rows_for_seeded_accounts_in_2031(campaign_sheet: Worksheet) -> None:
    rows = [
        dict(zip(HEADERS, row, strict=True))
        for row in campaign_sheet.iter_rows(min_row=2, values_only=True)
    ]

    assert [row["media_type"] for row in rows] == ["video", "slideshow", "video"]
    for row in rows:
        assert {a.strip() for a in str(row["accounts"]).split(",")} <= SEEDED_IDS
        assert str(row["scheduled_at"]).startswith("2031-")
    assert len(str(rows[1]["media_urls"]).splitlines()) == 3
    assert rows[2]["timezone"] == "Europe/Paris"


def test_xlsx_caption_and_media_urls_wrap(campaign_sheet: Worksheet) -> None:
    for name in ("caption", "media_urls"):
        assert campaign_sheet.cell(3, HEADERS.index(name) + 1).alignment.wrap_text


def test_instructions_explain_every_column_and_how_to_run(xlsx: Path) -> None:
    sheet = openpyxl.load_workbook(xlsx)["Instructions"]
    text = "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v)

    for column in COLUMNS:
        assert column.description in text
    assert "bulk-scheduler validate" in text
    assert "bulk-scheduler run" in text
    assert "2031-03-01T09:00:00Z" in text


# --- CSV ------------------------------------------------------------------------------


def test_csv_template_is_utf8_with_a_bom(tmp_path: Path) -> None:
    assert (
        write_template(tmp_path / "campaign.csv")
        .read_bytes()
        .startswith(b"\xef\xbb\xbfexternal_id,")
    )


def test_csv_template_has_the_header_and_three_example_rows(tmp_path: Path) -> None:
    text = write_template(tmp_path / "campaign.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))

    assert rows[0] == HEADERS
    assert len(rows) == 4


# --- both load cleanly with the project's loader --------------------------------------


@pytest.mark.parametrize("name", ["campaign_template.xlsx", "campaign_template.csv"])
def test_committed_template_loads_with_three_rows_and_no_errors(name: str) -> None:
    campaign = load_campaign(TEMPLATES / name)

    assert len(campaign.rows) == 3
    assert [issue for issue in campaign.issues if issue.severity is Severity.ERROR] == []
    assert set(REQUIRED_COLUMNS) <= set(campaign.columns)


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
