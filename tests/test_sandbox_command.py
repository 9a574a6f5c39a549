"""`bulk-scheduler sandbox` as a user meets it: started from the shell, then spoken to
with the seed page's own curl example."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bulk_scheduler.sandbox import seed
from tests.test_sandbox import SEED_EXAMPLE_BODY


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bulk_scheduler", "sandbox", "--port", "0", "--seed", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Ctrl-C"):
            break
    text = "".join(lines)
    try:
        base_url = re.search(r"GENVIRAL_BASE_URL=(\S+)", text).group(1)  # type: ignore[union-attr]
        key = re.search(r"GENVIRAL_API_KEY=(\S+)", text).group(1)  # type: ignore[union-attr]
        yield base_url, key, text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def post(base_url: str, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST /posts the way the seed page does: with curl when the machine has it."""
    data = json.dumps(body)
    curl = shutil.which("curl")
    if curl is None:
        response = httpx.post(
            f"{base_url}/posts",
            content=data,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        return response.status_code, response.json()
    result = subprocess.run(
        [
            curl,
            "--silent",
            "--request",
            "POST",
            "--url",
            f"{base_url}/posts",
            "--header",
            f"Authorization: Bearer {key}",
            "--header",
            "Content-Type: application/json",
            "--data",
            data,
            "--write-out",
            "\n%{http_code}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    body_text, status = result.stdout.rsplit("\n", 1)
    return int(status), json.loads(body_text)


def future(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_command_prints_url_key_and_seeded_accounts(served: tuple[str, str, str]) -> None:
    base_url, key, text = served
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/partner/v1", base_url)
    assert key == seed.SANDBOX_API_KEY
    for account in seed.SEED_ACCOUNTS:
        assert account["id"] in text
    assert "inactive" in text


def test_the_seed_example_is_created_then_replayed(served: tuple[str, str, str]) -> None:
    base_url, key, _ = served
    body = {**SEED_EXAMPLE_BODY, "scheduled_at": future()}
    status, created = post(base_url, key, body)
    assert status == 201
    assert created["ok"] is True and created["code"] == 201
    assert set(created["data"]) >= {"id", "status", "scheduled_at", "warnings"}
    assert created["data"]["status"] == "scheduled"
    assert created["data"]["warnings"][0]["code"] == "VIDEO_DURATION_MISSING"
    status, replay = post(base_url, key, body)
    assert status == 200
    assert replay["data"]["duplicate"] is True
    assert replay["data"]["id"] == created["data"]["id"]


def test_an_invalid_media_host_is_unreachable(served: tuple[str, str, str]) -> None:
    base_url, key, _ = served
    body = {
        **SEED_EXAMPLE_BODY,
        "external_id": "unreachable-1",
        "scheduled_at": future(),
        "media": {"type": "video", "url": "https://cdn.example.invalid/holidays.mp4"},
    }
    status, answer = post(base_url, key, body)
    assert status == 400
    assert answer["ok"] is False and answer["error_code"] == "media_unreachable"


def test_the_command_refuses_a_non_loopback_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bulk_scheduler", "sandbox", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "loopback" in result.stderr
    assert "Traceback" not in result.stderr
