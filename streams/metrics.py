"""Prometheus metrics: one registry for the whole worker, names and units in one place (polling
real sources adds its own on the same registry: `streams.ingest.metrics`). Pure.

Tests build their own registry with `Metrics(CollectorRegistry())` so counts never leak between
them; the worker uses `METRICS`. deploy/README.md lists every metric with its unit and labels, and
the Grafana dashboard and alert rules under deploy/ name only metrics defined here (a contract
test checks that).

End-to-end latencies are measured against the item's own clock (`event_at`, its publication
time when it has one), so a replay of an old day lands in the top bucket: values are clipped to
`[0, LATENCY_CLIP_SECONDS]` rather than thrown away.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0)
# one second to three days: a story updates within seconds of its item; a brief is published the
# morning after its day, up to about 30 h after the day's first item (plus the allowed lateness)
LATENCY_CLIP_SECONDS = 3 * 86400.0
_LATENCY_BUCKETS = (1, 5, 15, 30, 60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600,
                    86400, 36 * 3600, 2 * 86400, LATENCY_CLIP_SECONDS)
_CALL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_KAFKA_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


def clipped_age(now: datetime, then: datetime) -> float:
    """Seconds from `then` to `now`, clipped to [0, LATENCY_CLIP_SECONDS] (clocks drift; replays are old)."""
    return min(max((now - then).total_seconds(), 0.0), LATENCY_CLIP_SECONDS)


class Metrics:
    """Every metric Usul exports, registered on `registry`; the attribute names are the API."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._items(registry)
        self._latency(registry)
        self._stories_and_briefs(registry)
        self._delivery(registry)
        self._language_model(registry)
        self._kafka(registry)

    # items through the stages --------------------------------------------------------------------
    def _items(self, registry: CollectorRegistry) -> None:
        self.items_ingested = Counter(
            "usul_items_ingested_total", "Raw items produced onto the raw topic", ["source"], registry=registry)
        self.items_normalised = Counter(
            "usul_items_normalised_total", "Items normalised and judged, per lens", ["lens"], registry=registry)
        self.items_deduplicated = Counter(
            "usul_items_deduplicated_total", "Dedup verdicts on arrivals (new, duplicate, redelivery)", ["kind"],
            registry=registry)
        self.items_relevant = Counter(
            "usul_items_relevant_total", "Items judged relevant, per lens", ["lens"], registry=registry)
        self.items_late = Counter(
            "usul_items_late_total", "Items past their day's deadline, sent to the late topic", ["lens"],
            registry=registry)
        self.dead_letters = Counter(
            "usul_dead_letters_total", "Records sent to the dead-letter topic", ["stage", "error"],
            registry=registry)

    def _latency(self, registry: CollectorRegistry) -> None:
        self.stage_seconds = Histogram(
            "usul_stage_seconds", "Time one record spends in a stage's code", ["stage"],
            buckets=_STAGE_BUCKETS, registry=registry)
        self.story_latency = Histogram(
            "usul_story_latency_seconds", "From an item's event time to the story update it caused (clipped)",
            ["lens"], buckets=_LATENCY_BUCKETS, registry=registry)
        self.brief_latency = Histogram(
            "usul_brief_latency_seconds",
            "From each cited item's publication to the brief revision that carries it (clipped)",
            ["lens"], buckets=_LATENCY_BUCKETS, registry=registry)

    def _stories_and_briefs(self, registry: CollectorRegistry) -> None:
        self.story_updates = Counter(
            "usul_story_updates_total", "Story updates published, per lens", ["lens"], registry=registry)
        self.open_stories = Gauge(
            "usul_open_stories", "Stories of open lens-days held by this worker", ["lens", "day"], registry=registry)
        self.briefs = Counter(
            "usul_briefs_total", "Brief revisions published (first revisions included)", ["lens"],
            registry=registry)
        self.brief_revisions = Counter(
            "usul_brief_revisions_total", "Brief revisions after the first (a day's brief changed)", ["lens"],
            registry=registry)
        self.close_rounds = Counter(
            "usul_close_rounds_total", "Close rounds completed", ["lens", "changed"], registry=registry)
        self.state_keys_expired = Counter(
            "usul_state_keys_expired_total", "Stage-state keys of days past retention dropped at a close", ["lens"],
            registry=registry)

    def _delivery(self, registry: CollectorRegistry) -> None:
        self.sink_deliveries = Counter(
            "usul_sink_deliveries_total", "Brief deliveries per sink and outcome", ["sink", "outcome"],
            registry=registry)
        self.sink_failures = Counter(
            "usul_sink_failures_total", "Failed delivery attempts per sink; retryable says if a retry can help",
            ["sink", "retryable"], registry=registry)
        self.sink_retries = Counter(
            "usul_sink_retries_total", "Delivery attempts that were retries", ["sink"], registry=registry)

    def _language_model(self, registry: CollectorRegistry) -> None:
        self.llm_calls = Counter(
            "usul_llm_calls_total",
            "Language-model calls per model and outcome (ok, error, invalid, truncated, timeout)",
            ["model", "outcome"], registry=registry)
        self.llm_tokens = Counter(
            "usul_llm_tokens_total", "Language-model tokens per model and kind (prompt, completion)",
            ["model", "kind"], registry=registry)
        self.llm_fallbacks = Counter(
            "usul_llm_fallbacks_total", "Times the extractive fallback wrote instead of the model, per reason",
            ["reason"], registry=registry)
        self.llm_seconds = Histogram(
            "usul_llm_call_seconds", "Duration of one language-model call", ["model"],
            buckets=_CALL_BUCKETS, registry=registry)
        self.llm_rejections = Counter(
            "usul_llm_rejections_total", "Model answers refused by a check, per lens and check (citation, "
            "name, number, overlap, length, confidence, headline, language)", ["lens", "check"], registry=registry)
        self.llm_cache_hits = Counter(
            "usul_llm_cache_hits_total", "Texts reused from the writer's cache without a call, per lens",
            ["lens"], registry=registry)
        self.llm_budget_spent = Gauge(
            "usul_llm_budget_spent_tokens", "Tokens spent today against the lens's daily budget",
            ["lens"], registry=registry)

    def _kafka(self, registry: CollectorRegistry) -> None:
        self.consumer_lag = Gauge(
            "usul_consumer_lag_messages", "Highwater minus the next offset to read, per assigned partition",
            ["topic", "partition"], registry=registry)
        self.consumer_stalled = Gauge(
            "usul_consumer_stalled", "1 while records wait and no read position has moved for the stall time "
            "(streams.stall)", registry=registry)
        # per partition too: the dashboard's throughput per partition shows which worker falls behind
        self.faust_messages_in = Counter(
            "usul_faust_messages_in_total", "Messages the consumer handed to streams, per topic and partition",
            ["topic", "partition"], registry=registry)
        self.faust_messages_out = Counter(
            "usul_faust_messages_out_total", "Messages every stream finished with (ready to commit), per topic",
            ["topic"], registry=registry)
        self.faust_messages_sent = Counter(
            "usul_faust_messages_sent_total", "Messages handed to the producer, per topic", ["topic"],
            registry=registry)
        self.faust_send_errors = Counter(
            "usul_faust_send_errors_total", "Producer sends that failed", registry=registry)
        self.faust_commit_seconds = Histogram(
            "usul_faust_commit_seconds", "Duration of one offset commit", buckets=_KAFKA_BUCKETS, registry=registry)
        self.faust_rebalances = Counter(
            "usul_faust_rebalances_total", "Consumer-group rebalances this worker went through", registry=registry)
        self.faust_rebalance_seconds = Histogram(
            "usul_faust_rebalance_seconds", "From a rebalance's start to its end, recovery included",
            buckets=_KAFKA_BUCKETS, registry=registry)
        self.faust_assignment_errors = Counter(
            "usul_faust_assignment_errors_total", "Partition assignments that failed", registry=registry)

    # helpers for the few metrics that need more than one call ----------------------------------
    def observe_story_latency(self, lens: str, event_at: datetime, now: datetime) -> None:
        self.story_latency.labels(lens).observe(clipped_age(now, event_at))

    def observe_brief_latency(self, lens: str, published: Iterable[datetime | None], now: datetime) -> None:
        """One observation per cited item with a publication time."""
        histogram = self.brief_latency.labels(lens)
        for moment in published:
            if moment is not None:
                histogram.observe(clipped_age(now, moment))

    def metric_names(self) -> set[str]:
        """Every sample name this registry can export (`_total`, `_bucket`, ... included)."""
        names: set[str] = set()
        for family in self.registry.collect():
            names.add(family.name)
            names.update(sample.name for sample in family.samples)
            if family.type == "counter":
                names.add(f"{family.name}_total")
            if family.type == "histogram":
                names.update(f"{family.name}{s}" for s in ("_bucket", "_sum", "_count"))
        return names


METRICS = Metrics(CollectorRegistry())
