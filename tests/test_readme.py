"""The README's main job prints what the README shows."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulk_scheduler.cli.commands import cli
from tests.conftest import ROOT, SAMPLES


def shown_in_readme() -> tuple[list[str], list[str]]:
    """The command and the lines of the README's "What the main job prints" block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## What the main job prints", 1)[1]
    block = section.split("```text\n", 1)[1].split("```", 1)[0]
    command, *lines = block.splitlines()
    return command.removeprefix("$ bulk-scheduler ").split(), lines


def test_the_main_job_prints_what_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args, expected = shown_in_readme()
    shutil.copytree(SAMPLES, tmp_path / "sample_campaigns")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    printed = [
        re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", line) for line in result.output.splitlines()
    ]
    assert printed == expected
