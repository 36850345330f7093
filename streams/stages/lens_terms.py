"""A lens's term lists compiled for matching, and an item's text matched against them. Pure.

English terms are matched on whole words: the text is lower-cased and every run of anything that is
not a letter or digit becomes one space, so "ai" misses "said" and "gpt-5" matches "GPT 5". Every
term, single word or phrase, is one key of an Aho-Corasick automaton (pyahocorasick) padded with a
space on each side, so one pass over the text finds all of them on word boundaries. The lens's
`masked_names` ("Bill Gates", "Hacker News") are cut out first and leave a gap no phrase spans: a
name that contains a term is not that term. Chinese terms are matched as substrings by a second
automaton, only for items that contain Chinese. `streams.stages.classify` decides with what is found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

_TOKEN = re.compile(r"[a-z0-9]+")
_SEPARATORS = re.compile(r"[^a-z0-9]+")
_GAP = "|"  # where a masked name was cut out: no term contains "|", so no phrase spans it
_ACRONYM_AI = re.compile(r"\bA\.I\.?(?![a-z])", re.IGNORECASE)  # "A.I." is spelled out in some press
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

    english: ahocorasick.Automaton | None  # " surface " -> its Entries; None: the lens has none
    chinese: ahocorasick.Automaton | None  # term -> its Entries
    masked: re.Pattern[str] | None  # the masked names, longest first, on word boundaries


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
    hits: dict[str, dict[str, float]] = {}
    if index.english is not None:
        _collect(index.english, _words(text, index.masked), hits)
        if split_glued and _GLUED.search(text):  # both readings: "OpenAI" one word, "riskTechnology" two
            _collect(index.english, _words(_GLUED.sub(r"\1 \2", text), index.masked), hits)
    if zh and index.chinese is not None:
        _collect(index.chinese, text, hits)
    return Field(hits)


def _words(text: str, masked: re.Pattern[str] | None) -> str:
    """The text as its lower-case words between single spaces, with a space at either end, so a
    term padded with spaces is found only as whole words; masked names are cut out."""
    words = f" {_SEPARATORS.sub(' ', text.lower()).strip()} "
    return masked.sub(_GAP, words) if masked is not None else words


def _collect(automaton: ahocorasick.Automaton, text: str, hits: dict[str, dict[str, float]]) -> None:
    for _, entries in automaton.iter(text):
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
    return TermIndex(_automaton({f" {form} ": e for form, e in english.items()}), _automaton(chinese),
                     _masked_pattern(masked))


def _automaton(keys: dict[str, list[tuple[str, str, float]]]) -> ahocorasick.Automaton | None:
    if not keys:  # pyahocorasick cannot search without a key
        return None
    automaton = ahocorasick.Automaton()
    for key, entries in keys.items():
        automaton.add_word(key, tuple(entries))
    automaton.make_automaton()
    return automaton


def _masked_pattern(names: list[object]) -> re.Pattern[str] | None:
    """One alternation of the names as words, longest (in words) first: at a place where two names
    start, the longer is cut, and a cut ends before the next is looked for."""
    spelled = {" ".join(_TOKEN.findall(str(name).lower())) for name in names}
    ordered = sorted(spelled - {""}, key=lambda name: (-name.count(" "), name))
    if not ordered:
        return None
    return re.compile(r"(?<= )(?:" + "|".join(map(re.escape, ordered)) + r")(?= )")


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
