"""`streams.ops.evaluate`: the pure measures behind `usul eval`, and the ranking check on real days."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.control import RankedStory
from streams.lenses import DEFAULT_LENS, load_lens
from streams.ops.eval_command import main
from streams.ops.evaluate import (
    DEFAULT_DATA,
    ItemFiles,
    RelevanceScores,
    ranking_hits,
    relevance_scores,
)


def test_relevance_scores_count_the_confusion_matrix() -> None:
    s = RelevanceScores()
    for truth, said, ok in [(True, True, True), (True, True, False), (False, True, False),
                            (True, False, False), (False, False, False)]:
        s.add(truth, said, ok)
    assert (s.tp, s.fp, s.fn, s.tn) == (2, 1, 1, 1)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(2 / 3)
    assert s.category_accuracy == 0.5


def test_relevance_scores_judge_items_read_from_files(tmp_path: Path) -> None:
    rows = [{"id": "a", "source": "reuters.com", "url": "https://reuters.com/a", "kind": "article",
             "title": "EU regulators open antitrust probe into OpenAI chatbot deal", "text": "", "lang": "en"},
            {"id": "b", "source": "bbc.co.uk", "url": "https://bbc.co.uk/b", "kind": "article",
             "title": "Storm brings heavy snow to northern regions", "text": "", "lang": "en"}]
    (tmp_path / "day.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    labels = [{"id": "a", "file": "day.jsonl", "relevant": True, "category": "policy-regulation"},
              {"id": "b", "file": "day.jsonl", "relevant": False, "category": None}]
    s = relevance_scores(labels, ItemFiles(tmp_path), load_lens(DEFAULT_LENS))
    assert (s.tp, s.tn, s.category_hits) == (1, 1, 1) and not s.errors


def test_ranking_hits_count_stories_found_in_the_top_k() -> None:
    stories = [RankedStory(story_id=f"s{n}", rank=n + 1, tier="minor", score=1.0, confidence="low",
                           category=None, headline="", items=[f"m{n}"]) for n in range(20)]
    hits = ranking_hits(stories, [["m0"], ["m5", "x"], ["m17"], ["nowhere"]], "2026-01-08")
    assert (hits.wanted, hits.in_top4, hits.in_top16) == (4, 1, 2)


real = pytest.mark.skipif(not DEFAULT_DATA.is_dir(), reason="shared real data is absent")


@real
def test_main_prints_every_measure(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--only", "stories"]) == 0
    assert "BCubed" in capsys.readouterr().out
