"""The live view's state: newest version wins, bounded memory, and updates pushed to subscribers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson
import pytest

from models.stories import StorySnapshot, story_delta
from streams.web.live_stories import LiveStories, headline, summary
from streams.web.sse import event_stream, sse
from tests.builders import DEFAULT_AT, make_member, make_story


def _story(story_id: str = "s-1", day: str = "2026-11-27", members: int = 1, score: float = 1.0, **kw):
    found = [make_member(id=f"{story_id}-{n}", title=f"{story_id} title {n}",
                         event_at=DEFAULT_AT + timedelta(minutes=n)) for n in range(members)]
    at = DEFAULT_AT + timedelta(minutes=members)
    return make_story(found, story_id=story_id, day=day, score=score, last_updated=at, **kw)


def test_the_newest_version_of_a_story_replaces_older_ones_never_the_reverse() -> None:
    live = LiveStories()
    assert live.apply(_story(members=2))
    assert not live.apply(_story(members=1))  # a late, older version changes nothing
    assert len(live.story("ai-safety-governance", "2026-11-27", "s-1").members) == 2


def test_stories_are_listed_highest_score_first() -> None:
    live = LiveStories()
    for sid, score in (("a", 1.0), ("b", 3.0), ("c", 2.0)):
        live.apply(_story(sid, score=score))
    assert [s.story_id for s in live.stories("ai-safety-governance", "2026-11-27")] == ["b", "c", "a"]


def test_memory_is_bounded_in_days_and_in_stories_per_day() -> None:
    live = LiveStories(max_days=2, max_stories=2)
    for day in ("2026-11-25", "2026-11-26", "2026-11-27"):
        live.apply(_story(day=day))
    assert live.days("ai-safety-governance") == ["2026-11-27", "2026-11-26"]
    assert not live.apply(_story("old", day="2026-11-01"))  # older than everything kept
    for sid, score in (("x", 5.0), ("y", 0.5)):
        live.apply(_story(sid, score=score))
    assert [s.story_id for s in live.stories("ai-safety-governance", "2026-11-27")] == ["x", "s-1"]


def test_headline_is_the_primary_sources_title_else_the_earliest_members() -> None:
    assert headline(_story(members=3)) == "s-1 title 0"
    primary = make_member(id="p", title="Official statement", primary=True)
    assert headline(make_story([make_member(id="m"), primary])) == "Official statement"


def test_a_server_sent_event_is_one_json_line() -> None:
    event = sse("story", {"headline": "two\nlines </script>"})
    assert event.startswith(b"event: story\ndata: ") and event.endswith(b"\n\n") and event.count(b"\n") == 3


@pytest.mark.asyncio
async def test_event_stream_sends_the_day_then_each_update_then_ends_on_close() -> None:
    live = LiveStories()
    live.apply(_story("first"))
    chunks: list[bytes] = []

    async def read() -> None:
        async for chunk in event_stream(live, "ai-safety-governance", "2026-11-27", heartbeat=0.05):
            chunks.append(chunk)

    reader = asyncio.create_task(read())
    for _ in range(100):
        if any(c.startswith(b"event: ready") for c in chunks):
            break
        await asyncio.sleep(0.01)
    live.apply(_story("second"))
    live.apply(_story("other-day", day="2026-11-26"))
    await asyncio.sleep(0.15)
    live.close_all()
    await asyncio.wait_for(reader, 2)
    stories = [orjson.loads(c.split(b"data: ")[1]) for c in chunks if c.startswith(b"event: story")]
    assert [s["story_id"] for s in stories] == ["first", "second"]
    assert stories[1] == summary(_story("second"))
    assert b": keep-alive\n\n" in chunks and live.subscribers("ai-safety-governance", "2026-11-27") == 0


@pytest.mark.asyncio
async def test_a_subscriber_that_falls_behind_is_closed_not_allowed_to_grow() -> None:
    live = LiveStories(queue_size=2)
    queue = live.subscribe("ai-safety-governance", "2026-11-27")
    for n in range(5):
        live.apply(_story(f"s{n}"))
    assert live.subscribers("ai-safety-governance", "2026-11-27") == 0 and queue.qsize() <= 2


def test_a_brief_story_is_found_by_its_members_when_its_id_differs() -> None:
    live = LiveStories()
    live.apply(_story("live-id", members=3))
    live.apply(_story("other", members=1))
    found = live.matching("ai-safety-governance", "2026-11-27", {"live-id-0", "live-id-2", "unknown"})
    assert found is not None and found.story_id == "live-id"
    assert live.matching("ai-safety-governance", "2026-11-27", {"unknown"}) is None


def test_a_story_that_absorbed_another_replaces_it() -> None:
    # an item linked two stories: the merged one goes on under one id, the other is gone
    live = LiveStories()
    first, second = _story("a", members=2), _story("b", members=2)
    live.apply(first)
    live.apply(second)
    merged = make_story([*first.members, *second.members, make_member(id="link")], story_id="a",
                        day=first.day, last_updated=first.last_updated + timedelta(minutes=5))
    assert live.apply(merged)
    assert [s.story_id for s in live.stories("ai-safety-governance", first.day)] == ["a"]
    assert live.story("ai-safety-governance", first.day, "b") is None


def test_a_story_dropped_to_bound_memory_comes_back_at_its_next_snapshot() -> None:
    live = LiveStories(max_stories=1)
    first, second = _story("a", score=2.0), _story("b", members=1, score=1.0)
    for story in (first, second):
        live.take(story_delta(story, 1, None))
    assert [s.story_id for s in live.stories("ai-safety-governance", "2026-11-27")] == ["a"]
    grown = _story("b", members=2, score=3.0)
    assert not live.take(story_delta(grown, 2, second.item_ids)) and live.gaps() == 1  # "b" was let go
    assert live.resync(StorySnapshot(seq=2, story=grown))  # its next snapshot ends the wait
    assert [s.story_id for s in live.stories("ai-safety-governance", "2026-11-27")] == ["b"]
