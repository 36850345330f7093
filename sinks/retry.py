"""When to try a failed delivery again: exponential backoff with full jitter, honouring
`Retry-After`. Pure, except `with_retries`, which sleeps through an injected `sleep`.

Attempt n (1-based) that failed with a retryable error waits a random time in
`[0, min(cap, base * factor ** (n - 1))]` ("full jitter": many workers retrying one receiver
spread out instead of arriving together). If the receiver said how long to wait (`Retry-After`
as seconds or an HTTP date, or Discord's `retry_after`), the wait is never shorter than that.
A channel gives up after `max_attempts` attempts, or as soon as the next wait would end beyond
`budget` seconds after the first attempt: a receiver that asks us to come back in an hour is
dead-lettered now rather than holding the briefs behind it for an hour.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from sinks.base import DeliveryResult, RetryableSinkError


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    max_attempts: int = 6
    budget: float = 300.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """The jittered wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.cap, self.base * self.factor ** (attempt - 1))
        return rng.uniform(0.0, ceiling)

    def next_wait(self, attempt: int, retry_after: float | None, elapsed: float, rng: random.Random) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when it is time to give up."""
        if attempt >= self.max_attempts:
            return None
        wait = max(self.backoff(attempt, rng), retry_after or 0.0)
        return None if elapsed + wait > self.budget else wait


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds from `now`: delta-seconds ("120", "1.5") or an HTTP date.

    Unparseable values are ignored (None): a receiver's typo must not stop the retries.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:  # RFC 9110 dates are GMT
            moment = moment.replace(tzinfo=UTC)
        return max(0.0, (moment - now).total_seconds())
    return max(0.0, seconds) if seconds == seconds and seconds != float("inf") else None


class GaveUp(RetryableSinkError):
    """Every attempt failed with a retryable error; `attempts` says how many were made."""

    def __init__(self, last: RetryableSinkError, attempts: int) -> None:
        super().__init__(last.sink, last.brief_id, f"gave up after {attempts} attempt(s): {last.reason}")
        self.attempts = attempts


async def with_retries(
    attempt: Callable[[], Awaitable[DeliveryResult]],
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[object]],
    rng: random.Random,
    clock: Callable[[], float] = time.monotonic,
    on_retry: Callable[[RetryableSinkError, float], None] | None = None,
) -> DeliveryResult:
    """Call `attempt` until it succeeds, raises a permanent error, or the policy gives up (GaveUp)."""
    started = clock()
    number = 0
    while True:
        number += 1
        try:
            return await attempt()
        except RetryableSinkError as exc:
            wait = policy.next_wait(number, exc.retry_after, clock() - started, rng)
            if wait is None:
                raise GaveUp(exc, number) from exc
            if on_retry is not None:
                on_retry(exc, wait)
            await sleep(wait)
