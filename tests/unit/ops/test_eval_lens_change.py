"""`usul eval --compare-lens`: the items of all the data whose verdict a lens edit changes."""

from __future__ import annotations

import json
from pathlib import Path

from models.lens import Lens
from streams.lenses import load_lens
from streams.ops.evaluate import verdict_changes
from streams.stages.classify import classify

LENS = """
slug = "space"
name = "SPACE"
description = "A test lens."

[categories.rockets]
description = "Launch vehicles."
terms = {terms}

[classifier]
ai_terms = ["rocket", "spacecraft"]
"""


def _lens(directory: Path, terms: list[str]) -> Lens:
    directory.mkdir()
    (directory / "space.toml").write_text(LENS.format(terms=json.dumps(terms)), encoding="utf-8")
    return load_lens("space", directory)


def _items(path: Path, titles: dict[str, str]) -> None:
    rows = [{"id": i, "title": t, "text": "", "source": "example.com", "url": f"https://example.com/{i}",
             "kind": "article", "lang": "en"} for i, t in titles.items()]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_only_the_items_whose_verdict_changes_are_listed_and_labeled_ones_are_marked(tmp_path: Path) -> None:
    old = _lens(tmp_path / "old", ["rocket launch", "launch vehicle"])
    new = _lens(tmp_path / "new", ["rocket launch", "launch vehicle", "booster"])
    data, labels = tmp_path / "data", tmp_path / "labels"
    data.mkdir()
    labels.mkdir()
    _items(data / "day-a.jsonl", {"a1": "Rocket booster lands on a barge", "a2": "Rocket launch slips a week"})
    _items(data / "day-b.jsonl", {"b1": "Spacecraft booster test fires", "b2": "Council approves a new bus timetable"})
    (labels / "day-2026-01-01.json").write_text(json.dumps(
        {"day": "2026-01-01", "files": ["day-a.jsonl"], "top": [], "noteworthy": [], "items": []}), encoding="utf-8")

    judged, changes = verdict_changes(data, labels, old, new)

    assert judged == 4
    assert [(c.item["id"], c.relevant, c.labeled) for c in changes] == [("a1", True, True), ("b1", True, False)]


def test_two_versions_of_one_lens_each_keep_their_own_verdicts(tmp_path: Path) -> None:
    old = _lens(tmp_path / "old", ["launch vehicle"])
    new = _lens(tmp_path / "new", ["launch vehicle", "booster"])
    title = "Rocket booster lands on a barge"
    verdicts = [classify(title, "", "example.com", "", "article", "en", lens).relevant for lens in (old, new) * 2]
    assert verdicts == [False, True, False, True]
