"""The developing stories of each lens-day, held in memory for the live pages, and how a list
shows one. Pure apart from asyncio queues.

`LiveStories` keeps the latest version of every story per lens-day, bounded in days and in stories
per day, and fans each update out to subscribers (one bounded queue per server-sent-events
connection, `streams.web.sse`). `streams.web.story_feed` fills it from the stories topics: each
lens-day's `StoryFold` turns their deltas and snapshots into whole stories, which it shows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from typing import Any

from models.stories import Story, StoryDelta, StoryFold, StorySnapshot

CLOSED = object()  # ends a subscriber's stream: it fell behind (it starts again from a snapshot) or the store closed


def headline(story: Story) -> str:
    """What the live view calls a story before a brief names it: its primary source's title,
    else its earliest member's."""
    primary = [m for m in story.members if m.primary]
    chosen = primary[0] if primary else min(story.members, key=lambda m: (m.event_at, m.id), default=None)
    return chosen.title if chosen is not None else story.story_id


def summary(story: Story) -> dict[str, Any]:
    """A story as lists show it (no member texts)."""
    return {
        "story_id": story.story_id, "lens": story.lens, "day": story.day, "headline": headline(story),
        "category": story.category, "confidence": story.confidence, "score": round(story.score, 3),
        "members": len(story.members), "outlets": story.outlets, "developing_since": story.developing_since,
        "first_seen": story.first_seen.isoformat(), "last_updated": story.last_updated.isoformat(),
        "url": f"/stories/{story.lens}/{story.day}/{story.story_id}",
    }


def _newer(candidate: Story, held: Story | None) -> bool:
    if held is None:
        return True
    return (candidate.last_updated, len(candidate.members)) >= (held.last_updated, len(held.members))


class LiveStories:
    """Latest version of each story per (lens, day); at most `max_days` lens-days (the oldest days
    go first) and `max_stories` per day (the lowest scored go first)."""

    def __init__(self, max_days: int = 14, max_stories: int = 1000, queue_size: int = 256) -> None:
        self.max_days, self.max_stories, self.queue_size = max_days, max_stories, queue_size
        self._days: OrderedDict[tuple[str, str], dict[str, Story]] = OrderedDict()
        self._owner: dict[tuple[str, str], dict[str, str]] = {}  # item id -> the story holding it
        self._folds: dict[tuple[str, str], StoryFold] = {}  # the day's stories as their updates leave them
        self._subscribers: dict[tuple[str, str], set[asyncio.Queue[Any]]] = {}

    def take(self, record: StoryDelta | StorySnapshot) -> bool:
        """A delta, or a snapshot to start from (`StoryFold.take`): the story it leaves (if any)
        is shown as `apply` shows it."""
        fold = self._fold(record)
        updated = fold.take(record) if fold is not None else None
        return updated is not None and self.apply(updated)

    def resync(self, snapshot: StorySnapshot) -> bool:
        """A snapshot met while following the deltas (`StoryFold.resync`)."""
        fold = self._fold(snapshot)
        updated = fold.resync(snapshot) if fold is not None else None
        return updated is not None and self.apply(updated)

    def _fold(self, record: StoryDelta | StorySnapshot) -> StoryFold | None:
        story = record.story if isinstance(record, StorySnapshot) else record
        key = (story.lens, story.day)
        if key not in self._folds:
            self._folds[key] = StoryFold()
            while len(self._folds) > self.max_days:  # as many days as are shown, the oldest go first
                del self._folds[min(self._folds, key=lambda k: k[1])]
        return self._folds.get(key)

    def gaps(self) -> int:
        """Deltas that did not follow their story's last update (each story waits for a snapshot)."""
        return sum(fold.gaps for fold in self._folds.values())

    def apply(self, story: Story) -> bool:
        """Keep `story` if it is at least as new as what is held; tell the day's subscribers."""
        key = (story.lens, story.day)
        day = self._days.get(key)
        if day is None:
            day = self._days[key] = {}
            self._trim_days()
        if key not in self._days or not _newer(story, day.get(story.story_id)):
            return False
        day[story.story_id] = story
        self._absorb(key, story)
        if len(day) > self.max_stories:
            lowest = min(day.values(), key=lambda s: (s.score, s.last_updated)).story_id
            del day[lowest]
            if key in self._folds:  # memory stays bounded: it comes back at its next snapshot
                self._folds[key].forget(lowest)
            if story.story_id not in day:
                return False
        self._publish(key, story)
        return True

    def _absorb(self, key: tuple[str, str], story: Story) -> None:
        """An item is in one story: a story holding items another held has absorbed it (an item
        linked two stories, and the merged one goes on under the earlier root's id)."""
        owner = self._owner.setdefault(key, {})
        for absorbed in {owner.get(item) for item in story.item_ids} - {None, story.story_id}:
            self._days[key].pop(str(absorbed), None)
        owner.update(dict.fromkeys(story.item_ids, story.story_id))

    def _trim_days(self) -> None:
        while len(self._days) > self.max_days:
            oldest = min(self._days, key=lambda k: k[1])
            del self._days[oldest]
            self._owner.pop(oldest, None)
            self._folds.pop(oldest, None)

    def stories(self, lens: str, day: str) -> list[Story]:
        """The day's stories, highest score first."""
        held = self._days.get((lens, day), {})
        return sorted(held.values(), key=lambda s: (-s.score, s.first_seen, s.story_id))

    def story(self, lens: str, day: str, story_id: str) -> Story | None:
        return self._days.get((lens, day), {}).get(story_id)

    def matching(self, lens: str, day: str, item_ids: set[str]) -> Story | None:
        """The story sharing the most members with `item_ids`: a brief names a story after its
        earliest member, while the live topic names it after the member that arrived first."""
        best = max(self.stories(lens, day), key=lambda s: len(item_ids.intersection(s.item_ids)), default=None)
        return best if best is not None and item_ids.intersection(best.item_ids) else None

    def days(self, lens: str) -> list[str]:
        return sorted((d for (slug, d) in self._days if slug == lens), reverse=True)

    # subscribers -------------------------------------------------------------------------------
    def subscribe(self, lens: str, day: str) -> asyncio.Queue[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue(self.queue_size)
        self._subscribers.setdefault((lens, day), set()).add(queue)
        return queue

    def unsubscribe(self, lens: str, day: str, queue: asyncio.Queue[Any]) -> None:
        self._subscribers.get((lens, day), set()).discard(queue)

    def subscribers(self, lens: str, day: str) -> int:
        return len(self._subscribers.get((lens, day), ()))

    def _publish(self, key: tuple[str, str], story: Story) -> None:
        for queue in list(self._subscribers.get(key, ())):
            try:
                queue.put_nowait(story)
            except asyncio.QueueFull:  # a reader that cannot keep up starts again from a snapshot
                self._subscribers[key].discard(queue)
                _close(queue)

    def close_all(self) -> None:
        for queues in self._subscribers.values():
            for queue in queues:
                _close(queue)
        self._subscribers.clear()


def _close(queue: asyncio.Queue[Any]) -> None:
    with contextlib.suppress(asyncio.QueueEmpty):
        while queue.full():
            queue.get_nowait()
    queue.put_nowait(CLOSED)
