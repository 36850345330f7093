from datetime import UTC, datetime

from models.codec import encode
from models.control import DayClose
from models.stories import Story
from streams.stages.dayclose import (
    CHUNK_BYTES,
    CHUNK_STORIES,
    MEMBER_TEXT_CUT,
    Assembly,
    close_markers,
    day_to_close,
    part_chunks,
)
from tests.builders import make_lens, make_member, make_story

NOW = datetime(2026, 1, 9, 6, 0, tzinfo=UTC)


def _marker(partition: int, partitions: int = 3) -> DayClose:
    return close_markers("lens", "2026-01-08", "round-1", partitions, NOW)[partition]


def test_one_marker_per_partition() -> None:
    markers = close_markers("lens", "2026-01-08", "r", 4, NOW)
    assert [m.partition for m in markers] == [0, 1, 2, 3]


def test_day_to_close_is_yesterday_in_the_lens_zone() -> None:
    assert day_to_close(make_lens(timezone="America/New_York"), NOW) == "2026-01-08"


def test_empty_partition_still_answers() -> None:
    parts = part_chunks(_marker(0), [], 0, 0)
    assert [(p.chunk, p.chunks, p.stories) for p in parts] == [(0, 1, [])]


def test_large_part_is_split_into_chunks() -> None:
    stories = [make_story(story_id=f"s{i:03}") for i in range(CHUNK_STORIES * 2 + 1)]
    parts = part_chunks(_marker(0), stories, 10, 5)
    assert [p.chunks for p in parts] == [3, 3, 3]
    assert sum(len(p.stories) for p in parts) == len(stories)


def test_every_chunk_fits_a_record_however_large_the_stories() -> None:
    """Kafka refuses a record over 1 MiB after the producer took it: a lost chunk would leave the
    round incomplete. Stories of ordinary size travel whole; one that alone is over the budget
    loses the tail of its members' texts, then, if that is not enough, its latest members."""
    def story(sid: str, members: int, text: int) -> Story:
        return make_story([make_member(id=f"{sid}-{n}", text="x" * text) for n in range(members)], story_id=sid)

    ordinary = [story(f"a{i}", 4, 2_000) for i in range(20)]  # ~8 KB each: 25 to a chunk by count
    wide = [story(f"b{i}", 60, 3_000) for i in range(4)]  # ~190 KB each: by size
    huge = story("c0", 400, 3_000)  # ~1.3 MB alone
    endless = story("d0", 5_000, 0)  # ~1.5 MB of members without text
    parts = part_chunks(_marker(0), [*ordinary, *wide, huge, endless], 10, 5)
    assert all(len(encode(part)) < 1024 * 1024 and len(encode(part)) <= CHUNK_BYTES + 4096 for part in parts)
    travelled = {s.story_id: s for part in parts for s in part.stories}
    assert len(travelled) == 26 and all(travelled[s.story_id] == s for s in ordinary + wide)
    assert len(travelled["c0"].members) == 400 and {len(m.text) for m in travelled["c0"].members} == {MEMBER_TEXT_CUT}
    assert 1 < len(travelled["d0"].members) < 5_000
    assert [m.id for m in travelled["d0"].members] == [m.id for m in endless.members[: len(travelled["d0"].members)]]


def test_round_completes_only_when_every_chunk_of_every_partition_arrived() -> None:
    assembly = Assembly({})
    big = part_chunks(_marker(0), [make_story(story_id=f"s{i:03}") for i in range(CHUNK_STORIES + 1)], 1, 1)
    others = [part_chunks(_marker(p), [], 0, 0)[0] for p in (1, 2)]
    assert assembly.add(big[0]) is None
    assert assembly.add(others[0]) is None
    assert assembly.add(others[1]) is None
    complete = assembly.add(big[1])
    assert complete is not None and len(complete) == 4


def test_redelivered_chunk_after_completion_changes_nothing() -> None:
    assembly = Assembly({})
    parts = [part_chunks(_marker(p, 1), [], 0, 0)[0] for p in (0,)]
    done = assembly.add(parts[0])
    assert done is not None
    assembly.finish(parts[0], done)
    assert assembly.add(parts[0]) is None


def test_revision_increments_only_when_content_changes() -> None:
    assembly = Assembly({})
    assert assembly.next_revision("l", "d", "h1") == (1, True)
    assembly.published("l", "d", 1, "h1")
    assert assembly.next_revision("l", "d", "h1") == (1, False)
    assert assembly.next_revision("l", "d", "h2") == (2, True)
