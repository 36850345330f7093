"""Bundled raw records through the normalise agent's calls (`streams.flow`), without a broker: a bad
item is its own dead letter, dedup stays exact with state partitioned as the worker's table is, and
a day sent in bundles makes the brief it makes one item a record."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import orjson
from prometheus_client import CollectorRegistry

from models import topics
from models.codec import encode
from models.dead_letters import DeadLetter, Origin
from models.items import EnrichedItem, ItemsJudged, RawBundle, RawItem
from streams.flow import Flow, JudgedTally, Out
from streams.ingest.parse import IngestError, read_jsonl
from streams.inprocess import InProcessPipeline
from streams.lenses import load_lens
from streams.metrics import Metrics
from streams.ops.replay import day_window, stamp_observed
from streams.stages.bundles import RawOut, bundled, partition_of
from streams.stages.normalise import raw_key
from tests.agents.test_flow import SAMPLE

NOW = datetime(2026, 1, 9, 6, 0, tzinfo=UTC)
LENS = load_lens("ai-safety-governance")
PARTITIONS = 4
OBSERVED = "2026-01-08T12:00:00+00:00"


def _normalise(flow: Flow, payload: bytes, seen: dict, partition: int = 0) -> list[Out]:
    judged = JudgedTally()
    outs = flow.on_raw_record(payload, seen, Origin(topics.RAW_ITEMS.name, partition, 7, "k"), NOW, judged)
    return outs + judged.records()


def _verdicts(outs: list[Out]) -> dict[str, str | None]:
    """Every judged item's id and the id it was found a copy of."""
    found: dict[str, str | None] = {}
    for out in outs:
        if isinstance(out.value, EnrichedItem):
            found[out.value.id] = out.value.duplicate_of
        elif isinstance(out.value, ItemsJudged):
            found.update({j.id: j.duplicate_of for j in out.value.items})
    return found


def test_a_bad_item_of_a_bundle_is_its_own_dead_letter_and_the_rest_goes_on() -> None:
    flow = Flow([LENS], Metrics(CollectorRegistry()))
    good = [{"id": f"g{n}", "url": f"https://news.example/{n}", "title": f"AI lab {n} publishes a safety report",
             "observed_at": OBSERVED} for n in range(4)]
    invalid = {"title": "no id at all"}
    poison = {"id": "poison:1", "url": "http://[::1", "observed_at": OBSERVED}  # valid, but no URL to parse
    payload = orjson.dumps({"record": "bundle", "id": "bundle:t", "items": [good[0], invalid, good[1], poison,
                                                                           good[2], good[3]]})
    outs = _normalise(flow, payload, {}, partition=2)
    letters = [o.value for o in outs if isinstance(o.value, DeadLetter)]
    assert sorted(_verdicts(outs)) == ["g0", "g1", "g2", "g3"]
    # each letter holds its item alone, as a raw record of its own: `usul dlq replay` can send it again
    assert orjson.loads(letters[0].payload) == invalid
    assert RawItem.model_validate_json(letters[1].payload) == RawItem.model_validate(poison)
    assert "bundle bundle:t item 1: id: Field required" in letters[0].message
    assert letters[1].message.startswith("bundle bundle:t, item poison:1: ValueError")
    assert all((le.original_topic, le.partition, le.offset) == (topics.RAW_ITEMS.name, 2, 7) for le in letters)


def test_a_record_that_is_no_bundle_at_all_is_one_dead_letter() -> None:
    flow = Flow([LENS], Metrics(CollectorRegistry()))
    (out,) = _normalise(flow, b'{"record": "bundle", "id": "b", "items": []}', {})
    assert isinstance(out.value, DeadLetter) and "items: List should have at least 1 item" in out.value.message


def test_dedup_stays_exact_in_bundles_with_state_partitioned_as_the_raw_topic() -> None:
    """The worker's dedup table answers from the partition the record came from (faust's RocksDB
    store); here each partition has its own state, so a copy sent to another partition than its
    page's first report would pass as new."""
    pages = [RawItem(id=f"{feed}:{n}", url=f"http://www.news.example/{n}?utm_source={feed}", title=f"Page {n}",
                     observed_at=OBSERVED) for feed in ("a", "b", "c") for n in range(40)]
    random.Random(3).shuffle(pages)

    def run(records: list[RawOut]) -> dict[str, str | None]:
        flow, seen = Flow([LENS], Metrics(CollectorRegistry())), {p: {} for p in range(PARTITIONS)}
        outs = []
        for record in records:
            outs += _normalise(flow, encode(record.value), seen[record.partition], record.partition)
        return _verdicts(outs)

    alone, bundles = run(bundled(pages, PARTITIONS, 1)), run(bundled(pages, PARTITIONS, 25))
    assert bundles == alone
    assert sum(first is not None for first in bundles.values()) == 80  # two later copies of each of 40 pages
    firsts = {first for first in bundles.values() if first is not None}
    assert len(firsts) == 40 and all(bundles[first] is None for first in firsts)
    # bundles cut in arrival order, each sent to its first item's partition, scatter the copies
    in_order = [pages[n : n + 25] for n in range(0, len(pages), 25)]
    naive = run([RawOut(raw_key(c[0]), partition_of(raw_key(c[0]), PARTITIONS), RawBundle(id=f"b{n}", items=c))
                 for n, c in enumerate(in_order)])
    assert sum(first is not None for first in naive.values()) < 60


def _sample_items() -> list[RawItem]:
    window = day_window(LENS, "2026-01-08")
    return [stamp_observed(i, window) for i in read_jsonl(SAMPLE, window.end) if not isinstance(i, IngestError)]


def _brief_of(records: list[bytes]) -> tuple[str, list]:
    pipeline = InProcessPipeline([LENS], NOW, 3)
    for payload in records:
        pipeline.raw(payload)
    pipeline.close(LENS.slug, "2026-01-08", "round-1")
    (brief,) = pipeline.on(topics.BRIEFS)
    (closed,) = pipeline.on(topics.DAY_CLOSED)
    return brief.content_hash, [(s.story_id, s.rank, s.tier, sorted(s.items)) for s in closed.stories]


def test_a_day_sent_in_bundles_makes_the_brief_it_makes_one_item_a_record() -> None:
    items = _sample_items()
    alone = _brief_of([encode(r.value) for r in bundled(items, PARTITIONS, 1)])
    records = bundled(items, PARTITIONS, 10)
    assert any(isinstance(r.value, RawBundle) for r in records)
    assert _brief_of([encode(r.value) for r in records]) == alone
    assert _brief_of([encode(item) for item in items]) == alone  # and as read, in file order
