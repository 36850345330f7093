"""Usul's Grafana dashboard as code, built with Grafana's own Python SDK (`grafana-foundation-sdk`,
the `deploy` extra): `python deploy/grafana/dashboard.py` writes dashboards/usul.json.

Edit the panels here, run it, and commit both files; tests/contract/test_deploy_files.py checks
that the JSON is what this script writes and that every expression names only metrics Usul
exports, and tests/integration/test_dashboard_prometheus.py runs every expression against a real
Prometheus scraping a live worker. Rows: throughput, lag, latency, errors, briefs, sinks, feeds,
language model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import common, dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as kinds
from grafana_foundation_sdk.models.dashboard import DataSourceRef

OUT = Path(__file__).resolve().parent / "dashboards" / "usul.json"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="usul-prometheus")
QUANTILES = (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))


def quantiles(metric: str, by: str = "", window: str = "$__rate_interval") -> list[tuple[str, str]]:
    labels = f"le, {by}" if by else "le"
    prefix = f"{{{{{by}}}}} " if by else ""
    return [(f"{prefix}{name}", f"histogram_quantile({q}, sum by ({labels}) (rate({metric}_bucket[{window}])))")
            for name, q in QUANTILES]


# (title, unit, [(legend, expr)], kind) per row
ROWS: list[tuple[str, list[tuple[str, str, list[tuple[str, str]], str]]]] = [
    ("Throughput", [
        ("Items ingested per source", "ops", [
            ("{{source}}", "sum by (source) (rate(usul_items_ingested_total[$__rate_interval]))")], "timeseries"),
        ("Items normalised and relevant per lens", "ops", [
            ("normalised {{lens}}", "sum by (lens) (rate(usul_items_normalised_total[$__rate_interval]))"),
            ("relevant {{lens}}", "sum by (lens) (rate(usul_items_relevant_total[$__rate_interval]))")],
         "timeseries"),
        ("Dedup verdicts", "ops", [
            ("{{kind}}", "sum by (kind) (rate(usul_items_deduplicated_total[$__rate_interval]))")], "timeseries"),
        ("Story updates per lens", "ops", [
            ("{{lens}}", "sum by (lens) (rate(usul_story_updates_total[$__rate_interval]))")], "timeseries"),
        ("Kafka messages in per topic", "ops", [
            ("{{topic}}", "sum by (topic) (rate(usul_faust_messages_in_total[$__rate_interval]))")], "timeseries"),
        ("Kafka messages sent per topic", "ops", [
            ("{{topic}}", "sum by (topic) (rate(usul_faust_messages_sent_total[$__rate_interval]))")],
         "timeseries"),
    ]),
    ("Lag", [
        ("Consumer lag per topic", "short", [
            ("{{topic}}", "sum by (topic) (usul_consumer_lag_messages)")], "timeseries"),
        # per partition and worker: when a worker dies, its partitions' lag climbs under its name
        # until the rebalance hands them over, and their reads go on under another worker's name
        ("Consumer lag per partition and worker", "short", [
            ("{{topic}} [{{partition}}] {{instance}}",
             "max by (instance, topic, partition) (usul_consumer_lag_messages)")], "timeseries"),
        ("Messages read per partition and worker", "ops", [
            ("{{topic}} [{{partition}}] {{instance}}",
             "sum by (instance, topic, partition) (rate(usul_faust_messages_in_total[$__rate_interval]))")],
         "timeseries"),
        ("Rebalances and commit time", "s", [
            ("rebalances per hour", "sum(increase(usul_faust_rebalances_total[1h]))"),
            *quantiles("usul_faust_commit_seconds")[1:2],
            *quantiles("usul_faust_rebalance_seconds")[1:2]], "timeseries"),
        ("Workers up", "short", [("workers", 'sum(up{job="usul-worker"})')], "stat"),
    ]),
    ("Latency", [
        ("Stage time per record (p50, p95, p99)", "s", quantiles("usul_stage_seconds", "stage"), "timeseries"),
        ("Item to story update (p50, p95, p99)", "s", quantiles("usul_story_latency_seconds", "lens"), "timeseries"),
        ("Item to brief (p50, p95, p99)", "s", quantiles("usul_brief_latency_seconds", "lens", "1h"), "timeseries"),
    ]),
    ("Errors and dead letters", [
        ("Dead letters per stage and error", "ops", [
            ("{{stage}} {{error}}", "sum by (stage, error) (rate(usul_dead_letters_total[$__rate_interval]))")],
         "timeseries"),
        ("Late items per lens (per hour)", "short", [
            ("{{lens}}", "sum by (lens) (increase(usul_items_late_total[1h]))")], "timeseries"),
        ("Producer and assignment errors", "short", [
            ("send errors", "sum(increase(usul_faust_send_errors_total[1h]))"),
            ("assignment errors", "sum(increase(usul_faust_assignment_errors_total[1h]))")], "timeseries"),
    ]),
    ("Briefs", [
        ("Briefs in the last 24 h", "short", [
            ("{{lens}}", "sum by (lens) (increase(usul_briefs_total[1d]))")], "stat"),
        ("Revisions in the last 24 h", "short", [
            ("{{lens}}", "sum by (lens) (increase(usul_brief_revisions_total[1d]))")], "stat"),
        ("Close rounds (per hour)", "short", [
            ("{{lens}} changed={{changed}}", "sum by (lens, changed) (increase(usul_close_rounds_total[1h]))")],
         "timeseries"),
        ("Open stories per lens-day", "short", [
            ("{{lens}} {{day}}", "sum by (lens, day) (usul_open_stories)")], "timeseries"),
    ]),
    ("Sinks", [
        ("Deliveries per sink and outcome (per hour)", "short", [
            ("{{sink}} {{outcome}}", "sum by (sink, outcome) (increase(usul_sink_deliveries_total[1h]))")],
         "timeseries"),
        ("Failures and retries (per hour)", "short", [
            ("failed {{sink}} retryable={{retryable}}",
             "sum by (sink, retryable) (increase(usul_sink_failures_total[1h]))"),
            ("retried {{sink}}", "sum by (sink) (increase(usul_sink_retries_total[1h]))")], "timeseries"),
    ]),
    ("Feeds", [
        ("Seconds since a source gave something new", "s", [
            ("{{source}}", "max by (source) (usul_source_stale)")], "timeseries"),
        ("Stale sources", "short", [("stale", "sum(max by (source) (usul_source_is_stale))")], "stat"),
        ("Polls per outcome", "ops", [
            ("{{outcome}}", "sum by (outcome) (rate(usul_source_polls_total[$__rate_interval]))")], "timeseries"),
        ("Failed polls in a row", "short", [
            ("{{source}}", "max by (source) (usul_source_error_streak)")], "timeseries"),
    ]),
    ("Language model", [
        ("Calls per model and outcome", "ops", [
            ("{{model}} {{outcome}}", "sum by (model, outcome) (rate(usul_llm_calls_total[$__rate_interval]))")],
         "timeseries"),
        ("Tokens in the last 24 h", "short", [
            ("{{kind}}", "sum by (kind) (increase(usul_llm_tokens_total[1d]))")], "stat"),
        ("Fallbacks to the extractive writer (per hour)", "short", [
            ("{{reason}}", "sum by (reason) (increase(usul_llm_fallbacks_total[1h]))")], "timeseries"),
        ("Call time (p50, p95, p99)", "s", quantiles("usul_llm_call_seconds", "model"), "timeseries"),
    ]),
]


def panel(panel_id: int, title: str, unit: str, targets: list[tuple[str, str]], kind: str) -> Any:
    """One panel, three to a row (the SDK places it); a stat shows each series' last value."""
    built = (timeseries.Panel().legend(common.VizLegendOptions().display_mode(kinds.LegendDisplayMode.LIST)
                                       .placement(kinds.LegendPlacement.BOTTOM).show_legend(True))
             .tooltip(common.VizTooltipOptions().mode(kinds.TooltipDisplayMode.MULTI)
                      .sort(kinds.SortOrder.DESCENDING))
             if kind == "timeseries" else
             stat.Panel().reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False)))
    built = built.id(panel_id).title(title).unit(unit).datasource(DATASOURCE).height(8).span(8)
    for n, (legend, expr) in enumerate(targets):
        built = built.with_target(prometheus.Dataquery().ref_id(chr(ord("A") + n)).datasource(DATASOURCE)
                                  .expr(expr).legend_format(legend))
    return built


def dashboard_builder() -> dashboard.Dashboard:
    board = (dashboard.Dashboard("Usul").uid("usul-overview").tags(["usul"]).timezone("browser").readonly()
             .refresh("30s").time("now-6h", "now").version(1))
    panel_id = 0
    for row_title, row_panels in ROWS:
        panel_id += 1
        board = board.with_row(dashboard.Row(row_title).id(panel_id))
        for title, unit, targets, kind in row_panels:
            panel_id += 1
            board = board.with_panel(panel(panel_id, title, unit, targets, kind))
    return board


def dashboard_json() -> dict[str, Any]:
    """The dashboard as Grafana reads it (what the provisioning loads)."""
    return json.loads(json.dumps(dashboard_builder().build(), cls=JSONEncoder))


def render() -> str:
    return json.dumps(dashboard_json(), indent=2) + "\n"


def main(argv: list[str]) -> int:
    """No argument: write the JSON. `--check`: exit 1 if the checked-in JSON is not what we write."""
    if argv[1:] == ["--check"]:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != render():
            print(f"{OUT.name} is out of date: run python deploy/grafana/dashboard.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
