"""kill -9 during updates, retries and cancels: nothing applied twice, nothing lost.

As ``test_resume.py`` does for creates: the command runs as a real process against a
sandbox served on loopback, is killed at random moments while its requests are in
flight, and is run again until it finishes. The sandbox counts what it applied.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bulk_scheduler.sandbox import seed
from bulk_scheduler.sandbox.server import SandboxServer
from tests.rows import write_csv
from tests.test_resume import journal_is_consistent, read_results, wait_for

DAY = 86400


def start(server: SandboxServer, *args: str | Path) -> subprocess.Popen[str]:
    env = {**os.environ, **server.client_env}
    return subprocess.Popen(
        [sys.executable, "-m", "bulk_scheduler", *map(str, args)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out + err


def run_ok(server: SandboxServer, *args: str | Path) -> None:
    """Run the command to its end; it must exit 0."""
    code, output = finish(start(server, *args))
    assert code == 0, output


def campaign(path: Path, count: int, days: float) -> Path:
    accounts = f"{seed.BYO_TIKTOK_ID}, {seed.BYO_INSTAGRAM_ID}"
    start_at = datetime.now(UTC) + timedelta(days=days)
    rows = [
        [
            f"k-{i:04d}",
            f"Post {i}",
            "video",
            f"https://cdn.genviral.com/k/{i}.mp4",
            accounts,
            (start_at + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:00Z"),
        ]
        for i in range(count)
    ]
    return write_csv(path, rows)


def launched(server: SandboxServer, path: Path, count: int, days: float) -> Path:
    """A campaign of ``count`` rows from ``days`` ahead, run once: its results sheet."""
    run_ok(server, "run", campaign(path, count, days), "--yes", "--no-media-check", "-q")
    return path.with_name(f"{path.stem}.results.csv")


def route(server: SandboxServer, name: str) -> int:
    return server.stats()["requests_by_route"].get(name, 0)


def kill_while_then_finish(
    server: SandboxServer,
    args: tuple[str | Path, ...],
    counted: str,
    rng: random.Random,
    kills_wanted: int,
    sheet: Path,
) -> int:
    """Start the command again and again, killing it soon after it sends ``counted``
    requests, then run it once more with no latency, to its end (exit 0); returns how
    many times it was killed with requests in flight."""
    kills = 0
    for _ in range(kills_wanted * 2):
        before = route(server, counted)
        process = start(server, *args)
        if not wait_for(lambda before=before: route(server, counted) > before, timeout=60):
            process.wait(timeout=60)
            break  # it finished: nothing was left to send
        time.sleep(rng.uniform(0.0, 0.4))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
        journal_is_consistent(sheet)
        if kills >= kills_wanted:
            break
    server.set_faults(latency_ms=0, latency_jitter_ms=0)
    run_ok(server, *args)
    return kills


@pytest.mark.timeout(600)
def test_sigkill_during_updates_applies_each_edit_once(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    results = launched(sandbox, tmp_path / "u.csv", 120, days=30)
    rows = read_results(results)
    for row in rows:
        row["caption"] = f"{row['caption']}, edited"
    with results.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    sandbox.set_faults(latency_ms=40, latency_jitter_ms=20, seed=5)
    args = ("run", results, "--yes", "--no-media-check", "-q", "--concurrency", "2")
    rng = random.Random(16)
    kills = kill_while_then_finish(sandbox, args, "PATCH /posts/{id}", rng, 5, results)
    assert kills >= 3
    stats = sandbox.stats()
    posts = list(sandbox._sandbox.state.posts.values())
    assert stats["posts_total"] == 120
    assert stats["create_requests"] == 120  # no edit became a second post
    # Every edit applied, and each exactly once: a PATCH whose answer was lost was checked
    # with GET, not sent again.
    assert stats["updates_by_external_id"] == {f"k-{i:04d}": 1 for i in range(120)}
    assert all(post.body["caption"].endswith(", edited") for post in posts)
    final = read_results(results)
    assert {row["result"] for row in final} == {"created"}
    assert all(row["last_action"].startswith("updated caption") for row in final)


@pytest.mark.timeout(600)
def test_sigkill_during_retries_requeues_each_failed_account_once(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    results = launched(sandbox, tmp_path / "r.csv", 200, days=3)
    sandbox.set_faults(publish_fail_rate=1.0)
    assert sandbox.publish(advance_seconds=5 * DAY)["failed"] == 200
    sandbox.set_faults(latency_ms=150, seed=9)
    args = ("run", results, "--yes", "--no-media-check", "-q")
    rng = random.Random(17)
    kills = kill_while_then_finish(sandbox, args, "POST /posts/retry", rng, 4, results)
    assert kills >= 3
    stats = sandbox.stats()
    posts = list(sandbox._sandbox.state.posts.values())
    # 200 posts, each failed on both accounts: every account re-queued, none twice.
    assert len(stats["retried_accounts"]) == 400
    assert set(stats["retried_accounts"].values()) == {1}
    assert {post.status for post in posts} == {"retry"}
    assert stats["posts_total"] == 200
    final = read_results(results)
    assert {row["post_status"] for row in final} == {"retry"}


@pytest.mark.timeout(600)
def test_sigkill_during_cancel_cancels_every_row_once(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    results = launched(sandbox, tmp_path / "c.csv", 300, days=30)
    sandbox.set_faults(latency_ms=150, seed=11)
    args = ("cancel", results, "--all", "--yes", "-q")
    rng = random.Random(18)
    kills = kill_while_then_finish(sandbox, args, "POST /posts/delete", rng, 3, results)
    assert kills >= 2
    stats = sandbox.stats()
    # A later run re-creates nothing.
    run_ok(sandbox, "run", results, "--yes", "--no-media-check", "-q")
    assert sandbox.stats()["create_requests"] == stats["create_requests"]
    assert stats["posts_total"] == 0
    assert stats["deleted_posts"] == 300
    final = read_results(results)
    # Each row canceled: none "not found", which a delete sent twice would give.
    assert {row["result"] for row in final} == {"canceled"}
    assert all(row["last_action"].startswith("canceled") for row in final)
