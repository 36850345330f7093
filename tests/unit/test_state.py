"""`streams.state`: a partition's slice of a table."""

from __future__ import annotations

from collections import defaultdict

import pytest

from streams.state import PartitionView


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
    assert zero.scope == PartitionView(table, 0).scope != one.scope  # how the story graphs know a slice
