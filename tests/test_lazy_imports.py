"""What a command loads: a dry run offline on a CSV loads neither pandas nor any HTTP
library, so it starts fast and works where those are broken or absent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SAMPLES

HTTP_LIBRARIES = ("httpx", "httpcore", "h11", "anyio", "aiohttp", "urllib3", "requests")

RUN_CLI_AND_LIST_MODULES = """
import atexit, json, sys
out, argv = sys.argv[1], sys.argv[2:]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["bulk-scheduler", *argv]
from bulk_scheduler.cli.commands import main
main()
"""


def modules_loaded_by(tmp_path: Path, *argv: str) -> tuple[int, set[str]]:
    listing = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI_AND_LIST_MODULES, str(listing), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, set(json.loads(listing.read_text()))


def top_level(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


def test_validate_offline_on_a_csv_loads_no_pandas_and_no_http_library(tmp_path: Path) -> None:
    status, modules = modules_loaded_by(
        tmp_path, "validate", str(SAMPLES / "mixed_campaign.csv"), "--offline"
    )
    assert status in (0, 1)
    assert "bulk_scheduler.checks.rules" in modules  # it did validate
    assert not top_level(modules) & {"pandas", "numpy", *HTTP_LIBRARIES}


def test_the_online_commands_do_load_the_http_library(tmp_path: Path) -> None:
    """The check above can fail: the same listing shows httpx once a command goes online."""
    status, modules = modules_loaded_by(
        tmp_path, "validate", str(SAMPLES / "mixed_campaign.csv"), "--sandbox"
    )
    assert status in (0, 1)
    assert "httpx" in top_level(modules)
