"""An XLSX results sheet is the user's own workbook plus the result columns and a Summary tab.

Driven as a user would: ``bulk-scheduler run X.xlsx --yes`` against the sandbox, then the
results workbook is read back with openpyxl (full load) and python-calamine, and its
parts are checked for what makes Excel repair a file (overlapping column ranges, cells
out of order, parts without a content type, relationships to missing parts).
"""

from __future__ import annotations

import csv
import logging
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
import python_calamine
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from bulk_scheduler.cli.commands import cli
from bulk_scheduler.outcome import RowOutcome, RowResult
from bulk_scheduler.sandbox import seed
from bulk_scheduler.sandbox.server import SandboxServer
from bulk_scheduler.sheet import xlsx_sheet_rewrite
from bulk_scheduler.sheet.columns import RESULT_COLUMNS
from bulk_scheduler.sheet.loader import load_campaign
from bulk_scheduler.sheet.read_options import ReadOptions
from bulk_scheduler.sheet.results import RESULT_COLUMN_NOTES, RESULT_FILLS, write_results
from bulk_scheduler.sheet.xlsx_cells import CellRenderer
from tests.conftest import FIXTURES

HEADER = [
    "external_id",
    "caption",
    "media_type",
    "media_urls",
    "accounts",
    "scheduled_at",
    "timezone",
    "budget",
    "notes",
]
DATE_FORMAT = "dd/mm/yyyy hh:mm"
MONEY_FORMAT = "#,##0.00"
DATA_ROWS = (2, 3, 4, 6)  # row 5 is blank: not a campaign row
NEW_COLUMNS = [c for c in RESULT_COLUMNS if c != "external_id"]  # from J on
LAST = openpyxl.utils.get_column_letter(9 + len(NEW_COLUMNS))
SUBMITTED = datetime(2031, 3, 1, 8, 0, 5, tzinfo=UTC)
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


# The user's workbook hides row 3, a campaign row: read it (hidden rows are skipped by
# default) to check that the results keep it hidden.
ALL_ROWS = ReadOptions(include_hidden=True)


def invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def user_workbook(path: Path, *, media_url: str = "https://cdn.genviral.com/clips/{}.mp4") -> Path:
    """Three tabs as a user keeps them: "Read me", the campaign ("Posts"), "Lookups"."""
    book = openpyxl.Workbook()
    readme = book.active
    assert readme is not None
    readme.title = "Read me"
    readme["A1"] = "How to use this workbook"
    readme.merge_cells("A1:D1")
    readme["A3"] = "One post per row on the Posts tab."

    posts = book.create_sheet("Posts")
    posts.append(HEADER)
    for number in DATA_ROWS:
        index = number - 1
        posts.cell(number, 1, f"wb-{index}")
        posts.cell(number, 2, f"Post {index} 🎉")
        posts.cell(number, 3, "video")
        posts.cell(number, 4, media_url.format(index))
        posts.cell(number, 5, seed.BYO_TIKTOK_ID)
        when = posts.cell(number, 6, datetime(2036, 6, index, 9, 30))
        when.number_format = DATE_FORMAT
        posts.cell(number, 7, "Europe/Paris")
        money = posts.cell(number, 8, 1234.5 * index)
        money.number_format = MONEY_FORMAT
        posts.cell(number, 9, f"internal note {index}")
    # A blank row in the middle keeps its formatting and gets no result cells.
    posts.cell(5, 1).fill = PatternFill("solid", fgColor="FFFF00")
    posts.column_dimensions["B"].width = 50
    posts.column_dimensions["D"].width = 40
    posts.column_dimensions["I"].hidden = True
    posts.row_dimensions[3].hidden = True
    posts.row_dimensions[2].height = 30
    posts.freeze_panes = "A2"
    posts.auto_filter.ref = "A1:I6"
    validation = DataValidation(type="list", formula1='"video,slideshow"')
    validation.add("C2:C6")
    posts.add_data_validation(validation)
    posts["B1"].comment = Comment("The post text", "user")

    lookups = book.create_sheet("Lookups")
    lookups.append(["account"])
    lookups.append([seed.BYO_TIKTOK_ID])
    lookups.append([seed.BYO_INSTAGRAM_ID])
    book.defined_names["AccountList"] = DefinedName("AccountList", attr_text="Lookups!$A$2:$A$3")
    book.save(path)
    return path


def cells_by_header(sheet: Any, row: int) -> dict[str, Any]:
    return {str(header.value): cell for header, cell in zip(sheet[1], sheet[row], strict=False)}


def assert_sound_package(path: Path) -> None:
    """What Excel checks on opening, short of Excel: every part has a content type, every
    relationship leads to a part, every worksheet's rows and cells are in order with no
    duplicate, column ranges do not overlap."""
    with zipfile.ZipFile(path) as archive:
        names = {name.lower() for name in archive.namelist()}
        types = ElementTree.fromstring(archive.read("[Content_Types].xml"))
        defaults = {e.get("Extension", "").lower() for e in types if e.tag.endswith("Default")}
        overrides = {
            e.get("PartName", "").lstrip("/").lower() for e in types if e.tag.endswith("Override")
        }
        assert overrides <= names, overrides - names
        for name in names:
            assert name in overrides or name.rsplit(".", 1)[-1] in defaults, name
        for name in names:
            if not name.endswith(".rels"):
                continue
            folder = name.split("_rels/")[0]
            for relationship in ElementTree.fromstring(archive.read(name)):
                if relationship.get("TargetMode") == "External":
                    continue
                target = relationship.get("Target", "")
                resolved = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else str(Path(folder, target)).replace("\\", "/")
                )
                resolved = re.sub(r"[^/]+/\.\./", "", resolved)
                assert resolved.lower() in names, (name, target)
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert_sound_sheet(archive.read(name), name)


def assert_sound_sheet(data: bytes, name: str) -> None:
    root = ElementTree.fromstring(data)
    previous_row = 0
    for row in root.iter(f"{MAIN}row"):
        number = int(row.get("r", previous_row + 1))
        assert number > previous_row, (name, number)
        previous_row = number
        previous_column = -1
        for cell in row.iter(f"{MAIN}c"):
            match = re.fullmatch(r"([A-Z]+)(\d+)", cell.get("r", ""))
            assert match and int(match.group(2)) == number, (name, cell.get("r"))
            column = openpyxl.utils.column_index_from_string(match.group(1))
            assert column > previous_column, (name, cell.get("r"))
            previous_column = column
            assert cell.find(f"{MAIN}f") is None or cell.get("t") != "inlineStr"
    covered: set[int] = set()
    for col in root.iter(f"{MAIN}col"):
        span = set(range(int(col.get("min", "0")), int(col.get("max", "0")) + 1))
        assert not span & covered, (name, col.attrib)
        covered |= span


def calamine_rows(path: Path, sheet: str) -> list[list[object]]:
    with python_calamine.CalamineWorkbook.from_path(path) as book:
        return book.get_sheet_by_name(sheet).to_python()


def assert_user_workbook_kept(path: Path) -> None:
    """Everything the user made survives, on every tab."""
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Read me", "Posts", "Lookups", "Summary"]
    readme = book["Read me"]
    assert "A1:D1" in {str(r) for r in readme.merged_cells.ranges}
    assert readme["A1"].value == "How to use this workbook"
    assert readme["A3"].value == "One post per row on the Posts tab."
    lookups = book["Lookups"]
    assert [c.value for c in lookups["A"]] == [
        "account",
        seed.BYO_TIKTOK_ID,
        seed.BYO_INSTAGRAM_ID,
    ]
    assert book.defined_names["AccountList"].attr_text == "Lookups!$A$2:$A$3"

    posts = book["Posts"]
    assert [c.value for c in posts[1]] == [*HEADER, *NEW_COLUMNS]
    for number in DATA_ROWS:
        index = number - 1
        row = cells_by_header(posts, number)
        assert row["external_id"].value == f"wb-{index}"
        assert row["caption"].value == f"Post {index} 🎉"
        assert row["scheduled_at"].value == datetime(2036, 6, index, 9, 30)
        assert row["scheduled_at"].number_format == DATE_FORMAT
        assert row["budget"].value == 1234.5 * index
        assert row["budget"].number_format == MONEY_FORMAT
        assert row["notes"].value == f"internal note {index}"
    assert posts.column_dimensions["B"].width == 50
    assert posts.column_dimensions["D"].width == 40
    assert posts.column_dimensions["I"].hidden
    assert posts.row_dimensions[3].hidden
    assert posts.row_dimensions[2].height == 30
    assert posts.freeze_panes == "A2"
    # The filter covers the result columns too, so the user can filter on them.
    assert posts.auto_filter.ref == f"A1:{LAST}6"
    assert [str(v.sqref) for v in posts.data_validations.dataValidation] == ["C2:C6"]
    assert posts["B1"].comment is not None and posts["B1"].comment.text == "The post text"
    # The blank row keeps its formatting and gets no result cell.
    assert posts["A5"].fill.fgColor.rgb.endswith("FFFF00")
    assert all(cell.value is None for cell in posts[5])
    assert_sound_package(path)


@pytest.fixture
def results_after_one_run(tmp_path: Path, api_env: SandboxServer) -> Iterator[Path]:
    campaign = user_workbook(tmp_path / "may.xlsx")
    # Row 3 is hidden: sent all the same (hidden rows are skipped by default).
    result = invoke("run", campaign, "--yes", "--sheet", "Posts", "--include-hidden")
    assert result.exit_code == 0, result.output
    yield tmp_path / "may.results.xlsx"


def test_the_results_workbook_is_the_users_workbook_plus_results(
    results_after_one_run: Path, api_env: SandboxServer
) -> None:
    path = results_after_one_run
    assert_user_workbook_kept(path)
    posts = openpyxl.load_workbook(path)["Posts"]
    for number in DATA_ROWS:
        row = cells_by_header(posts, number)
        assert row["result"].value == "created"
        assert row["result"].fill.fgColor.rgb.endswith(RESULT_FILLS[RowResult.CREATED])
        post = api_env.stats()["posts_by_external_id"]
        assert post[row["external_id"].value] == 1
        assert str(row["post_id"].value).strip()
        assert row["post_status"].value == "scheduled"
        assert row["http_status"].value == 201 and row["http_status"].data_type == "n"
        assert row["attempts"].value == 1
        assert isinstance(row["submitted_at"].value, datetime)
        assert "UTC" in row["submitted_at"].number_format
    assert all(cell.font.bold for cell in posts[1][len(HEADER) :])
    # The tab has a note of the user's (B1): ours are added beside it.
    notes = {cell.value: cell.comment.text for cell in posts[1] if cell.comment is not None}
    assert notes == {
        "caption": "The post text",
        **{name: RESULT_COLUMN_NOTES[name] for name in NEW_COLUMNS},
    }
    summary = dict(openpyxl.load_workbook(path)["Summary"].iter_rows(values_only=True))
    assert summary["item"] == "value"
    assert summary["created"] == len(DATA_ROWS)
    # python-calamine (the loader's engine) reads the same table.
    rows = calamine_rows(path, "Posts")
    assert rows[0] == [*HEADER, *NEW_COLUMNS]
    assert [row[len(HEADER)] for row in rows[1:]] == [
        "created",
        "created",
        "created",
        "",
        "created",
    ]


def test_running_the_results_workbook_again_updates_the_result_columns_in_place(
    results_after_one_run: Path, api_env: SandboxServer
) -> None:
    path = results_after_one_run
    first = openpyxl.load_workbook(path)["Posts"]
    post_ids = [cells_by_header(first, n)["post_id"].value for n in DATA_ROWS]

    again = invoke("run", path, "--yes", "--sheet", "Posts")
    assert again.exit_code == 0, again.output
    assert api_env.stats()["posts_total"] == len(DATA_ROWS)  # nothing was sent twice
    assert_user_workbook_kept(path)  # one Summary tab, headers not duplicated
    posts = openpyxl.load_workbook(path)["Posts"]
    assert [cells_by_header(posts, n)["post_id"].value for n in DATA_ROWS] == post_ids
    assert [cells_by_header(posts, n)["result"].value for n in DATA_ROWS] == ["created"] * 4


def test_a_fixed_row_is_sent_again_and_only_its_cells_change(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    campaign = user_workbook(tmp_path / "may.xlsx")
    # Row 4's media is rejected by the API (the preflight is off, as in test_run).
    book = openpyxl.load_workbook(campaign)
    book["Posts"]["D4"] = "https://media.example.invalid/missing.mp4"
    book.save(campaign)
    first = invoke(
        "run", campaign, "--yes", "--sheet", "Posts", "--no-media-check", "--include-hidden"
    )
    assert first.exit_code == 1
    path = tmp_path / "may.results.xlsx"
    posts = openpyxl.load_workbook(path)["Posts"]
    rejected = cells_by_header(posts, 4)
    assert rejected["result"].value == "rejected"
    assert rejected["result"].fill.fgColor.rgb.endswith(RESULT_FILLS[RowResult.REJECTED])
    assert rejected["error_code"].value == "media_unreachable"
    assert rejected["error_message"].alignment.wrap_text

    # The user fixes the URL in the results workbook (here through its XML, as Excel
    # would save it: openpyxl would rewrite the whole file) and runs it again.
    replace_in_sheet(
        path, b"https://media.example.invalid/missing.mp4", b"https://cdn.genviral.com/clips/3.mp4"
    )
    second = invoke("run", path, "--yes", "--sheet", "Posts")
    assert second.exit_code == 0, second.output
    assert api_env.stats()["create_requests_by_external_id"]["wb-3"] == 2
    assert_user_workbook_kept_except_row_4(path)
    posts = openpyxl.load_workbook(path)["Posts"]
    fixed = cells_by_header(posts, 4)
    assert fixed["result"].value == "created"
    assert fixed["result"].fill.fgColor.rgb.endswith(RESULT_FILLS[RowResult.CREATED])
    assert fixed["error_code"].value is None and fixed["error_message"].value is None
    assert fixed["http_status"].value == 201


def replace_in_sheet(path: Path, old: bytes, new: bytes) -> None:
    """Edit the Posts tab's XML (the second sheet part openpyxl wrote)."""
    replace_part(path, "xl/worksheets/sheet2.xml", old, new)


def replace_part(path: Path, part: str, old: bytes, new: bytes) -> None:
    copy = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                assert old in data
                data = data.replace(old, new)
            out.writestr(info, data)
    copy.replace(path)


def assert_user_workbook_kept_except_row_4(path: Path) -> None:
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Read me", "Posts", "Lookups", "Summary"]
    posts = book["Posts"]
    assert [c.value for c in posts[1]] == [*HEADER, *NEW_COLUMNS]
    assert posts.freeze_panes == "A2" and posts.auto_filter.ref == f"A1:{LAST}6"
    assert posts.column_dimensions["I"].hidden and posts.row_dimensions[3].hidden
    assert posts["F4"].number_format == DATE_FORMAT
    assert_sound_package(path)


def macro_workbook(path: Path) -> Path:
    """``path`` (.xlsm) as Excel saves a macro-enabled workbook: a VBA project part, its
    relationship and content types."""
    plain = user_workbook(path.with_suffix(".plain.xlsx"))
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                ).replace(
                    b"<Default ",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                    b"<Default ",
                    1,
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                    b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
                )
            out.writestr(info, data)
        out.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really a VBA project")
    plain.unlink()
    return path


def test_an_xlsm_campaign_gives_a_macro_free_xlsx(tmp_path: Path, api_env: SandboxServer) -> None:
    campaign = macro_workbook(tmp_path / "may.xlsm")
    # Row 3 is hidden: sent all the same (hidden rows are skipped by default).
    result = invoke("run", campaign, "--yes", "--sheet", "Posts", "--include-hidden")
    assert result.exit_code == 0, result.output
    path = tmp_path / "may.results.xlsx"
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        types = archive.read("[Content_Types].xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    assert "xl/vbaProject.bin" not in names
    assert b"macroEnabled" not in types and b"vbaProject" not in types
    assert b"vbaProject" not in rels
    assert_user_workbook_kept(path)


# --- direct calls of write_results ------------------------------------------------------


def outcomes_for(campaign: Any, result: RowResult = RowResult.CREATED) -> dict[int, RowOutcome]:
    return {
        row.row_number: RowOutcome(
            row.row_number,
            f"ext-{row.row_number}",
            result,
            post_id=f"post-{row.row_number}",
            http_status=201,
            attempts=1,
            submitted_at=SUBMITTED,
            error_message="=not a formula" if result is RowResult.REJECTED else None,
        )
        for row in campaign.rows
    }


def test_a_sheet_without_notes_gets_notes_on_the_new_headers(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["caption", "accounts"])
    sheet.append(["Hello", seed.BYO_TIKTOK_ID])
    book.save(path)
    campaign = load_campaign(path)
    write_results(campaign, outcomes_for(campaign), tmp_path / "out.xlsx")

    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    notes = {cell.value: cell.comment.text for cell in sheet[1] if cell.comment is not None}
    assert notes == {name: RESULT_COLUMN_NOTES[name] for name in RESULT_COLUMNS}
    assert_sound_package(tmp_path / "out.xlsx")


def test_formula_like_result_text_is_a_text_cell(tmp_path: Path) -> None:
    campaign = load_campaign(user_workbook(tmp_path / "may.xlsx"), sheet="Posts", reading=ALL_ROWS)
    write_results(campaign, outcomes_for(campaign, RowResult.REJECTED), tmp_path / "out.xlsx")

    with zipfile.ZipFile(tmp_path / "out.xlsx") as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet2.xml")
    posts = openpyxl.load_workbook(tmp_path / "out.xlsx")["Posts"]
    cell = cells_by_header(posts, 2)["error_message"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=not a formula", "s", True)
    assert cell.alignment.wrap_text


def test_prefixed_sheet_xml_keeps_its_prefix(tmp_path: Path) -> None:
    campaign = load_campaign(FIXTURES / "loader" / "prefixed_namespace.xlsx", required=())
    write_results(campaign, outcomes_for(campaign), tmp_path / "out.xlsx")

    with zipfile.ZipFile(tmp_path / "out.xlsx") as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    # Every element stays in the x: prefix, new cells and the notes' drawing included.
    assert re.findall(rb"<(?!x:|/x:|\?xml)", sheet_xml) == []
    assert b'<x:c r="G1"' in sheet_xml
    rows = calamine_rows(tmp_path / "out.xlsx", "Posts")
    assert rows[0][:6] == [
        "external_id",
        "caption",
        "accounts",
        "scheduled_at",
        "media_urls",
        "attempts",
    ]
    assert rows[1][6] == "created"
    assert_sound_package(tmp_path / "out.xlsx")


def test_new_columns_split_a_column_range_and_replace_empty_formatted_cells(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ranges.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["caption", "accounts"])
    sheet.append(["Hello", seed.BYO_TIKTOK_ID])
    # Unused columns hidden as one range, and formatted cells where results will go.
    sheet.column_dimensions.group("C", "Z", hidden=True)
    for column in range(3, 10):
        sheet.cell(2, column).fill = PatternFill("solid", fgColor="FFCC00")
    book.save(path)
    campaign = load_campaign(path)
    write_results(campaign, outcomes_for(campaign), tmp_path / "out.xlsx")

    assert_sound_package(tmp_path / "out.xlsx")  # no overlapping ranges, no duplicate cells
    out = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    width = 2 + len(RESULT_COLUMNS)
    assert [c.value for c in out[1]][:width] == ["caption", "accounts", *RESULT_COLUMNS]
    assert not out.column_dimensions["D"].hidden  # a result column is shown
    # The rest of the range (openpyxl keys it by its first column).
    rest = out.column_dimensions[openpyxl.utils.get_column_letter(width + 1)]
    assert (rest.min, rest.max, rest.hidden) == (width + 1, 26, True)
    assert cells_by_header(out, 2)["result"].value == "created"


def test_a_1904_workbook_gets_its_dates_right(tmp_path: Path) -> None:
    path = tmp_path / "mac.xlsx"
    book = openpyxl.Workbook()
    book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    assert sheet is not None
    sheet.append(["caption", "accounts"])
    sheet.append(["Hello", seed.BYO_TIKTOK_ID])
    book.save(path)
    campaign = load_campaign(path)
    write_results(campaign, outcomes_for(campaign), tmp_path / "out.xlsx")

    out = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    assert cells_by_header(out, 2)["submitted_at"].value == SUBMITTED.replace(tzinfo=None)
    submitted = 2 + RESULT_COLUMNS.index("submitted_at")
    row = calamine_rows(tmp_path / "out.xlsx", "Sheet")[1]
    assert row[submitted] == SUBMITTED.replace(tzinfo=None)


def test_a_summary_tab_of_the_users_own_is_kept_and_ours_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "may.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Posts"
    sheet.append(["caption", "accounts"])
    sheet.append(["Hello", seed.BYO_TIKTOK_ID])
    book.create_sheet("Summary").append(["Budget", 1000])
    book.save(path)
    campaign = load_campaign(path)
    write_results(campaign, outcomes_for(campaign), tmp_path / "may.results.xlsx")
    again = load_campaign(tmp_path / "may.results.xlsx")
    write_results(again, outcomes_for(again), tmp_path / "may.results.xlsx")

    out = openpyxl.load_workbook(tmp_path / "may.results.xlsx")
    assert out.sheetnames == ["Posts", "Summary", "Run summary"]
    assert list(out["Summary"].iter_rows(values_only=True)) == [("Budget", 1000)]
    assert next(out["Run summary"].iter_rows(values_only=True)) == ("item", "value")
    assert [c.value for c in out["Posts"][1]] == ["caption", "accounts", *RESULT_COLUMNS]


def test_a_failed_write_leaves_the_old_results_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = load_campaign(user_workbook(tmp_path / "may.xlsx"), sheet="Posts", reading=ALL_ROWS)
    target = tmp_path / "may.results.xlsx"
    target.write_bytes(b"previous results")
    real = xlsx_sheet_rewrite._Rewriter._row_end
    calls = []

    def failing(self: Any, position: int) -> None:
        calls.append(position)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        real(self, position)

    monkeypatch.setattr(xlsx_sheet_rewrite._Rewriter, "_row_end", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_results(campaign, outcomes_for(campaign), target)
    assert target.read_bytes() == b"previous results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["may.results.xlsx", "may.xlsx"]


def test_a_workbook_that_cannot_be_copied_still_gets_its_results(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = user_workbook(tmp_path / "may.xlsx")
    campaign = load_campaign(source, sheet="Posts", reading=ALL_ROWS)
    source.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # replaced meanwhile by an empty zip
    with caplog.at_level(logging.WARNING):
        write_results(campaign, outcomes_for(campaign), tmp_path / "out.xlsx")

    assert "could not be copied" in caplog.text
    rows = calamine_rows(tmp_path / "out.xlsx", "Posts")
    assert rows[0] == [*HEADER, *NEW_COLUMNS]
    assert [row[len(HEADER)] for row in rows[1:]] == ["created"] * len(DATA_ROWS)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_reads_the_results_workbook(tmp_path: Path) -> None:
    campaign = load_campaign(user_workbook(tmp_path / "may.xlsx"), sheet="Posts", reading=ALL_ROWS)
    write_results(campaign, outcomes_for(campaign), tmp_path / "out.xlsx")
    # The CSV filter's last option (-1) writes every tab to out-<tab>.csv (LibreOffice 7.2+).
    options = "44,34,76,1,,0,false,true,false,false,false,-1"
    done = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            f"csv:Text - txt - csv (StarCalc):{options}",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "out.xlsx"),
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with (tmp_path / "out-Posts.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [*HEADER, *NEW_COLUMNS]
    assert [row[len(HEADER)] for row in rows[1:] if any(row)] == ["created"] * len(DATA_ROWS)
    with (tmp_path / "out-Summary.csv").open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == ["item", "value"]


# --- a workbook as Excel writes it --------------------------------------------------------

EXCEL_NS = (
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
EXCEL_STYLES_NS = (
    EXCEL_NS + ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'mc:Ignorable="x14ac xr xr2 xr3" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
    'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
    'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2" '
    'xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3"'
)
EXCEL_SHEET_NS = EXCEL_STYLES_NS + ' xr:uid="{00000000-0001-0000-0000-000000000000}"'
MAIN_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'


def excel_style_workbook(path: Path) -> Path:
    """A workbook with Excel's own markup: shared strings, ``spans`` and ``x14ac`` on rows,
    ignorable namespaces, a table (ListObject) over the data, a formula and its calculation
    chain, and an extension list at the end of the sheet."""
    strings = ["caption", "accounts", "scheduled_at", "timezone", "First", "Second"]
    strings += [seed.BYO_TIKTOK_ID, "Europe/Paris"]
    shared = "".join(f"<si><t>{text}</t></si>" for text in strings)
    rows = (
        '<row r="1" spans="1:4" x14ac:dyDescent="0.25">'
        '<c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>'
    )
    for number, caption in ((2, 4), (3, 5)):
        rows += (
            f'<row r="{number}" spans="1:4" x14ac:dyDescent="0.25">'
            f'<c r="A{number}" t="s"><v>{caption}</v></c><c r="B{number}" t="s"><v>6</v></c>'
            f'<c r="C{number}" s="1"><f>DATE(2036,6,{number})+TIME(9,0,0)</f>'
            f"<v>{(datetime(2036, 6, number) - datetime(1899, 12, 30)).days}.375</v></c>"
            f'<c r="D{number}" t="s"><v>7</v></c></row>'
        )
    sheet = (
        f'{DECLARATION}<worksheet {EXCEL_SHEET_NS}><dimension ref="A1:D3"/>'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/>'
        '<cols><col min="1" max="1" width="30.7109375" customWidth="1"/></cols>'
        f"<sheetData>{rows}</sheetData>"
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        '<tableParts count="1"><tablePart r:id="rId1"/></tableParts>'
        '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        '<x14:dataValidations count="0" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"/>'
        "</ext></extLst></worksheet>"
    )
    table = (
        f'{DECLARATION}<table {MAIN_NS} id="1" name="Posts" displayName="Posts" '
        'ref="A1:D3" totalsRowShown="0"><autoFilter ref="A1:D3"/><tableColumns count="4">'
        '<tableColumn id="1" name="caption"/><tableColumn id="2" name="accounts"/>'
        '<tableColumn id="3" name="scheduled_at"/><tableColumn id="4" name="timezone"/>'
        '</tableColumns><tableStyleInfo name="TableStyleMedium2" showFirstColumn="0" '
        'showLastColumn="0" showRowStripes="1" showColumnStripes="0"/></table>'
    )
    styles = (
        f"{DECLARATION}<styleSheet {EXCEL_STYLES_NS}>"
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/></numFmts>'
        '<fonts count="1" x14ac:knownFonts="1"><font><sz val="11"/><color theme="1"/>'
        '<name val="Calibri"/><family val="2"/><scheme val="minor"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
        'xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/>'
        '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
        '</cellStyles><dxfs count="0"/><tableStyles count="0" '
        'defaultTableStyle="TableStyleMedium2" '
        'defaultPivotStyle="PivotStyleLight16"/></styleSheet>'
    )
    workbook = (
        f'{DECLARATION}<workbook {EXCEL_NS}><workbookPr defaultThemeVersion="166925"/>'
        '<bookViews><workbookView xWindow="0" yWindow="0" windowWidth="28800" '
        'windowHeight="12300"/></bookViews><sheets><sheet name="Posts" sheetId="1" r:id="rId1"/>'
        '</sheets><calcPr calcId="191029"/></workbook>'
    )
    overrides = {
        "/xl/workbook.xml": f"{SHEET_TYPE}.sheet.main+xml",
        "/xl/worksheets/sheet1.xml": f"{SHEET_TYPE}.worksheet+xml",
        "/xl/styles.xml": f"{SHEET_TYPE}.styles+xml",
        "/xl/sharedStrings.xml": f"{SHEET_TYPE}.sharedStrings+xml",
        "/xl/calcChain.xml": f"{SHEET_TYPE}.calcChain+xml",
        "/xl/tables/table1.xml": f"{SHEET_TYPE}.table+xml",
    }
    types = (
        f'{DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{k}" ContentType="{v}"/>' for k, v in overrides.items())
        + "</Types>"
    )

    def relationships(*items: tuple[str, str, str]) -> str:
        body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{g}"/>' for i, t, g in items)
        return (
            f"{DECLARATION}<Relationships "
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{body}</Relationships>"
        )

    parts = {
        "[Content_Types].xml": types,
        "_rels/.rels": relationships(("rId1", f"{RELS}/officeDocument", "xl/workbook.xml")),
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": relationships(
            ("rId1", f"{RELS}/worksheet", "worksheets/sheet1.xml"),
            ("rId2", f"{RELS}/styles", "styles.xml"),
            ("rId3", f"{RELS}/sharedStrings", "sharedStrings.xml"),
            ("rId4", f"{RELS}/calcChain", "calcChain.xml"),
        ),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/worksheets/_rels/sheet1.xml.rels": relationships(
            ("rId1", f"{RELS}/table", "../tables/table1.xml")
        ),
        "xl/tables/table1.xml": table,
        "xl/styles.xml": styles,
        "xl/sharedStrings.xml": (
            f'{DECLARATION}<sst {MAIN_NS} count="{len(strings) + 2}" '
            f'uniqueCount="{len(strings)}">{shared}</sst>'
        ),
        "xl/calcChain.xml": (
            f'{DECLARATION}<calcChain {MAIN_NS}><c r="C2" i="1"/><c r="C3"/></calcChain>'
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


@pytest.mark.filterwarnings("ignore:Data Validation extension")  # openpyxl's, on reading
def test_a_workbook_as_excel_writes_it_keeps_its_markup(tmp_path: Path) -> None:
    campaign = load_campaign(excel_style_workbook(tmp_path / "excel.xlsx"))
    assert campaign.rows[0].values["caption"] == "First"  # read as the loader reads it
    write_results(campaign, outcomes_for(campaign), tmp_path / "out.xlsx")

    assert_sound_package(tmp_path / "out.xlsx")
    with zipfile.ZipFile(tmp_path / "out.xlsx") as archive:
        names = archive.namelist()
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    # The ignorable prefixes stay declared where Excel looks for them.
    assert 'mc:Ignorable="x14ac xr xr2 xr3"' in sheet
    assert 'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"' in sheet
    assert f'<row r="1" spans="1:{4 + len(RESULT_COLUMNS)}" x14ac:dyDescent="0.25">' in sheet
    # The user's formula stays; the calculation chain goes (Excel rebuilds it).
    assert "<f>DATE(2036,6,2)+TIME(9,0,0)</f>" in sheet
    assert "xl/calcChain.xml" not in names and "calcChain" not in types + rels
    # The notes' drawing goes before the table parts and the extension list.
    assert sheet.index("<legacyDrawing") < sheet.index("<tableParts") < sheet.index("<extLst>")
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    posts = book["Posts"]
    assert posts.freeze_panes == "A2"
    assert posts.tables["Posts"].ref == "A1:D3"
    assert [c.value for c in posts[1]] == [
        "caption",
        "accounts",
        "scheduled_at",
        "timezone",
        *RESULT_COLUMNS,
    ]
    assert cells_by_header(posts, 2)["result"].value == "created"
    rows = calamine_rows(tmp_path / "out.xlsx", "Posts")
    assert rows[1][2] == datetime(2036, 6, 2, 9, 0)


def test_campaign_rows_the_sheet_has_no_row_for_get_one(tmp_path: Path) -> None:
    # A merge down column B gives rows 3 and 4 an accounts value (the loader fills it
    # down) though the sheet holds no cell there: row 3 has no <row> at all, row 4 an
    # empty one.
    path = tmp_path / "merged.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["caption", "accounts"])
    sheet.append(["one", seed.BYO_TIKTOK_ID])
    sheet["A5"], sheet["B5"] = "five", seed.BYO_TIKTOK_ID
    sheet.merge_cells("B2:B4")
    book.save(path)
    replace_part(
        path, "xl/worksheets/sheet1.xml", b'<row r="3"></row><row r="4"></row>', b'<row r="4"/>'
    )
    campaign = load_campaign(path)
    assert [row.row_number for row in campaign.rows] == [2, 3, 4, 5]
    write_results(campaign, outcomes_for(campaign), tmp_path / "out.xlsx")

    assert_sound_package(tmp_path / "out.xlsx")
    out = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    assert [cells_by_header(out, n)["post_id"].value for n in (2, 3, 4, 5)] == [
        "post-2",
        "post-3",
        "post-4",
        "post-5",
    ]
    assert "B2:B4" in {str(r) for r in out.merged_cells.ranges}


def test_a_workbook_swapped_for_a_hostile_one_is_not_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = user_workbook(tmp_path / "may.xlsx")
    campaign = load_campaign(source, sheet="Posts", reading=ALL_ROWS)
    shutil.copy(FIXTURES / "hostile" / "xxe_workbook.xlsx", source)
    with caplog.at_level(logging.WARNING):
        write_results(campaign, outcomes_for(campaign), tmp_path / "out.xlsx")

    assert "DTD" in caplog.text
    assert calamine_rows(tmp_path / "out.xlsx", "Posts")[0] == [*HEADER, *NEW_COLUMNS]


# --- the fast path of cell writing against the general one ---------------------------------

cell_values = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(
        min_value=datetime(1901, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    ),
)


@given(
    values=st.lists(st.tuples(cell_values, st.sampled_from([None, 3, "7"])), max_size=6),
    prefix=st.sampled_from(["", "x:"]),
    date1904=st.booleans(),
)
def test_writing_a_rows_cells_at_once_is_writing_each(
    values: list[tuple[Any, Any]], prefix: str, date1904: bool
) -> None:
    renderer = CellRenderer(date1904)
    updates = {column * 2: value for column, value in enumerate(values)}
    expected = "".join(
        renderer.cell(prefix, f"{openpyxl.utils.get_column_letter(column + 1)}42", *update)
        for column, update in updates.items()
    )
    assert renderer.cells(prefix, 42, updates, updates) == expected


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'<row r="3">', b'<row r="1">'),  # rows out of order
        (b'<c r="B2"', b'<c r="A2"'),  # two cells at A2
        (b'<c r="B2"', b'<c r="B-2"'),  # not a cell reference
    ],
)
def test_a_sheet_excel_would_repair_gets_a_new_workbook(
    tmp_path: Path, old: bytes, new: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "odd.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["caption", "accounts"])
    sheet.append(["one", seed.BYO_TIKTOK_ID])
    sheet.append(["two", seed.BYO_TIKTOK_ID])
    book.save(path)
    campaign = load_campaign(path)
    replace_part(path, "xl/worksheets/sheet1.xml", old, new)
    with caplog.at_level(logging.WARNING):
        write_results(campaign, outcomes_for(campaign), tmp_path / "out.xlsx")

    assert "could not be copied" in caplog.text
    rows = calamine_rows(tmp_path / "out.xlsx", "Sheet")
    assert [row[3] for row in rows] == ["result", "created", "created"]


def test_a_sheet_with_notes_of_its_own_keeps_them_and_gets_ours(tmp_path: Path) -> None:
    # The campaign template has a note on every header.
    template = tmp_path / "template.xlsx"
    assert invoke("template", template).exit_code == 0
    campaign = load_campaign(template)
    write_results(campaign, outcomes_for(campaign), tmp_path / "out.xlsx")

    assert_sound_package(tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["Campaign"]
    before = openpyxl.load_workbook(template)["Campaign"]
    notes = {cell.value: cell.comment.text for cell in sheet[1] if cell.comment is not None}
    for cell in before[1]:
        assert notes[cell.value] == cell.comment.text  # the template's own, unchanged
    for name in NEW_COLUMNS:
        assert notes[name] == RESULT_COLUMN_NOTES[name]
    with zipfile.ZipFile(tmp_path / "out.xlsx") as archive:
        drawing = next(n for n in archive.namelist() if n.endswith(".vml"))
        shapes = re.findall(rb'id="_x0000_s(\d+)"', archive.read(drawing))
    assert len(shapes) == len(set(shapes)) == len(list(before[1])) + len(NEW_COLUMNS)
