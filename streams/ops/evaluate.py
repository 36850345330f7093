"""Measure a lens on hand-labelled real items: relevance, categories, story grouping, ranking.

Pure functions over label rows and item files, plus `main` (wired as `usul eval`). The label
files hold ids and judgements only; the item texts are read from a directory of real JSON Lines
files (by default `../shared/data/real` next to the repository).

Label files, recognised by their name in the labels directory (labeling rules: RULES.md there):

- `day-<day>.json`: one lens-day labeled whole: `{"day", "files", "top", "noteworthy", "items"}`;
  `items` are the day's relevant items `{"id", "category", "story"}` (every other item of the
  files is not relevant), `top` and `noteworthy` name the gold stories an analyst would put in
  those tiers. The day is replayed through the worker's own flow (`streams.inprocess`: raw items
  in, close markers, brief out) and scored on relevance, story BCubed, top stories, tier recall and
  duplicate brief items (`DayScores`).
- `relevance-<part>.jsonl`: `{"id", "file", "relevant", "category", "also"?}`, a sample across
  other days; `also` lists other categories an analyst would accept. Each part is reported on its
  own (`tune` is what term lists were tuned against, `holdout` never was).
- `stories-<day>.jsonl`: `{"id", "file", "story"}`; gold story of each item of one lens-day.
  All gold items are clustered as relevant, in canonical order (event time, id), the order the
  closed day holds (`streams.flow.Flow._day_stories`); reported as BCubed P/R/F1.
- `ranking-<day>.jsonl`: `{"day", "files", "story", "items"}`: a story an analyst would put in
  the day's top 4, named by some of its item ids. The day's files are replayed through the
  worker's flow like a day file, and a story counts as found in the top k when one of the closed
  day's top-k stories holds any of its items.

In the samples, relevance is the classifier's verdict on the item, independent of the day it falls
on; in a day file it is the pipeline's: the item is in one of the closed day's stories.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from models import topics
from models.briefs import Brief
from models.codec import encode
from models.control import RankedStory
from models.items import EnrichedItem
from models.lens import Lens
from streams.ingest.parse import parse_json_item
from streams.inprocess import InProcessPipeline
from streams.ops.bcubed import BCubed, bcubed
from streams.ops.replay import day_window, read_window, stamp_observed
from streams.settings import REPO_ROOT
from streams.stages import cluster
from streams.stages.classify import Verdict, classify
from streams.stages.enrich import enrich

__all__ = [
    "DEFAULT_DATA", "DEFAULT_LABELS", "ItemFiles", "RankingHits", "RelevanceScores", "load_rows",
    "ranking_hits", "relevance_scores", "replay_day", "replay_files", "story_bcubed",
]

DEFAULT_LABELS = REPO_ROOT / "tests" / "labels"
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "real"
FIELDS = ("title", "text", "source", "url", "kind", "lang")


@dataclass
class RelevanceScores:
    """Confusion counts of the relevance decision and category hits among true positives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    category_hits: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def category_accuracy(self) -> float:
        return self.category_hits / self.tp if self.tp else 0.0

    def add(self, truth: bool, said: bool, category_ok: bool) -> None:
        if truth and said:
            self.tp += 1
            self.category_hits += category_ok
        elif said:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1


@dataclass(frozen=True)
class RankingHits:
    """How many of the analyst's top stories Usul's top 4 and top 16 contain."""

    day: str
    wanted: int
    in_top4: int
    in_top16: int


class ItemFiles:
    """Real item files by name, each read once."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, dict[str, dict[str, Any]]] = {}

    def file(self, name: str) -> dict[str, dict[str, Any]]:
        if name not in self._cache:
            rows = load_rows(self.directory / name)
            self._cache[name] = {row["id"]: row for row in rows}
        return self._cache[name]

    def item(self, name: str, item_id: str) -> dict[str, Any]:
        return self.file(name)[item_id]


def load_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# ---------------------------------------------------------------- relevance and categories


def relevance_scores(labels: Iterable[Mapping[str, Any]], files: ItemFiles, lens: Lens) -> RelevanceScores:
    """Classifier verdicts against the labels; errors list the misjudged items for reading."""
    scores = RelevanceScores()
    for label in labels:
        item = files.item(label["file"], label["id"])
        verdict = _verdict(item, lens)
        accepted = {label["category"], *label.get("also", [])}
        ok = verdict.category in accepted
        scores.add(bool(label["relevant"]), verdict.relevant, ok)
        if verdict.relevant != bool(label["relevant"]) or (verdict.relevant and not ok):
            kind = "fp" if verdict.relevant and not label["relevant"] else (
                "fn" if not verdict.relevant else "cat")
            scores.errors.append(f"{kind} {label['id']} [{verdict.category} vs {label['category']}] "
                                 f"{item.get('title', '')[:90]}")
    return scores


# ---------------------------------------------------------------- story grouping


def _verdict(item: Mapping[str, Any], lens: Lens) -> Verdict:
    """The classifier's verdict on a real item row, as the normalise stage would ask for it."""
    return classify(*(str(item.get(f) or "") for f in FIELDS), lens=lens)


def _enriched(raw: Mapping[str, Any], lens: Lens, day: str) -> EnrichedItem:
    item = parse_json_item(json.dumps(raw), raw["id"], day_window(lens, day).end)
    item = stamp_observed(item, day_window(lens, day))
    enriched = enrich(item, lens, item.observed_at or day_window(lens, day).end)
    return enriched.model_copy(update={"relevant": True, "day": day})


def story_bcubed(gold_rows: Sequence[Mapping[str, Any]], files: ItemFiles, lens: Lens, day: str) -> BCubed:
    """Cluster the gold items of one day as relevant, in canonical order, and score BCubed."""
    gold = {row["id"]: row["story"] for row in gold_rows}
    items = [_enriched(files.item(row["file"], row["id"]), lens, day) for row in gold_rows]
    items.sort(key=lambda it: (it.event_at, it.id))
    return bcubed(cluster.assign_all(items), gold)


# ---------------------------------------------------------------- ranking


def ranking_hits(ranked: Sequence[RankedStory], wanted: Sequence[Sequence[str]], day: str) -> RankingHits:
    """`ranked` in rank order; a wanted story is found when a story of the top k holds any of its items."""
    def found(ids: Sequence[str], k: int) -> bool:
        return any(set(ids) & set(story.items) for story in ranked[:k])

    return RankingHits(day, len(wanted), sum(found(ids, 4) for ids in wanted),
                       sum(found(ids, 16) for ids in wanted))


# ---------------------------------------------------------------- whole labeled days


@dataclass(frozen=True)
class DayLabels:
    day: str
    files: list[str]
    top: list[str]
    noteworthy: list[str]
    category: dict[str, str]  # relevant item id -> category
    story: dict[str, str]  # relevant item id -> gold story key

    @classmethod
    def read(cls, path: Path) -> DayLabels:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data["items"]
        return cls(data["day"], data["files"], data["top"], data["noteworthy"],
                   {i["id"]: i["category"] for i in items}, {i["id"]: i["story"] for i in items})

    def items_of(self, story: str) -> set[str]:
        return {item for item, key in self.story.items() if key == story}


@dataclass(frozen=True)
class DayRun:
    """What the pipeline made of a day: every input id, each item's category, the ranked stories."""

    titles: dict[str, str]  # every input id -> its headline, for reading the misjudged ones
    categories: dict[str, str | None]
    stories: list[RankedStory]  # by rank
    brief: Brief
    seconds: float

    @property
    def inputs(self) -> set[str]:
        return set(self.titles)


@dataclass(frozen=True)
class DayScores:
    day: str
    relevance: RelevanceScores
    stories: BCubed
    top_found: int  # gold top stories among the brief's top items plus two
    top_wanted: int
    tier_recall: float  # gold top+noteworthy stories found among the brief's top+noteworthy
    duplicates: int  # brief items whose gold story an earlier brief item already carries
    seconds: float


def replay_day(labels: DayLabels, data: Path, lens: Lens) -> DayRun:
    return replay_files(labels.files, labels.day, data, lens)


def replay_files(files: Sequence[str], day: str, data: Path, lens: Lens) -> DayRun:
    """Every item of the files in the day's window through the worker's flow, then one close round."""
    began = time.monotonic()
    window = day_window(lens, day)
    pipeline = InProcessPipeline([lens], window.end + timedelta(hours=lens.allowed_lateness_hours))
    items, _ = read_window([data / name for name in files], window)
    for item in items:
        pipeline.raw(encode(item))
    titles = {item.id: item.title for item in items}
    pipeline.close(lens.slug, day, "eval")
    (closed,) = pipeline.on(topics.DAY_CLOSED)
    (brief,) = pipeline.on(topics.BRIEFS)
    categories = {i.id: i.category for i in pipeline.on(topics.ENRICHED) if isinstance(i, EnrichedItem)}
    for story in closed.stories:  # an item that joined by association is filed under its story's
        categories.update({i: categories.get(i) or story.category for i in story.items})
    return DayRun(titles, categories, sorted(closed.stories, key=lambda s: s.rank), brief,
                  time.monotonic() - began)


def day_scores(labels: DayLabels, run: DayRun, lens: Lens) -> DayScores:
    story_of = {item: s.story_id for s in run.stories for item in s.items}
    relevance = RelevanceScores()
    for item in sorted(run.inputs):
        said = item in story_of
        relevance.add(item in labels.story, said, run.categories.get(item) == labels.category.get(item))
    both = story_of.keys() & labels.story.keys()
    b = bcubed({i: story_of[i] for i in both}, {i: labels.story[i] for i in both})
    in_brief = [s for s in run.stories if s.tier in ("top", "noteworthy")]
    top_plus_two = [s for s in run.stories if s.rank <= lens.top_items + 2]
    wanted = labels.top + labels.noteworthy
    return DayScores(
        labels.day, relevance, b,
        top_found=sum(_found(labels.items_of(g), top_plus_two) for g in labels.top), top_wanted=len(labels.top),
        tier_recall=sum(_found(labels.items_of(g), in_brief) for g in wanted) / len(wanted) if wanted else 0.0,
        duplicates=_duplicates(in_brief, labels), seconds=run.seconds)


def _found(gold_items: set[str], stories: Sequence[RankedStory]) -> bool:
    return any(gold_items & set(s.items) for s in stories)


def _duplicates(brief_stories: Sequence[RankedStory], labels: DayLabels) -> int:
    """A brief item duplicates another when the gold story most of its labeled items belong to
    is already carried by a higher-ranked brief item."""
    carried: set[str] = set()
    duplicates = 0
    for story in brief_stories:
        gold = Counter(labels.story[i] for i in story.items if i in labels.story)
        if not gold:
            continue
        main = gold.most_common(1)[0][0]
        duplicates += main in carried
        carried.add(main)
    return duplicates


# ---------------------------------------------------------------- the command


def relevance_report(labels_dir: Path, files: ItemFiles, lens: Lens, verbose: bool) -> list[str]:
    lines = []
    for path in sorted(labels_dir.glob("relevance-*.jsonl")):
        part = path.stem.removeprefix("relevance-")
        s = relevance_scores(load_rows(path), files, lens)
        lines.append(f"relevance {part:<8} n={s.n:<4} relevant={s.tp + s.fn:<3} tp={s.tp} fp={s.fp} "
                     f"fn={s.fn}  P={s.precision:.2f} R={s.recall:.2f} F1={s.f1:.2f}  "
                     f"category accuracy={s.category_accuracy:.2f}")
        if verbose:
            lines += [f"    {e}" for e in s.errors]
    return lines


def stories_report(labels_dir: Path, files: ItemFiles, lens: Lens) -> list[str]:
    lines = []
    for path in sorted(labels_dir.glob("stories-*.jsonl")):
        day = path.stem.removeprefix("stories-")
        rows = load_rows(path)
        b = story_bcubed(rows, files, lens, day)
        lines.append(f"stories   {day} items={len(rows):<3} stories={len({r['story'] for r in rows}):<3} "
                     f"BCubed P={b.precision:.3f} R={b.recall:.3f} F1={b.f1:.3f}")
    return lines


def ranking_report(labels_dir: Path, data: Path, lens: Lens, verbose: bool) -> list[str]:
    lines = []
    for path in sorted(labels_dir.glob("ranking-*.jsonl")):
        rows = load_rows(path)
        day = rows[0]["day"]
        run = replay_files(rows[0]["files"], day, data, lens)
        h = ranking_hits(run.stories, [r["items"] for r in rows], day)
        lines.append(f"ranking   {day} analyst top={h.wanted}  in Usul top 4: {h.in_top4}/{h.wanted}  "
                     f"in top 16: {h.in_top16}/{h.wanted}")
        if verbose:
            lines += [f"    {s.rank:>2} {s.score:5.2f} {s.confidence:<6} {s.category} | {s.headline[:80]} "
                      f"({len(s.items)})" for s in run.stories[:16]]
    return lines


# ---------------------------------------------------------------- a lens change across all the data


@dataclass(frozen=True)
class VerdictChange:
    file: str
    item: Mapping[str, Any]
    relevant: bool  # the new lens's verdict; the old one said the opposite
    labeled: bool  # the item is judged in a label file (a labeled day's file, or a sample)


def verdict_changes(data: Path, labels_dir: Path, old: Lens, new: Lens) -> tuple[int, list[VerdictChange]]:
    """Every item of every real item file judged by two versions of a lens: how many items, and
    those whose relevance changes. A lens edit should show its worth on the items no label
    covers too: a term that moves only labeled items is fitted to them."""
    day_files = {name for path in labels_dir.glob("day-*.json") for name in DayLabels.read(path).files}
    sampled = {row["id"] for path in labels_dir.glob("relevance-*.jsonl") for row in load_rows(path)}
    judged, changes = 0, []
    for path in sorted(data.glob("*.jsonl")):
        for item in load_rows(path):
            before, after = _verdict(item, old).relevant, _verdict(item, new).relevant
            judged += 1
            if before != after:
                changes.append(VerdictChange(path.name, item, after, path.name in day_files or item["id"] in sampled))
    return judged, changes


def changes_report(data: Path, labels_dir: Path, old: Lens, new: Lens) -> list[str]:
    judged, changes = verdict_changes(data, labels_dir, old, new)
    labeled = sum(c.labeled for c in changes)
    lines = [f"{'+' if c.relevant else '-'} {'labeled ' if c.labeled else 'unlabeled'} {c.file} "
             f"{c.item['id']} {str(c.item.get('source', ''))[:16]} | {str(c.item.get('title', ''))[:80]}"
             for c in changes]
    return [*lines, f"{judged} items judged by both lenses: {len(changes)} change their verdict, "
                    f"{labeled} of them labeled, {len(changes) - labeled} not"]
