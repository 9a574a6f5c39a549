"""docs/partner-api.md and the code say the same thing.

The page's tables marked *checked* are read here and compared with the client's
contract module and with the sandbox's own copy of the rules, so neither the page nor
the code can drift alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bulk_scheduler.api import contract
from bulk_scheduler.sandbox import captions

DOC = Path(__file__).resolve().parent.parent / "docs" / "partner-api.md"


def table_after(heading: str) -> list[dict[str, str]]:
    """The first Markdown table under ``heading``, as rows keyed by the header cells
    (code spans unwrapped)."""
    text = DOC.read_text(encoding="utf-8")
    start = re.search(rf"^#+ {re.escape(heading)}\s*$", text, re.M)
    assert start, f"docs/partner-api.md has no heading '{heading}'"
    lines = text[start.end() :].splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    block = []
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        block.append([cell.strip().strip("`") for cell in line.strip().strip("|").split("|")])
    header, _rule, *rows = block
    return [dict(zip(header, row, strict=True)) for row in rows]


CAPTION_ROWS = table_after("Caption limits (checked)")
MEDIA_OF = {"any": (None, "video", "slideshow"), "video or none": (None, "video")}


def _cases(row: dict[str, str]) -> list[tuple[str, str, str | None]]:
    platforms = {
        "any": sorted(contract.PLATFORM_CAPTION_LIMITS),
        "any other": ["mastodon", "vk"],
    }.get(row["platform"], [row["platform"]])
    media = MEDIA_OF.get(row["media"], (row["media"],))
    return [(p, row["type"], m) for p in platforms for m in media]


@pytest.mark.parametrize("row", CAPTION_ROWS, ids=lambda row: f"{row['platform']}-{row['type']}")
def test_the_caption_limit_table_is_what_both_sides_apply(row: dict[str, str]) -> None:
    limit = int(row["limit"])
    for platform, account_type, media_type in _cases(row):
        assert contract.caption_limit(platform, account_type, media_type) == limit
        assert captions.caption_limit(platform, account_type, media_type) == limit
        unit = "bytes" if row["counted in"] == "UTF-8 bytes" else "characters"
        assert captions.caption_unit(platform, account_type) == unit


def test_the_caption_table_lists_every_platform_of_both_sides() -> None:
    listed = {row["platform"] for row in CAPTION_ROWS} - {"any", "any other"}
    assert listed == set(contract.PLATFORM_CAPTION_LIMITS) == set(captions.BYO_LIMITS)


@pytest.mark.parametrize("row", table_after("Numbers (checked)"), ids=lambda row: row["rule"])
def test_each_documented_number_is_the_contracts(row: dict[str, str]) -> None:
    constant = row["constant"]
    assert getattr(contract, constant) == int(row["value"]), constant


def test_the_fatal_statuses_are_the_documented_ones() -> None:
    rows = table_after("Status codes (checked)")
    fatal = {int(row["status"]) for row in rows if row["class"] == "fatal"}
    assert fatal == contract.FATAL_STATUSES


def test_the_post_statuses_are_the_documented_ones() -> None:
    rows = table_after("Post statuses (checked)")
    assert tuple(row["status"] for row in rows) == contract.POST_STATUSES
