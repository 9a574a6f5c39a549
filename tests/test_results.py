"""The results sheet: the input rows as they were, then what happened to each (design.md)."""

from __future__ import annotations

import codecs
import csv
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bulk_scheduler.campaign import Campaign, CampaignRow, CellValue, FileFormat, cell_ref
from bulk_scheduler.errors import ConfigurationError
from bulk_scheduler.outcome import RowOutcome, RowResult
from bulk_scheduler.sandbox.seed import HOSTED_TIKTOK_ID
from bulk_scheduler.sheet import results, results_xlsx
from bulk_scheduler.sheet.columns import RESULT_COLUMNS, canonical_column
from bulk_scheduler.sheet.loader import load_campaign
from bulk_scheduler.sheet.results import RESULT_FILLS, default_results_path, write_results
from tests.rows import VIDEO, write_csv

HEADERS = ["caption", "accounts", "scheduled_at", "sku"]
SUBMITTED = datetime(2031, 3, 1, 8, 0, 5, tzinfo=UTC)
INJECTIONS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tcalc"]


def make_campaign(
    path: Path,
    headers: Sequence[str],
    rows: Sequence[Sequence[CellValue]],
    *,
    format: FileFormat | None = None,
    sheet_name: str | None = None,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Campaign:
    """A campaign as the loader would give it: headers matched, rows numbered from 2."""
    columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = canonical_column(header)
        if name is not None:
            columns.setdefault(name, index)
    campaign_rows = [
        CampaignRow(
            row_number=number,
            values={name: values[i] if i < len(values) else None for name, i in columns.items()},
            cells={name: cell_ref(index, number) for name, index in columns.items()},
            original=list(values),
        )
        for number, values in enumerate(rows, start=2)
    ]
    suffix = path.suffix.lower().lstrip(".")
    return Campaign(
        path=path,
        format=format or suffix,  # type: ignore[arg-type]
        headers=list(headers),
        columns=columns,
        rows=campaign_rows,
        sheet_name=sheet_name if sheet_name or suffix not in ("xlsx", "xlsm") else "Campaign",
        encoding=encoding,
        delimiter=delimiter,
    )


def created(row_number: int, external_id: str = "ext-1", **fields: object) -> RowOutcome:
    values: dict[str, object] = {
        "post_id": f"post-{row_number}",
        "post_status": "scheduled",
        "scheduled_at_utc": "2031-03-01T08:00:00Z",
        "http_status": 201,
        "attempts": 1,
        "submitted_at": SUBMITTED,
    }
    values.update(fields)
    return RowOutcome(row_number, external_id, RowResult.CREATED, **values)  # type: ignore[arg-type]


def read_csv(path: Path, encoding: str = "utf-8-sig", delimiter: str = ",") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def read_xlsx(path: Path) -> list[list[object]]:
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def as_dict(rows: Sequence[Sequence[object]], index: int) -> dict[str, object]:
    """Row ``index`` keyed by the header row."""
    return {str(header): value for header, value in zip(rows[0], rows[index], strict=True)}


def two_row_campaign(path: Path) -> Campaign:
    return make_campaign(
        path,
        HEADERS,
        [
            ["First post", HOSTED_TIKTOK_ID, "2031-03-01 09:00", "007"],
            ["Second post", HOSTED_TIKTOK_ID, "2031-03-02 09:00", "0042"],
        ],
    )


# --- default path ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("campaign", "expected"),
    [
        ("plans/may.csv", "plans/may.results.csv"),
        ("plans/may.tsv", "plans/may.results.tsv"),
        ("plans/may.xlsx", "plans/may.results.xlsx"),
        ("plans/may.xlsm", "plans/may.results.xlsx"),
        ("plans/may.results.csv", "plans/may.results.csv"),
        ("plans/may.results.xlsx", "plans/may.results.xlsx"),
        ("plans/may.v2.csv", "plans/may.v2.results.csv"),
        ("plans/may.txt", "plans/may.results.txt"),
    ],
)
def test_default_results_path_sits_beside_the_campaign(campaign: str, expected: str) -> None:
    assert default_results_path(Path(campaign)) == Path(expected)


# --- CSV ------------------------------------------------------------------------------


def test_csv_keeps_every_row_in_order_then_appends_the_result_columns(tmp_path: Path) -> None:
    campaign = two_row_campaign(tmp_path / "may.csv")
    write_results(campaign, {2: created(2), 3: created(3, "ext-2")}, tmp_path / "out.csv")

    rows = read_csv(tmp_path / "out.csv")
    assert rows[0] == [*HEADERS, *RESULT_COLUMNS]
    assert rows[1][:4] == ["First post", HOSTED_TIKTOK_ID, "2031-03-01 09:00", "007"]
    assert rows[2][:4] == ["Second post", HOSTED_TIKTOK_ID, "2031-03-02 09:00", "0042"]


def test_csv_result_columns_hold_the_outcome(tmp_path: Path) -> None:
    campaign = two_row_campaign(tmp_path / "may.csv")
    outcome = created(2, warnings=["VIDEO_DURATION_MISSING: no duration", "X: y"])
    write_results(campaign, {2: outcome}, tmp_path / "out.csv")

    row = as_dict(read_csv(tmp_path / "out.csv"), 1)
    assert row["external_id"] == "ext-1"
    assert row["result"] == "created"
    assert row["post_id"] == "post-2"
    assert row["post_status"] == "scheduled"
    assert row["scheduled_at_utc"] == "2031-03-01T08:00:00Z"
    assert row["warnings"] == "VIDEO_DURATION_MISSING: no duration\nX: y"
    assert (row["http_status"], row["attempts"]) == ("201", "1")


def test_csv_submitted_at_is_iso_8601_utc_with_z(tmp_path: Path) -> None:
    campaign = two_row_campaign(tmp_path / "may.csv")
    paris = timezone(timedelta(hours=2))
    outcome = created(2, submitted_at=datetime(2031, 3, 1, 10, 0, 5, 123456, tzinfo=paris))
    write_results(campaign, {2: outcome}, tmp_path / "out.csv")

    assert as_dict(read_csv(tmp_path / "out.csv"), 1)["submitted_at"] == "2031-03-01T08:00:05Z"


def test_rows_without_an_outcome_get_empty_result_cells(tmp_path: Path) -> None:
    campaign = two_row_campaign(tmp_path / "may.csv")
    write_results(campaign, {2: created(2)}, tmp_path / "out.csv")

    assert read_csv(tmp_path / "out.csv")[2][4:] == [""] * len(RESULT_COLUMNS)


def test_generated_external_id_is_filled_into_an_existing_blank_column(tmp_path: Path) -> None:
    campaign = make_campaign(
        tmp_path / "may.csv",
        ["external_id", *HEADERS],
        [[None, "First", HOSTED_TIKTOK_ID, None, None], ["mine-7", "Second", HOSTED_TIKTOK_ID]],
    )
    outcomes = {2: created(2, "gen-3f2a"), 3: created(3, "mine-7")}
    write_results(campaign, outcomes, tmp_path / "out.csv")

    rows = read_csv(tmp_path / "out.csv")
    assert rows[0].count("external_id") == 1
    assert [rows[1][0], rows[2][0]] == ["gen-3f2a", "mine-7"]


def test_rerun_updates_existing_result_columns_in_place_without_duplicates(
    tmp_path: Path,
) -> None:
    # A results sheet given back as input, with the user's own header spelling.
    headers = ["Caption", "External ID", "Accounts", "Result", "Post ID", "Error Message"]
    campaign = make_campaign(
        tmp_path / "may.results.csv",
        headers,
        [["Fixed caption", "ext-1", HOSTED_TIKTOK_ID, "rejected", None, "caption too long"]],
    )
    write_results(campaign, {2: created(2)}, tmp_path / "may.results.csv")

    rows = read_csv(tmp_path / "may.results.csv")
    missing = [c for c in RESULT_COLUMNS if c not in ("external_id", "result", "post_id")]
    missing.remove("error_message")
    assert rows[0] == [*headers, *missing]
    assert rows[1][:6] == ["Fixed caption", "ext-1", HOSTED_TIKTOK_ID, "created", "post-2", ""]


def test_rows_without_an_outcome_keep_their_previous_result_cells(tmp_path: Path) -> None:
    headers = ["caption", "accounts", "external_id", "result", "post_id"]
    campaign = make_campaign(
        tmp_path / "may.results.csv",
        headers,
        [
            ["Done already", HOSTED_TIKTOK_ID, "ext-1", "created", "post-old"],
            ["Retried", HOSTED_TIKTOK_ID, "ext-2", "error", None],
        ],
    )
    write_results(campaign, {3: created(3, "ext-2")}, tmp_path / "out.csv")

    rows = read_csv(tmp_path / "out.csv")
    assert rows[1][:5] == ["Done already", HOSTED_TIKTOK_ID, "ext-1", "created", "post-old"]
    assert rows[2][3:5] == ["created", "post-3"]


@pytest.mark.parametrize("text", INJECTIONS)
def test_csv_formula_like_text_is_led_by_a_quote(tmp_path: Path, text: str) -> None:
    campaign = make_campaign(tmp_path / "may.csv", HEADERS, [[text, HOSTED_TIKTOK_ID, None, None]])
    write_results(campaign, {}, tmp_path / "out.csv")

    assert read_csv(tmp_path / "out.csv")[1][0] == "'" + text


@pytest.mark.parametrize("text", INJECTIONS)
def test_csv_quote_guard_can_be_undone_when_reading_back(tmp_path: Path, text: str) -> None:
    campaign = make_campaign(tmp_path / "may.csv", HEADERS, [[text, HOSTED_TIKTOK_ID]])
    write_results(campaign, {}, tmp_path / "out.csv")

    assert results.strip_csv_formula_guard(read_csv(tmp_path / "out.csv")[1][0]) == text


def test_csv_quote_guard_leaves_ordinary_apostrophes_alone() -> None:
    assert results.strip_csv_formula_guard("'90s night'") == "'90s night'"


def test_csv_formula_like_result_text_is_led_by_a_quote(tmp_path: Path) -> None:
    campaign = two_row_campaign(tmp_path / "may.csv")
    outcome = RowOutcome(2, "ext-1", RowResult.REJECTED, error_message="=cmd|' /C calc'!A0")
    write_results(campaign, {2: outcome}, tmp_path / "out.csv")

    assert as_dict(read_csv(tmp_path / "out.csv"), 1)["error_message"] == "'=cmd|' /C calc'!A0"


def test_csv_negative_number_is_not_quoted(tmp_path: Path) -> None:
    campaign = make_campaign(tmp_path / "may.csv", HEADERS, [["Post", HOSTED_TIKTOK_ID, None, -5]])
    write_results(campaign, {}, tmp_path / "out.csv")

    assert read_csv(tmp_path / "out.csv")[1][3] == "-5"


def test_semicolon_utf8_bom_csv_is_written_back_the_same_way(tmp_path: Path) -> None:
    campaign = make_campaign(
        tmp_path / "may.csv",
        HEADERS,
        [["Café 🎉", HOSTED_TIKTOK_ID, None, "1,5"]],
        encoding="utf-8-sig",
        delimiter=";",
    )
    write_results(campaign, {2: created(2)}, tmp_path / "out.csv")

    data = (tmp_path / "out.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert data.splitlines()[0].decode("utf-8-sig").startswith("caption;accounts;scheduled_at;")
    assert read_csv(tmp_path / "out.csv", delimiter=";")[1][:4] == [
        "Café 🎉",
        HOSTED_TIKTOK_ID,
        "",
        "1,5",
    ]


def test_tsv_is_written_tab_delimited(tmp_path: Path) -> None:
    campaign = make_campaign(
        tmp_path / "may.tsv", HEADERS, [["Post", HOSTED_TIKTOK_ID]], delimiter="\t"
    )
    write_results(campaign, {}, tmp_path / "out.tsv")

    assert read_csv(tmp_path / "out.tsv", encoding="utf-8", delimiter="\t")[1][:2] == [
        "Post",
        HOSTED_TIKTOK_ID,
    ]


def test_plain_utf8_csv_is_written_without_a_bom(tmp_path: Path) -> None:
    campaign = two_row_campaign(tmp_path / "may.csv")
    write_results(campaign, {}, tmp_path / "out.csv")

    assert (tmp_path / "out.csv").read_bytes().startswith(b"caption,")


def test_excel_unicode_text_is_written_back_as_utf16_tab_text_with_a_bom(tmp_path: Path) -> None:
    campaign = make_campaign(
        tmp_path / "may.txt",
        HEADERS,
        [["Unicode ✓", HOSTED_TIKTOK_ID, None, None]],
        format="tsv",
        encoding="utf-16",
        delimiter="\t",
    )
    path = write_results(campaign, {2: created(2)}, default_results_path(campaign.path))

    data = path.read_bytes()
    assert data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    rows = read_csv(path, encoding="utf-16", delimiter="\t")
    assert rows[1][0] == "Unicode ✓"
    assert as_dict(rows, 1)["result"] == "created"


# --- XLSX -----------------------------------------------------------------------------


def xlsx_campaign(path: Path) -> Campaign:
    return make_campaign(
        path,
        HEADERS,
        [
            ["First post", HOSTED_TIKTOK_ID, datetime(2031, 3, 1, 9, 0), "007"],
            ["Second post", HOSTED_TIKTOK_ID, datetime(2031, 3, 2, 9, 0), 42],
        ],
    )


def test_xlsx_keeps_values_and_their_types(tmp_path: Path) -> None:
    campaign = xlsx_campaign(tmp_path / "may.xlsx")
    write_results(campaign, {2: created(2)}, tmp_path / "out.xlsx")

    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    assert [c.value for c in sheet[1]] == [*HEADERS, *RESULT_COLUMNS]
    assert [c.value for c in sheet[2]][:4] == [
        "First post",
        HOSTED_TIKTOK_ID,
        datetime(2031, 3, 1, 9, 0),
        "007",
    ]
    assert sheet["C2"].is_date
    assert sheet["D3"].value == 42
    assert sheet["D3"].data_type == "n"


def test_xlsx_sheet_keeps_the_campaign_sheet_name(tmp_path: Path) -> None:
    campaign = make_campaign(
        tmp_path / "may.xlsx", HEADERS, [["Post", HOSTED_TIKTOK_ID]], sheet_name="May posts"
    )
    write_results(campaign, {}, tmp_path / "out.xlsx")

    assert openpyxl.load_workbook(tmp_path / "out.xlsx").sheetnames == ["May posts", "Summary"]


def test_xlsx_numbers_are_number_cells_and_submitted_at_a_utc_date_cell(tmp_path: Path) -> None:
    campaign = xlsx_campaign(tmp_path / "may.xlsx")
    paris = timezone(timedelta(hours=2))
    outcome = created(2, submitted_at=datetime(2031, 3, 1, 10, 0, 5, tzinfo=paris))
    write_results(campaign, {2: outcome}, tmp_path / "out.xlsx")

    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    cells = {header.value: cell for header, cell in zip(sheet[1], sheet[2], strict=True)}
    assert (cells["http_status"].value, cells["attempts"].value) == (201, 1)
    assert cells["http_status"].data_type == "n"
    assert cells["submitted_at"].value == datetime(2031, 3, 1, 8, 0, 5)
    assert "UTC" in cells["submitted_at"].number_format


def test_xlsx_user_external_id_number_stays_a_number(tmp_path: Path) -> None:
    campaign = make_campaign(
        tmp_path / "may.xlsx", ["external_id", *HEADERS], [[1001, "Post", HOSTED_TIKTOK_ID]]
    )
    write_results(campaign, {2: created(2, "1001")}, tmp_path / "out.xlsx")

    assert read_xlsx(tmp_path / "out.xlsx")[1][0] == 1001


@pytest.mark.parametrize("text", INJECTIONS)
def test_xlsx_formula_like_text_is_a_text_cell(tmp_path: Path, text: str) -> None:
    campaign = make_campaign(tmp_path / "may.xlsx", HEADERS, [[text, HOSTED_TIKTOK_ID]])
    outcome = RowOutcome(2, "ext-1", RowResult.REJECTED, error_message=text)
    write_results(campaign, {2: outcome}, tmp_path / "out.xlsx")

    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    error_column = 4 + RESULT_COLUMNS.index("error_message")
    for cell in (sheet["A2"], sheet.cell(2, error_column + 1)):
        assert (cell.value, cell.data_type) == (text, "s")
        assert cell.quotePrefix


def test_xlsx_never_holds_a_formula(tmp_path: Path) -> None:
    rows = [[text, HOSTED_TIKTOK_ID] for text in INJECTIONS] + [["#N/A", HOSTED_TIKTOK_ID]]
    campaign = make_campaign(tmp_path / "may.xlsx", HEADERS, rows)
    write_results(campaign, {}, tmp_path / "out.xlsx")

    with zipfile.ZipFile(tmp_path / "out.xlsx") as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml
    assert b"<f " not in sheet_xml
    assert b't="e"' not in sheet_xml


def test_xlsx_negative_number_stays_a_number(tmp_path: Path) -> None:
    campaign = make_campaign(tmp_path / "may.xlsx", HEADERS, [["Post", HOSTED_TIKTOK_ID, None, -5]])
    write_results(campaign, {}, tmp_path / "out.xlsx")

    cell = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]["D2"]
    assert (cell.value, cell.data_type) == (-5, "n")


def test_xlsx_header_is_bold_frozen_and_filtered(tmp_path: Path) -> None:
    campaign = xlsx_campaign(tmp_path / "may.xlsx")
    write_results(campaign, {2: created(2)}, tmp_path / "out.xlsx")

    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    last = openpyxl.utils.get_column_letter(len(HEADERS) + len(RESULT_COLUMNS))
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{last}3"
    assert all(cell.font.bold for cell in sheet[1])


def test_xlsx_result_cell_is_filled_with_its_results_colour(tmp_path: Path) -> None:
    campaign = xlsx_campaign(tmp_path / "may.xlsx")
    outcomes = {
        2: RowOutcome(2, "ext-1", RowResult.REJECTED, error_code="validation_failed"),
        3: created(3, "ext-2"),
    }
    write_results(campaign, outcomes, tmp_path / "out.xlsx")

    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    result_column = len(HEADERS) + RESULT_COLUMNS.index("result") + 1
    rejected, done = sheet.cell(2, result_column), sheet.cell(3, result_column)
    assert rejected.value == "rejected"
    assert rejected.fill.fgColor.rgb.endswith(RESULT_FILLS[RowResult.REJECTED])
    assert done.fill.fgColor.rgb.endswith(RESULT_FILLS[RowResult.CREATED])


def test_xlsx_warnings_and_error_message_wrap(tmp_path: Path) -> None:
    campaign = xlsx_campaign(tmp_path / "may.xlsx")
    outcome = RowOutcome(2, "e", RowResult.REJECTED, warnings=["A: b", "C: d"], error_message="x")
    write_results(campaign, {2: outcome}, tmp_path / "out.xlsx")

    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    for name in ("warnings", "error_message"):
        cell = sheet.cell(2, len(HEADERS) + RESULT_COLUMNS.index(name) + 1)
        assert cell.alignment.wrap_text


def test_xlsx_columns_are_readable_but_capped(tmp_path: Path) -> None:
    campaign = make_campaign(tmp_path / "may.xlsx", HEADERS, [["x" * 500, HOSTED_TIKTOK_ID]])
    write_results(campaign, {}, tmp_path / "out.xlsx")

    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    assert sheet.column_dimensions["A"].width == 60
    assert sheet.column_dimensions["B"].width > len(HOSTED_TIKTOK_ID)


def test_xlsx_summary_tab_lists_the_given_summary(tmp_path: Path) -> None:
    campaign = xlsx_campaign(tmp_path / "may.xlsx")
    summary = {"campaign file": "may.xlsx", "created": 2, "started_at": SUBMITTED}
    write_results(campaign, {}, tmp_path / "out.xlsx", summary=summary)

    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["Summary"]
    assert list(sheet.iter_rows(values_only=True)) == [
        ("item", "value"),
        ("campaign file", "may.xlsx"),
        ("created", 2),
        ("started_at", datetime(2031, 3, 1, 8, 0, 5)),
    ]


def test_xlsx_summary_defaults_to_counts_per_result(tmp_path: Path) -> None:
    campaign = xlsx_campaign(tmp_path / "may.xlsx")
    outcomes = {2: created(2), 3: RowOutcome(3, "ext-2", RowResult.REJECTED)}
    write_results(campaign, outcomes, tmp_path / "out.xlsx")

    rows = dict(
        openpyxl.load_workbook(tmp_path / "out.xlsx")["Summary"].iter_rows(values_only=True)
    )
    assert (rows["created"], rows["rejected"], rows["error"]) == (1, 1, 0)


def test_results_cannot_be_written_as_xlsm(tmp_path: Path) -> None:
    campaign = xlsx_campaign(tmp_path / "may.xlsm")
    with pytest.raises(ConfigurationError, match=r"name it \.xlsx, \.csv"):
        write_results(campaign, {}, tmp_path / "out.xlsm")


# --- atomic write ---------------------------------------------------------------------


def fail_on_second_call(real: Callable[..., Any]) -> Callable[..., Any]:
    """``real``, except that its second call raises, as a full disk would midway."""
    calls = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    return failing


@pytest.mark.parametrize(
    ("suffix", "module", "writer"),
    [(".csv", results, "_csv_text"), (".xlsx", results_xlsx, "_xlsx_row")],
)
def test_a_failed_write_leaves_the_old_file_untouched_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str, module: Any, writer: str
) -> None:
    target = tmp_path / f"may.results{suffix}"
    target.write_bytes(b"previous results")
    monkeypatch.setattr(module, writer, fail_on_second_call(getattr(module, writer)))

    with pytest.raises(RuntimeError, match="disk on fire"):
        write_results(xlsx_campaign(tmp_path / f"may{suffix}"), {2: created(2)}, target)

    assert target.read_bytes() == b"previous results"
    assert os.listdir(tmp_path) == [target.name]


def test_writing_replaces_an_existing_results_file_and_keeps_its_permissions(
    tmp_path: Path,
) -> None:
    target = tmp_path / "may.results.csv"
    target.write_text("old")
    target.chmod(0o640)
    write_results(two_row_campaign(tmp_path / "may.csv"), {}, target)

    assert read_csv(target)[0][0] == "caption"
    assert target.stat().st_mode & 0o777 == 0o640


def test_unknown_results_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"out\.json"):
        write_results(two_row_campaign(tmp_path / "may.csv"), {}, tmp_path / "out.json")


# --- reading the results back with the project's loader -------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_results_load_back_with_original_values_and_result_columns(
    tmp_path: Path, suffix: str
) -> None:
    original = (
        xlsx_campaign(tmp_path / f"may{suffix}")
        if suffix == ".xlsx"
        else two_row_campaign(tmp_path / f"may{suffix}")
    )
    outcomes = {2: created(2), 3: RowOutcome(3, "ext-2", RowResult.ERROR, http_status=500)}
    path = write_results(original, outcomes, tmp_path / f"may.results{suffix}")

    loaded = load_campaign(path)
    assert loaded.headers == [*HEADERS, *RESULT_COLUMNS]
    assert [row.original[:4] for row in loaded.rows] == [row.original for row in original.rows]
    assert all(loaded.columns[name] == 4 + i for i, name in enumerate(RESULT_COLUMNS))
    assert [row.values["result"] for row in loaded.rows] == ["created", "error"]


def test_a_loaded_results_sheet_written_again_keeps_its_columns(tmp_path: Path) -> None:
    first = write_results(
        xlsx_campaign(tmp_path / "may.xlsx"), {2: created(2)}, tmp_path / "may.results.xlsx"
    )
    again = load_campaign(first)
    write_results(again, {3: created(3, "ext-2")}, default_results_path(first))

    rows = read_xlsx(first)
    assert rows[0] == [*HEADERS, *RESULT_COLUMNS]
    assert [as_dict(rows, i)["post_id"] for i in (1, 2)] == ["post-2", "post-3"]


def test_csv_rows_end_with_crlf_as_excel_writes_them(tmp_path: Path) -> None:
    write_results(two_row_campaign(tmp_path / "may.csv"), {}, tmp_path / "out.csv")

    assert (tmp_path / "out.csv").read_bytes().count(b"\r\n") == 3


# openpyxl, and numpy through it, cost about 0.4 s of start-up: a CSV campaign never needs them.
_MODULES_AT_EXIT = (
    "import atexit, sys\n"
    "atexit.register(lambda: print(sorted({'openpyxl', 'numpy'} & set(sys.modules)), "
    "file=sys.stderr))\n"
    "from bulk_scheduler.cli.commands import main\n"
    "sys.argv[0] = 'bulk-scheduler'\n"
    "main()\n"
)


@pytest.mark.parametrize("command", [["validate", "--offline"], ["run", "--sandbox", "--yes"]])
def test_a_csv_campaign_is_validated_and_run_without_loading_openpyxl(
    tmp_path: Path, command: list[str]
) -> None:
    row = ["may-1", "Holiday drops start Monday!", "video", VIDEO, HOSTED_TIKTOK_ID]
    campaign = write_csv(tmp_path / "may.csv", [[*row, "2031-03-01T09:00:00Z"]])
    done = subprocess.run(
        [sys.executable, "-c", _MODULES_AT_EXIT, *command, str(campaign)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"
    if command[0] == "run":
        assert (tmp_path / "may.results.csv").exists()
