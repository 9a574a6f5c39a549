"""The event loop the command line runs its coroutines on.

uvloop where it is installed (Linux and macOS): with httpx, a launch costs 6-19% less CPU
per row on it than on asyncio's own loop (bench/README.md), which counts when hundreds of
requests are in flight. Elsewhere, asyncio's default loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the fastest loop available."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows, or a build without it
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)
