"""The Aho-Corasick term matcher finds exactly what the word-set matcher it replaced found.

The reference below is that earlier matcher (lower-case word tokens, phrases looked up among the
word n-grams that start with a phrase's first word, masked names cut out as a gap): the test
holds the new one to the same hits on every item of every real day, and on generated texts
built to hit the edges (masked names next to each other, phrases across a cut, glued words,
Chinese substrings).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.lenses import DEFAULT_LENS, load_lens
from streams.ops.evaluate import DEFAULT_DATA
from streams.stages.classify import term_lists
from streams.stages.lens_terms import _ACRONYM_AI, _GLUED, CJK, DOT_I, build_index, list_of, prepare
from streams.stages.normalise import clean_text

_TOKEN = re.compile(r"[a-z0-9]+")
Hits = dict[str, dict[str, float]]


class _WordSetMatcher:
    """The matcher `lens_terms.prepare` replaced, kept here as the oracle."""

    def __init__(self, lists: dict[str, tuple[list[object], dict[str, float]]], masked: list[object]) -> None:
        self.english: dict[str, list[tuple[str, str, float]]] = {}
        self.chinese: list[tuple[str, str, float]] = []
        for key, (raw, weights) in lists.items():
            for item in raw:
                term = str(item).strip().lower()
                weight = weights.get(term, 1.0)
                if CJK.search(term):
                    self.chinese.append((term, key, weight))
                    continue
                surface = " ".join(_TOKEN.findall(term))
                forms = () if not surface else (surface,) if surface.endswith("s") else (surface, surface + "s")
                for form in forms:
                    entries = self.english.setdefault(form, [])
                    if all(k != key for k, _, _ in entries):
                        entries.append((key, term, weight))
        self.starters: dict[str, int] = {}
        for form in self.english:
            n = form.count(" ") + 1
            if n > 1:
                first = form.split(" ", 1)[0]
                self.starters[first] = max(self.starters.get(first, 0), n)
        self.masked: dict[str, list[tuple[str, ...]]] = {}
        for name in masked:
            words = tuple(_TOKEN.findall(str(name).lower()))
            if words:
                self.masked.setdefault(words[0], []).append(words)
        for names in self.masked.values():
            names.sort(key=len, reverse=True)

    def prepare(self, text: str, zh: bool, split_glued: bool = False) -> Hits:
        if "." in text:
            text = _ACRONYM_AI.sub("AI", text)
        grams = self._grams(self._unmasked(_TOKEN.findall(text.lower())))
        if split_glued and _GLUED.search(text):
            grams |= self._grams(self._unmasked(_TOKEN.findall(_GLUED.sub(r"\1 \2", text).lower())))
        hits: Hits = {}
        for gram in grams & self.english.keys():
            for key, term, weight in self.english[gram]:
                hits.setdefault(key, {})[term] = weight
        if zh:
            for term, key, weight in self.chinese:
                if term in text:
                    hits.setdefault(key, {})[term] = weight
        return hits

    def _unmasked(self, words: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(words):
            name = next((n for n in self.masked.get(words[i], ()) if tuple(words[i : i + len(n)]) == n), None)
            if name is None:
                out.append(words[i])
                i += 1
            else:
                out.append("")
                i += len(name)
        return out

    def _grams(self, words: list[str]) -> set[str]:
        grams = set(words)
        for i, word in enumerate(words):
            longest = self.starters.get(word)
            if longest:
                grams.update(" ".join(words[i : i + n]) for n in range(2, longest + 1))
        return grams


def _real_items() -> Iterator[tuple[str, str]]:
    for path in sorted(DEFAULT_DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                yield clean_text(str(row.get("title") or "")), clean_text(str(row.get("text") or ""))


@pytest.mark.skipif(not DEFAULT_DATA.is_dir(), reason=f"real data directory absent: {DEFAULT_DATA}")
def test_every_real_item_gets_the_hits_of_the_word_set_matcher() -> None:
    lens = load_lens(DEFAULT_LENS)
    masked = list_of(lens.classifier, "masked_names")
    index, reference = build_index(term_lists(lens), masked), _WordSetMatcher(term_lists(lens), masked)
    items = chinese = 0
    for title, text in _real_items():
        items += 1
        chinese += bool(CJK.search(title + text))
        # Chinese terms are looked for in every item and glued words split in every field: more
        # than `classify` asks, so every path of the matcher is compared on every item.
        for field in (title, text[:1000], text[:200]):
            assert prepare(index, field, True, True).hits == reference.prepare(field, True, True), field
            assert prepare(index, field, False).hits == reference.prepare(field, False), field
    assert items > 10_000 and chinese > 100  # the real days were read, Chinese ones among them


_LISTS: dict[str, tuple[list[object], dict[str, float]]] = {
    "anchor": (["AI", "A.I.", "machine learning", "gpt-5", "model"], {}),
    "category:policy": (["AI act", "act", "bill", "news", "export controls", "芯片", "出口管制", "AI芯片"],
                        {"ai act": 2.0}),
    "noise:promo": (["hacker", "gates", "washington"], {}),
}
_MASKED: list[object] = ["Bill Gates", "Hacker News", "Washington Post", "Hacker", "Post Office", ""]
_PIECES = ["AI", "ai", "A.I.", "a.i", "act", "Act", "acts", "bill", "Bill", "Gates", "gates", "Hacker", "News",
           "news", "Washington", "Post", "Office", "machine", "Learning", "learnings", "GPT", "5", "gpt-5",
           "export", "controls", "said", "model", "models", "riskTechnology", "machineLearning", "芯片",
           "出口管制", "AI芯片", "ai芯片", "the", "x", "A.İ", "a.ı", "İ", "\u212a", "café", "ＡＩ", "x\udc80y"]
_GLUE = [" ", "  ", "-", ".", ", ", "'s ", "/", "", "\n", "：", "é"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_GLUE)), max_size=14), st.booleans(),
       st.booleans())
def test_generated_texts_get_the_hits_of_the_word_set_matcher(parts: list[tuple[str, str]], zh: bool,
                                                              glued: bool) -> None:
    text = "".join(piece + glue for piece, glue in parts)
    index, reference = build_index(_LISTS, _MASKED), _WordSetMatcher(_LISTS, _MASKED)
    assert prepare(index, text, zh, glued).hits == reference.prepare(text, zh, glued)


def test_masked_names_leave_a_gap_no_phrase_spans() -> None:
    index = build_index(_LISTS, _MASKED)
    hits = prepare(index, "Bill Gates funds machine Hacker News learning; the AI Act passed", False).hits
    assert hits == {"anchor": {"ai": 1.0}, "category:policy": {"ai act": 2.0, "act": 1.0}}


def test_a_lens_without_terms_matches_nothing() -> None:
    assert prepare(build_index({}, []), "AI 芯片", True, True).hits == {}


def test_a_text_with_no_dot_before_an_i_holds_no_a_i_to_spell_out() -> None:
    """`prepare` looks for "A.I." only after a "." before a letter that "I" matches ignoring case:
    those letters must be every one the pattern's case-blind "I" accepts."""
    one_i = re.compile("I", re.IGNORECASE)
    letters = {chr(c) for c in range(0x110000) if one_i.fullmatch(chr(c))}
    assert letters == {dot_i[1] for dot_i in DOT_I}
