"""The offline writer: headline, Summary, Details and the Executive Summary, from evidence. Pure.

Extractive and deterministic, no downloads: the Summary quotes the cluster's most central
sentences (the ones whose content words other members also use), the headline is the member
title that best says who did what, and Details is assembled from what the evidence shows (what
kind of development the texts describe, who is named, how many independent outlets, whether a
primary source speaks, how it continues an earlier story, why the lens's category cares). It
never states a claim no member makes, and it hedges to the confidence the scorer computed.

The writer sees a story as `Evidence`: its members already judged (primary, social, tier) by
`streams.brief.assemble`, which owns those rules, so the language-model writer can share them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from models.briefs import BriefItem
from models.stories import Story, StoryMember
from streams.brief.sentences import (
    URL,
    cap,
    cjk_figures,
    clean_title,
    content_words,
    full_stop,
    is_cjk,
    is_title_case,
    jaccard,
    join,
    mostly_cjk,
    names_in,
    opening,
    plural,
    says_again,
    specifics,
    split_sentences,
    stems,
    strip_attribution,
    trim_words,
    unstop,
    usable_sentences,
)

HEADLINE_CHARS = 110
SUMMARY_CHARS = {False: 400, True: 280}  # top item, noteworthy item
SUMMARY_SENTENCES = {False: 3, True: 2}
EXECUTIVE_CHARS = 800
MAX_SENTENCES_PER_MEMBER = 12
MEMBERS_READ = 32  # members whose words one brief item is written from (`Evidence.read`)


@dataclass(frozen=True)
class Source:
    """One member as the writer sees it, judged by the assembler's rules."""

    member: StoryMember
    key: str  # canonical URL (one source per URL)
    host: str
    primary: bool
    social: bool
    tier: int = 6  # 0 primary, 1 tier1, 2 tier2, 3 research, 4 social, 6 unknown


@dataclass(frozen=True)
class Evidence:
    """A story with its members in citation order (primary first, then tier, then time)."""

    story: Story
    sources: tuple[Source, ...]
    lens_label: str  # 'AI safety and governance'
    category_description: str = ""

    @property
    def read(self) -> tuple[Source, ...]:
        """The members whose words the writer reads: the first MEMBERS_READ in citation order
        (primary sources, then tier, then the earliest), so a story of hundreds of reports costs
        what one of MEMBERS_READ does. Counts (outlets, posts) still cover every member."""
        return self.sources[:MEMBERS_READ]

    @property
    def independent(self) -> list[str]:
        """Distinct news outlets other than the primary source: the corroboration count."""
        return sorted({s.member.outlet for s in self.sources if not s.social and not s.primary})

    @property
    def posts(self) -> int:
        return sum(1 for s in self.sources if s.social)

    @property
    def speaker(self) -> str:
        """'the primary source (openai.com)': named by host, since an aggregator can carry the
        primary link under its own outlet name."""
        hosts = sorted({s.host or s.member.outlet for s in self.sources if s.primary})
        return f"the primary source ({hosts[0]})" if hosts else ""

    @property
    def preprint(self) -> bool:
        """Every source is a paper: the authors speak for their own result."""
        return all(s.member.kind == "paper" for s in self.sources)

    @cached_property
    def corpus(self) -> str:
        """The members' words, without the URLs aggregators quote ("google" in a link is no word)."""
        return URL.sub(" ", " ".join(f"{s.member.title}. {s.member.text}" for s in self.read))

    @cached_property
    def agreement(self) -> Agreement:
        return Agreement.of(self.read)


@dataclass(frozen=True)
class Written:
    headline: str
    summary: str
    details: str
    kind: str


def write_item(ev: Evidence, short: bool) -> Written:
    title = headline(ev)
    kind = development_kind(ev)
    said = summary(ev, short, title)
    return Written(title, said, details(ev, kind, short, title, said), kind)


def foreign_only(ev: Evidence) -> bool:
    """No member writes in English: every title (and text) is Chinese."""
    return all(is_cjk(s.member.title or s.member.text) for s in ev.sources)


def language_of(ev: Evidence) -> str:
    langs = sorted({(s.member.lang or "").split("-")[0].casefold() for s in ev.sources})
    return next((_LANGUAGES[code] for code in langs if code in _LANGUAGES), "Chinese")


_LANGUAGES = {"zh": "Chinese", "ja": "Japanese", "ko": "Korean"}


# --- headline ---------------------------------------------------------------------------------


def headline(ev: Evidence) -> str:
    """The member title that best says who did what: central, concrete, sentence-case, English
    when any member is English, from a primary or well-tiered source; attributions stripped."""
    # A title with Chinese in it is no English headline, even when it is mostly Latin letters
    # ('DeepSeek悄悄更新：Mega MoE、FP4 Indexer来了').
    english = any(s.member.title.strip() and not is_cjk(s.member.title) for s in ev.sources)
    ranked = sorted(enumerate(ev.read), key=lambda p: (-_title_score(ev, p[1], english), p[0]))
    best = ranked[0][1].member
    title = strip_attribution(best.title) or best.outlet
    if len(title) > HEADLINE_CHARS:  # a post's text as its title: its first sentence, if that says enough
        first = split_sentences(title)[0]
        title = first if len(first.split()) >= 4 else title
    title = trim_words(_without_teaser(title), HEADLINE_CHARS)
    if not english and foreign_only(ev):  # no offline translation: say what language the reader meets
        title = f"{title} ({language_of(ev)}-language report)"
    return title


def is_opinion(member: StoryMember) -> bool:
    """An opinion piece, by its address ('/opinion/', '/commentisfree/') or its kicker."""
    where = f"{member.url} {member.canonical_url or ''}".casefold()
    return bool(_OPINION_PATH.search(where) or _OPINION_KICKER.match(member.title))


_OPINION_PATH = re.compile(r"/(opinion|opinions|commentisfree|comment|editorials?|columns?|op-?ed)/")
_OPINION_KICKER = re.compile(r"\s*(opinion|op-ed|column|editorial|commentary)\s*[:|]", re.IGNORECASE)


def _without_teaser(title: str) -> str:
    """'Meta's AI model is finally here. But can it make money?': the report without the question
    tacked on to tease it, when what is left says enough."""
    sentences = split_sentences(title)
    if len(sentences) < 2 or not sentences[-1].endswith(("?", "？")):
        return title
    report = " ".join(sentences[:-1]).rstrip(".")
    return report if len(report.split()) >= 4 else title


def _title_score(ev: Evidence, source: Source, english: bool) -> float:
    title = strip_attribution(source.member.title)
    words = len(title.split())
    score = min(ev.agreement.shared(source, content_words(title)), 8) + 0.5 * min(specifics(title), 4)
    score += 3.0 if source.primary else max(0, 3 - source.tier)
    if is_cjk(title):
        score -= 12.0 if english else 0.0  # never a Chinese-only headline over an English one
    elif words < 4:
        score -= 4.0  # "OpenAI for Healthcare" names a page, not a development
    if is_title_case(title):
        score -= 2.5  # SEO headline case: a sentence-case title usually says the same plainer
    if len(title) > HEADLINE_CHARS:
        score -= 3.0  # a headline that has to be cut reads worse than a shorter one
    elif words > 16:
        score -= 1.5
    if source.social or title.endswith(("?", "？")):
        score -= 3.0  # community titles editorialise ("More Disastrous News for ...")
    if is_opinion(source.member):
        score -= 8.0  # a column's rhetoric is no news headline
    if re.match(r"(Our|We|My|I|How|Why|What)\b", title):
        score -= 5.0  # speaks for the source or teases; the reader needs who did what
    elif re.search(r"\b(?:I|[Mm]y|[Mm]e)\b", title):
        score -= 5.0  # the writer's own experience ("... Asked for My Raw Health Data"), not the development
    return score


# --- summary ----------------------------------------------------------------------------------


def summary(ev: Evidence, short: bool, title: str) -> str:
    """2-3 of the cluster's most informative sentences, hedged to the story's confidence."""
    if foreign_only(ev):
        return hedge(ev, untranslated(ev), lead_in=False)
    sentences = central_sentences(ev, SUMMARY_SENTENCES[short], SUMMARY_CHARS[short], content_words(title))
    if not sentences:  # the fallback names its outlet already: only a low story needs more
        fallback = _title_only(ev, title)
        return hedge(ev, fallback, lead_in=False) if ev.story.confidence == "low" else fallback
    return hedge(ev, " ".join(sentences))


def untranslated(ev: Evidence) -> str:
    """What an English reader can be told of a report in another language without translating
    it: who carried it, the organisations it names in Latin script, and its figures."""
    outlets = sorted({s.member.outlet for s in ev.sources})
    line = f"In {language_of(ev)} only, from {join(outlets[:3])}."
    names = [n for n in involved(ev, ev.sources[0].member.title) if not is_cjk(n)]
    figures = cjk_figures(" ".join(f"{s.member.title} {s.member.text[:400]}" for s in ev.read))[:3]
    if names and figures:
        return f"{line} The coverage names {join(names)} and gives {join(figures)}."
    if names or figures:
        return f"{line} The coverage {'names ' + join(names) if names else 'gives ' + join(figures)}."
    return line


def _title_only(ev: Evidence, shown: str) -> str:
    """A story whose feeds carried only titles: say so, quoting a title the headline did not use."""
    others = [s.member for s in ev.sources if clean_title(s.member.title)
              and trim_words(strip_attribution(s.member.title), HEADLINE_CHARS) != shown]
    other = (others or [ev.sources[0].member])[0]
    return f'"{unstop(clean_title(other.title))}" ({other.outlet}, headline only).'


def hedge(ev: Evidence, text: str, lead_in: bool = True) -> str:
    """Low: 'Reportedly, ...' plus an explicit caveat; medium: name who says so; high: plain.
    Text with Chinese in it is never prefixed: the hedge follows it in brackets."""
    if ev.story.confidence == "high" or not text:
        return text
    if ev.preprint:  # "Reportedly" would misstate a paper: its authors say it, nobody has checked
        return f"{text} (A preprint: confidence rests on its authors alone.)"
    lead_in = lead_in and not is_cjk(text)
    outlets = sorted({s.member.outlet for s in ev.sources if not s.social})
    if ev.story.confidence == "medium":
        who = join(outlets[:2]) or "social posts"
        return _lead_in(f"According to {who}, ", text, ev.corpus) if lead_in else f"{text} (According to {who}.)"
    caveat = ("Social posts only, unconfirmed." if not outlets else
              "Single outlet, unconfirmed." if len(outlets) == 1 else "Unconfirmed by a primary source.")
    return f"{_lead_in('Reportedly, ', text, ev.corpus) if lead_in else text} ({caveat})"


def _lead_in(prefix: str, text: str, corpus: str) -> str:
    """Prefix an English opening, lower-casing its first word only when that is no name."""
    first = re.match(r"[A-Za-z]+", text)
    if first and is_common_word(first.group(0), corpus):
        text = text[0].lower() + text[1:]
    return prefix + text


def is_common_word(word: str, corpus: str) -> bool:
    """'The', 'Regulators': lower-case them after a lead-in; 'Nvidia', 'Zhipu', 'Reuters': keep.
    A capitalised word is common if the cluster also uses it in lower case, or if it looks like a
    common noun or adjective and is never capitalised mid-sentence."""
    if word in _LOWERCASABLE or word.casefold() in _OPENERS:
        return True
    if word == "I" or not word[1:].islower() or _capitalised_mid_sentence(word, corpus):
        return False  # a name: "google" in a URL does not make "Google" a common word
    return _written_lower(word, corpus) or word.lower().endswith(_COMMON_SUFFIXES)


def _written_lower(word: str, corpus: str) -> bool:
    """The cluster also writes the word in lower case: an ordinary word, not a name."""
    return re.search(_whole(word.lower()), corpus) is not None


_COMMON_SUFFIXES = ("al", "ive", "ing", "ed", "ly", "ous", "ful", "less", "able", "ible", "ic", "ent", "ant",
                    "ers", "ors", "ists", "ians", "ents", "ants", "ies", "tions", "ments")
_OPENERS = frozenset("the a an it its this that these those in on at as after before according for with "
                     "some many several two three how why what when where recently we they he she there "
                     "our their his her".split())
_LOWERCASABLE = frozenset("Users Researchers Officials Analysts Critics Experts Regulators Lawmakers "
                          "Investors Employees Workers Parents Families Scientists".split())


def _whole(word: str) -> str:
    """A word standing alone in Latin script: in '新一代Rubin平台' Rubin is whole, though Chinese
    characters touch it (which `\\b` would not allow)."""
    return rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])"


def _capitalised_mid_sentence(word: str, corpus: str) -> bool:
    for match in re.finditer(_whole(word), corpus):
        before = corpus[: match.start()].rstrip()
        if before and before[-1] not in ".!?\"“'‘:":
            return True
    return False


def central_sentences(ev: Evidence, limit: int, chars: int, focus: frozenset[str] = frozenset()) -> list[str]:
    """The sentences most members agree on (shared content words), plus names and numbers;
    sentences that share words with the headline (`focus`) say "who did what" and rank higher.
    Each further sentence must add facts: one that mostly repeats a chosen one is skipped."""
    candidates = list(_candidates(ev, focus))
    if any(not is_cjk(c.text) for c in candidates):
        # An English brief quotes Chinese only when nothing English says it: the two would
        # otherwise repeat one fact in two languages, which no overlap measure can see.
        candidates = [c for c in candidates if not is_cjk(c.text)]
    # A question reports nothing ('Should they be taken off X?'): a Summary states what happened.
    candidates = [c for c in candidates if not c.text.endswith(("?", "？"))] or candidates
    chosen: list[_Candidate] = []
    for cand in sorted(candidates, key=lambda c: (-c.score, c.order)):
        if len(chosen) == limit:
            break
        if chosen and (sum(len(c.text) + 1 for c in chosen) + len(cand.text) > chars or not _adds(cand, chosen)):
            continue
        chosen.append(cand)
    # Lead with a sentence that stands alone: "The firm says ..." needs one before it.
    chosen.sort(key=lambda c: (_ANAPHOR.match(c.text) is not None, -c.score, c.order))
    return [c.text for c in chosen]


def _adds(cand: _Candidate, chosen: list[_Candidate]) -> bool:
    if any(_restates(cand, c) for c in chosen):
        return False
    new = cand.words - frozenset().union(*(c.words for c in chosen))
    return len(new) >= max(4, 0.6 * len(cand.words))


def _restates(a: _Candidate, b: _Candidate) -> bool:
    """Two sentences of one fact: most words shared, the other's facts said again, or the same opening."""
    same_opening = bool(opening(a.text)) and opening(a.text) == opening(b.text)
    return jaccard(a.words, b.words) >= 0.35 or says_again(a.text, b.text) or same_opening


_ANAPHOR = re.compile(r"(The (firm|company|group|agency|startup|report|move|deal|judge)|It|Its|This|That|"
                      r"These|Those|He|She|They|Their|His|Her|We|Our|But|And|However|Also)\b")


@dataclass(frozen=True)
class _Candidate:
    text: str
    words: frozenset[str]
    score: float
    order: tuple[int, int]


def _candidates(ev: Evidence, focus: frozenset[str]) -> Iterable[_Candidate]:
    for m_index, source in enumerate(ev.read):
        # The first sentences carry the news; reading further only costs time on long texts.
        for s_index, sentence in enumerate(usable_sentences(source.member.text, MAX_SENTENCES_PER_MEMBER)):
            words = content_words(sentence)
            base = ev.agreement.shared(source, words) + 0.5 * len(words & focus) + 0.5 * min(specifics(sentence), 4)
            if source.member.kind == "paper":  # an abstract's first sentence is background
                base += 3.0 if _FINDING.search(sentence) else 0.0
            else:
                base += 2.0 if s_index == 0 else 0.0  # a lede is written to be read first
            score = base * _sentence_factor(sentence, source.social, source.member.kind == "paper")
            if score > 0:
                yield _Candidate(sentence, words, score, (m_index, s_index))


_FINDING = re.compile(r"\b(we|this (paper|work|study))\s+(propose|introduce|present|show|find|demonstrate|"
                      r"release|develop|evaluate|reveal)|\b(results|experiments|findings) (show|suggest|reveal)",
                      re.IGNORECASE)


def _sentence_factor(sentence: str, social: bool, paper: bool = False) -> float:
    factor = 0.7 if social else 1.0  # reporting over commentary when both exist
    if sentence.endswith(("?", "？")):
        factor *= 0.3
    if re.search(r"\b(I|I'm|I’m|my|me)\b", sentence):
        factor *= 0.3  # first person is a columnist's or poster's opinion, not the report
    if not paper and re.match(r"(We|We're|We’re|Our|Us)\b", sentence):
        factor *= 0.15  # "We will appeal": the company's voice; a report says who "we" is
    if re.match(r"[\w ]{0,40}(reports|writes):", sentence):
        factor *= 0.6  # "The Verge reports: ..." quotes a quote
    length = len(sentence.split())
    return factor / (1 + max(0, length - 30) / 15)


@dataclass(frozen=True)
class Agreement:
    """How many of a story's distinct URLs use each content word: centrality without O(n²) unions."""

    counts: Counter[str]
    own: dict[str, frozenset[str]]

    @classmethod
    def of(cls, sources: Sequence[Source]) -> Agreement:
        own: dict[str, frozenset[str]] = {}
        for s in sources:
            own[s.key] = own.get(s.key, frozenset()) | content_words(f"{s.member.title} {s.member.text}")
        return cls(Counter(w for words in own.values() for w in words), own)

    def shared(self, source: Source, words: frozenset[str]) -> int:
        """Words of `words` that some *other* URL of the story also uses (the member's own title
        stands in for the others when the story has one URL only)."""
        if len(self.own) == 1:
            return len(words & content_words(source.member.title))
        own = self.own[source.key]
        return sum(1 for w in words if self.counts[w] - (w in own) > 0)


# --- details ----------------------------------------------------------------------------------

DETAIL_FACTS = {False: 2, True: 1}  # top item, noteworthy item


def details(ev: Evidence, kind: str, short: bool, title: str = "", said: str = "") -> str:
    """What this story's own sources add to the Summary (figures, actors, dates, what comes next,
    who reacted, what is disputed), then how sure we are and why. No stock sentence: everything but
    the short confidence wording comes from the story, so no two items read alike. (`kind` is kept
    for the language-model writer's facts; the offline Details no longer names it.)"""
    parts = added_facts(ev, DETAIL_FACTS[short], title, said) or [_named(ev, title, said)]
    parts.append(confidence_sentence(ev))
    if ev.story.developing_since:
        parts.append(f"Developing since {day_name(ev.story.developing_since)}.")
    return " ".join(p for p in parts if p)


def added_facts(ev: Evidence, limit: int, title: str, said: str) -> list[str]:
    """Sentences of the members that the headline and Summary do not already say, most telling
    first (figures and names, then what comes next, who reacted, what is disputed, what is at
    stake), each attributed to its outlet."""
    if foreign_only(ev):
        return []  # nothing to quote in English
    shown = [title, *split_sentences(said)]
    # an English brief quotes no Chinese once any member is English (the story is not foreign-only)
    # nor a poster's own experience ('I was getting slow download speeds ... in my Python code'):
    # a fact of the story is what happened, not what one reader met
    candidates = [c for c in _candidates(ev, frozenset()) if c.text not in said and not is_cjk(c.text)
                  and not _CONTEXT_BOUND.match(c.text) and not c.text.endswith("?")
                  and not (ev.sources[c.order[0]].social and _SPEAKER.search(c.text))]
    chosen: list[_Candidate] = []
    for cand in sorted(candidates, key=lambda c: (-_telling(c), c.order)):
        if len(chosen) == limit:
            break
        before = shown + [c.text for c in chosen]
        if len(stems(cand.text) - frozenset().union(*map(stems, before))) < 4:
            continue  # it would mostly say again what the reader has just read
        if len(cand.text) <= 320:
            chosen.append(cand)
    return [_attributed(ev, c) for c in sorted(chosen, key=lambda c: c.order)]


_SPEAKER = re.compile(r"\b(I|I'm|I've|I’m|I’ve|[Mm]y|[Mm]e)\b")
# A sentence that leans on the one before it in its own article ('And ...', 'Which ...', 'It ...').
_CONTEXT_BOUND = re.compile(r"(And|But|Or|So|Which|Why|What|How|It|Its|This|That|These|Those|They|He|She|"
                            r"His|Her|Their|Here|There|Also|However|Still|Yet)\b")
_NEXT = re.compile(r"\b(will|plans? to|expected to|is set to|next (week|month|year)|deadline|hearing|vote|"
                   r"by (the end of|January|February|March|April|May|June|July|August|September|October|"
                   r"November|December|20\d\d))\b", re.IGNORECASE)
_REACTION = re.compile(r"\b(said in a statement|responded|declined to comment|did not respond|criticis|criticiz|"
                       r"welcomed|condemned|called (it|the)|spokesperson|spokesman|spokeswoman)", re.IGNORECASE)
_DISPUTE = re.compile(r"\b(denied|denies|disputed?|disputes|alleg\w+|contested|however|but)\b", re.IGNORECASE)
_STAKES = re.compile(r"\b(first|largest|biggest|record|risks?|threat|safety|security|precedent|could|would|"
                     r"concerns?|warn\w*)\b", re.IGNORECASE)


def _telling(cand: _Candidate) -> float:
    cues = sum(2.0 for cue in (_NEXT, _REACTION, _DISPUTE, _STAKES) if cue.search(cand.text))
    return cues + min(specifics(cand.text), 5) + 0.3 * cand.score


def _attributed(ev: Evidence, cand: _Candidate) -> str:
    """'The deal ... (CNBC).': who says it, since Details mixes several members' words."""
    outlet = ev.sources[cand.order[0]].member.outlet
    if is_cjk(cand.text) or outlet.casefold() in cand.text.casefold():
        return cand.text
    return f"{cand.text.rstrip('.')} ({outlet})."


def _named(ev: Evidence, title: str, said: str) -> str:
    """When the sources add no sentence: the actors they name that the reader has not met yet."""
    fresh = [n for n in involved(ev, title) if n not in f"{title} {said}"]
    return f"Also named in the coverage: {join(fresh)}." if fresh else ""


def confidence_sentence(ev: Evidence) -> str:
    """How sure, in one short sentence that says why: who speaks and how many outlets agree."""
    speaker, outlets, confidence = ev.speaker, ev.independent, ev.story.confidence
    level = cap(confidence) + " confidence"
    if ev.preprint:
        return f"{level}: the authors' own preprint, not yet replicated or reviewed."
    named = join(outlets[:3] + ([plural(len(outlets) - 3, "more", "more", words=True)] if len(outlets) > 3 else []))
    count = plural(len(outlets), "outlet", words=True)
    posts = f", plus {plural(ev.posts, 'social post', words=True)}" if ev.posts and outlets else ""
    host = speaker.removeprefix("the primary source (").rstrip(")") if speaker else ""
    if speaker and outlets:
        verb = "agrees" if len(outlets) == 1 else "agree"
        return f"{level}: {host} speaks for itself and {count} ({named}) {verb}{posts}."
    if speaker:
        return f"{level}: only {host} itself speaks so far."
    if not outlets:
        return f"{level}: {plural(ev.posts, 'social post', words=True)} and no outlet yet."
    if len(outlets) == 1:
        return f"{level}: a single outlet ({named}){posts}, and no primary statement."
    return f"{level}: {count} ({named}){posts}, but no primary statement."


def day_name(day: str) -> str:
    """'2026-01-06' -> '6 January'."""
    year, month, date = (int(x) for x in day.split("-"))
    return f"{date} {_MONTHS[month - 1]}"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def involved(ev: Evidence, title: str = "") -> list[str]:
    """Up to three named actors: names from the headline (unless it is in Title Case, where every
    word looks like a name) and names that several members use, most-mentioned first."""
    news = [s for s in ev.sources if not s.primary]  # the primary source's company is an actor
    outlets = {s.member.outlet.casefold() for s in news} | {s.host.split(".")[0] for s in news}
    counted: Counter[str] = Counter()
    first: dict[str, int] = {}
    for source in ev.read:
        shown = "" if is_title_case(source.member.title) else source.member.title
        for name in dict.fromkeys(names_in(f"{shown}. {source.member.text}")):
            first.setdefault(name, len(first))
            counted[name] += 1
    heading = [] if is_title_case(title) else names_in(title)
    ranked = sorted({*(n for n in counted if counted[n] >= 2), *heading},
                    key=lambda n: (-(n in heading), -counted[n], first.get(n, 99), n))
    chosen: list[str] = []
    for name in ranked:
        name = _without_common_opener(name, ev.corpus)
        if _no_actor(name, outlets, ev.corpus) or any(name in c for c in chosen):
            continue
        one_capitalised_word = " " not in name and name[1:].islower()
        if one_capitalised_word and not _capitalised_mid_sentence(name, ev.corpus):
            continue  # 'Startup releases ...', 'Parties ...': only ever a sentence's first word
        shorter = [c for c in chosen if c in name]  # 'Character' gives way to 'Character.AI'
        chosen = [c for c in chosen if c not in shorter] + [name]
    return chosen[:3]


def _without_common_opener(name: str, corpus: str) -> str:
    """'Leading AI', 'Use Google AI Overview': a headline's capitalised first word that the cluster
    also writes in lower case is an ordinary word, not the start of a name, unless the whole name
    is also capitalised mid-sentence ('on the App Store', though 'the app' is lower case)."""
    first, _, rest = name.partition(" ")
    if rest and first[1:].islower() and _written_lower(first, corpus) and not _capitalised_mid_sentence(name, corpus):
        return rest
    return name


def _no_actor(name: str, outlets: set[str], corpus: str) -> bool:
    if name in _NOT_ACTORS or name.isdigit() or name.endswith("ese") or name in _UNITS:
        return True
    if _CONTEXT_BOUND.fullmatch(name) or name.casefold() in _OPENERS:
        return True  # 'Why', 'And': a sentence's first word, never a party
    if all(word.rstrip(".") in _ROLES for word in name.split()):
        return True  # 'Governor', 'Attorney General': a role, the person is named elsewhere or not at all
    if re.search(r"-[a-z]+$", name):
        return True  # 'AI-generated', 'HIPAA-compliant' describe; 'GPT-5', 'Coca-Cola' name
    squashed = name.casefold().replace(" ", "")
    if any(squashed == o or (len(squashed) >= 4 and squashed in o) for o in outlets):
        return True  # 'Guardian' is theguardian.com reporting, not an actor
    # a single capitalised word the cluster also writes in lower case is a common word
    return " " not in name and _written_lower(name, corpus)


_NOT_ACTORS = frozenset(
    "AI CEO CEOs IPO GPU GPUs CPU LLM LLMs API AGI The A An US U.S UK EU It This That I I’m I'm I’ve I've "
    "January February March April May June July August "
    "September October November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday "
    "Reuters Bloomberg Reddit Hacker News American British European French German Indian Russian Korean "
    "Israeli Chinese Japanese Taiwanese Canadian Australian Irish Italian Spanish".split()
)


_ROLES = frozenset(
    "Governor President Minister Judge Senator CEO Chairman Chairwoman Director Secretary Mayor Chancellor "
    "Commissioner Representative Congressman Congresswoman Prime Attorney General Chief Officer Founder "
    "Professor Dr Mr Mrs Ms King Queen Prince Ambassador Spokesperson Spokesman AG".split())
_UNITS = frozenset("GW MW KW kW TW GWh MWh TWh TB GB MB PB GHz MHz nm km kg".split())


# --- what kind of development -----------------------------------------------------------------

_TOPICAL = frozenset({"infrastructure", "society"})  # what it is about, not what happened
_KIND_ORDER = ("incident", "legal", "policy", "deal", "release", "paper", "infrastructure", "society")
_KIND_TEXT_CUES = {
    "incident": r"breach\w*|hack\w*|leak(s|ed)?|vulnerabilit\w+|exploit\w*|cyber-?attack\w*|attacks?|outage|"
                r"deepfakes?|abuse\w*|misuse|scams?|fraud\w*|jailbreak\w*|malware|ransomware|phishing|"
                r"criminal|csam|sexuali[sz]ed|undress\w*|non-?consensual|漏洞|攻击|泄露|诈骗",
    "legal": r"lawsuits?|sue[sd]?|suing|courts?|judge|rul(ing|ed)|trial|verdict|settle(s|d|ment)?|"
             r"litigation|plaintiffs?|appeals?|injunction|(?:criminal|federal) charges|charged with|indict\w*|"
             r"prosecut\w*|起诉|诉讼|法院|判决",
    "policy": r"regulat\w+|laws?|bill|executive order|ministry|commission|probe[sd]?|investigat\w+|bans?|"
              r"banned|export controls?|government|attorney general|parliament|senate|congress|lawmakers|"
              r"watchdog|white house|agency|policy|监管|政策|法规|审查|部门",
    "deal": r"funding|rais(es|ed|ing)|valuation|valued|invest(s|ed|ment|ments|or|ors)?|acqui(re|res|red|sition)|"
            r"buys?|merger|deal|ipo|stake|listing|融资|收购|上市|估值|投资",
    "release": r"launch(es|ed)?|unveil(s|ed)?|releas(e|es|ed)|introduc(es|ed|ing)|rolls? out|debut\w*|"
               r"ships|new model|open-sourc\w+|发布|推出|上线|开源",
    "paper": r"paper|study|benchmarks?|researchers|arxiv|dataset|preprint|findings|论文|研究",
    "infrastructure": r"data cent(er|re)s?|datacent(er|re)s?|gigawatts?|chips?|gpus?|capacity|power plant|"
                      r"supercomputer|semiconductor\w*|数据中心|算力|芯片",
    "society": r"layoffs?|lay(s|ing)? off|laid off|jobs|workers|children|teens?|suicide|mental health|copyright|"
               r"artists|裁员|就业",
}
_KIND_RE = {kind: re.compile(rf"(?<![\w-])({cues})(?![\w-])", re.IGNORECASE) for kind, cues in _KIND_TEXT_CUES.items()}
# A kind needs a cue in a headline or two in the texts (topical kinds weigh 0.6): one word of one
# lead ("Hacker News" for an incident, "the White House" for policy) is a guess, and the Details
# would state it as a fact.
KIND_EVIDENCE = 1.2


def development_kind(ev: Evidence) -> str:
    """incident, legal, policy, deal, release, paper, infrastructure, society or development.

    Judged from the story's own words, so any lens's stories get one: each member's title counts
    twice and its opening text once for every kind whose cues it uses, and members that are papers
    or releases add theirs. Too little of that says "development": no guess stated as a fact.
    """
    if ev.preprint:
        return "paper"
    scores: Counter[str] = Counter()
    for source in ev.read:
        title, text = source.member.title, source.member.text[:600]
        for kind, pattern in _KIND_RE.items():
            in_title = {m.group(0).casefold() for m in pattern.finditer(title)}
            in_text = {m.group(0).casefold() for m in pattern.finditer(text)} - in_title
            hit = 2.0 * min(len(in_title), 2) + min(len(in_text), 2)
            if hit:
                scores[kind] += hit * (0.6 if kind in _TOPICAL else 1.0)
        if source.member.kind in ("paper", "release"):
            scores[source.member.kind] += 2.0
    best = max(_KIND_ORDER, key=lambda k: (scores[k], -_KIND_ORDER.index(k)))
    return best if scores[best] >= KIND_EVIDENCE else "development"


_KIND_NOUN = {
    "incident": "A security or abuse incident", "legal": "A court case", "policy": "A government or regulatory move",
    "deal": "A deal or capital move", "release": "A release", "paper": "A research result",
    "infrastructure": "A compute and supply-chain development", "society": "A development in AI's effects on people",
    "development": "A development",
}


def watch_for(ev: Evidence, kind: str) -> str:
    """What to watch next, for this kind of development (and its sharper sub-case, if the texts
    name one: a settlement, a trial, a probe, an acquisition, export rules)."""
    corpus = ev.corpus.casefold()
    for sub_kind, cue, sentence in _WATCH_SPECIFIC:
        if sub_kind == kind and re.search(cue, corpus):
            return sentence
    return _WATCH[kind]


_WATCH_SPECIFIC = (
    ("legal", r"\bsettle",
     "Watch for the settlement terms, whether they are made public, and whether similar cases follow."),
    ("legal", r"\btrial\b", "Watch for the trial date, pre-trial rulings and any settlement talks."),
    ("policy", r"\b(investigat|probe)",
     "Watch for what the investigation demands of the company and whether other authorities join."),
    ("policy", r"\bexport", "Watch for how the export rules are enforced and how buyers and chipmakers adjust."),
    ("deal", r"\b(acqui|merger|buys?\b)", "Watch for regulatory review of the deal and what the buyer does with it."),
    ("deal", r"\b(funding|raise|valuation)",
     "Watch for what the money buys in compute and talent, and the next round's terms."),
    ("infrastructure", r"\bexport", "Watch for how export rules and buyers respond, and who gets the supply."),
    ("infrastructure", r"data cent(er|re)|datacent",
     "Watch for who gets the capacity, on what timeline, and at what cost in power and water."),
    ("incident", r"\b(abuse|csam|deepfake|imagery)",
     "Watch for the platform's fixes, enforcement by regulators, and whether the abuse spreads."),
)
_WATCH = {
    "incident": "Watch for disclosure of the scope, the fix, and whether regulators take an interest.",
    "legal": "Watch for the next filings and rulings, and for settlement signals.",
    "policy": "Watch for implementing detail, deadlines, and how the labs respond.",
    "deal": "Watch for regulatory review and what the money buys in compute and talent.",
    "paper": "Watch for replication and whether the labs adopt or dispute the result.",
    "release": "Watch for independent evaluations and the safety documentation that ships with it.",
    "development": "Watch for a primary statement and independent follow-up.",
    "infrastructure": "Watch for who gets the supply, on what terms and timeline, and how governments respond.",
    "society": "Watch for how regulators, courts and the companies respond.",
}


# --- executive summary ------------------------------------------------------------------------


def executive_summary(lens_label: str, top: list[BriefItem], notes: list[BriefItem],
                      outlets: Mapping[int, str]) -> str:
    """The day in 3-5 sentences (BRIEF.md): each top development (and on a day of fewer than three,
    the first noteworthy ones) stated as its own Summary states it, hedged there to its evidence,
    or, where that sentence does not read on its own, its headline attributed to its outlets; then
    what connects them. `outlets`: the outlet of each source number. Everything it says is in the
    items; the last developments are dropped until the text fits."""
    if not top:
        return (f"A quiet day for {lens_label}: no story met the bar for a top item"
                f" ({plural(len(notes), 'noteworthy development')} below).")
    items = top + notes[:max(0, EXECUTIVE_DEVELOPMENTS - len(top))]
    while True:
        text = " ".join(p for p in [*(statement(i, outlets) for i in items), thread(items)] if p)
        if len(text) <= EXECUTIVE_CHARS or len(items) == 1:
            return text
        items = items[:-1]


EXECUTIVE_DEVELOPMENTS = 3  # at least, when the day has them: with the thread, 3-5 sentences


def statement(item: BriefItem, outlets: Mapping[int, str]) -> str:
    """The development in one sentence: the first sentence of the item's Summary when it reads
    on its own (not a first-person post, a bare quoted headline, Chinese, or overlong; a later
    sentence leans on the first, so it is never taken alone), else its headline attributed to
    its outlets as its confidence asks."""
    first = (split_sentences(item.summary) or [""])[0]
    return first if _stands_alone(first) else full_stop(_attributed_headline(item, outlets))


def _stands_alone(sentence: str) -> bool:
    return (len(sentence) <= STATEMENT_CHARS and len(sentence.split()) >= 6 and not is_cjk(sentence)
            and not sentence.startswith(('"', "“")) and "headline only" not in sentence
            and not _FIRST_PERSON.search(sentence))


STATEMENT_CHARS = 240
_FIRST_PERSON = re.compile(r"\b(I|[Ww]e|[Oo]ur|[Uu]s|[Mm]y|[Yy]ou|[Yy]our)\b|\b[Ww]e[’']")


def _attributed_headline(item: BriefItem, outlets: Mapping[int, str]) -> str:
    """'Anthropic is having a moment in the private markets, TechCrunch AI reports': the headline
    (its main clause when that says enough) with who says so, as firmly as the evidence allows."""
    said = clause(item)
    if len(said.split()) < 5 and not is_cjk(item.headline):  # too short to say what happened: the headline
        said = unstop(trim_words(strip_attribution(item.headline), HEADLINE_CHARS))
    names = list(dict.fromkeys(outlets[n] for n in item.sources if n in outlets))[:2]
    if _FIRST_PERSON.search(said):  # a post speaking for itself is quoted, never restated as fact
        return f"“{said}”, {join(names)} {'say' if len(names) > 1 else 'says'}" if names else f"“{said}”"
    if item.confidence == "high" or not names:
        return cap(said)
    if item.confidence == "medium":
        return f"{cap(said)}, {join(names)} {'report' if len(names) > 1 else 'reports'}"
    return f"{cap(said)}, {names[0]} alone reports"


def clause(item: BriefItem) -> str:
    """A headline cut to its main clause: 'Amazon CEO Jassy defends $200 billion AI spend:
    "We're not ..."' -> 'Amazon CEO Jassy defends $200 billion AI spend'."""
    labelled = _LANGUAGE_LABEL.search(item.headline)
    if labelled or is_cjk(item.headline):  # an English summary names it, it does not quote it
        language = labelled.group(1) if labelled else "Chinese"
        names = [n for n in names_in(_LANGUAGE_LABEL.sub("", item.headline)) if _an_actor(n) and not is_cjk(n)]
        return f"a {language}-language report" + (f" on {join(names[:2])}" if names else "")
    text = strip_attribution(item.headline)
    for mark in (": ", " — ", " – ", " - ", "; ", ", as ", ", while ", ", after ", " amid ", ", with "):
        head = text.split(mark, 1)[0]
        if head != text and len(head.split()) >= 4 and not mostly_cjk(head):
            text = head
    return unstop(trim_words(text, HEADLINE_CHARS))


_LANGUAGE_LABEL = re.compile(r"\s*\(([A-Z][a-z]+)-language report\)")


def thread(top: list[BriefItem]) -> str:
    """What connects the top items: an actor several of them name (not counting who reports
    them), a theme (category) several share; or, honestly, that nothing does."""
    if len(top) < 2:
        return ""
    texts = [f"{_LANGUAGE_LABEL.sub('', item.headline)}. {_ATTRIBUTION.sub('', item.summary)}" for item in top]
    corpus = " ".join(texts)
    counts: Counter[str] = Counter()
    for text in texts:  # 'Regulators' opening a headline is no actor
        counts.update({n for n in names_in(text) if _an_actor(n) and not (" " not in n and is_common_word(n, corpus))})
    actor = min((n for n in counts if counts[n] >= 2), key=lambda n: (-counts[n], n), default="")
    themes = Counter(i.category for i in top if i.category)
    theme, shared = min(themes.items(), key=lambda p: (-p[1], p[0]), default=("", 0))
    if actor and counts[actor] == len(top):
        return f"{actor} runs through {'both' if len(top) == 2 else 'all ' + number(len(top))}."
    if actor:
        return f"{cap(number(counts[actor]))} involve {actor}."
    if shared >= 2:
        return f"{cap(number(shared))} concern {theme.replace('-', ' ')}."
    spread = [c.replace("-", " ") for c in dict.fromkeys(i.category for i in top if i.category)]
    return f"They span {join(spread)}." if len(spread) > 1 else "Nothing links them."


# How `hedge`, `_title_only` and `untranslated` say who reports a story and in what language:
# neither the reporter nor the language is an actor of it.
_ATTRIBUTION = re.compile(r"(?:^|(?<=[.!?] ))According to [^,]{1,80}, |In [A-Z][a-z]+ only, from [^.]*\."
                          r"|\((?:According to )?[^()]*(?:headline only|\.)\)")


def number(count: int) -> str:
    """'two', as a person writes a small count."""
    return plural(count, "x", words=True).removesuffix(" x").removesuffix(" xs")


def _an_actor(name: str) -> bool:
    return not is_cjk(name) and name not in _NOT_ACTORS and name not in _UNITS and not name.isdigit() and \
        not all(w in _ROLES for w in name.split())
