"""Time the two per-item stages alone, without a broker: `python -m benchmarks.stages [--items N]`.

Builds the benchmark's N-item day (`benchmarks.dataset`) and runs it through the normalise agent's
calls (decode, enrich, classify, dedup) and then the cluster agent's, over dicts
(`streams.inprocess`, the calls the worker's agents make); prints milliseconds per raw item for each. What is left of a
worker's CPU per item beyond these is faust, Kafka and the changelog.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from benchmarks import dataset
from models.codec import encode
from models.dead_letters import Origin
from streams.inprocess import InProcessPipeline
from streams.lenses import load_lens
from streams.topology import BATCH_RECORDS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args(argv)
    day = dataset.build(args.items)
    pipeline = InProcessPipeline([load_lens("ai-safety-governance")], datetime.now(UTC), 1)
    began = time.perf_counter()
    outs = []
    for start in range(0, len(day.records), BATCH_RECORDS):  # batched as the normalise agent takes them
        outs += pipeline.normalise((r.value, Origin("raw")) for r in day.records[start : start + BATCH_RECORDS])
    normalised = time.perf_counter() - began
    enriched = [(encode(out.value), Origin("enriched")) for out in outs]
    began = time.perf_counter()
    pipeline.cluster(enriched, 0)
    clustered = time.perf_counter() - began
    n = len(day.records)
    print(f"{n} items: normalise {1000 * normalised / n:.3f} ms/item, cluster {1000 * clustered / n:.3f} ms/item "
          f"({len(enriched)} enriched records)")


if __name__ == "__main__":
    main(sys.argv[1:])
