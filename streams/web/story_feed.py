"""The faust `Service` that fills the live pages' `LiveStories` from the stories topics
(`usul.stories.v2`: deltas; `usul.story-snapshots.v1`: snapshots, compacted).

It reads with its own aiokafka consumer *without* a consumer group: an agent in the worker's group
would only see the partitions assigned to this worker, but every worker's live page must show every
story of the day. On start it reads the snapshots of the days `lookback_hours` reaches, then the
deltas from the lookback (or from the oldest snapshot taken, if older), then follows both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from mode import Service

from models import topics
from models.codec import DecodeError, decode
from models.stories import StorySnapshot
from streams.kafka_settings import COMMITTED_READS
from streams.web.live_stories import LiveStories

log = logging.getLogger(__name__)


class StoryFeed(Service):
    """Follows every partition of the stories topic into a `LiveStories`, without a group."""

    def __init__(self, store: LiveStories, bootstrap: str, lookback_hours: float = 48.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store, self.bootstrap, self.lookback = store, bootstrap, timedelta(hours=lookback_hours)
        self.consumer: AIOKafkaConsumer | None = None
        self.applied, self.retry_seconds = 0, 5.0

    async def on_stop(self) -> None:
        self.store.close_all()
        await self._close_consumer()

    @Service.task
    async def _follow(self) -> None:
        while not self.should_stop:
            try:
                await self._read()
            except asyncio.CancelledError:
                raise
            except Exception:  # the live view is a convenience: never take the worker down with it
                log.exception("live story feed failed; starting it again in %.0f s", self.retry_seconds)
                await self._close_consumer()
                await self.sleep(self.retry_seconds)

    async def _read(self) -> None:
        # earliest: an offset the broker calls out of range (an empty partition, on some brokers)
        # is read again from the start rather than skipped; a record applied twice changes nothing
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                                         auto_offset_reset="earliest", max_partition_fetch_bytes=8 * 1024 * 1024,
                                         **COMMITTED_READS)
        await self.consumer.start()
        snapshots = await self._partitions(topics.STORY_SNAPSHOTS.name)
        live = await self._partitions(topics.STORIES.name)
        since = await self._read_snapshots(snapshots)
        await self._seek_back(live, snapshots, since)
        while not self.should_stop:
            batches = await self.consumer.getmany(timeout_ms=500, max_records=500)
            for partition, records in batches.items():
                for record in records:
                    self._take(partition.topic, record.value, start=False)

    async def _close_consumer(self) -> None:
        consumer, self.consumer = self.consumer, None
        if consumer is not None:
            with contextlib.suppress(Exception):
                await consumer.stop()

    async def _partitions(self, topic: str) -> list[TopicPartition]:
        assert self.consumer is not None
        while not self.should_stop:
            cluster = await self.consumer._client.fetch_all_metadata()  # not just assigned topics
            found = cluster.partitions_for_topic(topic)
            if found:
                return [TopicPartition(topic, p) for p in sorted(found)]
            await asyncio.sleep(1.0)
        return []

    async def _read_snapshots(self, partitions: list[TopicPartition]) -> int:
        """The snapshots written within the lookback or of the lens-days it reaches (a story of
        those may have its latest snapshot from before), up to their end now. Returns the time
        (ms) to read the live topic from: the lookback, or the oldest snapshot taken if that is
        older, so that every delta after a snapshot taken is read."""
        assert self.consumer is not None
        self.consumer.assign(partitions)
        await self.consumer.seek_to_beginning(*partitions)
        ends = await self.consumer.end_offsets(partitions)
        since = datetime.now(UTC) - self.lookback
        first_day = (since - timedelta(days=1)).date().isoformat()  # a lens-day may begin a day before, in UTC
        lookback = oldest = int(since.timestamp() * 1000)
        while not self.should_stop and any([await self.consumer.position(tp) < ends[tp] for tp in partitions]):
            for records in (await self.consumer.getmany(timeout_ms=500, max_records=500)).values():
                for record in records:
                    if record.timestamp >= lookback or _day_of(record.key) >= first_day:
                        self._take(topics.STORY_SNAPSHOTS.name, record.value, start=True)
                        oldest = min(oldest, record.timestamp)
        return oldest

    async def _seek_back(self, live: list[TopicPartition], snapshots: list[TopicPartition], since: int) -> None:
        """Follow the snapshots from where `_read_snapshots` stopped, and the live topic from `since`."""
        assert self.consumer is not None
        read = {tp: await self.consumer.position(tp) for tp in snapshots}
        self.consumer.assign(snapshots + live)
        for tp, offset in read.items():
            self.consumer.seek(tp, offset)
        # The ends first: a partition with no record since `since` is read from the end it had
        # before the lookup (an offset, not seek_to_end's "latest", which is resolved at the first
        # fetch and would skip what a fast replay sent in between).
        ends = await self.consumer.end_offsets(live)
        try:
            found = await asyncio.wait_for(self.consumer.offsets_for_times({tp: since for tp in live}), 10)
        except Exception:  # a broker without timestamp lookups: read the whole retention instead
            log.warning("live story feed: no offsets by time, reading %s from the start", topics.STORIES.name)
            await self.consumer.seek_to_beginning(*live)
            return
        for tp in live:
            at = found.get(tp)
            self.consumer.seek(tp, ends[tp] if at is None else at.offset)
        log.info("live story feed: reading %s from %s", topics.STORIES.name,
                 {tp.partition: (found[tp].offset if found.get(tp) else f"end {ends[tp]}") for tp in live})

    def _take(self, topic: str, value: bytes | None, start: bool) -> None:
        """One record of either stories topic into the store; a snapshot read at the `start` is
        where its story begins, one read while following only resyncs a story after a gap."""
        spec = topics.STORIES if topic == topics.STORIES.name else topics.STORY_SNAPSHOTS
        try:
            record = decode(spec, value)
        except DecodeError as exc:
            log.warning("live story feed: skipped a record: %s", exc)
            return
        gaps = self.store.gaps()
        if isinstance(record, StorySnapshot) and not start:
            self.store.resync(record)
        else:
            self.store.take(record)
        if self.store.gaps() > gaps:
            log.info("live story feed: story %s missed an update before %d; it waits for a snapshot",
                     record.story_id, record.seq)
        self.applied += 1


def _day_of(key: bytes | None) -> str:
    """The day of a snapshot's key (`lens:day:story_id`), without decoding the record."""
    parts = (key or b"").decode(errors="replace").split(":")
    return parts[1] if len(parts) == 3 else ""
