"""Launch against a rate-limited API: how close to the limit, and how many 429s?

The sandbox runs with ``--rate-limit R`` (requests per minute; a token bucket holding
2 s worth, the default) and no ``Retry-After``, so the client has to find the pace on
its own. ``bulk-scheduler run`` sends the campaign at concurrency 8, once without
``--rate`` and once with ``--rate R`` (the user tells it the limit). The best possible
time is N / R.

    .venv/bin/python bench/launch_rate_limited.py [--rows 600] [--rate-limit 1200]
        [--concurrency 8] [--repeat 3]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import _common as bench

TARGET_TIME_FACTOR = 1.15  # of N / R
TARGET_429_SHARE = 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=600)
    parser.add_argument("--rate-limit", type=int, default=1200, help="Requests per minute.")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="Runs of each client, one line each: the back-off after a 429 is randomised, "
        "so runs differ.",
    )
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="Let the OS place the sandbox and the client; by default the sandbox gets the "
        "last CPU to itself, as if the API ran elsewhere.",
    )
    args = parser.parse_args()
    bench.pin_sandbox(not args.no_pin)

    ideal = args.rows / (args.rate_limit / 60)
    table = []
    with bench.scratch_dir("ratelimit") as work:
        campaign = bench.write_campaign(work / "campaign.csv", bench.campaign_rows(args.rows))
        with bench.sandbox_process(rate_limit=args.rate_limit) as sandbox:
            for rate in (None, float(args.rate_limit)):
                told = f"--rate {rate:g}" if rate else "no --rate"
                for attempt in range(1, args.repeat + 1):
                    bench.log(f"run {attempt}: {args.rows} rows, C={args.concurrency}, {told}")
                    table.append(_measure(sandbox, campaign, work, args, rate, ideal, told))

    headers = [
        "client",
        "rows",
        "sending s",
        "ideal N/R s",
        "× ideal",
        "requests",
        "429s",
        "429 share",
        "created",
        "run wall s",
        "targets",
    ]
    notes = [
        f"Sandbox process with --rate-limit {args.rate_limit} per minute over all API routes "
        "(token bucket of 2 s worth, full at the start), no Retry-After; no latency. Campaign: "
        f"{args.rows} CSV rows. One line per run ({args.repeat} runs of each client): the "
        "client's pause after a 429 has random jitter, so runs differ.",
        bench.placement_note(),
        "sending s: the run's own `started_at` to `finished_at` (--json summary), without "
        "start-up, validation and the results sheet. Requests and 429s are the sandbox's "
        "counts (`/__sandbox/stats`), the start-up `GET /accounts` included.",
        f"Targets: sending time <= {TARGET_TIME_FACTOR:g} × N/R; <= {TARGET_429_SHARE:.0%} of "
        "requests answered 429. The full bucket at the start lets the first "
        f"{max(1, args.rate_limit * 2 // 60)} requests through at once, so slightly under "
        "N/R is possible.",
    ]
    bench.print_report(
        f"Launch against a limit of {args.rate_limit} requests/minute", headers, table, notes
    )


def _measure(
    sandbox: bench.Sandbox,
    campaign: Path,
    work: Path,
    args: argparse.Namespace,
    rate: float | None,
    ideal: float,
    told: str,
) -> list[object]:
    run = bench.run_campaign_cli(sandbox, campaign, work, concurrency=args.concurrency, rate=rate)
    stats = sandbox.stats()
    statuses: dict[str, int] = stats["responses_by_status"]
    answered = sum(statuses.values())
    limited = statuses.get("429", 0)
    share = limited / answered if answered else 0.0
    factor = run.sending_s / ideal
    return [
        f"C={args.concurrency}, {told}",
        args.rows,
        f"{run.sending_s:.1f}",
        f"{ideal:.1f}",
        f"{factor:.2f}×",
        answered,
        limited,
        f"{share:.1%}",
        run.created,
        f"{run.measured.wall_s:.1f}",
        f"≤1.15× {bench.mark(factor <= TARGET_TIME_FACTOR)} "
        f"≤5% 429 {bench.mark(share <= TARGET_429_SHARE)}",
    ]


if __name__ == "__main__":
    main()
