"""The faust `Service` that fills the live pages' `LiveStories` from `usul.stories.v1`.

It reads with its own aiokafka consumer *without* a consumer group: an agent in the worker's group
would only see the partitions assigned to this worker, but every worker's live page must show every
story of the day. On start it reads back `lookback_hours` of the topic (by record time), then
follows it.
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
        # is read again from the start rather than skipped; applying a story twice changes nothing
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                                         auto_offset_reset="earliest", max_partition_fetch_bytes=8 * 1024 * 1024,
                                         **COMMITTED_READS)
        await self.consumer.start()
        await self._seek_back(await self._partitions())
        while not self.should_stop:
            batches = await self.consumer.getmany(timeout_ms=500, max_records=500)
            for records in batches.values():
                for record in records:
                    self._take(record.value)

    async def _close_consumer(self) -> None:
        consumer, self.consumer = self.consumer, None
        if consumer is not None:
            with contextlib.suppress(Exception):
                await consumer.stop()

    async def _partitions(self) -> list[TopicPartition]:
        assert self.consumer is not None
        while not self.should_stop:
            cluster = await self.consumer._client.fetch_all_metadata()  # not just assigned topics
            found = cluster.partitions_for_topic(topics.STORIES.name)
            if found:
                return [TopicPartition(topics.STORIES.name, p) for p in sorted(found)]
            await asyncio.sleep(1.0)
        return []

    async def _seek_back(self, partitions: list[TopicPartition]) -> None:
        assert self.consumer is not None
        self.consumer.assign(partitions)
        since = int((datetime.now(UTC) - self.lookback).timestamp() * 1000)
        try:
            found = await asyncio.wait_for(self.consumer.offsets_for_times({tp: since for tp in partitions}), 10)
        except Exception:  # a broker without timestamp lookups: read the whole retention instead
            log.warning("live story feed: no offsets by time, reading %s from the start", topics.STORIES.name)
            await self.consumer.seek_to_beginning(*partitions)
            return
        for tp in partitions:
            at = found.get(tp)
            if at is None:
                await self.consumer.seek_to_end(tp)
            else:
                self.consumer.seek(tp, at.offset)
        log.info("live story feed: reading %s from %s", topics.STORIES.name,
                 {tp.partition: (found.get(tp).offset if found.get(tp) else "end") for tp in partitions})

    def _take(self, value: bytes | None) -> None:
        try:
            story = decode(topics.STORIES, value)
        except DecodeError as exc:
            log.warning("live story feed: skipped a record: %s", exc)
            return
        self.store.apply(story)
        self.applied += 1
