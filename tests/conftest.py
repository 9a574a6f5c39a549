"""Shared fixtures: a real sandbox server on loopback, the official schema checker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from bulk_scheduler.sandbox.server import SandboxServer
from tests.media_server import MediaServer, Route
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


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Media files of every kind the preflight judges, made by the probe's tests."""
    from tests.test_media_probe import HTML_PAGE, mp4, png

    directory = tmp_path_factory.mktemp("media")
    files = {
        "good.mp4": mp4(30),
        "long.mp4": mp4(75, moov_at_end=True),
        "wide.mp4": mp4(30, 1920, 1080),
        "portrait.png": png(1080, 1920),
        "huge.png": png(1080, 1920, padding=6 * 1024 * 1024),
        "page.html": HTML_PAGE,
    }
    for name, data in files.items():
        (directory / name).write_bytes(data)
    for i in range(10):
        (directory / f"shared-{i}.mp4").write_bytes(mp4(20 + i))
    return directory


@pytest.fixture
def media(media_dir: Path) -> Iterator[MediaServer]:
    """A media host on loopback serving ``media_dir`` (``/missing.mp4`` answers 404)."""
    with MediaServer(media_dir) as server:
        server.routes["/missing.mp4"] = Route(status=404)
        yield server
