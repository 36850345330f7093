"""Prometheus metrics of ingestion from real sources: polls, fetches, guards, staleness.

Registered on the worker's registry (`streams.metrics.METRICS.registry`) so `/metrics` shows
them; tests build `IngestMetrics(CollectorRegistry())`. The `source` label is the configured
source name (a bounded set: one per `[[source]]`).

Alert on `usul_source_is_stale == 1` (or `usul_source_stale > usul_source_stale_after_seconds`)
and on `usul_source_error_streak >= 3`.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from streams.metrics import METRICS


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.polls = Counter(
            "usul_source_polls_total", "Polls of a source by outcome (new, unchanged, not_modified, error)",
            ["source", "outcome"], registry=registry)
        self.new_items = Counter(
            "usul_source_new_items_total", "Items a source gave that ingestion had not produced before",
            ["source"], registry=registry)
        self.repeats = Counter(
            "usul_source_repeated_items_total", "Items a source gave again (already produced), not produced",
            ["source"], registry=registry)
        self.errors = Counter(
            "usul_source_errors_total", "Failed polls by error class", ["source", "error"], registry=registry)
        self.error_streak = Gauge(
            "usul_source_error_streak", "Consecutive failed polls", ["source"], registry=registry)
        self.unchanged_streak = Gauge(
            "usul_source_unchanged_polls", "Consecutive successful polls without a new item", ["source"],
            registry=registry)
        self.last_success = Gauge(
            "usul_source_last_success_timestamp_seconds", "When the source was last polled without error",
            ["source"], registry=registry)
        self.last_new_item = Gauge(
            "usul_source_last_new_item_timestamp_seconds", "When the source last gave a new, recent item",
            ["source"], registry=registry)
        self.stale = Gauge(
            "usul_source_stale", "Seconds since the source last gave a new, recent item", ["source"],
            registry=registry)
        self.stale_after = Gauge(
            "usul_source_stale_after_seconds", "The source's configured staleness threshold", ["source"],
            registry=registry)
        self.is_stale = Gauge(
            "usul_source_is_stale", "1 when the source has given nothing new for longer than its threshold",
            ["source"], registry=registry)
        self.requests = Counter(
            "usul_fetch_requests_total", "HTTP requests made by the fetcher by outcome (2xx, 304, 4xx, 5xx, error)",
            ["outcome"], registry=registry)
        self.blocked = Counter(
            "usul_fetch_blocked_total", "Fetches refused by a guard (address, robots, size, time, redirects)",
            ["reason"], registry=registry)
        self.full_text = Counter(
            "usul_full_text_total", "Article pages fetched to replace a teaser, by outcome", ["outcome"],
            registry=registry)
        self.x_reads = Counter(
            "usul_x_reads_total", "Posts read from the X API (billed reads)", registry=registry)


INGEST_METRICS = IngestMetrics(METRICS.registry)
