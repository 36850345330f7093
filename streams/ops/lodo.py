"""Leave-one-day-out evaluation over the whole labeled days. Pure functions plus the report.

Each labeled day is held out in turn: whatever is fitted from labels (a relevance model and its
threshold) is fitted on the other days only, then the held-out day is replayed through the
worker's own flow with the lens that fit produced and scored (`streams.ops.evaluate.day_scores`).
Feeds repeat items across days (arXiv lists papers twice, digests re-list lab posts for weeks),
so every item of another day whose id or canonical URL also appears in the held-out day is left
out of its training set too; otherwise the held-out figure would measure memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

from models.items import RawItem
from models.lens import Lens
from streams.ops.evaluate import DayLabels, DayScores, day_scores, replay_day
from streams.ops.replay import day_window, read_window
from streams.stages.normalise import canonical_url

__all__ = ["Fitter", "LabeledItem", "day_items", "leakage_keys", "lodo", "table", "training_items"]


@dataclass(frozen=True)
class LabeledItem:
    day: str
    item: RawItem
    relevant: bool

    @property
    def keys(self) -> set[str]:
        """What makes two items the same item across days: the id, or the canonical URL."""
        url = canonical_url(self.item.url) if self.item.url else ""
        return {f"id:{self.item.id}"} | ({f"url:{url}"} if url else set())


# Given the training items and the lens, the lens to judge the held-out day with.
Fitter = Callable[[Sequence[LabeledItem], Lens], Lens]


def day_items(labels: DayLabels, data: Path, lens: Lens) -> list[LabeledItem]:
    """Every item of the day's files in its window (what the replay reads), once per id."""
    items, _ = read_window([data / name for name in labels.files], day_window(lens, labels.day))
    unique = {item.id: item for item in items}
    return [LabeledItem(labels.day, item, item.id in labels.story) for item in unique.values()]


def leakage_keys(items: Sequence[LabeledItem]) -> set[str]:
    return set().union(*(i.keys for i in items)) if items else set()


def training_items(by_day: dict[str, list[LabeledItem]], held_out: str) -> list[LabeledItem]:
    """The items of every other day, less those that the held-out day also holds."""
    banned = leakage_keys(by_day[held_out])
    return [i for day, items in sorted(by_day.items()) if day != held_out for i in items
            if banned.isdisjoint(i.keys)]


def lodo(days: Sequence[DayLabels], data: Path, lens: Lens, fitter: Fitter | None) -> list[DayScores]:
    """Each day scored with the lens fitted without it (`fitter` None: nothing is fitted)."""
    by_day = {labels.day: day_items(labels, data, lens) for labels in days} if fitter else {}
    scores = []
    for labels in days:
        fold_lens = fitter(training_items(by_day, labels.day), lens) if fitter else lens
        scores.append(day_scores(labels, replay_day(labels, data, fold_lens), fold_lens))
    return scores


def table(scores: Sequence[DayScores]) -> list[str]:
    """One line per day, then the mean and the worst day of each measure."""
    head = f"{'day':<11} {'P':>5} {'R':>5} {'F1':>5} {'BCub':>6} {'top':>5} {'tiers':>6} {'dup':>4}"
    lines = [head] + [_row(d.day, d.relevance.precision, d.relevance.recall, d.relevance.f1,
                           d.stories.f1, f"{d.top_found}/{d.top_wanted}", d.tier_recall, d.duplicates)
                      for d in scores]
    if not scores:
        return lines
    columns = _columns(scores)
    lines.append(_row("mean", *(mean(c) for c in columns[:4]), f"{mean(columns[4]):.2f}",
                      mean(columns[5]), f"{mean(columns[6]):.1f}"))
    lines.append(_row("worst", *(min(c) for c in columns[:4]), f"{min(columns[4]):.0f}/4",
                      min(columns[5]), str(max(columns[6]))))
    return lines


def _columns(scores: Sequence[DayScores]) -> list[list[float]]:
    return [[d.relevance.precision for d in scores], [d.relevance.recall for d in scores],
            [d.relevance.f1 for d in scores], [d.stories.f1 for d in scores],
            [4 * d.top_found / d.top_wanted if d.top_wanted else 0.0 for d in scores],
            [d.tier_recall for d in scores], [d.duplicates for d in scores]]


def _row(day: str, p: float, r: float, f1: float, bcubed: float, top: str, tiers: float, dup: object) -> str:
    return f"{day:<11} {p:5.2f} {r:5.2f} {f1:5.2f} {bcubed:6.3f} {top:>5} {tiers:6.2f} {dup!s:>4}"
