"""`bulk-scheduler validate`, `accounts` and `template` through the command line."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bulk_scheduler.cli.commands import cli
from bulk_scheduler.issues import ISSUE_CODES, Stage, codes_of
from bulk_scheduler.sandbox import seed
from bulk_scheduler.sandbox.server import SandboxServer
from tests.conftest import ROOT, SAMPLES
from tests.official_schema import assert_bodies_pass
from tests.rows import write_csv

EVERY_MISTAKE = SAMPLES / "every_mistake.xlsx"
# The column each rule points at in every_mistake.xlsx (None: the whole row).
COLUMN_OF = {
    "external_id": "A",
    "caption": "B",
    "media_type": "C",
    "media_urls": "D",
    "music_url": "E",
    "accounts": "F",
    "scheduled_at": "G",
    "timezone": "H",
    "example": "J",  # after the notes column (I)
    "tiktok.privacy_level": "K",
    "tiktok.post_mode": "L",
    "tiktok.title": "M",
    "tiktok.disable_comment": "N",
    "tiktok.video_cover_timestamp_ms": "O",
    "pinterest.board_id": "P",
    "pinterest.title": "Q",
    "pinterest.link": "R",
    "pinterest.tags": "S",
}
# Rules a committed file cannot trigger against the sandbox, each tested on its own below
# or in tests/test_validator.py: "too soon" depends on the moment of the run, the sandbox
# lists only active accounts, and Excel gives a date-time at 00:00 as a plain date.
# A day/month conflict would settle the order of the whole column (so its ambiguous row
# would no longer be), and the zone abbreviations came later: both are tested in
# tests/test_validator.py and tests/test_planner_values.py.
NOT_IN_EVERY_MISTAKE = {
    "scheduled-at-too-soon",
    "account-inactive",
    "scheduled-at-midnight",
    "scheduled-at-order-conflict",
    "scheduled-at-zone-ambiguous",
}
ONLY_OFFLINE = {"account-unresolved-offline"}


def invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def every_mistake_rows() -> list[tuple[int, str]]:
    sheet = load_workbook(EVERY_MISTAKE).worksheets[0]
    notes = [cell.value for cell in sheet["I"]][1:]
    return [(index + 2, code) for index, code in enumerate(notes) if code in ISSUE_CODES]


@pytest.fixture(scope="module")
def every_mistake_online() -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["validate", str(EVERY_MISTAKE), "--sandbox", "--json"])
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def every_mistake_offline() -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["validate", str(EVERY_MISTAKE), "--offline", "--json"])
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)


def test_every_mistake_reports_every_rule(
    every_mistake_online: dict[str, Any], every_mistake_offline: dict[str, Any]
) -> None:
    online = {issue["code"] for issue in every_mistake_online["issues"]}
    offline = {issue["code"] for issue in every_mistake_offline["issues"]}
    assert set(codes_of(Stage.CHECKS)) - NOT_IN_EVERY_MISTAKE - ONLY_OFFLINE <= online
    assert offline >= ONLY_OFFLINE


@pytest.mark.parametrize(("row", "code"), every_mistake_rows(), ids=lambda v: str(v))
def test_each_rule_points_at_its_row_and_cell(
    row: int, code: str, every_mistake_online: dict[str, Any], every_mistake_offline: dict
) -> None:
    report = every_mistake_offline if code in ONLY_OFFLINE else every_mistake_online
    found = [i for i in report["issues"] if i["row"] == row and i["code"] == code]
    assert found, f"row {row} should report {code}"
    issue = found[0]
    # media-missing can be either; online, accounts that do not list text_only make it an
    # error, as the API refuses the post.
    assert issue["severity"] == (ISSUE_CODES[code].severity or "error")
    column = issue["column"]
    if column is None:
        assert code == "duplicate-row"
    else:
        assert issue["cell"] == f"{COLUMN_OF[column]}{row}"
    assert issue["message"]


def test_every_reported_code_is_registered_with_its_severity(
    every_mistake_online: dict[str, Any], every_mistake_offline: dict[str, Any]
) -> None:
    for report in (every_mistake_online, every_mistake_offline):
        for issue in report["issues"]:
            assert issue["severity"] in ISSUE_CODES[issue["code"]].severities, issue


def test_a_time_less_than_two_minutes_ahead_is_too_soon(tmp_path: Path) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=75)).strftime("%Y-%m-%dT%H:%M:%SZ")
    campaign = write_csv(
        tmp_path / "c.csv",
        [["Soon", "https://cdn.genviral.com/a.mp4", seed.BYO_TIKTOK_ID, soon]],
        header=["caption", "media_urls", "accounts", "scheduled_at"],
    )
    result = invoke("validate", campaign, "--offline", "--json")
    assert result.exit_code == 1
    issues = json.loads(result.stdout)["issues"]
    assert [(i["code"], i["cell"]) for i in issues] == [("scheduled-at-too-soon", "D2")]


def test_a_clean_campaign_exits_0(tmp_path: Path) -> None:
    result = invoke("validate", SAMPLES / "video_campaign.csv", "--sandbox")
    assert result.exit_code == 0, result.output
    assert "4 ready" in result.output


def test_the_report_is_grouped_by_code_with_totals() -> None:
    result = invoke("validate", EVERY_MISTAKE, "--offline")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "errors (39):",
        "  caption-missing: row 2 (B2): caption is blank; write the text of the post",
    ]
    assert "  scheduled-at-no-time: 2 rows (25, 29)" in lines
    # Warnings are folded behind the errors, with how to see them.
    assert lines[-2].startswith("7 warning(s) folded: account-unresolved-offline (2), ")
    assert "--all shows them" in lines[-2]
    assert lines[-1] == (
        "every_mistake.xlsx (sheet Mistakes): 59 rows checked (offline), 18 ready, "
        "2 to check online, 39 with errors; 39 error(s), 7 warning(s)"
    )
    shown = invoke("validate", EVERY_MISTAKE, "--offline", "--all").stdout.splitlines()
    assert "warnings (7):" in shown
    assert "  unknown-column: row 1 (I1): unknown column 'notes' is ignored" in shown
    errors_only = invoke("validate", EVERY_MISTAKE, "--offline", "--errors-only").stdout
    assert "warning" not in errors_only.splitlines()[-2]
    assert "unknown-column" not in errors_only


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_report_files(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"report{suffix}"
    result = invoke("validate", EVERY_MISTAKE, "--offline", "--report", target)
    assert result.exit_code == 1
    if suffix == ".json":
        codes = {i["code"] for i in json.loads(target.read_text())["issues"]}
    elif suffix == ".csv":
        with target.open(encoding="utf-8-sig") as handle:
            codes = {row["code"] for row in csv.DictReader(handle)}
    else:
        sheet = load_workbook(target).worksheets[0]
        codes = {row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"caption-missing", "duplicate-row", "unknown-column"} <= codes


def test_payloads_are_the_bodies_run_would_send(tmp_path: Path, official_schema: Any) -> None:
    target = tmp_path / "bodies.jsonl"
    result = invoke("validate", SAMPLES / "mixed_campaign.csv", "--sandbox", "--payloads", target)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["row"] for line in lines] == [2, 3, 4, 5]
    assert lines[0]["external_id"] == "mixed-nyc-1"
    assert lines[0]["body"]["scheduled_at"] == "2036-05-04T12:00:00Z"  # 08:00 in New York
    assert_bodies_pass(official_schema, [line["body"] for line in lines])


def test_every_mistake_payloads_pass_the_official_schema(
    tmp_path: Path, official_schema: Any
) -> None:
    target = tmp_path / "bodies.jsonl"
    invoke("validate", EVERY_MISTAKE, "--sandbox", "--payloads", target)
    bodies = [json.loads(line)["body"] for line in target.read_text().splitlines()]
    assert bodies
    assert_bodies_pass(official_schema, bodies)


def test_without_a_key_validate_runs_offline_and_says_so(tmp_path: Path) -> None:
    result = invoke("validate", SAMPLES / "video_campaign.csv")
    assert "offline" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "missing.csv"], "missing.csv: file not found"),
        (["validate", "x.pdf"], "unsupported file type"),
        (
            ["validate", str(SAMPLES / "video_campaign.csv"), "--timezone", "Mars/Base"],
            "--timezone",
        ),
        (["validate", str(SAMPLES / "video_campaign.csv"), "--report", "r.txt"], "--report"),
        (["validate", str(SAMPLES / "video_campaign.csv"), "--offline", "--sandbox"], "just one"),
        (["validate", str(SAMPLES / "slideshow_campaign.xlsx"), "--sheet", "Nope"], "Nope"),
        (["accounts", "--base-url", "http://api.example.com/v1"], "plain http"),
        (["run", str(SAMPLES / "video_campaign.csv"), "--yes"], "GENVIRAL_API_KEY"),
    ],
)
def test_bad_invocations_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_accounts_lists_the_workspace(api_env: SandboxServer) -> None:
    table = invoke("accounts")
    assert table.exit_code == 0
    assert "@genviral_hosted" in table.output and "500" in table.output
    assert seed.INACTIVE_TIKTOK_ID not in table.output
    listed = json.loads(invoke("accounts", "--json").stdout)
    assert seed.HOSTED_TIKTOK_ID in {a["id"] for a in listed}


def test_accounts_with_a_bad_key_exits_3(sandbox: SandboxServer, monkeypatch) -> None:
    monkeypatch.setenv("GENVIRAL_API_KEY", "gva_live_bad.bad")
    monkeypatch.setenv("GENVIRAL_BASE_URL", sandbox.base_url)
    result = invoke("accounts")
    assert result.exit_code == 3
    assert "401" in result.output


@pytest.mark.parametrize("name", ["campaign_template.xlsx", "campaign_template.csv"])
def test_template_command_writes_the_committed_template(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    result = invoke("template", target)
    assert result.exit_code == 0, result.output
    if name.endswith(".csv"):
        assert target.read_bytes() == (ROOT / "templates" / name).read_bytes()
        # The examples are marked, so never sent (tests/test_template.py): unmarked, they
        # are ready against the sandbox's seeded accounts.
        text = target.read_text(encoding="utf-8-sig").replace(",yes\n", ",\n")
        target.write_text(text, encoding="utf-8-sig")
        checked = invoke("validate", target, "--sandbox")
    else:  # the first tab is blank; the examples are on their own tab
        checked = invoke("validate", target, "--sandbox", "--sheet", "Examples")
    assert checked.exit_code == 0, checked.output
    assert "3 ready" in checked.output
    again = invoke("template", target)
    assert again.exit_code == 2 and "--force" in again.output
