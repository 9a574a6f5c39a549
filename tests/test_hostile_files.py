"""Broken and hostile campaign files: one clear line, exit 2, nothing written, nothing sent.

Each unusable file is driven through the command line (``validate --offline`` and
``run --yes`` against a running sandbox) and must give exactly one line on stderr
that names the file and the problem, exit 2, no traceback, no request, and leave
the folder as it was: no results sheet, no journal (``.bulk_scheduler/``).

Small files are committed in ``tests/fixtures/hostile/`` (made by
``make_hostile_fixtures.py``); large ones are made here, in ``tmp_path``.
The limits themselves are documented in ``bulk_scheduler/sheet/file_guard.py``.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import sys
import types
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from defusedxml import DefusedXmlException

from bulk_scheduler.cli.commands import cli
from bulk_scheduler.errors import CampaignFileError
from bulk_scheduler.sandbox.server import SandboxServer
from bulk_scheduler.sheet import xlsx_reader
from bulk_scheduler.sheet.csv_reader import read_csv
from bulk_scheduler.sheet.file_guard import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_SHEET_CELLS,
    ArchiveLimits,
    SheetExtentScan,
    check_workbook_archive,
    exact_sheet_extent,
    tag_aligned_chunks,
)
from bulk_scheduler.sheet.loader import load_campaign
from bulk_scheduler.sheet.xlsx_reader import read_xlsx
from tests.conftest import ROOT
from tests.fixtures.hostile.make_hostile_fixtures import (
    MAIN,
    PLAIN_STRINGS,
    SHARED_ROWS,
    minimal_workbook,
    shared_strings,
    sheet_xml,
)

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
ACCOUNT = "0f4f54d4-8cce-4fb7-8c7b-befbcb8af812"
COMMANDS = {"validate": ["validate", "--offline"], "run": ["run", "--yes"]}


# --- helpers ----------------------------------------------------------------------------------


def committed(name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        return Path(shutil.copy(HOSTILE / name, folder / name))

    make.__name__ = name
    return make


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_refused(result: Result, campaign: Path, *problem: str) -> None:
    """Exit 2, one line on stderr naming the file and the problem, and no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Error: {campaign}: "), lines[0]
    for words in problem:
        assert words in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""


def assert_nothing_written(folder: Path, campaign: Path) -> None:
    assert sorted(p.name for p in folder.iterdir()) == [campaign.name]


def replace_part(source: bytes, part: str, data: bytes) -> bytes:
    """A copy of the workbook ``source`` with ``part`` replaced by ``data``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as old,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for info in old.infolist():
            new.writestr(info.filename, data if info.filename == part else old.read(info))
    return out.getvalue()


def declare_size(workbook: bytes, part: str, size: int) -> bytes:
    """Rewrite the uncompressed size ``part`` declares (local header and central directory)."""
    data = bytearray(workbook)
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        offset = archive.getinfo(part).header_offset
    struct.pack_into("<I", data, offset + 22, size)
    name = part.encode()
    position = data.find(b"PK\x01\x02")
    while position >= 0:
        length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + length] == name:
            struct.pack_into("<I", data, position + 24, size)
        position = data.find(b"PK\x01\x02", position + 4)
    return bytes(data)


def shared_strings_bomb(folder: Path) -> Path:
    """sharedStrings.xml declaring 3 GB: a bomb refused from the zip directory alone."""
    path = folder / "declared_bomb.xlsx"
    path.write_bytes(declare_size(minimal_workbook(), "xl/sharedStrings.xml", 3 * 1024**3))
    return path


def ratio_bomb(folder: Path) -> Path:
    """A real bomb: 64 MB of shared string that deflates about 1000:1."""
    path = folder / "ratio_bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"):
            with zipfile.ZipFile(HOSTILE / "minimal.xlsx") as plain:
                archive.writestr(name, plain.read(name))
        with archive.open("xl/sharedStrings.xml", "w") as part:
            part.write(b'<sst xmlns="x"><si><t>')
            block = b"a" * (1 << 20)
            for _ in range(64):
                part.write(block)
            part.write(b"</t></si></sst>")
    return path


def huge_cell_csv(folder: Path) -> Path:
    path = folder / "huge_cell.csv"
    path.write_text(f"caption,accounts\n{'x' * 10_000_000},{ACCOUNT}\n", encoding="utf-8")
    return path


def huge_cell_xlsx(folder: Path) -> Path:
    # Written part by part: openpyxl would cut the text at Excel's 32,767 characters.
    path = folder / "huge_cell.xlsx"
    strings = [*PLAIN_STRINGS[:2], "x" * 10_000_000, ACCOUNT]
    path.write_bytes(minimal_workbook(strings=shared_strings(strings)))
    return path


def wide_csv(folder: Path) -> Path:
    path = folder / "wide.csv"
    junk = ",".join(f"junk{i}" for i in range(100_000))
    path.write_text(f"caption,accounts,{junk}\nHello,{ACCOUNT}\n", encoding="utf-8")
    return path


def over_size_limit(folder: Path) -> Path:
    """A sparse file 1 MB over the 200 MB default: no disk is used, and none of it is read."""
    path = folder / "too_big.csv"
    with path.open("wb") as handle:
        handle.write(f"caption,accounts\nHello,{ACCOUNT}\n".encode())
        handle.truncate(MAX_FILE_BYTES + 1024 * 1024)
    return path


# Each: how to make it, and words its one line must contain.
REFUSED: dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]] = {
    "empty csv": (committed("empty.csv"), ("empty",)),
    "empty xlsx": (committed("empty.xlsx"), ("not an Excel workbook",)),
    "binary junk named .csv": (committed("binary_junk.csv"), ("not UTF-8",)),
    "binary junk named .xlsx": (committed("binary_junk.xlsx"), ("not an Excel workbook",)),
    "zip that is no workbook": (committed("zip_not_workbook.xlsx"), ("Excel workbook",)),
    "truncated xlsx": (committed("truncated.xlsx"), ("not an Excel workbook",)),
    # A text file named .xlsx, and a Latin-1 CSV, are read (tests/test_planner_sheets.py).
    "nul bytes": (committed("nul_bytes.csv"), ("NUL",)),
    "billion laughs": (committed("billion_laughs.xlsx"), ("entit",)),
    "xxe in shared strings": (committed("xxe_shared_strings.xlsx"), ("entit",)),
    "xxe in workbook": (committed("xxe_workbook.xlsx"), ("entit",)),
    "xxe in sheet": (committed("xxe_sheet.xlsx"), ("DTD",)),
    "declared 3 GB shared strings": (shared_strings_bomb, ("3,072 MB", "not opened")),
    "1000:1 shared strings": (ratio_bomb, ("zip bomb", "xl/sharedStrings.xml")),
    "10 MB cell csv": (huge_cell_csv, ("row 2", "131,072")),
    "10 MB cell xlsx": (huge_cell_xlsx, ("A2", "10,000,000 characters")),
    "100,000 columns": (wide_csv, ("100,002 columns",)),
    "over 200 MB": (over_size_limit, ("201 MB", "200 MB limit")),
}


# --- through the command line -----------------------------------------------------------------


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[SandboxServer]:
    """One sandbox for the many refusals: none of them may send it anything."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def shared_api_env(
    module_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SandboxServer]:
    monkeypatch.setenv("GENVIRAL_API_KEY", module_sandbox.api_key)
    monkeypatch.setenv("GENVIRAL_BASE_URL", module_sandbox.base_url)
    before = module_sandbox.stats()["requests_total"]
    yield module_sandbox
    assert module_sandbox.stats()["requests_total"] == before, "a refused file sent requests"


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(REFUSED))
def test_an_unusable_file_gets_one_line_exit_2_and_nothing_written(
    case: str, command: str, tmp_path: Path, shared_api_env: SandboxServer
) -> None:
    make, problem = REFUSED[case]
    campaign = make(tmp_path)
    result = invoke(*COMMANDS[command], campaign)
    assert_refused(result, campaign, *problem)
    assert_nothing_written(tmp_path, campaign)


def test_the_installed_command_refuses_a_far_away_value_without_crashing(tmp_path: Path) -> None:
    # Run in a child process: were the guard to fail, calamine would abort the process
    # (a Rust allocation failure), which must fail this test, not kill the test run.
    campaign = committed("far_away_value.xlsx")(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "bulk_scheduler", "validate", "--offline", str(campaign)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "XFD1048576" in done.stderr
    assert_nothing_written(tmp_path, campaign)


FAR = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
# Ways to write a far-away value that a lenient XML reader still reads as one.
FAR_AWAY_SPELLINGS = {
    "plain": FAR,
    "inline text, even empty": FAR.replace("<v>1</v>", "<is><t></t></is>"),
    "attributes reordered": FAR.replace('<c r="XFD1048576">', '<c t="n" r="XFD1048576">'),
    "spaces around =": FAR.replace('r="XFD', 'r = "XFD'),
    "a tab before r": FAR.replace('<c r="', '<c\tr="'),
    "single quotes": FAR.replace('r="XFD1048576"', "r='XFD1048576'"),
    "lower case": FAR.replace("XFD", "xfd"),
    "leading zeros": FAR.replace("XFD1048576", "XFD0001048576"),
    "prefixed tags": (
        f'<row r="1048576"><x:c xmlns:x="{MAIN}" r="XFD1048576"><x:v>1</x:v></x:c></row>'
    ),
    "no references, counted": '<row r="1048576">' + "<c><v>1</v></c>" * 16_384 + "</row>",
    "a row without r follows the one before": (
        '<row r="1048575"/><row>' + "<c><v>1</v></c>" * 16_384 + "</row>"
    ),
    "beyond Excel's columns": '<row r="2"><c r="ZZZZ2"><v>1</v></c></row>',
    "beyond Excel's rows": '<row r="3000000"><c r="B3000000"><v>1</v></c></row>',
}
NOT_FAR = {
    "formatted, self-closing": '<row r="1048576"><c r="XFD1048576" s="1"/></row>',
    "formatted, empty element": '<row r="1048576"><c r="XFD1048576" s="1"></c></row>',
    "empty value": '<row r="1048576"><c r="XFD1048576"><v></v></c></row>',
    "tag-like text in CDATA": (
        '<row r="3"><c r="A3" t="inlineStr"><is><t><![CDATA[<c r="XFD1"><v>1</v></c>]]>'
        "</t></is></c></row>"
    ),
}


def extent(rows: str) -> tuple[int, int]:
    data = sheet_xml(SHARED_ROWS + rows).encode()
    scan = SheetExtentScan()
    for chunk in tag_aligned_chunks(io.BytesIO(data), size=64):
        scan.feed(chunk)
    if not scan.needs_exact:
        return (99_999, 26)  # within the quick bound
    return exact_sheet_extent(tag_aligned_chunks(io.BytesIO(data), size=64))


@pytest.mark.parametrize("spelling", list(FAR_AWAY_SPELLINGS))
def test_every_spelling_of_a_far_away_value_is_measured(spelling: str) -> None:
    rows, columns = extent(FAR_AWAY_SPELLINGS[spelling])
    assert rows * columns > MAX_SHEET_CELLS or rows > 1_048_576 or columns > MAX_COLUMNS


@pytest.mark.parametrize("case", list(NOT_FAR))
def test_formatted_or_empty_far_cells_do_not_count(case: str) -> None:
    rows, columns = extent(NOT_FAR[case])
    assert rows * columns <= MAX_SHEET_CELLS


def test_a_plain_sheet_needs_only_the_quick_scan() -> None:
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="s"><v>2</v></c><c r="Z{n}"><v>{n}</v></c></row>'
        for n in range(3, 5_000)
    )
    scan = SheetExtentScan()
    for chunk in tag_aligned_chunks(io.BytesIO(sheet_xml(SHARED_ROWS + rows).encode()), 4096):
        scan.feed(chunk)
    assert not scan.needs_exact


def test_the_command_refuses_every_far_away_spelling_without_crashing(tmp_path: Path) -> None:
    # A child process: were a guard to miss one, calamine would abort the process (a Rust
    # allocation failure), which must fail this test, not kill the test run.
    paths = []
    for index, rows in enumerate(FAR_AWAY_SPELLINGS.values()):
        path = tmp_path / f"far_{index}.xlsx"
        path.write_bytes(minimal_workbook(sheet=sheet_xml(SHARED_ROWS + rows)))
        paths.append(str(path))
    script = (
        "import sys\n"
        "from bulk_scheduler.errors import CampaignFileError\n"
        "from bulk_scheduler.sheet.loader import load_campaign\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        load_campaign(path)\n"
        "        print('LOADED', path)\n"
        "    except CampaignFileError as exc:\n"
        "        print('REFUSED', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *paths],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == len(paths) and all(line.startswith("REFUSED") for line in lines), lines


def test_a_header_only_campaign_fails_validation_as_run_refuses_it(tmp_path: Path) -> None:
    campaign = committed("header_only.csv")(tmp_path)
    result = invoke("validate", "--offline", campaign)
    assert result.exit_code == 1, result.output
    assert "0 rows checked" in result.stdout and "no-data-rows" in result.stdout
    assert_nothing_written(tmp_path, campaign)


def test_running_a_header_only_campaign_has_nothing_to_send(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    campaign = committed("header_only.csv")(tmp_path)
    result = invoke("run", "--yes", campaign)
    assert_refused(result, campaign, "no data rows", "nothing to send")
    assert_nothing_written(tmp_path, campaign)
    assert api_env.stats()["requests_total"] == 0


# --- zip bombs: refused from the directory, before anything is inflated -----------------------


def test_a_zip_bomb_is_refused_before_calamine_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_open(*_: object, **__: object) -> None:
        raise AssertionError("calamine opened a zip bomb")

    real = xlsx_reader.python_calamine
    stub = types.SimpleNamespace(
        CalamineWorkbook=types.SimpleNamespace(from_path=must_not_open),
        PasswordError=real.PasswordError,
        ZipError=real.ZipError,
        CalamineError=real.CalamineError,
    )
    monkeypatch.setattr(xlsx_reader, "python_calamine", stub)
    path = shared_strings_bomb(tmp_path)
    with pytest.raises(CampaignFileError, match="3,072 MB"):
        load_campaign(path)


def test_archive_limits_are_checked_member_by_member_and_in_total(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    path.write_bytes(minimal_workbook())
    check_workbook_archive(path, "plain.xlsx")  # a normal workbook passes
    with pytest.raises(CampaignFileError, match="over the 1 KB limit"):
        check_workbook_archive(path, "plain.xlsx", ArchiveLimits(max_total_bytes=1024))
    with pytest.raises(CampaignFileError, match="parts, more than 3"):
        check_workbook_archive(path, "plain.xlsx", ArchiveLimits(max_members=3))
    with pytest.raises(CampaignFileError, match="zip bomb"):
        check_workbook_archive(
            path, "plain.xlsx", ArchiveLimits(max_ratio=1.0, ratio_floor_bytes=100)
        )


def test_a_part_larger_than_it_declares_is_refused_not_inflated(tmp_path: Path) -> None:
    # A lying directory cannot get past the declared size: the zip reader stops there.
    path = tmp_path / "liar.xlsx"
    strings = [*PLAIN_STRINGS[:2], "y" * 100_000, ACCOUNT]
    path.write_bytes(
        declare_size(minimal_workbook(strings=shared_strings(strings)), "xl/sharedStrings.xml", 400)
    )
    with pytest.raises(CampaignFileError, match="declared"):
        load_campaign(path)


# --- entities: never expanded, never fetched --------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["billion_laughs.xlsx", "xxe_shared_strings.xlsx", "xxe_workbook.xlsx", "xxe_sheet.xlsx"],
)
def test_entities_are_neither_expanded_nor_fetched(name: str) -> None:
    with pytest.raises(CampaignFileError) as refused:
        load_campaign(HOSTILE / name)
    message = str(refused.value)
    assert "lollol" not in message and "root:" not in message
    assert len(message) < 300


def test_openpyxl_reads_workbooks_through_defusedxml() -> None:
    # The project never reads a campaign with openpyxl, but tests and users' scripts do.
    from openpyxl import load_workbook
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML
    with pytest.raises(ValueError) as refused:
        load_workbook(HOSTILE / "xxe_shared_strings.xlsx")
    assert isinstance(refused.value.__cause__, DefusedXmlException)


# --- far-away cells and blank rows: loaded without building the grid --------------------------


def test_a_far_away_formatted_cell_does_not_grow_the_grid() -> None:
    table = read_xlsx(HOSTILE / "far_away_formatted.xlsx", "far_away_formatted.xlsx")
    assert len(table.rows) == 2 and all(len(row) == 2 for row in table.rows)
    campaign = load_campaign(HOSTILE / "far_away_formatted.xlsx")
    assert [row.row_number for row in campaign.rows] == [2]


def far_rows(count: int) -> bytes:
    """``count`` formatted but empty rows, then one post in the row after them."""
    return b"".join(
        [
            SHARED_ROWS.encode(),
            b"".join(
                b'<row r="%d" s="1" customFormat="1"><c r="A%d" s="1"/></row>' % (n, n)
                for n in range(3, count + 3)
            ),
            b'<row r="%d"><c r="A%d" t="s"><v>2</v></c><c r="B%d" t="s"><v>3</v></c></row>'
            % ((count + 3,) * 3),
        ]
    )


@pytest.mark.timeout(120)
def test_a_million_formatted_blank_rows_in_a_workbook_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "million.xlsx"
    rows = far_rows(1_000_000).decode()
    path.write_bytes(
        replace_part(minimal_workbook(), "xl/worksheets/sheet1.xml", sheet_xml(rows).encode())
    )
    campaign = load_campaign(path)
    assert [row.row_number for row in campaign.rows] == [2, 1_000_003]


@pytest.mark.timeout(120)
def test_a_million_line_csv_of_commas_loads_its_two_posts(tmp_path: Path) -> None:
    path = tmp_path / "commas.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(f"caption,accounts,scheduled_at\nFirst,{ACCOUNT},\n")
        handle.write(",,\n" * 1_000_000)
        handle.write(f"Last,{ACCOUNT},\n")
    campaign = load_campaign(path)
    assert [row.row_number for row in campaign.rows] == [2, 1_000_003]


def test_blank_csv_rows_share_one_empty_row_instead_of_a_list_each(tmp_path: Path) -> None:
    path = tmp_path / "blanks.csv"
    path.write_text("caption,accounts\n" + ",\n" * 1000 + "x,y\n", encoding="utf-8")
    rows = read_csv(path, path.name).rows
    assert len(rows) == 1002
    assert len({id(row) for row in rows[1:-1]}) == 1 and rows[1] == []


def test_a_wide_header_over_many_rows_is_refused_before_padding_them(tmp_path: Path) -> None:
    # 16,384 headers over 2,000 one-cell rows would pad to 33 million cells.
    path = tmp_path / "wide_and_long.csv"
    headers = ",".join(["caption", "accounts", *(f"h{i}" for i in range(MAX_COLUMNS - 2))])
    path.write_text(headers + "\n" + "x\n" * 2_000, encoding="utf-8")
    with pytest.raises(CampaignFileError, match="30,000,000 cells"):
        load_campaign(path)


def test_many_blank_headers_are_checked_in_one_pass(tmp_path: Path) -> None:
    path = tmp_path / "blank_headers.csv"
    header = "caption,accounts" + "," * 2_000 + "last"
    path.write_text(header + "\n" + "x,y\n" * 5_000 + "x,y" + ",z" * 3 + "\n", encoding="utf-8")
    campaign = load_campaign(path)
    blank = [issue.cell for issue in campaign.issues if issue.code == "blank-header"]
    assert blank == ["C1", "D1", "E1"]


# --- sizes and special files ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["header_only.csv", "minimal.xlsx"])
def test_max_bytes_is_a_parameter_of_the_loader(name: str) -> None:
    path = HOSTILE / name
    size = path.stat().st_size
    assert load_campaign(path, max_bytes=size) is not None
    with pytest.raises(CampaignFileError, match="limit for a campaign file"):
        load_campaign(path, max_bytes=size - 1)


def test_max_bytes_none_means_no_limit() -> None:
    assert load_campaign(HOSTILE / "header_only.csv", max_bytes=None).rows == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_named_csv_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    with pytest.raises(CampaignFileError, match="not a regular file"):
        load_campaign(path)


def test_a_long_but_legal_cell_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(f"caption,accounts\n{'x' * MAX_CELL_CHARS},{ACCOUNT}\n", encoding="utf-8")
    assert len(load_campaign(path).rows[0].values["caption"]) == MAX_CELL_CHARS  # type: ignore[arg-type]


def test_an_unclosed_quote_is_told_apart_from_a_long_cell(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text(f'caption,accounts\n"opens,{ACCOUNT}\n' + "more text\n" * 20_000)
    with pytest.raises(CampaignFileError, match="never closes"):
        load_campaign(path)
