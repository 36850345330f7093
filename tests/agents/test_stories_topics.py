"""The sample day through the flow's own functions: the stories topics' deltas, folded in order,
are every story the cluster stage built; snapshots are the story at their update; a redelivered
item publishes nothing; the live view from the deltas is the view the whole stories gave."""

from __future__ import annotations

from collections.abc import Iterator

from models import topics
from models.codec import decode, encode
from models.stories import Story, StoryDelta, StoryFold, StorySnapshot
from streams.inprocess import InProcessPipeline
from streams.web.live_stories import LiveStories, summary
from tests.agents.test_flow import LENS, NOW, PARTITIONS, _sample_payloads

DAY = "2026-01-08"


def _replay(payloads: list[bytes]) -> tuple[InProcessPipeline, list[Story]]:
    """The pipeline after the payloads, and every story update the cluster stage built, in order."""
    pipeline = InProcessPipeline([LENS], NOW, PARTITIONS)
    built: list[Story] = []
    publish = pipeline.flow.story_outs

    def spy(state, story):  # noqa: ANN001, ANN202 - the flow's own signature
        built.append(story)
        return publish(state, story)

    pipeline.flow.story_outs = spy
    for payload in payloads:
        pipeline.raw(payload)
    return pipeline, built


def _records(pipeline: InProcessPipeline) -> Iterator[StoryDelta | StorySnapshot]:
    """The stories topics' records as a reader decodes them, in the order they were sent."""
    for out in pipeline.published:
        if out.topic in (topics.STORIES, topics.STORY_SNAPSHOTS):
            yield decode(out.topic, encode(out.value))


def test_the_folded_deltas_are_each_story_the_stage_built() -> None:
    pipeline, built = _replay(_sample_payloads())
    deltas = pipeline.on(topics.STORIES)
    assert len(deltas) == len(built) > 10
    assert any(not d.full for d in deltas) and any(d.seq > 2 for d in deltas)  # stories grew
    fold, taken = StoryFold(), 0
    for record in _records(pipeline):
        if isinstance(record, StorySnapshot):
            assert record.story == fold.held[record.story.story_id][1]  # the story at that update
            continue
        assert fold.take(record) == built[taken]
        taken += 1
    assert fold.gaps == 0


def test_a_redelivered_item_publishes_no_story_update() -> None:
    payloads = _sample_payloads()
    once, _ = _replay(payloads)
    twice, _ = _replay(payloads + payloads[:10])
    assert len(twice.on(topics.STORIES)) == len(once.on(topics.STORIES))
    assert len(twice.on(topics.STORY_SNAPSHOTS)) == len(once.on(topics.STORY_SNAPSHOTS))


def test_the_live_view_from_deltas_is_the_view_whole_stories_gave() -> None:
    pipeline, built = _replay(_sample_payloads())
    from_deltas, from_stories = LiveStories(), LiveStories()
    for record in _records(pipeline):
        from_deltas.take(record)
    for story in built:  # what usul.stories.v1 carried, one whole story per update
        from_stories.apply(story)
    shown = [summary(s) for s in from_deltas.stories(LENS.slug, DAY)]
    assert shown == [summary(s) for s in from_stories.stories(LENS.slug, DAY)] and len(shown) > 5
    assert [s.members for s in from_deltas.stories(LENS.slug, DAY)] == \
        [s.members for s in from_stories.stories(LENS.slug, DAY)]


def test_a_live_page_that_starts_late_rebuilds_the_day_from_snapshots_and_later_deltas() -> None:
    """As `StoryFeed` starts: the latest snapshot of each story so far (what compaction keeps), then
    the live topic from the oldest of them on, then both topics as they come."""
    pipeline, _ = _replay(_sample_payloads())
    records = list(_records(pipeline))
    half = len(records) // 2
    compacted = {r.story.story_id: n for n, r in enumerate(records[:half]) if isinstance(r, StorySnapshot)}
    complete, late = LiveStories(), LiveStories()
    for record in records:
        complete.take(record)
    for n in sorted(compacted.values()):
        late.take(records[n])
    start = min(compacted.values())
    for n, record in enumerate(records[start:], start):
        if isinstance(record, StoryDelta):
            late.take(record)
        elif n >= half:
            late.resync(record)
    assert late.gaps() == 0
    assert [summary(s) for s in late.stories(LENS.slug, DAY)] == [summary(s) for s in complete.stories(LENS.slug, DAY)]


def test_a_live_page_that_starts_too_late_for_the_deltas_sees_the_gap() -> None:
    pipeline, _ = _replay(_sample_payloads())
    records = list(_records(pipeline))
    grown = next(n for n, r in enumerate(records) if isinstance(r, StoryDelta) and r.seq == 3)
    late = LiveStories()
    for record in records[grown:]:  # no snapshot, no delta before this one
        if isinstance(record, StoryDelta):
            late.take(record)
    assert late.gaps() >= 1
