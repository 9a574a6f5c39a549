"""The vendor's official request schema, callable from Python tests.

``@genviral/partner-api-contracts`` publishes the Partner API's zod schemas. This
module keeps one Node process (``tests/contract/check_bodies.mjs``) running for the
test session and asks it whether bodies pass ``partnerPostCreateBodySchema``.

The contract tests must run wherever the suite runs, CI included, so a missing
``node`` or ``node_modules`` is a loud failure that says to run ``npm ci``, never a
skip.

Use it through the session fixture::

    def test_body_passes(official_schema):
        ok, issues = official_schema.check({"caption": "hi", "accounts": [...]})
        assert ok, issues
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKER_SCRIPT = REPO_ROOT / "tests" / "contract" / "check_bodies.mjs"
CONTRACTS_PACKAGE_DIR = REPO_ROOT / "node_modules" / "@genviral" / "partner-api-contracts"
INSTALL_HINT = "run `npm ci` at the repository root"

Issue = dict[str, Any]
Verdict = tuple[bool, list[Issue]]


class OfficialSchemaUnavailable(RuntimeError):
    """Node or the vendor's package is missing, or the checker process died."""


def _encode(body: Any) -> str:
    """One JSON line for ``body``.

    ASCII-only output cannot contain a raw ``\\r`` or a line separator that Node's
    line reader might split on; ``allow_nan=False`` because NaN is not JSON and the
    API could never receive it.
    """
    return json.dumps(body, ensure_ascii=True, allow_nan=False) + "\n"


class OfficialSchema:
    """A running ``check_bodies.mjs``: asks the vendor's zod schema about bodies.

    Start it once and reuse it; :meth:`check_many` pipelines many bodies through one
    round trip. Not safe to share between threads without the internal lock, which
    every public method takes.
    """

    def __init__(self, node: str | None = None) -> None:
        node_path = node or shutil.which("node")
        if node_path is None:
            raise OfficialSchemaUnavailable(
                f"`node` is not on PATH: the official-schema contract tests need Node >= 20.19 "
                f"and the vendor's package; install Node, then {INSTALL_HINT}."
            )
        if not CONTRACTS_PACKAGE_DIR.is_dir():
            raise OfficialSchemaUnavailable(
                f"{CONTRACTS_PACKAGE_DIR.relative_to(REPO_ROOT)} is missing: {INSTALL_HINT} "
                "to install @genviral/partner-api-contracts from package-lock.json."
            )
        self._lock = threading.Lock()
        # A file, not a pipe, for stderr: nobody reads it until something goes wrong,
        # and an unread pipe could fill up and stall the checker.
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self._process = subprocess.Popen(
            [node_path, str(CHECKER_SCRIPT)],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        # Fail here, with Node's own error, if the package does not load.
        self.check({})

    def check(self, body: Any) -> Verdict:
        """Whether ``body`` passes ``partnerPostCreateBodySchema``, and zod's issues if not.

        For example ``check({"caption": "hi", "accounts": [{"id": HOSTED_TIKTOK_ID}]})``
        is ``(True, [])``.
        """
        return self.check_many([body])[0]

    def check_many(self, bodies: Iterable[Any]) -> list[Verdict]:
        """One verdict per body, in order, sent down the pipe in one go."""
        lines = [_encode(body) for body in bodies]
        with self._lock:
            process = self._running_process()
            assert process.stdin is not None and process.stdout is not None
            # Write from a helper thread while this one reads: Node blocks writing answers
            # to a full pipe, and would then stop reading, if we wrote everything first.
            writer = threading.Thread(target=self._write_lines, args=(lines,), daemon=True)
            writer.start()
            answers = [self._read_answer(process) for _ in lines]
            writer.join()
        return answers

    def close(self) -> None:
        """Stop the checker process (idempotent)."""
        process = self._process
        if process.poll() is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> OfficialSchema:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _running_process(self) -> subprocess.Popen[str]:
        if self._process.poll() is not None:
            raise OfficialSchemaUnavailable(self._death_message())
        return self._process

    def _write_lines(self, lines: Sequence[str]) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            for line in lines:
                stdin.write(line)
            stdin.flush()
        except BrokenPipeError:
            pass  # The reader sees end-of-file and raises with Node's stderr.

    def _read_answer(self, process: subprocess.Popen[str]) -> Verdict:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=10)
            raise OfficialSchemaUnavailable(self._death_message())
        answer = json.loads(line)
        return bool(answer["ok"]), list(answer.get("issues", []))

    def _death_message(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        stderr = self._stderr.read().strip()
        return (
            f"the official-schema checker (node {CHECKER_SCRIPT.relative_to(REPO_ROOT)}) "
            f"exited with status {self._process.returncode}; if the package failed to load, "
            f"{INSTALL_HINT}.\n{stderr}"
        )


@pytest.fixture(scope="session")
def official_schema() -> Iterator[OfficialSchema]:
    """One official-schema checker for the whole test session."""
    schema = OfficialSchema()
    try:
        yield schema
    finally:
        schema.close()


def describe_failure(body: Any, issues: Sequence[Issue]) -> str:
    """A readable account of one rejected body: the body, then one line per zod issue."""
    rendered = json.dumps(body, ensure_ascii=False, indent=2)
    if len(rendered) > 2000:
        rendered = rendered[:2000] + "\n… (truncated)"
    issue_lines = [
        f"  - {'.'.join(str(part) for part in issue.get('path', [])) or '<body>'}: "
        f"{issue.get('message', '')} ({issue.get('code', '')})"
        for issue in issues
    ]
    return "\n".join([rendered, "issues:", *issue_lines])


def assert_bodies_pass(schema: OfficialSchema, bodies: Sequence[Any]) -> None:
    """Assert every body passes the official schema; name the first that does not."""
    bodies = list(bodies)
    verdicts = schema.check_many(bodies)
    failures = [index for index, (ok, _) in enumerate(verdicts) if not ok]
    if failures:
        first = failures[0]
        raise AssertionError(
            f"{len(failures)} of {len(bodies)} bodies fail the official schema; "
            f"first is #{first}:\n{describe_failure(bodies[first], verdicts[first][1])}"
        )
