"""The library does what the command does: ``run_campaign()`` against ``bulk-scheduler run``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bulk_scheduler import run_campaign
from bulk_scheduler.checks.planner import PlanOptions
from bulk_scheduler.cli.commands import cli
from bulk_scheduler.errors import CampaignInvalidError, FatalApiError
from bulk_scheduler.launch.orchestrator import LaunchPlan, RunHooks
from bulk_scheduler.outcome import RowOutcome
from bulk_scheduler.sandbox.server import SandboxServer
from tests.conftest import SAMPLES
from tests.media_server import MediaServer
from tests.rows import write_csv
from tests.test_media_check import row as media_row
from tests.test_run import read_results


def sent_bodies(server: SandboxServer) -> list[dict[str, Any]]:
    """The bodies the sandbox stored, in external_id order."""
    posts = server._sandbox.state.posts.values()
    return sorted((post.body for post in posts), key=lambda body: body["external_id"])


def normalised(rows: list[dict[str, Any]], server: SandboxServer) -> list[dict[str, Any]]:
    """Results rows with what differs between two sandboxes by nature (post ids, the time
    of sending) replaced by what they stand for."""
    external_of = {
        post.id: post.body["external_id"] for post in server._sandbox.state.posts.values()
    }
    out = []
    for row in rows:
        row = dict(row)
        if row.get("post_id"):
            row["post_id"] = "post of " + external_of[str(row["post_id"])]
        if row.get("submitted_at"):
            row["submitted_at"] = "<sent>"
        out.append(row)
    return out


def probed_media_campaign(path: Path, media: MediaServer) -> Path:
    """Rows whose media the preflight probes on loopback: measured metadata in the body,
    a warning (a wide video), and an error (a missing file) for --skip-invalid."""
    return write_csv(
        path,
        [
            media_row("measured", media.url("/good.mp4")),
            media_row("wide", media.url("/wide.mp4")),
            media_row("missing", media.url("/missing.mp4")),
        ],
    )


@pytest.mark.parametrize(
    "name", ["mixed_campaign.csv", "slideshow_campaign.xlsx", "probed_media.csv"]
)
def test_run_campaign_and_the_run_command_send_the_same_bodies_and_write_the_same_sheet(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, media: MediaServer
) -> None:
    by_cli = tmp_path / "cli" / name
    by_library = tmp_path / "library" / name
    for target in (by_cli, by_library):
        target.parent.mkdir()
        if name == "probed_media.csv":
            probed_media_campaign(target, media)
        else:
            shutil.copy(SAMPLES / name, target)
    results_name = Path(name).stem + ".results" + Path(name).suffix
    skip = name == "probed_media.csv"

    with SandboxServer() as cli_api, SandboxServer() as library_api:
        monkeypatch.setenv("GENVIRAL_API_KEY", cli_api.api_key)
        monkeypatch.setenv("GENVIRAL_BASE_URL", cli_api.base_url)
        args = ["run", str(by_cli), "--yes", *(["--skip-invalid"] if skip else [])]
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == (1 if skip else 0), result.output
        monkeypatch.delenv("GENVIRAL_API_KEY")
        monkeypatch.delenv("GENVIRAL_BASE_URL")

        report = run_campaign(
            by_library,
            api_key=library_api.api_key,
            base_url=library_api.base_url,
            skip_invalid=skip,
        )
        assert report.all_done is not skip
        assert report.results_path == by_library.with_name(results_name)

        assert sent_bodies(cli_api) == sent_bodies(library_api)
        sent = sent_bodies(cli_api)
        assert len(sent) == len(report.outcomes) - skip > 0
        if skip:  # the preflight ran in both: its measurements are in the body
            measured = next(body for body in sent if body["external_id"] == "measured")
            assert measured["media"]["duration_sec"] == 30
        assert normalised(read_results(by_cli.with_name(results_name)), cli_api) == normalised(
            read_results(by_library.with_name(results_name)), library_api
        )


def copy_sample(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copy(SAMPLES / name, target)
    return target


def test_hooks_see_the_plan_and_every_row_and_a_declined_plan_sends_nothing(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    campaign = copy_sample("video_campaign.csv", tmp_path)
    plans: list[LaunchPlan] = []
    declined = run_campaign(
        campaign,
        api_key=sandbox.api_key,
        base_url=sandbox.base_url,
        hooks=RunHooks(plan=plans.append, confirm=lambda plan: False),
    )
    assert not declined.launched and declined.outcomes == []
    assert plans and plans[0].posts == 4
    assert sandbox.stats()["create_requests"] == 0
    assert not campaign.with_name("video_campaign.results.csv").exists()

    seen: list[RowOutcome] = []
    report = run_campaign(
        campaign,
        api_key=sandbox.api_key,
        base_url=sandbox.base_url,
        hooks=RunHooks(confirm=lambda plan: True, outcome=seen.append),
    )
    assert report.launched and report.all_done
    assert sorted(o.external_id for o in seen) == sorted(o.external_id for o in report.outcomes)


def test_invalid_rows_stop_the_library_run_with_the_report(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    campaign = copy_sample("every_mistake.xlsx", tmp_path)
    with pytest.raises(CampaignInvalidError) as caught:
        run_campaign(
            campaign,
            api_key=sandbox.api_key,
            base_url=sandbox.base_url,
            plan_options=PlanOptions(timezone="Europe/Paris"),
        )
    assert caught.value.report.error_count > 0
    assert sandbox.stats()["create_requests"] == 0


def test_a_refused_key_raises_fatal_api_error_before_anything_is_sent(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    campaign = copy_sample("video_campaign.csv", tmp_path)
    with pytest.raises(FatalApiError) as caught:
        run_campaign(campaign, api_key="gva_live_wrong.key", base_url=sandbox.base_url)
    assert caught.value.status == 401
    assert sandbox.stats()["create_requests"] == 0


def test_validate_campaign_online_finds_what_the_validate_command_finds(
    tmp_path: Path, api_env: SandboxServer, media: MediaServer
) -> None:
    """The online dry run (accounts fetched, media probed) is the library's, not the CLI's."""
    import json

    from bulk_scheduler import validate_campaign

    campaign = probed_media_campaign(tmp_path / "c.csv", media)
    result = CliRunner().invoke(cli, ["validate", str(campaign), "--json"])
    assert result.exit_code == 1, result.output
    by_cli = json.loads(result.output)["issues"]

    report = validate_campaign(campaign, api_key=api_env.api_key, base_url=api_env.base_url)
    assert report.online
    assert report.to_json()["issues"] == by_cli
    missing = [issue for issue in report.issues if issue.cell == "D4"]
    assert missing and missing[0].is_error  # the 404 was probed, not guessed
