"""Time the day close alone, without a broker: `python -m benchmarks.close [--items N] [--profile]`.

Builds the benchmark's N-item day (`benchmarks.dataset`), runs it through the in-process
pipeline (the same `streams.flow` functions the worker's agents call, over dicts, partitioned
as the worker partitions), counting the state writes (each one a changelog record in the worker),
then times the rebuild of the in-memory story graphs from the kept records (what a restarted
worker does before its first record of the day) and one close round: the markers into every
partition, each partition's hand-over, and the brief. With `--profile`, cProfile's top
functions of the close.

The full benchmark (`benchmarks.run`) measures the close on a real broker, where faust's table
adds its own cost per key read; this isolates what Usul's close does.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from benchmarks import dataset
from models import topics
from models.items import EnrichedItem
from streams.inprocess import InProcessPipeline
from streams.lenses import load_lens
from streams.stages.normalise import close_deadline

LENS = "ai-safety-governance"
PARTITIONS = 4  # the worker's default (streams.settings)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the close, print the top functions")
    args = parser.parse_args(argv)
    lens = load_lens(LENS)
    day = dataset.build(args.items)
    moment = close_deadline(lens, day.day) - timedelta(hours=lens.allowed_lateness_hours)
    pipeline = InProcessPipeline([lens], moment, PARTITIONS)
    pipeline.state = {p: CountingDict() for p in pipeline.state}
    began = time.perf_counter()
    for record in day.records:
        pipeline.raw(record.value)
    loaded = time.perf_counter() - began
    print(f"load  {args.items} items in {loaded:.1f} s ({args.items / loaded:.0f} items/s in process)")
    forwarded = [o for o in pipeline.on(topics.ENRICHED) if isinstance(o, EnrichedItem)]
    relevant = sum(item.relevant for item in forwarded)
    kinds: Counter[str] = sum((state.writes for state in pipeline.state.values()), Counter())
    items = sum(kinds.values()) - kinds["seen"]  # `seen` tallies: one per run of records (here one per record)
    print(f"state writes by the cluster stage: {items} for {len(forwarded)} forwarded items ({relevant} relevant): "
          f"{items / max(1, len(forwarded)):.2f} per forwarded item, {items / max(1, relevant):.2f} per relevant "
          f"item; by kind {dict(kinds.most_common())}")
    rebuild(pipeline, day.day)
    profiler = cProfile.Profile() if args.profile else None
    began = time.perf_counter()
    if profiler:
        profiler.enable()
    pipeline.close(LENS, day.day, f"close-{datetime.now(UTC):%H%M%S}")
    if profiler:
        profiler.disable()
    closed = time.perf_counter() - began
    brief = pipeline.on(topics.BRIEFS)[-1]
    print(f"close {closed:.2f} s  seen={brief.items_seen} relevant={brief.items_relevant} "
          f"stories={len(pipeline.on(topics.DAY_CLOSED)[-1].stories)} brief={brief.content_hash[:12]}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        print(out.getvalue())


class CountingDict(dict):  # type: ignore[type-arg]
    """A partition's state that counts its writes by key kind (each a changelog record in the worker)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: Counter[str] = Counter()

    def __setitem__(self, key: str, value: object) -> None:
        self.writes[key.split("|", 1)[0]] += 1
        super().__setitem__(key, value)


def rebuild(pipeline: InProcessPipeline, day: str) -> None:
    """Drop the in-memory story graphs and rebuild them from the kept records, as a restart does."""
    pipeline.flow.graphs.clear()
    began = time.perf_counter()
    nodes = sum(len(pipeline.flow.graphs.of(state, LENS, day).entries) for state in pipeline.state.values())
    print(f"rebuild {time.perf_counter() - began:.1f} s: the story graphs of {nodes} kept items, after a restart")


if __name__ == "__main__":
    main(sys.argv[1:])
