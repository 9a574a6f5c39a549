"""Launch throughput against an API with latency: does ``run`` keep C requests in flight?

With ``--concurrency C`` and a server that answers in L seconds, the most a client can
send is C / L rows per second. This runs ``bulk-scheduler run`` as a subprocess against
a sandbox process with ``--latency-ms`` for each C (fresh campaign copy, journal and
sandbox state each time) and reports, as shares of that limit, the sending phase's
throughput and the whole command's (process start-up, accounts, validation, sending and
the results sheet: the time N rows at C / L would take, over the process's wall time),
and the client's CPU time per row. ``--loops uvloop asyncio`` runs each C on both loops.

    .venv/bin/python bench/launch_latency.py [--rows 2000] [--concurrency 8 32 64]
        [--latency-ms 100] [--repeat 1] [--loops uvloop] [--profile C]
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass
from pathlib import Path

import _common as bench

TARGET_FRACTION = 0.90  # the sending phase, of C / latency, at C = 32
TARGET_WHOLE_FRACTION = 0.85  # the whole `run` process, of C / latency, at C = 32
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
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="Runs per C (and loop), taken in turns; each figure is the median of the runs.",
    )
    parser.add_argument(
        "--loops",
        nargs="+",
        choices=bench.LOOPS,
        default=["uvloop"],
        help="Event loops to run the command on: uvloop (its own, where installed) and/or "
        "asyncio's (uvloop hidden).",
    )
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
            baselines: dict[str, float] = {}
            startup_notes = []
            for loop in args.loops:
                startups = [
                    bench.run_campaign_cli(sandbox, one_row, work, concurrency=1, loop=loop)
                    for _ in range(STARTUP_RUNS)
                ]
                cpu = [run.measured.cpu_s for run in startups]
                baselines[loop] = statistics.median(cpu)
                startup_notes.append(
                    f"{loop}: median {baselines[loop]:.2f} s CPU ({min(cpu):.2f}-{max(cpu):.2f}), "
                    f"{statistics.median(run.measured.wall_s for run in startups):.2f} s wall"
                )
            startup = "; ".join(startup_notes)
            # Runs taken in turns (every C and loop once, then again), so a slow spell of
            # the machine weighs on every line alike.
            runs: dict[tuple[int, str], list[_Run]] = {}
            for attempt in range(1, args.repeat + 1):
                for concurrency in args.concurrency:
                    for loop in args.loops:
                        bench.log(
                            f"run {attempt}/{args.repeat}: {args.rows} rows at concurrency "
                            f"{concurrency} on {loop}"
                        )
                        runs.setdefault((concurrency, loop), []).append(
                            _run(sandbox, campaign, work, concurrency, loop)
                        )
            for (concurrency, loop), done in runs.items():
                table.append(_line(done, concurrency, loop, args, baselines[loop]))
            if args.profile:
                bench.log(f"profiling one run at concurrency {args.profile}")
                profile = work / "run.prof"
                bench.run_campaign_cli(
                    sandbox, campaign, work, concurrency=args.profile, profile_to=profile
                )
                profile_notes = _profile_notes(profile, args.profile)

    headers = [
        "C",
        "loop",
        "runs",
        "sending s",
        "rows/s",
        "limit C/latency",
        "sending, % of limit",
        "run wall s",
        "whole run, % of limit",
        "client CPU ms/row",
        "sandbox CPU ms/row",
        "max in flight",
        "created",
        "targets",
    ]
    notes = [
        f"Sandbox process with --latency-ms {args.latency_ms:g}; campaign: {args.rows} CSV rows "
        f"(videos and slideshows, 1-5 accounts). Each figure is the median of {args.repeat} "
        "run(s), the runs of every line taken in turns; the two shares give the range of the "
        "runs in brackets when there are several.",
        bench.placement_note(),
        "sending s: the run's own `started_at` to `finished_at` (--json summary): sending and "
        "journalling, without start-up, validation and the results sheet. run wall s: the "
        "whole process (start-up, `GET /accounts`, validation, sending, results sheet); whole "
        "run % of limit: rows / (C/latency) over it. "
        f"{STARTUP_RUNS} 1-row runs per loop (start-up; their median CPU is subtracted from the "
        "CPU figures): " + startup + ".",
        "client CPU ms/row: user+sys of the run process (os.wait4) minus the 1-row runs' median, "
        "divided by rows. sandbox CPU ms/row: the sandbox process's CPU during the run "
        "(/proc), divided by rows.",
        f"Targets at C={TARGET_FRACTION_AT}: sending >= {TARGET_FRACTION:.0%} of C/latency, the "
        f"whole run >= {TARGET_WHOLE_FRACTION:.0%}; client CPU < {TARGET_CPU_MS_PER_ROW:g} "
        "ms/row at every C.",
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


@dataclass(frozen=True, slots=True)
class _Run:
    figures: bench.RunFigures
    sandbox_cpu_s: float
    max_in_flight: int


def _run(sandbox: bench.Sandbox, campaign: Path, work: Path, concurrency: int, loop: str) -> _Run:
    sandbox_cpu_before = bench.process_cpu_s(sandbox.process.pid)
    figures = bench.run_campaign_cli(sandbox, campaign, work, concurrency=concurrency, loop=loop)
    sandbox_cpu = bench.process_cpu_s(sandbox.process.pid) - sandbox_cpu_before
    return _Run(figures, sandbox_cpu, int(sandbox.stats()["max_in_flight"]))


def _share(values: list[float]) -> str:
    """The median share, and the range of the runs when there are several."""
    median = f"{statistics.median(values):.1%}"
    if len(values) == 1:
        return median
    return f"{median} ({min(values):.1%}-{max(values):.1%})"


def _line(
    runs: list[_Run],
    concurrency: int,
    loop: str,
    args: argparse.Namespace,
    baseline_cpu_s: float,
) -> list[object]:
    rows = args.rows
    limit = concurrency / (args.latency_ms / 1000)
    ideal_s = rows / limit
    sending = [r.figures.sending_s for r in runs]
    fractions = [ideal_s / s for s in sending]
    wholes = [ideal_s / r.figures.measured.wall_s for r in runs]
    cpu_ms = statistics.median(
        (r.figures.measured.cpu_s - baseline_cpu_s) / rows * 1000 for r in runs
    )
    checks = [f"CPU {bench.mark(cpu_ms < TARGET_CPU_MS_PER_ROW)}"]
    if concurrency == TARGET_FRACTION_AT:
        sending_ok = statistics.median(fractions) >= TARGET_FRACTION
        whole_ok = statistics.median(wholes) >= TARGET_WHOLE_FRACTION
        checks[:0] = [
            f"sending ≥{TARGET_FRACTION:.0%} {bench.mark(sending_ok)}",
            f"whole ≥{TARGET_WHOLE_FRACTION:.0%} {bench.mark(whole_ok)}",
        ]
    return [
        concurrency,
        loop,
        len(runs),
        f"{statistics.median(sending):.2f}",
        f"{rows / statistics.median(sending):.0f}",
        f"{limit:.0f}",
        _share(fractions),
        f"{statistics.median(r.figures.measured.wall_s for r in runs):.2f}",
        _share(wholes),
        f"{cpu_ms:.2f}",
        f"{statistics.median(r.sandbox_cpu_s for r in runs) / rows * 1000:.2f}",
        max(r.max_in_flight for r in runs),
        min(r.figures.created for r in runs),
        " ".join(checks),
    ]


if __name__ == "__main__":
    main()
