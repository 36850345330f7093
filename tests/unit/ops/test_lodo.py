"""`streams.ops.lodo`: what a held-out day's training set may hold, and the table."""

from __future__ import annotations

from datetime import UTC, datetime

from models.items import RawItem
from streams.ops.bcubed import BCubed
from streams.ops.evaluate import DayScores, RelevanceScores
from streams.ops.lodo import LabeledItem, training_items
from streams.ops.lodo import table as lodo_table


def _item(day: str, item_id: str, url: str, relevant: bool = False) -> LabeledItem:
    raw = RawItem(id=item_id, source="example", url=url, title=item_id, text="", kind="article", lang="en",
                  published_at=datetime(2026, 1, 1, tzinfo=UTC))
    return LabeledItem(day, raw, relevant)


def test_training_leaves_out_the_held_out_day_and_items_it_shares_by_id_or_url() -> None:
    by_day = {
        "d1": [_item("d1", "a", "https://example.com/a"), _item("d1", "b", "https://example.com/b")],
        "d2": [_item("d2", "a", "https://other.org/a-copy"),  # the same id re-listed
               _item("d2", "c", "https://www.example.com/b?utm_source=feed"),  # the same page
               _item("d2", "d", "https://example.com/d", relevant=True)],
        "d3": [_item("d3", "e", "https://example.com/e")],
    }
    kept = {i.item.id for i in training_items(by_day, "d1")}
    assert kept == {"d", "e"}
    assert {i.item.id for i in training_items(by_day, "d3")} == {"a", "b", "c", "d"}


def test_table_reports_each_day_the_mean_and_the_worst() -> None:
    def day(name: str, tp: int, top: int, dup: int) -> DayScores:
        r = RelevanceScores(tp=tp, fp=1, fn=1, tn=10)
        return DayScores(name, r, BCubed(1.0, 1.0, 1.0), top, 4, 0.5, dup, 0.0)

    lines = lodo_table([day("d1", 9, 4, 0), day("d2", 1, 2, 3)])
    assert lines[1].startswith("d1") and lines[2].startswith("d2")
    assert lines[3].split()[3] == "0.70"  # mean F1 of 0.90 and 0.50
    assert lines[4].split()[3] == "0.50" and lines[4].split()[5] == "2/4" and lines[4].split()[-1] == "3"
