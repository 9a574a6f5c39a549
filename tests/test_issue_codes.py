"""One registry of issue codes (``bulk_scheduler/issues.py``), and everything agrees with it.

- the source: every code a stage emits is registered, with that severity and stage, and
  every registered code is emitted somewhere (read from the source, statically);
- the helpers refuse a code, or a severity, the registry does not list (so every test
  that makes a stage emit an issue checks it at run time too);
- the validator's ``RULES`` and ``rule_severity`` are views of the registry;
- README.md's "Issue codes" table is the registry's rendering. When it is not, rewrite
  it with ``python -m tests.test_issue_codes`` from the repository's root.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import bulk_scheduler
from bulk_scheduler.checks.rules import RULES, rule_severity
from bulk_scheduler.issues import (
    ISSUE_CODES,
    Severity,
    Stage,
    UnregisteredIssueError,
    codes_of,
    error,
    issue_codes_markdown,
    row_issue,
    warning,
)

PACKAGE = Path(bulk_scheduler.__file__).resolve().parent
README = PACKAGE.parent / "README.md"
STAGE_OF_PACKAGE = {"sheet": Stage.SHEET, "checks": Stage.CHECKS, "media": Stage.MEDIA}
# The helpers whose code argument is a literal at every call but a few forwarding ones:
# name -> (index of the code argument, severity, or None when an argument gives it).
BUILDERS: dict[str, tuple[int, Severity | None]] = {
    "error": (0, Severity.ERROR),
    "warning": (0, Severity.WARNING),
    "row_issue": (1, None),
    "RowIssue": (1, None),
    # schedule.py raises it, the planner turns it into error(exc.code, ...)
    "ScheduleError": (0, Severity.ERROR),
}
# Calls that pass on a code found elsewhere (itself found literally by this scan).
FORWARDING = {
    ("checks/planner.py", "exc.code"),  # a ScheduleError's
    ("checks/planner.py", "code"),  # the accounts' reading: (severity, code, message)
    ("media/preflight.py", "code"),  # the media probe's findings: (severity, code, message)
    ("checks/local_media.py", "code"),  # local files' findings, found by media/local_files.py
}
README_START = "<!-- issue-codes: generated from bulk_scheduler/issues.py -->"
README_END = "<!-- /issue-codes -->"
REGENERATE = "python -m tests.test_issue_codes"

Emitted = tuple[str, Severity | None, Stage | None]


def _severity_of(node: ast.expr) -> Severity | None:
    """``Severity.ERROR`` -> Severity.ERROR; anything else (a variable) -> None."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Severity"
        and node.attr in Severity.__members__
    ):
        return Severity[node.attr]
    return None


def _builders_in(tree: ast.Module) -> set[str]:
    """The builders a module can call by name: imported from the package, or defined."""
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bulk_scheduler")
        for alias in node.names
    }
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    return set(BUILDERS) & (imported | defined)


def scan_source() -> tuple[set[Emitted], set[tuple[str, str]]]:
    """What the package's source emits: (code, severity, stage) for each literal code, and
    (file, expression) for each place that passes a code it did not write."""
    emitted: set[Emitted] = set()
    forwarded: set[tuple[str, str]] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name.startswith("sandbox/") or name == "issues.py":
            continue  # the sandbox answers with the API's codes; issues.py is the registry
        stage = STAGE_OF_PACKAGE.get(name.split("/", 1)[0])
        tree = ast.parse(path.read_text(encoding="utf-8"))
        helpers = _builders_in(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id not in helpers:
                    continue
                position, severity = BUILDERS[node.func.id]
                code = node.args[position]
                if severity is None:
                    severity = _severity_of(node.args[0])
            elif (
                isinstance(node, ast.Tuple)
                and len(node.elts) == 3
                and _severity_of(node.elts[0]) is not None
            ):
                code, severity = node.elts[1], _severity_of(node.elts[0])
            else:
                continue
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                emitted.add((code.value, severity, stage))
            else:
                forwarded.add((name, ast.unparse(code)))
    return emitted, forwarded


EMITTED, FORWARDED = scan_source()


def test_the_scan_finds_each_stage() -> None:
    """The scan reads what it should: a code of each stage, each way it is written."""
    assert ("unknown-column", Severity.WARNING, Stage.SHEET) in EMITTED  # warning(...)
    assert ("caption-missing", Severity.ERROR, Stage.CHECKS) in EMITTED  # error(...)
    assert ("scheduled-at-nonexistent", Severity.ERROR, Stage.CHECKS) in EMITTED  # raised
    assert ("account-duplicate", Severity.WARNING, Stage.CHECKS) in EMITTED  # a tuple
    assert ("aspect-ratio", Severity.WARNING, Stage.MEDIA) in EMITTED  # a tuple


def test_every_code_the_source_emits_is_registered_with_its_severity_and_stage() -> None:
    wrong = []
    for code, severity, stage in sorted(EMITTED, key=str):
        entry = ISSUE_CODES.get(code)
        if entry is None:
            wrong.append(f"{code}: not registered")
        elif severity not in entry.severities:
            wrong.append(f"{code}: emitted as {severity}, registered as {entry.severities}")
        elif stage not in entry.stages:
            wrong.append(f"{code}: emitted by {stage}, registered for {entry.stages}")
    assert not wrong, "register these in bulk_scheduler/issues.py: " + "; ".join(wrong)


def test_every_registered_code_is_emitted_as_registered() -> None:
    expected = {
        (entry.code, severity, stage)
        for entry in ISSUE_CODES.values()
        for severity in entry.severities
        for stage in entry.stages
    }
    assert expected - EMITTED == set(), "registered but never emitted so"


def test_only_known_places_pass_on_a_code_they_did_not_write() -> None:
    assert FORWARDING == FORWARDED, (
        "write the code as a literal where the issue is made, so this scan can find it"
    )


def test_codes_and_titles_are_tidy() -> None:
    for code, entry in ISSUE_CODES.items():
        assert code == entry.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code), code
        assert entry.severities and len(set(entry.severities)) == len(entry.severities), code
        assert entry.stages and len(set(entry.stages)) == len(entry.stages), code
        # One line of a Markdown table: no new line, no cell separator.
        assert entry.title.endswith(".") and not {"\n", "|"} & set(entry.title), code


# --- the helpers check the registry ------------------------------------------------------


def test_the_helpers_build_registered_issues() -> None:
    assert error("caption-missing", "m", row=2).severity is Severity.ERROR
    assert warning("scheduled-at-blank", "m").severity is Severity.WARNING
    assert warning("media-missing", "m").severity is Severity.WARNING
    assert error("media-missing", "m").severity is Severity.ERROR
    assert row_issue(Severity.WARNING, "aspect-ratio", "m").code == "aspect-ratio"


def test_an_unregistered_code_is_refused() -> None:
    with pytest.raises(UnregisteredIssueError, match="not registered"):
        error("no-such-code", "m")


def test_a_code_with_another_severity_is_refused() -> None:
    with pytest.raises(UnregisteredIssueError, match="registered as warning, not error"):
        error("scheduled-at-blank", "m")
    with pytest.raises(UnregisteredIssueError, match="registered as error, not warning"):
        row_issue(Severity.WARNING, "video-too-large", "m")


# --- the validator's views ---------------------------------------------------------------


def test_rules_is_the_checks_stage_of_the_registry() -> None:
    assert dict(RULES) == {code: entry.title for code, entry in codes_of(Stage.CHECKS).items()}


def test_rule_severity_reads_the_registry() -> None:
    for code, entry in ISSUE_CODES.items():
        expected = entry.severity if Stage.CHECKS in entry.stages else None
        assert rule_severity(code) is expected, code
    assert rule_severity("no-such-code") is None


# --- README.md ---------------------------------------------------------------------------


def readme_table(text: str) -> str:
    start = text.index(README_START) + len(README_START)
    return text[start : text.index(README_END)].strip("\n") + "\n"


def test_the_readme_lists_the_registry() -> None:
    text = README.read_text(encoding="utf-8")
    assert README_START in text and README_END in text, (
        f"README.md lost its issue-code markers; put back {README_START} and {README_END} "
        f"around the table, then run `{REGENERATE}`"
    )
    assert readme_table(text) == issue_codes_markdown(), (
        "README.md's issue-code table differs from bulk_scheduler/issues.py; regenerate it "
        f"with `{REGENERATE}` from the repository's root"
    )


def write_readme_table() -> None:
    """Replace README.md's table with the registry's rendering."""
    text = README.read_text(encoding="utf-8")
    start = text.index(README_START) + len(README_START)
    end = text.index(README_END)
    README.write_text(
        f"{text[:start]}\n{issue_codes_markdown()}{text[end:]}", encoding="utf-8", newline="\n"
    )


if __name__ == "__main__":
    write_readme_table()
    print(f"rewrote the issue-code table of {README.name}")
