"""A brief's edition date and covered window, from the lens's publish schedule."""

from __future__ import annotations

from datetime import UTC, datetime, time

from models.briefs import Brief, covered_window, day_of_edition, edition_of, publish_moment
from tests.builders import make_brief, make_lens


def test_a_brief_is_titled_with_the_morning_it_is_published() -> None:
    lens = make_lens(timezone="Europe/London", publish_time=time(6, 0))
    assert publish_moment(lens, "2026-04-12") == datetime(2026, 4, 13, 5, 0, tzinfo=UTC)  # 06:00 BST
    assert edition_of(lens, "2026-04-12") == "2026-04-13"
    assert edition_of(lens, "2026-12-31") == "2027-01-01"


def test_the_edition_maps_back_to_the_day_it_covers() -> None:
    for zone, at in (("Europe/London", time(6, 0)), ("Asia/Shanghai", time(0, 0)), ("UTC", time(23, 30))):
        lens = make_lens(timezone=zone, publish_time=at)
        for day in ("2026-01-08", "2026-03-29", "2026-10-25", "2028-02-29"):
            assert day_of_edition(lens, edition_of(lens, day)) == day, (zone, day)


def test_the_covered_window_is_the_lens_day_in_utc_across_a_clock_change() -> None:
    assert covered_window("2026-01-08", "Europe/London") == (datetime(2026, 1, 8, 0, tzinfo=UTC),
                                                              datetime(2026, 1, 9, 0, tzinfo=UTC))
    start, end = covered_window("2026-03-29", "Europe/London")  # clocks go forward: a 23-hour day
    assert (start, end) == (datetime(2026, 3, 29, 0, tzinfo=UTC), datetime(2026, 3, 29, 23, tzinfo=UTC))


def test_the_json_names_the_edition_and_the_window_and_older_briefs_get_them_when_read() -> None:
    brief = make_brief(day="2026-04-16", edition="2026-04-17")
    data = brief.model_dump(mode="json")
    assert (data["edition"], data["covers_from"], data["covers_until"]) == (
        "2026-04-17", "2026-04-15T23:00:00Z", "2026-04-16T23:00:00Z")
    assert brief.title == "AI SAFETY AND GOVERNANCE - 2026-04-17"
    older = {k: v for k, v in data.items() if k not in ("edition", "covers_from", "covers_until")}
    assert Brief.model_validate(older).edition == "2026-04-17"
    assert Brief.model_validate_json(brief.model_dump_json()) == brief
