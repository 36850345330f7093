"""Hold Usul against its limits: `python -m benchmarks.run [--items N] [--broker kafka|tansu] [--quick]`.

One run, on a fresh broker per scale (Apache Kafka by default, started like the integration
tests start it), prints one table and writes it as JSON to benchmarks/results/<timestamp>.json:

* sustained throughput of one worker process: N raw items produced as fast as the client
  goes, timed from the first send to the last enriched record and to the last story update;
* day close to brief for the N-item day;
* latency percentiles at fixed offered loads (produce -> enriched, produce -> story update);
* peak RSS (VmHWM) of the worker;
* baselines on the same broker: a faust agent that only decodes and forwards, and raw
  aiokafka consume plus decode; and Usul's ratio to each;
* the scaling curve over `--scale` (items per day), fresh broker and worker per point;
* with `--profile`, one more 10k pass with py-spy attached to the worker, and its cost centres.

Timings are wall-clock on a shared machine: the load average is recorded with every phase, and
worker CPU seconds are reported next to wall time (items per CPU-second is far less sensitive to
what else runs on the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from benchmarks import dataset, measure, profile, report
from benchmarks.procs import usul_worker
from streams.ops.brokers import KAFKA_SCRIPT, broker_for, free_port

RESULTS = Path(__file__).resolve().parent / "results"
LENS = "ai-safety-governance"


@dataclass
class Config:
    items: int = 100_000
    scales: list[int] = field(default_factory=lambda: [10_000, 100_000])
    broker: str = "kafka"
    loads: list[float] = field(default_factory=lambda: [100.0, 500.0, 2000.0])
    load_seconds: float = 20.0
    baseline_items: int = 20_000
    baselines: bool = True
    profile: bool = False
    profile_items: int = 10_000
    day: str = "2026-01-08"
    timeout: float = 1800.0
    close_timeout: float = 600.0
    results_dir: Path = RESULTS
    worker_env: dict[str, str] = field(default_factory=dict)  # extra environment of Usul's worker
    bootstrap: str | None = None  # an already running broker (one scale only; used by the smoke test)
    bundle: int = 1  # items per raw record at most in the throughput runs (streams.stages.bundles)


class Phases:
    """The load average and wall time around each phase, for the report."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def run(self, name: str, step: Any) -> Any:
        before, began = os.getloadavg()[0], time.monotonic()
        print(f"[bench] {name} (load {before:.2f}) ...", file=sys.stderr, flush=True)
        try:
            found = step()
            if isinstance(found, dict):
                print(f"[bench]   {orjson.dumps(found).decode()[:600]}", file=sys.stderr, flush=True)
            return found
        finally:
            self.rows.append({"phase": name, "seconds": round(time.monotonic() - began, 1),
                              "load_before": round(before, 2), "load_after": round(os.getloadavg()[0], 2)})


def run(config: Config) -> dict[str, Any]:
    """Every measurement of one benchmark run, as a plain dict (see `report.table`)."""
    phases = Phases()
    originals, source = dataset.load_originals()
    started = datetime.now(UTC)
    scales = sorted(set(config.scales) | {config.items})
    if config.bootstrap is not None and len(scales) > 1:
        raise ValueError("a given broker holds one scale only: pass scales=[items]")
    if config.broker == "kafka" and config.bootstrap is None:
        phases.run("kafka.sh fetch", lambda: subprocess.run(["bash", str(KAFKA_SCRIPT), "fetch"], check=True))
    work = Path(tempfile.mkdtemp(prefix="usul-bench-"))
    results: dict[str, Any] = {"scales": {}, "latency": [], "baselines": {}}
    try:
        if config.profile:
            out = config.results_dir / f"profile-{started:%Y%m%dT%H%M%SZ}.txt"
            try:
                results["profile"] = _profile_pass(config, originals, source, work / "profile", phases, out)
            except Exception as exc:  # noqa: BLE001
                results.setdefault("errors", []).append(f"profile: {type(exc).__name__}: {exc}")
        for n in scales:
            main = n == config.items
            try:
                results["scales"][str(n)] = _scale(config, n, main, originals, source, work / f"n{n}", phases,
                                                   results)
            except Exception as exc:  # noqa: BLE001 - keep the other scales' figures
                results.setdefault("errors", []).append(f"{n} items: {type(exc).__name__}: {exc}")
                print(f"[bench] {n} items failed: {exc!r}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "started": started.isoformat(timespec="seconds"),
        "config": _plain({k: v for k, v in asdict(config).items() if k != "results_dir"}),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "stream": {"source": source, "originals": len(originals), "day": config.day,
                   "copies_per_item_at_main_scale": -(-config.items // len(originals))},
        **results, "phases": phases.rows,
    }


def _scale(config: Config, n: int, main: bool, originals: list[Any], source: str, work: Path, phases: Phases,
           results: dict[str, Any]) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    broker = None
    bootstrap = config.bootstrap
    if bootstrap is None:
        broker = broker_for(config.broker, free_port(), work / "broker")
        phases.run(f"{n}: start {config.broker}", broker.start)
        bootstrap = broker.bootstrap
    try:
        if main and config.baselines:
            base = dataset.build(config.baseline_items, day=config.day, originals=originals, source=source, tag="base")
            for mode in measure.FAUST_MODES:
                results["baselines"][f"faust_{mode}"] = phases.run(
                    f"baseline: faust decode+forward, {mode}", lambda mode=mode: asyncio.run(
                        measure.faust_forward(bootstrap, config.broker, work, base, config.timeout, mode)))
            results["baselines"]["aiokafka"] = phases.run("baseline: aiokafka consume+decode", lambda: asyncio.run(
                measure.aiokafka_decode(bootstrap, config.baseline_items)))
        data = phases.run(f"{n}: build stream", lambda: dataset.build(n, day=config.day, originals=originals,
                                                                      source=source))
        worker = usul_worker(bootstrap, config.broker, work, config.worker_env)
        worker.start()
        try:
            phases.run(f"{n}: worker ready", lambda: worker.wait_ready(180))
            row: dict[str, Any] = {"items": n, "mean_value_bytes": data.stats["mean_value_bytes"]}
            row["throughput"] = phases.run(f"{n}: throughput", lambda: asyncio.run(
                measure.usul_throughput(bootstrap, worker, data, config.timeout, bundle=config.bundle)))
            row["close"] = phases.run(f"{n}: day close", lambda: asyncio.run(
                measure.day_close(bootstrap, LENS, config.day, config.close_timeout, stall=config.close_timeout,
                                  web_port=worker.web_port)))
            row["memory_after_close"] = worker.memory()
            stuck = not (row["throughput"]["complete"] and row["close"]["complete"])
            if stuck:  # keep what the worker said, and go on with a fresh one
                row["worker_warnings"] = worker.warnings()
                worker.stop()
                worker = usul_worker(bootstrap, config.broker, work / "restarted", config.worker_env)
                worker.start()
                phases.run(f"{n}: restart stuck worker", lambda: worker.wait_ready(180))
            if main:
                first = date.fromisoformat(config.day)
                for k, rate in enumerate(config.loads, start=1):
                    count = max(1, int(rate * config.load_seconds))
                    day = (first + timedelta(days=k)).isoformat()
                    items = dataset.build(count, day=day, originals=originals, source=source, tag=f"L{int(rate)}n",
                                          seed=k)
                    results["latency"].append(phases.run(f"latency at {rate:g}/s", lambda items=items, rate=rate:
                                                         asyncio.run(measure.latency(bootstrap, items, rate,
                                                                                     config.timeout))))
            row["memory_end"] = worker.memory()
            row["load_average"] = [round(x, 2) for x in os.getloadavg()]
        finally:
            worker.stop()
    finally:
        if broker is not None:
            broker.stop()
    return row


def _profile_pass(config: Config, originals: list[Any], source: str, work: Path, phases: Phases,
                  out: Path) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    broker = broker_for(config.broker, free_port(), work / "broker")
    phases.run("profile: start broker", broker.start)
    try:
        data = dataset.build(config.profile_items, day=config.day, originals=originals, source=source)
        worker = usul_worker(broker.bootstrap, config.broker, work, config.worker_env)
        worker.start()
        try:
            phases.run("profile: worker ready", lambda: worker.wait_ready(180))
            found = phases.run("profile: throughput under py-spy", lambda: asyncio.run(
                measure.usul_throughput(broker.bootstrap, worker, data, config.timeout, profile_to=out)))
        finally:
            worker.stop()
    finally:
        broker.stop()
    summary = profile.summarise(out)
    out.with_suffix(".summary.txt").write_text(profile.render(summary), encoding="utf-8")
    return {"throughput_under_profiler": found, "collapsed_stacks": out.name, **summary}


def _plain(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value, default=str))


def write_json(result: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2, default=str))
    return path


def parse(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="items of the main day (default 100000)")
    parser.add_argument("--broker", choices=("kafka", "tansu"), default="kafka")
    parser.add_argument("--quick", action="store_true", help="2,000 items, short loads, small baselines")
    parser.add_argument("--scale", default=None, help="comma-separated items per day for the scaling curve "
                        "(default 10000,<items>)")
    parser.add_argument("--full", action="store_true", help="add 1,000,000 items to the scaling curve")
    parser.add_argument("--loads", default="100,500,2000", help="offered loads for the latency runs, items/s")
    parser.add_argument("--load-seconds", type=float, default=20.0, help="seconds of each offered load")
    parser.add_argument("--baseline-items", type=int, default=20_000)
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--profile", action="store_true", help="one more 10k pass with py-spy on the worker")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for a throughput or load run")
    parser.add_argument("--close-timeout", type=float, default=600.0, help="seconds to wait for a day's brief")
    parser.add_argument("--bundle", type=int, default=1, help="items per raw record at most in the throughput "
                        "runs, bundled as Usul's producers bundle them (default 1: one item a record)")
    parser.add_argument("--worker-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for Usul's worker (repeatable), e.g. PRODUCER_LINGER=0.01 for an "
                             "A/B run of a faust setting without a code change")
    args = parser.parse_args(argv)
    config = Config(items=args.items, broker=args.broker, loads=[float(x) for x in args.loads.split(",") if x],
                    load_seconds=args.load_seconds, baseline_items=args.baseline_items,
                    baselines=not args.no_baselines, profile=args.profile, timeout=args.timeout,
                    close_timeout=args.close_timeout, bundle=args.bundle,
                    worker_env=dict(pair.split("=", 1) for pair in args.worker_env))
    if args.quick:
        config.items = min(args.items, 2_000)
        config.load_seconds, config.baseline_items, config.profile_items = 5.0, 2_000, 2_000
    scales = [int(x) for x in args.scale.split(",") if x] if args.scale else [10_000, config.items]
    if args.quick and not args.scale:
        scales = [config.items]
    if args.full:
        scales.append(1_000_000)
    config.scales = sorted(set(scales) | {config.items})
    return config


def main(argv: list[str] | None = None) -> int:
    config = parse(argv)
    result = run(config)
    result["targets"] = report.targets(result)
    text = report.table(result)
    print(text)
    path = write_json(result, config.results_dir)
    print(f"\nresults: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
