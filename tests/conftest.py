"""Shared fixtures: a real sandbox server on loopback, the official schema checker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from bulk_scheduler.sandbox.server import SandboxServer
from tests.official_schema import official_schema  # noqa: F401  (a fixture)

# CI explores the same examples on every run, so a landing never depends on luck;
# developers' runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = ROOT / "sample_campaigns"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox API served on an ephemeral loopback port."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def api_env(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    """Point the CLI at the running sandbox through the environment, as a user would."""
    monkeypatch.setenv("GENVIRAL_API_KEY", sandbox.api_key)
    monkeypatch.setenv("GENVIRAL_BASE_URL", sandbox.base_url)
    return sandbox


@pytest.fixture(autouse=True)
def _no_ambient_api(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never inherit a real key or URL from the machine."""
    monkeypatch.delenv("GENVIRAL_API_KEY", raising=False)
    monkeypatch.delenv("GENVIRAL_BASE_URL", raising=False)
