"""Story deltas built and applied without a broker: in order they rebuild the story exactly; a gap
is detected and the story starts again from a snapshot; a record applied twice changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.codec import encode
from models.stories import StoryDelta, StoryFold, StoryGap, StorySnapshot, apply_delta, story_delta
from tests.builders import DEFAULT_AT, make_member, make_story


def _member(name: str, minutes: int, **kw):
    return make_member(id=name, title=f"title {name}", url=f"https://example.org/{name}",
                       event_at=DEFAULT_AT + timedelta(minutes=minutes), **kw)


A, B, C, D, E = (_member(n, m) for n, m in (("a", 0), ("b", 10), ("c", 5), ("d", 30), ("e", 40)))


def _versions():
    """A story's updates: a member joins at the end, one in the middle, one leaves while another
    joins, the score and confidence change with no member, and then a member joins first."""
    return [
        make_story([A]),
        make_story([A, B], score=1.5, last_updated=B.event_at),
        make_story([A, C, B], score=2.0, category="industry", last_updated=B.event_at),
        make_story([A, C, D], score=2.0, confidence="medium", score_reasons=["2 independent outlets"],
                   last_updated=D.event_at),
        make_story([E, A, C, D], score=2.5, confidence="high", developing_since="2026-01-07",
                   last_updated=E.event_at),
    ]


def _deltas(versions):
    previous, deltas = None, []
    for seq, story in enumerate(versions, 1):
        delta = story_delta(story, seq, previous)
        assert delta is not None
        deltas.append(delta)
        previous = story.item_ids
    return deltas


def test_applying_a_storys_deltas_in_order_rebuilds_each_version_exactly() -> None:
    versions = _versions()
    held = None
    for delta, story in zip(_deltas(versions), versions, strict=True):
        rebuilt = apply_delta(held, StoryDelta.model_validate_json(encode(delta)))  # as it travels
        assert rebuilt == story
        held = (delta.seq, rebuilt)


def test_a_delta_says_only_what_changed() -> None:
    deltas = _deltas(_versions())
    assert deltas[0].full and [m.id for m in deltas[0].added] == ["a"]
    assert not deltas[2].full and [(m.id, m.at) for m in deltas[2].added] == [("c", 1)]
    assert (deltas[3].removed, [m.id for m in deltas[3].added]) == (["b"], ["d"])
    assert [(m.id, m.at) for m in deltas[4].added] == [("e", 0)] and deltas[4].developing_since == "2026-01-07"


def test_the_same_members_again_give_no_delta() -> None:
    story = make_story([A, B])
    assert story_delta(story.model_copy(update={"score": 9.0}), 2, ["a", "b"]) is None


def test_members_kept_in_another_order_are_said_in_full() -> None:
    delta = story_delta(make_story([B, A]), 2, ["a", "b"])
    assert delta is not None and delta.full
    assert apply_delta((1, make_story([A, B])), delta).item_ids == ["b", "a"]


def test_a_delta_that_skips_an_update_is_a_gap() -> None:
    versions = _versions()
    deltas = _deltas(versions)
    with pytest.raises(StoryGap, match="update 3 after 1"):
        apply_delta((1, versions[0]), deltas[2])
    with pytest.raises(StoryGap, match="after nothing"):
        apply_delta(None, deltas[1])
    with pytest.raises(StoryGap, match="does not hold"):  # held is not what the delta follows
        apply_delta((2, make_story([A])), deltas[3].model_copy(update={"seq": 3}))


def test_a_delta_whose_size_disagrees_is_a_gap() -> None:
    delta = _deltas(_versions())[1]
    with pytest.raises(StoryGap, match="makes 2 members, not 3"):
        apply_delta((1, make_story([A])), delta.model_copy(update={"size": 3}))


def test_the_fold_skips_what_it_has_and_waits_after_a_gap_for_a_snapshot() -> None:
    versions, fold = _versions(), StoryFold()
    deltas = _deltas(versions)
    assert fold.take(deltas[0]) == versions[0]
    assert fold.take(deltas[0]) is None  # a redelivery changes nothing
    assert fold.take(deltas[2]) is None and fold.gaps == 1  # update 2 was missed
    assert fold.take(deltas[3]) is None  # waits behind the gap
    assert fold.held[versions[0].story_id] == (1, versions[0])  # the last good state is kept
    # a snapshot of update 2 (or later) starts the story again; the waiting deltas follow it
    assert fold.take(StorySnapshot(seq=2, story=versions[1])) == versions[3]
    assert fold.take(deltas[4]) == versions[4]
    assert fold.take(StorySnapshot(seq=3, story=versions[2])) is None  # older than what is held


def test_a_reader_that_starts_late_begins_at_a_snapshot_or_a_full_delta() -> None:
    versions = _versions()
    deltas = _deltas(versions)
    late = StoryFold()
    assert late.take(deltas[3]) is None and late.gaps == 1
    assert late.take(StorySnapshot(seq=3, story=versions[2])) == versions[3]
    restarted = StoryFold()  # a full delta (the stage lost its memory of the story) starts it too
    full = story_delta(versions[4], 5, None)
    assert full is not None and restarted.take(full) == versions[4]


def test_while_following_a_snapshot_restarts_only_a_story_that_waits() -> None:
    versions = _versions()
    deltas = _deltas(versions)
    fold = StoryFold()
    fold.take(deltas[0])
    # read ahead of the deltas it sums up: taking it would show the story ahead of the others
    assert fold.resync(StorySnapshot(seq=3, story=versions[2])) is None
    assert fold.take(deltas[1]) == versions[1]
    assert fold.take(deltas[3]) is None and fold.gaps == 1  # update 3 missed
    assert fold.resync(StorySnapshot(seq=3, story=versions[2])) == versions[3]


def test_the_waiting_deltas_are_bounded() -> None:
    versions = _versions()
    fold = StoryFold(waiting=2)
    for delta in _deltas(versions)[1:]:
        fold.take(delta)
    assert [d.seq for d in fold.waiting[versions[0].story_id]] == [4, 5]


def test_a_delta_does_not_grow_with_the_story() -> None:
    members = [_member(f"m{n:03}", n, text="x" * 500) for n in range(201)]
    small = story_delta(make_story(members[:2]), 2, [members[0].id])
    large = story_delta(make_story(members), 201, [m.id for m in members[:200]])
    assert small is not None and large is not None
    assert len(encode(large)) < len(encode(small)) + 50  # the index of the new member is longer
    assert len(encode(make_story(members))) > 100 * len(encode(large))
