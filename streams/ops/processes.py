"""Starting and waiting for Usul's processes: the embedded broker and worker subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from streams.ops.brokers import EmbeddedTansu, port_open
from streams.settings import Settings


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


def spawn_worker(settings: Settings, bootstrap: str, log: Path, flavour: str) -> subprocess.Popen[bytes]:
    """A worker in its own process, reading the same settings plus the broker address."""
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "USUL_BOOTSTRAP_SERVERS": bootstrap, "USUL_WEB_PORT": str(settings.web_port),
           "USUL_DATA_DIR": str(settings.data_dir), "USUL_BROKER_FLAVOUR": flavour}
    handle = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", "streams.cli", "worker"], env=env, stdout=handle,
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
