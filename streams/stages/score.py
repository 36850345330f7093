"""Significance score, confidence and rank of a lens-day's stories, from their evidence. Pure.

The score adds evidence that only grows as members join (independent outlets with diminishing
returns, a primary source, the best outlet tier, signals of scale, government action, security
impact, a key actor of the lens in a headline) and multiplies by the lens's category weight;
single-outlet and social-only stories are capped. Because every part is a maximum or an "any
member" test over the members, adding an independent outlet never lowers the score.

Confidence is computed from corroboration, never from the writer's mood (BRIEF.md):
  high   = primary source and >= 2 independent outlets, or >= 3 independent tier1/tier2 outlets
  medium = 2 independent outlets, or a primary source alone, or one tier1 outlet
  low    = otherwise: one outlet, social posts only; leak or rumour wording lowers one step
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from models.lens import Lens
from models.stories import Confidence, Story, StoryMember
from streams.stages.classify import BIG_MONEY
from streams.stages.outlets import host_of, is_primary, member_tier, tier_rank

TierOf = Callable[[StoryMember], str]

TIER_BONUS = {"primary": 0.6, "tier1": 0.6, "tier2": 0.4, "research": 0.3, "social": 0.0}
PRIMARY_BONUS = 1.0
SINGLE_OUTLET_CAP = 2.0
SOCIAL_ONLY_CAP = 1.5
# A lone paper is research news, rarely the day's top story; a lone primary or tier-1 report is
# worth more than a lone unknown outlet. Above its cap a story keeps a quarter of the excess, so
# capped stories stay ordered by their signals instead of tying.
SINGLE_OUTLET_CAPS = {"primary": 2.4, "tier1": 2.3, "tier2": 2.0, "research": 1.3, "social": 1.5}
CAP_KEEP = 0.25
CAP_ROOM = 0.5  # ... and never rises more than this above its cap
TEXT_SIGNAL_SHARE = 0.5  # a signal only in the text (not in any headline) counts this share
TEXT_CHARS = 3000  # the lead of a member's text that signals and rumour wording are looked for in
MEMBER_READINGS = 4096  # members whose readings are kept (keyed by title and lead: ~3 KB each)
SOCIAL_KINDS = {"post", "tweet"}
KEY_ACTOR_BONUS = 0.4  # a headline names one of the lens's key actors

# Signals found in any member's title or text, with their bonus and a short reason.
SIGNALS: tuple[tuple[str, re.Pattern[str], float], ...] = (
    ("scale of capital", BIG_MONEY, 0.5),
    ("scale of compute", re.compile(
        r"\b\d+(?:\.\d+)?\s?GW\b|\b[HBG]\d{2,3}\b|\bGB\d{3}\b|\bdata cent(?:er|re)s?\b|GPUs?\b"), 0.4),
    ("government action", re.compile(
        r"\b(?:regulat\w*|legislat\w*|law|bill|executive order|ban(?:s|ned)?|sanction\w*|"
        r"investigat\w*|probe|fine[ds]?|antitrust|export controls?|ministry|commission|"
        r"attorney general|congress|parliament|senate|white house|pentagon|treasury|"
        r"minister|secretary of|court|judge|ruling|ruled)\b", re.I), 0.5),
    ("security impact", re.compile(
        r"\b(?:vulnerabilit\w*|exploit\w*|breach\w*|malware|ransomware|CVE-\d+|cyber\w*|"
        r"hack\w*|supply[- ]chain attack|jailbreak\w*|zero-day)\b", re.I), 0.4),
    ("frontier capability or risk", re.compile(
        r"\b(?:frontier (?:model|ai|lab)s?|superintelligen\w*|catastrophic|bioweapons?|"
        r"dangerous capabilit\w*|existential|most (?:capable|powerful|advanced) (?:ai|model)\w*|"
        r"ai safety|misalign\w*|loss of control)\b|前沿模型|超级智能|灾难性", re.I), 0.5),
    ("government action (zh)", re.compile(
        r"监管|立法|法规|禁令|罚款|出口管制|制裁|调查|起诉|法院|网信办|商务部|管理办法"), 0.5),
)
RUMOUR = re.compile(
    r"\b(?:reportedly|rumou?rs?|rumou?red|leak(?:s|ed)?|sources say|sources said|"
    r"people familiar|according to sources|unconfirmed)\b|据知情人士|消息称|传闻", re.I)


def _outlet_key(member: StoryMember) -> str:
    """Two members are one outlet when their outlet names (or, lacking those, hosts) agree."""
    return (member.outlet or host_of(member.url)).lower().removeprefix("www.").strip()


def _independent(members: Iterable[StoryMember], tiers: dict[str, str]) -> dict[str, str]:
    """Distinct outlets -> their best tier (several articles of one outlet count once)."""
    out: dict[str, str] = {}
    for m in members:
        key, tier = _outlet_key(m), tiers[m.id]
        best = out.get(key)
        if best is None or tier_rank(tier) < tier_rank(best):
            out[key] = tier
    return out


def news_outlets(story: Story, lens: Lens) -> int:
    """Independent outlets reporting the story, social posts and papers left out."""
    tiers = {m.id: member_tier(m, lens) for m in story.members}
    news = [m for m in story.members if not is_social(m, tiers[m.id]) and tiers[m.id] != "research"]
    return len(_independent(news, tiers))


def is_social(member: StoryMember, tier: str) -> bool:
    """A post or tweet, or anything from an outlet the lens calls social (an aggregator)."""
    return tier == "social" or member.kind in SOCIAL_KINDS


@dataclass(frozen=True)
class _Reading:
    """What the patterns find in one member: read once, since a story is scored again each time
    a member joins (reading every member each time would cost the square of a big story's size)."""

    in_title: frozenset[str]  # names of the SIGNALS its headline shows
    in_text: frozenset[str]  # ... and its text's lead
    rumour: bool


def _reading(title: str, text: str) -> _Reading:
    return _lead_reading(title, text[:TEXT_CHARS])


@functools.lru_cache(maxsize=MEMBER_READINGS)
def _lead_reading(title: str, lead: str) -> _Reading:
    return _Reading(frozenset(name for name, pattern, _ in SIGNALS if pattern.search(title)),
                    frozenset(name for name, pattern, _ in SIGNALS if pattern.search(lead)),
                    bool(RUMOUR.search(title) or RUMOUR.search(lead)))


def _signals(story: Story) -> list[tuple[str, float]]:
    """Signals in any headline count fully; found only in the texts, they count a share."""
    readings = [_reading(m.title, m.text) for m in story.members]
    in_title = frozenset().union(*(r.in_title for r in readings))
    in_text = frozenset().union(*(r.in_text for r in readings))
    out = []
    for name, _, bonus in SIGNALS:
        if name in in_title:
            out.append((name, bonus))
        elif name in in_text:
            out.append((name, round(bonus * TEXT_SIGNAL_SHARE, 3)))
    return out


def _key_actor(story: Story, lens: Lens) -> bool:
    """A headline names one of the lens's key actors: their own moves set the field's agenda."""
    pattern = _actor_pattern(tuple(lens.key_actors))
    return pattern is not None and any(_names_actor(pattern, m.title) for m in story.members)


@functools.lru_cache(maxsize=MEMBER_READINGS)
def _names_actor(pattern: re.Pattern[str], title: str) -> bool:
    return pattern.search(title) is not None


@functools.lru_cache(maxsize=16)
def _actor_pattern(actors: tuple[str, ...]) -> re.Pattern[str] | None:
    """Latin names match as whole words ("Meta" not in "metadata"); Chinese has no word breaks."""
    if not actors:
        return None
    ordered = sorted(actors, key=len, reverse=True)
    names = [rf"(?<![\w.]){re.escape(a)}(?!\w)" if a.isascii() else re.escape(a) for a in ordered]
    return re.compile("|".join(names), re.IGNORECASE)


def _category_weight(story: Story, lens: Lens) -> float:
    category = lens.categories.get(story.category or "")
    return category.weight if category else 1.0


def score_story(
    story: Story, lens: Lens, source_tier: TierOf | None = None
) -> tuple[float, Confidence, list[str]]:
    """Score, confidence and short readable reasons for one story."""
    tier_fn = source_tier or (lambda m: member_tier(m, lens))
    tiers = {m.id: tier_fn(m) for m in story.members}
    outlets = _independent(story.members, tiers)
    primaries = [m for m in story.members if is_primary(m, tiers[m.id])]
    social_only = all(is_social(m, tiers[m.id]) for m in story.members) and not primaries
    reasons = [f"{len(outlets)} independent outlet{'s' if len(outlets) != 1 else ''}"]
    total = math.log2(1 + len(outlets))
    if primaries:
        total += PRIMARY_BONUS
        reasons.append(f"primary source: {host_of(primaries[0].url) or primaries[0].outlet}")
    best_tier = min(outlets.values(), key=tier_rank, default="other")
    total += TIER_BONUS.get(best_tier, 0.0)
    if best_tier in TIER_BONUS and best_tier != "primary":
        reasons.append(f"best outlet tier {best_tier}")
    for name, bonus in _signals(story):
        total += bonus
        reasons.append(name)
    if _key_actor(story, lens):
        total += KEY_ACTOR_BONUS
        reasons.append("key actor")
    weight = _category_weight(story, lens)
    total *= weight
    if story.category:
        reasons.append(f"category {story.category} weight {weight:g}")
    total = _capped(total, outlets, social_only, reasons, best_tier)
    confidence = _confidence(story, outlets, primaries, social_only, reasons)
    return round(total, 4), confidence, reasons


def _capped(total: float, outlets: dict[str, str], social_only: bool, reasons: list[str],
            best_tier: str = "other") -> float:
    if social_only and total > SOCIAL_ONLY_CAP:
        reasons.append("social posts only, capped")
        return SOCIAL_ONLY_CAP
    cap = SINGLE_OUTLET_CAPS.get(best_tier, SINGLE_OUTLET_CAP)
    if len(outlets) <= 1 and total > cap:
        reasons.append("single outlet, capped")
        return cap + min(CAP_ROOM, CAP_KEEP * (total - cap))
    return total


def _confidence(story: Story, outlets: dict[str, str], primaries: list[StoryMember],
                social_only: bool, reasons: list[str]) -> Confidence:
    primary_outlets = {_outlet_key(m) for m in primaries}
    secondary = [o for o in outlets if o not in primary_outlets]
    strong = [o for o, t in outlets.items() if t in ("tier1", "tier2") and o not in primary_outlets]
    level: Confidence
    if (primaries and len(secondary) >= 2) or len(strong) >= 3:
        level = "high"
    elif len(outlets) >= 2 or primaries or "tier1" in outlets.values():
        level = "medium"
    else:
        level = "low"
    if social_only:
        level = "low"
    rumour = sum(_reading(m.title, m.text).rumour for m in story.members)
    if rumour * 2 >= len(story.members) and not primaries and level != "low":
        level = "medium" if level == "high" else "low"
        reasons.append("leak or rumour wording")
    if level == "low" and len(outlets) <= 1:
        reasons.append("single outlet, unconfirmed")
    return level


def rank_stories(stories: Iterable[Story], lens: Lens) -> list[Story]:
    """Copies with score, confidence, reasons, rank and tier; ties broken by story_id."""
    scored = []
    for story in stories:
        score, confidence, reasons = score_story(story, lens)
        scored.append(story.model_copy(
            update={"score": score, "confidence": confidence, "score_reasons": reasons}))
    scored.sort(key=lambda s: (-s.score, s.story_id))
    out = []
    for rank, story in enumerate(scored, start=1):
        if rank <= lens.top_items:
            tier = "top"
        elif rank <= lens.top_items + lens.noteworthy_items:
            tier = "noteworthy"
        else:
            tier = "minor"
        out.append(story.model_copy(update={"rank": rank, "tier": tier}))
    return out
