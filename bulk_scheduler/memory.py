"""Memory housekeeping shared by the bulk passes (loading and planning)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk pass.

    Loading and planning allocate a few small objects per row and create no reference
    cycles, but the collector keeps rescanning everything already allocated: on 100,000
    rows that costs a third of the load and triples the planning time. Reference counting
    still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
