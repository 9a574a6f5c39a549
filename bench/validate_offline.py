"""Offline validation speed and memory, beside a raw read of the same file.

For each size and format it generates a campaign, then times
``validate_campaign(path, PlanOptions())`` in a fresh subprocess (so the peak memory is
that run's alone) and, also in fresh subprocesses, a raw read of the same file:
``pandas.read_csv(dtype=str)`` and the stdlib ``csv.reader`` (the loader's own engine)
for CSV; ``python_calamine`` directly (the loader's own engine) and
``pandas.read_excel(engine="calamine")`` for XLSX.

    .venv/bin/python bench/validate_offline.py [--rows 10000 100000] [--formats csv xlsx]
        [--repeat 1] [--profile FORMAT]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import _common as bench

TARGET_CSV_ROWS_PER_S = 50_000
TARGET_XLSX_RATIO = 3.0  # validate time / raw read time (python_calamine)
TARGET_PEAK_MB = 500
TARGET_PEAK_AT_ROWS = 100_000

# Each child prints one JSON line. The clock starts after the imports, so the figure is
# the work on the file, not the interpreter's start-up; peak memory covers everything.
VALIDATE = """
import json, sys, time
from bulk_scheduler.checks.planner import PlanOptions
from bulk_scheduler.launch.dry_run import validate_campaign
started = time.perf_counter()
report = validate_campaign(sys.argv[1], PlanOptions())
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "rows": len(report.planned),
                  "errors": report.error_count, "warnings": report.warning_count,
                  "valid": len(report.valid_rows)}))
"""
READERS = {
    "pandas.read_csv": """
import json, sys, time
import pandas
started = time.perf_counter()
frame = pandas.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
print(json.dumps({"seconds": time.perf_counter() - started, "rows": len(frame)}))
""",
    "csv.reader": """
import csv, json, sys, time
started = time.perf_counter()
with open(sys.argv[1], encoding="utf-8-sig", newline="") as handle:
    rows = list(csv.reader(handle))
print(json.dumps({"seconds": time.perf_counter() - started, "rows": len(rows) - 1}))
""",
    "python_calamine": """
import json, sys, time
import python_calamine
started = time.perf_counter()
book = python_calamine.CalamineWorkbook.from_path(sys.argv[1])
rows = book.get_sheet_by_index(0).to_python()
print(json.dumps({"seconds": time.perf_counter() - started, "rows": len(rows) - 1}))
""",
    "pandas.read_excel": """
import json, sys, time
import pandas
started = time.perf_counter()
frame = pandas.read_excel(sys.argv[1], engine="calamine", dtype=object)
print(json.dumps({"seconds": time.perf_counter() - started, "rows": len(frame)}))
""",
}
# (reader the target compares with, the other reader shown for context)
READERS_BY_FORMAT = {
    "csv": ("pandas.read_csv", "csv.reader"),
    "xlsx": ("python_calamine", "pandas.read_excel"),
}
CHILDREN = {"validate": VALIDATE, **READERS}


@dataclass(slots=True)
class Timed:
    seconds: float
    peak_mb: float
    result: dict[str, object]


def timed_child(code: str, path: Path) -> Timed:
    """One fresh process running ``code`` on ``path``."""
    measured = bench.run_measured([bench.PYTHON, "-c", code, str(path)])
    if measured.returncode != 0:
        raise RuntimeError(f"child failed on {path.name}: {measured.stderr[-2000:]}")
    result = measured.json()
    return Timed(result["seconds"], measured.max_rss_mb, result)


def keep_best(best: dict[tuple[Path, str], Timed], key: tuple[Path, str], run: Timed) -> None:
    """Keep the fastest run under ``key``, with the largest peak memory of all its runs."""
    found = best.get(key)
    if found is None:
        best[key] = run
        return
    peak = max(found.peak_mb, run.peak_mb)
    if run.seconds < found.seconds:
        best[key] = run
    best[key].peak_mb = peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--formats", nargs="+", choices=["csv", "xlsx"], default=["csv", "xlsx"])
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="Rounds over every file; the best run of each figure counts.",
    )
    parser.add_argument(
        "--profile",
        choices=["csv", "xlsx"],
        help="Also profile one validation of the largest campaign in this format "
        "(cProfile, then tracemalloc).",
    )
    args = parser.parse_args()

    table: list[list[object]] = []
    profile_notes: list[str] = []
    with bench.scratch_dir("validate") as work:
        campaigns: list[tuple[Path, str, int]] = []
        for rows in args.rows:
            for fmt in args.formats:
                bench.log(f"{fmt}: generating {rows:,} rows")
                path = bench.write_campaign_in_child(work / f"campaign-{rows}.{fmt}", rows)
                campaigns.append((path, fmt, rows))
        # Repeats go round every file in turn, and each validation sits beside the raw reads
        # of the same file: the machine's speed drifts over minutes, so a slow spell then
        # touches one run of several figures rather than every run of one.
        best: dict[tuple[Path, str], Timed] = {}
        for run in range(1, args.repeat + 1):
            for path, fmt, rows in campaigns:
                bench.log(f"{fmt}: validating {rows:,} rows (run {run} of {args.repeat})")
                for name in ("validate", *READERS_BY_FORMAT[fmt]):
                    keep_best(best, (path, name), timed_child(CHILDREN[name], path))
        table = [_measure(best, path, fmt, rows) for path, fmt, rows in campaigns]
        if args.profile:
            rows = max(args.rows)
            path = work / f"campaign-{rows}.{args.profile}"
            if not path.exists():
                bench.write_campaign_in_child(path, rows)
            bench.log(f"profiling validation of {path.name}")
            profile_notes = _profile(path, work / "validate.prof")

    headers = [
        "format",
        "rows",
        "validate s",
        "rows/s",
        "peak MB",
        "raw read s",
        "validate ÷ raw",
        "other raw read s",
        "raw read peak MB",
        "targets",
    ]
    notes = [
        "Campaign: captions with emoji and new lines, 1-5 seed accounts, 60% videos and 40% "
        "slideshows of 2-10 images, naive times with a timezone column, external ids on 90% of "
        "rows; every row valid. XLSX written by openpyxl (write-only).",
        "validate s: `validate_campaign(path, PlanOptions())` (load, plan, validate), timed in a "
        "fresh process after its imports. peak MB: that process's maximum RSS (os.wait4), "
        f"imports included. Each figure is the best of {args.repeat} run(s), taken in rounds "
        "over every file (peak MB: the largest).",
        "raw read: CSV `pandas.read_csv(path, dtype=str, keep_default_na=False)` (other: stdlib "
        "`csv.reader`, which the loader uses); XLSX `python_calamine` "
        "`CalamineWorkbook.get_sheet_by_index(0).to_python()`, the loader's engine (other: "
        '`pandas.read_excel(engine="calamine", dtype=object)`).',
        f"Targets: CSV >= {TARGET_CSV_ROWS_PER_S:,} rows/s; XLSX validate <= "
        f"{TARGET_XLSX_RATIO:g}× the python_calamine read; peak memory < {TARGET_PEAK_MB} MB "
        f"at {TARGET_PEAK_AT_ROWS:,} rows.",
        *profile_notes,
    ]
    bench.print_report("Offline validation", headers, table, notes)


def _measure(best: dict[tuple[Path, str], Timed], path: Path, fmt: str, rows: int) -> list[object]:
    validated = best[(path, "validate")]
    if validated.result["rows"] != rows or validated.result["errors"]:
        raise RuntimeError(f"{path.name}: expected {rows} valid rows, got {validated.result}")
    main_reader, other_reader = READERS_BY_FORMAT[fmt]
    raw = best[(path, main_reader)]
    other = best[(path, other_reader)]
    speed = rows / validated.seconds
    ratio = validated.seconds / raw.seconds
    checks = []
    if fmt == "csv":
        checks.append(f"≥50k rows/s {bench.mark(speed >= TARGET_CSV_ROWS_PER_S)}")
    else:
        checks.append(f"≤3× read {bench.mark(ratio <= TARGET_XLSX_RATIO)}")
    if rows >= TARGET_PEAK_AT_ROWS:
        checks.append(f"<500 MB {bench.mark(validated.peak_mb < TARGET_PEAK_MB)}")
    return [
        fmt.upper(),
        f"{rows:,}",
        f"{validated.seconds:.2f}",
        f"{speed:,.0f}",
        f"{validated.peak_mb:.0f}",
        f"{raw.seconds:.3f} ({main_reader})",
        f"{ratio:.1f}×",
        f"{other.seconds:.3f} ({other_reader})",
        f"{raw.peak_mb:.0f}",
        " ".join(checks),
    ]


def _profile(path: Path, profile: Path) -> list[str]:
    code = (
        "import cProfile, sys\n"
        "from bulk_scheduler.checks.planner import PlanOptions\n"
        "from bulk_scheduler.launch.dry_run import validate_campaign\n"
        f"cProfile.run('validate_campaign(sys.argv[1], PlanOptions())', {str(profile)!r})\n"
    )
    measured = bench.run_measured([bench.PYTHON, "-c", code, str(path)])
    if measured.returncode != 0:
        raise RuntimeError(f"profiling failed: {measured.stderr[-2000:]}")
    notes = []
    for by in ("cumulative", "self"):
        lines = bench.top_functions(profile, by=by)
        notes.append(
            f"cProfile of validating {path.name}, top 10 by {by} time (profiler overhead "
            "included):\n\n    " + "\n    ".join(lines)
        )
    measured = bench.run_measured([bench.PYTHON, "-c", MEMORY, str(path)])
    if measured.returncode != 0:
        raise RuntimeError(f"tracemalloc run failed: {measured.stderr[-2000:]}")
    memory = measured.json()
    lines = [f"{mb:8.1f} MB  {where}" for where, mb in memory["top"]]
    notes.append(
        f"tracemalloc of validating {path.name}: {memory['peak_mb']:.0f} MB peak of Python "
        f"allocations, {memory['retained_mb']:.0f} MB still held by the report; the 10 lines "
        "holding the most of it:\n\n    " + "\n    ".join(lines)
    )
    return notes


# Memory held once the report exists, by the line that allocated it (what the report
# keeps alive is what makes the peak at 100,000 rows).
MEMORY = """
import json, os, sys, tracemalloc
tracemalloc.start()
import bulk_scheduler
from bulk_scheduler.checks.planner import PlanOptions
from bulk_scheduler.launch.dry_run import validate_campaign
# Files are named from the tree's root, wherever the tree was checked out.
root = os.path.dirname(os.path.dirname(os.path.abspath(bulk_scheduler.__file__))) + os.sep
report = validate_campaign(sys.argv[1], PlanOptions())
retained, peak = tracemalloc.get_traced_memory()
stats = tracemalloc.take_snapshot().statistics("lineno")[:10]
top = []
for stat in stats:
    frame = stat.traceback[0]
    name = frame.filename.split("/site-packages/")[-1].removeprefix(root)
    top.append([f"{name}:{frame.lineno}", stat.size / 2**20])
print(json.dumps({"peak_mb": peak / 2**20, "retained_mb": retained / 2**20, "top": top}))
"""


if __name__ == "__main__":
    main()
