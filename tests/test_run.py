"""`bulk-scheduler run` end to end, against the sandbox served on loopback."""

from __future__ import annotations

import asyncio
import csv
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bulk_scheduler.api.client import ApiKey, PartnerClient
from bulk_scheduler.cli.commands import cli
from bulk_scheduler.sandbox import seed
from bulk_scheduler.sandbox.server import SandboxServer
from bulk_scheduler.sheet.columns import RESULT_COLUMNS
from tests.conftest import SAMPLES
from tests.rows import RUN_HEADER, write_csv


def invoke(*args: str | Path) -> Any:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result


def read_results(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    book = load_workbook(path)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def generated_rows(count: int, prefix: str = "row") -> list[list[str]]:
    accounts = f"{seed.BYO_TIKTOK_ID}, {seed.BYO_INSTAGRAM_ID}"
    return [
        [
            f"{prefix}-{i:04d}",
            f"Post number {i} 🎉",
            "video",
            f"https://cdn.genviral.com/clips/{i}.mp4",
            accounts,
            f"2036-06-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
        ]
        for i in range(count)
    ]


def sandbox_post(server: SandboxServer, post_id: str):
    async def go():
        async with PartnerClient(ApiKey(server.api_key), server.base_url) as client:
            return await client.get_post(post_id)

    return asyncio.run(go())


def copy_sample(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copy(SAMPLES / name, target)
    return target


@pytest.mark.parametrize(
    "name", ["video_campaign.csv", "slideshow_campaign.xlsx", "mixed_campaign.csv"]
)
def test_each_sample_campaign_is_created_as_the_sandbox_stored_it(
    name: str, tmp_path: Path, api_env: SandboxServer
) -> None:
    campaign = copy_sample(name, tmp_path)
    result = invoke("run", campaign, "--yes")
    assert result.exit_code == 0, result.output
    rows = read_results(campaign.with_name(campaign.stem + ".results" + campaign.suffix))
    assert rows and all(row["result"] == "created" for row in rows)
    stats = api_env.stats()
    assert stats["posts_total"] == len(rows)
    for row in rows:
        post = sandbox_post(api_env, str(row["post_id"]))
        assert post.external_id == row["external_id"]
        assert row["post_status"] == post.status == "scheduled"
        assert row["scheduled_at_utc"] == post.scheduled_at
        assert int(row["attempts"]) == 1 and int(row["http_status"]) == 201


def test_faults_end_with_exactly_one_post_per_row(tmp_path: Path, api_env: SandboxServer) -> None:
    api_env.set_faults(
        error_rate=0.2,
        drop_rate=0.1,
        rate_limit=600,
        latency_ms=20,
        latency_jitter_ms=10,
        seed=11,
    )
    campaign = write_csv(tmp_path / "faults.csv", generated_rows(60))
    result = invoke("run", campaign, "--yes", "--concurrency", "8", "--max-attempts", "10")
    rows = read_results(tmp_path / "faults.results.csv")
    assert result.exit_code == 0, result.output
    assert {row["result"] for row in rows} <= {"created", "already_exists"}
    stats = api_env.stats()
    assert stats["posts_total"] == 60
    assert set(stats["posts_by_external_id"].values()) == {1}
    assert any(int(row["attempts"]) > 1 for row in rows)
    assert stats["responses_by_status"].get("500", 0) > 0


def test_a_bad_key_stops_with_exit_3_and_loses_no_row(
    tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENVIRAL_API_KEY", "gva_live_wrong.wrong-secret")
    monkeypatch.setenv("GENVIRAL_BASE_URL", sandbox.base_url)
    campaign = write_csv(tmp_path / "c.csv", generated_rows(5))
    result = invoke("run", campaign, "--yes")
    assert result.exit_code == 3
    assert "401" in result.output and "wrong-secret" not in result.output
    assert not (tmp_path / "c.results.csv").exists()  # nothing was sent: nothing written
    assert sandbox.stats()["posts_total"] == 0


def test_fixing_a_rejected_row_in_the_results_and_running_again_sends_only_it(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    rows = generated_rows(4)
    rows[2][3] = "https://media.example.invalid/missing.mp4"
    campaign = write_csv(tmp_path / "fix.csv", rows)
    # Without the media preflight the bad URL reaches the API, which rejects the row.
    first = invoke("run", campaign, "--yes", "--no-media-check")
    assert first.exit_code == 1
    results_path = tmp_path / "fix.results.csv"
    results = read_results(results_path)
    assert [r["result"] for r in results] == ["created", "created", "rejected", "created"]
    assert results[2]["error_code"] == "media_unreachable"
    assert results[2]["http_status"] == "400"

    # The user fixes the URL in the results sheet and runs it again.
    results[2]["media_urls"] = "https://cdn.genviral.com/clips/fixed.mp4"
    with results_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(results[0]))
        writer.writeheader()
        writer.writerows(results)
    before = api_env.stats()["create_requests_by_external_id"]
    second = invoke("run", results_path, "--yes")
    assert second.exit_code == 0, second.output
    after = api_env.stats()["create_requests_by_external_id"]
    sent = {eid: after[eid] - before.get(eid, 0) for eid in after if after[eid] != before.get(eid)}
    assert sent == {"row-0002": 1}
    final = read_results(results_path)
    assert [r["result"] for r in final] == ["created"] * 4
    assert list(final[0])[: len(RUN_HEADER)] == RUN_HEADER
    assert [c for c in final[0] if c in RESULT_COLUMNS] == list(RESULT_COLUMNS)


def test_in_flight_requests_never_exceed_concurrency(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    api_env.set_faults(latency_ms=50)
    campaign = write_csv(tmp_path / "c.csv", generated_rows(40))
    result = invoke("run", campaign, "--yes", "--concurrency", "3")
    assert result.exit_code == 0, result.output
    stats = api_env.stats()
    assert stats["max_in_flight"] == 3
    assert stats["posts_total"] == 40


def test_rate_cap_spaces_the_requests(tmp_path: Path, api_env: SandboxServer) -> None:
    campaign = write_csv(tmp_path / "c.csv", generated_rows(11))
    result = invoke("run", campaign, "--yes", "--concurrency", "8", "--rate", "600")
    assert result.exit_code == 0, result.output
    times = sorted(
        datetime.fromisoformat(r["submitted_at"].replace("Z", "+00:00"))
        for r in read_results(tmp_path / "c.results.csv")
    )
    # 600 per minute is one request per 100 ms: 11 requests span at least 1 s.
    assert (times[-1] - times[0]).total_seconds() >= 0.99


def test_xlsx_results_keep_original_values_and_types(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    campaign = copy_sample("slideshow_campaign.xlsx", tmp_path)
    original = read_results(campaign)
    result = invoke("run", campaign, "--yes")
    assert result.exit_code == 0, result.output
    rows = read_results(tmp_path / "slideshow_campaign.results.xlsx")
    for before, after in zip(original, rows, strict=True):
        for column, value in before.items():
            assert after[column] == value
            assert type(after[column]) is type(value)
    assert isinstance(rows[0]["scheduled_at"], datetime)
    book = load_workbook(tmp_path / "slideshow_campaign.results.xlsx")
    assert "Summary" in book.sheetnames


def test_invalid_rows_block_the_launch_unless_skipped(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    rows = generated_rows(3)
    rows[1][1] = ""  # no caption
    campaign = write_csv(tmp_path / "c.csv", rows)
    blocked = invoke("run", campaign, "--yes")
    assert blocked.exit_code == 1
    assert "caption-missing" in blocked.output
    assert api_env.stats()["create_requests"] == 0
    assert not (tmp_path / "c.results.csv").exists()
    skipped = invoke("run", campaign, "--yes", "--skip-invalid")
    assert skipped.exit_code == 1
    results = read_results(tmp_path / "c.results.csv")
    assert [r["result"] for r in results] == ["created", "invalid", "created"]
    assert results[1]["error_code"] == "caption-missing"


def test_run_without_a_terminal_needs_yes(tmp_path: Path, api_env: SandboxServer) -> None:
    campaign = write_csv(tmp_path / "c.csv", generated_rows(1))
    result = invoke("run", campaign)
    assert result.exit_code == 2
    assert "--yes" in result.output
    assert api_env.stats()["requests_total"] == 0


def test_json_summary_on_stdout(tmp_path: Path, api_env: SandboxServer) -> None:
    import json

    campaign = write_csv(tmp_path / "c.csv", generated_rows(2))
    result = CliRunner().invoke(cli, ["run", str(campaign), "--yes", "--json"])
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["created"] == 2 and summary["rows"] == 2
