"""The measurements, one function per figure. Each takes a running broker (and worker) and
returns plain dicts for the report; none of them asserts anything about time."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from benchmarks import kafka_io
from benchmarks.dataset import Dataset
from benchmarks.procs import Process, Profiler, faust_baseline
from models import topics
from models.codec import encode
from streams.stages import dayclose

RAW, ENRICHED, STORIES = topics.RAW_ITEMS.name, topics.ENRICHED.name, topics.STORIES.name
BRIEFS, DAY_CLOSED = topics.BRIEFS.name, topics.DAY_CLOSED.name
FAUST_MODES = ("naive", "batched")  # the agents of benchmarks.baseline_faust
STORY_QUIET = 3.0  # the story stream is drained when no update came for this long


def baseline_topics(mode: str) -> tuple[str, str]:
    """Each faust baseline reads and writes topics of its own (the aiokafka one reads the naive input)."""
    return f"usul.bench.baseline-in.{mode}.v1", f"usul.bench.baseline-out.{mode}.v1"


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of `values`, None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def enriched_ids(value: bytes, relevant: set[str] | None = None) -> list[str]:
    """The item ids an enriched record accounts for (an item, or a batch's judged items); the
    relevant ones are added to `relevant` when given."""
    record = orjson.loads(value)
    if record.get("record") == "judged":
        return [judgement["id"] for judgement in record.get("items", ())]
    if record.get("record") != "item":
        return []
    if relevant is not None and record.get("relevant"):
        relevant.add(record["id"])
    return [record["id"]]


# throughput ------------------------------------------------------------------------------------------
async def usul_throughput(bootstrap: str, worker: Process, data: Dataset, timeout: float,
                          profile_to: Path | None = None, bundle: int = 1) -> dict[str, Any]:
    """Produce every item as fast as possible, `bundle` items a raw record at most; time to the
    last enriched record (all counted) and to the last story update (drained until none came for
    STORY_QUIET seconds)."""
    judged = kafka_io.Matches()  # items the worker judged: one enriched record each, or many per batch

    def handle(topic: str, record: Any, arrived: float) -> None:
        if topic == ENRICHED:
            for item_id in enriched_ids(record.value):
                judged.see(item_id, arrived)

    tail = kafka_io.Tail(bootstrap, handle)
    await tail.start([ENRICHED, STORIES])
    profiler = Profiler(worker.pid, profile_to) if profile_to is not None else None
    if profiler is not None:
        profiler.start()
    n = len(data.records)
    records = data.bundled(bundle, await kafka_io.partition_count(bootstrap, RAW)) if bundle > 1 else data.records
    try:
        cpu0, wait0 = worker.cpu_seconds(), worker.sched_seconds()[1]
        produced = await kafka_io.produce_all(bootstrap, RAW, records)
        complete = await tail.wait_until(lambda: len(judged.first) >= n, timeout)
        enriched = tail.counts[ENRICHED]
        cpu_enriched = worker.cpu_seconds() - cpu0
        await tail.wait_idle(STORIES, STORY_QUIET, timeout, since=enriched.last or time.monotonic())
        cpu = worker.cpu_seconds() - cpu0
        waited = worker.sched_seconds()[1] - wait0
    finally:
        if profiler is not None:
            profiler.stop()
        await tail.stop()
    stories = tail.counts[STORIES]
    to_enriched = (enriched.last or time.monotonic()) - produced.first
    to_stories = (stories.last - produced.first) if stories.last else None
    return {
        "items": n, "raw_records": len(records), "complete": complete, "enriched_items": len(judged.first),
        "enriched_records": enriched.count,
        "produce_rate": round(produced.rate, 1), "produce_seconds": round(produced.last - produced.first, 3),
        "seconds_to_enriched": round(to_enriched, 3), "items_per_s_enriched": round(len(judged.first) / to_enriched, 1),
        "story_updates": stories.count,
        "seconds_to_last_story": None if to_stories is None else round(to_stories, 3),
        "items_per_s_stories": None if not to_stories else round(n / to_stories, 1),
        "story_updates_per_s": None if not to_stories else round(stories.count / to_stories, 1),
        "worker_cpu_seconds": round(cpu, 2), "worker_cpu_seconds_to_enriched": round(cpu_enriched, 2),
        "items_per_cpu_second": round(n / cpu, 1) if cpu else None,
        "worker_cpu_share": round(cpu / to_stories, 2) if to_stories else None,
        "worker_runqueue_wait_seconds": round(waited, 2),
        "worker_runqueue_wait_share": round(waited / to_stories, 2) if to_stories else None,
        "profile": profile_to.name if profile_to else None,
    }


# day close --------------------------------------------------------------------------------------
async def day_close(bootstrap: str, lens: str, day: str, timeout: float, stall: float = 120.0,
                    web_port: int | None = None) -> dict[str, Any]:
    """Close markers into every partition (as `usul replay` does); time to the day-closed record
    and to the brief record. With the worker's `web_port`, its `/healthz` is asked all along, and
    the slowest answer says how long the close kept the worker's event loop from serving."""
    close_id = f"bench-{uuid.uuid4().hex[:12]}"
    partitions = await kafka_io.partition_count(bootstrap, ENRICHED)
    seen: dict[str, Any] = {}

    def handle(topic: str, record: Any, arrived: float) -> None:
        if topic == DAY_CLOSED:
            closed = orjson.loads(record.value)
            if closed.get("close_id") == close_id:
                seen["closed"], seen["closed_at"] = closed, arrived
        elif topic == BRIEFS and (record.key or b"").decode().startswith(f"{lens}:{day}:"):
            seen.setdefault("brief_at", arrived)
            seen["brief_bytes"] = len(record.value)

    tail = kafka_io.Tail(bootstrap, handle)
    await tail.start([DAY_CLOSED, BRIEFS])
    client = kafka_io.producer(bootstrap, linger_ms=0)
    await client.start()
    health = SlowestAnswer(web_port) if web_port else None
    if health is not None:
        health.start()
    try:
        began = time.monotonic()
        for marker in dayclose.close_markers(lens, day, close_id, partitions, datetime.now(UTC)):
            await client.send(ENRICHED, key=lens.encode(), value=encode(marker), partition=marker.partition)
        await client.flush()
        done = await tail.wait_until(lambda: "closed" in seen and ("brief_at" in seen or
                                                                  not seen["closed"].get("changed")), timeout, stall)
    finally:
        await client.stop()
        await tail.stop()
        slowest = await health.stop() if health is not None else None
    closed = seen.get("closed") or {}
    return {
        "complete": done, "close_id": close_id,
        "seconds_to_day_closed": round(seen["closed_at"] - began, 3) if "closed_at" in seen else None,
        "seconds_to_brief": round(seen["brief_at"] - began, 3) if "brief_at" in seen else None,
        "items_seen": closed.get("items_seen"), "items_relevant": closed.get("items_relevant"),
        "stories": len(closed.get("stories") or []), "brief_bytes": seen.get("brief_bytes"),
        "slowest_health_answer_s": slowest,
    }


class SlowestAnswer:
    """Asks a worker's `/healthz` every `every` seconds in the background; `slowest` is the longest
    answer (or unanswered wait), in seconds."""

    def __init__(self, web_port: int, every: float = 0.25) -> None:
        self.url, self.every, self.slowest = f"http://127.0.0.1:{web_port}/healthz", every, 0.0
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._poll())

    async def _poll(self) -> None:
        async with httpx.AsyncClient(timeout=None) as http:
            while True:
                began = time.monotonic()
                try:
                    await http.get(self.url)
                except httpx.HTTPError:
                    pass  # no answer: the wait until now still counts
                finally:  # a wait cut short by `stop` counts too
                    self.slowest = max(self.slowest, time.monotonic() - began)
                await asyncio.sleep(self.every)

    async def stop(self) -> float:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        return round(self.slowest, 3)


# latency at a fixed offered load ----------------------------------------------------------------------
async def latency(bootstrap: str, data: Dataset, rate: float, timeout: float) -> dict[str, Any]:
    """Produce at `rate` items/s; latency of each item from our send to the first enriched record
    with its id (all items) and to the first story update adding it to a story's members (the
    relevant items that got one)."""
    sent: dict[str, float] = {}
    enriched, story = kafka_io.Matches(), kafka_io.Matches()
    relevant: set[str] = set()

    def handle(topic: str, record: Any, arrived: float) -> None:
        if topic == ENRICHED:
            for item_id in enriched_ids(record.value, relevant):
                enriched.see(item_id, arrived)
        else:
            for member in orjson.loads(record.value).get("added", ()):  # a delta: the members it adds
                story.see(member["id"], arrived)

    ids = set(data.ids)
    tail = kafka_io.Tail(bootstrap, handle)
    await tail.start([ENRICHED, STORIES])
    try:
        produced = await kafka_io.produce_paced(bootstrap, RAW, data.records, rate, sent)
        complete = await tail.wait_until(lambda: ids <= enriched.first.keys(), timeout)
        await tail.wait_idle(STORIES, STORY_QUIET, timeout, since=time.monotonic())
    finally:
        await tail.stop()
    to_enriched = [enriched.first[i] - sent[i] for i in ids if i in enriched.first]
    mine = relevant & ids
    to_story = [story.first[i] - sent[i] for i in mine if i in story.first]
    return {
        "offered_per_s": rate, "items": len(ids), "achieved_per_s": round(produced.rate, 1), "complete": complete,
        "enriched_p50_ms": ms(percentile(to_enriched, 50)), "enriched_p95_ms": ms(percentile(to_enriched, 95)),
        "enriched_p99_ms": ms(percentile(to_enriched, 99)), "enriched_max_ms": ms(max(to_enriched, default=None)),
        "relevant": len(mine), "with_story_update": len(to_story),
        "story_p50_ms": ms(percentile(to_story, 50)), "story_p95_ms": ms(percentile(to_story, 95)),
        "story_p99_ms": ms(percentile(to_story, 99)), "story_max_ms": ms(max(to_story, default=None)),
    }


# baselines --------------------------------------------------------------------------------------
async def faust_forward(bootstrap: str, flavour: str, workdir: Path, data: Dataset, timeout: float,
                        mode: str) -> dict[str, Any]:
    """A faust decode-and-forward agent (`benchmarks.baseline_faust`, `mode` naive or batched),
    measured like Usul: ready first, then produce, then time from the first send to the last
    forwarded record."""
    base_in, base_out = baseline_topics(mode)
    (workdir / mode).mkdir(parents=True, exist_ok=True)
    await kafka_io.create_topics(bootstrap, [base_in, base_out], 4)
    process = faust_baseline(bootstrap, flavour, workdir / mode, base_in, base_out, mode)
    process.start()
    try:
        await asyncio.to_thread(process.wait_ready)
        tail = kafka_io.Tail(bootstrap)
        await tail.start([base_out])
        try:
            cpu0, wait0 = process.cpu_seconds(), process.sched_seconds()[1]
            produced = await kafka_io.produce_all(bootstrap, base_in, data.records)
            complete = await tail.wait_count(base_out, len(data.records), timeout)
            cpu = process.cpu_seconds() - cpu0
            waited = process.sched_seconds()[1] - wait0
            memory = process.memory()
        finally:
            await tail.stop()
    finally:
        process.stop()
    out = tail.counts[base_out]
    seconds = (out.last or time.monotonic()) - produced.first
    return {"records": out.count, "complete": complete, "seconds": round(seconds, 3),
            "rate": round(out.count / seconds, 1), "cpu_seconds": round(cpu, 2),
            "per_cpu_second": round(out.count / cpu, 1) if cpu else None, "cpu_share": round(cpu / seconds, 2),
            "runqueue_wait_share": round(waited / seconds, 2), **memory}


async def aiokafka_decode(bootstrap: str, count: int) -> dict[str, Any]:
    """Raw aiokafka consume plus orjson decode of the naive baseline's input topic (already filled
    by `faust_forward`), in its own process."""
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "benchmarks.baseline_aiokafka", "--bootstrap", bootstrap,
                         "--topic", baseline_topics("naive")[0], "--count", str(count)],
        capture_output=True, text=True, timeout=600)
    if not result.stdout.strip():
        raise RuntimeError(f"aiokafka baseline failed: {result.stderr[-2000:]}")
    found = orjson.loads(result.stdout.strip().splitlines()[-1])
    found["per_cpu_second"] = round(found["records"] / found["cpu_seconds"], 1) if found["cpu_seconds"] else None
    return found
