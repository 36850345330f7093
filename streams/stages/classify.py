"""Decide whether an item matters to a lens, and in which category. Pure: no faust, no I/O.

The decision is a weighted evidence score built from the lens file, so it can be read and tested:

- an AI anchor is required: an AI term in the title, or a strong AI term in the text;
- category terms add evidence (a title match counts more than a text match; each term once, and
  two terms of a list that read the same once tokenised, a singular and its plural, are one; a
  headline word that is also the AI anchor counts less, since it is one word, not two proofs);
- noise patterns (self-promotion, help questions, gadgets, stock tips, digests ...) subtract;
- a noise group marked `never_opens` (an outlet's own opinion label) keeps the item under the
  bar whatever its evidence: it may join the story it argues about, never open one;
- social posts must clear a higher bar, a primary source or a tier-1 newsroom earns a small bonus;
- billions in a headline add, a funding round counted in millions subtracts;
- AI put to work where its mistakes fall on people (medicine, elections: `stakes_terms`) adds
  evidence whatever the category;
- a paper (or a post sharing an arXiv paper) must carry a safety/security/governance term to be
  news for the lens at all.

Terms are matched by `streams.stages.lens_terms` (whole English words, Chinese substrings, masked
names cut out first); a Chinese substring found in the text is weaker evidence than a whole word,
so it counts `chinese_text_factor` of an English one. With a fitted relevance model
(`streams.stages.relevance`) the model decides, reading this evidence and the text.
Each lens is compiled once and cached by (slug, version).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from models.lens import Lens
from streams.stages.lens_terms import (
    CJK,
    ClassifierSettings,
    Field,
    NoiseGroup,
    TermIndex,
    Terms,
    as_dict,
    build_index,
    classifier_settings,
    list_of,
    noise_group,
    prepare,
    quote,
    table_of,
    term_hits,
)
from streams.stages.outlets import UNLISTED, name_matches, tier_of
from streams.stages.relevance import RelevanceModel, model_text

__all__ = ["BIG_MONEY", "RELEVANCE_BAR", "Verdict", "associable", "check_lens", "classify", "corroborable",
           "corroborated", "feature_names", "rule_features", "term_lists"]

RELEVANCE_BAR = 0.5  # an item is relevant from this relevance up
_UNDER_BAR = RELEVANCE_BAR - 0.001

ANCHOR = "ai anchor"  # the reason that says the item is about AI at all
NOISE = "noise: "  # the reasons that name a noise group the item matched
_SELF_POST = "source: social post"  # a social post that is not a link: its author's own words
_LEAD_CHARS = 200
_MEMO_LIMIT = 20_000
_LINK_POST_CHARS = 40
_LINK_POST_MARKERS = ("submitted by", "article url:", "[link]")
_URL = re.compile(r"\(?\[?https?://\S+")
_PAPER_LINK = re.compile(r"^\W*https?://(?:www\.)?(?:arxiv\.org/(?:abs|pdf)/|doi\.org/10\.48550/)", re.I)
# Capital in the billions: "$50 billion", "$10B", "€2bn", "210亿美元" (亿 is 10^8: from 10亿 up).
BIG_MONEY = re.compile(
    r"[$€£]\s?\d[\d.,]*\s?(?:billion|bn|b|trillion|tn|t)\b"
    r"|\d[\d.,]*\s?(?:billion|trillion)\s(?:dollars|euros|pounds|yuan)"
    r"|(?:(?<![\d.])\d{2,}(?:\.\d+)?\s?亿|\d+(?:\.\d+)?\s?万亿)\s?(?:美元|欧元|英镑)", re.IGNORECASE)
# Millions, not billions: "$28 million", "$15M", "2亿人民币", "千万美元" (亿 is 10^8: under 10亿).
_SMALL_MONEY = re.compile(
    r"[$€£]\s?\d[\d.,]*\s?(?:million|mn|m)\b|\d[\d.,]*\s?million\s(?:dollars|euros|pounds|yuan)"
    r"|(?:(?<![\d.])\d(?:\.\d+)?\s?亿|\d+(?:\.\d+)?\s?万|千万|数千万|数亿)\s?(?:美元|欧元|英镑|人民币|元)",
    re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    """The lens's judgement of one item: relevance in [0, 1] (RELEVANCE_BAR is the bar) and why."""

    relevant: bool
    category: str | None
    relevance: float
    reasons: tuple[str, ...]














@dataclass(frozen=True)
class _Compiled:
    lens: Lens
    settings: ClassifierSettings
    anchors: Terms
    strong_anchors: Terms
    paper_terms: Terms
    actors: Terms
    funding_terms: Terms
    stakes_terms: Terms
    paper_categories: frozenset[str]
    categories: tuple[tuple[str, Terms], ...]
    noise: tuple[NoiseGroup, ...]
    never_opens: frozenset[str]  # the reasons of the noise groups that never open a story
    ai_desks: tuple[str, ...]  # source names of feeds that only carry AI news
    index: TermIndex
    tier_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    model: RelevanceModel | None
    desk_memo: dict[str, bool] = field(default_factory=dict, compare=False)





# (slug, version) -> compiled lenses: a few, since an edited lens file keeps its slug and version
# and `usul eval --compare-lens` judges every item by both (one entry would recompile each call).
_CACHE: dict[tuple[str, int], list[_Compiled]] = {}
_CACHED_VARIANTS = 4


def associable(relevant: bool, reasons: Sequence[str]) -> bool:
    """About AI but under the bar: relevant if it reports a story the lens already holds that day
    (`streams.stages.cluster.association`), never a story of its own. A social post that is not a link (its
    author writing about the story) discusses a development without reporting it: never."""
    return not relevant and any(r.startswith(ANCHOR) for r in reasons) and _SELF_POST not in reasons


def corroborable(relevant: bool, reasons: Sequence[str]) -> bool:
    """Associable and matched no noise group: may form a story of its own if outlets enough
    report it. Coverage makes a development the terms missed news; it does not make a gadget
    launch or a gaming feature one, however many outlets review it."""
    return associable(relevant, reasons) and not any(r.startswith(NOISE) for r in reasons)


def corroborated(news_outlets: int, lens: Lens) -> bool:
    """Enough independent news outlets report a development that the lens's terms missed: being
    covered that widely makes an AI story news for the lens (0 in the lens file: never)."""
    bar = _compiled(lens).settings.corroborating_outlets
    return bar > 0 and news_outlets >= bar


def classify(title: str, text: str, source: str, url: str, kind: str, lang: str, lens: Lens) -> Verdict:
    """Judge one item for `lens`: relevant or not, best category, relevance score and reasons.

    With a fitted relevance model (`lens.relevance_model`), the model decides, reading the rule
    evidence below and the text; without one, the rule evidence decides alone."""
    c = _compiled(lens)
    e = _evidence(c, title, text, source, url, kind, lang, lens, c.model is not None and c.model.unanchored)
    if e is None:
        return Verdict(False, None, 0.0, ("no ai anchor",))
    verdict = _rules_verdict(c, e)
    if c.model is None:
        return verdict
    return _model_verdict(c, e, verdict, model_text(title, text), source, url)


def rule_features(title: str, text: str, source: str, url: str, kind: str, lang: str,
                  lens: Lens, unanchored: bool = False) -> list[float] | None:
    """The rule evidence as the relevance model reads it (`feature_names`), or None for an item
    no model is asked about (`_evidence`)."""
    c = _compiled(lens)
    e = _evidence(c, title, text, source, url, kind, lang, lens, unanchored)
    return None if e is None else _features(c, e, _rules_verdict(c, e))


def feature_names(lens: Lens) -> tuple[str, ...]:
    return _compiled(lens).feature_names


@dataclass(frozen=True)
class _Evidence:
    """Everything the rules read about one item, before any decision."""

    anchor: float
    reasons: tuple[str, ...]  # in the order the rules found them
    gate_reasons: int  # how many reasons there were when a paper failed its gate (0: it did not)
    tier: str | None
    kind: str
    is_paper: bool
    chatter: bool
    zh: bool
    asks: bool
    scores: dict[str, float]
    stakes: float
    tier_adjust: float
    scale: float
    actor: float
    penalty: float
    lead_penalty: float  # noise found in the lead only
    lead_reasons: tuple[str, ...]


def _evidence(c: _Compiled, title: str, text: str, source: str, url: str, kind: str, lang: str,
              lens: Lens, unanchored: bool = False) -> _Evidence | None:
    """None for an item the decider is never asked about: one that names no AI, unless
    `unanchored` (a model fitted to judge items of the lens's areas that name no AI)."""
    s = c.settings
    zh = lang.lower().startswith("zh") or bool(CJK.search(title))
    t_field, x_field = prepare(c.index, title, zh), prepare(c.index, text[: s.text_chars], zh, split_glued=True)
    tier = tier_of(lens, (source,), (url,))
    anchor, reasons = _anchor(c, t_field, x_field, _ai_desk(c, source, tier))
    if anchor == 0.0 and not unanchored:
        return None
    is_paper = kind == "paper" or tier == "research" or _links_a_paper(url, text)
    gated = is_paper and not _paper_gate(c, t_field, x_field, reasons)
    gate_reasons = len(reasons) if gated else 0
    chatter = tier == "social" and not _is_link_post(text)
    text_weight = s.text_weight * (s.social_text_factor if chatter else 1.0)
    anchors = term_hits(c.anchors, t_field)
    scores = _category_scores(c, t_field, x_field, text_weight, reasons, anchors)
    if is_paper and c.paper_categories:  # a paper is filed by its angle, not by "language model"
        scores = {name: v for name, v in scores.items() if name in c.paper_categories}
    tier_adjust, scale = _tier_adjust(c, tier, title, text, reasons), _scale(c, title, t_field, reasons)
    actor = _actor_bonus(c, t_field, tier, reasons)
    penalty = _noise_penalty(c, t_field, "title", tier, reasons)
    stakes = _stakes(c, t_field, x_field, text_weight, reasons, anchors)
    lead_reasons = list(reasons)
    lead_penalty = _noise_penalty(c, prepare(c.index, text[:_LEAD_CHARS], zh), "lead", tier, lead_reasons)
    if anchor == 0.0 and not scores and not stakes:  # about nothing the lens follows: not asked
        return None
    return _Evidence(anchor, tuple(reasons), gate_reasons, tier, kind, is_paper, chatter, zh,
                     title.rstrip().endswith(("?", "？")), scores, stakes, tier_adjust, scale, actor,
                     penalty, lead_penalty, tuple(lead_reasons[len(reasons):]))


def _rules_verdict(c: _Compiled, e: _Evidence) -> Verdict:
    if e.gate_reasons:
        return Verdict(False, None, 0.0, e.reasons[: e.gate_reasons])
    adjust = e.tier_adjust + e.scale + e.actor
    verdict = _decide(c, e.anchor, e.scores, e.stakes, e.penalty, adjust, list(e.reasons))
    if not verdict.relevant:
        return verdict
    # The lead counts only for items that would pass: it can only take relevance away.
    if e.lead_penalty:
        verdict = _decide(c, e.anchor, e.scores, e.stakes, e.penalty + e.lead_penalty, adjust,
                          [*e.reasons, *e.lead_reasons])
    return _opened_by_opinion(c, verdict)


def _model_verdict(c: _Compiled, e: _Evidence, rules: Verdict, text: str, source: str, url: str) -> Verdict:
    """The fitted model's verdict; the category is still the rules' best (or the stakes')."""
    assert c.model is not None
    p = c.model.probability(_features(c, e, rules), text, source, url)
    category = rules.category or _best(c, e.scores) or (c.settings.stakes_category if e.stakes else None)
    reasons = (*e.reasons, *e.lead_reasons, f"model: p={p:.2f} (bar {c.model.threshold:.2f})")
    if category is None:  # about AI, yet about nothing the lens follows: never relevant on its own
        return Verdict(False, None, round(min(c.model.relevance(p), _UNDER_BAR), 3), (*reasons, "no category evidence"))
    verdict = Verdict(p >= c.model.threshold, category, round(c.model.relevance(p), 3), reasons)
    return _opened_by_opinion(c, verdict)


def _features(c: _Compiled, e: _Evidence, rules: Verdict) -> list[float]:
    """One number per name of `_feature_names`, in its order."""
    best = max(e.scores.values(), default=0.0)
    noise = set(e.reasons) | set(e.lead_reasons)
    values = [
        e.anchor, float(e.anchor == c.settings.title_anchor), float(e.is_paper), float(e.gate_reasons > 0),
        float(e.chatter), float(e.zh), float(e.asks), best, sum(e.scores.values()) - best, e.stakes,
        e.tier_adjust, e.scale, e.actor, e.penalty, e.lead_penalty, rules.relevance, float(rules.relevant),
        *(float(e.tier == t) for t in (*c.tier_names, UNLISTED)),
        *(float(e.kind == k) for k in _KINDS),
        *(e.scores.get(name, 0.0) for name, _ in c.categories),
        *(float(f"{NOISE}{g.label}" in noise) for g in c.noise),
    ]
    return values


_KINDS = ("article", "post", "paper", "release", "tweet")


def _feature_names(tiers: Sequence[str], categories: Sequence[str], noise: Sequence[str]) -> tuple[str, ...]:
    return ("anchor", "anchor in title", "paper", "paper without angle", "social chatter", "chinese",
            "headline asks", "best category", "other categories", "stakes", "tier adjust", "billions",
            "key actor", "noise title", "noise lead", "rule relevance", "rule verdict",
            *(f"tier {t}" for t in tiers), "tier none", *(f"kind {k}" for k in _KINDS),
            *(f"category {n}" for n in categories), *(f"noise {n}" for n in noise))


# ---------------------------------------------------------------- decision steps


def _anchor(c: _Compiled, title: Field, body: Field, desk: bool) -> tuple[float, list[str]]:
    hits = term_hits(c.anchors, title)
    if hits:
        return c.settings.title_anchor, [f"{ANCHOR} {quote(hits)}"]
    hits = term_hits(c.strong_anchors, body)
    if hits:
        return c.settings.text_anchor, [f"{ANCHOR} (text): {quote(hits)}"]
    if desk:  # an AI lab or an outlet's AI desk: what it publishes is about AI
        return c.settings.text_anchor, [f"{ANCHOR} (source)"]
    return 0.0, []


def _ai_desk(c: _Compiled, source: str, tier: str | None) -> bool:
    """A primary source (a lab, a regulator speaking on AI) or a feed the lens lists as an AI desk."""
    if tier == "primary":
        return True
    name = source.strip().lower()
    if name not in c.desk_memo:
        if len(c.desk_memo) > _MEMO_LIMIT:
            c.desk_memo.clear()
        c.desk_memo[name] = any(name_matches(name, desk) for desk in c.ai_desks)
    return c.desk_memo[name]


def _paper_gate(c: _Compiled, title: Field, body: Field, reasons: list[str]) -> bool:
    in_title, in_text = term_hits(c.paper_terms, title), term_hits(c.paper_terms, body)
    s = c.settings
    if len(in_title) >= s.paper_gate_title or len(in_text) >= s.paper_gate_text:
        reasons.append(f"paper angle: {quote(in_title or in_text)}")
        return True
    reasons.append("paper: no safety, security or governance angle")
    return False


def _category_scores(c: _Compiled, title: Field, body: Field, text_weight: float,
                     reasons: list[str], anchors: dict[str, float]) -> dict[str, float]:
    scores = {}
    for name, terms in c.categories:
        score, matched = _term_score(c, terms, title, body, text_weight, anchors)
        if score > 0:
            scores[name] = score
            reasons.append(f"category {name}: {quote(matched)}")
    return scores


def _stakes(c: _Compiled, title: Field, body: Field, text_weight: float, reasons: list[str],
            anchors: dict[str, float]) -> float:
    """AI put to work where its mistakes fall on people (medicine, ...): evidence that the item
    matters to the lens, whichever category it is filed under."""
    score, matched = _term_score(c, c.stakes_terms, title, body, text_weight, anchors)
    if score > 0:
        reasons.append(f"stakes: {quote(matched)}")
    return score


def _term_score(c: _Compiled, terms: Terms, title: Field, body: Field, text_weight: float,
                anchors: dict[str, float]) -> tuple[float, dict[str, float]]:
    """A headline term counts in full (less when it is also the AI anchor), a term of the text
    only at `text_weight` (a Chinese one less again), and only the best `text_terms_cap` of
    those; and the terms matched."""
    s = c.settings
    in_title, in_text = term_hits(terms, title), term_hits(terms, body)
    text_only = sorted((w * (s.chinese_text_factor if CJK.search(t) else 1.0)
                        for t, w in in_text.items() if t not in in_title), reverse=True)
    titled = sum(w * (s.anchor_overlap if t in anchors else 1.0) for t, w in in_title.items())
    return s.title_weight * titled + text_weight * sum(text_only[: s.text_terms_cap]), {**in_title, **in_text}


def _noise_penalty(c: _Compiled, f: Field, where: str, tier: str | None, reasons: list[str]) -> float:
    """Sum the penalties of noise groups that look at `where` and match there, once per group."""
    total = 0.0
    for group in c.noise:
        label = f"{NOISE}{group.label}"
        if group.tiers and tier not in group.tiers:
            continue
        if where in group.fields and label not in reasons and term_hits(group.terms, f):
            total += group.penalty
            reasons.append(label)
    return total


def _opened_by_opinion(c: _Compiled, verdict: Verdict) -> Verdict:
    """A piece of a noise group that never opens a story (an outlet's own opinion label) stays
    just under the bar however much it says: it argues about a development, it reports none,
    and at the close it may still join the story it argues about."""
    if not verdict.relevant or c.never_opens.isdisjoint(verdict.reasons):
        return verdict
    return Verdict(False, verdict.category, _UNDER_BAR, (*verdict.reasons, "opinion: never opens a story"))


def _tier_adjust(c: _Compiled, tier: str | None, title: str, text: str, reasons: list[str]) -> float:
    """Bonus (positive) or extra bar (negative) that the kind of outlet earns."""
    s = c.settings
    asks = title.rstrip().endswith(("?", "？"))  # the full-width mark in Chinese headlines
    if tier == "primary":
        reasons.append("source: primary")
        return s.primary_bonus
    if tier != "social":
        if asks and s.question_headline_penalty:  # a headline that asks is commentary, not a report
            reasons.append("headline asks a question")
            return -s.question_headline_penalty
        if tier == "tier1" and s.tier1_bonus:
            reasons.append("source: tier1")
            return s.tier1_bonus
        return 0.0
    if _is_link_post(text):
        reasons.append("source: social link")
        return -s.social_link_extra
    reasons.append(_SELF_POST)
    return -s.social_extra - (s.social_question_penalty if asks else 0.0)


def _scale(c: _Compiled, title: str, t_field: Field, reasons: list[str]) -> float:
    """Billions in a headline: capital on that scale is news for the lens whatever the wording.
    A funding round counted in millions is a small company's news, not the field's."""
    s = c.settings
    if BIG_MONEY.search(title):
        if s.scale_bonus:
            reasons.append("scale: billions in the headline")
        return s.scale_bonus
    if s.small_round_penalty and _SMALL_MONEY.search(title) and term_hits(c.funding_terms, t_field):
        reasons.append("scale: a funding round of millions")
        return -s.small_round_penalty
    return 0.0


def _actor_bonus(c: _Compiled, title: Field, tier: str | None, reasons: list[str]) -> float:
    """A news headline naming one of the lens's key actors: their own moves are the field's news.
    Not for social posts (chatter names them too) nor for primary sources (a lab names itself in
    every title; the primary bonus already counts it speaking)."""
    if not c.settings.actor_bonus or tier in ("social", "primary") or not term_hits(c.actors, title):
        return 0.0
    reasons.append(f"key actor {quote(term_hits(c.actors, title))}")
    return c.settings.actor_bonus


def _links_a_paper(url: str, text: str) -> bool:
    """A post pointing at an arXiv paper (as its link, or as the first link of its text) is a
    paper for the lens: it passes the paper gate or it is not news, whoever shares it."""
    first = _URL.search(text[:_LEAD_CHARS])
    return any(_PAPER_LINK.search(u) for u in (url, first.group(0) if first else ""))


def _is_link_post(text: str) -> bool:
    """A post that only shares a link (aggregator boilerplate, or a bare URL and a few words)."""
    body = text.lstrip().lower()
    if len(body) < _LINK_POST_CHARS or body.startswith(_LINK_POST_MARKERS):
        return True
    return "http" in body[:400] and len(_URL.sub("", body[:400]).strip()) < _LINK_POST_CHARS


def _decide(c: _Compiled, anchor: float, scores: dict[str, float], stakes: float, penalty: float,
            adjust: float, reasons: list[str]) -> Verdict:
    category = _best(c, scores) or (c.settings.stakes_category if stakes else None)
    best = scores.get(category, 0.0) if category else 0.0
    rest = sum(scores.values()) - best
    evidence = anchor + best + stakes + c.settings.secondary_share * rest + adjust - penalty
    relevance = min(max(evidence / (2 * c.settings.threshold), 0.0), 1.0)
    if not category:  # about AI, yet about nothing the lens follows: never relevant on its own
        return Verdict(False, None, round(min(relevance, _UNDER_BAR), 3), (*reasons, "no category evidence"))
    return Verdict(relevance >= RELEVANCE_BAR, category, round(relevance, 3), tuple(reasons))


def _best(c: _Compiled, scores: dict[str, float]) -> str | None:
    """The highest-scoring category; ties go to the one listed first in the lens file."""
    best: str | None = None
    for name, _ in c.categories:
        if name in scores and (best is None or scores[name] > scores[best]):
            best = name
    return best


# ---------------------------------------------------------------- compiling a lens

_LIST_KEYS = frozenset({"ai_terms", "strong_ai_terms", "paper_terms", "paper_categories", "ai_sources",
                        "funding_terms", "stakes_terms", "masked_names"})
_TABLE_KEYS = frozenset({"noise", "term_weights"})
_NOISE_KEYS = frozenset({"penalty", "fields", "terms", "tiers", "never_opens"})
_NOISE_FIELDS = frozenset({"title", "lead"})


def check_lens(lens: Lens) -> None:
    """Raise ValueError naming everything in the lens's `[classifier]` table that this module
    would not read or could not convert: a misspelt setting would otherwise be silently ignored,
    and a bad number would fail only at the first item the worker judges."""
    cfg = lens.classifier
    problems = [f"unknown setting {k!r}" for k in sorted(cfg.keys() - ClassifierSettings.__dataclass_fields__.keys()
                                                           - _LIST_KEYS - _TABLE_KEYS)]
    problems += [f"{k} must be a list" for k in sorted(_LIST_KEYS & cfg.keys()) if not isinstance(cfg[k], list)]
    problems += [f"{k} must be a table" for k in sorted(_TABLE_KEYS & cfg.keys()) if not isinstance(cfg[k], dict)]
    problems += [f"paper category {n!r} is not a category of the lens"
                 for n in sorted(set(map(str, list_of(cfg, "paper_categories"))) - lens.categories.keys())]
    stakes_category = str(cfg.get("stakes_category", ""))
    if stakes_category and stakes_category not in lens.categories:
        problems.append(f"stakes category {stakes_category!r} is not a category of the lens")
    for label, spec in table_of(cfg, "noise").items():
        problems += [f"noise group {label!r}: {p}" for p in _noise_problems(as_dict(spec), lens)]
    if not problems:
        try:
            _compiled(lens)  # cached: the first item judged finds it compiled
        except (TypeError, ValueError) as exc:
            problems.append(f"a value cannot be read: {exc}")
    if problems:
        raise ValueError("; ".join(problems))


def _noise_problems(spec: dict[str, object], lens: Lens) -> list[str]:
    problems = [f"unknown key {k!r}" for k in sorted(spec.keys() - _NOISE_KEYS)]
    problems += [f"field {f!r} is not one of title, lead" for f in sorted(set(map(str, list_of(spec, "fields")))
                                                                              - _NOISE_FIELDS)]
    problems += [f"tier {t!r} is not a source tier of the lens"
                 for t in sorted(set(map(str, list_of(spec, "tiers"))) - lens.source_tiers.keys())]
    if not isinstance(spec.get("never_opens", False), bool):
        problems.append("never_opens must be true or false")
    return problems


def _compiled(lens: Lens) -> _Compiled:
    variants = _CACHE.setdefault((lens.slug, lens.version), [])
    for hit in variants:
        if hit.lens is lens:
            return hit
    for hit in variants:
        if hit.lens == lens:
            return hit
    variants.append(_compile(lens))
    del variants[:-_CACHED_VARIANTS]
    return variants[-1]


def term_lists(lens: Lens) -> dict[str, tuple[list[object], dict[str, float]]]:
    """Every term list of the lens under the key its matches are collected by, with its weights."""
    cfg = lens.classifier
    weights = {str(k).lower(): float(str(v)) for k, v in table_of(cfg, "term_weights").items()}
    lists: dict[str, tuple[list[object], dict[str, float]]] = {
        "anchor": (list_of(cfg, "ai_terms"), {}),
        "strong": (list_of(cfg, "strong_ai_terms"), {}),
        "paper": (list_of(cfg, "paper_terms"), {}),
        "actor": (list(lens.key_actors), {}),
        "funding": (list_of(cfg, "funding_terms"), {}),
        "stakes": (list_of(cfg, "stakes_terms"), weights),
    }
    lists.update({f"category:{n}": (list(cat.terms), weights) for n, cat in lens.categories.items()})
    lists.update({f"noise:{n}": (list_of(as_dict(spec), "terms"), {}) for n, spec in table_of(cfg, "noise").items()})
    return lists


def _compile(lens: Lens) -> _Compiled:
    cfg = lens.classifier
    noise_specs = table_of(cfg, "noise")
    noise = tuple(noise_group(label, spec) for label, spec in noise_specs.items())
    names = _feature_names(tuple(lens.source_tiers), tuple(lens.categories), tuple(g.label for g in noise))
    return _Compiled(
        lens=lens,
        settings=classifier_settings(cfg),
        anchors=Terms("anchor"),
        strong_anchors=Terms("strong"),
        paper_terms=Terms("paper"),
        actors=Terms("actor"),
        funding_terms=Terms("funding"),
        stakes_terms=Terms("stakes"),
        paper_categories=frozenset(map(str, list_of(cfg, "paper_categories"))),
        categories=tuple((n, Terms(f"category:{n}")) for n in lens.categories),
        noise=noise,
        never_opens=frozenset(f"{NOISE}{g.label}" for g in noise if g.never_opens),
        ai_desks=tuple(str(d).strip().lower() for d in list_of(cfg, "ai_sources")),
        index=build_index(term_lists(lens), list_of(cfg, "masked_names")),
        tier_names=tuple(lens.source_tiers),
        feature_names=names,
        model=_model(lens, names),
    )


def _model(lens: Lens, names: tuple[str, ...]) -> RelevanceModel | None:
    if lens.relevance_model is None:
        return None
    model = RelevanceModel.from_dict(lens.relevance_model)
    if model.features != names:  # fitted for another version of the lens's terms or groups
        raise ValueError("the relevance model was fitted on other rule features than this lens gives; "
                         "run `usul train` again")
    return model


