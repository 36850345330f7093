"""Round-trip through whichever broker the ``broker`` fixture started."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

N_MESSAGES = 100
PARTITIONS = 3


async def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name=name, num_partitions=partitions, replication_factor=1)]
        )
    finally:
        await admin.close()


async def produce(bootstrap: str, topic: str, items: dict[bytes, bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sends = [await producer.send(topic, key=k, value=v) for k, v in items.items()]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def consume(bootstrap: str, topic: str, count: int, timeout: float) -> dict[bytes, bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: dict[bytes, bytes] = {}
    try:
        async with asyncio.timeout(timeout):
            async for record in consumer:
                assert record.key is not None and record.value is not None
                received[record.key] = record.value
                if len(received) >= count:
                    break
    finally:
        await consumer.stop()
    return received


@pytest.mark.integration
@pytest.mark.asyncio
async def test_round_trip_100_messages_over_3_partitions(broker: str) -> None:
    topic = f"usul-test-{uuid.uuid4().hex[:8]}"
    await create_topic(broker, topic, PARTITIONS)
    sent = {f"key-{i:03d}".encode(): f"value-{i}".encode() for i in range(N_MESSAGES)}

    await produce(broker, topic, sent)
    received = await consume(broker, topic, N_MESSAGES, timeout=60)

    assert received == sent
