"""The deploy files are valid and name only metrics Usul exports. Offline: no Docker engine, no
cluster. Each external validator is skipped, with the reason, when it is not installed;
deploy/validate.sh runs the same tools."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from prometheus_client import CollectorRegistry

from streams.ingest.metrics import IngestMetrics
from streams.metrics import Metrics

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "usul.json"
COMPOSE = REPO / "docker-compose.yml"
PROMETHEUS_BUILTINS = {"up"}
METRIC_NAME = re.compile(r"\busul_[a-zA-Z0-9_]+")


def exported_names() -> set[str]:
    """Every sample name a worker's registry exports: `streams.metrics` and ingestion's metrics."""
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    IngestMetrics(registry)
    return metrics.metric_names()


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (see deploy/README.md, 'Validation')")
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=REPO, timeout=120)


def panels() -> list[dict[str, Any]]:
    return [p for p in json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"] if p["type"] != "row"]


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


# dashboard --------------------------------------------------------------------------------------
def test_dashboard_is_what_its_generator_writes() -> None:
    pytest.importorskip("grafana_foundation_sdk", reason="the dashboard generator needs the `deploy` extra")
    spec = importlib.util.spec_from_file_location("usul_dashboard", DEPLOY / "grafana" / "dashboard.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert DASHBOARD.read_text(encoding="utf-8") == module.render(), "run python deploy/grafana/dashboard.py"


def test_every_dashboard_panel_queries_only_exported_metrics() -> None:
    names = exported_names()
    for panel in panels():
        assert panel["targets"], f"panel {panel['title']!r} has no query"
        for target in panel["targets"]:
            unknown = set(METRIC_NAME.findall(target["expr"])) - names
            assert not unknown, f"panel {panel['title']!r} names metrics Usul does not export: {unknown}"


def test_dashboard_panels_have_unique_ids_and_the_provisioned_datasource() -> None:
    datasource = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    every = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    assert len({p["id"] for p in every}) == len(every)
    assert all(p["datasource"]["uid"] == uid for p in panels())
    titles = {p["title"] for p in every if p["type"] == "row"}
    assert {"Throughput", "Lag", "Latency", "Errors and dead letters", "Briefs", "Sinks", "Feeds"} <= titles


def test_lag_and_throughput_are_shown_per_partition_and_worker() -> None:
    exprs = [t["expr"] for p in panels() for t in p["targets"]]
    for metric in ("usul_consumer_lag_messages", "usul_faust_messages_in_total"):
        assert any(metric in e and re.search(r"by \(instance, topic, partition\)", e) for e in exprs), metric


def test_latency_panels_show_p50_p95_p99_from_histograms() -> None:
    latency = [p for p in panels() if "p50, p95, p99" in p["title"]]
    assert len(latency) >= 3
    for panel in latency:
        quantiles = {re.search(r"histogram_quantile\(([0-9.]+)", t["expr"]).group(1) for t in panel["targets"]}
        assert quantiles == {"0.5", "0.95", "0.99"}


# Prometheus -------------------------------------------------------------------------------------
def test_alert_rules_name_only_exported_metrics() -> None:
    names = exported_names()
    rules = alert_rules()
    assert {"UsulConsumerLagGrowing", "UsulNoBriefAtPublishTime", "UsulDeadLetters", "UsulFeedStale",
            "UsulSinkFailures"} <= {r["alert"] for r in rules}
    for rule in rules:
        unknown = set(METRIC_NAME.findall(rule["expr"])) - names
        assert not unknown, f"alert {rule['alert']} names metrics Usul does not export: {unknown}"


def test_metrics_table_documents_every_metric() -> None:
    documented = set(re.findall(r"^\| `(usul_[a-z0-9_]+)` \|", (DEPLOY / "README.md").read_text(), re.M))
    registry = Metrics(CollectorRegistry()).registry
    families = {m.name + ("_total" if m.type == "counter" else "") for m in registry.collect()}
    assert documented == families


def test_prometheus_config_passes_promtool() -> None:
    result = run(tool("promtool"), "check", "config", "deploy/prometheus/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_pass_promtool() -> None:
    result = run(tool("promtool"), "check", "rules", "deploy/prometheus/alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


# compose and image ------------------------------------------------------------------------------
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_compose_file_matches_the_compose_spec() -> None:
    spec = importlib.util.find_spec("check_jsonschema")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("check-jsonschema (which vendors the compose-spec schema) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "builtin_schemas" / "vendor" / "compose-spec.json"
    validator = Draft7Validator(json.loads(path.read_text(encoding="utf-8")))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose())]
    assert not errors


def test_compose_runs_kafka_topics_workers_demo_and_monitoring() -> None:
    services = compose()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["topics"]["command"] == ["topics"]
    assert services["worker"]["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert services["demo"]["command"][0] == "replay"
    assert {"prometheus", "grafana"} <= set(services)


def test_workers_can_scale_no_fixed_host_port_and_no_container_name() -> None:
    worker = compose()["services"]["worker"]
    assert "container_name" not in worker
    assert all(":" not in str(port) for port in worker.get("ports", [])), "a fixed host port stops --scale"


def test_compose_file_passes_docker_compose_config() -> None:
    docker = tool("docker")
    if run(docker, "compose", "version").returncode != 0:
        pytest.skip("the docker compose plugin is not installed (the compose-spec schema test stands in)")
    result = run(docker, "compose", "-f", str(COMPOSE), "config", "-q")
    assert result.returncode == 0, result.stderr


def test_dockerfile_runs_usul_as_a_non_root_user_with_a_health_check() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1].split(":")[0] not in {"root", "0"}
    assert 'ENTRYPOINT ["usul"]' in text and 'CMD ["worker"]' in text
    assert "HEALTHCHECK" in text and "/livez" in text  # unhealthy once the worker reads nothing


def test_dockerfile_passes_hadolint() -> None:
    result = run(tool("hadolint"), "deploy/Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


# Kubernetes -------------------------------------------------------------------------------------
def manifests() -> list[dict[str, Any]]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    return docs


def test_kubernetes_manifests_match_the_kubernetes_schemas() -> None:
    validate = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is not installed")
    for doc in manifests():
        try:
            validate.validate(doc, validate.latest_version(), strict=True)
        except validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {exc}")


def test_statefulset_keeps_tables_on_a_volume_and_probes_health_and_readiness() -> None:
    by_kind = {doc["kind"]: doc for doc in manifests()}
    assert {"StatefulSet", "Service", "ConfigMap", "Secret", "PodDisruptionBudget"} <= set(by_kind)
    spec = by_kind["StatefulSet"]["spec"]
    container = spec["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"configMapRef", "secretRef"} <= {key for source in container["envFrom"] for key in source}
    claim = spec["volumeClaimTemplates"][0]["metadata"]["name"]
    assert any(m["name"] == claim for m in container["volumeMounts"])
    assert by_kind["ConfigMap"]["data"]["USUL_STORE"] == "rocksdb://"
    # three brokers: one may die without losing an acknowledged write (deploy/README.md)
    assert by_kind["ConfigMap"]["data"]["USUL_REPLICATION_FACTOR"] == "3"
    assert by_kind["ConfigMap"]["data"]["USUL_MIN_INSYNC_REPLICAS"] == "2"
    services = [doc for doc in manifests() if doc["kind"] == "Service"]
    assert any(s["spec"].get("clusterIP") == "None" for s in services), "a headless Service for the StatefulSet"


def test_validate_script_is_valid_bash() -> None:
    result = run("bash", "-n", "deploy/validate.sh")
    assert result.returncode == 0, result.stderr


def test_kafka_launchers_are_valid_bash_and_the_cluster_replicates_3_with_min_insync_2() -> None:
    for script in ("deploy/kafka/kafka.sh", "deploy/kafka/cluster.sh"):
        result = run("bash", "-n", script)
        assert result.returncode == 0, result.stderr
    text = (DEPLOY / "kafka" / "cluster.sh").read_text(encoding="utf-8")
    assert "USUL_KAFKA_REPLICATION=3" in text and "USUL_KAFKA_MIN_ISR=2" in text
