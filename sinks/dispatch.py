"""Deliver one brief record to every configured channel, through the ledger. No faust import.

The faust agent calls `Dispatcher.on_brief` with the record's bytes, the partition's slice of the
`ledger` table, and `persist` (which flushes the table's changelog). For each channel that wants
the brief's lens, concurrently and independently:

    plan from the ledger ── SKIP ────────────────────────► nothing (done, dead or abandoned before)
         │            └──── ABANDON ─────────────────────► mark `uncertain`, count it (at-most-once)
         ▼ SEND / RESEND
    ledger: in_flight, persist ─► send, with retries ─► ledger: done, persist
                                        │
                                        └─ permanent error, or retries exhausted
                                           ─► ledger: dead, persist, DeadLetter(stage "sink:<channel>")

One channel failing or waiting out its backoff never stops the others; the record is finished
(and its offset may be committed) only when every channel is done, dead-lettered or skipped.

Test hook: `USUL_FAULT_AFTER=<step>[:<channel>]` makes the process `os._exit(137)` right after
that step, as a SIGKILL would; steps are `in-flight` (the in-flight mark is durable, nothing
sent), `send` (the channel has the brief, the ledger does not know yet) and `done` (the done
mark is durable). Without `:<channel>` it fires on the first channel reaching the step. Only the
fault-injection tests set it; never set it in a deployment.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import random
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from prometheus_client import Counter

from models import topics
from models.briefs import Brief
from models.codec import DecodeError, decode
from models.dead_letters import DeadLetter, Origin, dead_letter
from sinks.base import AsyncBriefSink, BriefSink, DeliveryResult, PermanentSinkError, RetryableSinkError, SinkError
from sinks.ledger import Ledger, Plan, ledger_key
from sinks.retry import RetryPolicy, with_retries

FAULT_ENV = "USUL_FAULT_AFTER"
log = logging.getLogger("usul.sinks")
FAULT_STEPS = ("in-flight", "send", "done")
Persist = Callable[[], Awaitable[object]]


class DeliveryMetrics(Protocol):
    """The counters delivery updates; the worker passes `streams.metrics.METRICS`, which has them."""

    dead_letters: Counter  # labels: stage, error class
    sink_deliveries: Counter  # labels: sink, outcome


@dataclass(frozen=True)
class Channel:
    """A sink plus how it is delivered to: which lenses, and whether an uncertain send is resent."""

    sink: BriefSink | AsyncBriefSink
    lenses: frozenset[str] | None = None  # None: every lens
    redeliver_uncertain: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def name(self) -> str:
        return self.sink.name

    def wants(self, brief: Brief) -> bool:
        return self.lenses is None or brief.lens in self.lenses


def fault_from_env(environ: MutableMapping[str, str] | None = None) -> tuple[str, str | None] | None:
    value = (environ if environ is not None else os.environ).get(FAULT_ENV, "").strip()
    if not value:
        return None
    step, _, channel = value.partition(":")
    if step not in FAULT_STEPS:
        raise ValueError(f"{FAULT_ENV}={value!r}: the step must be one of {', '.join(FAULT_STEPS)}")
    return step, channel or None


class Dispatcher:
    def __init__(self, channels: list[Channel], metrics: DeliveryMetrics, *, rng: random.Random | None = None,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
                 fault: tuple[str, str | None] | None = None) -> None:
        names = [c.name for c in channels]
        if len(set(names)) != len(names):
            raise ValueError(f"channel names must be unique, got {names}")
        self.channels, self.metrics, self.sleep = channels, metrics, sleep
        self.rng = rng or random.Random()
        self.fault = fault

    async def on_brief(self, payload: bytes | None, entries: MutableMapping[str, Any], origin: Origin,
                       now: datetime, persist: Persist) -> list[DeadLetter]:
        """Deliver one briefs-topic record; return the dead letters to publish on the dead-letter topic."""
        try:
            brief: Brief = decode(topics.BRIEFS, payload)
        except DecodeError as exc:
            self.metrics.dead_letters.labels("sink", type(exc).__name__).inc()
            return [dead_letter("sink", exc, payload, origin, now)]
        return await self.deliver(brief, entries, origin, now, persist)

    async def deliver(self, brief: Brief, entries: MutableMapping[str, Any], origin: Origin, now: datetime,
                      persist: Persist) -> list[DeadLetter]:
        ledger = Ledger(entries)
        wanted = [c for c in self.channels if c.wants(brief)]
        results = await asyncio.gather(*(self._one(c, brief, ledger, origin, now, persist) for c in wanted))
        return [out for out in results if out is not None]

    async def _one(self, channel: Channel, brief: Brief, ledger: Ledger, origin: Origin, now: datetime,
                   persist: Persist) -> DeadLetter | None:
        key = ledger_key(brief.brief_id, brief.revision, channel.name)
        plan = ledger.plan(key, channel.redeliver_uncertain)
        if plan is Plan.SKIP:
            self._count(channel, "skipped")
            return None
        if plan is Plan.ABANDON:
            ledger.abandon(key, now)
            await persist()
            self._count(channel, "abandoned_uncertain")
            return None
        if plan is Plan.RESEND:
            self._count(channel, "resent_after_crash")
        log.info("sink %s: brief %s r%d: %s", channel.name, brief.brief_id, brief.revision, plan.value)
        ledger.begin(key, now)
        await persist()
        self._maybe_fault("in-flight", channel.name)
        try:
            result = await with_retries(lambda: self._call(channel, brief), channel.retry, self.sleep, self.rng,
                                        on_retry=lambda exc, wait: self._retrying(channel))
        except SinkError as exc:
            return await self._dead(channel, brief, ledger, key, exc, origin, now, persist)
        except Exception as exc:  # a bug in a channel must not stop the others, nor the partition
            wrapped = PermanentSinkError(channel.name, brief.brief_id, f"unexpected {type(exc).__name__}: {exc}")
            return await self._dead(channel, brief, ledger, key, wrapped, origin, now, persist)
        self._maybe_fault("send", channel.name)
        ledger.done(key, now, result.status, result.location)
        await persist()
        self._count(channel, result.status)
        log.info("sink %s: brief %s r%d: %s", channel.name, brief.brief_id, brief.revision, result.status)
        self._maybe_fault("done", channel.name)
        return None

    async def _call(self, channel: Channel, brief: Brief) -> DeliveryResult:
        deliver = channel.sink.deliver
        if inspect.iscoroutinefunction(deliver):
            return await deliver(brief)  # type: ignore[no-any-return]
        result = await asyncio.get_running_loop().run_in_executor(None, deliver, brief)
        if inspect.isawaitable(result):
            return await result  # type: ignore[no-any-return]
        return result  # type: ignore[return-value]

    async def _dead(self, channel: Channel, brief: Brief, ledger: Ledger, key: str, exc: SinkError, origin: Origin,
                    now: datetime, persist: Persist) -> DeadLetter:
        ledger.dead(key, now, exc.reason)
        await persist()
        stage = f"sink:{channel.name}"
        self.metrics.dead_letters.labels(stage, type(exc).__name__).inc()
        self.metrics.sink_failures.labels(channel.name, str(isinstance(exc, RetryableSinkError)).lower()).inc()
        self._count(channel, "dead_lettered")
        kind = "retryable, gave up" if isinstance(exc, RetryableSinkError) else "permanent"
        log.warning("%s: brief %s r%d dead-lettered (%s): %s", stage, brief.brief_id, brief.revision, kind, exc.reason)
        return dead_letter(stage, exc, brief.model_dump_json().encode(), origin, now, message=exc.reason)

    def _retrying(self, channel: Channel) -> None:
        """A retryable attempt failed and another follows (the last failure is counted in `_dead`)."""
        self.metrics.sink_failures.labels(channel.name, "true").inc()
        self.metrics.sink_retries.labels(channel.name).inc()
        self._count(channel, "retried")

    def _count(self, channel: Channel, outcome: str) -> None:
        self.metrics.sink_deliveries.labels(channel.name, outcome).inc()

    def _maybe_fault(self, step: str, channel: str) -> None:
        if self.fault is None or self.fault[0] != step or self.fault[1] not in (None, channel):
            return
        print(f"usul: {FAULT_ENV}: exiting after step {step!r} of channel {channel!r}", file=sys.stderr, flush=True)
        os._exit(137)
