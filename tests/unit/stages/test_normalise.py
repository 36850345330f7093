from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from models.items import RawItem
from models.lens import Category, Lens
from streams.stages.normalise import (
    canonical_url,
    clean_text,
    close_deadline,
    outlet_of,
    raw_key,
    resolve_timing,
    url_key,
)

LENS = Lens(slug="t", name="T", description="", timezone="Europe/London", publish_time=time(6, 0),
            allowed_lateness_hours=6, categories={"c": Category(description="c")})


@pytest.mark.parametrize(("url", "canonical"), [
    ("http://www.Example.com/a/b/?utm_source=rss&id=3#top", "https://example.com/a/b?id=3"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://arxiv.org/pdf/2601.03438v2", "https://arxiv.org/abs/2601.03438"),
    ("https://arxiv.org/abs/2601.03438", "https://arxiv.org/abs/2601.03438"),
    ("https://engadget.com/x.html?src=rss", "https://engadget.com/x.html"),
])
def test_spellings_of_one_page_share_a_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_url_key_falls_back_to_the_id_without_a_url() -> None:
    assert url_key("", "a") != url_key("", "b")
    assert url_key("https://x.org/1", "a") == url_key("https://x.org/1", "b")


def test_the_raw_key_is_one_per_page_or_per_id_without_a_url() -> None:
    one = raw_key(RawItem(id="a", url="http://www.example.com/p?utm_source=rss"))
    assert one == raw_key(RawItem(id="b", url="https://example.com/p")) == url_key("https://example.com/p", "")
    assert raw_key(RawItem(id="a")) != raw_key(RawItem(id="b"))


def test_outlet_is_the_source_label_or_the_host() -> None:
    assert outlet_of("reddit r/OpenAI", "https://reddit.com/x") == "reddit r/OpenAI"
    assert outlet_of("", "https://www.ft.com/content/1") == "ft.com"


def test_item_belongs_to_its_publication_day_in_the_lens_zone() -> None:
    published = datetime(2026, 7, 8, 23, 30, tzinfo=UTC)  # 00:30 on the 9th in London (BST)
    timing = resolve_timing(published, published + timedelta(minutes=5), LENS)
    assert (timing.day, timing.basis, timing.stale) == ("2026-07-09", "published", False)


def test_midnight_timestamp_is_a_date_in_its_own_offset() -> None:
    published = datetime(2026, 4, 12, 0, 0, tzinfo=timezone(timedelta(hours=8)))  # 16:00 UTC on the 11th
    timing = resolve_timing(published, published + timedelta(hours=20), LENS)
    assert (timing.day, timing.basis) == ("2026-04-12", "date")


def test_item_without_timestamp_is_timed_by_observation_not_dropped() -> None:
    observed = datetime(2026, 1, 8, 12, 0, tzinfo=UTC)
    timing = resolve_timing(None, observed, LENS)
    assert (timing.day, timing.basis, timing.event_at) == ("2026-01-08", "observed", observed)


def test_item_arriving_after_its_day_closed_goes_to_the_day_it_arrived() -> None:
    published = datetime(2026, 1, 7, 15, 0, tzinfo=UTC)
    observed = datetime(2026, 1, 8, 23, 0, tzinfo=UTC)  # after the 7th's deadline (8th, 12:00)
    timing = resolve_timing(published, observed, LENS)
    assert (timing.day, timing.stale) == ("2026-01-08", False)


def test_old_item_resurfacing_is_stale() -> None:
    published = datetime(2025, 8, 11, 15, 0, tzinfo=UTC)
    timing = resolve_timing(published, datetime(2026, 4, 14, 9, 0, tzinfo=UTC), LENS)
    assert timing.stale


def test_timestamp_from_the_future_is_not_trusted() -> None:
    observed = datetime(2026, 1, 8, 12, 0, tzinfo=UTC)
    timing = resolve_timing(observed + timedelta(days=30), observed, LENS)
    assert (timing.day, timing.basis) == ("2026-01-08", "observed")


def test_naive_timestamp_is_read_as_utc() -> None:
    naive = datetime(2026, 1, 8, 23, 30)  # noqa: DTZ001 - the point of the test
    timing = resolve_timing(naive, datetime(2026, 1, 9, 0, 0, tzinfo=UTC), LENS)
    assert timing.event_at == naive.replace(tzinfo=UTC)


def test_deadline_is_next_morning_publish_time_plus_lateness() -> None:
    assert close_deadline(LENS, "2026-01-08") == datetime(2026, 1, 9, 12, 0, tzinfo=LENS.zone)


def test_deadline_is_the_lens_own_across_a_year_and_an_edit() -> None:
    """Deadlines are remembered per lens-day: each still equals the one worked out afresh (the
    clock change in spring and autumn included), and a lens edited under the same slug and
    version gets its own, not the one remembered for the lens before the edit."""
    later = LENS.model_copy(update={"publish_time": time(7, 30), "allowed_lateness_hours": 2.5})
    for lens in (LENS, later, LENS):
        for offset in range(366):
            day = date(2026, 1, 1) + timedelta(days=offset)
            fresh = datetime.combine(day + timedelta(days=1), lens.publish_time, tzinfo=lens.zone)
            expected = fresh + timedelta(hours=lens.allowed_lateness_hours)
            assert close_deadline(lens, day.isoformat()) == expected
            assert close_deadline(lens, day.isoformat()).utcoffset() == expected.utcoffset()


def test_clean_text_drops_control_characters_and_collapses_space() -> None:
    assert clean_text("a\x00b \n\n c\x1b") == "a b c"
