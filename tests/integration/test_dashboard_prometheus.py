"""Every Grafana panel's query and every alert rule, evaluated by a real Prometheus scraping a live
worker (which also runs the ingestion poller) during a replay.

The scenario gives each panel something to show: the sample day replayed and closed, then again
with re-keyed copies (a second revision), a late item and hostile pushes; the poller reads one
good feed and one broken one; a webhook channel points at a port where nothing listens; the
language-model writer talks to a local `/v1/chat/completions` server whose answers do not fit the
schema (calls, tokens, fallbacks). Then every panel's expression must return at least one series,
each with every label the panel groups by (a misspelt label still gives a series); every alert
rule must evaluate without error, and the rules this scenario breaks must fire.

The alert rules are loaded as committed with one change: every `for:` is 0 s, so a rule whose
condition holds fires now instead of in 5 to 30 minutes. The expressions are byte-identical.
`pytest -s` prints the result count of each panel query and each rule's state.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from models import topics
from models.codec import encode
from models.items import RawItem
from streams.lenses import load_lens
from streams.ops.brokers import free_port
from streams.stages.enrich import enrich
from streams.stages.normalise import close_deadline
from tests.integration.harness import SAMPLE, LiveUsul, fresh_broker, metric_value, produce, scaled_copy
from tests.unit.brief.test_llm_writer import ModelServer
from tests.unit.ingest.test_ingest_support import SOURCES, LocalServer

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("prometheus") is None,
                                 reason="needs the prometheus server (Debian: apt-get install prometheus)")]
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DAY = "2026-01-08"
LENS = "ai-safety-governance"
RATE_WINDOW = "30s"  # Grafana's $__rate_interval, for a 1 s scrape interval
SHOULD_FIRE = {"UsulDeadLetters", "UsulSinkFailures", "UsulFeedFailing", "UsulFeedStale"}
WEBHOOK_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # a test key, base64 of 24 bytes


class Monitored(LiveUsul):
    """A worker that polls `sources`, notifies a dead webhook and writes with a language model."""

    extra: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.extra}


def panel_queries() -> list[tuple[str, str]]:
    board = json.loads((DEPLOY / "grafana" / "dashboards" / "usul.json").read_text(encoding="utf-8"))
    return [(f"{p['title']} [{t['refId']}]", t["expr"].replace("$__rate_interval", RATE_WINDOW))
            for p in board["panels"] if p["type"] != "row" for t in p["targets"]]


def prometheus_config(workdir: Path, worker_port: int, own_port: int) -> Path:
    """deploy/prometheus/prometheus.yml with its targets on this machine: the same job names and
    relabelling, static targets instead of compose DNS, a 1 s scrape and evaluation interval."""
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    for job in config["scrape_configs"]:
        job.pop("dns_sd_configs", None)
        port = worker_port if job["job_name"] == "usul-worker" else own_port
        job["static_configs"] = [{"targets": [f"127.0.0.1:{port}"]}]
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule["for"] = "0s"
    (workdir / "alerts.yml").write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    config["rule_files"] = [str(workdir / "alerts.yml")]
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def grouped_labels(expr: str) -> set[str]:
    """The labels a panel's outer aggregation keeps (`sum by (a, b) (...)`), which its legend
    shows: a label Usul does not export still gives one series, without the label."""
    outer = re.match(r"(?:histogram_quantile\([0-9.]+, )?\w+ by \(([^)]*)\)", expr)
    return {name.strip() for name in outer.group(1).split(",")} - {"le"} if outer else set()


def series_count(prometheus: Prometheus, expr: str) -> int:
    """How many series the query returns; 0 also when one lacks a label the panel groups by."""
    result = prometheus.api("query", query=expr)["result"]
    return len(result) if all(s["metric"].get(name) for s in result for name in grouped_labels(expr)) else 0


class Prometheus:
    def __init__(self, workdir: Path, worker_port: int) -> None:
        self.port = free_port(taken={worker_port})
        config = prometheus_config(workdir, worker_port, self.port)
        log = (workdir / "prometheus.log").open("ab")
        self.proc = subprocess.Popen(
            [shutil.which("prometheus") or "prometheus", f"--config.file={config}",
             f"--storage.tsdb.path={workdir / 'tsdb'}", f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.wait_ready()

    def api(self, path: str, **params: str) -> Any:
        answer = httpx.get(f"http://127.0.0.1:{self.port}/api/v1/{path}", params=params, timeout=10).json()
        assert answer["status"] == "success", answer
        return answer["data"]

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "prometheus exited (see prometheus.log)"
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError("prometheus was not ready")

    def rules(self) -> dict[str, dict[str, Any]]:
        return {r["name"]: r for g in self.api("rules")["groups"] for r in g["rules"] if r["type"] == "alerting"}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


@pytest.fixture
def feeds() -> Iterator[LocalServer]:
    with LocalServer() as server:
        server.serve("/lab.atom", (SOURCES / "lab.atom").read_bytes())
        server.serve("/broken", b"not a feed at all")
        yield server


@pytest.fixture
def model() -> Iterator[ModelServer]:
    server = ModelServer()  # answers "{}": valid JSON that fits no schema, so every call falls back
    yield server
    server.close()


def worker_env(workdir: Path, feeds: LocalServer, model: ModelServer) -> dict[str, str]:
    sources = workdir / "sources.toml"
    # the lab feed's newest item is years old: stale at once; the broken one fails every 0.3-2.4 s
    sources.write_text(f'[[source]]\nname = "Lab"\ntype = "atom"\nurl = "{feeds.url("/lab.atom")}"\n'
                       f'poll_minutes = 0.01\nstale_after_hours = 0.001\n\n'
                       f'[[source]]\nname = "Broken"\ntype = "rss"\nurl = "{feeds.url("/broken")}"\n'
                       f'poll_minutes = 0.005\n', encoding="utf-8")
    notifications = workdir / "notifications.toml"
    notifications.write_text(f'[notifications]\n[[notifications.channels]]\ntype = "webhook"\nname = "hook"\n'
                             f'url = "http://127.0.0.1:{free_port()}/brief"\nsecret = "{WEBHOOK_SECRET}"\n',
                             encoding="utf-8")
    return {"USUL_SOURCES_FILE": str(sources), "USUL_POLL_TICK_SECONDS": "1", "USUL_FETCH_RETRIES": "0",
            "USUL_ALLOW_PRIVATE_HOSTS": '["127.0.0.1"]', "USUL_FETCH_RATE_PER_HOST": "1000",
            "USUL_NOTIFICATIONS_FILE": str(notifications), "USUL_SINK_RETRY_BASE_SECONDS": "0.2",
            "USUL_SINK_RETRY_MAX_ATTEMPTS": "3", "USUL_LLM_BASE_URL": model.url, "USUL_LLM_MODEL": "test-model",
            "USUL_LLM_TIMEOUT_SECONDS": "5"}


def send_late_item(bootstrap: str) -> None:
    """An enriched item that reaches the cluster stage after its day's deadline, as a dead letter
    replayed days later does: normalise moves late raw items to the day they were seen, so only
    this path puts an item on the late topic."""
    lens = load_lens(LENS)
    raw = RawItem(id="late:1", title="AI safety institute publishes evaluation of frontier model",
                  url="https://gov.example/late-1", published_at=datetime(2026, 1, 5, 12, tzinfo=UTC))
    item = enrich(raw, lens, datetime(2026, 1, 5, 13, tzinfo=UTC))
    late = item.model_copy(update={"observed_at": close_deadline(lens, item.day) + timedelta(days=2)})
    produce(bootstrap, topics.ENRICHED.name, [(LENS.encode(), encode(late))])


def post_hostile(usul: LiveUsul, bad_lines: int) -> None:
    """One good item and `bad_lines` lines that are no item, pushed to the worker (dead letters)."""
    body = b'{"id": "push:%d", "title": "AI lab fined", "url": "https://push.example/%d"}\n' % (bad_lines, bad_lines)
    body += b"".join(b'{"oops": %d}\n' % n for n in range(bad_lines))
    assert httpx.post(usul.url("/ingest"), content=body, timeout=10).status_code == 202


def scraped(prometheus: Prometheus, expr: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not prometheus.api("query", query=expr)["result"]:
        assert time.monotonic() < deadline, f"Prometheus never answered {expr}"
        time.sleep(0.5)


def wait_for(usul: LiveUsul, sample: str, at_least: float, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while (metric_value(usul, sample) or 0) < at_least:
        assert time.monotonic() < deadline, f"{sample} never reached {at_least}: {usul.log_tail()}"
        time.sleep(0.5)


def test_every_panel_and_alert_rule_answers_from_a_live_worker(broker_kind: str, tmp_path: Path,
                                                               feeds: LocalServer, model: ModelServer) -> None:
    began = time.monotonic()
    broker = fresh_broker(broker_kind, tmp_path / "broker")
    Monitored.extra = worker_env(tmp_path, feeds, model)
    usul = Monitored(broker.bootstrap, tmp_path, broker_kind)
    prometheus: Prometheus | None = None
    try:
        usul.start_worker()
        prometheus = Prometheus(tmp_path, usul.web_port)
        post_hostile(usul, 1)
        usul.replay([SAMPLE], DAY, tmp_path / "out-1")
        # Prometheus must hold the first values, or the second round reads as a new series, not an
        # increase (a counter's first sample counts as its start)
        scraped(prometheus, 'usul_dead_letters_total{stage="ingest"} >= 1')
        post_hostile(usul, 15)
        send_late_item(broker.bootstrap)
        usul.replay([scaled_copy(SAMPLE, 1, tmp_path / "copies.jsonl")], DAY, tmp_path / "out-2")  # revision 2
        wait_for(usul, f'usul_brief_revisions_total{{lens="{LENS}"}}', 1)
        wait_for(usul, 'usul_source_error_streak{source="Broken"}', 3)
        scraped(prometheus, 'usul_dead_letters_total{stage="ingest"} >= 16')
        time.sleep(5)  # rule evaluations after the last scrape
        counts = {name: series_count(prometheus, expr) for name, expr in panel_queries()}
        rules = prometheus.rules()
    finally:
        if prometheus is not None:
            prometheus.stop()
        usul.stop_worker()
        broker.stop()
    _report(counts, rules, time.monotonic() - began)
    assert not [name for name, n in counts.items() if n == 0], "panels whose query returned no series"
    committed = {r["alert"] for g in yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"]
                 for r in g["rules"]}
    assert set(rules) == committed
    assert {name: r["lastError"] for name, r in rules.items() if r["health"] != "ok"} == {}
    assert {name for name in SHOULD_FIRE if rules[name]["state"] != "firing"} == set()


def _report(counts: dict[str, int], rules: dict[str, dict[str, Any]], seconds: float) -> None:
    print("\n\n| panel query | series |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in counts.items()))
    print("\n| alert rule | health | state | alerts |\n|---|---|---|---|\n" + "\n".join(
        f"| {k} | {r['health']} | {r['state']} | {len(r.get('alerts', []))} |" for k, r in rules.items()))
    print(f"\n{len(counts)} panel queries, {len(rules)} rules, {seconds:.0f} s")

