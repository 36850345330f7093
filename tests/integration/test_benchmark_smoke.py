"""The benchmark's building blocks on 200 items: every figure of the result table is there.

No timing is asserted here (timing claims live in `benchmarks/`, never in tests): this only
proves that the benchmark runs against the chosen broker and reports all its fields.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from benchmarks import report
from benchmarks.run import Config, run, write_json
from tests.integration.harness import fresh_broker

pytestmark = pytest.mark.integration

THROUGHPUT = {"items", "complete", "enriched_items", "enriched_records", "produce_rate", "seconds_to_enriched",
              "items_per_s_enriched", "story_updates", "seconds_to_last_story", "items_per_s_stories",
              "worker_cpu_seconds", "items_per_cpu_second", "worker_cpu_share", "worker_runqueue_wait_share"}
CLOSE = {"complete", "seconds_to_day_closed", "seconds_to_brief", "items_seen", "items_relevant", "stories",
         "slowest_health_answer_s"}
LATENCY = {"offered_per_s", "achieved_per_s", "items", "complete", "enriched_p50_ms", "enriched_p95_ms",
           "enriched_p99_ms", "relevant", "with_story_update", "story_p50_ms", "story_p95_ms", "story_p99_ms"}
BASELINE = {"records", "seconds", "rate", "cpu_seconds", "per_cpu_second", "peak_rss_mib"}


def test_benchmark_reports_every_field(broker_kind: str, tmp_path: Path) -> None:
    broker = fresh_broker(broker_kind, tmp_path / "broker")
    try:
        config = Config(items=200, scales=[200], broker=broker_kind, loads=[100.0], load_seconds=1.0,
                        baseline_items=200, bootstrap=broker.bootstrap, timeout=300.0, close_timeout=300.0)
        result = run(config)
    finally:
        broker.stop()

    assert not result.get("errors"), result.get("errors")
    row = result["scales"]["200"]
    assert THROUGHPUT <= row["throughput"].keys()
    assert row["throughput"]["complete"] and row["throughput"]["enriched_items"] == 200
    assert CLOSE <= row["close"].keys() and row["close"]["complete"]
    assert row["close"]["items_seen"] == 200 and row["close"]["slowest_health_answer_s"] > 0
    assert row["memory_end"]["peak_rss_mib"] > 0
    assert len(result["latency"]) == 1 and LATENCY <= result["latency"][0].keys()
    assert result["latency"][0]["complete"]
    for faust in ("faust_naive", "faust_batched"):
        assert BASELINE <= result["baselines"][faust].keys() and result["baselines"][faust]["records"] == 200
    assert BASELINE <= result["baselines"]["aiokafka"].keys() and result["baselines"]["aiokafka"]["records"] == 200

    result["targets"] = report.targets(result)
    assert [t["verdict"] in ("PASS", "FAIL", "n/a") for t in result["targets"]] == [True] * 4
    text = report.table(result)
    for section in ("THROUGHPUT", "BASELINES", "LATENCY", "TARGETS", "PHASES"):
        assert section in text
    written = write_json(result, tmp_path / "results")
    assert orjson.loads(written.read_bytes())["scales"]["200"]["items"] == 200
