"""`streams.state`: a partition's slice of a table, and the scratch day a close rebuilds."""

from __future__ import annotations

from collections import defaultdict

import pytest

from streams.state import DayOverlay, PartitionView


def test_partition_views_keep_their_keys_apart_and_never_invent_one() -> None:
    table: defaultdict[str, object] = defaultdict(lambda: None)  # like a faust table with a default
    zero, one = PartitionView(table, 0), PartitionView(table, 1)
    zero["story|lens|2026-01-08|a"] = {"n": 1}
    one["story|lens|2026-01-08|b"] = {"n": 2}
    assert list(zero) == ["story|lens|2026-01-08|a"] and list(one) == ["story|lens|2026-01-08|b"]
    assert zero.get("story|lens|2026-01-08|b") is None and zero.get("missing", "dflt") == "dflt"
    with pytest.raises(KeyError):
        zero["missing"]
    assert len(table) == 2  # no lookup added a key
    del zero["story|lens|2026-01-08|a"]
    assert len(zero) == 0 and len(one) == 1


def test_a_day_overlay_writes_only_its_day_and_reads_the_rest_through() -> None:
    base = {"story|lens|2026-01-07|x": 1, "story|lens|2026-01-08|old": 2}
    day = DayOverlay(base, "lens", "2026-01-08")
    assert day.get("story|lens|2026-01-07|x") == 1 and day.get("story|lens|2026-01-08|old") is None
    day["story|lens|2026-01-08|new"] = 3
    with pytest.raises(KeyError):
        day["story|lens|2026-01-07|y"] = 4
    assert list(day) == ["story|lens|2026-01-08|new"] and base["story|lens|2026-01-08|old"] == 2
