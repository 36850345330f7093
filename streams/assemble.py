"""Assemble stage: a lens-day's ranked stories become one `Brief`. Pure and deterministic.

The scorer has already ranked the stories and set their tier and confidence; this module decides
what the reader sees: which members each item cites (numbers bound mechanically to the story's
own members), the brief-wide Sources list, the Key Tweets, and the offline writer's words
(headline, summary, details, executive summary). Same input -> byte-identical Brief, because
briefs are compared across restarts and workers: every ordering here ends in a stable tie-break
and no set is ever iterated without sorting.

The offline writer is extractive: it picks the most central sentences of the whole cluster (the
ones whose content words other members also use), never invents a claim, and hedges the wording
to the story's confidence.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from models.briefs import Brief, BriefItem, KeyTweet, SourceRef
from models.lens import Lens
from models.stories import Story, StoryMember, Tier
from streams.score import tier_of

MAX_SOURCES_PER_ITEM = 6
MAX_KEY_TWEETS = 5
HEADLINE_CHARS = 110
TWEET_CHARS = 280
SUMMARY_CHARS = 520
MAX_SENTENCES_PER_MEMBER = 12
HASH_EXCLUDED = frozenset({"created_at", "revision", "brief_id", "content_hash"})


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
    numbers = _Numbering()
    top_items = [_brief_item(lens, s, cited[s.story_id], numbers, "top") for s in top]
    key_tweets = [_key_tweet(m, story_id, numbers) for story_id, m in tweets]
    note_items = [_brief_item(lens, s, cited[s.story_id], numbers, "noteworthy") for s in noteworthy]
    brief = Brief(
        brief_id=f"{lens.slug}:{day}:r{revision}", lens=lens.slug, lens_name=lens.name, day=day,
        revision=revision, created_at=created_at, timezone=lens.timezone,
        executive_summary=executive_summary(lens, top_items, note_items, items_relevant),
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
    # The scorer owns tiers, but a brief must never exceed the lens's layout.
    notes = tops[lens.top_items:] + notes
    return tops[: lens.top_items], notes[: lens.noteworthy_items]


def _rank_key(story: Story) -> tuple[int, float, str]:
    return (story.rank if story.rank is not None else 10**9, -story.score, story.story_id)


def cite_members(lens: Lens, story: Story) -> list[StoryMember]:
    """One member per canonical URL, primary first, then new outlets, then earliest; capped."""
    by_url: dict[str, StoryMember] = {}
    for member in sorted(story.members, key=lambda m: _member_key(lens, m)):
        by_url.setdefault(url_key(member), member)
    chosen: list[StoryMember] = []
    repeats: list[StoryMember] = []
    outlets: set[str] = set()
    for member in by_url.values():  # dict keeps the sorted insertion order
        new_voice = member.outlet not in outlets or is_primary(lens, member)
        (chosen if new_voice else repeats).append(member)
        outlets.add(member.outlet)
    return (chosen + repeats)[:MAX_SOURCES_PER_ITEM]


def _member_key(lens: Lens, member: StoryMember) -> tuple[int, int, str, str]:
    when = member.published_at or member.event_at
    return (0 if is_primary(lens, member) else 1, source_tier(lens, member), when.isoformat(), member.id)


def url_key(member: StoryMember) -> str:
    return member.canonical_url or member.url or f"id:{member.id}"


def is_primary(lens: Lens, member: StoryMember) -> bool:
    """The company, regulator or paper speaking for itself (the same test the scorer uses)."""
    return member.primary or member.kind == "release" or tier_of(member, lens) == "primary"


def source_tier(lens: Lens, member: StoryMember) -> int:
    """0 primary, 1 tier1, 2 tier2, 3 research, 4 social, 6 unknown: the scorer's tiers as ranks."""
    return _TIER_RANK.get(tier_of(member, lens), 6)


_TIER_RANK = {"primary": 0, "tier1": 1, "tier2": 2, "research": 3, "social": 4}


def is_social(member: StoryMember) -> bool:
    """Posted on a social platform: judged by the URL's host and the feed's label, never by
    substring of the URL ('phoronix.com' ends in 'x.com')."""
    host = _host(member.url)
    if any(host == h or host.endswith("." + h) for h in _SOCIAL_HOSTS) or "mastodon" in host:
        return True
    label = member.source.casefold()
    return any(word in label for word in _SOCIAL_LABELS) or bool(re.match(r"(x|x\.com)(\b|/|$)", label))


_SOCIAL_HOSTS = ("reddit.com", "redd.it", "x.com", "twitter.com", "bsky.app", "mastodon.social", "threads.net")
_SOCIAL_LABELS = ("reddit", "twitter", "bluesky", "bsky", "mastodon")


# --- sources numbering ------------------------------------------------------------------------


class _Numbering:
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
        for member in sorted(story.members, key=lambda m: _member_key(lens, m)):
            if url_key(member) not in seen and is_evidence_post(lens, story, member):
                seen.add(url_key(member))
                picked.append((story.story_id, member))
    return picked[:MAX_KEY_TWEETS]


def is_evidence_post(lens: Lens, story: Story, member: StoryMember) -> bool:
    if member.kind not in ("tweet", "post") or not is_social(member):
        return False
    return is_primary(lens, member) or _links_to_primary(lens, story, member)


def _links_to_primary(lens: Lens, story: Story, member: StoryMember) -> bool:
    """A post whose link (or a URL in its text) is on a primary source's host."""
    hosts = {_host(m.canonical_url or m.url) for m in story.members if is_primary(lens, m)}
    hosts |= {o.casefold() for o in lens.source_tiers.get("primary", []) if "." in o}
    hosts.discard("")
    linked = {_host(u) for u in [member.canonical_url, *_URL.findall(member.text)]}
    return any(h == p or h.endswith("." + p) for h in linked for p in hosts)


_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def _host(url: str) -> str:
    match = re.match(r"https?://([^/:?#]+)", url.strip(), re.IGNORECASE)
    return match.group(1).casefold().removeprefix("www.") if match else ""


def _key_tweet(member: StoryMember, story_id: str, numbers: _Numbering) -> KeyTweet:
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


def _brief_item(lens: Lens, story: Story, cited: list[StoryMember], numbers: _Numbering,
                tier: Tier) -> BriefItem:
    short = tier != "top"
    return BriefItem(
        story_id=story.story_id, rank=story.rank if story.rank is not None else 0, tier=tier,
        headline=headline(lens, story), summary=summary(lens, story, 2 if short else 3),
        details=details(lens, story, short), category=story.category,
        confidence=story.confidence, score=story.score,
        sources=sorted({numbers.number(m) for m in cited}), developing_since=story.developing_since,
    )


def headline(lens: Lens, story: Story) -> str:
    """The most informative member title: central, concrete, from a primary or tier-1 source."""
    agreement = _agreement(story)
    best = min(story.members, key=lambda m: (-_title_score(lens, agreement, m), _member_key(lens, m)))
    return trim_words(clean_title(best.title) or best.outlet, HEADLINE_CHARS)


def _title_score(lens: Lens, agreement: _Agreement, member: StoryMember) -> float:
    title = clean_title(member.title)
    shared = agreement.shared(member, content_words(title))
    score = min(shared, 8) + 0.5 * min(_specifics(title), 4)
    score += 3.0 if is_primary(lens, member) else max(0, 3 - source_tier(lens, member))
    score += 1.0 if member.lang == "en" else 0.0
    words = len(title.split())
    if words < 4 and not _is_cjk(title):
        score -= 4.0  # "OpenAI for Healthcare" names a page, not a development
    if len(title) > HEADLINE_CHARS:
        score -= 3.0  # a headline that has to be cut reads worse than a shorter one
    elif words > 16:
        score -= 1.5
    if is_social(member) or title.endswith("?"):
        score -= 3.0  # community titles editorialise ("More Disastrous News for ...")
    if re.match(r"(Our|We|My|I)\b", title):
        score -= 3.0  # "Our response to ..." speaks for the source; the reader needs who did what
    return score


def summary(lens: Lens, story: Story, limit: int) -> str:
    """2-3 of the cluster's most central sentences, hedged to the story's confidence."""
    focus = content_words(headline(lens, story))
    sentences = central_sentences(lens, story, limit, focus)
    if not sentences:  # the fallback names its outlet already: only a low story needs more
        fallback = _fallback_sentence(lens, story)
        return hedge(story, fallback, lead_in=False) if story.confidence == "low" else fallback
    return hedge(story, " ".join(sentences))


def _fallback_sentence(lens: Lens, story: Story) -> str:
    """A story whose feeds carried only titles: say so, quoting a title the headline did not use."""
    members = sorted(story.members, key=lambda m: _member_key(lens, m))
    shown = headline(lens, story)
    other = next((m for m in members if clean_title(m.title) and trim_words(clean_title(m.title), HEADLINE_CHARS) != shown),
                 members[0])
    return f'Only the headline is available, from {other.outlet}: "{_unstop(clean_title(other.title))}".'


def hedge(story: Story, text: str, lead_in: bool = True) -> str:
    """Low: 'Reportedly, ...' plus an explicit caveat; medium: name who says so; high: plain."""
    outlets = news_outlets(story)
    corpus = " ".join(m.text for m in story.members)
    if story.confidence == "high" or not text:
        return text
    lead_in = lead_in and not _is_cjk(text[:1])  # a Chinese sentence stays whole: hedge after it
    if story.confidence == "medium":
        who = _join(outlets[:2]) or "social posts"
        return _lead_in(f"According to {who}, ", text, corpus) if lead_in else f"{text} (According to {who}.)"
    caveat = ("Social posts only, unconfirmed." if not outlets else
              "Single outlet, unconfirmed." if len(outlets) == 1 else "Unconfirmed by a primary source.")
    return f"{_lead_in('Reportedly, ', text, corpus) if lead_in else text} ({caveat})"


def _lead_in(prefix: str, text: str, corpus: str) -> str:
    """Prefix an English opening, lower-casing its first word only when that is no name."""
    first = re.match(r"[A-Za-z]+", text)
    if first and _is_common_word(first.group(0), corpus):
        text = text[0].lower() + text[1:]
    return prefix + text


def _is_common_word(word: str, corpus: str) -> bool:
    """'The', 'Users': lower-case them after a lead-in; 'Nvidia', 'Zhipu', 'OpenAI': keep them.
    A capitalised word counts as common only if the cluster also uses it in lower case."""
    if word in _LOWERCASABLE or word.casefold() in _STOPWORDS:
        return True
    if word == "I" or not word[1:].islower():
        return False
    if re.search(rf"\b{re.escape(word.lower())}\b", corpus):
        return True
    # 'Influential', 'Leading': adjective-like and never capitalised mid-sentence, so no name.
    return word.lower().endswith(_COMMON_SUFFIXES) and not _capitalised_mid_sentence(word, corpus)


_COMMON_SUFFIXES = ("al", "ive", "ing", "ed", "ly", "ous", "ful", "less", "able", "ible", "ic", "ent", "ant")


def _capitalised_mid_sentence(word: str, corpus: str) -> bool:
    for match in re.finditer(rf"\b{re.escape(word)}\b", corpus):
        before = corpus[: match.start()].rstrip()
        if before and before[-1] not in ".!?\"“'‘:":
            return True
    return False


_LOWERCASABLE = frozenset(
    "The A An It Its This That These Those In On At As After Before According For With Some Many "
    "Several Two Three Users Researchers Officials Analysts Critics Experts".split()
)


def details(lens: Lens, story: Story, short: bool) -> str:
    """Why it matters, in sentences: what kind of development, corroboration, confidence, stakes."""
    kind = development_kind(lens, story)
    parts = [_coverage_sentence(lens, kind, story), _confidence_sentence(lens, story), _stakes(lens, story)]
    if story.developing_since:
        parts.append(f"Developing since {story.developing_since}.")
    elif not short:
        parts.append(_WATCH[kind])
    return " ".join(p for p in parts if p)


def _coverage_sentence(lens: Lens, kind: str, story: Story) -> str:
    outlets = news_outlets(story, independent=True)
    posts = sum(1 for m in story.members if is_social(m))
    extra = f", plus {_plural(posts, 'social post')}" if posts and outlets else ""
    if not outlets:
        if speaker := _primary_speaker(lens, story):
            return f"{_KIND_NOUN[kind]} announced by {speaker}; no independent outlet has reported it yet."
        return f"{_KIND_NOUN[kind]} seen so far only in {_plural(posts, 'social post')}."
    if len(outlets) == 1:
        return f"{_KIND_NOUN[kind]} reported by a single outlet ({outlets[0]}){extra}."
    named = _join(outlets[:3] + ([f"{len(outlets) - 3} more"] if len(outlets) > 3 else []))
    return f"{_KIND_NOUN[kind]} reported by {len(outlets)} independent outlets ({named}){extra}."


def _confidence_sentence(lens: Lens, story: Story) -> str:
    speaker = _primary_speaker(lens, story)
    independent = news_outlets(story, independent=True)
    if story.confidence == "high":
        if speaker:
            return f"{_cap(speaker)} confirms it and independent outlets agree: high confidence."
        return "Several independent outlets agree on the facts: high confidence."
    if story.confidence == "medium":
        if speaker and not independent:
            return "Medium confidence: it is the source's own word, not yet checked by others."
        if speaker:
            return f"{_cap(speaker)} speaks, but independent coverage is thin; medium confidence."
        return "No primary source has confirmed it yet; read it as likely rather than settled (medium confidence)."
    if speaker and not independent:
        return "Low confidence: only the source itself speaks so far."
    return "Treat as low-to-medium confidence absent primary confirmation."


def _primary_speaker(lens: Lens, story: Story) -> str:
    """'the primary source (openai.com)': named by its host, since an aggregator (Hacker News)
    can carry the primary link under its own outlet name."""
    hosts = sorted({_host(m.canonical_url or m.url) or m.outlet for m in story.members if is_primary(lens, m)})
    return f"the primary source ({hosts[0]})" if hosts else ""


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _stakes(lens: Lens, story: Story) -> str:
    category = lens.categories.get(story.category or "")
    if category is None:
        return ""
    what = category.description.strip().rstrip(".")
    if len(what) > 1 and what[1].islower():
        what = what[0].lower() + what[1:]
    return f"For {lens_label(lens)} it falls under {_label(story.category or '')}: {what}."


def lens_label(lens: Lens) -> str:
    """'AI SAFETY AND GOVERNANCE' -> 'AI safety and governance', for use inside a sentence."""
    words = [w if len(w) <= 2 or not w.isalpha() else w.lower() for w in lens.name.split()]
    return " ".join(words)


def _label(slug: str) -> str:
    return slug.replace("_", " ").replace("-", " ")


def development_kind(lens: Lens, story: Story) -> str:
    """release, paper, policy, legal, deal, infrastructure, incident, society or development.

    Judged from the category's slug (descriptions mention too much: the policy category's names
    courts too), then from the members' kinds; a policy story whose titles speak of a court is legal.
    """
    slug = (story.category or "").casefold()
    kind = next((k for k, cues in _KIND_CUES if any(cue in slug for cue in cues)), "")
    if kind == "policy" and any(_LEGAL.search(m.title) for m in story.members):
        return "legal"
    if kind:
        return kind
    kinds = sorted(m.kind for m in story.members)
    return "paper" if "paper" in kinds else "release" if "release" in kinds else "development"


_LEGAL = re.compile(r"\b(court|courts|judge|lawsuit|lawsuits|sues?|sued|trial|ruling|verdict)\b", re.IGNORECASE)
_KIND_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("incident", ("security", "misuse", "incident")),
    ("legal", ("legal", "litigation", "court")),
    ("policy", ("policy", "regulat", "geopolit", "sovereign", "governance", "law")),
    ("deal", ("business", "market", "deal", "invest", "funding", "industry")),
    ("infrastructure", ("compute", "infrastructure", "chip", "supply", "hardware")),
    ("paper", ("research", "eval", "paper", "alignment")),
    ("society", ("society", "harm", "labor", "jobs")),
    ("release", ("model", "release", "product", "agent", "tooling")),
)
_KIND_NOUN = {
    "incident": "A security or safety incident", "legal": "A legal development",
    "policy": "A policy development", "deal": "A deal or capital move",
    "paper": "A research result", "release": "A release", "development": "A development",
    "infrastructure": "A compute or supply-chain development",
    "society": "A development in AI's effects on people",
}
_WATCH = {
    "incident": "Watch for disclosure of the scope, the fix, and whether regulators take an interest.",
    "legal": "Watch for the next filings and rulings, and for settlement signals.",
    "policy": "Watch for implementing detail, deadlines, and how the labs respond.",
    "deal": "Watch for regulatory review and what the money buys in compute and talent.",
    "paper": "Watch for replication and whether the labs adopt or dispute the result.",
    "release": "Watch for independent evaluations and the safety documentation that ships with it.",
    "development": "Watch for a primary statement and independent follow-up.",
    "infrastructure": "Watch for who gets the capacity, on what timeline, and how export rules respond.",
    "society": "Watch for how regulators, courts and the companies respond.",
}


def executive_summary(lens: Lens, top: list[BriefItem], notes: list[BriefItem], relevant: int) -> str:
    """2-4 sentences: the lead story, the others, and the size of the day."""
    if not top:
        return (f"A quiet day for {lens_label(lens)}: no story met the bar for a top item"
                f" ({_plural(len(notes), 'noteworthy development')} below).")
    lead = top[0]
    parts = [_full_stop(f"The day's main development: {_unstop(lead.headline)}{_exec_hedge(lead)}")]
    if len(top) > 1:
        parts.append(_full_stop("Also: " + "; ".join(_unstop(i.headline) + _exec_hedge(i) for i in top[1:])))
    parts.append(_day_size(top + notes, relevant))
    return " ".join(parts)


def _full_stop(text: str) -> str:
    return text if text.endswith(("…", "?", "!", ".")) else text + "."


def _exec_hedge(item: BriefItem) -> str:
    return {"high": "", "medium": " (likely, not yet confirmed)", "low": " (reported, unconfirmed)"}[item.confidence]


def _day_size(items: list[BriefItem], relevant: int) -> str:
    categories = sorted({i.category for i in items if i.category})
    spread = f", spanning {_join([_label(c) for c in categories[:4]])}" if categories else ""
    return f"{_plural(len(items), 'story', 'stories')} made the brief from {_plural(relevant, 'relevant item')}{spread}."


# --- text helpers -----------------------------------------------------------------------------


def central_sentences(lens: Lens, story: Story, limit: int, focus: frozenset[str] = frozenset()) -> list[str]:
    """The sentences most members agree on (shared content words), plus names and numbers;
    sentences that share words with the headline (`focus`) say "who did what" and rank higher."""
    candidates = list(_candidates(lens, story, focus))
    if any(not _is_cjk(c.text) for c in candidates):
        # An English brief quotes Chinese only when nothing English says it: the two would
        # otherwise repeat one fact in two languages, which no overlap measure can see.
        candidates = [c for c in candidates if not _is_cjk(c.text)]
    scored = sorted(candidates, key=lambda c: (-c.score, c.order))
    chosen: list[_Candidate] = []
    for cand in scored:
        used = sum(len(c.text) for c in chosen)
        if len(chosen) == limit:
            break
        if (not chosen or used + len(cand.text) <= SUMMARY_CHARS) and all(
            _jaccard(cand.words, c.words) < 0.5 for c in chosen
        ):
            chosen.append(cand)
    # Lead with a sentence that stands alone: "The firm says ..." needs one before it.
    chosen.sort(key=lambda c: (_ANAPHOR.match(c.text) is not None, -c.score, c.order))
    return [c.text for c in chosen]


_ANAPHOR = re.compile(r"(The (firm|company|group|agency|startup|report|move|deal|judge)|It|Its|This|That|"
                      r"These|Those|He|She|They|Their|His|Her|We|Our|But|And|However|Also)\b")


@dataclass(frozen=True)
class _Candidate:
    text: str
    words: frozenset[str]
    score: float
    order: tuple[int, int]


def _candidates(lens: Lens, story: Story, focus: frozenset[str]) -> Iterable[_Candidate]:
    members = sorted(story.members, key=lambda m: _member_key(lens, m))
    agreement = _agreement(story)
    for m_index, member in enumerate(members):
        social = is_social(member)
        # The first sentences carry the news; reading further only costs time on long texts.
        for s_index, sentence in enumerate(_usable_sentences(member.text, MAX_SENTENCES_PER_MEMBER)):
            words = content_words(sentence)
            base = agreement.shared(member, words) + 0.5 * len(words & focus) + 0.5 * min(_specifics(sentence), 4)
            base += 2.0 if s_index == 0 else 0.0  # a lede is written to be read first
            score = base * _sentence_factor(sentence, social)
            if score > 0:
                yield _Candidate(sentence, words, score, (m_index, s_index))


def _sentence_factor(sentence: str, social: bool) -> float:
    factor = 0.7 if social else 1.0  # reporting over commentary when both exist
    if sentence.endswith(("?", "？")):
        factor *= 0.3
    if re.search(r"\b(I|I'm|I’m|my|me)\b", sentence):
        factor *= 0.3  # first person is a columnist's or poster's opinion, not the report
    length = len(sentence.split())
    return factor / (1 + max(0, length - 30) / 15)


def _usable_sentences(text: str, limit: int) -> list[str]:
    sentences = split_sentences(text)
    if sentences and (not sentences[-1].endswith(_TERMINALS) or sentences[-1].endswith(("...", "…"))):
        sentences = sentences[:-1]  # feeds cut snippets mid-sentence; a fragment is never a summary
    usable: list[str] = []
    for sentence in map(_tidy, sentences):
        if len(usable) == limit:
            break
        if _good_length(sentence) and not is_boilerplate(sentence) and not _PROMO.match(sentence):
            usable.append(sentence)
    return usable


def _tidy(sentence: str) -> str:
    """Collapse whitespace and the stray space feeds leave before punctuation ('Reuters .')."""
    return re.sub(r"\s+([.,;:!?])(?=\s|$)", r"\1", " ".join(sentence.split()))


_TERMINALS = (".", "!", "?", "。", "！", "？", '"', "”", "’", "'", ")", "」")


def _good_length(sentence: str) -> bool:
    if _is_cjk(sentence):
        return 10 <= len(sentence) <= 200
    return 6 <= len(sentence.split()) <= 70


_BOILERPLATE = (
    "read more", "continue reading", "announce type", "arxiv:", "http://", "https://", "www.",
    "submitted by", "[link]", "[comments]", "article url:", "comments url:", "points:",
    "appeared first on", "click here", "sign up for our", "subscribe to our", "all rights reserved",
    "use cookies", "cookie policy",
)


_PROMO = re.compile(r"(Explore|Learn|Discover|Find out|Check out|Join|Watch|Sign up|Don't miss)\b")  # blurbs


def is_boilerplate(sentence: str) -> bool:
    # Plain substring tests: this runs on every sentence of every member.
    lowered = sentence.lower()
    return any(marker in lowered for marker in _BOILERPLATE)


_BOUNDARY = re.compile(
    r"([.!?][\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9\u4e00-\u9fff])|([。！？][”」』\"]?)\s*"
)
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st inc corp co ltd jr sr vs u.s u.k e.g i.e no gen gov sen rep dept est fig".split()
)


def split_sentences(text: str) -> list[str]:
    """Sentences of English (. ! ?) and Chinese (。！？) text; abbreviations do not end one."""
    out, start = [], 0
    for match in _BOUNDARY.finditer(text):
        end = match.end(1) if match.group(1) else match.end(2)
        if match.group(1) and _ends_in_abbreviation(text[start:match.start(1)]):
            continue
        out.append(text[start:end].strip())
        start = match.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def _ends_in_abbreviation(before: str) -> bool:
    last = before.rsplit(None, 1)[-1] if before.strip() else ""
    return last.casefold().lstrip("(\"'“") in _ABBREVIATIONS or (len(last) == 1 and last.isupper())


_STOPWORDS = frozenset(
    "the and for that with this from have has had was were are been its their they them his her "
    "she him our you your not but all any can will would could should may might also than then "
    "into over under about after before more most some such only other what which who whom when "
    "where while how why new says said say just like one two out off per via yet now get got does "
    "did being there here these those each both very much many year years today week".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’\-]+|\d[\d,.]*\d|\d")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


@lru_cache(maxsize=8192)
def content_words(text: str) -> frozenset[str]:
    """Lower-cased English words (3+ letters, no stopwords), numbers, and Chinese bigrams.
    Cached: every member's text is compared with every other member's several times."""
    words = {w.casefold().strip("'’-") for w in _WORD.findall(text)}
    words = {w for w in words if (len(w) >= 3 or w.isdigit()) and w not in _STOPWORDS}
    for run in _CJK_RUN.findall(text):
        words |= {run[i:i + 2] for i in range(max(1, len(run) - 1))}
    return frozenset(words)


@dataclass(frozen=True)
class _Agreement:
    """How many of a story's distinct URLs use each content word: centrality without O(n²) unions."""

    counts: Counter[str]
    own: dict[str, frozenset[str]]

    def shared(self, member: StoryMember, words: frozenset[str]) -> int:
        """Words of `words` that some *other* URL of the story also uses (the member's own title
        stands in for the others when the story has one URL only)."""
        own = self.own[url_key(member)]
        if len(self.own) == 1:
            return len(words & content_words(member.title))
        return sum(1 for w in words if self.counts[w] - (w in own) > 0)


def _agreement(story: Story) -> _Agreement:
    own: dict[str, frozenset[str]] = {}
    for member in story.members:
        own[url_key(member)] = own.get(url_key(member), frozenset()) | content_words(f"{member.title} {member.text}")
    return _Agreement(Counter(w for words in own.values() for w in words), own)


def _specifics(text: str) -> int:
    """Names and numbers: capitalised words past the first, and figures."""
    tokens = text.split()[1:]
    return sum(1 for t in tokens if t[:1].isupper() or t[:1].isdigit() or t[:1] in "$€£¥")


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def _is_cjk(text: str) -> bool:
    return bool(_CJK_RUN.search(text))


_OUTLET_SUFFIX = re.compile(r"\s+(?:[-–—|]|::)\s+([^-–—|]{2,40})$")


def clean_title(title: str) -> str:
    """Strip a trailing outlet tag (' - Reuters', ' | TechCrunch') and collapse whitespace."""
    title = " ".join(title.split())
    match = _OUTLET_SUFFIX.search(title)
    if match and _looks_like_outlet(match.group(1)):
        title = title[: match.start()].rstrip()
    return title


def _looks_like_outlet(tag: str) -> bool:
    words = tag.split()
    return len(words) <= 4 and all(w[:1].isupper() or w[:1].isdigit() or "." in w for w in words)


def trim_words(text: str, limit: int) -> str:
    """Cut to about `limit` characters at a word boundary (or anywhere in Chinese), adding '…'."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def _unstop(text: str) -> str:
    """Drop a headline's final full stop before it is embedded in a sentence; keep '…' and '?'."""
    return text.rstrip(" .。") if not text.endswith("…") else text


def news_outlets(story: Story, independent: bool = False) -> list[str]:
    """Distinct non-social outlets by name (without the members flagged primary when
    `independent`): the corroboration count the wording reports."""
    picked = {m.outlet for m in story.members if not is_social(m) and not (independent and m.primary)}
    return sorted(picked)


def _join(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"
