"""The sandbox's control endpoints are documented, and the documents are true.

`bulk-scheduler sandbox --help` names each endpoint and its fields; README.md's "The
sandbox" section has one curl example per endpoint with its answer, and each example is
parsed out of README.md and sent to a real sandbox, so the page cannot drift from it.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from bulk_scheduler.cli.commands import cli
from bulk_scheduler.sandbox.config import FAULT_FIELDS
from bulk_scheduler.sandbox.server import SandboxServer
from bulk_scheduler.sandbox.state import SandboxState
from tests.conftest import ROOT

STATS_FIELDS = tuple(SandboxState().stats())
ENDPOINTS = (
    "GET /__sandbox/stats",
    "POST /__sandbox/reset",
    "POST /__sandbox/faults",
    "POST /__sandbox/publish",
)
# The address the examples use: `bulk-scheduler sandbox` with its default port.
DOCUMENTED_ROOT = "http://127.0.0.1:8787"


@dataclass(frozen=True)
class Example:
    """One curl line of the README and the answer printed under it."""

    method: str
    url: str
    headers: dict[str, str]
    body: str | None
    answer: Any


def sandbox_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## The sandbox\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def parse_curl(command: str) -> tuple[str, str, dict[str, str], str | None]:
    """(method, URL, headers, body) of a curl command line, for the options the README
    uses; any other option fails the test, so the README keeps to what is checked."""
    words = shlex.split(command)
    assert words[0] == "curl", command
    method, url, headers, body = "GET", "", {}, None
    position = 1
    while position < len(words):
        word = words[position]
        if word in ("-s", "--silent"):
            position += 1
            continue
        if word in ("-X", "--request", "-H", "--header", "-d", "--data"):
            value = words[position + 1]
            if word in ("-X", "--request"):
                method = value
            elif word in ("-H", "--header"):
                name, _, header_value = value.partition(":")
                headers[name.strip()] = header_value.strip()
            else:
                body = value
            position += 2
            continue
        assert not word.startswith("-"), f"{word}: an option these tests do not read"
        url = word
        position += 1
    if body is not None and method == "GET":
        method = "POST"  # as curl does with --data
    return method, url, headers, body


def readme_examples() -> dict[str, Example]:
    """Each console block of the sandbox section that calls a control endpoint, by
    "METHOD /path"."""
    examples: dict[str, Example] = {}
    for block in re.findall(r"```console\n(.*?)```", sandbox_section(), flags=re.DOTALL):
        command, _, answer = block.partition("\n")
        assert command.startswith("$ curl "), block
        method, url, headers, body = parse_curl(command.removeprefix("$ "))
        path = url.removeprefix(DOCUMENTED_ROOT)
        assert path.startswith("/__sandbox/"), url
        examples[f"{method} {path}"] = Example(method, url, headers, body, json.loads(answer))
    return examples


EXAMPLES = readme_examples()


def send(example: Example, sandbox: SandboxServer) -> httpx.Response:
    """The example's request, sent to ``sandbox`` instead of the documented address."""
    return httpx.request(
        example.method,
        example.url.replace(DOCUMENTED_ROOT, sandbox.root_url),
        headers=example.headers,
        content=example.body,
        trust_env=False,
    )


# --- the README ------------------------------------------------------------------------


def test_the_readme_has_one_example_per_control_endpoint() -> None:
    assert list(EXAMPLES) == list(ENDPOINTS)


def test_the_readme_describes_every_field() -> None:
    section = sandbox_section()
    for field in (*STATS_FIELDS, *FAULT_FIELDS):
        assert f"| `{field}` |" in section, field


def test_each_readme_example_answers_as_documented(sandbox: SandboxServer) -> None:
    """In the README's order: stats (fresh, so its counts differ from the example's, but
    not its fields), reset, then faults (whose answer is the example's, exactly)."""
    stats = send(EXAMPLES["GET /__sandbox/stats"], sandbox)
    assert stats.status_code == 200
    documented = EXAMPLES["GET /__sandbox/stats"].answer
    assert list(stats.json()) == list(documented) == list(STATS_FIELDS)
    for field, value in stats.json().items():
        assert type(value) is type(documented[field]), field

    reset = send(EXAMPLES["POST /__sandbox/reset"], sandbox)
    assert (reset.status_code, reset.json()) == (200, EXAMPLES["POST /__sandbox/reset"].answer)

    faults = send(EXAMPLES["POST /__sandbox/faults"], sandbox)
    assert (faults.status_code, faults.json()) == (200, EXAMPLES["POST /__sandbox/faults"].answer)
    assert set(faults.json()["faults"]) == FAULT_FIELDS
    assert sandbox.config.error_rate == 0.2 and sandbox.config.retry_after

    publish = send(EXAMPLES["POST /__sandbox/publish"], sandbox)
    documented = EXAMPLES["POST /__sandbox/publish"].answer
    assert publish.status_code == 200
    assert {k: v for k, v in publish.json().items() if k != "now"} == {
        k: v for k, v in documented.items() if k != "now"
    }
    assert list(publish.json()) == list(documented)


def test_the_stats_example_counts_what_the_readme_says_it_does(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    """After a run of the sample campaign, as in the README, the example's counts are the
    sandbox's."""
    campaign = shutil.copy(ROOT / "sample_campaigns" / "video_campaign.csv", tmp_path)
    result = CliRunner().invoke(cli, ["run", str(campaign), "--yes", "--quiet"])
    assert result.exit_code == 0, result.output

    answer = send(EXAMPLES["GET /__sandbox/stats"], api_env).json()
    documented = EXAMPLES["GET /__sandbox/stats"].answer
    for field, value in documented.items():
        if isinstance(value, dict):  # trimmed in the README: its entries are the sandbox's
            assert value.items() <= answer[field].items(), field
        elif field not in ("max_in_flight", "now"):  # the machine's pace, and its clock
            assert answer[field] == value, field


# --- the help ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def help_text() -> str:
    result = CliRunner().invoke(cli, ["sandbox", "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_help_names_each_control_endpoint(help_text: str) -> None:
    for endpoint in ENDPOINTS:
        assert endpoint in help_text, endpoint
    assert 'returns {"ok": true}' in help_text
    assert 'It returns {"ok": true, "faults": {...}}' in help_text
    assert '400 {"ok": false, "message": ...}' in help_text


def test_the_help_names_every_stats_and_fault_field(help_text: str) -> None:
    fields = set(re.findall(r"^ {4}(\w+)(?:, (\w+))?:", help_text, flags=re.MULTILINE))
    named = {name for pair in fields for name in pair if name}
    assert set(STATS_FIELDS) | FAULT_FIELDS == named


def test_the_help_has_a_curl_example_per_endpoint(help_text: str) -> None:
    assert "$ curl -s http://127.0.0.1:8787/__sandbox/stats\n" in help_text
    assert "$ curl -s -X POST http://127.0.0.1:8787/__sandbox/reset\n" in help_text
    assert "$ curl -s -X POST http://127.0.0.1:8787/__sandbox/faults \\\n" in help_text
    assert "$ curl -s -X POST http://127.0.0.1:8787/__sandbox/publish \\\n" in help_text


def test_the_help_keeps_to_80_columns(help_text: str) -> None:
    assert max(len(line) for line in help_text.splitlines()) <= 80
