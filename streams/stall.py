"""Is the worker still consuming? A watch over the consumer-lag samples. Pure.

faust-streaming can come back from a rebalance or a restart holding its partitions and reading
nothing more (CHANGELOG.md, known issues). The process still answers, so a liveness probe on
`/healthz` never restarts it, and the day's items wait forever. On every lag sample the watch is
told how many records wait on the worker's partitions and where it will read next; when records
have waited `after` seconds while no read position moved, the worker is stalled: `/livez` answers
503 and `usul_consumer_stalled` is 1, so an orchestrator restarts it and an alert can fire.

A read position that moves, a partition gained or lost, a rebalance, or a day close's hand-over
in progress (it keeps the cluster agent from reading for as long as it takes) all start the
clock again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class StallWatch:
    after: float  # seconds records may wait with no read position moving
    since: float | None = None  # when the current wait without progress began
    positions: Mapping[tuple[str, int], int] = field(default_factory=dict)
    held: int = 0  # hand-overs in progress

    def sample(self, waiting: int, positions: Mapping[tuple[str, int], int], at: float) -> None:
        """`waiting`: records not yet read on the assigned partitions; `positions`: the next
        offset to read per (topic, partition), as of monotonic time `at`."""
        moved = positions != self.positions
        self.positions = dict(positions)
        if waiting <= 0 or self.held:
            self.since = None
        elif moved or self.since is None:
            self.since = at

    def busy(self) -> None:
        """The worker is not reading on purpose (a rebalance)."""
        self.since = None

    @contextmanager
    def holding(self) -> Iterator[None]:
        """While a day's hand-over runs, its agent reads nothing on purpose."""
        self.held += 1
        try:
            yield
        finally:
            self.held -= 1

    def stalled(self, at: float) -> bool:
        return self.since is not None and at - self.since >= self.after
