"""Producing onto Usul's topics from outside the worker (CLI ingestion and manual closes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer

from models import topics
from models.codec import encode
from models.dead_letters import Origin, dead_letter, kafka_headers
from models.items import RawItem
from streams.ingest.feed_source import read_feed_source
from streams.ingest.parse import IngestError, read_jsonl
from streams.kafka_security import client_kwargs
from streams.kafka_settings import PRODUCER_SETTINGS
from streams.ops.admin import partitions_of
from streams.settings import Settings
from streams.stages import dayclose
from streams.stages.bundles import bundled


def read_location(location: str, observed: datetime) -> list[RawItem | IngestError]:
    if location.endswith((".jsonl", ".ndjson")) and not location.startswith(("http://", "https://")):
        return list(read_jsonl(Path(location), observed))
    try:
        return list(read_feed_source(location, observed))
    except (IngestError, OSError) as exc:
        return [exc if isinstance(exc, IngestError) else IngestError(location, str(exc))]


async def send_raw(producer: AIOKafkaProducer, items: list[RawItem], bundle_items: int) -> None:
    """Items onto the raw topic in bundles of at most `bundle_items` (`streams.stages.bundles`),
    each to the partition its items' keys fall on among the topic's partitions."""
    partitions = len(await producer.partitions_for(topics.RAW_ITEMS.name))
    for record in bundled(items, partitions, bundle_items):
        await producer.send(topics.RAW_ITEMS.name, key=record.key.encode(), value=encode(record.value),
                            partition=record.partition)


async def produce_locations(settings: Settings, locations: list[str],
                            observed: datetime) -> tuple[int, list[IngestError]]:
    """Items onto the raw topic, bundled per location, the rest dead-lettered; returns how many
    items were sent and the refusals themselves, so the caller can say why, not only how many."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, linger_ms=20,
                                **PRODUCER_SETTINGS[settings.broker_flavour],
                                **client_kwargs(settings))
    await producer.start()
    sent, rejected = 0, []
    try:
        for location in locations:
            items = []
            for parsed in read_location(location, observed):
                if isinstance(parsed, IngestError):
                    letter = dead_letter("ingest", parsed, parsed.payload, Origin(topic=location), observed)
                    await producer.send(topics.DEAD_LETTERS.name, key=b"ingest", value=encode(letter),
                                        headers=kafka_headers(letter))
                    rejected.append(parsed)
                else:
                    items.append(parsed)
            await send_raw(producer, items, settings.bundle_items)
            sent += len(items)
        await producer.flush()
    finally:
        await producer.stop()
    return sent, rejected


async def produce_close(settings: Settings, lens: str, day: str) -> str:
    close_id = f"manual-{uuid.uuid4().hex[:12]}"
    partitions = partitions_of(topics.ENRICHED, settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers,
                                **PRODUCER_SETTINGS[settings.broker_flavour],
                                **client_kwargs(settings))
    await producer.start()
    try:
        for marker in dayclose.close_markers(lens, day, close_id, partitions, datetime.now(UTC)):
            await producer.send(topics.ENRICHED.name, key=lens.encode(), value=encode(marker),
                                partition=marker.partition)
    finally:
        await producer.stop()
    return close_id
