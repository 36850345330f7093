"""Time the two per-item stages alone, without a broker: `python -m benchmarks.stages [--items N]`.

Builds the benchmark's N-item day (`benchmarks.dataset`) and runs it through `Flow.on_raw`
(normalise: decode, enrich, classify, dedup) and then `Flow.on_enriched_run` (cluster) over dicts,
the code the worker's agents call; prints milliseconds per raw item for each. What is left of a
worker's CPU per item beyond these is faust, Kafka and the changelog.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from benchmarks import dataset
from models.codec import encode
from models.dead_letters import Origin
from streams.flow import Flow, JudgedTally
from streams.lenses import load_lens
from streams.metrics import Metrics
from streams.topology import BATCH_RECORDS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args(argv)
    day = dataset.build(args.items)
    flow, seen, now = Flow([load_lens("ai-safety-governance")], Metrics(CollectorRegistry())), {}, datetime.now(UTC)
    began = time.perf_counter()
    outs = []
    for start in range(0, len(day.records), BATCH_RECORDS):  # batched as the normalise agent takes them
        judged = JudgedTally()
        for record in day.records[start : start + BATCH_RECORDS]:
            outs += flow.on_raw_record(record.value, seen, Origin("raw"), now, judged)
        outs += judged.records()
    normalised = time.perf_counter() - began
    enriched = [(encode(out.value), Origin("enriched")) for out in outs]
    began = time.perf_counter()
    flow.on_enriched_run(enriched, {}, now)
    clustered = time.perf_counter() - began
    n = len(day.records)
    print(f"{n} items: normalise {1000 * normalised / n:.3f} ms/item, cluster {1000 * clustered / n:.3f} ms/item "
          f"({len(enriched)} enriched records)")


if __name__ == "__main__":
    main(sys.argv[1:])
