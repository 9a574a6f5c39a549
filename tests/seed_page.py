"""The example bodies of the vendor's first ``POST /posts`` page (the *seed page*).

They are kept in the repository, in ``tests/contract/seed_page_examples.json``, so the
tests that hold the models and the sandbox to them need nothing outside it;
``docs/partner-api.md`` says how that page differs from the current reference.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

SEED_EXAMPLES_FILE = Path(__file__).resolve().parent / "contract" / "seed_page_examples.json"


@cache
def _read() -> dict[str, dict[str, Any]]:
    examples: dict[str, dict[str, Any]] = json.loads(
        SEED_EXAMPLES_FILE.read_text(encoding="utf-8")
    )["examples"]
    # The page shows a video post and a slideshow post; anything else means the file changed.
    assert {name: body["media"]["type"] for name, body in examples.items()} == {
        "video": "video",
        "slideshow": "slideshow",
    }
    return examples


def seed_page_examples() -> dict[str, dict[str, Any]]:
    """The seed page's example bodies by name (``video``, ``slideshow``); a fresh copy
    each call, so a test may change its own."""
    return copy.deepcopy(_read())
