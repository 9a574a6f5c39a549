"""The sandbox's knobs: which key it accepts and which faults it injects."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from bulk_scheduler.sandbox.seed import SANDBOX_API_KEY

__all__ = ["FAULT_FIELDS", "SandboxConfig"]


@dataclass(frozen=True)
class SandboxConfig:
    """How a sandbox behaves. Every random choice comes from ``random.Random(seed)``.

    - ``latency_ms`` ± ``latency_jitter_ms``: sleep before answering each API request.
    - ``error_rate``: fraction of ``POST /posts`` answered ``500 create_failed`` before
      the post is stored.
    - ``rate_limit``: requests per minute over all API routes (token bucket holding
      ``rate_limit_burst_seconds`` worth of requests, at least one); beyond it ``429``,
      with a ``Retry-After`` header (whole seconds) when ``retry_after`` is set.
    - ``drop_rate``: fraction of ``POST /posts`` where the post IS stored and then the
      connection is cut before the response is complete.
    - ``fetch_loopback_media``: GET loopback media URLs to check they answer 2xx.
    - ``publish_fail_rate``: when the publisher (``POST /__sandbox/publish``) delivers a
      due post, the fraction of its accounts that fail (the post is then ``failed`` or
      ``partial``), with ``publish_fail_message`` as each one's ``error_message``.
    - ``update_drop_rate``: fraction of ``PATCH /posts/{id}`` where the edit IS applied and
      then the connection is cut before the answer is complete.
    """

    api_key: str = SANDBOX_API_KEY
    latency_ms: float = 0
    latency_jitter_ms: float = 0
    error_rate: float = 0
    rate_limit: int | None = None
    rate_limit_burst_seconds: float = 2.0
    retry_after: bool = False
    drop_rate: float = 0
    seed: int = 0
    fetch_loopback_media: bool = True
    publish_fail_rate: float = 0
    update_drop_rate: float = 0
    publish_fail_message: str = "The platform rejected the upload (sandbox publish_fail_rate)"

    def __post_init__(self) -> None:
        problems = _problems(dataclasses.asdict(self))
        if problems:
            raise ValueError("; ".join(problems))

    def with_faults(self, **changes: Any) -> SandboxConfig:
        """A copy with some fault fields changed; unknown or ill-typed fields raise ValueError."""
        unknown = sorted(set(changes) - FAULT_FIELDS)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
        return dataclasses.replace(self, **changes)


FAULT_FIELDS = frozenset(f.name for f in dataclasses.fields(SandboxConfig)) - {"api_key"}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _problems(values: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for name in ("latency_ms", "latency_jitter_ms", "rate_limit_burst_seconds"):
        if not _is_number(values[name]) or values[name] < 0:
            problems.append(f"{name} must be a number >= 0")
    for name in ("error_rate", "drop_rate", "publish_fail_rate", "update_drop_rate"):
        if not _is_number(values[name]) or not 0 <= values[name] <= 1:
            problems.append(f"{name} must be a number from 0 to 1")
    limit = values["rate_limit"]
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        problems.append("rate_limit must be a whole number >= 1, or null")
    for name in ("retry_after", "fetch_loopback_media"):
        if not isinstance(values[name], bool):
            problems.append(f"{name} must be true or false")
    if not isinstance(values["seed"], int) or isinstance(values["seed"], bool):
        problems.append("seed must be an integer")
    if not isinstance(values["publish_fail_message"], str) or not values["publish_fail_message"]:
        problems.append("publish_fail_message must be a non-empty string")
    if not isinstance(values["api_key"], str) or not values["api_key"]:
        problems.append("api_key must be a non-empty string")
    return problems
