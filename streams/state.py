"""A partition's own slice of a faust table, as a plain MutableMapping. Pure.

faust writes a table key's changelog into the partition of the event being processed, and a
worker's local table holds the keys of every partition it owns. Prefixing keys with the
partition keeps each partition's state apart, so a close marker in partition 2 hands over only
what partition 2 saw, and recovery restores each slice from its own changelog partition.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any


class PartitionView(MutableMapping[str, Any]):
    def __init__(self, table: MutableMapping[str, Any], partition: int) -> None:
        self.table = table
        self.prefix = f"p{partition}|"

    def __getitem__(self, key: str) -> Any:
        full = self.prefix + key
        if full not in self.table:  # faust tables with a default would invent the key
            raise KeyError(key)
        return self.table[full]

    def get(self, key: str, default: Any = None) -> Any:
        """Without the base class's raise-and-catch: the clustering misses far more than it hits."""
        full = self.prefix + key
        return self.table[full] if full in self.table else default

    def __setitem__(self, key: str, value: Any) -> None:
        self.table[self.prefix + key] = value

    def __delitem__(self, key: str) -> None:
        del self.table[self.prefix + key]

    def __iter__(self) -> Iterator[str]:
        size = len(self.prefix)
        return (key[size:] for key in list(self.table.keys()) if key.startswith(self.prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class DayOverlay(MutableMapping[str, Any]):
    """A scratch copy of one lens-day over the real state: that day's keys live only here, every
    other key is read (never written) through to the base. Used to cluster a closing day again
    from scratch in a canonical order, while still seeing earlier days for cross-day links."""

    def __init__(self, base: MutableMapping[str, Any], lens: str, day: str) -> None:
        self.base = base
        self.infix = f"|{lens}|{day}|"
        self.own: dict[str, Any] = {}

    def _mine(self, key: str) -> bool:
        return self.infix in key

    def __getitem__(self, key: str) -> Any:
        return self.own[key] if self._mine(key) else self.base[key]

    def get(self, key: str, default: Any = None) -> Any:
        # the rebuild's lookups mostly miss (index buckets, earlier days): no KeyError raised per miss
        return self.own.get(key, default) if self._mine(key) else self.base.get(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        if not self._mine(key):
            raise KeyError(f"{key!r} is outside the day being rebuilt")
        self.own[key] = value

    def __delitem__(self, key: str) -> None:
        del self.own[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.own))

    def __len__(self) -> int:
        return len(self.own)
