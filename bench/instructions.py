"""Instructions per row of offline validation, counted by valgrind: a figure that the
machine's speed and its neighbours do not move, for comparing two trees.

On a small shared machine the same validation of the same file takes 30-50% longer in one
quarter of an hour than in the next (see bench/README.md), so a change worth 5% cannot be
seen in seconds. The instructions a process executes repeat to within a fraction of a
percent. Each figure is the difference between two runs under ``valgrind --tool=cachegrind``
(the same imports, with and without the work), divided by the rows. Instructions are not
time (a cache miss costs more than an addition), so the rows/s targets stay with
``validate_offline.py``; this says whether the code does less.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import _common as bench

# Each child does its imports, then the work only when given a file ("-": imports only).
VALIDATE = """
import sys
from bulk_scheduler.checks.planner import PlanOptions
from bulk_scheduler.launch.dry_run import validate_campaign
if sys.argv[1] != "-":
    validate_campaign(sys.argv[1], PlanOptions())
"""
READERS = {
    "csv.reader": """
import csv, sys
if sys.argv[1] != "-":
    with open(sys.argv[1], newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
""",
    "python_calamine": """
import sys
import python_calamine
if sys.argv[1] != "-":
    rows = python_calamine.CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()
""",
}
READER_BY_FORMAT = {"csv": "csv.reader", "xlsx": "python_calamine"}
# numpy (imported by openpyxl) starts BLAS threads that spin while idle, and their spinning
# counts; a fixed hash seed makes dict and set work repeat exactly.
CHILD_ENV = {"OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
_TOTAL = re.compile(r"I\s+refs:\s+([\d,]+)")


@cache  # the imports-only run of a child is the same for every format
def instructions(code: str, argument: str) -> int:
    """Instructions executed by ``python -c code argument``, all threads included."""
    completed = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            bench.PYTHON,
            "-c",
            code,
            argument,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **CHILD_ENV},
        check=False,
    )
    found = _TOTAL.search(completed.stderr)
    if completed.returncode != 0 or found is None:
        raise RuntimeError(f"valgrind run failed: {completed.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_row(code: str, path: Path, rows: int) -> float:
    """Instructions per row of the work ``code`` does on ``path``, imports excluded."""
    return (instructions(code, str(path)) - instructions(code, "-")) / rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--formats", nargs="+", choices=["csv", "xlsx"], default=["csv"])
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit(
            "bench/instructions.py: valgrind is not installed (apt-get install valgrind)"
        )

    table: list[list[object]] = []
    with bench.scratch_dir("instructions") as work:
        for fmt in args.formats:
            bench.log(f"{fmt}: generating {args.rows:,} rows")
            path = bench.write_campaign_in_child(work / f"campaign-{args.rows}.{fmt}", args.rows)
            bench.log(f"{fmt}: counting (four runs under valgrind, a minute or more each)")
            validate = per_row(VALIDATE, path, args.rows)
            reader = READER_BY_FORMAT[fmt]
            raw = per_row(READERS[reader], path, args.rows)
            table.append(
                [
                    fmt.upper(),
                    f"{args.rows:,}",
                    f"{validate:,.0f}",
                    f"{raw:,.0f} ({reader})",
                    f"{validate / raw:.1f}×",
                ]
            )
    notes = [
        "Campaign as in validate_offline.py. Each figure: the instructions of "
        "`python -c <child> <file>` minus those of the same child given no file (imports "
        "only), divided by the rows; `valgrind --tool=cachegrind --cache-sim=no`, every "
        "thread counted, with " + ", ".join(f"{k}={v}" for k, v in CHILD_ENV.items()) + ".",
        "validate: `validate_campaign(path, PlanOptions())`; raw read: the loader's engine "
        "alone (`list(csv.reader(file))`; python_calamine's `to_python()`).",
        "No target: rows/s is measured by validate_offline.py. Compare trees on the same "
        "machine and Python; the counts repeat to within about 0.1%.",
    ]
    bench.print_report(
        "Offline validation: instructions per row",
        ["format", "rows", "validate instr/row", "raw read instr/row", "validate ÷ raw"],
        table,
        notes,
    )


if __name__ == "__main__":
    main()
