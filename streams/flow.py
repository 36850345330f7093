"""What each agent does with one record, as plain functions over plain mappings. Pure.

The faust agents in `streams.topology` call these and send what they return; `streams.inprocess`
makes the same calls in the same order over dicts, and the tests drive it. Every function returns
`Out` records (topic, key, model) instead of sending, and turns a bad record into a dead letter
instead of raising.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from models import topics
from models.briefs import Brief
from models.codec import DecodeError, decode, encode
from models.control import DayClose, DayClosed, DayPart, RankedStory
from models.dead_letters import Origin, dead_letter
from models.items import EnrichedItem, ItemsJudged, Judgement, RawItem
from models.lens import Lens
from models.stories import Story
from streams.brief.assemble import assemble_brief, brief_content_hash
from streams.metrics import Metrics
from streams.stages import cluster, dayclose
from streams.stages.bundles import unbundle
from streams.stages.classify import associable, corroborated
from streams.stages.dedup import check_and_remember
from streams.stages.enrich import enrich
from streams.stages.normalise import close_deadline, observed_or_now
from streams.stages.score import news_outlets, rank_stories, score_story
from streams.stages.story_updates import Publications

log = logging.getLogger(__name__)
# A close drops its lens's state of days older than this: cross-day links look back
# `cluster.LOOKBACK_DAYS`, and a re-close or replay of the past week still finds its day whole.
RETAINED_DAYS = 7
DROPPED = "dropped"  # the key kind that notes a lens-day whose state retention dropped
Handler = Callable[..., Any]  # returns list[Out], or what a stage hands its caller (HandOver, DayRound)


@dataclass(frozen=True)
class Out:
    topic: topics.TopicSpec
    key: str
    value: BaseModel
    # the partition follows this instead of the key when given: a lens-day's story snapshots,
    # each on a key of its own for compaction, stay in one partition, in the order they were sent
    partition_key: str | None = None


def guarded(stage: str) -> Callable[[Handler], Handler]:
    """Whatever one record raises inside a stage becomes that record's dead letter.

    An exception escaping an agent crashes it; faust restarts the agent and the same record comes
    back, forever (a poison pill). So every per-record entry point catches `Exception`, logs the
    stage and the input's position, counts it, and returns a dead letter instead.
    """
    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def guard(self: Flow, payload: bytes | None, state: MutableMapping[str, Any], origin: Origin,
                  now: datetime, *rest: Any) -> Any:
            try:
                return handler(self, payload, state, origin, now, *rest)
            except Exception as exc:  # noqa: BLE001 - any failure of one record is that record's alone
                return [self.failed(stage, exc, payload, origin, now)]
        return guard
    return wrap


class SeenTally:
    """The items a run of enriched records saw, per lens-day, for the counts at close.

    A run writes one state key per lens-day (every write is a changelog record) instead of one
    per item. The close counts the union of a day's ids, so an item redelivered after a crash,
    alone or in a run cut differently, is still counted once. A key is named by a digest of its
    ids: writing the same run again rewrites the same key, and other runs never overwrite it.
    """

    def __init__(self) -> None:
        self.marks: dict[tuple[str, str], dict[str, int]] = {}

    def mark(self, lens: str, day: str, item_id: str, relevant: bool) -> None:
        self.marks.setdefault((lens, day), {})[item_id] = int(relevant)

    def write(self, state: MutableMapping[str, Any]) -> None:
        for (lens, day), marks in self.marks.items():
            # json, not orjson: this runs outside the per-record guard, and it encodes any str
            digest = hashlib.blake2b(json.dumps(list(marks)).encode(), digest_size=12).hexdigest()
            state[f"seen|{lens}|{day}|{digest}"] = marks
        self.marks.clear()


class JudgedTally:
    """The counted-only items of a normalise batch, per lens-day, sent as one `ItemsJudged`
    record each after the batch's last record (on the lens's key: ordered with its items)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], list[Judgement]] = {}

    def add(self, item: EnrichedItem) -> None:
        judgement = Judgement(**item.model_dump(include=set(Judgement.model_fields)))
        self.items.setdefault((item.lens, item.day), []).append(judgement)

    def records(self) -> list[Out]:
        outs = [Out(topics.ENRICHED, lens, ItemsJudged(lens=lens, day=day, items=items))
                for (lens, day), items in self.items.items()]
        self.items.clear()
        return outs


def _forwarded(item: EnrichedItem) -> bool:
    """The cluster stage needs the whole item: it is relevant, or may join a story at the close."""
    return item.relevant or associable(item.relevant, item.reasons)


@dataclass(frozen=True)
class HandOver:
    """A close marker read by the cluster stage, its writes done: what `Flow.hand_over` computes
    the partition's part of the day from (the marker's payload and origin name its dead letter)."""

    payload: bytes | None
    state: MutableMapping[str, Any]
    origin: Origin
    now: datetime
    marker: DayClose
    lens: Lens
    keys: dict[str, list[str]]  # the lens-day's keys by kind (`_keys_of_day`)


@dataclass(frozen=True)
class DayRound:
    """Every chunk of one close round of one lens-day, ready to assemble."""

    lens: Lens
    part: DayPart
    parts: list[DayPart]


@dataclass(frozen=True)
class Draft:
    """The offline brief of a round (revision 1, before numbering) and the stories it ranked."""

    brief: Brief
    stories: list[Story]
    seen: int
    relevant: int


class Flow:
    """The stage chain for a set of lenses, with the metrics it counts into."""

    def __init__(self, lenses: list[Lens], metrics: Metrics) -> None:
        self.lenses = {lens.slug: lens for lens in lenses}
        self.metrics = metrics
        self.graphs = cluster.Graphs()  # in memory, rebuilt from the state's item records
        self.publications = Publications()  # what the stories topics said last of each story

    # raw -> enriched ---------------------------------------------------------------------------
    @guarded("normalise")
    def on_raw_record(self, payload: bytes | None, seen: MutableMapping[str, Any], origin: Origin, now: datetime,
                      judged: JudgedTally) -> list[Out]:
        """One raw record of a batch, an item or a bundle of items; the batch sends
        `judged.records()` after its last record. An item of a bundle that is invalid or fails is
        that item's dead letter (its JSON alone, under the bundle's origin); the rest goes on."""
        try:
            taken = unbundle(payload)
        except DecodeError as exc:
            return [self.dead("normalise", exc, payload, origin, now)]
        if taken.bundle is None:
            return self._normalised(taken.items[0], seen, judged)
        outs = [self.dead("normalise", refused.error, refused.payload, origin, now) for refused in taken.refused]
        for raw in taken.items:
            try:
                outs += self._normalised(raw, seen, judged)
            except Exception as exc:  # noqa: BLE001 - one item's failure is that item's alone, as a record's is
                outs.append(self.failed("normalise", exc, encode(raw), origin, now,
                                        f"bundle {taken.bundle}, item {raw.id}: {type(exc).__name__}: {exc}"))
        return outs

    def _normalised(self, raw: RawItem, seen: MutableMapping[str, Any], judged: JudgedTally) -> list[Out]:
        """One item through every lens: what goes on (enriched, late), and its counted-only
        verdicts added to `judged` once every lens is done."""
        observed = observed_or_now(raw)
        outs: list[Out] = []
        counted: list[EnrichedItem] = []
        for lens in self.lenses.values():
            item = self._enriched(raw, lens, observed, seen)
            late = self._late(item, lens)
            if late is None and not _forwarded(item):
                counted.append(item)
            else:
                outs.append(late or Out(topics.ENRICHED, lens.slug, item))
        for item in counted:  # only now: an item that fails part-way is a dead letter, not counted
            judged.add(item)
        return outs

    def _enriched(self, raw: RawItem, lens: Lens, observed: datetime, seen: MutableMapping[str, Any]) -> EnrichedItem:
        item = enrich(raw, lens, observed)
        # redeliveries go on too: a crash can keep the dedup record yet lose the forward, and the
        # cluster stage is idempotent per item id, so forwarding again can never double count
        verdict, first = check_and_remember(seen, f"{lens.slug}|{item.url_key}", raw.id, item.day)
        self.metrics.items_deduplicated.labels(verdict).inc()
        if verdict == "duplicate":
            item = item.model_copy(update={"duplicate_of": first})
        self.metrics.items_normalised.labels(lens.slug).inc()
        if item.relevant:
            self.metrics.items_relevant.labels(lens.slug).inc()
        return item

    def _late(self, item: EnrichedItem, lens: Lens) -> Out | None:
        """Observed after the lens-day's close deadline: kept on the late topic, out of the day."""
        if item.observed_at <= close_deadline(lens, item.day):
            return None
        self.metrics.items_late.labels(lens.slug).inc()
        return Out(topics.LATE_ITEMS, lens.slug, item)

    # enriched -> stories, and day parts on a close marker --------------------------------------
    def enriched_steps(self, records: Iterable[tuple[bytes | None, Origin]], state: MutableMapping[str, Any],
                       now: datetime) -> Iterator[list[Out] | HandOver]:
        """Enriched records of one partition, in order, with one `SeenTally` for the run: each
        record's outputs, and a close marker's hand-over as a `HandOver` for the caller to compute
        with `hand_over` before taking the next step.

        The state is not touched until the caller resumes, so the worker computes the hand-over
        (reads only: each story's items from the state) in an executor while its event loop goes on
        serving the other agents, the web pages and the consumer."""
        tally = SeenTally()
        for payload, origin in records:
            with self.metrics.stage_seconds.labels("cluster").time():
                step = self._on_enriched(payload, state, origin, now, tally)
            yield step
        tally.write(state)

    @guarded("cluster")
    def _on_enriched(self, payload: bytes | None, state: MutableMapping[str, Any], origin: Origin,
                     now: datetime, tally: SeenTally) -> list[Out] | HandOver:
        try:
            record = decode(topics.ENRICHED, payload)
            lens = self._lens(record.lens)
        except (DecodeError, KeyError) as exc:
            return [self.dead("cluster", exc, payload, origin, now)]
        if isinstance(record, DayClose):
            tally.write(state)  # the close counts the items of the run that came before it
            keys = _keys_of_day(state, lens, record.day)
            return self._begin_hand_over(HandOver(payload, state, origin, now, record, lens, keys))
        if isinstance(record, ItemsJudged):
            for judgement in record.items:
                tally.mark(lens.slug, record.day, judgement.id, False)
            return []
        return self._cluster(record, lens, state, tally)

    def _cluster(self, item: EnrichedItem, lens: Lens, state: MutableMapping[str, Any],
                 tally: SeenTally) -> list[Out]:
        """One table write per item: its record, with what the graph found on adding it."""
        late = self._late(item, lens)  # normalise sent it on in time; a replayed dead letter may not be
        if late is not None:
            return [late]
        tally.mark(lens.slug, item.day, item.id, item.relevant)
        if not _forwarded(item):
            return []
        graph = self.graphs.of(state, lens.slug, item.day)
        stories = len(graph.members)
        found = graph.add(item)
        if found is None:  # already in: a redelivery changes nothing
            return []
        key = cluster.record_key(lens.slug, item.day, item.id, item.relevant)
        state[key] = found.record(item, graph.entries[item.id])
        # the item opened a story (+1), joined one (0) or linked n stories into one (1 - n)
        self.metrics.open_stories.labels(lens.slug, item.day).inc(len(graph.members) - stories)
        root = graph.root_of(item.id)
        if root is None:  # a near-relevant item that reports no story (yet)
            return []
        items = graph.story_items(root)
        return self.story_outs(state, _scored(self._story(state, graph, root, items), lens))

    def story_outs(self, state: MutableMapping[str, Any], story: Story) -> list[Out]:
        """What the stories topics get for an update of `story` (scored): what changed, on the
        live topic (nothing when its members did not), and its snapshot when one is due."""
        delta, snapshot = self.publications.update(state, story)
        outs = []
        if delta is not None:
            self.metrics.story_updates.labels(story.lens).inc()
            outs.append(Out(topics.STORIES, f"{story.lens}:{story.day}", delta))
        if snapshot is not None:
            outs.append(Out(topics.STORY_SNAPSHOTS, f"{story.lens}:{story.day}:{story.story_id}", snapshot,
                            partition_key=f"{story.lens}:{story.day}"))
        return outs

    def _story(self, state: MutableMapping[str, Any], graph: cluster.DayGraph, root: str,
               items: list[str]) -> Story:
        kept = [_kept(state, graph, item_id) for item_id in items]
        since = self.graphs.developing_since(state, graph, root)
        return cluster.build_story(graph.lens, graph.day, graph.entries[root], kept, since)

    def _begin_hand_over(self, job: HandOver) -> HandOver:
        """The hand-over's writes (retention), done in stream iteration; the rest is `hand_over`."""
        lens, day = job.lens, job.marker.day
        if f"{DROPPED}|{lens.slug}|{day}|" in job.state and not (job.keys["seen"] or job.keys["item"]):
            # closing it again would publish an empty revision over the day's brief
            raise ValueError(f"lens-day {lens.slug} {day}: its state was dropped after {RETAINED_DAYS} "
                             f"days; replay the day's items to close it again")
        self._expire(job.state, job.keys["expired"], lens)
        return job

    def hand_over(self, job: HandOver) -> list[Out]:
        """A close marker's part of the day: it only reads the state, so it may run off the event loop."""
        with self.metrics.stage_seconds.labels("hand-over").time():
            return self._hand_over(job.payload, job.state, job.origin, job.now, job)

    @guarded("cluster")
    def _hand_over(self, payload: bytes | None, state: MutableMapping[str, Any], origin: Origin, now: datetime,
                   job: HandOver) -> list[Out]:
        marker, lens = job.marker, job.lens
        stories, associated = self._day_stories(job.state, lens, marker.day)
        seen, relevant = _day_counts(state, lens, marker.day, job.keys["seen"])
        parts = dayclose.part_chunks(marker, stories, seen, relevant + associated)
        return [Out(topics.DAY_PARTS, f"{marker.lens}:{marker.day}", part) for part in parts]

    def _day_stories(self, state: MutableMapping[str, Any], lens: Lens, day: str) -> tuple[list[Story], int]:
        """The day's stories as the graph holds them (nothing is clustered again), then the
        near-relevant items that report a development no relevant item did, grouped, where
        enough news outlets carry the group (and no item matched a noise group). Returns the
        stories (unscored: the assembler ranks the joined parts) and how many near-relevant
        items they took in."""
        graph = self.graphs.of(state, lens.slug, day)
        stories = [self._story(state, graph, root, items) for root, items in graph.stories()]
        associated = len(graph.best)
        for group in graph.unattached_groups():
            if not corroborated(len(group), lens):
                continue  # a story has no more outlets than members: most groups are never read
            items = [_kept(state, graph, item_id) for item_id in group]
            story = cluster.build_story(lens.slug, day, graph.entries[items[0].id], items, None)
            if corroborated(news_outlets(story, lens), lens):
                stories.append(story)
                associated += len(items)
        return sorted(stories, key=lambda s: (s.first_seen, s.story_id)), associated

    def _expire(self, state: MutableMapping[str, Any], keys: list[str], lens: Lens) -> None:
        """Drop state of days past retention (inside the close marker's stream iteration, so the
        tombstones go to that partition's changelog) and those days' story gauges."""
        days = set()
        for key in keys:
            del state[key]
            days.add(key.split("|", 3)[2])
        for day in days:
            state[f"{DROPPED}|{lens.slug}|{day}|"] = True  # kept: a later close of the day is refused
            with contextlib.suppress(KeyError):  # no story opened on this worker that day
                self.metrics.open_stories.remove(lens.slug, day)
            self.graphs.forget(lens.slug, day)
            self.publications.forget(lens.slug, day)
        self.metrics.state_keys_expired.labels(lens.slug).inc(len(keys))

    # day parts -> brief --------------------------------------------------------------------------
    def take_day_part(self, payload: bytes | None, state: MutableMapping[str, Any], origin: Origin,
                      now: datetime) -> DayRound | list[Out]:
        """Keep one chunk (a table write: inside stream iteration); a completed round comes back."""
        try:
            part: DayPart = decode(topics.DAY_PARTS, payload)
            lens = self._lens(part.lens)
        except (DecodeError, KeyError) as exc:
            return [self.dead("assemble", exc, payload, origin, now)]
        parts = dayclose.Assembly(state).add(part)
        return [] if parts is None else DayRound(lens, part, parts)

    def draft_brief(self, day: DayRound, now: datetime) -> Draft:
        """Rank and write the round's brief. Pure computation over the round: no state is read or
        written, so it may run off the event loop."""
        stories = rank_stories(dayclose.round_stories(day.parts), day.lens)
        seen = sum(p.items_seen for p in day.parts if p.chunk == 0)
        relevant = sum(p.items_relevant for p in day.parts if p.chunk == 0)
        brief = assemble_brief(day.lens, day.part.day, 1, stories, now, seen, relevant)
        return Draft(brief, stories, seen, relevant)

    def publish_draft(self, day: DayRound, draft: Draft, state: MutableMapping[str, Any],
                      now: datetime) -> list[Out]:
        """Decide the revision from the offline draft's content hash and record it (table writes:
        inside stream iteration). A later rewrite of the words keeps this hash, so an unchanged day
        never publishes again whatever a language model would have written."""
        lens, part, assembly = day.lens, day.part, dayclose.Assembly(state)
        content = brief_content_hash(draft.brief)
        revision, changed = assembly.next_revision(lens.slug, part.day, content)
        brief = _numbered(draft.brief, lens, part.day, revision, content)
        outs: list[Out] = []
        if changed:
            assembly.published(lens.slug, part.day, revision, content)
            outs.append(Out(topics.BRIEFS, f"{lens.slug}:{part.day}:{revision}", brief))
            self.metrics.briefs.labels(lens.slug).inc()
        self.metrics.close_rounds.labels(lens.slug, str(changed).lower()).inc()
        closed = DayClosed(lens=lens.slug, day=part.day, close_id=part.close_id, revision=revision,
                           changed=changed, brief_id=brief.brief_id, items_seen=draft.seen,
                           items_relevant=draft.relevant, stories=_ranked_all(draft), closed_at=now)
        assembly.finish(part, day.parts)
        return outs + [Out(topics.DAY_CLOSED, f"{lens.slug}:{part.day}", closed)]

    def _lens(self, slug: str) -> Lens:
        if slug not in self.lenses:
            raise KeyError(f"lens {slug!r} is not configured on this worker")
        return self.lenses[slug]

    def dead(self, stage: str, exc: Exception, payload: bytes | None, origin: Origin, now: datetime,
             message: str | None = None) -> Out:
        self.metrics.dead_letters.labels(stage, type(exc).__name__).inc()
        return Out(topics.DEAD_LETTERS, stage, dead_letter(stage, exc, payload, origin, now, message))

    def failed(self, stage: str, exc: Exception, payload: bytes | None, origin: Origin, now: datetime,
               message: str | None = None) -> Out:
        """A record (or an item of a bundle) that raised inside a stage: logged, with a traceback
        unless it was bad input (a ValueError), and dead-lettered."""
        log.warning("stage %s failed on %s[%s]@%s (%d bytes, starts %r): %s: %s", stage, origin.topic,
                    origin.partition, origin.offset, len(payload or b""), (payload or b"")[:80],
                    type(exc).__name__, str(exc)[:300], exc_info=not isinstance(exc, ValueError))
        return self.dead(stage, exc, payload, origin, now, message)


def _keys_of_day(state: MutableMapping[str, Any], lens: Lens, day: str) -> dict[str, list[str]]:
    """The lens-day's `seen|`, `item|` and `near|` keys, and the lens's keys of days past
    retention (`expired`), from one scan of the partition's state: every key of it is
    `kind|lens|day|...`, and each scan walks every key the worker holds."""
    found: dict[str, list[str]] = {"seen": [], "item": [], "near": [], "expired": []}
    tail, ours, oldest = f"{lens.slug}|{day}|", f"{lens.slug}|", _oldest_retained(day)
    for key in list(state):
        kind, _, rest = key.partition("|")
        if rest.startswith(tail):
            if kind in found:
                found[kind].append(key)
        elif kind != DROPPED and rest.startswith(ours) and rest[len(ours) :].split("|", 1)[0] < oldest:
            found["expired"].append(key)
    return found


def _kept(state: MutableMapping[str, Any], graph: cluster.DayGraph, item_id: str) -> EnrichedItem:
    return cluster.kept_item(state, graph.lens, graph.day, item_id, graph.entries[item_id].relevant)


def _oldest_retained(day: str) -> str:
    """The earliest day whose state a close of `day` keeps (ISO days compare as strings)."""
    return (date.fromisoformat(day) - timedelta(days=RETAINED_DAYS)).isoformat()


def _day_counts(state: MutableMapping[str, Any], lens: Lens, day: str, seen_keys: list[str]) -> tuple[int, int]:
    """Items seen and judged relevant on a lens-day: the union of its `SeenTally` keys, so a record
    redelivered after a crash is counted exactly once."""
    prefix = f"seen|{lens.slug}|{day}|"
    marks: dict[str, int] = {}
    for key in seen_keys:
        value = state[key]  # an int is one item's mark, as written before tallies
        marks.update(value if isinstance(value, dict) else {key[len(prefix):]: value})
    return len(marks), sum(marks.values())


def _scored(story: Story, lens: Lens) -> Story:
    score, confidence, reasons = score_story(story, lens)
    return story.model_copy(update={"score": score, "confidence": confidence, "score_reasons": reasons})


def _numbered(draft: Brief, lens: Lens, day: str, revision: int, content: str) -> Brief:
    return draft.model_copy(update={"revision": revision, "brief_id": f"{lens.slug}:{day}:r{revision}",
                                    "content_hash": content})


def _ranked_all(draft: Draft) -> list[RankedStory]:
    """The ranked stories, each under the headline its brief item has (one story, one headline
    everywhere: the day-closed record and stories.jsonl name it as the brief does); a story
    left out of the brief keeps its first member's title."""
    written = {item.story_id: item.headline for item in draft.brief.top_items + draft.brief.noteworthy}
    return [_ranked(story, written.get(story.story_id)) for story in draft.stories]


def _ranked(story: Story, written: str | None) -> RankedStory:
    headline = written or (story.members[0].title if story.members else "")
    return RankedStory(story_id=story.story_id, rank=story.rank or 0, tier=story.tier or "minor",
                       score=story.score, confidence=story.confidence, category=story.category,
                       headline=headline, items=story.item_ids, developing_since=story.developing_since)
