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
        self.scope = (table, self.prefix)  # what the in-memory story graphs know this state by

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
