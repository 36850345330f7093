"""Dead letters: the generic stage guard, and which letters `usul dlq replay` re-produces."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from models import topics
from models.codec import decode, encode
from models.dead_letters import DeadLetter, Origin
from models.items import RawItem
from streams.inprocess import InProcessPipeline
from streams.lenses import load_lens
from streams.ops import dlq

NOW = datetime(2026, 1, 9, 6, 0, tzinfo=UTC)
GOOD_RAW = encode(RawItem(id="dlq:1", url="https://news.example/a", title="Regulator fines AI lab",
                          observed_at=NOW))


def make_letter(**overrides: object) -> DeadLetter:
    fields: dict[str, object] = {"stage": "normalise", "error_class": "TimeoutError", "message": "timed out",
                                 "original_topic": topics.RAW_ITEMS.name, "partition": 2, "offset": 41,
                                 "key": "abc", "payload": GOOD_RAW.decode(), "failed_at": NOW}
    return DeadLetter.model_validate({**fields, **overrides})


def entry(letter: DeadLetter, offset: int = 0) -> dlq.Letter:
    return dlq.Letter(0, offset, {}, letter, letter.failed_at)


def test_an_exception_inside_a_stage_becomes_a_dead_letter_not_a_crash(monkeypatch) -> None:  # noqa: ANN001
    pipeline = InProcessPipeline([load_lens("ai-safety-governance")], NOW)

    def explode(*args: object) -> None:
        raise RuntimeError("classifier fell over")

    monkeypatch.setattr("streams.flow.enrich", explode)
    (out,) = pipeline.normalise([(GOOD_RAW, Origin(topics.RAW_ITEMS.name, 1, 7, "k"))])
    assert out.topic is topics.DEAD_LETTERS
    assert (out.value.stage, out.value.error_class, out.value.offset) == ("normalise", "RuntimeError", 7)
    assert decode(topics.DEAD_LETTERS, encode(out.value)).message == "classifier fell over"


def test_transient_failures_of_valid_records_are_replayed() -> None:
    action = dlq.plan(entry(make_letter()))
    assert action.replay and "transient TimeoutError" in action.reason


def test_permanent_failures_and_foreign_origins_are_skipped() -> None:
    assert not dlq.plan(entry(make_letter(error_class="DecodeError"))).replay
    assert not dlq.plan(entry(make_letter(original_topic="http:/ingest"))).replay
    assert not dlq.plan(entry(make_letter(original_topic=topics.BRIEFS.name))).replay
    still_bad = dlq.plan(entry(make_letter(error_class="RuntimeError", payload='{"id": 5}')))
    assert not still_bad.replay and "does not decode" in still_bad.reason


def test_one_original_record_is_replayed_once() -> None:
    actions = dlq.plan_all([entry(make_letter(), 0), entry(make_letter(), 1), entry(make_letter(offset=42), 2)])
    assert [a.replay for a in actions] == [True, False, True]


def test_select_filters_by_stage_and_keeps_the_newest() -> None:
    letters = [entry(make_letter(stage=s), n) for n, s in enumerate(["normalise", "cluster", "normalise"])]
    assert [e.offset for e in dlq.select(letters, "normalise")] == [0, 2]
    assert [e.offset for e in dlq.select(letters, None, 1)] == [2]
    assert "normalise TimeoutError" in dlq.summary_line(letters[0])


def test_the_newest_letters_are_the_last_written_whatever_time_they_say_they_failed() -> None:
    # a replay of an old day once dated its letters by that day: written last, they sorted first
    old_day = make_letter(stage="replay", failed_at=datetime(2026, 1, 8, 23, 59, tzinfo=UTC))
    records = [SimpleNamespace(partition=0, offset=n, headers=[], value=encode(letter), timestamp=ms)
               for n, (letter, ms) in enumerate([(make_letter(), 1_767_945_600_000),  # 2026-01-09T08:00Z
                                                 (old_day, 1_767_949_200_000)])]  # written an hour later
    letters = dlq.newest_last([entry for record in reversed(records) if (entry := dlq._letter(record))])
    assert [e.letter.stage for e in dlq.select(letters, None, 1)] == ["replay"]
    assert letters[-1].written == datetime(2026, 1, 9, 9, 0, tzinfo=UTC)
    undated = SimpleNamespace(partition=0, offset=3, headers=[], value=encode(old_day), timestamp=None)
    assert dlq._letter(undated).written == old_day.failed_at  # type: ignore[union-attr]
