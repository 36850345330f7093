"""Writing check: does a brief read as BRIEF.md asks, item by item, as a reader sees it? Pure.

Five faults a reader notices, counted on the rendered fields of one `Brief` (nothing the writer
knows internally is consulted, so a fix must change what is read):

- frames: the same sentence frame across items. Word 6-grams of the items' Summary and Details,
  names and numbers removed, shared by 3 or more items. The confidence wording may repeat (the
  issue allows it: confidence is computed, so it is said alike), so sentences that state a
  confidence are left out.
- repeats: two sentences of one Summary that say the same thing (most content words shared).
- foreign: headlines not in the brief's language (English); a headline labelled with its
  language ('(Chinese-language report)') is counted apart, as `labelled`.
- not_names: entities that are not names: a Chinese fragment glued to Latin letters, a bare
  title or role ('Governor'), a unit ('GW'), a word the day's sources write in lower case.
- same_event: pairs of items whose headlines report the same development.

And over all the days, of the Executive Summaries: the sentences each has (BRIEF.md asks for 3-5)
and the sentence frames (6-grams, names removed, as above) that 3 or more days' summaries share.

`python -m streams.ops.writing_check` (also `usul eval --writing`) replays every day of the real
data (files grouped by their date suffix) and prints one line per day; `-v` lists the faults.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from models.briefs import Brief, BriefItem
from streams.brief.sentences import is_cjk, names_in, same_development, says_again, split_sentences, stems

FRAME_WORDS = 6
FRAME_ITEMS = 3
REPEAT_OVERLAP = 0.4  # share of the shorter sentence's content words (4 or more) the other also says
LANGUAGE_LABEL = re.compile(r"\((?:[A-Z][a-z]+)-language report\)")


@dataclass
class WritingReport:
    day: str
    items: int = 0
    frames: list[tuple[str, int]] = field(default_factory=list)
    repeats: list[tuple[str, str]] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    labelled: list[str] = field(default_factory=list)
    not_names: list[tuple[str, str]] = field(default_factory=list)
    same_event: list[tuple[str, str]] = field(default_factory=list)
    executive: str = ""

    def counts(self) -> tuple[int, int, int, int, int]:
        return (len(self.frames), len(self.repeats), len(self.foreign), len(self.not_names), len(self.same_event))


def check_brief(brief: Brief, corpus: str = "") -> WritingReport:
    """The writing faults of one brief; `corpus` is the day's source texts, when known, to tell a
    name from a common word ('Governor' alone where the sources write 'the governor')."""
    items = brief.top_items + brief.noteworthy
    corpus = corpus or ". ".join(ref.title for ref in brief.sources)
    outlets = {ref.outlet for ref in brief.sources}
    return WritingReport(
        day=brief.day, items=len(items), frames=frames(items), repeats=[r for i in items for r in repeats(i.summary)],
        foreign=[i.headline for i in items if foreign(i.headline) and not LANGUAGE_LABEL.search(i.headline)],
        labelled=[i.headline for i in items if LANGUAGE_LABEL.search(i.headline)],
        not_names=[(i.headline, n) for i in items for n in not_names(i, corpus) if n not in outlets],
        same_event=same_event(items), executive=brief.executive_summary)


# --- frames -----------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’.-]*[A-Za-z]|[A-Za-z]|\$?\d[\d,.]*%?")
_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve".split())
_CONFIDENCE = re.compile(r"\bconfidence\b", re.IGNORECASE)


def frame_tokens(sentence: str) -> list[str]:
    """Lower-case words with names and numbers removed: 'reported by eight outlets (Wired, CNBC
    and The Verge)' and 'reported by three outlets (Reuters)' are one frame. A capitalised word
    past the first, or one with a capital inside ('xAI'), is a name; so is a joiner between two
    names ('Meta and xAI')."""
    marked: list[str | None] = []
    for index, token in enumerate(_TOKEN.findall(sentence)):
        low = token.casefold()
        numeric = token[0].isdigit() or token[0] == "$" or low in _NUMBER_WORDS
        name = (token[0].isupper() and index > 0) or any(c.isupper() for c in token[1:])
        marked.append(None if numeric or name else low)
    kept = [t for i, t in enumerate(marked)
            if t is not None and not (t in _JOINERS and _is_gap(marked, i - 1) and _is_gap(marked, i + 1))]
    return kept


_JOINERS = frozenset({"and", "or", "of", "&"})


def _is_gap(marked: list[str | None], index: int) -> bool:
    return 0 <= index < len(marked) and marked[index] is None


def frames(items: Sequence[BriefItem]) -> list[tuple[str, int]]:
    """6-grams (names removed) that 3 or more items use, with how many items use each."""
    return shared_frames([f"{item.summary} {item.details}" for item in items], skip_confidence=True)


def shared_frames(texts: Sequence[str], skip_confidence: bool = False) -> list[tuple[str, int]]:
    """6-grams (names removed) that 3 or more of `texts` use, with how many use each."""
    users: dict[str, set[int]] = defaultdict(set)
    for index, text in enumerate(texts):
        for sentence in split_sentences(text):
            if skip_confidence and _CONFIDENCE.search(sentence):
                continue
            words = frame_tokens(sentence)
            for start in range(len(words) - FRAME_WORDS + 1):
                users[" ".join(words[start:start + FRAME_WORDS])].add(index)
    return sorted(((g, len(u)) for g, u in users.items() if len(u) >= FRAME_ITEMS), key=lambda p: (-p[1], p[0]))


# --- repeats in a Summary ---------------------------------------------------------------------


def repeats(summary: str) -> list[tuple[str, str]]:
    """Pairs of a Summary's sentences where the shorter says little the other does not."""
    sentences = [s for s in split_sentences(summary) if len(stems(s)) >= 3]
    return [(a, b) for i, a in enumerate(sentences) for b in sentences[i + 1:] if says_again(a, b, REPEAT_OVERLAP)]


# --- language ---------------------------------------------------------------------------------


def foreign(text: str) -> bool:
    """Not English: any Chinese characters, or more non-Latin letters than Latin ones."""
    if is_cjk(text):
        return True
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    other = sum(1 for c in text if c.isalpha() and not c.isascii() and not _LATIN_EXTRA.match(c))
    return other > latin


_LATIN_EXTRA = re.compile(r"[\u00c0-\u024f]")  # accented Latin letters: 'Société' is still Latin


# --- entities ---------------------------------------------------------------------------------

_ROLES = frozenset(
    "Governor President Minister Judge Senator CEO Chairman Chairwoman Director Secretary Mayor Chancellor "
    "Commissioner Representative Congressman Congresswoman Prime Attorney General Chief Officer Founder "
    "Professor Dr Mr Mrs Ms King Queen Prince Pope Ambassador Spokesperson Spokesman".split())
_UNITS = frozenset("GW MW KW kW TW GWh MWh TB GB MB PB GHz MHz nm km kg".split())


def entities(item: BriefItem, corpus: str = "") -> list[str]:
    """The names a reader meets in an item's Details (the headline is a source's title, quoted):
    a sentence's capitalised first word counts only when the sources also capitalise it."""
    found: list[str] = []
    for sentence in split_sentences(item.details):
        for name in names_in(sentence):
            # a sentence's (or a quotation's) first word, after any quote mark or symbol
            # ('"Parties have agreed ...', ': “Why continue ...', '👉 Which means ...')
            opener = " " not in name and re.search(rf"(?:^|[^\w\s,;'’-])\s*{re.escape(name)}\b", sentence) is not None
            if not (opener and _written_lower(name, corpus)) and name not in found:
                found.append(name)
    return found


def _written_lower(word: str, corpus: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(word.lower())}\b", corpus) is not None


def not_names(item: BriefItem, corpus: str) -> list[str]:
    return [name for name in entities(item, corpus) if not is_name(name, corpus)]


def is_name(name: str, corpus: str) -> bool:
    """A glued script fragment, a bare role or unit, or one word the sources write in lower case,
    is not a name."""
    if is_cjk(name) and re.search(r"[A-Za-z]", name):
        return False  # 'Anthropic公司' or 'GW发布': two scripts glued into one 'name'
    words = name.split()
    if all(w.rstrip(".") in _ROLES for w in words) or name in _UNITS:
        return False
    if len(words) == 1 and name[1:].islower() and corpus:
        lower = _written_lower(name, corpus)
        capital = re.search(rf"[^.!?:\"“\s]\s+{re.escape(name)}\b", corpus) is not None
        return capital or not lower
    return True


# --- one event, several items -----------------------------------------------------------------


def same_event(items: Sequence[BriefItem]) -> list[tuple[str, str]]:
    """Pairs of headlines that report one development (a shared name or figure, and most of the
    shorter one's content words)."""
    shown = [LANGUAGE_LABEL.sub("", i.headline) for i in items]  # the label is no part of the report
    return [(items[i].headline, items[j].headline) for i in range(len(items)) for j in range(i + 1, len(items))
            if same_development(shown[i], shown[j])]


# --- the command ------------------------------------------------------------------------------

COLUMNS = ("frames", "repeats", "foreign", "not-names", "same-event")


def report_lines(reports: Iterable[WritingReport], verbose: bool = False) -> list[str]:
    reports = list(reports)
    lines = [f"{'day':<10} {'items':>5} " + " ".join(f"{c:>10}" for c in COLUMNS) + "   labelled"]
    for r in reports:
        lines.append(f"{r.day:<10} {r.items:>5} " + " ".join(f"{n:>10}" for n in r.counts()) + f"   {len(r.labelled)}")
        if verbose:
            lines += [f"    frame x{n}: {g}" for g, n in r.frames[:8]]
            lines += [f"    repeat: {a[:90]} || {b[:90]}" for a, b in r.repeats]
            lines += [f"    foreign: {h[:100]}" for h in r.foreign]
            lines += [f"    not a name: {n!r} in {h[:80]}" for h, n in r.not_names]
            lines += [f"    same event: {a[:70]} || {b[:70]}" for a, b in r.same_event]
    totals = [sum(r.counts()[i] for r in reports) for i in range(len(COLUMNS))]
    lines.append(f"{'total':<10} {sum(r.items for r in reports):>5} " + " ".join(f"{n:>10}" for n in totals)
                 + f"   {sum(len(r.labelled) for r in reports)}")
    return lines + executive_lines(reports, verbose)


def executive_lines(reports: Sequence[WritingReport], verbose: bool) -> list[str]:
    """The Executive Summaries across days: sentences each, and frames 3 or more days share."""
    summaries = [r.executive for r in reports if r.executive]
    if not summaries:
        return []
    sentences = [len(split_sentences(text)) for text in summaries]
    shared = shared_frames(summaries)
    lines = [f"executive summaries: {sum(3 <= n <= 5 for n in sentences)} of {len(summaries)} with 3-5 sentences "
             f"(from {min(sentences)} to {max(sentences)}); {len(shared)} frames shared by {FRAME_ITEMS} or more days"]
    return lines + ([f"    frame x{n} days: {g}" for g, n in shared[:12]] if verbose else [])


def day_files(data: Path) -> dict[str, list[str]]:
    """Every date of the real data with the files that carry it (`<family>-<date>.jsonl`)."""
    days: dict[str, list[str]] = {}
    for path in sorted(data.glob("*-????-??-??.jsonl")):
        days.setdefault(path.stem[-10:], []).append(path.name)
    return days


def check_days(data: Path, days: Sequence[str] = ()) -> list[WritingReport]:
    """Replay each day of the real data in-process and check its brief."""
    from streams.lenses import DEFAULT_LENS, load_lens
    from streams.ops.evaluate import replay_files

    lens, reports = load_lens(DEFAULT_LENS), []
    for day, files in sorted(day_files(data).items()):
        if days and day not in days:
            continue
        run = replay_files(files, day, data, lens)
        reports.append(check_brief(run.brief, ". ".join(run.titles.values())))
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    from streams.ops.evaluate import DEFAULT_DATA

    parser = argparse.ArgumentParser(prog="usul eval --writing", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="directory of real item files")
    parser.add_argument("--day", action="append", default=[], help="only this day (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list each fault")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"no item directory {args.data}")
    print("\n".join(report_lines(check_days(args.data, args.day), args.verbose)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
