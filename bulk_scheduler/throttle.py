"""How fast the executor may send: a concurrency gate that shrinks when the API
answers 429 and grows back as requests succeed, an optional requests-per-minute
pace, and a shared pause after a 429 so that every request waits, not just one.
"""

from __future__ import annotations

import asyncio
import random


class Throttle:
    """Gate for ``POST /posts`` requests.

    ``async with throttle.slot():`` waits for a free place (at most ``concurrency``
    in flight, fewer after 429s), then for the pace (``rate_per_minute``) and any
    pause a 429 asked for. Report the answer with :meth:`succeeded` or
    :meth:`rate_limited` inside the block.
    """

    def __init__(
        self,
        concurrency: int,
        rate_per_minute: float | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.max_concurrency = concurrency
        self.limit = float(concurrency)
        self.in_flight = 0
        self.interval = 60.0 / rate_per_minute if rate_per_minute else 0.0
        self._base_interval = self.interval
        self._next_start = 0.0
        self._resume_at = 0.0
        self._consecutive_429 = 0
        self._cond = asyncio.Condition()
        self._rng = rng or random.Random()
        self.rate_limited_count = 0

    def slot(self) -> _Slot:
        return _Slot(self)

    async def _acquire(self) -> None:
        async with self._cond:
            await self._cond.wait_for(lambda: self.in_flight < max(1, int(self.limit)))
            self.in_flight += 1
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            start = max(now, self._resume_at)
            if self.interval:
                start = max(start, self._next_start)
                self._next_start = start + self.interval
            if start <= now:
                return
            await asyncio.sleep(start - now)
            # A 429 may have asked for a longer pause while this request slept.
            if loop.time() >= self._resume_at:
                return

    async def _release(self) -> None:
        async with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()

    def succeeded(self) -> None:
        """Additive increase: about one more place per window of successful requests."""
        self._consecutive_429 = 0
        if self.limit < self.max_concurrency:
            self.limit = min(float(self.max_concurrency), self.limit + 1.0 / self.limit)
        if self.interval > self._base_interval:
            # Ease the pace back towards the requested one, slowly.
            self.interval = max(self._base_interval, self.interval * 0.98)

    def rate_limited(self, retry_after: float | None) -> float:
        """Multiplicative decrease and a shared pause; returns the pause in seconds."""
        self.rate_limited_count += 1
        self._consecutive_429 += 1
        self.limit = max(1.0, self.limit / 2)
        if retry_after is not None:
            pause = retry_after
        else:
            pause = min(30.0, 0.5 * 2 ** (self._consecutive_429 - 1))
            pause *= 0.75 + self._rng.random() * 0.5
        loop = asyncio.get_running_loop()
        self._resume_at = max(self._resume_at, loop.time() + pause)
        return pause


class _Slot:
    def __init__(self, throttle: Throttle) -> None:
        self._throttle = throttle

    async def __aenter__(self) -> Throttle:
        await self._throttle._acquire()
        return self._throttle

    async def __aexit__(self, *exc: object) -> None:
        await self._throttle._release()
