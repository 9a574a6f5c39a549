"""Writing an XLSX results sheet (the user's workbook plus the result columns) against
validating the same campaign offline.

For each size it generates an XLSX campaign, then, in fresh subprocesses:

- ``bulk-scheduler validate X.xlsx --offline``, timed as a whole process (start-up
  included), and ``validate_campaign(path, PlanOptions())`` timed after its imports;
- ``write_results`` of that campaign with an outcome for every row (``created``, with a
  post id, status, times, HTTP status), timed in-process around the call alone: the
  campaign is loaded first, as ``run`` has it loaded when it writes. Peak memory is that
  process's (campaign and outcomes included);
- the same write for the results workbook given as input again (result columns updated
  in place, every result cell compared and rewritten where it changed);
- with ``--fallback``, the new-workbook writer (openpyxl write-only) that the results
  sheet falls back to when a workbook cannot be copied, which was the only writer before.

    .venv/bin/python bench/results_xlsx.py [--rows 100000] [--repeat 3] [--fallback]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import _common as bench

TARGET_RATIO = 3.0  # results write / offline validation

# Each child prints one JSON line; the clock runs around the work only.
VALIDATE = """
import json, sys, time
from bulk_scheduler.checks.planner import PlanOptions
from bulk_scheduler.launch.dry_run import validate_campaign
started = time.perf_counter()
report = validate_campaign(sys.argv[1], PlanOptions())
print(json.dumps({"seconds": time.perf_counter() - started, "rows": len(report.planned)}))
"""
WRITE = """
import json, sys, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from bulk_scheduler.outcome import RowOutcome, RowResult
from bulk_scheduler.sheet.loader import load_campaign
from bulk_scheduler.sheet.results import write_results
source, target, writer = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
campaign = load_campaign(source)
sent = datetime(2031, 3, 1, 8, 0, tzinfo=UTC)
outcomes = {
    row.row_number: RowOutcome(
        row.row_number, f"bench-{row.row_number:06d}", RowResult.CREATED,
        post_id=f"post-{row.row_number:08d}", post_status="scheduled",
        scheduled_at_utc="2032-01-01T09:00:00Z", http_status=201, attempts=1,
        submitted_at=sent + timedelta(milliseconds=row.row_number),
    )
    for row in campaign.rows
}
if writer == "fallback":
    campaign.path = Path("(not a file)")  # no workbook to copy: the new-workbook writer
started = time.perf_counter()
write_results(campaign, outcomes, target)
seconds = time.perf_counter() - started
import python_calamine
with python_calamine.CalamineWorkbook.from_path(target) as book:
    sheet = book.get_sheet_by_index(0).to_python()
    tabs = book.sheet_names
last = sheet[-1][sheet[0].index("result")]
print(json.dumps({"seconds": seconds, "rows": len(sheet) - 1, "last": last, "tabs": tabs,
                  "bytes": target.stat().st_size}))
"""


@dataclass(slots=True)
class Timed:
    seconds: float
    peak_mb: float
    result: dict[str, object]


def timed(command: list[str]) -> Timed:
    measured = bench.run_measured(command, timeout=1800)
    if measured.returncode != 0:
        raise RuntimeError(f"child failed: {measured.stderr[-2000:]}")
    result = measured.json() if measured.stdout.strip().startswith("{") else {}
    return Timed(float(result.get("seconds", measured.wall_s)), measured.max_rss_mb, result)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=3, help="Rounds; medians are reported.")
    parser.add_argument(
        "--fallback",
        action="store_true",
        help="Also time the new-workbook writer (about 45 s per 100,000 rows).",
    )
    args = parser.parse_args()

    table: list[list[object]] = []
    with bench.scratch_dir("results-xlsx") as work:
        for rows in args.rows:
            bench.log(f"generating {rows:,} rows")
            campaign = bench.write_campaign_in_child(work / f"campaign-{rows}.xlsx", rows)
            runs: dict[str, list[Timed]] = {}
            for run in range(1, args.repeat + 1):
                # Each round runs every figure once, so a slow spell of the machine touches
                # one run of each rather than every run of one.
                bench.log(f"{rows:,} rows: round {run} of {args.repeat}")
                results = work / f"campaign-{rows}.results.xlsx"
                results.unlink(missing_ok=True)
                steps = {
                    "cli": [*bench.CLI, "validate", str(campaign), "--offline"],
                    "validate": [bench.PYTHON, "-c", VALIDATE, str(campaign)],
                    "write": [bench.PYTHON, "-c", WRITE, str(campaign), str(results), "copy"],
                    # The results workbook as a campaign: validated, then written again.
                    "validate again": [bench.PYTHON, "-c", VALIDATE, str(results)],
                    "rewrite": [bench.PYTHON, "-c", WRITE, str(results), str(results), "copy"],
                }
                if args.fallback:
                    fallback = work / "fallback.xlsx"
                    steps["fallback"] = [
                        bench.PYTHON, "-c", WRITE, str(campaign), str(fallback), "fallback"
                    ]  # fmt: skip
                for name, command in steps.items():
                    runs.setdefault(name, []).append(timed(command))
            table.append(_row(rows, runs))

    headers = [
        "rows",
        "validate --offline s (process)",
        "validate s (in-process)",
        "write s",
        "write ÷ validate",
        "write peak MB",
        "validate results s (in-process)",
        "write again s",
        "again ÷ validate results",
        "new-workbook writer s",
        "target",
    ]
    notes = [
        f"Medians of {args.repeat} rounds; peak MB is the largest of them. "
        "Campaign: bench/_common.py's rows (captions with emoji and new lines, 1-5 accounts, "
        "videos and slideshows, naive times with a timezone column), written by openpyxl "
        "write-only, so the sheet holds inline strings.",
        "validate --offline s (process): `python -m bulk_scheduler validate X.xlsx --offline`, "
        "wall time of the whole process (start-up included). validate s (in-process): "
        "`validate_campaign(path, PlanOptions())` in a fresh process, timed after its imports.",
        "write s: `write_results(campaign, outcomes, X.results.xlsx)` in a fresh process that "
        "has loaded the campaign and made an outcome per row (not timed); the clock runs "
        "around the call alone (the user's workbook copied part by part, the campaign tab "
        "streamed with the result columns added, styles, Summary tab, zip). write again s: "
        "the same for the results workbook given as input (columns updated in place), "
        "against validating that workbook (validate results s), which is what the user "
        "runs then.",
        "write ÷ validate divides by the in-process validation (the smaller figure, so the "
        f"stricter ratio); target ≤ {TARGET_RATIO:g}×.",
    ]
    if not args.fallback:
        notes.append("new-workbook writer: not run (`--fallback` times it).")
    bench.print_report("XLSX results sheet", headers, table, notes)


def _row(rows: int, runs: dict[str, list[Timed]]) -> list[object]:
    for run in runs["write"] + runs["rewrite"]:
        if run.result.get("rows", 0) < rows or run.result.get("last") != "created":
            raise RuntimeError(f"the results sheet is not what was written: {run.result}")
    seconds = {
        name: median([run.seconds for run in timed_runs]) for name, timed_runs in runs.items()
    }
    ratio = seconds["write"] / seconds["validate"]
    again = seconds["rewrite"] / seconds["validate again"]
    fallback = f"{seconds['fallback']:.1f}" if "fallback" in seconds else "–"
    peak = max(run.peak_mb for run in runs["write"] + runs["rewrite"])
    return [
        f"{rows:,}",
        f"{seconds['cli']:.2f}",
        f"{seconds['validate']:.2f}",
        f"{seconds['write']:.2f}",
        f"{ratio:.2f}×",
        f"{peak:.0f}",
        f"{seconds['validate again']:.2f}",
        f"{seconds['rewrite']:.2f}",
        f"{again:.2f}×",
        fallback,
        f"≤3× {bench.mark(ratio <= TARGET_RATIO and again <= TARGET_RATIO)}",
    ]


if __name__ == "__main__":
    main()
