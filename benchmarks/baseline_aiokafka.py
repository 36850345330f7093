"""Baseline: raw aiokafka consume plus orjson decode, the ceiling for one Python process.

`python -m benchmarks.baseline_aiokafka --bootstrap HOST:PORT --topic T --count N` reads the
first N records of every partition of T from the beginning, decodes each with orjson, and
prints one JSON line: records, seconds (first fetch call to the N-th decoded record), rate,
CPU seconds and peak RSS of this process.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition


async def consume_and_decode(bootstrap: str, topic: str, count: int, timeout: float = 300.0) -> dict[str, Any]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                max_partition_fetch_bytes=16 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or
                                                                   await _partitions(consumer, topic))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen, cpu0 = 0, time.process_time()
        began = time.monotonic()
        deadline = began + timeout
        while seen < count and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=10000)
            for records in batches.values():
                for record in records:
                    orjson.loads(record.value)
                seen += len(records)
        seconds = time.monotonic() - began
        return {"records": seen, "seconds": round(seconds, 3), "rate": round(seen / max(seconds, 1e-9), 1),
                "cpu_seconds": round(time.process_time() - cpu0, 3),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    metadata = await consumer._client.fetch_all_metadata()
    return metadata.partitions_for_topic(topic) or set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args(argv)
    result = asyncio.run(consume_and_decode(args.bootstrap, args.topic, args.count))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0 if result["records"] >= args.count else 1


if __name__ == "__main__":
    sys.exit(main())
