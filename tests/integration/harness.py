"""A live Usul on a real broker for integration tests: a fresh broker, worker processes started
and killed like an operator would, and replays through the real CLI code."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from streams.brokers import broker_for, free_port
from streams.lenses import load_lens
from streams.replay import Replay, ReplayResult, day_window, write_outputs

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
                "USUL_DATA_DIR": str(self.workdir / "data"), "USUL_BROKER_FLAVOUR": self.flavour}

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

    def replay(self, files: list[Path], day: str, out: Path, timeout: float = 600.0) -> ReplayResult:
        lens = load_lens("ai-safety-governance")
        result = asyncio.run(Replay(self.bootstrap, lens, day_window(lens, day), timeout).run(files))
        write_outputs(result, out)
        return result


def fresh_broker(kind: str, workdir: Path):  # noqa: ANN201 - EmbeddedTansu | ApacheKafka
    broker = broker_for(kind, free_port(), workdir)
    broker.start()
    return broker
