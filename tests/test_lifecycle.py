"""A campaign's whole life from its sheet, end to end through the command line.

run → publish with failures (the sandbox's publisher, its clock advanced) → status → edit
three rows and run (three PATCHes, no new post) → run again (nothing to do) → retry the
failed accounts → status (all published posts posted) → cancel two rows → run (nothing
re-created). Every command is a real process against a sandbox served on loopback, and
the requests are counted by the sandbox.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bulk_scheduler.sandbox import seed
from bulk_scheduler.sandbox.server import SandboxServer
from bulk_scheduler.sheet.results import strip_csv_formula_guard
from tests.rows import write_csv

DAY = 86400
PATCH = "PATCH /posts/{id}"
RETRY = "POST /posts/retry"
CREATE = "POST /posts"


def cli(server: SandboxServer, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **server.client_env}
    return subprocess.run(
        [sys.executable, "-m", "bulk_scheduler", *map(str, args)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


def read_results(path: Path) -> list[dict[str, str]]:
    """The results sheet's cells as a spreadsheet shows them (the ``'`` that keeps text
    such as ``@genviral posted`` from being read as a formula taken off)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            {k: strip_csv_formula_guard(v) for k, v in row.items()}
            for row in csv.DictReader(handle)
        ]


def write_results(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def at(days: float, minutes: int = 0) -> str:
    moment = datetime.now(UTC) + timedelta(days=days, minutes=minutes)
    return moment.replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def campaign(path: Path, near: int, far: int) -> Path:
    """``near`` rows publishing in 3 days, then ``far`` rows in 40 days; two accounts each."""
    accounts = f"{seed.BYO_TIKTOK_ID}, {seed.BYO_INSTAGRAM_ID}"
    rows = [
        [
            f"life-{i:03d}",
            f"Lifecycle post {i}",
            "video",
            f"https://cdn.genviral.com/life/{i}.mp4",
            accounts,
            at(3 if i < near else 40, minutes=i),
        ]
        for i in range(near + far)
    ]
    return write_csv(path, rows)


def routes(server: SandboxServer) -> dict[str, int]:
    return dict(server.stats()["requests_by_route"])


def delta(before: dict[str, int], after: dict[str, int], route: str) -> int:
    return after.get(route, 0) - before.get(route, 0)


def test_a_campaign_lives_from_its_sheet(tmp_path: Path) -> None:
    sheet = campaign(tmp_path / "life.csv", near=6, far=4)
    results = tmp_path / "life.results.csv"
    with SandboxServer() as server:
        # 1. run: ten posts.
        first = cli(server, "run", sheet, "--yes", "--no-media-check")
        assert first.returncode == 0, first.stderr
        assert server.stats()["posts_total"] == 10

        # 2. The publisher delivers the six posts due within five days; a third of the
        #    deliveries fail.
        server.set_faults(publish_fail_rate=0.35, seed=7)
        published = server.publish(advance_seconds=5 * DAY)
        assert published["failed"] + published["partial"] >= 1, published
        assert sum(published[k] for k in ("posted", "failed", "partial")) == 6

        # 3. status: every row's post, per account, with the published URLs.
        before = routes(server)
        status = cli(server, "status", results, "--json")
        assert status.returncode == 1, status.stderr  # some posts failed
        report = json.loads(status.stdout)
        after = routes(server)
        assert delta(before, after, "GET /posts") == 1  # ten posts: one page of one window
        assert delta(before, after, "GET /posts/{id}") == 0
        assert report["posts"] == 10
        assert report["by_status"]["scheduled"] == 4
        failed_rows = [r for r in report["rows"] if r["status"] in ("failed", "partial")]
        assert len(failed_rows) == published["failed"] + published["partial"]
        rows = read_results(results)
        assert [r["post_status"] for r in rows[6:]] == ["scheduled"] * 4
        for row in rows[:6]:
            assert row["post_status"] in ("posted", "failed", "partial")
            assert row["status_checked_at"]
            if row["post_status"] == "posted":
                assert row["account_states"] == "@genviral posted; @genviral.ig posted"
                assert len(row["published_urls"].splitlines()) == 2
            else:
                assert "failed: The platform rejected the upload" in row["account_states"]
        failed_accounts = {
            (r["external_id"], a["account_id"])
            for r in failed_rows
            for a in r["accounts"]
            if a["status"] == "failed"
        }

        # 4. Edit three rows whose posts are still scheduled (two captions, one time), and
        #    run only the updates: exactly three PATCHes, no create, no new post.
        rows[6]["caption"] = "Lifecycle post 6, edited"
        rows[7]["caption"] = "Lifecycle post 7, edited"
        rows[8]["scheduled_at"] = at(45)
        write_results(results, rows)
        before = routes(server)
        edit = cli(server, "run", results, "--yes", "--no-media-check", "--only", "update")
        assert edit.returncode == 0, edit.stderr
        after = routes(server)
        assert delta(before, after, PATCH) == 3
        assert delta(before, after, CREATE) == 0
        assert server.stats()["posts_total"] == 10
        assert "3 to update (caption on rows 8, 9; scheduled_at on row 10)" in edit.stdout
        assert server.stats()["updates_by_external_id"] == {
            "life-006": 1,
            "life-007": 1,
            "life-008": 1,
        }
        rows = read_results(results)
        assert rows[6]["caption"] == "Lifecycle post 6, edited"
        assert rows[6]["external_id"] == "life-006"
        assert rows[6]["last_action"].startswith("updated caption")

        # 5. Run the updates again: nothing to do.
        before = routes(server)
        again = cli(server, "run", results, "--yes", "--no-media-check", "--only", "update")
        assert again.returncode == 0, again.stderr
        after = routes(server)
        assert delta(before, after, PATCH) == 0
        assert delta(before, after, CREATE) == 0
        assert "0 to create, 0 to update" in again.stdout

        # 6. Retry the failed accounts, and only those.
        before = routes(server)
        retry = cli(server, "run", results, "--yes", "--no-media-check")
        assert retry.returncode == 0, retry.stderr
        after = routes(server)
        assert f"{len(failed_rows)} to retry after a publish failure" in retry.stdout
        assert 1 <= delta(before, after, RETRY) <= 2  # one request per set of failed accounts
        assert delta(before, after, PATCH) == 0
        assert delta(before, after, CREATE) == 0
        retried = server.stats()["retried_accounts"]
        post_ids = {r["external_id"]: r["post_id"] for r in read_results(results)}
        assert retried == {f"{post_ids[e]}:{a}": 1 for e, a in failed_accounts}

        # 7. The publisher delivers the retries (no failures now): status shows every
        #    published post posted; the four far posts still scheduled.
        server.set_faults(publish_fail_rate=0)
        server.publish(advance_seconds=60)
        status = cli(server, "status", results, "--json")
        report = json.loads(status.stdout)
        assert report["by_status"] == {"posted": 6, "scheduled": 4}
        assert status.returncode == 1  # four posts are not published yet
        text = cli(server, "status", results)
        assert "Posts: 10 (6 posted, 4 scheduled)." in text.stdout
        assert "@genviral.ig: 6 posted, 4 scheduled" in text.stdout

        # 8. Cancel two rows.
        cancel = cli(server, "cancel", results, "--rows", "10-11", "--yes")
        assert cancel.returncode == 0, cancel.stderr
        assert "Done: 2 canceled." in cancel.stdout
        assert server.stats()["posts_total"] == 8
        rows = read_results(results)
        assert [r["result"] for r in rows[8:]] == ["canceled", "canceled"]
        assert [r["post_status"] for r in rows[8:]] == ["canceled", "canceled"]

        # 9. run: nothing is re-created.
        before = routes(server)
        final = cli(server, "run", results, "--yes", "--no-media-check", "--json")
        assert final.returncode == 0, final.stderr
        after = routes(server)
        assert delta(before, after, CREATE) == 0
        assert delta(before, after, PATCH) == 0
        assert server.stats()["posts_total"] == 8
        assert "2 canceled" in final.stderr  # the plan, beside the JSON
        summary = json.loads(final.stdout)
        assert summary["canceled"] == 2
        assert summary["plan"] == {
            "create": [],
            "update": [],
            "retry": [],
            "unchanged": 8,
            "canceled": [10, 11],
            "only": None,
        }
        assert [r["result"] for r in read_results(results)[8:]] == ["canceled", "canceled"]
        stats: dict[str, Any] = server.stats()
    assert set(stats["posts_by_external_id"].values()) == {1}


def test_status_reads_250_posts_in_three_pages_and_a_vanished_one_alone(tmp_path: Path) -> None:
    sheet = campaign(tmp_path / "many.csv", near=0, far=250)
    with SandboxServer() as server:
        assert cli(server, "run", sheet, "--yes", "--no-media-check", "-q").returncode == 0
        gone = next(iter(server._sandbox.state.posts))
        server._sandbox.state.delete_post(gone)  # deleted elsewhere (the dashboard, say)
        before = routes(server)
        status = cli(server, "status", sheet, "--json")
        after = routes(server)
    report = json.loads(status.stdout)
    assert report["posts"] == 250
    assert report["by_status"] == {"scheduled": 249, "not_found": 1}
    # 250 posts in one window: pages of 100, 100 and 49; the missing one read by id (404).
    assert delta(before, after, "GET /posts") == 3
    assert delta(before, after, "GET /posts/{id}") == 1
    assert report["requests"] == 4


def test_cancel_chooses_rows_and_names_what_it_could_not_cancel(tmp_path: Path) -> None:
    sheet = campaign(tmp_path / "c.csv", near=2, far=3)
    results = tmp_path / "c.results.csv"
    with SandboxServer() as server:
        assert cli(server, "run", sheet, "--yes", "--no-media-check", "-q").returncode == 0
        server.publish(advance_seconds=5 * DAY)  # rows 2 and 3 are posted

        # Bad choices: one line each, exit 2, nothing sent.
        for args, message in (
            ((), "choose the rows to cancel"),
            (("--rows", "99"), "--rows: row 99 is not a data row of c.results.csv (rows 2-6)"),
            (("--rows", "x-2"), "--rows x-2: 'x-2' is not a row number or a range like 5-9"),
            (("--external-id", "nope"), "--external-id nope: no row of c.results.csv"),
        ):
            refused = cli(server, "cancel", results, *args, "--yes")
            assert refused.returncode == 2, refused.stderr
            assert refused.stderr.startswith(f"Error: {message}"), refused.stderr
            assert len(refused.stderr.strip().splitlines()) == 1
        no_terminal = cli(server, "cancel", results, "--all")
        assert no_terminal.returncode == 2
        assert "pass --yes" in no_terminal.stderr
        assert server.stats()["deleted_posts"] == 0

        # --status scheduled: the three posts not yet published.
        scheduled = cli(server, "cancel", results, "--status", "scheduled", "--yes")
        assert scheduled.returncode == 0, scheduled.stderr
        assert "Cancel 3 post(s): rows 4, 5, 6 (3 scheduled)." in scheduled.stdout
        assert "Done: 3 canceled." in scheduled.stdout
        # A posted row is blocked, and said so; a canceled one is already canceled.
        blocked = cli(server, "cancel", results, "--rows", "2,4", "--json", "--yes")
        assert blocked.returncode == 1
        rows = {r["row"]: r for r in json.loads(blocked.stdout)["rows"]}
        assert rows[2]["outcome"] == "blocked"
        assert rows[2]["detail"] == "blocked: the post is posted"
        assert rows[4]["outcome"] == "already_canceled"
        assert server.stats()["deleted_posts"] == 3
    final = read_results(results)
    assert [r["result"] for r in final] == ["created", "created", *["canceled"] * 3]
    assert final[0]["last_action"].startswith("not canceled: blocked: the post is posted")


def test_an_edit_of_a_published_post_is_named_and_never_sent(tmp_path: Path) -> None:
    sheet = campaign(tmp_path / "p.csv", near=1, far=1)
    results = tmp_path / "p.results.csv"
    with SandboxServer() as server:
        assert cli(server, "run", sheet, "--yes", "--no-media-check", "-q").returncode == 0
        server.publish(advance_seconds=5 * DAY)
        rows = read_results(results)
        rows[0]["caption"] = "Too late to change"
        write_results(results, rows)
        before = routes(server)
        late = cli(server, "run", results, "--yes", "--no-media-check")
        after = routes(server)
    assert late.returncode == 1
    assert delta(before, after, PATCH) == 0
    assert delta(before, after, CREATE) == 0
    assert "row 2 (life-000) cannot be updated: the post is posted" in late.stdout
    shown = read_results(results)[0]
    assert shown["caption"] == "Lifecycle post 0"  # the cells that were sent
    assert "The sheet had: caption 'Too late to change'" in shown["warnings"]
    assert shown["post_status"] == "posted"


def test_status_watch_stops_when_every_post_is_final_or_at_ctrl_c(tmp_path: Path) -> None:
    sheet = campaign(tmp_path / "w.csv", near=2, far=1)
    with SandboxServer() as server:
        assert cli(server, "run", sheet, "--yes", "--no-media-check", "-q").returncode == 0
        # One post is still scheduled: --watch waits for the next refresh; Ctrl-C stops it.
        env = {**os.environ, **server.client_env}
        watching = subprocess.Popen(
            [sys.executable, "-m", "bulk_scheduler", "status", str(sheet), "--watch"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert watching.stderr is not None
        line = watching.stderr.readline()  # after the first table
        assert line.startswith("Next refresh in 60 s"), line
        watching.send_signal(signal.SIGINT)
        out, err = watching.communicate(timeout=60)
        assert watching.returncode == 130
        assert "Posts: 3 (3 scheduled)." in out
        assert "Stopped watching." in err and "Traceback" not in err
        # Every post final (one failed): --watch refreshes once and stops, exit 1.
        server.set_faults(publish_fail_rate=0.5, seed=1)
        server.publish(advance_seconds=60 * DAY)
        final = cli(server, "status", sheet, "--watch")
    assert final.returncode == 1, final.stderr
    assert "Next refresh" not in final.stderr
    assert final.stdout.count("Posts: 3 (") == 1


def test_an_edit_whose_answer_is_lost_is_checked_with_get_not_sent_twice(tmp_path: Path) -> None:
    sheet = campaign(tmp_path / "d.csv", near=0, far=3)
    results = tmp_path / "d.results.csv"
    with SandboxServer() as server:
        assert cli(server, "run", sheet, "--yes", "--no-media-check", "-q").returncode == 0
        rows = read_results(results)
        for row in rows:
            row["caption"] += " (edited)"
        write_results(results, rows)
        # Every edit is applied, then its connection cut before the answer.
        server.set_faults(update_drop_rate=1.0)
        before = routes(server)
        edit = cli(server, "run", results, "--yes", "--no-media-check")
        after = routes(server)
        stats = server.stats()
        captions = [p.body["caption"] for p in server._sandbox.state.posts.values()]
    assert edit.returncode == 0, edit.stdout + edit.stderr
    assert "3 updated" in edit.stdout
    assert delta(before, after, PATCH) == 3  # each sent once
    assert delta(before, after, "GET /posts/{id}") == 3  # and each checked once
    assert stats["updates_by_external_id"] == {"life-000": 1, "life-001": 1, "life-002": 1}
    assert stats["connections_dropped"] == 3
    assert all(c.endswith("(edited)") for c in captions)
    assert all(r["last_action"].startswith("updated caption") for r in read_results(results))


def test_the_library_refreshes_and_cancels(tmp_path: Path) -> None:
    from bulk_scheduler import RunHooks, cancel_posts, refresh_status, run_campaign

    sheet = campaign(tmp_path / "lib.csv", near=1, far=2)
    with SandboxServer() as server:
        key, url = server.api_key, server.base_url
        run = run_campaign(sheet, api_key=key, base_url=url, media_check=False)
        assert run.counts()["created"] == 3
        server.publish(advance_seconds=5 * DAY)
        status = refresh_status(sheet, api_key=key, base_url=url)
        assert status.by_status == {"posted": 1, "scheduled": 2}
        assert status.by_account["@genviral"] == {"posted": 1, "scheduled": 2}
        assert not status.all_final
        assert [len(r.published_urls) for r in status.rows] == [2, 0, 0]
        seen = []
        declined = cancel_posts(
            sheet, rows="3-4", api_key=key, base_url=url, confirm=lambda p: seen.append(p) or False
        )
        assert not declined.launched and server.stats()["deleted_posts"] == 0
        assert [t.row_number for t in seen[0].targets] == [3, 4]
        done = cancel_posts(sheet, rows=[3], api_key=key, base_url=url)
        assert done.counts() == {"canceled": 1}
        plans = []
        again = run_campaign(
            sheet, api_key=key, base_url=url, media_check=False, hooks=RunHooks(plan=plans.append)
        )
    assert again.all_done
    parts = plans[0].parts()
    assert (parts["create"], parts["unchanged"], parts["canceled"]) == ([], 2, [3])


def test_an_xlsx_results_workbook_gets_the_status_columns(tmp_path: Path) -> None:
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Posts"
    sheet.append(["external_id", "caption", "media_type", "media_urls", "accounts", "scheduled_at"])
    sheet.append(
        ["x-1", "Hello", "video", "https://cdn.genviral.com/x/1.mp4",
         f"{seed.BYO_TIKTOK_ID}, {seed.BYO_INSTAGRAM_ID}", at(3)]
    )  # fmt: skip
    book.save(tmp_path / "plan.xlsx")
    with SandboxServer() as server:
        assert (
            cli(server, "run", tmp_path / "plan.xlsx", "--yes", "--no-media-check").returncode == 0
        )
        server.set_faults(publish_fail_rate=1.0)
        server.publish(advance_seconds=5 * DAY)
        status = cli(server, "status", tmp_path / "plan.results.xlsx")
    assert status.returncode == 1
    out = load_workbook(tmp_path / "plan.results.xlsx")
    rows = list(out["Posts"].iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["post_status"] == "failed"
    assert row["account_states"] == (
        "@genviral failed: The platform rejected the upload (sandbox publish_fail_rate); "
        "@genviral.ig failed: The platform rejected the upload (sandbox publish_fail_rate)"
    )
    assert row["published_urls"] is None
    assert isinstance(row["status_checked_at"], datetime)
    assert out.sheetnames == ["Posts", "Summary"]


def test_a_results_sheet_from_before_the_status_columns_is_still_one() -> None:
    from bulk_scheduler.sheet.columns import LIFECYCLE_RESULT_COLUMNS, RESULT_COLUMNS, result_block

    core = [c for c in RESULT_COLUMNS[1:] if c not in LIFECYCLE_RESULT_COLUMNS]
    old = ["caption", "accounts", *core, "my notes"]
    assert set(result_block(old) or {}) == set(core)
    # The status columns a later write added after the user's own column are found too.
    later = [*old, *LIFECYCLE_RESULT_COLUMNS]
    block = result_block(later) or {}
    assert block["last_action"] == len(later) - 1
    assert block["result"] == 2


def test_a_time_now_past_on_a_row_already_posted_does_not_stop_a_run(tmp_path: Path) -> None:
    from bulk_scheduler import CampaignInvalidError, PlanOptions, run_campaign

    sheet = campaign(tmp_path / "old.csv", near=2, far=0)
    later = PlanOptions(now=datetime.now(UTC) + timedelta(days=10))  # weeks later, say
    with SandboxServer() as server:
        key, url = server.api_key, server.base_url
        assert run_campaign(sheet, api_key=key, base_url=url, media_check=False).all_done
        again = run_campaign(
            sheet, plan_options=later, api_key=key, base_url=url, media_check=False
        )
        assert again.all_done and server.stats()["create_requests"] == 2
        # A new row with a past time is still an error that stops the run.
        with sheet.open("a", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerow(
                ["late", "Too late", "video", "https://cdn.genviral.com/l.mp4",
                 seed.BYO_TIKTOK_ID, at(5)]
            )  # fmt: skip
        try:
            run_campaign(sheet, plan_options=later, api_key=key, base_url=url, media_check=False)
        except CampaignInvalidError as exc:
            assert "1 error(s)" in str(exc)
        else:
            raise AssertionError("a new row scheduled in the past was not refused")
