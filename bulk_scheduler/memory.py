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

    When the pass ends, what it made is moved to the oldest generation unscanned (see
    :func:`_promote_young_objects`); nested passes leave that to the outermost one.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _promote_young_objects()
            gc.enable()


def _promote_young_objects() -> None:
    """Move every young object to the oldest generation without scanning it.

    A pass leaves hundreds of thousands of objects (rows, plans) that live as long as the
    campaign. Left young, the first allocation after the pause would scan them all as
    generation 0, then again as generation 1, only to find them alive: about 0.5 s per
    100,000 rows. ``gc.freeze()`` then ``gc.unfreeze()`` puts them straight into the oldest
    generation, which full collections still scan (so a cycle among them is still
    collected, only later). Skipped when something else froze objects (a server about to
    fork, say): unfreezing would undo that.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
