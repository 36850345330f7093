"""The agents' logic end to end without a broker: the same `Flow` functions the faust agents
call, chained over in-memory state (`streams.inprocess`), on the bundled sample day."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry

from models import topics
from models.codec import decode, encode
from models.control import DayClosed
from models.dead_letters import DeadLetter, Origin
from models.items import EnrichedItem, ItemsJudged
from streams.brief.sentences import opening, split_sentences
from streams.flow import RETAINED_DAYS, Flow, HandOver
from streams.ingest.parse import IngestError, read_jsonl
from streams.inprocess import InProcessPipeline
from streams.lenses import load_lens
from streams.metrics import Metrics
from streams.ops.replay import day_window, stamp_observed
from streams.stages import dayclose

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "sample-day.jsonl"
NOW = datetime(2026, 1, 9, 6, 0, tzinfo=UTC)
LENS = load_lens("ai-safety-governance")
PARTITIONS = 3


def _sample_payloads() -> list[bytes]:
    window = day_window(LENS, "2026-01-08")
    return [encode(stamp_observed(i, window)) for i in read_jsonl(SAMPLE, window.end) if not isinstance(i, IngestError)]


def _run(payloads: list[bytes]) -> InProcessPipeline:
    pipeline = InProcessPipeline([LENS], NOW, PARTITIONS)
    for payload in payloads:
        pipeline.raw(payload)
    pipeline.close(LENS.slug, "2026-01-08", "round-1")
    return pipeline


def test_sample_day_becomes_one_brief_with_every_section() -> None:
    pipeline = _run(_sample_payloads())
    (brief,) = pipeline.on(topics.BRIEFS)
    # the brief of lens-day 2026-01-08 is the edition published the next morning
    assert brief.title == "AI SAFETY AND GOVERNANCE - 2026-01-09" and brief.revision == 1
    assert (brief.day, brief.edition) == ("2026-01-08", "2026-01-09")
    assert brief.executive_summary and brief.top_items and brief.sources
    numbers = {s.number for s in brief.sources}
    assert all(set(item.sources) <= numbers for item in brief.top_items + brief.noteworthy)


def test_the_day_closed_record_names_each_story_as_the_brief_does() -> None:
    pipeline = _run(_sample_payloads())
    (brief,) = pipeline.on(topics.BRIEFS)
    (closed,) = pipeline.on(topics.DAY_CLOSED)
    ranked = {story.story_id: story.headline for story in closed.stories}
    written = {item.story_id: item.headline for item in brief.top_items + brief.noteworthy}
    assert written and {sid: ranked[sid] for sid in written} == written


def test_the_sample_brief_states_each_fact_once() -> None:
    # the sample is the first brief a user sees: no Summary says who did what twice
    (brief,) = _run(_sample_payloads()).on(topics.BRIEFS)
    for item in brief.top_items + brief.noteworthy:
        openings = [found for sentence in split_sentences(item.summary) if (found := opening(sentence))]
        assert len(set(openings)) == len(openings), item.summary


def test_every_item_is_judged_and_counted_once() -> None:
    payloads = _sample_payloads()
    pipeline = _run(payloads + payloads[:5])  # redelivered records change nothing
    (closed,) = pipeline.on(topics.DAY_CLOSED)
    assert closed.items_seen == len(payloads)
    enriched = pipeline.on(topics.ENRICHED)
    forwarded = [i.id for i in enriched if isinstance(i, EnrichedItem)]
    counted = [j.id for r in enriched if isinstance(r, ItemsJudged) for j in r.items]
    assert set(forwarded) | set(counted) == {decode(topics.RAW_ITEMS, p).id for p in payloads}
    assert not set(forwarded) & set(counted) and counted and forwarded


def test_a_close_drops_state_of_days_past_retention_and_keeps_the_rest() -> None:
    pipeline = _run(_sample_payloads())

    def held(day: str) -> int:
        return sum(f"|{LENS.slug}|{day}|" in key for state in pipeline.state.values() for key in state)

    assert held("2026-01-08") > 40
    live = sum(len(pipeline.flow.graphs.of(state, LENS.slug, "2026-01-08").members)
               for state in pipeline.state.values())
    assert _open_stories(pipeline, "2026-01-08") == live > 0
    later = (date(2026, 1, 8) + timedelta(days=RETAINED_DAYS)).isoformat()
    pipeline.close(LENS.slug, later, "round-1")  # the day is still within retention of this close
    assert held("2026-01-08") > 40
    pipeline.close(LENS.slug, (date.fromisoformat(later) + timedelta(days=1)).isoformat(), "round-1")
    assert held("2026-01-08") == 1  # only the note that it expired
    assert _open_stories(pipeline, "2026-01-08") is None
    briefs = len(pipeline.on(topics.BRIEFS))
    pipeline.close(LENS.slug, "2026-01-08", "round-2")  # would publish an empty revision over the brief
    assert len(pipeline.on(topics.BRIEFS)) == briefs
    letters = [d for d in pipeline.on(topics.DEAD_LETTERS) if "replay the day's items" in d.message]
    assert len(letters) == 1 and letters[0].stage == "cluster"


def _open_stories(pipeline: InProcessPipeline, day: str) -> float | None:
    samples = pipeline.flow.metrics.open_stories.collect()[0].samples
    return next((s.value for s in samples if s.labels == {"lens": LENS.slug, "day": day}), None)


def test_brief_does_not_depend_on_arrival_order() -> None:
    payloads = _sample_payloads()
    shuffled = payloads[:]
    random.Random(7).shuffle(shuffled)
    first, second = _run(payloads).on(topics.BRIEFS)[0], _run(shuffled).on(topics.BRIEFS)[0]
    assert first.content_hash == second.content_hash


def test_closing_an_unchanged_day_again_publishes_no_new_revision() -> None:
    pipeline = _run(_sample_payloads())
    pipeline.close(LENS.slug, "2026-01-08", "round-2")
    assert len(pipeline.on(topics.BRIEFS)) == 1
    rounds: list[DayClosed] = pipeline.on(topics.DAY_CLOSED)
    assert [(r.revision, r.changed) for r in rounds] == [(1, True), (1, False)]


def test_a_late_relevant_item_makes_a_new_revision() -> None:
    pipeline = _run(_sample_payloads())
    late = _sample_payloads()[0].replace(b'"sample:1"', b'"sample:late"').replace(
        b"meridian-5\"", b"meridian-5-late\"")
    pipeline.raw(late.replace(b"meridianlabs.example/news/meridian-5", b"reuters.example/late-report"))
    pipeline.close(LENS.slug, "2026-01-08", "round-2")
    assert [b.revision for b in pipeline.on(topics.BRIEFS)] == [1, 2]


def test_bad_records_become_dead_letters_and_the_flow_carries_on() -> None:
    pipeline = InProcessPipeline([LENS], NOW, PARTITIONS)
    for bad in (b"", b"\xff\xfe", b"{}", b'{"id": 5}', b"[1, 2]"):
        pipeline.raw(bad)
    pipeline.enriched(b'{"record": "close"}', 0)
    letters: list[DeadLetter] = pipeline.on(topics.DEAD_LETTERS)
    assert len(letters) == 6
    assert {letter.stage for letter in letters} == {"normalise", "cluster"}
    assert all(letter.message for letter in letters)


def _handed_over(runs: list[list[bytes]]) -> list:
    """The day parts of one partition that the cluster agent sends for the given runs of records."""
    pipeline = InProcessPipeline([LENS], NOW, 1)
    outs = [out for run in runs for out in pipeline.cluster([(p, Origin("enriched", 0)) for p in run], 0)]
    return [out.value for out in outs if out.topic is topics.DAY_PARTS]


def _normalised(payloads: list[bytes]) -> list[bytes]:
    """The enriched records the normalise agent sends for the payloads, one batch each."""
    pipeline = InProcessPipeline([LENS], NOW, 1)
    return [encode(out.value) for p in payloads for out in pipeline.normalise([(p, Origin("raw"))])]


def test_a_close_in_a_run_is_handed_to_the_caller_before_the_records_after_it() -> None:
    """The worker computes a hand-over off its event loop: the step comes back before any later
    record of the run touches the state, and the parts are those of a run done in one call."""
    flow = Flow([LENS], Metrics(CollectorRegistry()))
    enriched = _normalised(_sample_payloads())
    (marker,) = dayclose.close_markers(LENS.slug, "2026-01-08", "round-1", 1, NOW)
    run = [(p, Origin("enriched", 0)) for p in enriched[:-3] + [encode(marker)] + enriched[-3:]]
    state: dict[str, object] = {}
    steps = flow.enriched_steps(run, state, NOW)
    before = [next(steps) for _ in enriched[:-3]]
    job = next(steps)
    assert isinstance(job, HandOver) and not any(isinstance(step, HandOver) for step in before)
    frozen = dict(state)
    parts = flow.hand_over(job)
    assert state == frozen  # the hand-over only reads
    rest = list(steps)
    assert len(rest) == 3 and len(state) > len(frozen)
    assert [out.value for out in parts] == _handed_over([enriched[:-3] + [encode(marker)]])


def test_a_hand_over_that_fails_is_the_markers_dead_letter() -> None:
    flow = Flow([LENS], Metrics(CollectorRegistry()))
    (marker,) = dayclose.close_markers(LENS.slug, "2026-01-08", "round-1", 1, NOW)
    (job,) = flow.enriched_steps([(encode(marker), Origin("enriched", 0, 7))], {}, NOW)
    job.keys["seen"] = ["seen|missing"]  # a key that is gone: reading it raises
    (letter,) = flow.hand_over(job)
    assert letter.topic is topics.DEAD_LETTERS and letter.value.stage == "cluster"
    assert letter.value.offset == 7 and decode(topics.ENRICHED, letter.value.payload.encode()) == marker


def test_runs_of_records_count_and_cluster_as_single_records_do() -> None:
    """The cluster agent hands over batches: how records (and a redelivery) are cut into runs, and
    a close marker in the middle of a run, change neither the counts nor the stories."""
    enriched = _normalised(_sample_payloads())
    (marker,) = dayclose.close_markers(LENS.slug, "2026-01-08", "round-1", 1, NOW)
    single = _handed_over([[p] for p in enriched + [encode(marker)]])
    early = enriched[:-5] + enriched[3:11]  # a redelivery, cut into runs differently
    last = enriched[-5:] + [encode(marker)] + enriched[:2]  # new items, the close, then more
    batched = _handed_over([early[i:i + 4] for i in range(0, len(early), 4)] + [last])
    assert [(p.items_seen, p.items_relevant) for p in batched] == [(p.items_seen, p.items_relevant) for p in single]
    assert single[0].items_seen == len(enriched) and single[0].items_relevant > 0
    assert [p.stories for p in batched] == [p.stories for p in single]
