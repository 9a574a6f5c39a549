"""A clone of the repository, with nothing beside it, holds everything it refers to.

The repository is cloned (its committed HEAD) into an empty folder, and every tracked
text file is read for references that only work on the author's machine:

- a relative path that climbs above the repository's root, resolved against the folder
  of the file that holds it (in prose, Markdown links and code strings alike), and a
  ``Path(__file__)`` or ``os.path.dirname(__file__)`` chain that climbs above it;
- a Markdown link to a file of the repository that does not exist;
- an absolute path of a machine (the author's work, temporary or home folders);
- a reference to the sibling folder of shared notes this project once read.

Then the clone validates a sample campaign with its own sources, so a file the code
needs but the repository lacks shows up too.

The patterns below are written so that this file does not match them itself.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A run of characters a path is made of; a finding is reported on the run that holds it.
_PATH_RUN = re.compile(r"[\w.@%+~/-]+")
# A parent segment followed by a slash, which is what the rule is about.
_CLIMB = re.compile(r"(?:^|/)\.\.(?=/)")
# Absolute folders of a machine: a work tree, temporary files, homes. The look-behind
# keeps out URL paths (``https://host/home/``) and longer words (``/var/tmp`` is one).
_MACHINE_PATH = re.compile(r"(?<![\w.~%/-])/(?:work|tmp|root|home|Users)(?=/)")
# The shared-notes folder, as a path: ``shared`` then a slash (not ``sharedStrings``).
_SHARED_FOLDER = re.compile(r"(?<![\w.-])shared(?=/)")
# Path(__file__) followed by what climbs (or does not) from it.
_PATHLIB_CHAIN = re.compile(
    r"Path\(\s*__file__\s*\)((?:\.resolve\(\)|\.absolute\(\)|\.parent\b|\.parents\[\d+\])*)"
)
_PATHLIB_STEP = re.compile(r"\.parent\b|\.parents\[(\d+)\]")
_DIRNAME_CHAIN = re.compile(
    r"((?:(?:os\.path\.)?dirname\(\s*)+)(?:(?:os\.path\.)?(?:abspath|realpath)\(\s*)?__file__"
)
# Markdown links, inline ``[text](target "title")`` and reference ``[id]: target``.
_INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")
_REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def escapes(folder: str, path: str) -> bool:
    """Whether ``path``, relative to ``folder`` (both relative to the root), climbs
    above the root."""
    resolved = posixpath.normpath(posixpath.join(folder, path))
    return resolved == ".." or resolved.startswith("../")


def climbing_paths(text: str, folder: str) -> Iterator[tuple[int, str]]:
    """(line, path) for each relative path in ``text`` that climbs above the root from
    ``folder``. URLs (``scheme://host/a/../b``) and absolute paths are not relative."""
    for match in _PATH_RUN.finditer(text):
        run = match.group()
        if not _CLIMB.search(run):
            continue
        start = match.start()
        if run.startswith("/") or (start and text[start - 1] == ":"):
            continue  # absolute, or the rest of a URL after its scheme
        if escapes(folder, run):
            yield _line(text, start), run


def climbing_file_chains(text: str, depth: int) -> Iterator[tuple[int, str]]:
    """(line, code) for each ``Path(__file__)`` or ``dirname(__file__)`` chain that climbs
    above the root from a file ``depth`` folders below it (0: a file at the root)."""
    for match in _PATHLIB_CHAIN.finditer(text):
        levels = sum(
            int(step.group(1)) + 1 if step.group(1) else 1
            for step in _PATHLIB_STEP.finditer(match.group(1))
        )
        if levels > depth + 1:
            yield _line(text, match.start()), match.group()
    for match in _DIRNAME_CHAIN.finditer(text):
        levels = match.group(1).count("dirname(")
        if levels > depth + 1:
            yield _line(text, match.start()), match.group()


def machine_paths(text: str) -> Iterator[tuple[int, str]]:
    for pattern in (_MACHINE_PATH, _SHARED_FOLDER):
        for match in pattern.finditer(text):
            end = _PATH_RUN.match(text, match.start())
            shown = end.group() if end else match.group()
            yield _line(text, match.start()), shown


def markdown_links(text: str) -> Iterator[tuple[int, str]]:
    """(line, target) of each link outside code blocks and code spans, which hold
    examples rather than links."""
    blanked = _INLINE_CODE.sub(_blank, _FENCE.sub(_blank, text))
    for pattern in (_INLINE_LINK, _REFERENCE_LINK):
        for match in pattern.finditer(blanked):
            yield _line(text, match.start(1)), match.group(1)


def broken_links(text: str, folder: str, root: Path) -> Iterator[tuple[int, str, str]]:
    """(line, target, why) for each Markdown link to a repository file that would not
    resolve in ``root``: above the root, or missing. Web links and anchors are skipped."""
    for line, target in markdown_links(text):
        if _SCHEME.match(target) or target.startswith(("#", "//")):
            continue
        path = target.split("#", 1)[0].split("?", 1)[0]
        if not path:
            continue
        # GitHub resolves a link that starts with "/" from the repository's root.
        base, path = ("", path.lstrip("/")) if path.startswith("/") else (folder, path)
        if escapes(base, path):
            yield line, target, "climbs above the repository"
        elif not (root / posixpath.normpath(posixpath.join(base, path))).exists():
            yield line, target, "is not in the repository"


def _blank(match: re.Match[str]) -> str:
    """The match's text with everything but new lines blanked, so lines keep their numbers."""
    return re.sub(r"[^\n]", " ", match.group())


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# --- the clone -------------------------------------------------------------------------


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    assert git is not None
    # safe.directory: a checkout owned by another user (a CI container) is still ours to read.
    return subprocess.run(
        [git, "-c", "safe.directory=*", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's committed HEAD, cloned alone into an empty folder."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed, so there is no checkout to clone")
    top = _git("rev-parse", "--show-toplevel", cwd=ROOT)
    if top.returncode != 0:
        pytest.skip("the tests are not in a git checkout")
    checkout = Path(top.stdout.strip()).resolve()
    target = tmp_path_factory.mktemp("standalone") / "clone"
    cloned = _git("clone", "--quiet", "--no-hardlinks", str(checkout), str(target))
    assert cloned.returncode == 0, cloned.stderr
    # The project is the checkout's root, unless it was vendored into a larger repository.
    return target / ROOT.relative_to(checkout)


@pytest.fixture(scope="module")
def tracked_texts(clone: Path) -> dict[str, str]:
    """Every tracked text file of the clone, by its path from the root."""
    listed = _git("ls-files", "-z", cwd=clone)
    assert listed.returncode == 0, listed.stderr
    texts: dict[str, str] = {}
    for name in filter(None, listed.stdout.split("\0")):
        data = (clone / name).read_bytes()
        if b"\0" in data:
            continue  # a binary file (a workbook, an image)
        try:
            texts[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
    assert "README.md" in texts and "pyproject.toml" in texts
    return texts


def _report(findings: list[str]) -> str:
    return "references that only work on one machine:\n" + "\n".join(findings)


def test_no_relative_path_climbs_above_the_repository(tracked_texts: dict[str, str]) -> None:
    findings = []
    for name, text in sorted(tracked_texts.items()):
        folder = posixpath.dirname(name)
        findings += [f"{name}:{line}: {path}" for line, path in climbing_paths(text, folder)]
        if name.endswith(".py"):
            depth = name.count("/")
            findings += [
                f"{name}:{line}: {code}" for line, code in climbing_file_chains(text, depth)
            ]
    assert not findings, _report(findings)


def test_no_absolute_machine_path_or_shared_folder(tracked_texts: dict[str, str]) -> None:
    findings = [
        f"{name}:{line}: {path}"
        for name, text in sorted(tracked_texts.items())
        for line, path in machine_paths(text)
    ]
    assert not findings, _report(findings)


def test_markdown_links_resolve_inside_the_clone(
    clone: Path, tracked_texts: dict[str, str]
) -> None:
    findings = [
        f"{name}:{line}: ({target}) {why}"
        for name, text in sorted(tracked_texts.items())
        if name.endswith(".md")
        for line, target, why in broken_links(text, posixpath.dirname(name), clone)
    ]
    assert not findings, "\n".join(findings)


def test_the_clone_validates_a_sample_with_its_own_sources(clone: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(clone)}
    for name in ("GENVIRAL_API_KEY", "GENVIRAL_BASE_URL"):
        env.pop(name, None)
    where = subprocess.run(
        [sys.executable, "-c", "import bulk_scheduler; print(bulk_scheduler.__file__)"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert Path(where.stdout.strip()).resolve().is_relative_to(clone.resolve()), where
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "bulk_scheduler",
            "validate",
            "sample_campaigns/video_campaign.csv",
            "--offline",
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # 0 or 1 is a verdict on the rows; 2 (or a crash) means the clone could not run it.
    assert ran.returncode in (0, 1), ran.stdout + ran.stderr


# --- the detectors, on made-up text ----------------------------------------------------
# The samples are assembled from pieces so that this file's own text does not match.

UP = "." + "./"
TMP = "/" + "tmp/"
FILE = "Path(__" + "file__)"
DIRNAME = "os.path.dirname(" + "os.path.dirname("


@pytest.mark.parametrize(
    ("folder", "text", "found"),
    [
        ("", f"see {UP}notes/api.md", [f"{UP}notes/api.md"]),
        ("tests", f'path = "{UP}{UP}outside/seed.txt"', [f"{UP}{UP}outside/seed.txt"]),
        ("tests", f'open("{UP}README.md")', []),  # tests/.. is the root
        ("docs/api", f"[up]({UP}{UP}README.md)", []),
        ("", f"https://example.com/a/{UP}b and http://x.org/{UP}{UP}c", []),
        ("", "an ellipsis... or a range 1..3, or cd ..", []),
        ("", f"{TMP}x is absolute, judged elsewhere", []),
    ],
)
def test_climbing_paths(folder: str, text: str, found: list[str]) -> None:
    assert [path for _, path in climbing_paths(text, folder)] == found


@pytest.mark.parametrize(
    ("depth", "code", "climbs"),
    [
        (1, f"ROOT = {FILE}.resolve().parent.parent", False),
        (1, f"ROOT = {FILE}.resolve().parents[1]", False),
        (1, f"SEED = {FILE}.resolve().parents[2] / 'x'", True),
        (1, f"SEED = {FILE}.parent.parent.parent / 'x'", True),
        (0, f"HERE = {FILE}.parent", False),
        (2, f"OUT = {FILE}.parent / 'loader'", False),
        (1, f"base = {DIRNAME}os.path.abspath(__file__)))", False),
        (0, f"base = {DIRNAME}__file__))", True),
    ],
)
def test_climbing_file_chains(depth: int, code: str, climbs: bool) -> None:
    assert bool(list(climbing_file_chains(code, depth))) is climbs


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (f"cache in {TMP}bulk", [f"{TMP}bulk"]),
        ("/" + "home/me/campaign.csv", ["/" + "home/me/campaign.csv"]),
        ("see " + "shared" + "/contract/api.md", ["shared" + "/contract/api.md"]),
        (f"{UP}shared" + "/design.md", ["shared" + "/design.md"]),
        ("https://example.com/home/page and https://example.com" + TMP, []),
        ("tempfile.gettempdir() or /var" + TMP + "x or ~/home/x", []),
        ("xl/sharedStrings.xml, shared with the sandbox, /tmp alone", []),
    ],
)
def test_machine_paths(text: str, found: list[str]) -> None:
    assert [path for _, path in machine_paths(text)] == found


def test_broken_links(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "api.md").write_text("api")
    text = "\n".join(
        [
            "[api](docs/api.md) [api](/docs/api.md#errors) [web](https://example.com/x.md)",
            "[gone](docs/gone.md) [anchor](#usage)",
            f"[above]({UP}outside.md)",
            "```",
            "[not a link](nowhere.md)",
            "```",
            "`[not a link](nowhere.md)`",
            "[ref]: docs/missing.md",
        ]
    )
    found = [(line, target) for line, target, _ in broken_links(text, "", tmp_path)]
    assert found == [(2, "docs/gone.md"), (3, f"{UP}outside.md"), (8, "docs/missing.md")]
