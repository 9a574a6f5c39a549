"""The executor's pacing, on a virtual clock: exact and independent of the machine.

The event loop below runs on simulated time: whenever every task is waiting, the clock
jumps to the next timer instead of sleeping. The real executor and throttle talk to a
simulated API (a token bucket and a fixed latency), so the figures a test asserts are
the algorithm's, not the load of the machine running the suite. The end-to-end runs
against the sandbox over HTTP live in ``test_executor.py`` and ``test_run.py``.
"""

from __future__ import annotations

import asyncio
import json
import selectors
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bulk_scheduler.api.client import CreateOutcome, OutcomeKind
from bulk_scheduler.api.contract import CreatedPost
from bulk_scheduler.api.throttle import Throttle
from bulk_scheduler.launch.executor import ExecutionReport, ExecutorOptions, submit_rows
from bulk_scheduler.launch.journal import Journal
from bulk_scheduler.outcome import RowResult

from .test_executor import jobs


class _JumpingSelector(selectors.DefaultSelector):
    """Never waits: a timeout moves the loop's virtual clock forward instead."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[Any]:
        ready = super().select(0)
        if not ready and timeout is not None:
            self.now += timeout
        elif not ready and timeout is None:
            raise AssertionError("deadlock: every task waits and no timer is set")
        return ready


class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._jumping = _JumpingSelector()
        super().__init__(self._jumping)

    def time(self) -> float:
        return self._jumping.now


def run_virtual(main: Callable[[], Awaitable[Any]]) -> Any:
    loop = VirtualClockLoop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


class SimulatedApi:
    """``POST /posts`` behind a token bucket (no ``Retry-After``, like the real API)."""

    def __init__(self, *, latency: float, per_minute: float | None = None, burst_s: float = 2):
        self.latency = latency
        self.rate = per_minute / 60 if per_minute else None
        self.capacity = max(1.0, (self.rate or 0) * burst_s)
        self.tokens = self.capacity
        self.refilled_at = 0.0
        self.created: list[str] = []
        self.refused = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def _take(self, now: float) -> bool:
        if self.rate is None:
            return True
        self.tokens = min(self.capacity, self.tokens + (now - self.refilled_at) * self.rate)
        self.refilled_at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    async def create_post(self, content: bytes) -> CreateOutcome:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency / 2)
            allowed = self._take(asyncio.get_running_loop().time())
            await asyncio.sleep(self.latency / 2)
        finally:
            self.in_flight -= 1
        if not allowed:
            self.refused += 1
            return CreateOutcome(
                OutcomeKind.RETRYABLE, 429, error_code="rate_limited", rate_limited=True
            )
        self.created.append(json.loads(content)["external_id"])
        post = CreatedPost(id=f"p{len(self.created)}", status="scheduled")
        return CreateOutcome(OutcomeKind.CREATED, 201, post=post)


def launch(
    count: int, api: SimulatedApi, options: ExecutorOptions
) -> tuple[ExecutionReport, float]:
    async def go() -> tuple[ExecutionReport, float]:
        report = await submit_rows(jobs(count), api, options, Journal())  # type: ignore[arg-type]
        return report, asyncio.get_running_loop().time()

    return run_virtual(go)


def test_the_virtual_clock_jumps_instead_of_waiting() -> None:
    async def nap() -> float:
        await asyncio.sleep(3600)
        return asyncio.get_running_loop().time()

    assert run_virtual(nap) == pytest.approx(3600)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rate_limited_launch_meets_the_target_pace_with_few_429s(seed: int) -> None:
    # The benchmark: 600 rows, R = 1,200/min, a bucket of a few seconds.
    rows, per_minute = 600, 1200
    api = SimulatedApi(latency=0.05, per_minute=per_minute, burst_s=3)
    report, elapsed = launch(rows, api, ExecutorOptions(concurrency=16, seed=seed))
    assert {o.result for o in report.outcomes.values()} == {RowResult.CREATED}
    assert sorted(api.created) == sorted(f"job-{i}" for i in range(rows))
    assert report.rate_limited == api.refused
    assert api.refused <= 0.05 * (rows + api.refused)
    assert elapsed <= 1.15 * rows / (per_minute / 60)


def test_without_the_measured_pace_the_same_launch_is_refused_far_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The control for the test above: back-off alone (no measured pace) keeps hitting
    # the empty bucket, so the pace is what keeps 429s rare.
    from bulk_scheduler.api import throttle

    monkeypatch.setattr(throttle, "MIN_SAMPLE", 10**9)
    api = SimulatedApi(latency=0.05, per_minute=1200, burst_s=3)
    report, _ = launch(600, api, ExecutorOptions(concurrency=16, seed=1))
    assert {o.result for o in report.outcomes.values()} == {RowResult.CREATED}
    assert api.refused > 0.10 * (600 + api.refused)


def test_a_slow_limit_is_measured_and_kept_to() -> None:
    # 10 requests per second against 8 places: after the first bursts, no more refusals
    # than a couple of re-measurements cost.
    api = SimulatedApi(latency=0.02, per_minute=600, burst_s=2)
    report, elapsed = launch(300, api, ExecutorOptions(concurrency=8, seed=7))
    assert {o.result for o in report.outcomes.values()} == {RowResult.CREATED}
    assert api.refused <= 2 * 8 + 4
    assert elapsed <= 1.15 * 300 / 10


@pytest.mark.parametrize("concurrency", [8, 32, 64])
def test_without_a_limit_every_place_stays_busy(concurrency: int) -> None:
    rows, latency = 2000, 0.1
    api = SimulatedApi(latency=latency)
    _, elapsed = launch(rows, api, ExecutorOptions(concurrency=concurrency))
    assert len(api.created) == rows and api.refused == 0
    assert api.max_in_flight == concurrency
    # Whole waves of `concurrency` requests, each one latency long.
    assert elapsed == pytest.approx(-(-rows // concurrency) * latency, rel=0.01)


def test_the_users_rate_cap_is_never_exceeded() -> None:
    api = SimulatedApi(latency=0.01)
    _, elapsed = launch(31, api, ExecutorOptions(concurrency=8, rate_per_minute=60))
    assert len(api.created) == 31
    # Starts one second apart: the 31st leaves at 30 s.
    assert elapsed == pytest.approx(30 + 0.01, abs=0.01)


def test_places_are_handed_on_in_order_and_never_leak_on_cancel() -> None:
    async def go() -> tuple[list[int], int]:
        throttle = Throttle(2, rate_per_minute=600)  # one start per 0.1 s
        order: list[int] = []

        async def request(number: int, hold: float) -> None:
            async with throttle.slot():
                order.append(number)
                await asyncio.sleep(hold)

        tasks = [asyncio.create_task(request(n, 1.0)) for n in range(6)]
        await asyncio.sleep(0.05)
        tasks[3].cancel()  # waiting for a place
        tasks[1].cancel()  # has a place, waits for its start at 0.1 s
        await asyncio.sleep(0.1)
        tasks[2].cancel()  # took the place task 1 left, waits for its start at 0.2 s
        await asyncio.gather(*tasks, return_exceptions=True)
        return order, throttle.in_flight

    order, in_flight = run_virtual(go)
    # 4 and 5 got the places the cancelled requests held; none was lost.
    assert order == [0, 4, 5]
    assert in_flight == 0
