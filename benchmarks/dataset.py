"""The benchmark's stream: real items re-keyed into one large, realistic day, pre-encoded.

Every item keeps its real title and text; only its identity and timing change:

* copy `n` of an item gets the id `<id>#b<n>` and the URL `<url>?b=<n>` (`&b=<n>` when it has a
  query already). A query parameter, not a fragment: canonical URLs drop fragments, so a
  fragment would make every copy a duplicate of the first;
* publication times follow a day's rhythm in the lens's time zone (quiet at night, busiest in
  the working day), never exactly midnight (that would read as a date-only timestamp);
* `observed_at` is the publication time plus a feed delay (median about 8 minutes), as the
  poller would stamp it, so every item belongs to the benchmark day and none is late.

Copies of one real item carry the same text, so near-duplicate clustering puts them in one
story: a 100,000-item day built from the ~10,000 real items has stories about ten times larger
than a real day's. `Dataset.stats` says how many copies there are so the report can say so.

Without the shared real data the bundled sample day is scaled the same way.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from models.codec import encode
from models.items import RawItem
from streams.stages.bundles import bundled
from streams.stages.normalise import raw_key

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO.parent / "shared" / "data" / "real"
SAMPLE = REPO / "samples" / "sample-day.jsonl"

# Relative items per hour of the day (lens time zone): news is quiet at night, busiest at 9-17.
DIURNAL = (0.25, 0.2, 0.15, 0.15, 0.2, 0.35, 0.6, 0.9, 1.2, 1.4, 1.5, 1.5,
           1.45, 1.45, 1.5, 1.5, 1.4, 1.25, 1.1, 0.95, 0.8, 0.65, 0.5, 0.35)


@dataclass(frozen=True)
class Record:
    """One raw item ready to send: the raw topic's key, the JSON value, and the item id."""

    id: str
    key: bytes
    value: bytes


@dataclass
class Dataset:
    day: str
    records: list[Record]
    source: str
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.records]

    @property
    def bytes(self) -> int:
        return sum(len(r.value) for r in self.records)

    def bundled(self, size: int, partitions: int) -> list[Record]:
        """The day as Usul's producers send it: bundles of at most `size` items, cut per partition
        (`streams.stages.bundles`); each is keyed by its first item's key, which Kafka's default
        partitioner puts on the partition of all its items."""
        items = [RawItem.model_validate_json(r.value) for r in self.records]
        return [Record(r.value.id, r.key.encode(), encode(r.value)) for r in bundled(items, partitions, size)]


def load_originals(real_dir: Path = REAL_DATA, sample: Path = SAMPLE) -> tuple[list[dict[str, Any]], str]:
    """The real items (all files), else the bundled sample day."""
    files = sorted(real_dir.glob("*.jsonl")) if real_dir.is_dir() else []
    source = "shared real data" if files else "samples/sample-day.jsonl"
    items: dict[str, dict[str, Any]] = {}  # by id: some listings appear in two files
    for path in files or [sample]:
        for line in path.read_bytes().splitlines():
            try:
                item = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
                items.setdefault(item["id"], item)
    if not items:
        raise RuntimeError("no items to build the benchmark stream from")
    return list(items.values()), source


def build(n: int, day: str = "2026-01-08", zone: str = "Europe/London", seed: int = 20260108,
          originals: list[dict[str, Any]] | None = None, source: str | None = None,
          tag: str = "b") -> Dataset:
    """`n` items of `day`: the originals cycled (copy number = how often the item came round),
    shuffled, each with a realistic publication and observation time."""
    if originals is None:
        originals, source = load_originals()
    rng = random.Random(seed)
    order = list(range(len(originals)))
    rng.shuffle(order)
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=ZoneInfo(zone))
    hours = rng.choices(range(24), weights=DIURNAL, k=n)
    records = []
    for i in range(n):
        copy, original = divmod(i, len(originals))
        item = originals[order[original]]
        published = start + timedelta(hours=hours[i], seconds=rng.uniform(1, 3599))
        delay = timedelta(seconds=min(rng.lognormvariate(math.log(480), 0.8), 3 * 3600))
        records.append((published + delay, _record(item, copy, published, published + delay, tag)))
    records.sort(key=lambda pair: pair[0])  # arrival order is observation order
    ordered = [record for _, record in records]
    return Dataset(day, ordered, source or "given", {
        "originals": len(originals), "copies_per_item": math.ceil(n / len(originals)),
        "mean_value_bytes": round(sum(len(r.value) for r in ordered) / max(n, 1))})


def _record(item: dict[str, Any], copy: int, published: datetime, observed: datetime, tag: str) -> Record:
    new_id = f"{item['id']}#{tag}{copy}"
    url = item.get("url") or ""
    if url:
        url = f"{url.split('#', 1)[0]}{'&' if '?' in url else '?'}{tag}={copy}"
    value = {
        "id": new_id, "source": item.get("source") or "", "url": url, "title": item.get("title") or "",
        "text": item.get("text") or "", "published_at": published.isoformat(timespec="seconds"),
        "kind": item.get("kind") or "article", "lang": item.get("lang") or "en",
        "observed_at": observed.isoformat(timespec="milliseconds"),
    }
    return Record(new_id, raw_key(RawItem.model_validate(value)).encode(), orjson.dumps(value))
