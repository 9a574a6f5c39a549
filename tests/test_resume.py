"""Never lose or double a post: kill -9, Ctrl-C, resume, one run at a time.

`run` is started as a real process against a sandbox served on loopback by the test.
"""

from __future__ import annotations

import csv
import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bulk_scheduler.launch.journal import default_journal_path
from bulk_scheduler.sandbox import seed
from bulk_scheduler.sandbox.server import SandboxServer
from tests.rows import write_csv

DONE = {"created", "already_exists"}


def write_campaign(path: Path, count: int) -> Path:
    rows = [
        [
            f"kill-{i:04d}",
            f"Resumable post {i}",
            "video",
            f"https://cdn.genviral.com/r/{i}.mp4",
            seed.BYO_TIKTOK_ID,
            f"2036-07-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
        ]
        for i in range(count)
    ]
    return write_csv(path, rows)


def start_run(campaign: Path, server: SandboxServer, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, **server.client_env}
    return subprocess.Popen(
        [sys.executable, "-m", "bulk_scheduler", "run", str(campaign), "--yes", *extra],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_results(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def journal_is_consistent(campaign: Path) -> None:
    path = default_journal_path(campaign)
    if not path.exists():
        return
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return False


@pytest.mark.timeout(900)
def test_sigkill_at_random_moments_then_resume_gives_one_post_per_row(tmp_path: Path) -> None:
    rng = random.Random(20261128)
    campaign = write_campaign(tmp_path / "big.csv", 500)
    results = tmp_path / "big.results.csv"
    with SandboxServer() as server:
        # Slow enough that a run takes many seconds, so kills land while rows are in flight.
        server.set_faults(
            latency_ms=60, latency_jitter_ms=30, error_rate=0.1, drop_rate=0.05, seed=3
        )
        kills = 0
        during_write = 0
        progress: list[int] = []
        for attempt in range(24):
            process = start_run(campaign, server, "--concurrency", "4", "--quiet")
            if attempt >= 18:
                # The last kills aim at the results write: as soon as its temporary file
                # appears (every run writes the sheet, even one with nothing left to send).
                wait_for(
                    lambda: any(
                        p.name.startswith("big.results.csv.tmp") for p in tmp_path.iterdir()
                    ),
                    timeout=120,
                )
                during_write += process.poll() is None
            elif attempt < 2:
                time.sleep(rng.uniform(0.05, 1.0))  # during start-up
            else:
                # While rows are in flight: a random moment after this run's first request.
                before = server.stats()["create_requests"]
                wait_for(
                    lambda before=before: server.stats()["create_requests"] > before,
                    timeout=120,
                )
                time.sleep(rng.uniform(0.1, 1.5))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait(timeout=60)
            journal_is_consistent(campaign)
            progress.append(server.stats()["posts_total"])
        print("posts after each kill:", progress)
        assert kills >= 20
        # Most kills landed while rows were still being sent.
        assert sum(1 for a, b in itertools.pairwise([0, *progress]) if b > a) >= 8
        assert during_write >= 1
        server.set_faults(latency_ms=0, latency_jitter_ms=0)
        final = start_run(campaign, server, "--concurrency", "8", "--quiet")
        _, err = final.communicate(timeout=300)
        assert final.returncode == 0, err
        stats = server.stats()
    rows = read_results(results)
    assert len(rows) == 500
    assert {row["result"] for row in rows} <= DONE
    assert stats["posts_total"] == 500
    assert set(stats["posts_by_external_id"].values()) == {1}
    assert len(stats["posts_by_external_id"]) == 500
    # Temporary files of killed writes are cleared by the next write.
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_sigint_writes_a_partial_results_sheet_then_resume_completes(tmp_path: Path) -> None:
    campaign = write_campaign(tmp_path / "c.csv", 200)
    results = tmp_path / "c.results.csv"
    with SandboxServer() as server:
        server.set_faults(latency_ms=50)
        process = start_run(campaign, server, "--concurrency", "2")
        assert wait_for(lambda: server.stats()["posts_total"] >= 10)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        assert "again to resume" in err
        partial = read_results(results)
        assert len(partial) == 200
        assert {row["result"] for row in partial} <= DONE | {"not_submitted", "unknown"}
        assert "not_submitted" in {row["result"] for row in partial}
        created_before = server.stats()["posts_total"]
        assert sum(row["result"] in DONE for row in partial) == created_before

        server.set_faults(latency_ms=0)
        again = start_run(campaign, server, "--concurrency", "4")
        _, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        stats = server.stats()
    final = read_results(results)
    assert {row["result"] for row in final} <= DONE
    assert stats["posts_total"] == 200
    assert set(stats["posts_by_external_id"].values()) == {1}
    # Rows done before the interrupt were not sent again.
    assert stats["create_requests"] <= 200 + 4


def test_a_second_run_of_the_same_campaign_is_refused(tmp_path: Path) -> None:
    campaign = write_campaign(tmp_path / "c.csv", 100)
    with SandboxServer() as server:
        server.set_faults(latency_ms=100)
        first = start_run(campaign, server, "--concurrency", "1", "--quiet")
        assert wait_for(lambda: server.stats()["posts_total"] >= 1)
        second = start_run(campaign, server, "--quiet")
        _, err = second.communicate(timeout=60)
        assert second.returncode == 2
        assert "another run of this campaign is in progress" in err
        assert "Traceback" not in err
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        # The killed run's lock died with it: the next run goes ahead and finishes.
        server.set_faults(latency_ms=0)
        third = start_run(campaign, server, "--quiet", "--concurrency", "4")
        _, err = third.communicate(timeout=120)
        assert third.returncode == 0, err
        stats = server.stats()
    assert stats["posts_total"] == 100
    assert set(stats["posts_by_external_id"].values()) == {1}


def test_a_done_row_edited_afterwards_is_updated_not_sent_again(tmp_path: Path) -> None:
    campaign = write_campaign(tmp_path / "c.csv", 3)
    with SandboxServer() as server:
        first = start_run(campaign, server, "--quiet")
        first.communicate(timeout=60)
        assert first.returncode == 0
        results = tmp_path / "c.results.csv"
        rows = read_results(results)
        rows[1]["caption"] = "An edited caption"
        with results.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        before = server.stats()["create_requests"]
        again = start_run(results, server)
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0, err
        stats = server.stats()
        assert stats["create_requests"] == before
    assert "1 to update (caption on row 3)" in out + err
    assert stats["updates_by_external_id"] == {"kill-0001": 1}
    final = read_results(results)
    assert final[1]["caption"] == "An edited caption"
    assert "row-changed-after-created" not in final[1]["warnings"]


def test_results_lost_in_a_crash_are_rebuilt_from_the_journal(tmp_path: Path) -> None:
    campaign = write_campaign(tmp_path / "c.csv", 5)
    with SandboxServer() as server:
        first = start_run(campaign, server, "--quiet")
        _, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        results = tmp_path / "c.results.csv"
        results.unlink()
        # Pretend the run died before its results write: the journal is newer.
        with sqlite3.connect(default_journal_path(campaign)) as db:
            db.execute("DELETE FROM meta WHERE key = 'results_written_at'")
        again = start_run(campaign, server)
        _, err = again.communicate(timeout=60)
        assert again.returncode == 0, err
        assert server.stats()["create_requests"] == 5
    assert "rebuilt" in err
    assert [row["result"] for row in read_results(results)] == ["created"] * 5


def test_a_second_sigint_stops_at_once_with_one_line_and_loses_no_post(tmp_path: Path) -> None:
    campaign = write_campaign(tmp_path / "c.csv", 200)
    with SandboxServer() as server:
        server.set_faults(latency_ms=2000)  # requests in flight outlast both signals
        process = start_run(campaign, server, "--concurrency", "4")
        # Counted on arrival (create_requests is counted after the latency): accounts + 4.
        assert wait_for(lambda: server.stats()["requests_total"] >= 5, timeout=60)
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        assert "Traceback" not in err
        stopped = [line for line in err.splitlines() if line.startswith("Stopped at once")]
        assert len(stopped) == 1 and "journal" in stopped[0]
        server.set_faults(latency_ms=0)
        again = start_run(campaign, server, "--concurrency", "8")
        _, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        stats = server.stats()
    assert stats["posts_total"] == 200
    assert set(stats["posts_by_external_id"].values()) == {1}
