"""The progress bar of a run, on stderr (off when stderr is not a terminal)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import ClassVar

from tqdm import tqdm

from bulk_scheduler.outcome import RowOutcome, RowResult


class Progress:
    """done/total, created and failed counts, rate and ETA.

    The bar appears with the first row settled, so that it never draws over a prompt."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.created = 0
        self.failed = 0
        self.not_sent = 0
        self._total = total
        self._enabled = enabled and total > 0
        self._bar: tqdm | None = None

    def update(self, outcome: RowOutcome) -> None:
        if self._enabled and self._bar is None:
            self._bar = tqdm(
                total=self._total, unit="post", file=sys.stderr, dynamic_ncols=True, leave=True
            )
        if outcome.result.is_done:
            self.created += 1
        elif outcome.result is RowResult.NOT_SUBMITTED:
            self.not_sent += 1  # stopped before it was sent (Ctrl-C): not a failure
        else:
            self.failed += 1
        if self._bar is not None:
            counts = {"created": self.created, "failed": self.failed}
            if self.not_sent:
                counts["not sent"] = self.not_sent
            self._bar.set_postfix(counts, refresh=False)
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class _CountBar:
    """A bar of ``done`` of ``total``, made at the first update that has a total (so that
    nothing is drawn for work that turns out to be empty). Subclasses say what it counts."""

    OPTIONS: ClassVar[Mapping[str, object]] = {}

    def __init__(self, *, enabled: bool) -> None:
        self._enabled = enabled
        self._bar: tqdm | None = None

    def update(self, done: int, total: int) -> None:
        if not self._enabled or not total:
            return
        if self._bar is None:
            self._bar = tqdm(total=total, file=sys.stderr, leave=False, **self.OPTIONS)
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class ProbeBar(_CountBar):
    """The media preflight's bar: URLs probed of the distinct URLs."""

    OPTIONS: ClassVar[Mapping[str, object]] = {"unit": "url", "desc": "media"}


class UploadBar(_CountBar):
    """The uploads' bar: bytes of local media files sent, of the bytes to send, with the
    rate and ETA (tqdm's)."""

    OPTIONS: ClassVar[Mapping[str, object]] = {
        "unit": "B",
        "unit_scale": True,
        "unit_divisor": 1024,
        "desc": "upload",
        "dynamic_ncols": True,
    }
