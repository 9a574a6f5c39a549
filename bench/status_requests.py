"""``bulk-scheduler status`` on a large campaign: how many requests per refreshed row?

A campaign of ``--rows`` rows is created in a sandbox (``bulk-scheduler run``), the
sandbox's publisher delivers every post (its clock advanced past the last one, with
``--fail-rate`` of the deliveries failing), and ``bulk-scheduler status`` refreshes every
row, twice: first with the creation-time windows the journal knows from when each row was
sent, then with the API's own creation times that the first refresh kept. A third round
puts as many posts of another campaign in the same windows (posts the lists must page
through). The sandbox counts the requests per route; the target is at most 0.05 requests
per refreshed row when the lists carry what is needed.

    .venv/bin/python bench/status_requests.py [--rows 2000] [--fail-rate 0.1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import _common as bench

TARGET_REQUESTS_PER_ROW = 0.05
TEN_YEARS_S = 10 * 365 * 86400
REFRESH_ROUTES = ("GET /posts", "GET /posts/{id}")


def cli(sandbox: bench.Sandbox, folder: Path, *args: str) -> dict[str, Any]:
    command = [*bench.CLI, *args, "--json", "--quiet"]
    done = subprocess.run(
        command,
        env=sandbox.client_env(),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(
            f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr}"
        ) from None


def routes(sandbox: bench.Sandbox) -> dict[str, int]:
    return dict(sandbox.stats()["requests_by_route"])


def measure(sandbox: bench.Sandbox, folder: Path, campaign: Path, label: str) -> list[object]:
    before = routes(sandbox)
    report = cli(sandbox, folder, "status", str(campaign))
    after = routes(sandbox)
    spent = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    refresh = sum(spent.get(name, 0) for name in REFRESH_ROUTES)
    rows = report["posts"]
    per_row = refresh / rows if rows else float("inf")
    bench.log(f"{label}: {rows} rows, {spent}")
    return [
        label,
        f"{rows:,}",
        spent.get("GET /posts", 0),
        spent.get("GET /posts/{id}", 0),
        spent.get("GET /accounts", 0),
        f"{per_row:.4f}",
        f"{(refresh + spent.get('GET /accounts', 0)) / rows:.4f}",
        bench.mark(per_row <= TARGET_REQUESTS_PER_ROW),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--fail-rate", type=float, default=0.1)
    args = parser.parse_args()
    table: list[list[object]] = []
    with bench.scratch_dir("status") as work, bench.sandbox_process() as sandbox:
        folder = work / "campaign"
        folder.mkdir()
        campaign = bench.write_campaign(
            folder / "campaign.csv", bench.campaign_rows(args.rows, seed_value=11)
        )
        bench.log(f"creating {args.rows} posts")
        created = cli(sandbox, folder, "run", str(campaign), "--yes", "--concurrency", "16")
        assert created["created"] == args.rows, created
        sandbox.set_faults(publish_fail_rate=args.fail_rate)
        published = sandbox._call("POST", "publish", {"advance_seconds": TEN_YEARS_S})
        bench.log(f"published: {published}")
        table.append(measure(sandbox, folder, campaign, "first status (windows from send times)"))
        table.append(measure(sandbox, folder, campaign, "again (the API's creation times)"))
        # Another campaign created at the same time: its posts share the windows.
        other = work / "other"
        other.mkdir()
        shutil.copyfile(campaign, other / "campaign.csv")
        noise = bench.write_campaign(
            other / "campaign.csv", bench.campaign_rows(args.rows, seed_value=12)
        )
        cli(sandbox, other, "run", str(noise), "--yes", "--concurrency", "16")
        table.append(
            measure(sandbox, folder, campaign, f"with {args.rows:,} other posts created since")
        )
    bench.print_report(
        f"`status` requests per refreshed row ({args.rows:,} rows)",
        [
            "refresh",
            "rows",
            "GET /posts",
            "GET /posts/{id}",
            "GET /accounts",
            "refresh requests / row",
            "all requests / row",
            f"≤ {TARGET_REQUESTS_PER_ROW}",
        ],
        table,
        [
            "refresh requests: GET /posts pages (at most 100 posts each, newest first, over "
            "creation-time windows; a full page ends the next at its oldest post) and "
            "GET /posts/{id} for posts the lists did not show; all requests add the one "
            "GET /accounts that reads the campaign as run did",
            f"the publisher delivered every post, {args.fail_rate:.0%} of the deliveries "
            "failing, so the statuses are a mix of posted, failed and partial",
            "the third round's other posts were created minutes after the campaign's, "
            "inside the first round's windows (send time ± 15 min) but outside the exact "
            "ones (the API's creation time ± 1 s)",
        ],
    )


if __name__ == "__main__":
    main()
