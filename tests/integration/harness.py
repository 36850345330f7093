"""A live Usul on a real broker for integration tests: a fresh broker, worker processes started
and killed like an operator would, and replays through the real CLI code."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from streams.lenses import load_lens
from streams.ops.brokers import broker_for, free_port
from streams.ops.replay import Replay, ReplayResult, day_window, write_outputs
from streams.stages.bundles import DEFAULT_BUNDLE_ITEMS

REPO = Path(__file__).resolve().parents[2]
REAL_DATA = REPO.parent / "shared" / "data" / "real"
SAMPLE = REPO / "samples" / "sample-day.jsonl"


@dataclass
class LiveUsul:
    bootstrap: str
    workdir: Path
    flavour: str
    web_port: int = field(default_factory=free_port)
    worker: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        return {**os.environ, "USUL_BOOTSTRAP_SERVERS": self.bootstrap, "USUL_WEB_PORT": str(self.web_port),
                "USUL_DATA_DIR": str(self.workdir / "data"), "USUL_BROKER_FLAVOUR": self.flavour,
                "USUL_POLL_DEFAULT_SOURCES": "false",  # tests never let real news in
                "USUL_LAG_SAMPLE_SECONDS": "1"}

    def start_worker(self, timeout: float = 180.0) -> None:
        log = (self.workdir / "worker.log").open("ab")
        self.worker = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker"], env=self.env(),
                                       stdout=log, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True)
        asyncio.run(self.wait_ready(timeout))

    async def wait_ready(self, timeout: float) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(int(timeout * 2)):
                if self.worker is not None and self.worker.poll() is not None:
                    raise RuntimeError(f"worker exited: {self.log_tail()}")
                try:
                    if (await client.get(self.url("/readyz"), timeout=2)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
        raise TimeoutError(f"worker not ready in {timeout} s: {self.log_tail()}")

    def kill_worker(self) -> None:
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def stop_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGTERM)
            try:
                self.worker.wait(30)
            except subprocess.TimeoutExpired:
                self.kill_worker()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    def log_tail(self, lines: int = 40) -> str:
        path = self.workdir / "worker.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def replay(self, files: list[Path], day: str, out: Path, timeout: float = 600.0,
               bundle_items: int = DEFAULT_BUNDLE_ITEMS) -> ReplayResult:
        lens = load_lens("ai-safety-governance")
        window = day_window(lens, day)
        replay = Replay(self.bootstrap, lens, window, timeout, flavour=self.flavour, bundle_items=bundle_items)
        result = asyncio.run(replay.run(files))
        write_outputs(result, out)
        return result


def fresh_broker(kind: str, workdir: Path):  # noqa: ANN201 - EmbeddedTansu | ApacheKafka
    broker = broker_for(kind, free_port(), workdir)
    broker.start()
    return broker


# several workers in one consumer group (tests/integration/test_scale_out.py) -----------------------
def spawn_workers(bootstrap: str, workdir: Path, flavour: str, count: int) -> list[LiveUsul]:
    """`count` workers of one group, each with its own web port, data directory and log; not awaited."""
    workers = []
    for number in range(count):
        usul = LiveUsul(bootstrap, workdir / f"worker-{number}", flavour)
        usul.workdir.mkdir(parents=True, exist_ok=True)
        log = (usul.workdir / "worker.log").open("ab")
        usul.worker = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker"], env=usul.env(), stdout=log,
                                       stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True)
        workers.append(usul)
    return workers


def wait_all_ready(workers: list[LiveUsul], timeout: float = 240.0, settle: int = 3) -> None:
    """Every worker answers /readyz with 200 in `settle` consecutive rounds (joins cause rebalances)."""
    deadline, streak = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        for usul in workers:
            if usul.worker is not None and usul.worker.poll() is not None:
                raise RuntimeError(f"worker on port {usul.web_port} exited: {usul.log_tail()}")
        streak = streak + 1 if all(_ready(usul) for usul in workers) else 0
        if streak >= settle:
            return
        time.sleep(1.0)
    raise TimeoutError(f"not every worker was ready in {timeout} s: {[_ready(u) for u in workers]}")


def _ready(usul: LiveUsul) -> bool:
    try:
        return httpx.get(usul.url("/readyz"), timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def metric_total(workers: list[LiveUsul], sample: str) -> float:
    """A sample line's value (`name{labels}`) added up over the workers that answer /metrics."""
    total = 0.0
    for usul in workers:
        try:
            text = httpx.get(usul.url("/metrics"), timeout=5).text
        except httpx.HTTPError:
            continue
        total += sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(sample + " "))
    return total


# --- sink fault injection (tests/integration/test_sink_faults.py) -------------------------------


def start_worker_with(usul: LiveUsul, extra_env: dict[str, str]) -> None:
    """Start a worker with extra environment (sink settings, `USUL_FAULT_AFTER`); do not wait for
    it to be ready, since a fault may end it first."""
    log = (usul.workdir / "worker.log").open("ab")
    usul.worker = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker"], env={**usul.env(), **extra_env},
                                   stdout=log, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True)


def wait_worker_exit(usul: LiveUsul, timeout: float) -> int | None:
    """The worker's exit code once it ends by itself, or None if it is still running after `timeout`."""
    assert usul.worker is not None
    try:
        return usul.worker.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


def produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    """Put (key, value) records onto a topic, one at a time, and wait for the broker's acks."""
    from aiokafka import AIOKafkaProducer

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for key, value in records:
                await producer.send_and_wait(topic, value=value, key=key)
        finally:
            await producer.stop()

    asyncio.run(run())


# faults (tests/integration/test_faults.py) ---------------------------------------------------------
def restart_broker(broker) -> None:  # noqa: ANN001 - EmbeddedTansu | ApacheKafka
    """Stop the broker and start it again on its data (Apache Kafka only: Tansu keeps nothing)."""
    broker.clean = False
    broker.stop()
    broker.start()


def scaled_copy(source: Path, copies: int, target: Path) -> Path:
    """`copies` copies of a JSON Lines day, each item re-keyed (id and URL) so none deduplicates."""
    import orjson

    out = []
    for line in (line for line in source.read_bytes().splitlines() if line.strip()):
        try:
            row = orjson.loads(line)
            rows = [{**row, "id": f"{row['id']}~{n}", "url": f"{row.get('url') or ''}-copy{n}"} for n in range(copies)]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            out.append(line)  # a bad line stays bad, once
            continue
        out += [orjson.dumps(r) for r in rows]
    target.write_bytes(b"".join(line + b"\n" for line in out))
    return target


def metric_value(usul: LiveUsul, sample: str) -> float | None:
    """One sample line's value (`name{labels}`) from a live worker, or None when it does not answer."""
    try:
        text = httpx.get(usul.url("/metrics"), timeout=5).text
    except httpx.HTTPError:
        return None
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(sample + " "))


def input_ids(files: list[Path]) -> set[str]:
    """Every id named by the input files' lines (lines that are not JSON objects with an id are skipped)."""
    ids = set()
    for path in files:
        for line in path.read_bytes().splitlines():
            try:
                ids.add(orjson.loads(line)["id"])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                continue
    return ids


# three brokers (tests/integration/test_broker_failure.py) --------------------------------------------
CLUSTER_SCRIPT = REPO / "deploy" / "kafka" / "cluster.sh"


class KafkaCluster:
    """Three Apache Kafka nodes through deploy/kafka/cluster.sh, on free ports, with a data directory
    of their own; nodes are numbered 1-3 as in the script (and as Kafka's node ids)."""

    def __init__(self, workdir: Path) -> None:
        ports: list[int] = []
        while len(ports) < 3:  # a client port and the controller port after it, both free
            port = free_port(taken=ports + [p + 1 for p in ports])
            if port + 1 not in ports and _free(port + 1):
                ports.append(port)
        self.ports = ports
        self.env = {**os.environ, "USUL_KAFKA_CLUSTER_PORTS": ",".join(map(str, ports)),
                    "USUL_KAFKA_CLUSTER_DATA": str(workdir / "cluster")}

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def run(self, *args: str, timeout: float = 600.0) -> None:
        done = subprocess.run(["bash", str(CLUSTER_SCRIPT), *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"cluster.sh {' '.join(args)} failed: {done.stderr.strip()}")

    def start(self) -> None:
        self.run("start", "--clean")

    def kill(self, node: int) -> None:
        self.run("kill", str(node))

    def restart(self, node: int) -> None:
        self.run("restart", str(node))

    def stop(self) -> None:
        self.run("stop")


def _free(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def partition_leaders(bootstrap: str, topic: str) -> dict[int, dict[str, Any]]:
    """Each partition of `topic`: its leader's node id and its in-sync replicas, as the brokers say now."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
        return {p["partition"]: {"leader": p["leader"], "isr": sorted(p["isr"])} for p in described["partitions"]}
    finally:
        await admin.close()
