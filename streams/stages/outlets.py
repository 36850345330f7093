"""Outlets: a URL's host, the lens's tier of an outlet, tier ranks, and who speaks first-hand.

Pure. The classifier, the scorer and the brief writer all ask these questions; they get one answer.

A lens lists its tiers (`[source_tiers]`) as names ("Reuters", "reddit") and domains
("reuters.com"). An outlet's *name* is tried before any URL host, because link aggregators
(Hacker News, Reddit) carry the URL of the story they point at, yet what we hold is their post:
a Reddit post linking reuters.com is social, not tier 1.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from models.lens import Lens
from models.stories import StoryMember

TIER_ORDER = ("primary", "tier1", "tier2", "research", "social")
UNLISTED = "other"  # the tier of an outlet the lens does not list


def host_of(url: str) -> str:
    """The URL's host, lower-cased, without "www."; "" for no URL or one that does not parse."""
    return _host(url.strip()) if url else ""


@functools.lru_cache(maxsize=8192)
def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per lens object
class Tiers:
    """A lens's tiers, best first, each with the names and the domains it lists (lower-cased)."""

    entries: tuple[tuple[str, frozenset[str], frozenset[str]], ...]

    @classmethod
    def of(cls, lens: Lens) -> Tiers:
        ordered = [t for t in TIER_ORDER if t in lens.source_tiers]
        ordered += [t for t in lens.source_tiers if t not in TIER_ORDER]
        return cls(tuple(_entry(t, lens.source_tiers[t]) for t in ordered))

    def by_name(self, name: str) -> str | None:
        return _tier_by_name(self, name.strip().lower())

    def by_host(self, host: str) -> str | None:
        return _tier_by_host(self, host) if host else None


def _entry(tier: str, listed: list[str]) -> tuple[str, frozenset[str], frozenset[str]]:
    lowered = [o.strip().lower() for o in listed]
    domains = frozenset(o for o in lowered if "." in o and " " not in o and "@" not in o)
    return tier, frozenset(lowered), domains


@functools.lru_cache(maxsize=4096)
def _tier_by_name(tiers: Tiers, name: str) -> str | None:
    for tier, names, _ in tiers.entries:
        if name in names or any(name_matches(name, n) for n in names):
            return tier
    return None


@functools.lru_cache(maxsize=8192)
def _tier_by_host(tiers: Tiers, host: str) -> str | None:
    for tier, _, domains in tiers.entries:
        if any(host == d or host.endswith("." + d) for d in domains):
            return tier
    return None


def name_matches(source: str, outlet: str) -> bool:
    """An outlet name matches a source name as a whole-word prefix ("reddit" ~ "reddit r/x")."""
    if not outlet or not source.startswith(outlet) or len(source) == len(outlet):
        return bool(outlet) and source == outlet
    return not (outlet[-1].isalnum() and source[len(outlet)].isalnum())


_TIERS: dict[int, tuple[Lens, Tiers]] = {}


def tiers_of(lens: Lens) -> Tiers:
    """The lens's compiled tiers, built once per lens object (asked for every member of a story)."""
    entry = _TIERS.get(id(lens))
    if entry is None or entry[0] is not lens:
        if len(_TIERS) >= 64:  # lenses are few; edited copies (tests, usul eval) must not pile up
            _TIERS.clear()
        entry = _TIERS[id(lens)] = (lens, Tiers.of(lens))
    return entry[1]


def tier_of(lens: Lens, names: Iterable[str], urls: Iterable[str]) -> str:
    """The best tier naming one of the names; failing that, the best one listing a URL's host."""
    tiers = tiers_of(lens)
    for name in names:
        if (tier := tiers.by_name(name)) is not None:
            return tier
    for url in urls:
        if (tier := tiers.by_host(host_of(url))) is not None:
            return tier
    return UNLISTED


def member_tier(member: StoryMember, lens: Lens) -> str:
    """A story member's tier: by its outlet and feed names, then its URL and canonical URL."""
    return tier_of(lens, (member.outlet, member.source), (member.url, member.canonical_url))


def tier_rank(tier: str) -> int:
    """0 for primary ... 4 for social; an unlisted outlet ranks after every listed tier."""
    return TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER)


def is_primary(member: StoryMember, tier: str) -> bool:
    """The company, regulator or paper speaking for itself."""
    return member.primary or member.kind == "release" or tier == "primary"
