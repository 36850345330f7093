"""The dead-letter topic from the operator's side: Kafka headers for every dead letter, listing the
letters, and replaying the ones whose failure was transient.

A dead letter (`models.dead_letters.DeadLetter`) carries the failed record's bytes and where it came
from; the same facts travel as Kafka headers (`models.dead_letters.kafka_headers`).

Replay re-produces a letter's original payload to its original topic (raw items or enriched) with
its original key, and for the enriched topic its original partition (close markers are addressed
to one partition). Only transient failures are replayed: a record that failed to decode, or that
still does not decode now, would only fail again. Replaying twice is harmless, because every stage
is idempotent per item id and per close round. The planning functions at the top are pure.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from models import topics
from models.codec import DecodeError, decode
from models.dead_letters import DeadLetter
from streams.kafka_settings import ACKS_ALL, COMMITTED_READS

# Failures that depend only on the record's bytes: the same bytes fail the same way every time.
PERMANENT_ERRORS = frozenset({"DecodeError", "IngestError", "ValidationError", "JSONDecodeError",
                              "UnicodeDecodeError"})
REPLAYABLE_TOPICS = {spec.name: spec for spec in (topics.RAW_ITEMS, topics.ENRICHED)}


def header_map(raw: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    return {name: value.decode("utf-8", errors="replace") for name, value in raw or ()}


@dataclass(frozen=True)
class Letter:
    """One record of the dead-letter topic: where it sits, its headers, and the letter itself."""

    partition: int
    offset: int
    headers: dict[str, str]
    letter: DeadLetter
    written: datetime  # the record's timestamp: when the letter was written, whatever it says inside


@dataclass(frozen=True)
class Action:
    """What replay does (or would do) with one letter."""

    entry: Letter
    replay: bool
    reason: str

    def line(self) -> str:
        letter = self.entry.letter
        verb = "replay" if self.replay else "skip"
        return (f"{verb:6} @{self.entry.offset} {letter.stage}/{letter.error_class} from "
                f"{letter.original_topic}[{letter.partition}]@{letter.offset}: {self.reason}")


def original_bytes(letter: DeadLetter) -> bytes:
    """The failed record exactly: `payload_b64` when the bytes were not UTF-8, else the text."""
    return base64.b64decode(letter.payload_b64) if letter.payload_b64 is not None else letter.payload.encode()


def plan(entry: Letter) -> Action:
    """Replay a letter only when its failure was transient and its payload is a valid record now."""
    letter = entry.letter
    spec = REPLAYABLE_TOPICS.get(letter.original_topic)
    if spec is None:
        return Action(entry, False, f"{letter.original_topic} is not a topic replay writes to")
    if letter.error_class in PERMANENT_ERRORS:
        return Action(entry, False, f"permanent: {letter.error_class} would fail again")
    try:
        decode(spec, original_bytes(letter))
    except (DecodeError, ValueError) as exc:
        return Action(entry, False, f"payload does not decode: {exc}"[:200])
    return Action(entry, True, f"transient {letter.error_class}: re-produce to {letter.original_topic}")


def plan_all(entries: list[Letter]) -> list[Action]:
    """One action per letter; the same original record (topic, partition, offset) replays once."""
    actions, chosen = [], set()
    for entry in entries:
        action = plan(entry)
        letter = entry.letter
        origin = (letter.original_topic, letter.partition, letter.offset)
        if action.replay and letter.offset is not None and origin in chosen:
            action = Action(entry, False, "the same original record is replayed by an earlier letter")
        elif action.replay:
            chosen.add(origin)
        actions.append(action)
    return actions


def newest_last(entries: list[Letter]) -> list[Letter]:
    """Letters in the order they were written, so that `select`'s `limit` keeps the newest. Not by
    their `failed_at`: a letter may date its failure by the data's time (a replay of an old day did)."""
    return sorted(entries, key=lambda e: (e.written, e.partition, e.offset))


def select(entries: list[Letter], stage: str | None = None, limit: int | None = None) -> list[Letter]:
    chosen = [e for e in entries if stage is None or e.letter.stage == stage]
    return chosen[-limit:] if limit else chosen


def summary_line(entry: Letter) -> str:
    letter = entry.letter
    return (f"@{entry.offset} {letter.failed_at:%Y-%m-%dT%H:%M:%SZ} {letter.stage} {letter.error_class} "
            f"{letter.original_topic}[{letter.partition}]@{letter.offset}: {letter.message[:120]}")


# the client side --------------------------------------------------------------------------------
async def read_letters(bootstrap: str, security: dict[str, Any] | None = None,
                       timeout_ms: int = 2000) -> list[Letter]:
    """Every letter on the dead-letter topic, as written (a group-less read; commits nothing)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **COMMITTED_READS,
                                **(security or {}))
    await consumer.start()
    try:
        found = consumer.partitions_for_topic(topics.DEAD_LETTERS.name)
        if not found:
            await consumer._client.force_metadata_update()
            found = consumer.partitions_for_topic(topics.DEAD_LETTERS.name) or set()
        parts = [TopicPartition(topics.DEAD_LETTERS.name, p) for p in sorted(found)]
        if not parts:
            return []
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        letters: list[Letter] = []
        while batches := await consumer.getmany(timeout_ms=timeout_ms, max_records=1000):
            # until a poll comes back empty: some brokers' end offsets count batches, not records
            for records in batches.values():
                letters += [entry for r in records if (entry := _letter(r)) is not None]
        return newest_last(letters)
    finally:
        await consumer.stop()


def _letter(record: Any) -> Letter | None:
    try:
        letter = decode(topics.DEAD_LETTERS, record.value)
    except DecodeError:
        return None  # not ours to judge; `dlq list` shows letters only
    return Letter(record.partition, record.offset, header_map(record.headers), letter, written_at(record, letter))


def written_at(record: Any, letter: DeadLetter) -> datetime:
    """The record's timestamp (milliseconds since the epoch), else the letter's own `failed_at`."""
    stamp = getattr(record, "timestamp", None)
    return datetime.fromtimestamp(stamp / 1000, UTC) if isinstance(stamp, int) and stamp >= 0 else letter.failed_at


async def replay(bootstrap: str, actions: list[Action], security: dict[str, Any] | None = None) -> int:
    """Re-produce the replayable letters' payloads; returns how many were sent."""
    chosen = [a for a in actions if a.replay]
    if not chosen:
        return 0
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=4 * 1024 * 1024,
                                **ACKS_ALL, **(security or {}))  # the broker's kind is not known here
    await producer.start()
    try:
        for action in chosen:
            letter = action.entry.letter
            partition = letter.partition if letter.original_topic == topics.ENRICHED.name else None
            key = letter.key.encode() if letter.key is not None else None
            await producer.send(letter.original_topic, value=original_bytes(letter), key=key, partition=partition,
                                headers=[("usul-replayed-from", str(action.entry.offset).encode())])
        await producer.flush()
    finally:
        await producer.stop()
    return len(chosen)
