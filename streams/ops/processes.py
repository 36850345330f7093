"""Starting and waiting for Usul's processes: the embedded broker and worker subprocesses."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from streams.ops.brokers import EmbeddedTansu, free_port, port_open
from streams.settings import Settings

# What a private worker must not inherit: sources to poll (real news would enter a replay's brief)
# and the operator's stores and channels (a replay's briefs are not the operator's to publish).
PRIVATE_DROPS = frozenset({"USUL_SOURCES_FILE", "USUL_BRIEFS_DIR", "USUL_STORE_DIR", "USUL_NOTIFICATIONS_FILE",
                           "USUL_S3_BUCKET", "USUL_POSTGRES_DSN", "USUL_SECURITY_PROTOCOL"})


def worker_ready(settings: Settings) -> bool:
    try:
        response = httpx.get(f"http://{settings.web_host}:{settings.web_port}/readyz", timeout=2.0)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def wait_until_ready(settings: Settings, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker_ready(settings):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the worker exited with code {process.returncode}; see its log")
        time.sleep(0.5)
    raise TimeoutError(f"the worker was not ready on port {settings.web_port} within {timeout:.0f} s")


def start_embedded_broker(settings: Settings) -> EmbeddedTansu | None:
    """Start Tansu unless something already listens on the embedded port (an earlier `usul up`)."""
    if port_open("127.0.0.1", settings.embedded_port):
        return None
    broker = EmbeddedTansu(port=settings.embedded_port, workdir=settings.data_dir / "tansu")
    broker.start()
    return broker


def spawn_worker(settings: Settings, bootstrap: str, log: Path, flavour: str,
                 private: bool = False) -> subprocess.Popen[bytes]:
    """A worker in its own process, reading the same settings plus the broker address; `private`:
    without the operator's sources, stores and channels (`PRIVATE_DROPS`)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    inherited = {k: v for k, v in os.environ.items() if not (private and k in PRIVATE_DROPS)}
    env = {**inherited, "USUL_BOOTSTRAP_SERVERS": bootstrap, "USUL_WEB_PORT": str(settings.web_port),
           "USUL_DATA_DIR": str(settings.data_dir), "USUL_BROKER_FLAVOUR": flavour,
           **({"USUL_POLL_DEFAULT_SOURCES": "false"} if private else {})}
    handle = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", "streams.cli", "worker"], env=env, stdout=handle,
                            stderr=subprocess.STDOUT, start_new_session=True)


@contextlib.contextmanager
def own_pipeline(settings: Settings, prefix: str = "usul-replay-") -> Iterator[Settings]:
    """An embedded broker and a worker for one command alone: free ports, a data directory in a
    new temporary directory, no polled sources. Yields the settings that reach them; stops both
    on the way out, and removes the directory unless something failed (its worker.log tells why).
    """
    run_dir = Path(tempfile.mkdtemp(prefix=prefix))
    broker = EmbeddedTansu(port=free_port(), workdir=run_dir)
    own = settings.model_copy(update={"bootstrap_servers": broker.bootstrap, "broker_flavour": "tansu",
                                      "security_protocol": "PLAINTEXT", "data_dir": run_dir / "data",
                                      "web_port": free_port(taken={broker.port})})
    try:
        with broker:
            worker = spawn_worker(own, broker.bootstrap, run_dir / "worker.log", "tansu", private=True)
            try:
                wait_until_ready(own, worker, timeout=180)
                yield own
            finally:
                stop_process(worker)
    except Exception:
        print(f"usul: the pipeline's files are kept in {run_dir}", file=sys.stderr)
        raise
    shutil.rmtree(run_dir, ignore_errors=True)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
