"""Processes under test: a Usul worker (exactly as the integration harness starts one), the
faust baseline, and the readings taken from /proc (CPU seconds, peak RSS) and py-spy."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from streams.ops.brokers import free_port

REPO = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Process:
    """A child process with its own session, log file and web port."""

    args: list[str]
    env: dict[str, str]
    log: Path
    web_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=handle, stderr=subprocess.STDOUT, cwd=REPO,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 180.0, settle: int = 2) -> None:
        """`/readyz` answers 200 in `settle` consecutive polls (a join may rebalance once more)."""
        deadline, streak = time.monotonic() + timeout, 0
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.args[-1]} exited ({self.proc.returncode}): {self.log_tail()}")
            try:
                ok = httpx.get(f"http://127.0.0.1:{self.web_port}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                ok = False
            streak = streak + 1 if ok else 0
            if streak >= settle:
                return
            time.sleep(0.5)
        raise TimeoutError(f"not ready in {timeout:.0f} s: {self.log_tail()}")

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the process so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def sched_seconds(self) -> tuple[float, float]:
        """(on CPU, waiting on a run queue) summed over the process's threads, in seconds: the
        second number is the time the machine's load took from it (/proc/<pid>/task/*/schedstat)."""
        run = wait = 0
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            try:
                fields = (task / "schedstat").read_text().split()
            except OSError:
                continue
            run, wait = run + int(fields[0]), wait + int(fields[1])
        return run / 1e9, wait / 1e9

    def memory(self) -> dict[str, float]:
        """Peak (VmHWM) and current (VmRSS) resident memory in MiB."""
        found = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                found[name] = int(value.split()[0]) / 1024
        return {"peak_rss_mib": round(found.get("VmHWM", 0.0), 1), "rss_mib": round(found.get("VmRSS", 0.0), 1)}

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def warnings(self, limit: int = 8) -> list[str]:
        """The last WARNING/ERROR lines of the log (without faust's producer buffer chatter)."""
        if not self.log.exists():
            return []
        lines = [line[:300] for line in self.log.read_text(errors="replace").splitlines()
                 if ("[WARNING]" in line or "[ERROR]" in line) and "producer buffer full" not in line]
        return lines[-limit:]

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def usul_worker(bootstrap: str, flavour: str, workdir: Path, extra: dict[str, str] | None = None) -> Process:
    """`python -m streams.cli worker` with the environment tests/integration/harness.py gives it
    (plus `extra`: e.g. faust settings read from the environment, for an A/B run)."""
    process = Process([sys.executable, "-m", "streams.cli", "worker"], {}, workdir / "worker.log")
    process.env = {**os.environ, "USUL_BOOTSTRAP_SERVERS": bootstrap, "USUL_WEB_PORT": str(process.web_port),
                   "USUL_DATA_DIR": str(workdir / "data"), "USUL_BROKER_FLAVOUR": flavour, **(extra or {})}
    return process


def faust_baseline(bootstrap: str, flavour: str, workdir: Path, source: str, sink: str, mode: str) -> Process:
    process = Process([sys.executable, "-m", "benchmarks.baseline_faust"], {}, workdir / "baseline-faust.log")
    process.env = {**os.environ, "BENCH_BOOTSTRAP": bootstrap, "BENCH_FLAVOUR": flavour,
                   "BENCH_WEB_PORT": str(process.web_port), "BENCH_DATA_DIR": str(workdir / "baseline-data"),
                   "BENCH_SOURCE": source, "BENCH_SINK": sink, "BENCH_MODE": mode}
    return process


class Profiler:
    """py-spy attached to a running process, writing collapsed stacks (`--format raw`)."""

    def __init__(self, pid: int, out: Path, rate: int = 100) -> None:
        self.pid, self.out, self.rate = pid, out, rate
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = out.with_suffix(".log")

    @staticmethod
    def available() -> str | None:
        """The py-spy executable, or None."""
        beside = Path(sys.executable).parent / "py-spy"
        return str(beside) if beside.exists() else shutil.which("py-spy")

    def start(self) -> None:
        exe = self.available()
        if exe is None:
            raise RuntimeError("py-spy is not installed (.venv/bin/pip install py-spy)")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([exe, "record", "--pid", str(self.pid), "--rate", str(self.rate),
                                      "--format", "raw", "--output", str(self.out)],
                                     stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        time.sleep(1.0)
        if self.proc.poll() is not None:
            raise RuntimeError(f"py-spy exited: {self.log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
