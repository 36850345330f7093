"""Time the two per-item stages alone, without a broker: `python -m benchmarks.stages [--items N]`.

Builds the benchmark's N-item day (`benchmarks.dataset`) and runs it through the normalise agent's
calls (decode, enrich, classify, dedup) and then the cluster agent's, over dicts
(`streams.inprocess`, the calls the worker's agents make); prints milliseconds per raw item for each. What is left of a
worker's CPU per item beyond these is faust, Kafka and the changelog.

`--bundles 1,10,100` runs the normalise agent's calls once per bundle size instead, the day sent as
the producers send it (`streams.stages.bundles`, four partitions): raw records and items per
CPU-second of this process for each size. What a bundle saves beyond this is the worker's cost per
record (faust, the consumer), which only a worker on a broker shows (`benchmarks.run`).

`--functions` times the stages' hot functions instead, one at a time over the same day's items
(microseconds per call, the best of `--repeat` passes): the lens term matcher on the three
fields `classify` reads, the close deadline, the MinHash signature, and the codec both ways.

`--story-updates` grows one story of the day's relevant items an item at a time to 200 members and
prints, for the update that brings it to 1, 50 and 200 members, the bytes the cluster stage
publishes for it (`Flow.story_outs`: every record, encoded) and the time to build and encode them
(the best of `--repeat` growths), and the mean bytes per update of the growth so far; beside them,
what the stage does before that whatever it publishes: build the story from its items and score it.
"""

from __future__ import annotations

import argparse
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from benchmarks import dataset
from models import topics
from models.codec import decode, encode
from models.dead_letters import Origin
from models.items import EnrichedItem, RawItem
from models.lens import Lens
from streams.flow import Flow, _scored
from streams.inprocess import InProcessPipeline
from streams.lenses import load_lens
from streams.metrics import Metrics
from streams.stages import classify, cluster
from streams.stages.bundles import bundled
from streams.stages.lens_terms import prepare
from streams.stages.normalise import close_deadline
from streams.stages.story_text import shingles, signature
from streams.topology import BATCH_RECORDS

BUNDLE_PARTITIONS = 4  # the worker's default (USUL_PARTITIONS): bundles are cut per partition


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--functions", action="store_true", help="time the hot functions one by one")
    parser.add_argument("--story-updates", action="store_true", help="bytes and encode time of story updates by size")
    parser.add_argument("--repeat", type=int, default=3, help="passes per function (--functions, --story-updates)")
    parser.add_argument("--bundles", help="comma-separated bundle sizes: normalise per size, per CPU-second")
    args = parser.parse_args(argv)
    day = dataset.build(args.items)
    lens = load_lens("ai-safety-governance")
    if args.bundles:
        _time_bundles(lens, day, [int(size) for size in args.bundles.split(",")])
        return
    pipeline = InProcessPipeline([lens], datetime.now(UTC), 1)
    began = time.perf_counter()
    outs = []
    for start in range(0, len(day.records), BATCH_RECORDS):  # batched as the normalise agent takes them
        outs += pipeline.normalise((r.value, Origin("raw")) for r in day.records[start : start + BATCH_RECORDS])
    normalised = time.perf_counter() - began
    if args.functions or args.story_updates:
        items = [o.value for o in outs if isinstance(o.value, EnrichedItem)]
        (_time_story_updates if args.story_updates else _time_functions)(lens, items, args.repeat)
        return
    enriched = [(encode(out.value), Origin("enriched")) for out in outs]
    began = time.perf_counter()
    pipeline.cluster(enriched, 0)
    clustered = time.perf_counter() - began
    n = len(day.records)
    print(f"{n} items: normalise {1000 * normalised / n:.3f} ms/item, cluster {1000 * clustered / n:.3f} ms/item "
          f"({len(enriched)} enriched records)")


def _time_bundles(lens: Lens, day: dataset.Dataset, sizes: list[int]) -> None:
    items = [RawItem.model_validate_json(r.value) for r in day.records]
    warm = InProcessPipeline([lens], datetime.now(UTC), 1)  # the lens's model loads on first use: not timed
    warm.normalise((encode(item), Origin("raw")) for item in items[:BATCH_RECORDS])
    print(f"{len(items)} items through normalise (decode, enrich, classify, dedup), per CPU-second of this process:")
    print(f"  {'bundle':>6} {'records':>8} {'records/CPU-s':>14} {'items/CPU-s':>12} {'us/item':>8}")
    for size in sizes:
        records = [encode(r.value) for r in bundled(items, BUNDLE_PARTITIONS, size)]
        pipeline = InProcessPipeline([lens], datetime.now(UTC), 1)
        began = time.process_time()
        for start in range(0, len(records), BATCH_RECORDS):  # batched as the normalise agent takes them
            pipeline.normalise((value, Origin("raw")) for value in records[start : start + BATCH_RECORDS])
        cpu = time.process_time() - began
        print(f"  {size:>6} {len(records):>8} {len(records) / cpu:>14.0f} {len(items) / cpu:>12.0f} "
              f"{1e6 * cpu / len(items):>8.1f}")


def _time_functions(lens: Lens, items: list[EnrichedItem], repeat: int) -> None:
    index = classify._compiled(lens).index  # noqa: SLF001 - the matcher alone, without the rules around it
    shingle_sets = [shingles(i.title, i.text) for i in items]
    records = [encode(i) for i in items]

    def match(i: EnrichedItem) -> None:  # the three fields `classify` matches, as it matches them
        prepare(index, i.title, False)
        prepare(index, i.text[:1000], False, split_glued=True)
        prepare(index, i.text[:200], False)

    calls: dict[str, tuple[Callable[[object], object], Sequence[object]]] = {
        "term matching (3 fields)": (match, items),
        "close_deadline": (lambda i: close_deadline(lens, i.day), items),
        "minhash signature": (signature, shingle_sets),
        "encode enriched item": (encode, items),
        "decode enriched record": (lambda r: decode(topics.ENRICHED, r), records),
    }
    print(f"{len(items)} enriched items, best of {repeat} passes, microseconds per call:")
    for name, (call, args) in calls.items():
        best = min(timeit.repeat(lambda: [call(a) for a in args], number=1, repeat=repeat))  # noqa: B023
        print(f"  {name:<26} {1e6 * best / len(args):8.2f}")


STORY_SIZES = (1, 50, 200)


def _time_story_updates(lens: Lens, items: list[EnrichedItem], repeat: int) -> None:
    relevant = sorted((i for i in items if i.relevant), key=lambda i: (i.event_at, i.id))[: max(STORY_SIZES)]
    if len(relevant) < max(STORY_SIZES):
        raise SystemExit(f"{len(relevant)} relevant items: use more --items")
    root, day = cluster.Node.of(relevant[0]), relevant[0].day
    stories = [_scored(cluster.build_story(lens.slug, day, root, relevant[:n], None), lens)
               for n in range(1, len(relevant) + 1)]
    built = {n: min(timeit.repeat(lambda n=n: _scored(cluster.build_story(lens.slug, day, root, relevant[:n], None),
                                                      lens), number=1, repeat=repeat)) for n in STORY_SIZES}
    best = [float("inf")] * len(stories)
    sizes = [0] * len(stories)
    for _ in range(repeat):  # every growth starts from nothing published
        flow, state = Flow([lens], Metrics(CollectorRegistry())), {}
        for n, story in enumerate(stories):
            began = time.perf_counter()
            values = [encode(out.value) for out in flow.story_outs(state, story)]
            best[n] = min(best[n], time.perf_counter() - began)
            sizes[n] = sum(len(v) for v in values)
    print(f"one story grown to {len(stories)} members, best of {repeat} growths:")
    print(f"  {'members':>7} {'bytes':>9} {'ms':>8} {'mean bytes/update so far':>25} {'build+score ms':>15}")
    for n in STORY_SIZES:
        print(f"  {n:>7} {sizes[n - 1]:>9} {1000 * best[n - 1]:>8.3f} {sum(sizes[:n]) / n:>25.0f}"
              f" {1000 * built[n]:>15.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
