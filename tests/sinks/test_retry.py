"""Backoff with full jitter, Retry-After honoured, and giving up on time."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sinks.base import DeliveryResult, PermanentSinkError, RetryableSinkError
from sinks.retry import GaveUp, RetryPolicy, parse_retry_after, with_retries

NOW = datetime(2026, 1, 8, 6, 0, tzinfo=UTC)


@given(st.integers(min_value=1, max_value=30), st.integers(min_value=0, max_value=2**32))
def test_backoff_stays_within_the_exponential_ceiling(attempt: int, seed: int) -> None:
    policy = RetryPolicy(base=0.5, cap=20)
    wait = policy.backoff(attempt, random.Random(seed))
    assert 0 <= wait <= min(20, 0.5 * 2 ** (attempt - 1))


def test_retry_after_is_never_undercut() -> None:
    policy = RetryPolicy(base=0.01, cap=0.01, budget=100)
    assert policy.next_wait(1, 7.5, elapsed=0, rng=random.Random(1)) == 7.5


def test_gives_up_after_max_attempts_or_beyond_the_budget() -> None:
    policy = RetryPolicy(max_attempts=3, budget=10)
    assert policy.next_wait(3, None, 0, random.Random(1)) is None
    assert policy.next_wait(1, 30.0, 0, random.Random(1)) is None  # asked to come back after the budget


@pytest.mark.parametrize(("value", "expected"), [
    ("120", 120.0), (" 1.5 ", 1.5), ("-3", 0.0), ("Thu, 08 Jan 2026 06:00:30 GMT", 30.0),
    ("Wed, 07 Jan 2026 06:00:00 GMT", 0.0), ("soon", None), ("", None), (None, None), ("nan", None),
])
def test_retry_after_header_forms(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.asyncio
async def test_retries_until_success_and_waits_as_told() -> None:
    calls, waits = [], []

    async def attempt() -> DeliveryResult:
        calls.append(1)
        if len(calls) < 3:
            raise RetryableSinkError("slack", "b", "HTTP 429", retry_after=2.0)
        return DeliveryResult("slack", "b", "delivered", "x")

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    result = await with_retries(attempt, RetryPolicy(base=0.1), sleep, random.Random(3), clock=lambda: 0.0)
    assert result.status == "delivered" and len(calls) == 3 and waits == [2.0, 2.0]


@pytest.mark.asyncio
async def test_permanent_errors_are_not_retried() -> None:
    calls = []

    async def attempt() -> DeliveryResult:
        calls.append(1)
        raise PermanentSinkError("slack", "b", "HTTP 404")

    with pytest.raises(PermanentSinkError):
        await with_retries(attempt, RetryPolicy(), _no_sleep, random.Random(1))
    assert len(calls) == 1


@pytest.mark.asyncio
async def test_gave_up_names_the_attempts_and_the_last_reason() -> None:
    async def attempt() -> DeliveryResult:
        raise RetryableSinkError("discord", "b1", "HTTP 503 from the receiver")

    expected = r"sink 'discord' could not deliver brief 'b1': gave up after 4 attempt\(s\): HTTP 503"
    with pytest.raises(GaveUp, match=expected):
        await with_retries(attempt, RetryPolicy(max_attempts=4), _no_sleep, random.Random(1))


async def _no_sleep(_: float) -> None:
    return None
