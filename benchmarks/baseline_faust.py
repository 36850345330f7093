"""Baseline: the smallest useful faust agent on the same broker with Usul's faust settings.

It decodes each record with orjson and forwards its bytes to another topic, and nothing else:
no pydantic, no tables, no stage code. What Usul's worker does beyond this is Usul's own cost.
Two ways: `naive`, one event at a time through faust's `Topic.send` (the agent a faust tutorial
writes), and `batched`, the way Usul's agents move records (`take_events` batches, records queued
on the producer directly): the most this broker and faust give one process.

Run by the benchmark as `python -m benchmarks.baseline_faust` with BENCH_BOOTSTRAP,
BENCH_FLAVOUR, BENCH_WEB_PORT, BENCH_DATA_DIR, BENCH_SOURCE, BENCH_SINK and BENCH_MODE in the
environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import faust
import orjson
from faust.web import Request, Response, View

from streams.kafka_settings import FAUST_SETTINGS
from streams.topology import BATCH_RECORDS, BATCH_SECONDS


def create_app(bootstrap: str, flavour: str, web_port: int, data_dir: Path, source: str, sink: str,
               mode: str = "naive", partitions: int = 4) -> faust.App:
    data_dir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        "usul-bench-baseline",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        topic_partitions=partitions,
        web_host="127.0.0.1",
        web_port=web_port,
        web_enabled=True,
        datadir=data_dir,
        producer_max_request_size=4 * 1024 * 1024,
        **FAUST_SETTINGS[flavour],
    )
    codec = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw",
             "partitions": partitions}
    inbound, outbound = app.topic(source, **codec), app.topic(sink, **codec)

    async def forward(stream: Any) -> None:
        async for event in stream.events():
            orjson.loads(event.value)
            await outbound.send(key=event.key, value=event.value)

    async def forward_batched(stream: Any) -> None:
        async for events in stream.take_events(BATCH_RECORDS, within=BATCH_SECONDS):
            producer = await app.maybe_start_producer()
            for event in events:
                orjson.loads(event.value)
                await producer.send(sink, event.key, event.value, partition=None, timestamp=None, headers=None)

    app.agent(inbound, name="forward")({"naive": forward, "batched": forward_batched}[mode])

    @app.page("/readyz")
    class Ready(View):
        async def get(self, request: Request) -> Response:
            ready = bool(app.consumer.assignment()) and not app.rebalancing
            return self.json({"ready": ready}, status=200 if ready else 503)

    return app


def main() -> None:
    env = os.environ
    app = create_app(env["BENCH_BOOTSTRAP"], env.get("BENCH_FLAVOUR", "kafka"), int(env["BENCH_WEB_PORT"]),
                     Path(env["BENCH_DATA_DIR"]), env["BENCH_SOURCE"], env["BENCH_SINK"],
                     env.get("BENCH_MODE", "naive"))
    faust.Worker(app, loglevel="warning").execute_from_commandline()


if __name__ == "__main__":
    main()
