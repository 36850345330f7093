"""Prometheus metrics: one registry for the whole worker, names and units in one place.

Tests build their own registry with `Metrics(CollectorRegistry())` so counts never leak between
them; the worker uses `METRICS`.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.items_ingested = Counter(
            "usul_items_ingested_total", "Raw items produced onto the raw topic", ["source"], registry=registry)
        self.items_normalised = Counter(
            "usul_items_normalised_total", "Items normalised and judged, per lens", ["lens"], registry=registry)
        self.items_deduplicated = Counter(
            "usul_items_deduplicated_total", "Arrivals recognised as seen before", ["kind"], registry=registry)
        self.items_relevant = Counter(
            "usul_items_relevant_total", "Items judged relevant, per lens", ["lens"], registry=registry)
        self.items_late = Counter(
            "usul_items_late_total", "Items past their day's deadline, sent to the late topic", ["lens"],
            registry=registry)
        self.dead_letters = Counter(
            "usul_dead_letters_total", "Records sent to the dead-letter topic", ["stage", "error"],
            registry=registry)
        self.stage_seconds = Histogram(
            "usul_stage_seconds", "Time one record spends in a stage's code", ["stage"],
            buckets=_STAGE_BUCKETS, registry=registry)
        self.story_updates = Counter(
            "usul_story_updates_total", "Story updates published, per lens", ["lens"], registry=registry)
        self.open_stories = Gauge(
            "usul_open_stories", "Stories of open days held by this worker, per lens", ["lens"], registry=registry)
        self.briefs = Counter(
            "usul_briefs_total", "Brief revisions published", ["lens"], registry=registry)
        self.close_rounds = Counter(
            "usul_close_rounds_total", "Close rounds completed", ["lens", "changed"], registry=registry)
        self.sink_deliveries = Counter(
            "usul_sink_deliveries_total", "Brief deliveries per sink and outcome", ["sink", "outcome"],
            registry=registry)


METRICS = Metrics(CollectorRegistry())
