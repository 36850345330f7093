"""A lens's term lists compiled for matching, and an item's text matched against them. Pure.

English terms are matched on whole words: the text is lower-cased and every run of anything that is
not a letter or digit becomes one space, so "ai" misses "said" and "gpt-5" matches "GPT 5". Every
term, single word or phrase, is one key of an Aho-Corasick automaton (pyahocorasick) padded with a
space on each side, so one pass over the text finds all of them on word boundaries. The lens's
`masked_names` ("Bill Gates", "Hacker News") are keys of the same automaton: where one is found
(the longest first, left to right, none inside another), no term is read in its words, nor a
phrase across them: a name that contains a term is not that term. Chinese terms are matched as
substrings by a second automaton, only for items that contain Chinese. `streams.stages.classify`
decides with what is found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

_TOKEN = re.compile(r"[a-z0-9]+")
# Every byte but a-z and 0-9 made a space: applied to the lower-cased text encoded as ASCII with
# anything else replaced ("?"), it leaves the words `_TOKEN` finds, at a third of a regex's cost.
_WORD_BYTES = bytes(c if c in b"abcdefghijklmnopqrstuvwxyz0123456789" else 32 for c in range(256))
_ACRONYM_AI = re.compile(r"\bA\.I\.?(?![a-z])", re.IGNORECASE)  # "A.I." is spelled out in some press
# A "." before a letter that "I" matches when case is ignored: no text without one holds "A.I".
DOT_I = (".I", ".i", ".\u0130", ".\u0131")
CJK = re.compile(r"[\u3400-\u9fff]")
# Feeds glue a section tag to the last word ("vulnerabilitiesTechnology sector"): a lower-case
# run followed by a capitalised word is also read split, so both spellings can match.
_GLUED = re.compile(r"([a-z]{3})([A-Z][a-z])")


@dataclass(frozen=True)
class Terms:
    """A named term list of the lens: the key under which its matches are collected."""

    key: str


Entries = tuple[tuple[str, str, float], ...]  # (list key, term, weight) of one surface


@dataclass(frozen=True)
class TermIndex:
    """Every term of a lens in one lookup, so an item is scanned once, not once per list."""

    english: ahocorasick.Automaton | None  # " surface " -> its number; None: the lens has none
    entries: tuple[Entries, ...]  # by number: the terms a surface spells (none: only a masked name)
    sizes: tuple[int, ...]  # by number: the key's characters, with the padding spaces
    masked: frozenset[int]  # the numbers of the masked names
    chinese: ahocorasick.Automaton | None  # term -> its Entries


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
    if DOT_I[0] in text or DOT_I[1] in text or DOT_I[2] in text or DOT_I[3] in text:
        text = _ACRONYM_AI.sub("AI", text)
    hits: dict[str, dict[str, float]] = {}
    if index.english is not None:
        _collect_words(index, text, hits)
        if split_glued and _GLUED.search(text):  # both readings: "OpenAI" one word, "riskTechnology" two
            _collect_words(index, _GLUED.sub(r"\1 \2", text), hits)
    if zh and index.chinese is not None:
        for _, entries in index.chinese.iter(text):
            _add(entries, hits)
    return Field(hits)


def _collect_words(index: TermIndex, text: str, hits: dict[str, dict[str, float]]) -> None:
    """The terms found in the text's words (lower-case, between single spaces, one more at either
    end) outside the masked names. Most texts name none: for them, each surface found counts once,
    wherever it was found."""
    assert index.english is not None
    words = f" {' '.join(text.lower().encode('ascii', 'replace').translate(_WORD_BYTES).decode('ascii').split())} "
    found = {number for _, number in index.english.iter(words)}
    if not index.masked.isdisjoint(found):
        found = _outside_names(index, words)
    for number in found:
        _add(index.entries[number], hits)


def _outside_names(index: TermIndex, words: str) -> set[int]:
    """The surfaces found outside the masked names, read left to right, the longest where two
    start together, none inside one already cut; a phrase across a name is not read either."""
    assert index.english is not None
    spans = [(last - index.sizes[n] + 2, last, n) for last, n in index.english.iter(words)]  # without padding
    cuts: list[tuple[int, int]] = []
    for first, end, _ in sorted((s for s in spans if s[2] in index.masked), key=lambda s: (s[0], -s[1])):
        if not cuts or first >= cuts[-1][1]:
            cuts.append((first, end))
    return {n for first, end, n in spans if not any(first < c_end and c_first < end for c_first, c_end in cuts)}


def _add(entries: Entries, hits: dict[str, dict[str, float]]) -> None:
    for key, term, weight in entries:
        hits.setdefault(key, {})[term] = weight


def term_hits(terms: Terms, f: Field) -> dict[str, float]:
    return f.hits.get(terms.key, {})


def quote(hits: dict[str, float]) -> str:
    return ", ".join(f"'{t}'" for t in sorted(hits)[:4])


def build_index(lists: dict[str, tuple[list[object], dict[str, float]]], masked: list[object]) -> TermIndex:
    english: dict[str, list[tuple[str, str, float]]] = {}
    chinese: dict[str, list[tuple[str, str, float]]] = {}
    for key, (raw, weights) in lists.items():
        for item in raw:
            term = str(item).strip().lower()
            weight = weights.get(term, 1.0)
            if CJK.search(term):
                chinese.setdefault(term, []).append((key, term, weight))
                continue
            for form in _forms(term):
                entries = english.setdefault(form, [])
                if all(k != key for k, _, _ in entries):  # one surface, one proof per list: the
                    entries.append((key, term, weight))  # plural of "patient" is "patients" too
    names = {" ".join(_TOKEN.findall(str(name).lower())) for name in masked} - {""}
    surfaces = sorted(english.keys() | names)
    return TermIndex(
        english=_automaton({f" {surface} ": number for number, surface in enumerate(surfaces)}),
        entries=tuple(tuple(english.get(surface, ())) for surface in surfaces),
        sizes=tuple(len(surface) + 2 for surface in surfaces),
        masked=frozenset(number for number, surface in enumerate(surfaces) if surface in names),
        chinese=_automaton({term: tuple(e) for term, e in chinese.items()}),
    )


def _automaton(keys: dict[str, object]) -> ahocorasick.Automaton | None:
    if not keys:  # pyahocorasick cannot search without a key
        return None
    automaton = ahocorasick.Automaton()
    for key, value in keys.items():
        automaton.add_word(key, value)
    automaton.make_automaton()
    return automaton


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
