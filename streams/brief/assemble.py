"""Assemble stage: a lens-day's ranked stories become one `Brief`. Pure and deterministic.

The scorer has already ranked the stories and set their tier and confidence; this module decides
what the reader sees: which stories fill the lens's layout, which members each item cites
(numbers bound mechanically to the story's own members), the brief-wide Sources list and the
Key Tweets. The words come from the offline writer (`streams.brief.writer`); the optional language
model (`streams.brief.llm`) rewrites them later without touching numbers or the content hash.

Same input -> byte-identical Brief, because briefs are compared across restarts and workers:
every ordering here ends in a stable tie-break and no set is ever iterated without sorting.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime

from models.briefs import Brief, BriefItem, KeyTweet, SourceRef, edition_of
from models.lens import Lens
from models.stories import Story, StoryMember, Tier
from streams.brief.sentences import URL, clean_title, is_boilerplate, same_development, split_sentences, trim_words
from streams.brief.writer import Evidence, Source, executive_summary, headline, write_item
from streams.stages.outlets import host_of, is_primary, member_tier, tier_rank
from streams.stages.score import is_social

MAX_SOURCES_PER_ITEM = 6
MAX_KEY_TWEETS = 5
TWEET_CHARS = 280
# When and which revision, and what follows from the lens and the day (the edition date and the
# covered window): an unchanged day hashes alike.
HASH_EXCLUDED = frozenset({"created_at", "revision", "brief_id", "content_hash", "edition", "covers_from",
                           "covers_until"})


def assemble_brief(
    lens: Lens,
    day: str,
    revision: int,
    stories: list[Story],
    created_at: datetime,
    items_seen: int,
    items_relevant: int,
) -> Brief:
    """Build the brief of one lens-day revision from its scored stories."""
    top, noteworthy = select_stories(lens, stories)
    cited = {s.story_id: cite_members(lens, s) for s in top + noteworthy}
    tweets = pick_key_tweets(lens, top + noteworthy)
    numbers = Numbering()
    top_items = [_brief_item(lens, s, cited[s.story_id], numbers, "top") for s in top]
    key_tweets = [_key_tweet(m, story_id, numbers) for story_id, m in tweets]
    note_items = [_brief_item(lens, s, cited[s.story_id], numbers, "noteworthy") for s in noteworthy]
    brief = Brief(
        brief_id=f"{lens.slug}:{day}:r{revision}", lens=lens.slug, lens_name=lens.name, day=day,
        edition=edition_of(lens, day), revision=revision, created_at=created_at, timezone=lens.timezone,
        executive_summary=executive_summary(lens_label(lens), top_items, note_items,
                                            {r.number: r.outlet for r in numbers.refs}),
        top_items=top_items, key_tweets=key_tweets, noteworthy=note_items, sources=numbers.refs,
        items_seen=items_seen, items_relevant=items_relevant, stories_total=len(stories),
        content_hash="",
    )
    return brief.model_copy(update={"content_hash": brief_content_hash(brief)})


def brief_content_hash(brief: Brief) -> str:
    """sha256 of what the brief says, leaving out when/which revision: an unchanged day hashes alike."""
    return content_hash(brief.model_dump_json(exclude=set(HASH_EXCLUDED)))


def content_hash(brief_without_hash_fields: str) -> str:
    return hashlib.sha256(brief_without_hash_fields.encode()).hexdigest()


# --- which stories, which members -------------------------------------------------------------


def select_stories(lens: Lens, stories: Sequence[Story]) -> tuple[list[Story], list[Story]]:
    """Top and noteworthy stories in rank order, capped by the lens; overflow tops move down."""
    ordered = sorted(stories, key=_rank_key)
    tops = [s for s in ordered if s.tier == "top"]
    notes = [s for s in ordered if s.tier == "noteworthy"]
    shown = one_item_per_development(lens, tops + notes, lens.top_items + lens.noteworthy_items)
    tops = [s for s in shown if s.tier == "top"]
    # The scorer owns tiers, but a brief must never exceed the lens's layout.
    notes = tops[lens.top_items:] + [s for s in shown if s.tier == "noteworthy"]
    return tops[: lens.top_items], notes[: lens.noteworthy_items]


def one_item_per_development(lens: Lens, ordered: Sequence[Story], wanted: int) -> list[Story]:
    """Stories in rank order, a later one whose headline reports the same development as an
    earlier one's folded into it (its members become the earlier story's sources): clustering can
    split one event, and the reader must never get it twice. A fold can change the earlier story's
    headline, so it is compared again with the others kept."""
    kept: list[tuple[Story, str]] = []
    for story in ordered:
        if len(kept) == wanted:
            break
        pending = [(story, headline(evidence(lens, story)))]
        while pending:
            story, title = pending.pop()
            twin = next((n for n, (_, shown) in enumerate(kept) if same_development(shown, title)), None)
            if twin is None:
                kept.append((story, title))
                continue
            merged = fold(kept.pop(twin)[0], story)
            pending.append((merged, headline(evidence(lens, merged))))
    return sorted((story for story, _ in kept), key=_rank_key)


_SURE = {"low": 0, "medium": 1, "high": 2}


def fold(into: Story, other: Story) -> Story:
    """One story with both's members; the surer confidence of the two stands (more outlets)."""
    ids = {m.id for m in into.members}
    members = list(into.members) + [m for m in other.members if m.id not in ids]
    confidence = max(into.confidence, other.confidence, key=lambda c: _SURE[c])
    return into.model_copy(update={"members": members, "confidence": confidence})


def _rank_key(story: Story) -> tuple[int, float, str]:
    return (story.rank if story.rank is not None else 10**9, -story.score, story.story_id)


def cite_members(lens: Lens, story: Story) -> list[StoryMember]:
    """One member per canonical URL, primary first, then new outlets, then earliest; capped."""
    by_url: dict[str, StoryMember] = {}
    for member in sorted(story.members, key=lambda m: member_key(lens, m)):
        by_url.setdefault(url_key(member), member)
    chosen: list[StoryMember] = []
    repeats: list[StoryMember] = []
    outlets: set[str] = set()
    for member in by_url.values():  # dict keeps the sorted insertion order
        new_voice = member.outlet not in outlets or speaks_first_hand(lens, member)
        (chosen if new_voice else repeats).append(member)
        outlets.add(member.outlet)
    return (chosen + repeats)[:MAX_SOURCES_PER_ITEM]


def member_key(lens: Lens, member: StoryMember) -> tuple[int, int, str, str]:
    when = member.published_at or member.event_at
    return (0 if speaks_first_hand(lens, member) else 1, source_rank(lens, member), when.isoformat(), member.id)


def url_key(member: StoryMember) -> str:
    return member.canonical_url or member.url or f"id:{member.id}"


def speaks_first_hand(lens: Lens, member: StoryMember) -> bool:
    """The company, regulator or paper speaking for itself (the scorer's test)."""
    return is_primary(member, member_tier(member, lens))


def source_rank(lens: Lens, member: StoryMember) -> int:
    return tier_rank(member_tier(member, lens))


def on_social_platform(member: StoryMember) -> bool:
    """Posted on a social platform (where a key tweet comes from): judged by the URL's host and the
    feed's label, never by substring of the URL ('phoronix.com' ends in 'x.com')."""
    host = host_of(member.url)
    if any(host == h or host.endswith("." + h) for h in _SOCIAL_HOSTS) or "mastodon" in host:
        return True
    label = member.source.casefold()
    return any(word in label for word in _SOCIAL_LABELS) or bool(re.match(r"(x|x\.com)(\b|/|$)", label))


_SOCIAL_HOSTS = ("reddit.com", "redd.it", "x.com", "twitter.com", "bsky.app", "mastodon.social", "threads.net")
_SOCIAL_LABELS = ("reddit", "twitter", "bluesky", "bsky", "mastodon")


# --- sources numbering ------------------------------------------------------------------------


class Numbering:
    """Numbers sources in order of first citation; one number per canonical URL."""

    def __init__(self) -> None:
        self.refs: list[SourceRef] = []
        self._by_url: dict[str, int] = {}

    def number(self, member: StoryMember) -> int:
        key = url_key(member)
        if key not in self._by_url:
            self._by_url[key] = len(self.refs) + 1
            self.refs.append(_source_ref(member, self._by_url[key]))
        return self._by_url[key]


def _source_ref(member: StoryMember, number: int) -> SourceRef:
    return SourceRef(
        number=number, outlet=member.outlet, title=clean_title(member.title) or member.outlet,
        url=member.url or member.canonical_url, published_at=member.published_at, item_id=member.id,
    )


# --- key tweets -------------------------------------------------------------------------------


def pick_key_tweets(lens: Lens, stories: Sequence[Story]) -> list[tuple[str, StoryMember]]:
    """Social posts that are evidence (a primary voice), in story order; at most five."""
    picked: list[tuple[str, StoryMember]] = []
    seen: set[str] = set()
    for story in stories:
        for member in sorted(story.members, key=lambda m: member_key(lens, m)):
            if url_key(member) not in seen and is_evidence_post(lens, story, member):
                seen.add(url_key(member))
                picked.append((story.story_id, member))
    return picked[:MAX_KEY_TWEETS]


def is_evidence_post(lens: Lens, story: Story, member: StoryMember) -> bool:
    if member.kind not in ("tweet", "post") or not on_social_platform(member):
        return False
    return speaks_first_hand(lens, member) or _links_to_primary(lens, story, member)


def _links_to_primary(lens: Lens, story: Story, member: StoryMember) -> bool:
    """A post whose link (or a URL in its text) is on a primary source's host."""
    hosts = {host_of(m.canonical_url or m.url) for m in story.members if speaks_first_hand(lens, m)}
    hosts |= {o.casefold() for o in lens.source_tiers.get("primary", []) if "." in o}
    hosts.discard("")
    linked = {host_of(u) for u in [member.canonical_url, *URL.findall(member.text)]}
    return any(h == p or h.endswith("." + p) for h in linked for p in hosts)


def _key_tweet(member: StoryMember, story_id: str, numbers: Numbering) -> KeyTweet:
    return KeyTweet(handle=handle_of(member), text=tweet_text(member), source=numbers.number(member),
                    story_id=story_id)


def handle_of(member: StoryMember) -> str:
    """'r/OpenAI' for a subreddit, '@openai' for an X/Bluesky/Mastodon account, else the outlet."""
    where = f"{member.source} {member.url}"
    if sub := re.search(r"\br/([A-Za-z0-9_]+)", where):
        return f"r/{sub.group(1)}"
    if at := re.search(r"@([A-Za-z0-9_.]+[A-Za-z0-9_])", member.source):
        return f"@{at.group(1)}"
    if path := re.search(r"(?:x|twitter)\.com/([A-Za-z0-9_]+)", where):
        return f"@{path.group(1)}"
    if profile := re.search(r"bsky\.app/profile/([A-Za-z0-9_.-]+)", where):
        return f"@{profile.group(1)}"
    return member.outlet


def tweet_text(member: StoryMember) -> str:
    body = _clean_body(member.text)
    if member.kind == "tweet" and body:
        return trim_words(body, TWEET_CHARS)
    title = clean_title(member.title)
    return trim_words(f"{title}: {body}" if title and body else title or body, TWEET_CHARS)


def _clean_body(text: str) -> str:
    return " ".join(s for s in split_sentences(text) if not is_boilerplate(s))


# --- one brief item ---------------------------------------------------------------------------


def _social(lens: Lens, member: StoryMember) -> bool:
    """Social as the scorer counts it (a post, or an aggregator such as Hacker News), so the brief
    never calls an outlet what the score did not count as one."""
    return on_social_platform(member) or is_social(member, member_tier(member, lens))


def evidence(lens: Lens, story: Story) -> Evidence:
    """The story as the writers see it: members in citation order, judged by this module's rules."""
    ordered = sorted(story.members, key=lambda m: member_key(lens, m))
    sources = tuple(Source(member=m, key=url_key(m), host=host_of(m.canonical_url or m.url),
                           primary=speaks_first_hand(lens, m), social=_social(lens, m), tier=source_rank(lens, m))
                    for m in ordered)
    category = lens.categories.get(story.category or "")
    return Evidence(story=story, sources=sources, lens_label=lens_label(lens),
                    category_description=category.description if category else "")


def _brief_item(lens: Lens, story: Story, cited: list[StoryMember], numbers: Numbering, tier: Tier) -> BriefItem:
    written = write_item(evidence(lens, story), short=tier != "top")
    return BriefItem(
        story_id=story.story_id, rank=story.rank if story.rank is not None else 0, tier=tier,
        headline=written.headline, summary=written.summary, details=written.details, category=story.category,
        confidence=story.confidence, score=story.score,
        sources=sorted({numbers.number(m) for m in cited}), developing_since=story.developing_since,
    )


def lens_label(lens: Lens) -> str:
    """'AI SAFETY AND GOVERNANCE' -> 'AI safety and governance', for use inside a sentence."""
    words = [w if len(w) <= 2 or not w.isalpha() else w.lower() for w in lens.name.split()]
    return " ".join(words)
