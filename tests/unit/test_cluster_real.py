"""Clustering quality on real archived items against a hand-labelled gold set (BCubed).

The gold files under eval_labels/ hold only item ids and story labels; the texts are read from
the shared real-data directory next to the repository and the test skips when it is absent.
Each gold file is one lens-day: all its items are fed in publication order as relevant.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from models.items import EnrichedItem
from streams.cluster import assign_all
from streams.cluster_eval import BCubed, bcubed

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
LABELS = Path(__file__).parent / "eval_labels"
# Measured F1 of the current clusterer on each gold day, minus a margin for harmless drift.
EXPECTED_F1 = {"stories-2026-01-08.jsonl": 0.96, "stories-2026-04-10.jsonl": 0.89}
MARGIN = 0.05

pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real data directory absent: {REAL}")


def _canonical(url: str) -> str:
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not k.startswith("utm_")])
    return urlunsplit(("https", parts.netloc.lower(), parts.path.rstrip("/"), query, ""))


def _enriched(raw: dict[str, object], day: str) -> EnrichedItem:
    published = raw.get("published_at")
    at = datetime.fromisoformat(str(published)) if published else datetime.fromisoformat(day + "T00:00:00+00:00")
    url = str(raw["url"])
    return EnrichedItem(
        id=str(raw["id"]), lens="ai-safety-governance", source=str(raw["source"]),
        outlet=str(raw["source"]), url=url, canonical_url=_canonical(url),
        url_key=hashlib.sha1(_canonical(url).encode()).hexdigest()[:16], title=str(raw["title"]),
        text=str(raw["text"]), kind=str(raw["kind"]), lang=str(raw["lang"]), published_at=at,
        observed_at=at.astimezone(UTC), event_at=at.astimezone(UTC), time_basis="published",
        day=day, relevant=True,
    )


def evaluate(label_file: Path) -> BCubed:
    """Feed the gold items of one label file in publication order and score the clustering."""
    gold_rows = [json.loads(line) for line in label_file.read_text().splitlines() if line]
    gold = {row["id"]: row["story"] for row in gold_rows}
    day = label_file.stem.removeprefix("stories-")
    items = []
    for name in sorted({row["file"] for row in gold_rows}):
        for line in (REAL / name).read_text().splitlines():
            raw = json.loads(line)
            if raw["id"] in gold:
                items.append(_enriched(raw, day))
    items.sort(key=lambda it: (it.event_at, it.id))
    return bcubed(assign_all({}, items), gold)


@pytest.mark.parametrize("label_file", sorted(EXPECTED_F1))
def test_clustering_quality_on_a_real_day_holds(label_file: str) -> None:
    score = evaluate(LABELS / label_file)
    assert score.f1 >= EXPECTED_F1[label_file] - MARGIN, score
