"""Whole labeled days replayed through the worker's flow (`usul eval`'s day figures), and the
measures behind them on hand-made runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from models.briefs import Brief
from models.control import RankedStory
from streams.lenses import DEFAULT_LENS, load_lens
from streams.ops.evaluate import DEFAULT_DATA, DEFAULT_LABELS, DayLabels, DayRun, day_scores, replay_day

LENS = load_lens(DEFAULT_LENS)
# Measured with `usul eval` (relevance F1, BCubed F1, gold top found in top 4+2), minus a margin
# for label noise; the figures themselves are in the closing notes, not here.
FLOORS = {"2026-01-08": (0.55, 0.85, 2), "2026-04-10": (0.65, 0.88, 2)}


def _story(sid: str, rank: int, items: list[str]) -> RankedStory:
    tier = "top" if rank <= LENS.top_items else "noteworthy" if rank <= 16 else "minor"
    return RankedStory(story_id=sid, rank=rank, tier=tier, score=3.0 - rank / 10, confidence="medium",
                       category=None, headline=sid, items=items)


def _run(stories: list[RankedStory], inputs: set[str]) -> DayRun:
    brief = Brief.model_construct(top_items=[], noteworthy=[])
    return DayRun({i: i for i in inputs}, {}, stories, brief, 0.0)


LABELS = DayLabels("2026-01-08", [], ["deal", "ruling"], ["launch"],
                   {i: "policy-regulation" for i in ("a1", "a2", "b1", "c1")},
                   {"a1": "deal", "a2": "deal", "b1": "ruling", "c1": "launch"})


def test_day_scores_count_relevance_top_stories_and_duplicates() -> None:
    stories = [_story("s1", 1, ["a1"]), _story("s2", 2, ["a2", "x"]), _story("s3", 7, ["b1"])]
    d = day_scores(LABELS, _run(stories, {"a1", "a2", "b1", "c1", "x", "y"}), LENS)
    assert (d.relevance.tp, d.relevance.fp, d.relevance.fn, d.relevance.tn) == (3, 1, 1, 1)
    assert (d.top_found, d.top_wanted) == (1, 2)  # the ruling ranks 7th: outside the top 4+2
    assert d.tier_recall == pytest.approx(2 / 3)  # deal and ruling are in the brief, the launch is not
    assert d.duplicates == 1  # s2 carries the deal again
    assert d.stories.precision == pytest.approx(1.0) and d.stories.recall < 1.0


def test_items_both_sides_call_relevant_are_the_only_ones_scored_for_stories() -> None:
    stories = [_story("s1", 1, ["a1", "a2", "b1", "x"])]
    d = day_scores(LABELS, _run(stories, {"a1", "a2", "b1", "x"}), LENS)
    assert d.stories.recall == pytest.approx(1.0) and d.stories.precision < 1.0


@pytest.mark.skipif(not DEFAULT_DATA.is_dir(), reason=f"real data directory absent: {DEFAULT_DATA}")
@pytest.mark.parametrize("day", sorted(FLOORS))
def test_a_labeled_day_through_the_pipeline_holds_its_figures(day: str) -> None:
    labels = DayLabels.read(DEFAULT_LABELS / f"day-{day}.json")
    run = replay_day(labels, DEFAULT_DATA, LENS)
    d = day_scores(labels, run, LENS)
    f1, bcubed, top = FLOORS[day]
    assert d.relevance.f1 >= f1 and d.stories.f1 >= bcubed and d.top_found >= top, d
    assert run.brief.day == day and run.brief.top_items


def test_day_labels_are_well_formed() -> None:
    categories = set(LENS.categories)
    for path in DEFAULT_LABELS.glob("day-*.json"):
        labels = DayLabels.read(path)
        stories = set(labels.story.values())
        assert set(labels.category.values()) <= categories, path
        assert set(labels.top + labels.noteworthy) <= stories, path
        assert not set(labels.top) & set(labels.noteworthy), path
        assert Path(path).name == f"day-{labels.day}.json"
        assert date.fromisoformat(labels.day).isoformat() == labels.day
