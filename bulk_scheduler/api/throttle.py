"""How fast the executor may send.

Three controls share one gate:

- a concurrency limit, halved by each 429 and grown back by one place per window of
  successful requests (AIMD);
- a pace in requests per second: the user's ``--rate`` cap, and, once the API has
  answered 429, the rate the API evidently allows. The API documents no numbers and
  no ``Retry-After``, so the throttle measures it: after a 429 the API's bucket is
  empty, so the requests that succeed until the next 429 are exactly what it refilled
  in that time. The pace is set a little below that rate, then rises slowly (0.1% per
  success) so a limit that grows is found again;
- a shared pause after each 429 (``Retry-After`` when sent), so every request waits,
  not just the one that was refused.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque

# Pace at this share of the measured rate, to leave the API's bucket a little slack.
PACE_MARGIN = 0.97
# Growth of the measured pace per successful request.
PACE_GROWTH = 1.001
# Successes between two 429s needed to trust a measurement.
MIN_SAMPLE = 3


class Throttle:
    """Gate for ``POST /posts`` requests.

    ``async with throttle.slot():`` waits for a free place, then for the pace and any
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
        self._user_interval = 60.0 / rate_per_minute if rate_per_minute else 0.0
        self.interval = self._user_interval
        self.measured_rate: float | None = None  # requests/second the API allows
        self._next_start = 0.0
        self._resume_at = 0.0
        self._consecutive_429 = 0
        self._last_429_at: float | None = None
        self._successes_since_429 = 0
        # Requests waiting for a place, woken one at a time (a condition's notify_all
        # would wake every waiter on each release).
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._rng = rng or random.Random()
        self.rate_limited_count = 0

    def slot(self) -> _Slot:
        return _Slot(self)

    def _places(self) -> int:
        return max(1, int(self.limit))

    async def _acquire(self) -> None:
        loop = asyncio.get_running_loop()
        if self.in_flight < self._places() and not self._waiters:
            self.in_flight += 1
        else:
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter  # _wake counted this request in flight
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._release()  # woken, then cancelled: hand the place on
                elif waiter in self._waiters:
                    self._waiters.remove(waiter)
                raise
        try:
            await self._wait_for_pace(loop)
        except asyncio.CancelledError:
            self._release()
            raise

    async def _wait_for_pace(self, loop: asyncio.AbstractEventLoop) -> None:
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

    def _release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self._places():
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(None)

    def _set_pace(self) -> None:
        paced = 1.0 / self.measured_rate if self.measured_rate else 0.0
        self.interval = max(self._user_interval, paced)

    def succeeded(self) -> None:
        """Additive increase of places; slow growth of a measured pace."""
        self._consecutive_429 = 0
        self._successes_since_429 += 1
        if self.limit < self.max_concurrency:
            self.limit = min(float(self.max_concurrency), self.limit + 1.0 / self.limit)
            self._wake()
        if self.measured_rate is not None:
            self.measured_rate *= PACE_GROWTH
            self._set_pace()

    def rate_limited(self, retry_after: float | None) -> float:
        """Multiplicative decrease, a new measurement of the pace, and a shared pause.

        Returns the pause in seconds.
        """
        loop = asyncio.get_running_loop()
        now = loop.time()
        self.rate_limited_count += 1
        self.limit = max(1.0, self.limit / 2)
        if now < self._resume_at:
            # Sent before the pause began: the same burst, already answered by that pause.
            return self._resume_at - now
        self._consecutive_429 += 1
        if self._last_429_at is not None and self._successes_since_429 >= MIN_SAMPLE:
            elapsed = now - self._last_429_at
            if elapsed > 0:
                self.measured_rate = PACE_MARGIN * self._successes_since_429 / elapsed
                self._set_pace()
        if self._successes_since_429 or self._last_429_at is None:
            self._last_429_at = now
            self._successes_since_429 = 0
        if retry_after is not None:
            pause = retry_after
        elif self.measured_rate:
            pause = 1.0 / self.measured_rate  # about one token's refill
        else:
            pause = min(30.0, 0.5 * 2 ** (self._consecutive_429 - 1))
            pause *= 0.75 + self._rng.random() * 0.5
        self._resume_at = max(self._resume_at, now + pause)
        return pause


class _Slot:
    def __init__(self, throttle: Throttle) -> None:
        self._throttle = throttle

    async def __aenter__(self) -> Throttle:
        await self._throttle._acquire()
        return self._throttle

    async def __aexit__(self, *exc: object) -> None:
        self._throttle._release()
