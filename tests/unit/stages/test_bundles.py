"""Bundles of raw items: how producers cut and key them, and how normalise takes them apart."""

from __future__ import annotations

import random

import orjson
import pytest
from aiokafka.partitioner import DefaultPartitioner

from models.codec import DecodeError, encode
from models.items import RawBundle, RawItem
from streams.stages.bundles import BUNDLE_BYTES, bundled, partition_of, unbundle
from streams.stages.normalise import raw_key

PARTITIONS = 4


def _items(count: int, text: str = "") -> list[RawItem]:
    return [RawItem(id=f"i{n}", url=f"https://news.example/{n}", title=f"Item {n}", text=text) for n in range(count)]


def test_a_key_falls_on_the_partition_kafkas_default_partitioner_gives_it() -> None:
    partitioner = DefaultPartitioner()
    for item in _items(200):
        key = raw_key(item)
        assert partition_of(key, PARTITIONS) == partitioner(key.encode(), list(range(PARTITIONS)), [])


def test_every_item_of_a_bundle_falls_on_the_bundles_partition_and_the_bundle_is_keyed_by_its_first() -> None:
    items = _items(500)
    records = bundled(items, PARTITIONS, 10)
    sent = [i for r in records for i in (r.value.items if isinstance(r.value, RawBundle) else [r.value])]
    assert sorted(i.id for i in sent) == sorted(i.id for i in items)  # each item once
    for record in records:
        members = record.value.items if isinstance(record.value, RawBundle) else [record.value]
        assert 1 <= len(members) <= 10
        assert record.key == raw_key(members[0])
        assert {partition_of(raw_key(i), PARTITIONS) for i in members} == {record.partition}
    assert max(len(r.value.items) for r in records if isinstance(r.value, RawBundle)) == 10


def test_items_keep_their_order_within_a_partition() -> None:
    items = _items(300)
    records = bundled(items, PARTITIONS, 7)
    for partition in range(PARTITIONS):
        sent = [i.id for r in records if r.partition == partition
                for i in (r.value.items if isinstance(r.value, RawBundle) else [r.value])]
        assert sent == [i.id for i in items if partition_of(raw_key(i), PARTITIONS) == partition]


def test_copies_of_a_page_are_sent_to_one_partition_whatever_bundles_they_travel_in() -> None:
    copies = [RawItem(id=f"{feed}:{n}", url=f"http://www.news.example/{n}?utm_source={feed}")
              for feed in ("a", "b", "c") for n in range(60)]
    random.Random(7).shuffle(copies)
    where: dict[str, set[int]] = {}
    for record in bundled(copies, PARTITIONS, 10):
        for item in record.value.items if isinstance(record.value, RawBundle) else [record.value]:
            where.setdefault(item.id.split(":")[1], set()).add(record.partition)
    assert len(where) == 60 and all(len(partitions) == 1 for partitions in where.values())


def test_a_bundle_size_of_one_sends_each_item_alone_keyed_as_before_bundles() -> None:
    items = _items(20)
    records = bundled(items, PARTITIONS, 1)
    assert sorted(r.value.id for r in records) == sorted(i.id for i in items)
    for record in records:
        assert isinstance(record.value, RawItem)
        assert (record.key, record.partition) == (raw_key(record.value), partition_of(record.key, PARTITIONS))


def test_a_bundle_stays_under_the_record_size_limit() -> None:
    items = _items(40, text="x" * 100_000)  # 40 items of about 100 kB in one partition's worth or so
    records = bundled(items, 1, 100)
    assert len(records) > 1
    for record in records:
        size = len(encode(record.value))
        members = record.value.items if isinstance(record.value, RawBundle) else [record.value]
        assert size < BUNDLE_BYTES + len(encode(members[-1])) + 200


@pytest.mark.parametrize("size", [0, 1001])
def test_a_bundle_size_out_of_range_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="a bundle holds 1 to 1000 items"):
        bundled(_items(3), PARTITIONS, size)


def test_a_record_of_one_item_is_that_item() -> None:
    item = _items(1)[0]
    taken = unbundle(encode(item))
    assert taken.bundle is None and taken.refused == []
    assert [i.model_dump() for i in taken.items] == [item.model_dump() | {"record": "item", "items": None}]


def test_a_bundle_is_its_items_in_order() -> None:
    items = _items(5)
    taken = unbundle(encode(RawBundle(id="bundle:x", items=items)))
    assert taken.bundle == "bundle:x" and taken.refused == [] and taken.items == items


def test_an_invalid_item_of_a_bundle_is_refused_alone_with_its_place_and_reason() -> None:
    good = [orjson.loads(encode(i)) for i in _items(3)]
    bad = {"title": "no id", "url": "https://news.example/x"}
    payload = orjson.dumps({"record": "bundle", "id": "bundle:y", "items": [good[0], bad, good[1], good[2]]})
    taken = unbundle(payload)
    assert [i.id for i in taken.items] == ["i0", "i1", "i2"]
    (refused,) = taken.refused
    assert orjson.loads(refused.payload) == bad  # the item as it would be alone: a dead letter to read
    assert "bundle bundle:y item 1: id: Field required" in str(refused.error)


@pytest.mark.parametrize(("payload", "reason"), [
    (b'{"record": "bundle", "id": "b"}', "a bundle needs its items"),
    (b'{"record": "bundle", "id": "b", "items": []}', "items: List should have at least 1 item"),
    (b'{"record": "bundle", "id": "b", "items": {"id": "a"}}', "items: Input should be a valid array"),
    (b'{"record": "bundle", "id": "b", "items": ["a"]}', "items.0: Input should be an object"),
    (b'{"record": "box", "id": "b", "items": [{"id": "a"}]}', "record: Input should be 'item' or 'bundle'"),
    (b'{"id": "b", "items": [{"id": "a"}]}', 'items come in a bundle: set "record": "bundle"'),
    (b'{"record": "bundle", "items": [{"id": "a"}]}', "id: Field required"),
])
def test_a_malformed_bundle_is_a_decode_error_that_says_why(payload: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match="usul.items.raw.v1") as caught:
        unbundle(payload)
    assert reason in caught.value.reason
