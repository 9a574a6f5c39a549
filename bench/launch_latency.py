"""Launch throughput against an API with latency: does ``run`` keep C requests in flight?

With ``--concurrency C`` and a server that answers in L seconds, the most a client can
send is C / L rows per second. This runs ``bulk-scheduler run`` as a subprocess against
a sandbox process with ``--latency-ms`` for each C (fresh campaign copy, journal and
sandbox state each time) and reports the sending phase's throughput as a share of that
limit, and the client's CPU time per row.

    .venv/bin/python bench/launch_latency.py [--rows 2000] [--concurrency 8 32 64]
        [--latency-ms 100] [--repeat 1] [--profile C]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import _common as bench

TARGET_FRACTION = 0.90  # of C / latency, at C = 32
TARGET_FRACTION_AT = 32
TARGET_CPU_MS_PER_ROW = 1.0
# A 1-row run's CPU (start-up) varies by up to 0.3 s from run to run: the median of a few
# is subtracted, so that noise is not multiplied into the per-row figure.
STARTUP_RUNS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--repeat", type=int, default=1, help="Runs per C; the fastest counts.")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="C",
        help="Also run once at concurrency C under cProfile (against the sandbox) and print "
        "the top 10 functions.",
    )
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="Let the OS place the sandbox and the client; by default the sandbox gets the "
        "last CPU to itself, as if the API ran elsewhere.",
    )
    args = parser.parse_args()
    bench.pin_sandbox(not args.no_pin)

    table = []
    profile_notes: list[str] = []
    with bench.scratch_dir("latency") as work:
        campaign = bench.write_campaign(work / "campaign.csv", bench.campaign_rows(args.rows))
        one_row = bench.write_campaign(work / "one.csv", bench.campaign_rows(1))
        with bench.sandbox_process(latency_ms=args.latency_ms) as sandbox:
            bench.log(f"sandbox at {sandbox.base_url}; {STARTUP_RUNS} start-up runs (1 row each)")
            startups = [
                bench.run_campaign_cli(sandbox, one_row, work, concurrency=1).measured
                for _ in range(STARTUP_RUNS)
            ]
            baseline = statistics.median(m.cpu_s for m in startups)
            startup = (
                f"median {baseline:.2f} s CPU "
                f"({min(m.cpu_s for m in startups):.2f}-{max(m.cpu_s for m in startups):.2f}), "
                f"{statistics.median(m.wall_s for m in startups):.2f} s wall"
            )
            for concurrency in args.concurrency:
                bench.log(f"run: {args.rows} rows at concurrency {concurrency}")
                table.append(_measure(sandbox, campaign, work, concurrency, args, baseline))
            if args.profile:
                bench.log(f"profiling one run at concurrency {args.profile}")
                profile = work / "run.prof"
                bench.run_campaign_cli(
                    sandbox, campaign, work, concurrency=args.profile, profile_to=profile
                )
                profile_notes = _profile_notes(profile, args.profile)

    headers = [
        "C",
        "rows",
        "sending s",
        "rows/s",
        "limit C/latency",
        "% of limit",
        "run wall s",
        "client CPU ms/row",
        "sandbox CPU ms/row",
        "max in flight",
        "created",
        "targets",
    ]
    notes = [
        f"Sandbox process with --latency-ms {args.latency_ms:g}; campaign: {args.rows} CSV rows "
        f"(videos and slideshows, 1-5 accounts). Best of {args.repeat} run(s) per line.",
        bench.placement_note(),
        "sending s: the run's own `started_at` to `finished_at` (--json summary): sending and "
        "journalling, without start-up, validation and the results sheet. run wall s: the "
        f"whole process. {STARTUP_RUNS} 1-row runs (start-up; their median CPU is subtracted "
        "from the CPU figures): " + startup + ".",
        "client CPU ms/row: user+sys of the run process (os.wait4) minus the 1-row runs' median, "
        "divided by rows. sandbox CPU ms/row: the sandbox process's CPU during the run "
        "(/proc), divided by rows.",
        f"Targets: >= {TARGET_FRACTION:.0%} of C/latency at C={TARGET_FRACTION_AT}; client "
        f"CPU < {TARGET_CPU_MS_PER_ROW:g} ms/row.",
        *profile_notes,
    ]
    bench.print_report(
        f"Launch throughput with {args.latency_ms:g} ms API latency", headers, table, notes
    )


def _profile_notes(profile: Path, concurrency: int) -> list[str]:
    """The profile's top 10 functions by cumulative and by self time, as report notes."""
    notes = []
    for by in ("cumulative", "self"):
        lines = bench.top_functions(profile, by=by)
        notes.append(
            f"cProfile of one run at C={concurrency}, top 10 by {by} time:\n\n    "
            + "\n    ".join(lines)
        )
    return notes


def _measure(
    sandbox: bench.Sandbox,
    campaign: Path,
    work: Path,
    concurrency: int,
    args: argparse.Namespace,
    baseline_cpu_s: float,
) -> list[object]:
    best: tuple[bench.RunFigures, float, dict[str, object]] | None = None
    for _ in range(args.repeat):
        sandbox_cpu_before = bench.process_cpu_s(sandbox.process.pid)
        run = bench.run_campaign_cli(sandbox, campaign, work, concurrency=concurrency)
        sandbox_cpu = bench.process_cpu_s(sandbox.process.pid) - sandbox_cpu_before
        if best is None or run.sending_s < best[0].sending_s:
            best = (run, sandbox_cpu, sandbox.stats())
    assert best is not None
    run, sandbox_cpu, stats = best
    rows = args.rows
    throughput = rows / run.sending_s
    limit = concurrency / (args.latency_ms / 1000)
    fraction = throughput / limit
    cpu_ms = (run.measured.cpu_s - baseline_cpu_s) / rows * 1000
    checks = [f"CPU {bench.mark(cpu_ms < TARGET_CPU_MS_PER_ROW)}"]
    if concurrency == TARGET_FRACTION_AT:
        checks.insert(0, f"≥90% {bench.mark(fraction >= TARGET_FRACTION)}")
    return [
        concurrency,
        rows,
        f"{run.sending_s:.2f}",
        f"{throughput:.0f}",
        f"{limit:.0f}",
        f"{fraction:.0%}",
        f"{run.measured.wall_s:.2f}",
        f"{cpu_ms:.2f}",
        f"{sandbox_cpu / rows * 1000:.2f}",
        stats["max_in_flight"],
        run.created,
        " ".join(checks),
    ]


if __name__ == "__main__":
    main()
