"""A real labeled day replayed in three arrival orders through the flow's own functions gives the
same stories and the same brief: the order-free rule of `streams.stages.cluster` (DESIGN.md
"Order-free stories"), end to end over the normalise, cluster, close and assemble calls."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from models import topics
from models.codec import encode
from models.control import DayClosed
from models.items import RawItem
from streams.inprocess import InProcessPipeline
from streams.lenses import load_lens
from streams.ops.evaluate import DEFAULT_DATA, DEFAULT_LABELS, DayLabels
from streams.ops.replay import day_window, read_window

DAY = "2026-01-08"
LENS = load_lens("ai-safety-governance")
LABELS = DEFAULT_LABELS / f"day-{DAY}.json"


def _day_items() -> list[RawItem]:
    labels = DayLabels.read(LABELS)
    files = [DEFAULT_DATA / name for name in labels.files]
    if not all(path.exists() for path in files):
        pytest.skip(f"the real data of {DAY} is not here (../shared/data/real): nothing to replay")
    items, _ = read_window(files, day_window(LENS, DAY))
    return items


def _replayed(items: list[RawItem]) -> tuple[set[frozenset[str]], str, list[str]]:
    """(the story partition, the brief's content hash, its story ids in rank order)."""
    pipeline = InProcessPipeline([LENS], day_window(LENS, DAY).end + timedelta(hours=LENS.allowed_lateness_hours))
    for item in items:
        pipeline.raw(encode(item))
    pipeline.close(LENS.slug, DAY, "shuffle")
    (closed,) = pipeline.on(topics.DAY_CLOSED)
    (brief,) = pipeline.on(topics.BRIEFS)
    assert isinstance(closed, DayClosed)
    return {frozenset(s.items) for s in closed.stories}, brief.content_hash, [s.story_id for s in closed.stories]


def test_a_real_day_in_three_arrival_orders_gives_one_partition_and_one_brief() -> None:
    items = _day_items()
    orders = [sorted(items, key=lambda i: i.id)]
    for seed in (1, 2):
        shuffled = list(items)
        random.Random(seed).shuffle(shuffled)
        orders.append(shuffled)
    assert orders[1] != orders[0] != orders[2]
    first, *others = [_replayed(order) for order in orders]
    assert len(first[0]) > 10  # a real day's stories, not an empty close
    for other in others:
        assert other[0] == first[0]
        assert other[1:] == first[1:]
