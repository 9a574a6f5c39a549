"""Messages name what is at fault: the option, the file, the limit, the valid values."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bulk_scheduler.cli.commands import cli
from tests.conftest import SAMPLES

VIDEO = str(SAMPLES / "video_campaign.csv")


def run_cli(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output.splitlines()


@pytest.mark.parametrize(
    ("zone", "suggestion"),
    [
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("europe/paris", "Europe/Paris"),
    ],
)
def test_a_mistyped_timezone_option_gets_the_zone_it_likely_means(
    zone: str, suggestion: str
) -> None:
    status, lines = run_cli("validate", VIDEO, "--offline", "--timezone", zone)
    assert status == 2
    assert lines == [
        f"Error: --timezone: '{zone}' is not an IANA time zone name; did you mean {suggestion}?"
    ]


def test_too_many_rows_names_the_option_that_raises_the_limit() -> None:
    status, lines = run_cli("validate", VIDEO, "--offline", "--max-rows", "1")
    assert status == 2
    assert lines == [
        f"Error: {VIDEO}: more than 1 data rows (the limit is 1); split the file or raise "
        "the limit with --max-rows"
    ]


def test_an_unknown_option_value_lists_the_valid_ones() -> None:
    status, lines = run_cli("validate", VIDEO, "--offline", "--date-format", "ymd")
    assert status == 2
    assert (
        lines[-1] == "Error: Invalid value for '--date-format': 'ymd' is not one of 'dmy', 'mdy'."
    )


def test_a_report_of_an_unknown_kind_lists_the_kinds(tmp_path: Path) -> None:
    status, lines = run_cli("validate", VIDEO, "--offline", "--report", str(tmp_path / "r.txt"))
    assert status == 2
    assert lines == ["Error: --report r.txt: use a .csv, .xlsx, .json or .html file"]
