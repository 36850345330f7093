"""What the cluster stage publishes per story update: numbered deltas, snapshots as the story
doubles, one small state record per story, and a full delta when its memory is not the state's."""

from __future__ import annotations

from datetime import timedelta

import orjson

from streams.stages.story_updates import Publications, publication_key
from tests.builders import DEFAULT_AT, make_member, make_story


def _grown(n: int):
    """The story after its n-th member joined (members in arrival order)."""
    members = [make_member(id=f"m{k:03}", event_at=DEFAULT_AT + timedelta(minutes=k), text="y" * 400)
               for k in range(n)]
    return make_story(members, last_updated=members[-1].event_at)


def test_the_first_update_is_full_and_snapshotted() -> None:
    state: dict = {}
    delta, snapshot = Publications().update(state, _grown(1))
    assert delta is not None and delta.seq == 1 and delta.full
    assert snapshot is not None and snapshot.seq == 1 and snapshot.story == _grown(1)


def test_an_update_with_the_same_members_publishes_nothing_and_writes_nothing() -> None:
    state: dict = {}
    publications = Publications()
    publications.update(state, _grown(2))
    before = dict(state)
    assert publications.update(state, _grown(2)) == (None, None)
    assert state == before


def test_updates_are_numbered_and_snapshots_come_as_the_story_doubles() -> None:
    state: dict = {}
    publications = Publications()
    snapshots, partial = [], []
    for n in range(1, 65):
        delta, snapshot = publications.update(state, _grown(n))
        assert delta is not None and delta.seq == n
        partial.append(not delta.full)
        if snapshot is not None:
            assert snapshot.story == _grown(n)
            snapshots.append(snapshot.seq)
    assert snapshots == [1, 2, 4, 8, 16, 32, 64]
    assert all(partial[1:])


def test_the_state_record_of_a_story_does_not_grow_with_it() -> None:
    small: dict = {}
    large: dict = {}
    publications = Publications()
    publications.update(small, _grown(1))
    for n in range(1, 201):
        publications.update(large, _grown(n))
    key = publication_key(_grown(1))
    assert abs(len(orjson.dumps(large[key])) - len(orjson.dumps(small[key]))) < 10


def test_a_stage_that_lost_its_memory_says_the_next_update_in_full() -> None:
    state: dict = {}
    Publications().update(state, _grown(3))
    delta, _ = Publications().update(state, _grown(4))  # a restarted worker: the state, no memory
    assert delta is not None and delta.full and delta.seq == 2 and len(delta.added) == 4


def test_memory_of_another_past_is_not_trusted() -> None:
    """A worker that held the story before a rebalance, while another worker went on with it."""
    ours, theirs = {}, {}
    publications = Publications()
    publications.update(ours, _grown(2))
    other = Publications()
    for n in (2, 3, 4):
        other.update(theirs, _grown(n))
    delta, _ = publications.update(theirs, _grown(5))
    assert delta is not None and delta.full and delta.seq == 4


def test_forgetting_a_day_drops_only_its_memory() -> None:
    state: dict = {}
    publications = Publications()
    publications.update(state, _grown(1))
    publications.forget("ai-safety-governance", "2026-01-07")
    delta, _ = publications.update(state, _grown(2))
    assert delta is not None and not delta.full
    publications.forget("ai-safety-governance", "2026-01-08")
    delta, _ = publications.update(state, _grown(3))
    assert delta is not None and delta.full

