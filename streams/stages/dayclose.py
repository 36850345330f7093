"""Day close, done the way Kafka Streams' `suppress` does it rather than with faust windows. Pure.

1. A close round (the lens's crontab at publish time, or `usul replay`) produces one `DayClose`
   marker into EVERY partition of the enriched topic, so each marker is ordered after every item
   its partition received first.
2. The partition that reads its marker hands over its part of the day as `DayPart` chunks.
3. One assembler (day parts are keyed by lens:day) keeps the chunks until every chunk of every
   partition of that round is in, then builds the brief. A redelivered chunk overwrites itself,
   so a round completes exactly once; a revision is only published when the content changed.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import date, datetime, timedelta
from typing import Any

from models.codec import encode
from models.control import DayClose, DayPart
from models.lens import Lens
from models.stories import Story

CHUNK_STORIES = 25
# Kafka refuses a record over the topic's max.message.bytes (1 MiB by default) after the producer
# has accepted it; a refused chunk would leave its close round incomplete. Chunks stay under this.
CHUNK_BYTES = 512 * 1024
MEMBER_TEXT_CUT = 280  # what members' texts are cut to in a story that alone is over CHUNK_BYTES


def day_to_close(lens: Lens, now: datetime) -> str:
    """At the lens's publish time the day being closed is yesterday in the lens's time zone."""
    return (now.astimezone(lens.zone).date() - timedelta(days=1)).isoformat()


def close_markers(lens: str, day: str, close_id: str, partitions: int, now: datetime) -> list[DayClose]:
    date.fromisoformat(day)  # a marker for a day that is not a date is a bug, caught here
    return [
        DayClose(lens=lens, day=day, close_id=close_id, partition=p, partitions=partitions, requested_at=now)
        for p in range(partitions)
    ]


def part_chunks(marker: DayClose, stories: list[Story], seen: int, relevant: int) -> list[DayPart]:
    """Split one partition's stories into chunks of at most CHUNK_STORIES stories and about
    CHUNK_BYTES; an empty partition still answers with one chunk."""
    groups: list[list[Story]] = [[]]
    size = 0
    for story in sorted(stories, key=lambda s: s.story_id):
        story, n = fitted(story)
        if groups[-1] and (len(groups[-1]) >= CHUNK_STORIES or size + n > CHUNK_BYTES):
            groups.append([])
            size = 0
        groups[-1].append(story)
        size += n
    return [
        DayPart(lens=marker.lens, day=marker.day, close_id=marker.close_id, partition=marker.partition,
                partitions=marker.partitions, chunk=i, chunks=len(groups), stories=group,
                items_seen=seen, items_relevant=relevant)
        for i, group in enumerate(groups)
    ]


def round_stories(parts: list[DayPart]) -> list[Story]:
    """Every story of a completed round's chunks, once each, by story id."""
    by_id = {story.story_id: story for part in parts for story in part.stories}
    return [by_id[key] for key in sorted(by_id)]


def fitted(story: Story) -> tuple[Story, int]:
    """The story as it can travel in one record, and its encoded size. Only a story that alone is
    over CHUNK_BYTES (hundreds of reports of one development) changes: its members' texts are cut
    to MEMBER_TEXT_CUT characters, then, if that is not enough, its latest members are left out."""
    size = len(encode(story))
    if size <= CHUNK_BYTES:
        return story, size
    cut = [m.model_copy(update={"text": m.text[:MEMBER_TEXT_CUT]}) for m in story.members]
    story = story.model_copy(update={"members": cut})
    size = len(encode(story))
    while size > CHUNK_BYTES and len(story.members) > 1:
        keep = max(1, len(story.members) * CHUNK_BYTES // size)
        story = story.model_copy(update={"members": story.members[:keep]})
        size = len(encode(story))
    return story, size


class Assembly:
    """The assembler's state over a changelogged mapping: chunks per round, and the last revision.

    Keys: `chunk|lens|day|close_id|partition|chunk` -> part, `round|lens|day|close_id` -> the
    chunks received, `brief|lens|day` -> {"revision", "hash"} of the last published revision.
    """

    def __init__(self, store: MutableMapping[str, Any]) -> None:
        self.store = store

    def add(self, part: DayPart) -> list[DayPart] | None:
        """Keep a chunk; returns every chunk of the round once the round is complete."""
        if self.is_done(part):  # a chunk redelivered after its round completed changes nothing
            return None
        base = f"{part.lens}|{part.day}|{part.close_id}"
        self.store[f"chunk|{base}|{part.partition}|{part.chunk}"] = part.model_dump(mode="json")
        received = {tuple(k) for k in self.store.get(f"round|{base}", [])}
        received.add((part.partition, part.chunk, part.chunks))
        self.store[f"round|{base}"] = sorted(received)
        if not _complete(received, part.partitions):
            return None
        return [DayPart.model_validate(self.store[f"chunk|{base}|{p}|{c}"]) for p, c, _ in sorted(received)]

    def finish(self, part: DayPart, parts: list[DayPart]) -> None:
        """Drop a completed round's chunks (the brief now carries them)."""
        base = f"{part.lens}|{part.day}|{part.close_id}"
        for piece in parts:
            self.store.pop(f"chunk|{base}|{piece.partition}|{piece.chunk}", None)
        self.store[f"round|{base}"] = "done"

    def is_done(self, part: DayPart) -> bool:
        return self.store.get(f"round|{part.lens}|{part.day}|{part.close_id}") == "done"

    def next_revision(self, lens: str, day: str, content_hash: str) -> tuple[int, bool]:
        """The revision this content gets, and whether it differs from the last one published."""
        last = self.store.get(f"brief|{lens}|{day}") or {"revision": 0, "hash": ""}
        if last["hash"] == content_hash:
            return last["revision"], False
        return last["revision"] + 1, True

    def published(self, lens: str, day: str, revision: int, content_hash: str) -> None:
        self.store[f"brief|{lens}|{day}"] = {"revision": revision, "hash": content_hash}


def _complete(received: set[tuple[int, int, int]], partitions: int) -> bool:
    """Complete when every partition sent all of its chunks (each chunk names its partition's total)."""
    for partition in range(partitions):
        mine = {(c, n) for p, c, n in received if p == partition}
        if not mine or len(mine) < next(iter(mine))[1]:
            return False
    return True
