"""The API key never leaves the process except in the Authorization header (design.md).

Every command runs with a recognisable key; afterwards stdout, stderr and every
file in the campaign's folder (results sheets, unzipped XLSX parts, report and
payload files, the journal's SQLite bytes) are searched for it and for each half.
Plain ``http://`` to a remote host is refused before anything is sent, and TLS
certificates are verified.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import datetime as dt
import ipaddress
import json
import ssl
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from bulk_scheduler.api import client as client_module
from bulk_scheduler.api.client import ApiKey, CreateOutcome, OutcomeKind, PartnerClient
from bulk_scheduler.cli.commands import cli
from bulk_scheduler.sandbox import seed
from bulk_scheduler.sandbox.config import SandboxConfig
from bulk_scheduler.sandbox.server import SandboxServer
from tests.canned_server import LoopbackServer
from tests.rows import RUN_HEADER, write_csv

CANARY = "gva_live_LEAKCANARY.s3cr3t-LEAKCANARY"
KEY_ID, SECRET = CANARY.split(".")
NEEDLES = (
    CANARY,
    KEY_ID,
    SECRET,
    "LEAKCANARY",
    base64.b64encode(CANARY.encode()).decode(),
    base64.b64encode(f"Bearer {CANARY}".encode()).decode(),
)
REMOTE_HTTP = "http://api.example.invalid/api/partner/v1"


# --- helpers ----------------------------------------------------------------------------------


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def rows(count: int, media_host: str = "cdn.genviral.com") -> list[list[str]]:
    return [
        [
            f"secret-{i}",
            f"Post {i}",
            "video",
            f"https://{media_host}/clips/{i}.mp4",
            f"{seed.BYO_TIKTOK_ID}, {seed.BYO_INSTAGRAM_ID}",
            f"2036-07-{1 + i:02d}T10:00:00Z",
        ]
        for i in range(count)
    ]


def write_xlsx(path: Path, body: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(RUN_HEADER)
    for row in body:
        sheet.append(row)
    book.save(path)
    return path


def file_texts(folder: Path) -> Iterator[tuple[str, bytes]]:
    """Every file under ``folder`` as bytes; an XLSX (a zip) part by part, inflated."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        yield str(path.relative_to(folder)), data
        if data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(path) as archive:
                for part in archive.namelist():
                    yield f"{path.name}!{part}", archive.read(part)


def leaks(result: Result | None, folder: Path) -> list[str]:
    """Where any needle shows up: the command's output streams and every file in ``folder``."""
    found = []
    if result is not None:
        for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            found += [f"{stream}: {needle}" for needle in NEEDLES if needle in text]
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            found += [f"exception: {n}" for n in NEEDLES if n in repr(result.exception)]
    for where, data in file_texts(folder):
        for needle in NEEDLES:
            if needle.encode() in data or needle.encode("utf-16-le") in data:
                found.append(f"{where}: {needle}")
    return found


@pytest.fixture
def canary_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """A sandbox that accepts the canary key, which the environment holds."""
    with SandboxServer(SandboxConfig(api_key=CANARY)) as server:
        monkeypatch.setenv("GENVIRAL_API_KEY", CANARY)
        monkeypatch.setenv("GENVIRAL_BASE_URL", server.base_url)
        yield server


@pytest.fixture
def wrong_key_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """A sandbox expecting another key: the canary in the environment is refused with 401."""
    with SandboxServer() as server:
        monkeypatch.setenv("GENVIRAL_API_KEY", CANARY)
        monkeypatch.setenv("GENVIRAL_BASE_URL", server.base_url)
        yield server


# --- every command, on its success path -------------------------------------------------------


def test_validate_online_with_every_output_file_never_writes_the_key(
    tmp_path: Path, canary_api: SandboxServer
) -> None:
    campaign = write_csv(tmp_path / "c.csv", rows(3))
    results = [
        invoke("validate", campaign, "--report", tmp_path / "r.csv"),
        invoke("validate", campaign, "--report", tmp_path / "r.xlsx", "--json"),
        invoke("validate", campaign, "--report", tmp_path / "r.json"),
        invoke("validate", campaign, "--payloads", tmp_path / "p.jsonl"),
    ]
    assert [r.exit_code for r in results] == [0, 0, 0, 0], [r.output for r in results]
    assert canary_api.stats()["requests_total"] >= 4  # they did go online with the key
    assert {p.name for p in tmp_path.iterdir()} >= {"r.csv", "r.xlsx", "r.json", "p.jsonl"}
    assert [leak for r in results for leak in leaks(r, tmp_path)] == []


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_successful_run_never_writes_the_key(
    suffix: str, tmp_path: Path, canary_api: SandboxServer
) -> None:
    write = write_csv if suffix == ".csv" else write_xlsx
    campaign = write(tmp_path / f"c{suffix}", rows(4))
    result = invoke("run", campaign, "--yes")
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"c.results{suffix}").exists()
    assert any((tmp_path / ".bulk_scheduler").glob("*.sqlite"))
    assert leaks(result, tmp_path) == []


def test_the_json_summary_of_a_run_never_holds_the_key(
    tmp_path: Path, canary_api: SandboxServer
) -> None:
    campaign = write_csv(tmp_path / "c.csv", rows(2))
    result = invoke("run", campaign, "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 2
    assert leaks(result, tmp_path) == []


def test_accounts_never_print_the_key(tmp_path: Path, canary_api: SandboxServer) -> None:
    table = invoke("accounts")
    as_json = invoke("accounts", "--json")
    assert table.exit_code == as_json.exit_code == 0
    assert seed.BYO_TIKTOK_ID in table.stdout and seed.BYO_TIKTOK_ID in as_json.stdout
    assert leaks(table, tmp_path) + leaks(as_json, tmp_path) == []


@pytest.mark.parametrize("name", ["template.xlsx", "template.csv"])
def test_the_template_never_holds_the_key(
    name: str, tmp_path: Path, canary_api: SandboxServer
) -> None:
    result = invoke("template", tmp_path / name)
    assert result.exit_code == 0, result.output
    assert leaks(result, tmp_path) == []


# --- failures: the paths that build messages from what went wrong ------------------------------


def test_a_run_with_failed_and_invalid_rows_never_writes_the_key(
    tmp_path: Path, canary_api: SandboxServer
) -> None:
    body = rows(3)
    body[1][3] = "https://media.example.invalid/missing.mp4"  # invalid: not sent
    campaign = write_csv(tmp_path / "c.csv", body)
    canary_api.set_faults(error_rate=1.0)  # every create answers 500
    result = invoke("run", campaign, "--yes", "--skip-invalid", "--max-attempts", "1")
    assert result.exit_code == 1, result.output
    with (tmp_path / "c.results.csv").open(encoding="utf-8-sig", newline="") as handle:
        outcomes = [row["result"] for row in csv.DictReader(handle)]
    assert outcomes == ["error", "invalid", "error"]
    assert leaks(result, tmp_path) == []


@pytest.mark.parametrize(
    "command", [["validate"], ["run", "--yes"], ["run", "--yes", "--json"], ["accounts"]]
)
def test_a_wrong_key_stops_with_exit_3_and_never_shows_it(
    command: list[str], tmp_path: Path, wrong_key_api: SandboxServer
) -> None:
    campaign = write_csv(tmp_path / "c.csv", rows(2))
    args = [*command, campaign] if command[0] != "accounts" else command
    result = invoke(*args)
    assert result.exit_code == 3, result.output
    assert "401" in result.stderr
    assert wrong_key_api.stats()["posts_total"] == 0
    assert leaks(result, tmp_path) == []


class _EchoingApi(LoopbackServer):
    """An API that lists the seeded accounts, then answers ``POST /posts`` with a 401
    whose message echoes the Authorization header back, as careless servers do."""

    def __init__(self) -> None:
        accounts = {"ok": True, "code": 200, "data": {"accounts": seed.SEED_ACCOUNTS}}
        self.posts = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._reply(200, accounts)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                api.posts += 1
                echoed = self.headers.get("Authorization", "")
                self._reply(
                    401,
                    {
                        "ok": False,
                        "code": 401,
                        "error_code": "invalid_token",
                        "message": f"Token revoked: {echoed}",
                    },
                )

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._serve(server)


def test_a_fatal_401_that_echoes_the_key_never_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = write_csv(tmp_path / "c.csv", rows(3))
    with _EchoingApi() as api:
        monkeypatch.setenv("GENVIRAL_API_KEY", CANARY)
        monkeypatch.setenv("GENVIRAL_BASE_URL", api.base_url)
        result = invoke("run", campaign, "--yes", "--concurrency", "1")
    assert api.posts >= 1
    assert result.exit_code == 3, result.output
    assert leaks(result, tmp_path) == []


def test_a_fatal_401_mid_run_stops_with_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = write_csv(tmp_path / "c.csv", rows(3))
    with _EchoingApi() as api:
        monkeypatch.setenv("GENVIRAL_API_KEY", CANARY)
        monkeypatch.setenv("GENVIRAL_BASE_URL", api.base_url)
        result = invoke("run", campaign, "--yes", "--concurrency", "1")
    assert result.exit_code == 3, result.output
    assert api.posts == 1  # the first 401 stops the run
    assert (tmp_path / "c.results.csv").exists()


# --- where the key may be sent ----------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any request the client tries to send fails the test."""

    async def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a request was sent")

    monkeypatch.setattr(httpx.AsyncClient, "send", refuse)


@pytest.mark.parametrize("command", [["accounts"], ["validate"], ["run", "--yes"]])
@pytest.mark.parametrize("via", ["--base-url", "GENVIRAL_BASE_URL"])
def test_plain_http_to_a_remote_host_is_refused_before_anything_is_sent(
    command: list[str],
    via: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_network: None,
) -> None:
    monkeypatch.setenv("GENVIRAL_API_KEY", CANARY)
    campaign = write_csv(tmp_path / "c.csv", rows(1))
    args: list[str | Path] = list(command)
    if command[0] != "accounts":
        args.append(campaign)
    if via == "--base-url":
        args += ["--base-url", REMOTE_HTTP]
    else:
        monkeypatch.setenv("GENVIRAL_BASE_URL", REMOTE_HTTP)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert len(result.stderr.splitlines()) == 1 and "http://" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"]  # no results, no journal
    assert leaks(result, tmp_path) == []


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no trust store knows."""
    x509 = pytest.importorskip(
        "cryptography.x509",
        reason="the `cryptography` package is not installed, so no test certificate can be made",
    )
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _TlsServer(LoopbackServer):
    """HTTPS on loopback with a self-signed certificate; counts the requests it reads."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests += 1
                self.send_response(500)
                self.end_headers()

        class Quiet(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # the client hanging up mid-handshake is the point

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        httpd = Quiet(("127.0.0.1", 0), Handler)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        self._serve(httpd, scheme="https")


def test_an_untrusted_certificate_fails_cleanly_with_exit_3(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = _self_signed_certificate(tmp_path_factory.mktemp("tls"))
    monkeypatch.setenv("GENVIRAL_API_KEY", CANARY)
    with _TlsServer(cert, key) as server:
        result = invoke("accounts", "--base-url", server.base_url)
    assert result.exit_code == 3, result.output
    assert isinstance(result.exception, SystemExit)
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output
    assert server.requests == 0  # the handshake failed: no request, no key, was sent
    assert leaks(result, tmp_path) == []


def _create_post_over_tls(base_url: str) -> CreateOutcome:
    async def go() -> CreateOutcome:
        async with PartnerClient(ApiKey(CANARY), base_url) as client:
            return await client.create_post(b'{"caption": "hi"}')

    return asyncio.run(go())


def test_posts_over_tls_refuse_an_untrusted_certificate_before_sending(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cert, key = _self_signed_certificate(tmp_path_factory.mktemp("tls"))
    with _TlsServer(cert, key) as server:
        outcome = _create_post_over_tls(server.base_url)
    assert outcome.kind is OutcomeKind.RETRYABLE and not outcome.maybe_committed
    assert outcome.error_code == "connection_failed"
    assert "certificate could not be verified" in outcome.message
    assert server.requests == 0


def test_posts_over_tls_reach_a_server_whose_certificate_is_trusted(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = _self_signed_certificate(tmp_path_factory.mktemp("tls"))
    trusting = ssl.create_default_context(cafile=str(cert))  # the host name is still checked
    monkeypatch.setattr(client_module, "_tls_context", lambda: trusting)
    with _TlsServer(cert, key) as server:
        outcome = _create_post_over_tls(server.base_url)
    # The test server has no POST route: its 501 came back through the TLS connection.
    assert outcome.status == 501 and outcome.kind is OutcomeKind.RETRYABLE
