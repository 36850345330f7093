"""What the cluster stage publishes for a story update: a delta on the live stories topic and,
now and then, a snapshot on the compacted one. Pure.

Per story the stage keeps its last update's number, a digest of its member ids and when the last
snapshot was (one small state record, `pub|lens|day|story_id`, whatever the story's size), and
the member ids themselves in memory. After a restart or a rebalance the memory is gone or may be
another worker's past: it is used only when its digest is the state's, else the update is said
in full. Why snapshots double: docs/DESIGN.md ("Story updates").
"""

from __future__ import annotations

import hashlib
from collections.abc import MutableMapping
from typing import Any

from models.stories import Story, StoryDelta, StorySnapshot, story_delta
from streams.stages.dayclose import fitted

KIND = "pub"  # the state key kind of a story's publication record


def publication_key(story: Story) -> str:
    return f"{KIND}|{story.lens}|{story.day}|{story.story_id}"


def _digest(ids: list[str]) -> str:
    return hashlib.blake2b("\n".join(ids).encode(), digest_size=16).hexdigest()


class Publications:
    """The stories topics' view of every story this worker updates."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str, str], list[str]] = {}  # (lens, day, story id) -> member ids said last

    def update(self, state: MutableMapping[str, Any], story: Story) -> tuple[StoryDelta | None, StorySnapshot | None]:
        """The delta for `story` (None: its members are what was said last) and, when one is due,
        its snapshot; records the update in the state."""
        key = publication_key(story)
        held = state.get(key) or {"seq": 0, "digest": "", "snapshot_size": 0, "added_since": 0}
        delta = story_delta(story, held["seq"] + 1, self._previous(story, held["digest"]))
        if delta is None:
            return None, None
        # a snapshot once the members added since the last one are as many as it had: the
        # snapshots' bytes are at most twice the deltas', however large the story grows
        since, size, snapshot = held["added_since"] + len(delta.added), held["snapshot_size"], None
        if since >= size:
            snapshot = StorySnapshot(seq=delta.seq, story=fitted(story)[0])
            since, size = 0, len(story.members)
        ids = story.item_ids
        state[key] = {"seq": delta.seq, "digest": _digest(ids), "snapshot_size": size, "added_since": since}
        self._ids[(story.lens, story.day, story.story_id)] = ids
        return delta, snapshot

    def _previous(self, story: Story, digest: str) -> list[str] | None:
        ids = self._ids.get((story.lens, story.day, story.story_id))
        return ids if ids is not None and _digest(ids) == digest else None

    def forget(self, lens: str, day: str) -> None:
        """Drop a lens-day's memory (its state expired)."""
        for key in [k for k in self._ids if k[:2] == (lens, day)]:
            del self._ids[key]
