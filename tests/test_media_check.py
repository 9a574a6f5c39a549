"""The media preflight through the CLI: findings on the right cells, one probe per URL,
metadata sent to the API, and facts kept in the journal for resumes."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

from click.testing import CliRunner

from bulk_scheduler.api.client import ApiKey, PartnerClient
from bulk_scheduler.cli.commands import cli
from bulk_scheduler.sandbox import seed
from bulk_scheduler.sandbox.server import SandboxServer
from tests.media_server import MediaServer
from tests.rows import write_csv


def row(eid: str, urls: str, media_type: str = "video") -> list[str]:
    return [eid, f"caption {eid}", media_type, urls, seed.BYO_TIKTOK_ID, "2036-08-01T10:00:00Z"]


def issues_by_cell(output: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for issue in json.loads(output)["issues"]:
        found.setdefault(issue["cell"], set()).add(issue["code"])
    return found


def test_each_media_problem_is_reported_on_its_cell(
    tmp_path: Path, api_env: SandboxServer, media: MediaServer
) -> None:
    campaign = write_csv(
        tmp_path / "c.csv",
        [
            row("good", media.url("/good.mp4")),
            row("long", media.url("/long.mp4")),
            row("missing", media.url("/missing.mp4")),
            row("html", media.url("/page.html"), "video"),
            row("huge", f"{media.url('/portrait.png')}|{media.url('/huge.png')}", "slideshow"),
            row("wide", media.url("/wide.mp4")),
            row("invalid", "https://media.example.invalid/clip.mp4"),
        ],
    )
    result = CliRunner().invoke(cli, ["validate", str(campaign), "--json"])
    assert result.exit_code == 1, result.output
    cells = issues_by_cell(result.stdout)
    assert "D2" not in cells
    assert cells["D3"] == {"video-duration"}
    assert cells["D4"] == {"media-unreachable"}
    assert "media-not-video" in cells["D5"]
    assert cells["D6"] == {"image-too-large"}
    assert cells["D7"] == {"aspect-ratio"}
    assert cells["D8"] == {"media-unreachable"}
    message = next(i["message"] for i in json.loads(result.stdout)["issues"] if i["cell"] == "D3")
    assert "75" in message and "60" in message
    media.settle()
    assert not any("invalid" in hit.target for hit in media.hits)


def test_a_thousand_rows_sharing_ten_urls_make_ten_probes(
    tmp_path: Path, api_env: SandboxServer, media: MediaServer
) -> None:
    rows = [row(f"r{i:04d}", media.url(f"/shared-{i % 10}.mp4")) for i in range(1000)]
    for i, r in enumerate(rows):
        r[5] = f"2036-08-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"
    campaign = write_csv(tmp_path / "c.csv", rows)
    result = CliRunner().invoke(cli, ["validate", str(campaign), "--json"])
    assert result.exit_code == 0, result.output
    media.settle()
    probed = {hit.target for hit in media.hits}
    assert probed == {f"/shared-{i}.mp4" for i in range(10)}
    # One probe per URL: a HEAD and the ranged reads of that one probe, never repeated.
    assert all(
        sum(1 for hit in media.hits if hit.target == t and hit.method == "HEAD") == 1
        for t in probed
    )


def test_run_sends_the_measured_metadata_and_resumes_without_probing_again(
    tmp_path: Path, api_env: SandboxServer, media: MediaServer
) -> None:
    campaign = write_csv(tmp_path / "c.csv", [row("meta", media.url("/good.mp4"))])
    result = CliRunner().invoke(cli, ["run", str(campaign), "--yes"])
    assert result.exit_code == 0, result.output
    with (tmp_path / "c.results.csv").open(encoding="utf-8-sig") as handle:
        results = list(csv.DictReader(handle))
    assert "VIDEO_DURATION_MISSING" not in results[0]["warnings"]

    async def fetch():
        async with PartnerClient(ApiKey(api_env.api_key), api_env.base_url) as client:
            return await client.get_post(results[0]["post_id"])

    post = asyncio.run(fetch())
    video = post.media or {}
    assert video["duration_sec"] == 30
    assert (video["width"], video["height"]) == (1080, 1920)
    assert video["size"] == (media.directory / "good.mp4").stat().st_size

    media.settle()
    hits = len(media.hits)
    again = CliRunner().invoke(cli, ["run", str(tmp_path / "c.results.csv"), "--yes"])
    assert again.exit_code == 0, again.output
    media.settle()
    assert len(media.hits) == hits


def test_no_media_check_sends_nothing_to_the_media_host(
    tmp_path: Path, api_env: SandboxServer, media: MediaServer
) -> None:
    campaign = write_csv(tmp_path / "c.csv", [row("x", media.url("/long.mp4"))])
    result = CliRunner().invoke(cli, ["validate", str(campaign), "--no-media-check"])
    assert result.exit_code == 0, result.output
    media.settle()
    assert media.hits == []
