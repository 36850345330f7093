"""The agents' send: a record the producer refuses becomes a dead letter, so nothing escapes a
batch (faust would acknowledge every record of the batch) and nothing is lost silently."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from prometheus_client import CollectorRegistry

from models import topics
from models.codec import decode
from streams.flow import Flow, Out
from streams.lenses import load_lens
from streams.metrics import Metrics
from streams.topology import Topology
from tests.builders import make_item


class RefusingProducer:
    """Takes every record but those over `limit` bytes, as a broker's size limit would."""

    def __init__(self, limit: int) -> None:
        self.limit, self.sent = limit, []

    async def send(self, topic: str, key: bytes, value: bytes, **_: Any) -> asyncio.Future[None]:
        if len(value) > self.limit:
            raise ValueError(f"record of {len(value)} bytes is over the limit")
        self.sent.append((topic, value))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def test_a_refused_record_becomes_a_dead_letter_and_the_rest_go_on() -> None:
    producer = RefusingProducer(limit=150_000)  # a dead letter keeps 100,000 characters of the record

    async def started() -> RefusingProducer:
        return producer

    agent = SimpleNamespace(app=SimpleNamespace(maybe_start_producer=started),
                            flow=Flow([load_lens("ai-safety-governance")], Metrics(CollectorRegistry())),
                            _produce=Topology._produce)
    small, big = make_item(id="small"), make_item(id="big", text="x" * 300_000)
    outs = [Out(topics.ENRICHED, "lens", small), Out(topics.ENRICHED, "lens", big),
            Out(topics.ENRICHED, "lens", small)]
    asyncio.run(Topology.send(agent, outs))  # type: ignore[arg-type]
    assert [topic for topic, _ in producer.sent] == [topics.ENRICHED.name, topics.DEAD_LETTERS.name,
                                                     topics.ENRICHED.name]
    letter = decode(topics.DEAD_LETTERS, producer.sent[1][1])
    assert letter.stage == "send" and "over the limit" in letter.message and '"big"' in letter.payload
