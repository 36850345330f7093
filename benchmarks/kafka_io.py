"""The benchmark's side of the broker: topics, a fast producer, a paced producer, and a tail.

All clocks here are `time.monotonic()` of the benchmark process: a record's latency is the time
from our `send` of its raw item to our consumer receiving the output that names it, so no clock
is shared with the worker and no schema carries a timestamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from benchmarks.dataset import Record

MAX_REQUEST = 4 * 1024 * 1024


async def create_topics(bootstrap: str, names: Sequence[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(n, partitions, 1) for n in names if n not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


def producer(bootstrap: str, linger_ms: int = 20, batch_bytes: int = 1024 * 1024) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=linger_ms, max_batch_size=batch_bytes,
                            max_request_size=MAX_REQUEST)


@dataclass
class Produced:
    first: float  # monotonic time of the first send
    last: float  # monotonic time the last record was acknowledged (after flush)
    count: int

    @property
    def rate(self) -> float:
        return self.count / max(self.last - self.first, 1e-9)


async def produce_all(bootstrap: str, topic: str, records: Sequence[Record]) -> Produced:
    """Every record as fast as the client goes: pre-encoded bytes, batched, not awaited one by one."""
    client = producer(bootstrap)
    await client.start()
    try:
        first = time.monotonic()
        for record in records:
            await client.send(topic, key=record.key, value=record.value)
        await client.flush()
        return Produced(first, time.monotonic(), len(records))
    finally:
        await client.stop()


async def produce_paced(bootstrap: str, topic: str, records: Sequence[Record], rate: float,
                        sent_at: dict[str, float], tick: float = 0.005) -> Produced:
    """`rate` records per second on a fixed schedule (no catching up in bursts beyond one tick);
    `sent_at[id]` is when each record was handed to the client."""
    client = producer(bootstrap, linger_ms=1, batch_bytes=256 * 1024)
    await client.start()
    try:
        first = time.monotonic()
        for i, record in enumerate(records):
            due = first + i / rate
            ahead = due - time.monotonic()
            if ahead > tick:
                await asyncio.sleep(ahead)
            sent_at[record.id] = time.monotonic()
            await client.send(topic, key=record.key, value=record.value)
        await client.flush()
        return Produced(first, time.monotonic(), len(records))
    finally:
        await client.stop()


Handler = Callable[[str, Any, float], None]  # (topic, record, arrival time)


@dataclass
class TopicCount:
    count: int = 0
    first: float | None = None
    last: float | None = None


class Tail:
    """One group-less consumer reading topics from given offsets in the background.

    Counts every record per topic with its first and last arrival time; `handler`, when given,
    also sees each record (decoding is then the handler's cost, on this process's clock).
    """

    def __init__(self, bootstrap: str, handler: Handler | None = None, wait_ms: int = 10) -> None:
        self.bootstrap, self.handler = bootstrap, handler
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                         fetch_max_wait_ms=wait_ms, max_partition_fetch_bytes=16 * 1024 * 1024,
                                         fetch_max_bytes=64 * 1024 * 1024)
        self.counts: dict[str, TopicCount] = {}
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self, topics: Sequence[str]) -> None:
        await self.consumer.start()
        partitions = [tp for t in topics for tp in await self._partitions(t)]
        ends = await self.consumer.end_offsets(partitions)
        self.consumer.assign(partitions)
        for tp in partitions:
            self.consumer.seek(tp, ends[tp])
        self.counts = {t: TopicCount() for t in topics}
        self._task = asyncio.create_task(self._run())

    async def _partitions(self, topic: str) -> list[TopicPartition]:
        for _ in range(300):
            metadata = await self.consumer._client.fetch_all_metadata()
            found = metadata.partitions_for_topic(topic)
            if found:
                return [TopicPartition(topic, p) for p in sorted(found)]
            await asyncio.sleep(0.2)
        raise RuntimeError(f"topic {topic} never appeared")

    async def _run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=200, max_records=5000)
            arrived = time.monotonic()
            for tp, records in batches.items():
                count = self.counts[tp.topic]
                count.count += len(records)
                count.first = count.first or arrived
                count.last = arrived
                if self.handler is not None:
                    for record in records:
                        self.handler(tp.topic, record, arrived)
            if batches:
                self._changed.set()

    async def wait_count(self, topic: str, target: int, timeout: float, stall: float = 120.0) -> bool:
        """Until `topic` has `target` records (True), or `timeout` passes, or nothing arrived on any
        tailed topic for `stall` seconds (False: the worker is stuck)."""
        return await self.wait_until(lambda: self.counts[topic].count >= target, timeout, stall)

    async def wait_until(self, done: Callable[[], bool], timeout: float, stall: float = 120.0) -> bool:
        deadline = time.monotonic() + timeout
        waiting_since = time.monotonic()
        while not done():
            if self._task is not None and self._task.done():
                self._task.result()  # the reader failed: raise its error here
            latest = max([c.last for c in self.counts.values() if c.last] + [waiting_since])
            if time.monotonic() - latest > stall or not await self._wait_change(deadline):
                return False
        return True

    async def wait_idle(self, topic: str, quiet: float, timeout: float, since: float) -> None:
        """Until `topic` has had no new record for `quiet` seconds counted from its last record or
        `since`, whichever is later (or until `timeout` passes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            idle = time.monotonic() - max(self.counts[topic].last or since, since)
            if idle >= quiet:
                return
            await asyncio.sleep(quiet - idle + 0.01)

    async def _wait_change(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self._changed.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        with contextlib.suppress(Exception):
            await self.consumer.stop()


@dataclass
class Matches:
    """First arrival per item id of an output that names it, for the latency runs."""

    first: dict[str, float] = field(default_factory=dict)

    def see(self, item_id: str, when: float) -> None:
        if item_id not in self.first:
            self.first[item_id] = when


async def partition_count(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        for _ in range(150):
            metadata = await consumer._client.fetch_all_metadata()
            found = metadata.partitions_for_topic(topic)
            if found:
                return len(found)
            await asyncio.sleep(0.2)
        raise RuntimeError(f"topic {topic} never appeared")
    finally:
        await consumer.stop()
