"""Rejected lines are shown, not only counted: place and reason of the first few, and where all are."""

from __future__ import annotations

from streams.ingest.parse import IngestError
from streams.ops.rejections import rejection_report


def test_the_first_reasons_are_shown_with_their_place_and_the_rest_counted() -> None:
    errors = [IngestError(f"day.jsonl:{n}", f"reason {n}") for n in range(1, 8)]
    lines = rejection_report(errors, "rejected.jsonl", shown=5)
    assert lines[:5] == [f"  day.jsonl:{n}: reason {n}" for n in range(1, 6)]
    assert lines[5:] == ["  ... and 2 more", "  every one, with its bytes: rejected.jsonl"]


def test_one_rejection_is_shown_without_a_count_of_more_and_none_says_nothing() -> None:
    lines = rejection_report([IngestError("feed", "x" * 500)], "the dead-letter topic")
    assert len(lines) == 2 and lines[0] == "  feed: " + "x" * 200
    assert rejection_report([], "anywhere") == []
