"""Stories: clusters of items that report one development, with score and confidence. Pure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

Tier = Literal["top", "noteworthy", "minor"]
Confidence = Literal["high", "medium", "low"]


class StoryMember(BaseModel):
    """The facts about one member item that a brief needs to cite it."""

    id: str
    source: str
    outlet: str
    url: str
    canonical_url: str
    title: str
    text: str
    kind: str
    lang: str
    published_at: AwareDatetime | None
    event_at: AwareDatetime
    primary: bool = False


class Story(BaseModel):
    """One development of one lens-day, as it stands after its latest member joined."""

    story_id: str
    lens: str
    day: str
    category: str | None
    members: list[StoryMember]
    first_seen: AwareDatetime
    last_updated: AwareDatetime
    score: float = 0.0
    confidence: Confidence = "low"
    score_reasons: list[str] = Field(default_factory=list)
    developing_since: str | None = None
    rank: int | None = None
    tier: Tier | None = None

    @property
    def item_ids(self) -> list[str]:
        return [m.id for m in self.members]

    @property
    def outlets(self) -> list[str]:
        return sorted({m.outlet for m in self.members})


# ---------------------------------------------------------------- updates on the stories topics
#
# The live topic carries each update of a story as what changed since the story's previous update
# (`StoryDelta`, numbered per story); a compacted topic keeps a full `StorySnapshot` of every story
# now and then, to start from. Why two topics and when a snapshot is written: docs/DESIGN.md.


class PlacedMember(StoryMember):
    """A member new to the story, with its index in the story's updated member list."""

    at: int = Field(ge=0)

    def member(self) -> StoryMember:
        return StoryMember(**self.model_dump(exclude={"at"}))


class StoryDelta(BaseModel):
    """One update of one story: the members it lost and gained since the story's previous update
    (`seq` - 1), and its other fields whole (a few hundred bytes, whatever the story's size).

    `full`: `added` is the whole member list (the story's first update, or the stage no longer
    knew what it said last); a reader may start from it. Otherwise it applies only to the story
    as it stood at `seq` - 1 (`apply_delta`): drop `removed`, insert `added` at their indexes in
    ascending order; the story then has `size` members."""

    record: Literal["delta"] = "delta"
    story_id: str
    lens: str
    day: str
    seq: int = Field(ge=1)
    full: bool = False
    removed: list[str] = Field(default_factory=list)
    added: list[PlacedMember] = Field(default_factory=list)
    size: int = Field(ge=0)
    category: str | None
    first_seen: AwareDatetime
    last_updated: AwareDatetime
    score: float = 0.0
    confidence: Confidence = "low"
    score_reasons: list[str] = Field(default_factory=list)
    developing_since: str | None = None


class StorySnapshot(BaseModel):
    """A story whole, as it stood after its update `seq`."""

    seq: int = Field(ge=1)
    story: Story


class StoryGap(ValueError):
    """A delta that does not follow what the reader holds of its story: an update in between was
    missed (or the reader starts late); the story must start again from a snapshot or a full delta."""


# the fields a delta carries whole; `rank` and `tier` are the close's, never set on a live story
_WHOLE = ("category", "first_seen", "last_updated", "score", "confidence", "score_reasons", "developing_since")


def story_delta(story: Story, seq: int, previous: list[str] | None) -> StoryDelta | None:
    """The delta from the member ids of the story's previous update (None: unknown, so the delta
    is full) to `story`; None when its members are the same (nothing to say). A change of order
    among the members kept is said in full as well (the stage never makes one)."""
    fields = {name: getattr(story, name) for name in _WHOLE}
    base = {"story_id": story.story_id, "lens": story.lens, "day": story.day, "seq": seq,
            "size": len(story.members), **fields}
    ids = story.item_ids
    if previous == ids:
        return None
    if previous is not None:
        before, now = set(previous), set(ids)
        if [i for i in previous if i in now] == [i for i in ids if i in before]:
            return StoryDelta(**base, removed=[i for i in previous if i not in now],
                              added=_placed(story.members, lambda m: m.id not in before))
    return StoryDelta(**base, full=True, added=_placed(story.members, lambda m: True))


def _placed(members: list[StoryMember], new: Callable[[StoryMember], bool]) -> list[PlacedMember]:
    return [PlacedMember(**m.model_dump(), at=at) for at, m in enumerate(members) if new(m)]


def apply_delta(held: tuple[int, Story] | None, delta: StoryDelta) -> Story:
    """The story after `delta`, from what a reader holds of it (its seq and story; None: nothing).
    Raises `StoryGap` when the delta does not follow what is held."""
    if delta.full:
        members = [m.member() for m in delta.added]
    elif held is None or held[0] != delta.seq - 1:
        raise StoryGap(f"story {delta.story_id}: update {delta.seq} after "
                       f"{'nothing' if held is None else held[0]}")
    else:
        members = _applied(held[1].members, delta)
    if len(members) != delta.size:
        raise StoryGap(f"story {delta.story_id}: update {delta.seq} makes {len(members)} members, not {delta.size}")
    return Story(story_id=delta.story_id, lens=delta.lens, day=delta.day, members=members,
                 **{name: getattr(delta, name) for name in _WHOLE})


def _applied(members: list[StoryMember], delta: StoryDelta) -> list[StoryMember]:
    gone = set(delta.removed)
    kept = [m for m in members if m.id not in gone]
    if len(kept) != len(members) - len(gone):
        raise StoryGap(f"story {delta.story_id}: update {delta.seq} removes members it does not hold")
    last = -1
    for placed in delta.added:
        if not last < placed.at <= len(kept):
            raise StoryGap(f"story {delta.story_id}: update {delta.seq} places a member out of order or past the end")
        kept.insert(placed.at, placed.member())
        last = placed.at
    return kept


class StoryFold:
    """What a reader of the stories topics holds: each story at its latest update, folded from
    the live topic's deltas in order, started from a snapshot or a full delta.

    A reader starts from the snapshots (`take`: the latest of each story, read in the order they
    were sent), then follows the deltas sent since the oldest of them. A delta that does not
    follow (`StoryGap`: an update missed, or the story began before the reader) sets its story
    aside: it keeps its last good state while its later deltas wait (the newest `waiting` of
    them) for a snapshot (`resync`) or a full delta to start again from; the waiting deltas newer
    than that are then applied. A record already applied changes nothing."""

    def __init__(self, waiting: int = 16) -> None:
        self.held: dict[str, tuple[int, Story]] = {}
        self.waiting: dict[str, list[StoryDelta]] = {}
        self.max_waiting = waiting
        self.gaps = 0  # deltas that did not follow what was held

    def take(self, record: StoryDelta | StorySnapshot) -> Story | None:
        """The story as `record` leaves it; None when it changes nothing (already applied) or waits."""
        if isinstance(record, StorySnapshot):
            return self._start(record.seq, record.story)
        held = self.held.get(record.story_id)
        if held is not None and record.seq <= held[0]:
            return None
        try:
            if record.full:
                return self._start(record.seq, apply_delta(None, record))
            if record.story_id not in self.waiting:
                story = apply_delta(held, record)
                self.held[record.story_id] = (record.seq, story)
                return story
        except StoryGap:
            self.gaps += 1
        self._wait(record)
        return None

    def resync(self, snapshot: StorySnapshot) -> Story | None:
        """A snapshot met while following the live topic: taken only by a story waiting after a
        gap. A story that follows its deltas has this update or will: shown from a snapshot read
        before the deltas sent ahead of it, it would run ahead of the stories they update."""
        if snapshot.story.story_id not in self.waiting:
            return None
        return self._start(snapshot.seq, snapshot.story)

    def _start(self, seq: int, story: Story) -> Story | None:
        held = self.held.get(story.story_id)
        if held is not None and seq <= held[0]:
            return None
        self.held[story.story_id] = (seq, story)
        waiting = sorted(self.waiting.pop(story.story_id, ()), key=lambda d: d.seq)
        for n, delta in enumerate(waiting):
            if delta.seq <= seq:
                continue
            try:
                story = apply_delta((seq, story), delta)
            except StoryGap:
                self.waiting[story.story_id] = waiting[n:]
                break
            seq = delta.seq
            self.held[story.story_id] = (seq, story)
        return story

    def forget(self, story_id: str) -> None:
        """Hold the story no more (a reader bounding its memory): its next delta is a gap."""
        self.held.pop(story_id, None)
        self.waiting.pop(story_id, None)

    def _wait(self, delta: StoryDelta) -> None:
        queue = self.waiting.setdefault(delta.story_id, [])
        queue.append(delta)
        del queue[: -self.max_waiting]
