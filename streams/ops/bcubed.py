"""BCubed precision, recall and F1 of a clustering against gold story labels. Pure.

BCubed scores every item: precision is the share of its predicted cluster that truly belongs
with it, recall the share of its true story that was put with it; both are averaged over items.
Items missing from either mapping are ignored, so a gold set can label a sample of a day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import NamedTuple


class BCubed(NamedTuple):
    precision: float
    recall: float
    f1: float


def _groups(labels: Mapping[str, str], items: list[str]) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for item in items:
        groups[labels[item]].add(item)
    return groups


def bcubed(predicted: Mapping[str, str], gold: Mapping[str, str]) -> BCubed:
    """BCubed over the items both mappings label (item id -> cluster / story label)."""
    items = sorted(predicted.keys() & gold.keys())
    if not items:
        return BCubed(0.0, 0.0, 0.0)
    pred_groups, gold_groups = _groups(predicted, items), _groups(gold, items)
    precision = recall = 0.0
    for item in items:
        cluster, story = pred_groups[predicted[item]], gold_groups[gold[item]]
        correct = len(cluster & story)
        precision += correct / len(cluster)
        recall += correct / len(story)
    p, r = precision / len(items), recall / len(items)
    return BCubed(p, r, 2 * p * r / (p + r) if p + r else 0.0)
