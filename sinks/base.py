"""The sink contract: how a finished brief leaves Usul, and how a delivery fails. Pure.

Every channel (files, object store, Slack, webhook ...) is one module with one class that satisfies
`BriefSink`. Delivery must be idempotent, because the pipeline runs at-least-once: delivering the
same brief twice reports `already_delivered` and changes nothing.

Errors say whether a retry can help::

    SinkError                  which sink, which brief, what went wrong
     +-- RetryableSinkError    transient: disk full, network down, 5xx, rate limit -> try again later
     +-- PermanentSinkError    retrying cannot help: bad configuration, permission denied, a brief
                               that conflicts with what was already delivered -> dead-letter it
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from models.briefs import Brief

DeliveryStatus = Literal["delivered", "already_delivered"]


@dataclass(frozen=True)
class DeliveryResult:
    """What a sink did with one brief; `location` says where it went (a path, a URL, a channel)."""

    sink: str
    brief_id: str
    status: DeliveryStatus
    location: str
    detail: str = ""

    @property
    def already_delivered(self) -> bool:
        return self.status == "already_delivered"


@runtime_checkable
class BriefSink(Protocol):
    """A channel a brief is delivered to. `deliver` raises a `SinkError` subclass on failure."""

    name: str

    def deliver(self, brief: Brief) -> DeliveryResult: ...


@runtime_checkable
class AsyncBriefSink(Protocol):
    """The same contract for channels that talk to the network: `deliver` is a coroutine.

    `sinks.dispatch` awaits these on the event loop and runs plain `BriefSink`s in an executor.
    """

    name: str

    async def deliver(self, brief: Brief) -> DeliveryResult: ...


class SinkError(Exception):
    """A delivery failed; the message names the sink, the brief and the cause."""

    def __init__(self, sink: str, brief_id: str, reason: str) -> None:
        super().__init__(f"sink {sink!r} could not deliver brief {brief_id!r}: {reason}")
        self.sink = sink
        self.brief_id = brief_id
        self.reason = reason


class RetryableSinkError(SinkError):
    """A transient failure: the same delivery may succeed later.

    `retry_after` is the receiver's own wish (an HTTP `Retry-After`, Discord's `retry_after`) in
    seconds; the retry policy never tries again sooner than that.
    """

    def __init__(self, sink: str, brief_id: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(sink, brief_id, reason)
        self.retry_after = retry_after


class PermanentSinkError(SinkError):
    """A failure a retry cannot fix: configuration, permissions, or conflicting content."""
