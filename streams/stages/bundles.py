"""Bundles of raw items: how producers cut them, and how the normalise stage takes them apart. Pure.

A record costs the worker about the same whatever it carries (a consume, a decode, faust's work
per event), so producers put many items in one record (`models.items.RawBundle`).

Keying keeps dedup exact. The dedup state is a table partitioned with the raw topic: a worker
looks an item's URL up in the partition the record came from. An item alone is keyed by its
canonical-URL hash, so every copy of a page lands on one partition. A bundle holds only items
whose keys fall on the same partition under Kafka's default partitioner (murmur2 of the key, as
the Java client and aiokafka hash), is keyed by its first item's key and sent to that partition:
each item lands where its own record would have, next to every earlier copy of its page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka.partitioner import murmur2
from pydantic import ValidationError

from models import topics
from models.codec import DecodeError, decode, encode
from models.items import MAX_BUNDLE_ITEMS, RawBundle, RawItem, RawRecord
from streams.stages.normalise import raw_key

# Kafka refuses a record over the topic's max.message.bytes (1 MiB by default); a bundle is cut
# before its items' JSON passes this (an item larger than this alone goes alone).
BUNDLE_BYTES = 512 * 1024
DEFAULT_BUNDLE_ITEMS = 100


@dataclass(frozen=True)
class RawOut:
    """A record for the raw topic: its key, the partition that key falls on, the item or bundle."""

    key: str
    partition: int
    value: RawItem | RawBundle


def partition_of(key: str, partitions: int) -> int:
    """Kafka's default partitioner for a keyed record (`aiokafka.partitioner.DefaultPartitioner`)."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def bundled(items: Iterable[RawItem], partitions: int, size: int) -> list[RawOut]:
    """The items as raw records: per partition of their keys, in their order, bundles of at most
    `size` items and about BUNDLE_BYTES; with `size` 1, one item a record, as before bundles."""
    if not 1 <= size <= MAX_BUNDLE_ITEMS:
        raise ValueError(f"a bundle holds 1 to {MAX_BUNDLE_ITEMS} items, not {size}")
    groups: dict[int, list[tuple[str, RawItem]]] = {}
    for item in items:
        key = raw_key(item)
        groups.setdefault(partition_of(key, partitions), []).append((key, item))
    return [record for partition, group in groups.items() for record in _cut(group, partition, size)]


def _cut(group: list[tuple[str, RawItem]], partition: int, size: int) -> list[RawOut]:
    outs: list[RawOut] = []
    run: list[tuple[str, RawItem]] = []
    run_bytes = 0
    for key, item in group:
        item_bytes = len(encode(item)) if size > 1 else 0
        if run and (len(run) == size or run_bytes + item_bytes > BUNDLE_BYTES):
            outs.append(_record(run, partition))
            run, run_bytes = [], 0
        run.append((key, item))
        run_bytes += item_bytes
    if run:
        outs.append(_record(run, partition))
    return outs


def _record(run: list[tuple[str, RawItem]], partition: int) -> RawOut:
    key, first = run[0]
    if len(run) == 1:  # a bundle of one would only cost more bytes than the item alone
        return RawOut(key, partition, first)
    items = [item for _, item in run]
    digest = hashlib.blake2b("\n".join(item.id for item in items).encode(), digest_size=12).hexdigest()
    return RawOut(key, partition, RawBundle(id=f"bundle:{digest}", items=items))


@dataclass(frozen=True)
class Refused:
    """An item of a bundle that is not a valid `RawItem`: its JSON and why."""

    payload: bytes
    error: DecodeError


@dataclass(frozen=True)
class Unbundled:
    """A raw record taken apart: its items in order, and its refused items (a bundle's only)."""

    bundle: str | None  # the bundle's id; None for a record of one item
    items: list[RawItem]
    refused: list[Refused]


def unbundle(payload: bytes | None) -> Unbundled:
    """The items of one raw record. A record that is neither an item nor a bundle raises
    `DecodeError`; an invalid item of a valid bundle is refused alone, named by its place."""
    record: RawRecord = decode(topics.RAW_ITEMS, payload)
    if record.items is None:
        return Unbundled(None, [record], [])
    items, refused = [], []
    for number, value in enumerate(record.items):
        try:
            items.append(RawItem.model_validate(value))
        except ValidationError as exc:
            refused.append(Refused(_alone(value), _item_error(record.id, number, exc)))
    return Unbundled(record.id, items, refused)


def _item_error(bundle: str, number: int, exc: ValidationError) -> DecodeError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "item"
    return DecodeError(topics.RAW_ITEMS.name, f"bundle {bundle} item {number}: {where}: {first['msg']} "
                       f"({exc.error_count()} errors)")


def _alone(value: dict[str, Any]) -> bytes:
    """An item of a bundle as the JSON record it would be alone (what its dead letter keeps)."""
    return orjson.dumps(value)
