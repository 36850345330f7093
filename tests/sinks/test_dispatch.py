"""Delivery through the ledger to several channels at once: no repeats, dead letters, crash policy."""

from __future__ import annotations

import asyncio
import base64
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from models.codec import encode
from models.dead_letters import Origin
from sinks.dispatch import Channel, Dispatcher, fault_from_env
from sinks.files import FileSink
from sinks.ledger import Ledger, ledger_key
from sinks.retry import RetryPolicy
from sinks.slack import SlackSink
from sinks.webhook import WebhookSink
from streams.metrics import Metrics
from tests.sinks.conftest import brief
from tests.sinks.servers import RecordingServer, recording_server

NOW = datetime(2026, 1, 8, 6, 5, tzinfo=UTC)
SECRET = SecretStr("whsec_" + base64.b64encode(b"w" * 32).decode())


ORIGIN = Origin("usul.briefs.v1", 0, 7, "ai-safety-governance:2026-01-08:1")


class Waits:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def _dispatcher(channels: list[Channel], waits: Waits | None = None) -> tuple[Dispatcher, Metrics]:
    metrics = Metrics(CollectorRegistry())
    return Dispatcher(channels, metrics, rng=random.Random(1), sleep=waits or Waits()), metrics


async def _persist() -> None:
    return None


def _count(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


@pytest.mark.asyncio
async def test_every_channel_gets_each_revision_once(tmp_path: Path, receiver: RecordingServer) -> None:
    channels = [Channel(FileSink(tmp_path)), Channel(WebhookSink("hook", SecretStr(receiver.url), SECRET))]
    dispatcher, metrics = _dispatcher(channels)
    ledger: dict[str, object] = {}
    for _ in range(3):  # the same record consumed again after restarts
        assert await dispatcher.on_brief(encode(brief()), ledger, ORIGIN, NOW, _persist) == []
    filed = tmp_path / "ai-safety-governance/editions/2026-01-09/r1/brief.json"
    assert len(receiver.received) == 1 and filed.exists()
    assert _count(metrics, "usul_sink_deliveries_total", sink="hook", outcome="skipped") == 2
    assert Ledger(ledger).state(ledger_key(brief().brief_id, 1, "hook")) == "done"


@pytest.mark.asyncio
async def test_a_channel_that_stays_down_is_dead_lettered_without_holding_up_the_others(
        tmp_path: Path, receiver: RecordingServer) -> None:
    with recording_server(default=(503, {"Retry-After": "2"}, b"down")) as down:
        waits = Waits()
        slow_policy = RetryPolicy(base=0.1, max_attempts=4, budget=60)
        channels = [Channel(SlackSink("slack", SecretStr(down.url + "/services/secret-path")), retry=slow_policy),
                    Channel(WebhookSink("hook", SecretStr(receiver.url), SECRET))]
        dispatcher, metrics = _dispatcher(channels, waits)
        ledger: dict[str, object] = {}
        [letter] = await dispatcher.on_brief(encode(brief()), ledger, ORIGIN, NOW, _persist)
    assert len(down.received) == 4 and waits.seconds == [2.0, 2.0, 2.0]  # Retry-After beats the tiny backoff
    assert letter.stage == "sink:slack" and letter.error_class == "GaveUp" and "HTTP 503" in letter.message
    assert "secret-path" not in letter.message and letter.offset == 7 and brief().brief_id in letter.payload
    assert len(receiver.received) == 1
    assert _count(metrics, "usul_dead_letters_total", stage="sink:slack", error="GaveUp") == 1
    assert _count(metrics, "usul_sink_failures_total", sink="slack", retryable="true") == 4
    assert _count(metrics, "usul_sink_retries_total", sink="slack") == 3
    assert Ledger(ledger).state(ledger_key(brief().brief_id, 1, "slack")) == "dead"
    assert await dispatcher.on_brief(encode(brief()), ledger, ORIGIN, NOW, _persist) == []  # never again


@pytest.mark.asyncio
async def test_channels_are_delivered_concurrently(receiver: RecordingServer) -> None:
    started: list[str] = []
    gate = asyncio.Event()

    class Slow:
        def __init__(self, name: str) -> None:
            self.name = name

        async def deliver(self, b):  # noqa: ANN001, ANN202
            started.append(self.name)
            if len(started) == 2:
                gate.set()
            await asyncio.wait_for(gate.wait(), 5)  # deadlocks unless both run at once
            from sinks.base import DeliveryResult
            return DeliveryResult(self.name, b.brief_id, "delivered", "memory")

    dispatcher, _ = _dispatcher([Channel(Slow("a")), Channel(Slow("b"))])
    assert await dispatcher.on_brief(encode(brief()), {}, ORIGIN, NOW, _persist) == []
    assert sorted(started) == ["a", "b"]


@pytest.mark.asyncio
async def test_in_flight_entries_follow_each_channels_crash_policy(receiver: RecordingServer) -> None:
    ledger: dict[str, object] = {}
    for name in ("again", "once"):  # as if the worker died after marking both in flight
        Ledger(ledger).begin(ledger_key(brief().brief_id, 1, name), NOW)
    channels = [Channel(SlackSink("again", SecretStr(receiver.url + "/again")), redeliver_uncertain=True),
                Channel(SlackSink("once", SecretStr(receiver.url + "/once")), redeliver_uncertain=False)]
    dispatcher, metrics = _dispatcher(channels)
    await dispatcher.on_brief(encode(brief()), ledger, ORIGIN, NOW, _persist)
    assert [r.path for r in receiver.received] == ["/again"]
    assert Ledger(ledger).state(ledger_key(brief().brief_id, 1, "once")) == "uncertain"
    assert _count(metrics, "usul_sink_deliveries_total", sink="once", outcome="abandoned_uncertain") == 1
    assert _count(metrics, "usul_sink_deliveries_total", sink="again", outcome="resent_after_crash") == 1


@pytest.mark.asyncio
async def test_lenses_select_channels_and_bad_records_are_dead_lettered(receiver: RecordingServer) -> None:
    hook = Channel(WebhookSink("hook", SecretStr(receiver.url), SECRET), lenses=frozenset({"other-lens"}))
    dispatcher, _ = _dispatcher([hook])
    assert await dispatcher.on_brief(encode(brief()), {}, ORIGIN, NOW, _persist) == []
    assert receiver.received == []
    [letter] = await dispatcher.on_brief(b"not json", {}, ORIGIN, NOW, _persist)
    assert letter.stage == "sink" and letter.payload == "not json"


@pytest.mark.asyncio
async def test_the_ledger_is_made_durable_before_sending(receiver: RecordingServer) -> None:
    ledger: dict[str, object] = {}
    seen: list[str | None] = []

    async def persist() -> None:
        seen.append(Ledger(ledger).state(ledger_key(brief().brief_id, 1, "hook")))

    dispatcher, _ = _dispatcher([Channel(WebhookSink("hook", SecretStr(receiver.url), SECRET))])
    await dispatcher.on_brief(encode(brief()), ledger, ORIGIN, NOW, persist)
    assert seen == ["in_flight", "done"]


def test_the_fault_hook_is_read_from_the_environment() -> None:
    assert fault_from_env({}) is None
    assert fault_from_env({"USUL_FAULT_AFTER": "send:webhook"}) == ("send", "webhook")
    assert fault_from_env({"USUL_FAULT_AFTER": "in-flight"}) == ("in-flight", None)
    with pytest.raises(ValueError, match="one of in-flight, send, done"):
        fault_from_env({"USUL_FAULT_AFTER": "later"})
