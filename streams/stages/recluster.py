"""The closed day's stories: the day's items clustered again from scratch in a canonical order,
then the near-relevant items associated with them. Pure.

Live stories depend on arrival order, which differs between runs, workers and restarts; the
closed day must not, so the brief is a function of the day's items alone.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from models.items import EnrichedItem
from models.lens import Lens
from models.stories import Story
from streams.stages import cluster
from streams.stages.classify import corroborable, corroborated
from streams.stages.score import news_outlets
from streams.state import DayOverlay


def rebuilt_day(state: MutableMapping[str, Any], lens: Lens, day: str, item_keys: list[str],
                near_keys: list[str]) -> tuple[list[Story], int]:
    """The day's stories clustered again from its items in canonical order (event time, id), then
    the near-relevant items: each joins the story it reports, and those that report a development
    no relevant item did (and that match no noise group) form stories of their own when enough news
    outlets carry them. Returns the stories and how many near-relevant items they took in."""
    scratch = DayOverlay(state, lens.slug, day)
    for item in _day_items(state, item_keys):
        cluster.place(scratch, item)
    near = _day_items(state, near_keys)
    unattached = [item for item in near if cluster.attach(scratch, item) is None]
    promoted = _corroborated(unattached, lens, day)
    for item in promoted:
        cluster.place(scratch, item)
    associated = len(near) - len(unattached) + len(promoted)
    # unscored: the assembler ranks the joined parts, scoring every story once
    return cluster.stories_of_day(scratch, lens.slug, day), associated


def _corroborated(items: list[EnrichedItem], lens: Lens, day: str) -> list[EnrichedItem]:
    """The items (canonical order kept) of the developments that enough news outlets report;
    items that matched a noise group never qualify, however widely covered."""
    items = [item for item in items if corroborable(item.relevant, item.reasons)]
    trial: dict[str, Any] = {}  # a throwaway clustering of these items alone
    for item in items:
        cluster.place(trial, item)
    # a story has no more outlets than members: the many too small to qualify are never read
    candidates = cluster.stories_of_day(trial, lens.slug, day, sized=lambda members: corroborated(members, lens))
    keep = {m.id for story in candidates if corroborated(news_outlets(story, lens), lens) for m in story.members}
    return [item for item in items if item.id in keep]


def _day_items(state: MutableMapping[str, Any], keys: list[str]) -> list[EnrichedItem]:
    items = [EnrichedItem.model_validate(state[k]) for k in keys]
    return sorted(items, key=lambda i: (i.event_at, i.id))
