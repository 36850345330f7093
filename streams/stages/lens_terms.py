"""A lens's term lists compiled for matching, and an item's text matched against them. Pure.

English terms are matched on whole words: the text is lower-cased and split on anything that is
not a letter or digit, and phrases are looked up among the word n-grams. That makes "ai" miss
"said", lets "gpt-5" match "GPT 5", and costs a few set operations per item instead of one regex
scan per term. The lens's `masked_names` ("Bill Gates", "Hacker News") are cut out first: a name
that contains a term is not that term. Chinese terms are matched as substrings, only for items
that contain Chinese. `streams.stages.classify` decides with what is found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"[a-z0-9]+")
_ACRONYM_AI = re.compile(r"\bA\.I\.?(?![a-z])", re.IGNORECASE)  # "A.I." is spelled out in some press
CJK = re.compile(r"[\u3400-\u9fff]")
# Feeds glue a section tag to the last word ("vulnerabilitiesTechnology sector"): a lower-case
# run followed by a capitalised word is also read split, so both spellings can match.
_GLUED = re.compile(r"([a-z]{3})([A-Z][a-z])")


@dataclass(frozen=True)
class Terms:
    """A named term list of the lens: the key under which its matches are collected."""

    key: str


@dataclass(frozen=True)
class TermIndex:
    """Every term of a lens in one lookup, so an item is scanned once, not once per list."""

    english: dict[str, tuple[tuple[str, str, float], ...]]  # surface -> (list key, term, weight)
    chinese: tuple[tuple[str, str, float], ...]  # (term, list key, weight)
    starters: dict[str, int]  # first word of a phrase -> longest phrase length starting with it
    masked: dict[str, tuple[tuple[str, ...], ...]]  # first word -> names whose words are not read


@dataclass(frozen=True)
class NoiseGroup:
    label: str
    penalty: float
    fields: frozenset[str]
    terms: Terms
    tiers: frozenset[str]  # empty: applies to every outlet
    never_opens: bool  # a match keeps the item under the bar, whatever its evidence


@dataclass(frozen=True)
class ClassifierSettings:
    threshold: float = 2.0
    title_weight: float = 1.0
    text_weight: float = 0.35
    text_terms_cap: int = 4
    chinese_text_factor: float = 1.0
    text_chars: int = 1000
    title_anchor: float = 1.0
    text_anchor: float = 0.5
    social_extra: float = 0.6
    social_link_extra: float = 0.0
    social_text_factor: float = 0.5
    social_question_penalty: float = 0.8
    question_headline_penalty: float = 0.0
    corroborating_outlets: int = 0
    scale_bonus: float = 0.0
    primary_bonus: float = 0.3
    tier1_bonus: float = 0.0
    paper_gate_title: int = 1
    paper_gate_text: int = 2
    secondary_share: float = 0.3
    anchor_overlap: float = 1.0
    actor_bonus: float = 0.0
    small_round_penalty: float = 0.0
    stakes_category: str = ""


@dataclass(frozen=True)
class Field:
    """One piece of an item, matched once against every term list: list key -> term -> weight."""

    hits: dict[str, dict[str, float]]


def prepare(index: TermIndex, text: str, zh: bool, split_glued: bool = False) -> Field:
    if "." in text:
        text = _ACRONYM_AI.sub("AI", text)
    grams = _grams(_unmasked(_TOKEN.findall(text.lower()), index.masked), index.starters)
    if split_glued and _GLUED.search(text):  # both readings: "OpenAI" one word, "riskTechnology" two
        grams |= _grams(_unmasked(_TOKEN.findall(_GLUED.sub(r"\1 \2", text).lower()), index.masked),
                        index.starters)
    hits: dict[str, dict[str, float]] = {}
    for gram in grams & index.english.keys():
        for key, term, weight in index.english[gram]:
            hits.setdefault(key, {})[term] = weight
    if zh:
        for term, key, weight in index.chinese:
            if term in text:
                hits.setdefault(key, {})[term] = weight
    return Field(hits)


def _unmasked(words: list[str], masked: dict[str, tuple[tuple[str, ...], ...]]) -> list[str]:
    """The words with the lens's masked names cut out: "Bill Gates" is no bill, "Hacker News" no
    hacker. A cut leaves a gap, so the words around it do not join into a phrase."""
    if not masked or masked.keys().isdisjoint(words):
        return words
    out: list[str] = []
    i = 0
    while i < len(words):
        name = next((n for n in masked.get(words[i], ()) if tuple(words[i : i + len(n)]) == n), None)
        if name is None:
            out.append(words[i])
            i += 1
        else:
            out.append("")
            i += len(name)
    return out


def _grams(words: list[str], starters: dict[str, int]) -> set[str]:
    """The words, and phrases only where a known term could start (most words start none)."""
    grams = set(words)
    for i, word in enumerate(words):
        longest = starters.get(word)
        if longest:
            grams.update(" ".join(words[i : i + n]) for n in range(2, longest + 1))
    return grams


def term_hits(terms: Terms, f: Field) -> dict[str, float]:
    return f.hits.get(terms.key, {})


def quote(hits: dict[str, float]) -> str:
    return ", ".join(f"'{t}'" for t in sorted(hits)[:4])


def build_index(lists: dict[str, tuple[list[object], dict[str, float]]], masked: list[object]) -> TermIndex:
    english: dict[str, list[tuple[str, str, float]]] = {}
    chinese: list[tuple[str, str, float]] = []
    for key, (raw, weights) in lists.items():
        for item in raw:
            term = str(item).strip().lower()
            weight = weights.get(term, 1.0)
            if CJK.search(term):
                chinese.append((term, key, weight))
                continue
            for form in _forms(term):
                entries = english.setdefault(form, [])
                if all(k != key for k, _, _ in entries):  # one surface, one proof per list: the
                    entries.append((key, term, weight))  # plural of "patient" is "patients" too
    starters: dict[str, int] = {}
    for form in english:
        first, n = form.split(" ", 1)[0], form.count(" ") + 1
        if n > 1:
            starters[first] = max(starters.get(first, 0), n)
    frozen = {form: tuple(entries) for form, entries in english.items()}
    return TermIndex(frozen, tuple(chinese), starters, _masked_index(masked))


def _masked_index(names: list[object]) -> dict[str, tuple[tuple[str, ...], ...]]:
    masked: dict[str, list[tuple[str, ...]]] = {}
    for name in names:
        words = tuple(_TOKEN.findall(str(name).lower()))
        if words:
            masked.setdefault(words[0], []).append(words)
    return {first: tuple(sorted(ns, key=len, reverse=True)) for first, ns in masked.items()}


def _forms(term: str) -> tuple[str, ...]:
    """How a term can appear once tokenised: as written and, for a singular, with a plural "s"."""
    surface = " ".join(_TOKEN.findall(term))
    if not surface:
        return ()
    return (surface,) if surface.endswith("s") else (surface, surface + "s")


def noise_group(label: str, spec: object) -> NoiseGroup:
    table = as_dict(spec)
    return NoiseGroup(
        label=label,
        penalty=float(str(table.get("penalty", 1.0))),
        fields=frozenset(map(str, list_of(table, "fields") or ["title"])),
        terms=Terms(f"noise:{label}"),
        tiers=frozenset(map(str, list_of(table, "tiers"))),
        never_opens=table.get("never_opens", False) is True,
    )


def classifier_settings(cfg: dict[str, object]) -> ClassifierSettings:
    """Numeric settings from the lens, converted to the type of their default."""
    defaults = ClassifierSettings()
    known = ClassifierSettings.__dataclass_fields__
    values = {k: type(getattr(defaults, k))(str(v)) for k, v in cfg.items() if k in known}
    return ClassifierSettings(**values)


def list_of(cfg: dict[str, object], key: str) -> list[object]:
    value = cfg.get(key, [])
    return list(value) if isinstance(value, list) else []


def table_of(cfg: dict[str, object], key: str) -> dict[str, object]:
    return as_dict(cfg.get(key, {}))


def as_dict(value: object) -> dict[str, object]:
    return dict(value) if isinstance(value, dict) else {}
