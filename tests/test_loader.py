"""The campaign loader: what the user gets from each kind of file a real program writes.

Fixtures live in ``tests/fixtures/loader/`` (made by ``make_loader_fixtures.py``);
edge cases that need no realistic file are written to ``tmp_path``.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from bulk_scheduler.campaign import Campaign
from bulk_scheduler.errors import CampaignFileError
from bulk_scheduler.issues import Severity, error, warning
from bulk_scheduler.sheet.loader import load_campaign

FIXTURES = Path(__file__).parent / "fixtures" / "loader"
ACCOUNT = "0f4f54d4-8cce-4fb7-8c7b-befbcb8af812"


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def load(name: str, **options: object) -> Campaign:
    return load_campaign(fixture(name), **options)  # type: ignore[arg-type]


def load_error(path: str | Path, **options: object) -> str:
    with pytest.raises(CampaignFileError) as caught:
        load_campaign(path, **options)  # type: ignore[arg-type]
    return str(caught.value)


def column(campaign: Campaign, name: str) -> list[object]:
    return [row.values[name] for row in campaign.rows]


def user_cell(campaign: Campaign, index: int, header: str) -> object:
    """A cell of one of the user's own columns (not one the planner reads), as loaded."""
    return campaign.rows[index].original[campaign.headers.index(header)]


# --- CSV: encodings and the programs that write them -------------------------------------------


def test_excel_csv_utf8_bom_does_not_leak_into_the_first_header() -> None:
    campaign = load("excel_csv_utf8_bom.csv")
    assert campaign.headers[0] == "external_id"
    assert campaign.columns["external_id"] == 0
    assert (campaign.format, campaign.encoding, campaign.delimiter) == ("csv", "utf-8-sig", ",")


def test_excel_csv_utf8_keeps_accents_and_emoji() -> None:
    campaign = load("excel_csv_utf8_bom.csv")
    assert campaign.rows[0].values["caption"] == "Café opening 🎉 — join us"


def test_excel_csv_values_are_the_text_as_written() -> None:
    row = load("excel_csv_utf8_bom.csv").rows[0]
    assert row.values["scheduled_at"] == "3/1/2031 9:00"
    assert row.values["accounts"] == ACCOUNT


def test_a_quoted_multi_line_cell_is_one_row_with_its_line_break() -> None:
    campaign = load("excel_csv_utf8_bom.csv")
    assert [row.row_number for row in campaign.rows] == [2, 3]
    assert campaign.rows[1].values["caption"] == "Two lines:\nsee you, soon"
    assert campaign.rows[1].cells["caption"] == "B3"


def test_plain_utf8_without_bom_is_recorded_as_utf8() -> None:
    campaign = load("plain_utf8.csv")
    assert campaign.encoding == "utf-8"
    assert campaign.rows[0].values["caption"] == "Naïve café post"


def test_a_blank_csv_cell_is_none() -> None:
    assert load("plain_utf8.csv").rows[1].values["scheduled_at"] is None


def test_european_excel_csv_is_semicolon_delimited() -> None:
    campaign = load("excel_european_semicolon.csv")
    assert campaign.delimiter == ";"
    assert campaign.encoding == "utf-8-sig"
    assert campaign.rows[0].values["caption"] == "Soldes; -50% ce week-end"
    assert campaign.rows[1].values["caption"] == "Nouveautés, printemps"


def test_european_decimal_commas_and_leading_zeros_stay_text() -> None:
    campaign = load("excel_european_semicolon.csv")
    assert campaign.rows[0].original == [
        "00017",
        "Soldes; -50% ce week-end",
        ACCOUNT,
        "01.03.2031 09:00",
        "1,5",
    ]
    assert campaign.rows[1].original[4] == "1234,75"


def test_excel_unicode_text_is_utf16_and_tab_delimited() -> None:
    campaign = load("excel_unicode_text.txt")
    assert (campaign.format, campaign.encoding, campaign.delimiter) == ("tsv", "utf-16", "\t")
    assert campaign.headers == ["caption", "accounts", "scheduled_at"]
    assert campaign.rows[0].values["caption"] == "Grüße aus München"


def test_excel_unicode_text_keeps_a_quoted_tab_and_doubled_quotes() -> None:
    row = load("excel_unicode_text.txt").rows[1]
    assert row.values["caption"] == 'Tab\tinside, "quoted"'
    assert row.values["scheduled_at"] is None


def test_utf16_big_endian_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "be.csv"
    path.write_bytes(codecs.BOM_UTF16_BE + "caption,accounts\nÉté,@a\n".encode("utf-16-be"))
    campaign = load_campaign(path)
    assert campaign.encoding == "utf-16"
    assert campaign.rows[0].values == {"caption": "Été", "accounts": "@a"}


def test_google_sheets_export_crlf_and_multi_line_cells() -> None:
    campaign = load("google_sheets_export.csv")
    assert [row.row_number for row in campaign.rows] == [2, 3]
    first = campaign.rows[0]
    assert first.values["caption"] == "Line one\nLine two\nLine three"
    assert first.values["media_urls"] == (
        "https://cdn.example.com/1.jpg\nhttps://cdn.example.com/2.jpg"
    )
    assert campaign.rows[1].values["scheduled_at"] == "March 2, 2031"


def test_crlf_line_ends_never_leak_into_values() -> None:
    campaign = load("google_sheets_export.csv")
    assert not any("\r" in value for row in campaign.rows for value in row.original if value)


def test_libreoffice_quoted_text_cells_and_bare_numbers() -> None:
    campaign = load("libreoffice_export.csv")
    assert campaign.rows[0].values == {
        "caption": 'Spring "drop" is here',
        "accounts": "@brand_tiktok",
        "media_type": "text",
        "external_id": "42",
    }


def test_tsv_is_tab_delimited_and_keeps_commas_and_semicolons() -> None:
    campaign = load("tab_separated.tsv")
    assert (campaign.format, campaign.delimiter) == ("tsv", "\t")
    assert campaign.rows[0].values["caption"] == "Commas, kept; too"


def test_blank_lines_are_skipped_but_keep_their_row_numbers() -> None:
    campaign = load("blank_lines_middle.csv")
    assert [row.row_number for row in campaign.rows] == [2, 4, 7]
    assert [row.cells["caption"] for row in campaign.rows] == ["A2", "A4", "A7"]
    assert column(campaign, "caption") == ["first", "second", "third"]


def test_leading_zeros_and_numbers_stay_exactly_as_written() -> None:
    campaign = load("leading_zero_ids.csv")
    assert column(campaign, "external_id") == ["00884", "884"]
    # "attempts" alone is the user's own column (not a results sheet): kept as written.
    assert [row.original[campaign.headers.index("attempts")] for row in campaign.rows] == [
        "007",
        "3",
    ]


def test_whitespace_only_cells_are_none_and_other_text_is_not_stripped(tmp_path: Path) -> None:
    path = tmp_path / "spaces.csv"
    path.write_text("caption,accounts,timezone\n  padded caption ,@a,   \n", encoding="utf-8")
    row = load_campaign(path).rows[0]
    assert row.values == {"caption": "  padded caption ", "accounts": "@a", "timezone": None}


def test_short_csv_rows_are_padded_to_the_headers(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("caption,accounts,timezone\nonly a caption,@a\n", encoding="utf-8")
    row = load_campaign(path).rows[0]
    assert row.original == ["only a caption", "@a", None]
    assert row.values["timezone"] is None


def test_a_single_column_file_defaults_to_comma(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("caption\nHello; world, again\n", encoding="utf-8")
    campaign = load_campaign(path, required=["caption"])
    assert campaign.delimiter == ","
    assert campaign.rows[0].original == ["Hello; world", " again"]


# --- headers ----------------------------------------------------------------------------------


def test_header_aliases_with_odd_case_and_spacing_are_recognised() -> None:
    campaign = load("header_aliases.csv")
    assert campaign.columns == {
        "caption": 0,
        "media_urls": 1,
        "accounts": 2,
        "media_type": 3,
        "scheduled_at": 4,
        "timezone": 5,
    }
    assert campaign.issues == []


def test_headers_are_kept_as_written() -> None:
    campaign = load("header_aliases.csv")
    assert campaign.headers == ["Text", " Media-URL ", "ACCOUNTS", "Post_Type", "When", "TZ"]


def test_values_are_keyed_by_canonical_column() -> None:
    row = load("header_aliases.csv").rows[0]
    assert row.values["caption"] == "Alias post"
    assert row.cells == {
        "caption": "A2",
        "media_urls": "B2",
        "accounts": "C2",
        "media_type": "D2",
        "scheduled_at": "E2",
        "timezone": "F2",
    }


def test_a_misspelt_required_header_fails_with_a_did_you_mean() -> None:
    path = fixture("unknown_header.csv")
    assert load_error(path) == (
        f"{path}: missing required column 'caption' (found: external_id, capton, accounts, "
        "notes); did you mean 'caption' instead of 'capton' (B1)?"
    )


def test_unknown_headers_are_warnings_with_a_suggestion_when_close() -> None:
    campaign = load("unknown_header.csv", required=["accounts"])
    assert campaign.issues == [
        warning(
            "unknown-column",
            "unknown column 'capton' is ignored; did you mean 'caption'?",
            row=1,
            column="capton",
            cell="B1",
        ),
        warning(
            "unknown-column", "unknown column 'notes' is ignored", row=1, column="notes", cell="D1"
        ),
    ]


def test_unknown_columns_stay_in_the_original_row_but_not_in_values() -> None:
    row = load("unknown_header.csv", required=["accounts"]).rows[0]
    assert row.values == {"external_id": "x-1", "accounts": "@brand_tiktok"}
    assert row.original == ["x-1", "Typo in the header", "@brand_tiktok", "for Anna"]


def test_two_headers_for_one_column_is_an_error_naming_both() -> None:
    path = fixture("duplicate_header.csv")
    assert load_error(path) == (
        f"{path}: columns 'caption' (A1) and 'Text' (C1) both mean 'caption'; keep one of them"
    )


def test_a_missing_required_column_is_an_error_listing_the_headers_found() -> None:
    path = fixture("missing_caption.csv")
    assert load_error(path) == (
        f"{path}: missing required column 'caption' (found: external_id, accounts, media_urls)"
    )


def test_several_missing_required_columns_are_named_together(tmp_path: Path) -> None:
    path = tmp_path / "campaign.csv"
    path.write_text("external_id\nx\n", encoding="utf-8")
    assert load_error(path) == (
        f"{path}: missing required columns 'caption', 'accounts' (found: external_id)"
    )


def test_required_columns_are_the_callers_choice() -> None:
    campaign = load("missing_caption.csv", required=["accounts"])
    assert [row.row_number for row in campaign.rows] == [2]


def test_a_lone_result_column_name_is_the_users_own_column_without_warnings() -> None:
    campaign = load("leading_zero_ids.csv")
    assert "attempts" not in campaign.columns
    assert campaign.issues == []


def test_result_columns_of_a_results_sheet_are_recognised_without_warnings(
    tmp_path: Path,
) -> None:
    from bulk_scheduler.sheet.columns import RESULT_COLUMNS

    path = tmp_path / "plan.results.csv"
    header = ["caption", "accounts", *RESULT_COLUMNS]
    path.write_text(",".join(header) + "\nhello,@a,x-1,created\n", encoding="utf-8")
    campaign = load_campaign(path)
    assert campaign.columns["attempts"] == header.index("attempts")
    assert campaign.rows[0].values["result"] == "created"
    assert campaign.issues == []


def test_a_blank_header_over_values_is_a_warning_naming_the_column(tmp_path: Path) -> None:
    path = tmp_path / "campaign.csv"
    path.write_text("caption,,accounts\nhello,stray,@a\n", encoding="utf-8")
    campaign = load_campaign(path)
    assert campaign.issues == [
        warning(
            "blank-header",
            "column B has values but no header, so it is ignored; give it a header to use it",
            row=1,
            cell="B1",
        )
    ]
    assert campaign.rows[0].original == ["hello", "stray", "@a"]


def test_a_blank_header_over_an_empty_column_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "campaign.csv"
    path.write_text("caption,,accounts\nhello,,@a\n", encoding="utf-8")
    assert load_campaign(path).issues == []


def test_cells_beyond_the_last_header_are_a_blank_header_warning(tmp_path: Path) -> None:
    path = tmp_path / "campaign.csv"
    path.write_text("caption,accounts\nhello,@a,extra\n", encoding="utf-8")
    campaign = load_campaign(path)
    assert campaign.headers == ["caption", "accounts", ""]
    assert [issue.cell for issue in campaign.issues] == ["C1"]


def test_header_only_gives_a_campaign_with_no_rows() -> None:
    campaign = load("header_only.csv")
    assert campaign.rows == []
    assert campaign.headers == ["caption", "accounts", "scheduled_at"]


# --- CSV files that cannot be used ------------------------------------------------------------


def test_an_empty_file_is_an_error() -> None:
    path = fixture("empty.csv")
    assert load_error(path) == f"{path}: the file is empty"


def test_a_blank_first_row_above_the_header_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "campaign.csv"
    path.write_text(",,\ncaption,accounts\nhello,@a\n", encoding="utf-8")
    campaign = load_campaign(path)
    assert (campaign.header_row, campaign.notes) == (2, ["header on row 2"])
    assert [(row.row_number, row.values["caption"]) for row in campaign.rows] == [(3, "hello")]


def test_excel_ansi_csv_is_read_in_its_code_page() -> None:
    campaign = load("excel_windows_ansi.csv")
    assert (campaign.encoding, campaign.notes) == ("cp1252", ["read as Windows-1252"])
    assert campaign.rows[0].values["caption"] == "Café opening"


def test_utf16_without_a_bom_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "campaign.csv"
    path.write_bytes("caption,accounts\n".encode("utf-16-le"))
    assert load_error(path) == (
        f"{path}: contains NUL characters, so it is not UTF-8 text; save it as 'CSV UTF-8'"
    )


def test_a_quote_that_never_closes_is_an_error_naming_its_row() -> None:
    path = fixture("unclosed_quote.csv")
    assert load_error(path) == (
        f'{path}: row 3: a quote (") opens a cell that never closes; check the quotes in that row'
    )


def test_a_stray_quote_inside_a_cell_is_kept_as_a_spreadsheet_would(tmp_path: Path) -> None:
    path = tmp_path / "campaign.csv"
    path.write_text('caption,accounts\nA 5" screen,@a\n', encoding="utf-8")
    assert load_campaign(path).rows[0].values["caption"] == 'A 5" screen'


def test_a_sheet_name_for_a_csv_file_is_an_error() -> None:
    path = fixture("plain_utf8.csv")
    assert load_error(path, sheet="Posts") == (
        f"{path}: sheet 'Posts' was asked for, but a .csv file has no sheets"
    )


# --- any file ---------------------------------------------------------------------------------


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    assert load_error(path) == f"{path}: file not found"


def test_the_file_is_named_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_error("campaign.xlsx") == "campaign.xlsx: file not found"


def test_an_unsupported_extension_lists_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "campaign.pdf"
    path.write_bytes(b"")
    assert load_error(path) == (
        f"{path}: unsupported file type '.pdf'; use one of .csv, .tsv, .txt, .xlsx, .xlsm, "
        ".xls, .ods"
    )


def test_extensions_are_matched_case_insensitively(tmp_path: Path) -> None:
    path = tmp_path / "CAMPAIGN.CSV"
    path.write_text("caption,accounts\nhi,@a\n", encoding="utf-8")
    assert load_campaign(path).format == "csv"


def test_more_rows_than_max_rows_is_an_error_naming_the_limit() -> None:
    path = fixture("blank_lines_middle.csv")
    assert load_error(path, max_rows=2) == (
        f"{path}: more than 2 data rows (the limit is 2); split the file or raise the limit"
        " with --max-rows"
    )


def test_max_rows_counts_data_rows_not_blank_lines() -> None:
    assert len(load("blank_lines_middle.csv", max_rows=3).rows) == 3


# --- XLSX ---------------------------------------------------------------------------------------


def test_the_first_sheet_with_the_campaign_columns_is_read_by_default() -> None:
    campaign = load("multi_sheet_dates.xlsx")
    assert campaign.sheet_name == "Posts"
    assert campaign.notes == ["using tab 'Posts' (the first tab with the campaign's columns)"]


def test_a_sheet_is_chosen_by_name() -> None:
    campaign = load("multi_sheet_dates.xlsx", sheet="Posts")
    assert campaign.sheet_name == "Posts"
    assert campaign.sheet_names == ["Read me", "Posts", "Archive"]
    assert campaign.format == "xlsx"
    assert [row.row_number for row in campaign.rows] == [2, 3, 4, 5]


def test_a_sheet_name_matches_ignoring_case_when_unambiguous() -> None:
    assert load("multi_sheet_dates.xlsx", sheet="posts").sheet_name == "Posts"


def test_an_unknown_sheet_is_an_error_listing_the_sheets() -> None:
    path = fixture("multi_sheet_dates.xlsx")
    assert load_error(path, sheet="Plan") == (
        f"{path}: no sheet named 'Plan' (sheets: Read me, Posts, Archive)"
    )


def test_date_cells_stay_dates_times_and_date_times() -> None:
    campaign = load("multi_sheet_dates.xlsx", sheet="Posts")
    assert column(campaign, "scheduled_at") == [
        datetime(2031, 3, 1, 9, 0),
        date(2031, 3, 2),
        time(18, 30),
        "2031-03-05 10:00",
    ]
    assert type(campaign.rows[1].values["scheduled_at"]) is date


def test_a_blank_xlsx_cell_is_none() -> None:
    campaign = load("multi_sheet_dates.xlsx", sheet="Posts")
    assert campaign.rows[3].values["timezone"] is None


def test_formula_cells_give_their_cached_values() -> None:
    campaign = load("formulas.xlsx")
    assert campaign.rows[0].values["caption"] == "Launch day f-1"
    assert campaign.rows[0].values["scheduled_at"] == datetime(2031, 3, 1, 9, 0)
    assert campaign.rows[1].values["media_urls"] == "https://cdn.example.com/f-2.mp4"
    assert user_cell(campaign, 1, "attempts") == 2


def test_error_cells_keep_their_error_text() -> None:
    row = load("formulas.xlsx").rows[2]
    assert (row.row_number, row.values["accounts"]) == (4, "#N/A")


def test_a_formula_never_calculated_is_a_row_error_naming_the_cell() -> None:
    campaign = load("formulas.xlsx")
    assert campaign.issues == [
        error(
            "formula-not-calculated",
            "cell B5 has a formula that was never calculated; "
            "open and save the file in Excel to calculate it",
            row=5,
            column="caption",
            cell="B5",
        )
    ]
    assert campaign.issues[0].severity is Severity.ERROR


def test_the_row_of_an_uncalculated_formula_is_still_loaded() -> None:
    row = load("formulas.xlsx").rows[3]
    assert (row.row_number, row.values["caption"], row.values["accounts"]) == (
        5,
        None,
        "@brand_tiktok",
    )


def test_a_formula_that_calculated_to_empty_text_is_blank_not_an_issue() -> None:
    campaign = load("formulas.xlsx")
    assert campaign.rows[4].row_number == 6
    assert campaign.rows[4].values["media_urls"] is None
    assert all(issue.row != 6 for issue in campaign.issues)


def test_a_cell_merged_down_gives_its_value_to_every_row() -> None:
    campaign = load("merged_cells.xlsx")
    assert column(campaign, "accounts")[:4] == ["@brand_tiktok"] * 4
    assert [row.cells["accounts"] for row in campaign.rows][:4] == ["B2", "B3", "B4", "B5"]


def test_a_merged_date_cell_is_shared_by_the_rows_it_spans() -> None:
    campaign = load("merged_cells.xlsx")
    assert column(campaign, "scheduled_at")[:3] == [
        datetime(2031, 3, 3, 9, 0),
        datetime(2031, 3, 3, 9, 0),
        datetime(2031, 3, 4, 9, 0),
    ]


def test_a_cell_merged_across_columns_does_not_fill_the_next_column() -> None:
    row = load("merged_cells.xlsx").rows[4]
    assert row.row_number == 6
    assert row.values["caption"] == "Caption merged across two columns"
    assert row.values["accounts"] is None


def test_formatted_but_empty_rows_and_columns_are_ignored() -> None:
    campaign = load("trailing_formatted_rows.xlsx")
    assert [row.row_number for row in campaign.rows] == [2, 3]
    assert campaign.headers == ["caption", "accounts", "media_type", "timezone"]
    assert all(len(row.original) == 4 for row in campaign.rows)
    assert campaign.issues == []


def test_a_blank_xlsx_row_is_skipped_but_keeps_the_numbering() -> None:
    campaign = load("blank_row_middle.xlsx")
    assert [row.row_number for row in campaign.rows] == [2, 3, 5]
    assert campaign.rows[2].cells == {"caption": "A5", "accounts": "B5"}


def test_integral_number_cells_are_ints_not_floats() -> None:
    campaign = load("numeric_ids.xlsx")
    ids = column(campaign, "external_id")
    assert ids == [884, "00884", 12345678901]
    assert [type(value) for value in ids] == [int, str, int]
    statuses = [user_cell(campaign, i, "http_status") for i in range(3)]
    assert statuses == [201, None, 422]
    assert type(statuses[0]) is int


def test_fractional_numbers_stay_floats() -> None:
    value = user_cell(load("numeric_ids.xlsx"), 1, "attempts")
    assert (type(value), value) == (float, 1.5)


def test_boolean_and_duration_cells() -> None:
    campaign = load("numeric_ids.xlsx")
    assert [row.original[5] for row in campaign.rows] == [True, False, None]
    assert campaign.rows[0].original[6] == "0:00:45"


def test_an_xlsm_workbook_is_read_like_an_xlsx() -> None:
    campaign = load("macro_enabled.xlsm")
    assert campaign.format == "xlsm"
    assert campaign.rows[0].values == {
        "caption": "From a macro-enabled workbook",
        "accounts": "@brand_tiktok",
    }


def test_a_csv_named_xlsx_is_read_as_csv_with_a_warning() -> None:
    campaign = load("csv_renamed.xlsx")
    assert campaign.format == "csv"
    assert [(issue.code, issue.message) for issue in campaign.issues] == [
        (
            "file-type-mismatch",
            "csv_renamed.xlsx is a text file (CSV), not what its .xlsx name says; it was "
            "read as what it is (rename it to match)",
        )
    ]


def test_prefixed_sheet_xml_still_reports_formulas_and_errors() -> None:
    campaign = load("prefixed_namespace.xlsx")
    assert [issue.cell for issue in campaign.issues] == ["B5"]
    assert campaign.rows[2].values["accounts"] == "#N/A"


def test_a_sheet_declaring_a_dtd_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "entities.xlsx"
    with (
        zipfile.ZipFile(FIXTURES / "formulas.xlsx") as source,
        zipfile.ZipFile(path, "w") as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = b'<!DOCTYPE worksheet [<!ENTITY a "aaaa">]>' + data
            target.writestr(info, data)
    assert load_error(path) == (
        f"{path}: cannot be read as an Excel workbook "
        "(xl/worksheets/sheet1.xml declares a DTD, which a worksheet never needs)"
    )


def test_a_blank_header_row_in_a_sheet_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "campaign.xlsx"
    workbook = Workbook()
    workbook.active.title = "Posts"
    workbook.active["A2"] = "caption below a blank row 1"
    workbook.save(path)
    assert load_error(path) == (
        f"{path}: row 1 of sheet 'Posts' is blank; the first row must hold the column names"
    )


def test_a_sheet_with_no_cells_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "campaign.xlsx"
    workbook = Workbook()
    workbook.active.title = "Posts"
    workbook.save(path)
    assert load_error(path) == f"{path}: sheet 'Posts' is empty"


# --- properties -------------------------------------------------------------------------------

# Text a user can type in a cell: anything but NUL and lone surrogates.
cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(cell_text, min_size=3, max_size=3), min_size=1, max_size=5),
    delimiter=st.sampled_from([",", ";", "\t"]),
    with_bom=st.booleans(),
)
def test_any_text_written_by_a_csv_writer_reads_back_unchanged(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[str]],
    delimiter: str,
    with_bom: bool,
) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["caption", "accounts", "media_urls"])
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("roundtrip") / "campaign.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8-sig" if with_bom else "utf-8"))

    campaign = load_campaign(path)

    expected = [
        (number, [cell if cell.strip() else None for cell in row])
        for number, row in enumerate(rows, start=2)
        if any(cell.strip() for cell in row)
    ]
    assert [(row.row_number, row.original) for row in campaign.rows] == expected
    assert campaign.delimiter == delimiter
