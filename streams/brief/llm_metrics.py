"""Prometheus metrics of the language-model writer (`streams.brief.llm`).

Calls, tokens, call time and fallbacks are the pipeline-wide `usul_llm_*` metrics that
`streams.metrics` already declares (the dashboards name them there); this module adds what only
the writer knows, on the same registry: answers refused by a check, texts served from the cache,
and each lens's token spend against its daily budget. `LLMMetrics(Metrics(CollectorRegistry()))`
gives a test fresh counters; the worker uses `LLM_METRICS`.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from streams.metrics import METRICS, Metrics


class LLMMetrics:
    def __init__(self, base: Metrics) -> None:
        self.registry = registry = base.registry
        self.calls: Counter = base.llm_calls  # labels: model, outcome (ok, error, invalid, timeout)
        self.tokens: Counter = base.llm_tokens  # labels: model, kind (prompt, completion)
        self.fallbacks: Counter = base.llm_fallbacks  # labels: reason
        self.seconds: Histogram = base.llm_seconds  # labels: model
        self.rejections = Counter(
            "usul_llm_rejections_total", "Model answers refused by a check, per lens and check "
            "(citation, name, number, overlap, length)", ["lens", "check"], registry=registry)
        self.cache_hits = Counter(
            "usul_llm_cache_hits_total", "Texts reused from the writer's cache without a call, per lens",
            ["lens"], registry=registry)
        self.budget_spent = Gauge(
            "usul_llm_budget_spent_tokens", "Tokens spent today against the lens's daily budget",
            ["lens"], registry=registry)


LLM_METRICS = LLMMetrics(METRICS)
