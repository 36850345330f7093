"""The agents' send: a record the producer refuses becomes a dead letter, so nothing escapes a
batch (faust would acknowledge every record of the batch) and nothing is lost silently."""

from __future__ import annotations

import asyncio
import functools
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
    """Refuses records over `limit` bytes when asked to send them, as the producer's own size check
    does, and fails the delivery of those over `broker_limit`, as a broker's size limit does."""

    def __init__(self, limit: int, broker_limit: int | None = None) -> None:
        self.limit, self.broker_limit, self.sent = limit, broker_limit, []

    async def send(self, topic: str, key: bytes, value: bytes, **_: Any) -> asyncio.Future[None]:
        if len(value) > self.limit:
            raise ValueError(f"record of {len(value)} bytes is over the limit")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.broker_limit is not None and len(value) > self.broker_limit:
            done.set_exception(ValueError(f"the broker refused {len(value)} bytes"))
        else:
            self.sent.append((topic, value))
            done.set_result(None)
        return done


def _agent(producer: RefusingProducer) -> SimpleNamespace:
    """What `Topology.send` uses of its topology, around the given producer."""
    async def started() -> RefusingProducer:
        return producer

    agent = SimpleNamespace(app=SimpleNamespace(maybe_start_producer=started), _pending=set(),
                            flow=Flow([load_lens("ai-safety-governance")], Metrics(CollectorRegistry())))
    agent.send = functools.partial(Topology.send, agent)
    agent._produce = functools.partial(Topology._produce, agent)
    agent._delivered = functools.partial(Topology._delivered, agent)
    return agent


def test_a_refused_record_becomes_a_dead_letter_and_the_rest_go_on() -> None:
    producer = RefusingProducer(limit=150_000)  # a dead letter keeps 100,000 characters of the record
    small, big = make_item(id="small"), make_item(id="big", text="x" * 300_000)
    outs = [Out(topics.ENRICHED, "lens", small), Out(topics.ENRICHED, "lens", big),
            Out(topics.ENRICHED, "lens", small)]
    asyncio.run(_agent(producer).send(outs))
    assert [topic for topic, _ in producer.sent] == [topics.ENRICHED.name, topics.DEAD_LETTERS.name,
                                                     topics.ENRICHED.name]
    letter = decode(topics.DEAD_LETTERS, producer.sent[1][1])
    assert letter.stage == "send" and "over the limit" in letter.message and '"big"' in letter.payload


def test_a_record_the_broker_refuses_after_the_send_becomes_a_dead_letter() -> None:
    producer = RefusingProducer(limit=4_000_000, broker_limit=150_000)
    agent = _agent(producer)
    big = make_item(id="big", text="x" * 300_000)

    async def send_and_settle() -> None:
        await agent.send([Out(topics.ENRICHED, "lens", big), Out(topics.ENRICHED, "lens", make_item(id="small"))])
        await asyncio.sleep(0)  # the deliveries' callbacks run
        await asyncio.gather(*agent._pending)  # and the dead letter they started is sent

    asyncio.run(send_and_settle())
    assert [topic for topic, _ in producer.sent] == [topics.ENRICHED.name, topics.DEAD_LETTERS.name]
    letter = decode(topics.DEAD_LETTERS, producer.sent[1][1])
    assert letter.stage == "send" and "the broker refused" in letter.message and '"big"' in letter.payload
