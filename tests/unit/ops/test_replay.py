import asyncio
from datetime import UTC, datetime

import orjson
import pytest

from models import topics
from models.codec import decode
from models.control import DayClosed, RankedStory
from models.items import RawItem
from streams.ingest.parse import IngestError
from streams.lenses import load_lens
from streams.ops import replay
from streams.ops.replay import (
    NothingReadable,
    Replay,
    ReplayResult,
    day_window,
    item_row,
    rejected_row,
    span_window,
    stamp_observed,
    write_outputs,
)
from tests.builders import RecordingProducer, make_brief, make_item

LENS = load_lens("ai-safety-governance")  # Europe/London


def test_day_window_is_the_lens_day() -> None:
    window = day_window(LENS, "2026-07-01")
    assert window.start == datetime(2026, 6, 30, 23, 0, tzinfo=UTC) and window.days == ("2026-07-01",)


def test_span_window_covers_every_lens_day_it_touches() -> None:
    window = span_window(LENS, datetime(2026, 1, 7, 12, tzinfo=UTC), datetime(2026, 1, 9, 0, tzinfo=UTC))
    assert window.days == ("2026-01-07", "2026-01-08")


def test_span_window_must_move_forward() -> None:
    with pytest.raises(ValueError, match="not after"):
        span_window(LENS, datetime(2026, 1, 9, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC))


def test_items_are_observed_by_the_window_end_never_before_publication() -> None:
    window = day_window(LENS, "2026-01-08")
    early = stamp_observed(RawItem(id="a", published_at=datetime(2026, 1, 8, 9, tzinfo=UTC)), window)
    later = stamp_observed(RawItem(id="b", published_at=datetime(2026, 1, 10, 9, tzinfo=UTC)), window)
    undated = stamp_observed(RawItem(id="c"), window)
    assert early.observed_at == undated.observed_at == datetime(2026, 1, 8, 23, 59, 59, tzinfo=UTC)
    assert later.observed_at == datetime(2026, 1, 10, 9, tzinfo=UTC)


def test_item_outside_the_window_is_not_relevant_and_says_why() -> None:
    row = item_row(make_item(id="x", relevant=True, day="2026-01-07"), day_window(LENS, "2026-01-08"), {})
    assert row["relevant"] is False and "outside the window" in row["reasons"][-1]


def test_rejected_line_with_an_id_is_still_accounted_for() -> None:
    row = rejected_row(IngestError("f:1", "published_at: bad", b'{"id": "z", "published_at": "soon"}'))
    assert row is not None and row["id"] == "z" and row["relevant"] is False
    assert rejected_row(IngestError("f:2", "not JSON", b"{broken")) is None


def test_outputs_are_written_as_published(tmp_path) -> None:
    brief = make_brief()
    story = RankedStory(story_id="s-1", rank=1, tier="top", score=1.0, confidence="high", category=None,
                        headline="h", items=["m-1"])
    closed = DayClosed(lens=brief.lens, day=brief.day, close_id="c", revision=1, changed=True,
                       brief_id=brief.brief_id, items_seen=1, items_relevant=1, stories=[story],
                       closed_at=brief.created_at)
    raw = brief.model_dump_json().encode()
    result = ReplayResult([closed], {brief.day: raw}, [{"id": "m-1", "relevant": True}], [], 1.0)
    write_outputs(result, tmp_path)
    assert (tmp_path / "brief.json").read_bytes() == raw
    assert (tmp_path / "brief.md").read_text(encoding="utf-8").startswith("# AI SAFETY AND GOVERNANCE - 2026-01-09")
    (row,) = [orjson.loads(line) for line in (tmp_path / "stories.jsonl").read_bytes().splitlines()]
    assert (row["rank"], row["tier"], row["items"], row["day"]) == (1, "top", ["m-1"], "2026-01-08")


def test_with_nothing_readable_the_lines_are_dead_lettered_and_nothing_is_awaited(monkeypatch) -> None:  # noqa: ANN001
    def no_reader(*args: object) -> None:
        raise AssertionError("waited on the pipeline for items that were never sent")

    monkeypatch.setattr(replay, "AIOKafkaProducer", RecordingProducer)
    monkeypatch.setattr(replay, "Reader", no_reader)
    RecordingProducer.sent = []
    rejected = [IngestError("junk.bin:1", "record: Invalid JSON", b"\x00\xff"), IngestError("junk.bin:2", "x", b"?")]
    began = datetime.now(UTC)
    with pytest.raises(NothingReadable, match="^0 items readable, 2 lines rejected$"):
        asyncio.run(Replay("127.0.0.1:1", LENS, day_window(LENS, "2020-01-01"), 900.0).run_read([], rejected))
    letters = [decode(topics.DEAD_LETTERS, value) for topic, value in RecordingProducer.sent]
    assert [(t, letter.original_topic) for (t, _), letter in zip(RecordingProducer.sent, letters, strict=True)] == [
        (topics.DEAD_LETTERS.name, "file:junk.bin:1"), (topics.DEAD_LETTERS.name, "file:junk.bin:2")]
    assert all(letter.failed_at >= began for letter in letters)  # written now, not on the replayed day
