"""Metrics: names, labels, the helpers that compute values, and faust's sensor and lag sampler."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from faust.types import TP
from prometheus_client import CollectorRegistry, generate_latest

from streams.faust_metrics import PrometheusSensor, lag, sample_consumer_lag
from streams.metrics import LATENCY_CLIP_SECONDS, Metrics, clipped_age
from streams.stall import StallWatch

NOW = datetime(2026, 1, 8, 12, 0, tzinfo=UTC)


def fresh() -> Metrics:
    return Metrics(CollectorRegistry())


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_existing_metric_names_and_labels_stay_as_other_code_calls_them() -> None:
    metrics = fresh()
    metrics.items_ingested.labels("arxiv").inc()
    metrics.items_normalised.labels("ai-safety-governance").inc()
    metrics.items_deduplicated.labels("duplicate").inc()
    metrics.items_relevant.labels("ai-safety-governance").inc()
    metrics.dead_letters.labels("normalise", "DecodeError").inc()
    metrics.sink_deliveries.labels("files", "delivered").inc()
    metrics.briefs.labels("ai-safety-governance").inc()
    metrics.close_rounds.labels("ai-safety-governance", "true").inc()
    assert value(metrics, "usul_items_ingested_total", source="arxiv") == 1
    assert value(metrics, "usul_dead_letters_total", stage="normalise", error="DecodeError") == 1
    assert value(metrics, "usul_briefs_total", lens="ai-safety-governance") == 1


def test_each_test_gets_its_own_counts() -> None:
    first, second = fresh(), fresh()
    first.items_ingested.labels("arxiv").inc()
    assert value(second, "usul_items_ingested_total", source="arxiv") is None


def test_every_metric_is_named_usul_and_exported() -> None:
    metrics = fresh()
    names = metrics.metric_names()
    assert all(name.startswith("usul_") for name in names)
    for expected in ("usul_consumer_lag_messages", "usul_story_latency_seconds_bucket", "usul_briefs_total",
                     "usul_llm_tokens_total", "usul_faust_commit_seconds_count"):
        assert expected in names


def test_age_is_clipped_to_zero_and_to_the_top_bucket() -> None:
    assert clipped_age(NOW, NOW - timedelta(seconds=90)) == 90
    assert clipped_age(NOW, NOW + timedelta(minutes=5)) == 0  # a clock ahead of ours
    assert clipped_age(NOW, NOW - timedelta(days=40)) == LATENCY_CLIP_SECONDS  # a replay of an old day


def test_story_latency_is_observed_per_lens() -> None:
    metrics = fresh()
    metrics.observe_story_latency("ai-safety-governance", NOW - timedelta(seconds=30), NOW)
    assert value(metrics, "usul_story_latency_seconds_count", lens="ai-safety-governance") == 1
    assert value(metrics, "usul_story_latency_seconds_sum", lens="ai-safety-governance") == 30
    assert value(metrics, "usul_story_latency_seconds_bucket", lens="ai-safety-governance", le="15.0") == 0


def test_brief_latency_counts_each_cited_item_with_a_publication_time() -> None:
    metrics = fresh()
    metrics.observe_brief_latency("lens", [NOW - timedelta(hours=2), None, NOW - timedelta(hours=1)], NOW)
    assert value(metrics, "usul_brief_latency_seconds_count", lens="lens") == 2
    assert value(metrics, "usul_brief_latency_seconds_sum", lens="lens") == 3 * 3600


def test_lag_is_highwater_minus_the_next_offset_to_read() -> None:
    assert lag(100, 89, None) == 10  # offsets 90..99 are still to read
    assert lag(100, None, 49) == 50  # nothing read since the last commit: count from it
    assert lag(100, 99, 10) == 0
    assert lag(None, 5, 5) is None
    assert lag(10, None, None) is None


class FakeConsumer:
    def __init__(self, ends: dict, read: dict, positions: dict) -> None:
        self.ends, self._read_offset, self._committed_offset = ends, read, {}
        self.positions = positions

    def assignment(self) -> set:
        return set(self.ends)

    async def highwaters(self, *tps: object) -> dict:
        return {tp: self.ends[tp] for tp in tps}

    async def position(self, tp: object) -> int:
        return self.positions[tp]


def test_the_lag_sampler_reports_only_partitions_assigned_now() -> None:
    metrics = fresh()
    tp0, tp1 = TP("usul.items.raw.v1", 0), TP("usul.briefs.v1", 0)
    changelog = TP("usul-stories-changelog", 0)  # written here, read only on recovery: not lag
    consumer = FakeConsumer({tp0: 20, tp1: 7, changelog: 50}, {tp0: 14, changelog: 3}, {tp1: 3})
    asyncio.run(sample_consumer_lag(SimpleNamespace(consumer=consumer), metrics))
    assert value(metrics, "usul_consumer_lag_messages", topic="usul-stories-changelog", partition="0") is None
    assert value(metrics, "usul_consumer_lag_messages", topic="usul.items.raw.v1", partition="0") == 5
    assert value(metrics, "usul_consumer_lag_messages", topic="usul.briefs.v1", partition="0") == 4
    consumer.ends.pop(tp1)  # a rebalance moved it to another worker
    asyncio.run(sample_consumer_lag(SimpleNamespace(consumer=consumer), metrics))
    assert value(metrics, "usul_consumer_lag_messages", topic="usul.briefs.v1", partition="0") is None


def test_the_sampler_tells_the_stall_watch_what_waits_and_where_reading_stands() -> None:
    metrics, watch = fresh(), StallWatch(after=0.0)
    tp = TP("usul.items.raw.v1", 0)
    consumer = FakeConsumer({tp: 20}, {tp: 14}, {})
    app = SimpleNamespace(consumer=consumer, rebalancing=False)
    asyncio.run(sample_consumer_lag(app, metrics, watch))
    assert watch.positions == {("usul.items.raw.v1", 0): 15} and watch.since is not None
    assert value(metrics, "usul_consumer_stalled") == 1  # after=0: waiting with nothing moved yet
    app.rebalancing = True
    asyncio.run(sample_consumer_lag(app, metrics, watch))
    assert value(metrics, "usul_consumer_stalled") == 0


def test_the_sensor_counts_faust_callbacks() -> None:
    metrics = fresh()
    sensor = PrometheusSensor(metrics)
    tp = TP("usul.items.raw.v1", 1)
    sensor.on_message_in(tp, 5, None)
    sensor.on_message_out(tp, 5, None)
    sensor.on_send_initiated(None, "usul.stories.v1", None, 3, 10)
    sensor.on_commit_completed(None, sensor.on_commit_initiated(None))
    sensor.on_rebalance_end(None, sensor.on_rebalance_start(None))
    text = generate_latest(metrics.registry).decode()
    assert 'usul_faust_messages_in_total{partition="1",topic="usul.items.raw.v1"} 1.0' in text
    assert 'usul_faust_messages_sent_total{topic="usul.stories.v1"} 1.0' in text
    assert value(metrics, "usul_faust_commit_seconds_count") == 1
    assert value(metrics, "usul_faust_rebalances_total") == 1
    assert value(metrics, "usul_faust_rebalance_seconds_count") == 1
