"""Text primitives for the writers: sentences, content words, names, titles. Pure.

English and Chinese share one code path: sentences split on `. ! ?` and `。！？`, content words
are English words plus Chinese character bigrams (Chinese has no word spaces), and nothing here
ever cuts a Chinese sentence in the middle or glues an English lead-in onto one. Everything is a
function of its input alone, so the offline writer stays deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

# --- sentences --------------------------------------------------------------------------------

_BOUNDARY = re.compile(
    r"([.!?][\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9\u4e00-\u9fff])|([。！？][”」』\"]?)\s*"
)
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st inc corp co ltd jr sr vs u.s u.k e.g i.e no gen gov sen rep dept est fig".split()
)
TERMINALS = (".", "!", "?", "。", "！", "？", '"', "”", "’", "'", ")", "」")


def split_sentences(text: str) -> list[str]:
    """Sentences of English (. ! ?) and Chinese (。！？) text; abbreviations do not end one."""
    out, start = [], 0
    for match in _BOUNDARY.finditer(text):
        end = match.end(1) if match.group(1) else match.end(2)
        # only a full stop follows an abbreviation or an initial: 'taken off X? In the UK' is two
        if (match.group(1) or "").startswith(".") and _ends_in_abbreviation(text[start:match.start(1)]):
            continue
        out.append(text[start:end].strip())
        start = match.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def _ends_in_abbreviation(before: str) -> bool:
    last = before.rsplit(None, 1)[-1] if before.strip() else ""
    return last.casefold().lstrip("(\"'“") in _ABBREVIATIONS or (len(last) == 1 and last.isupper())


def usable_sentences(text: str, limit: int) -> list[str]:
    """The first `limit` sentences fit to quote: whole, not boilerplate, not a promotional blurb."""
    sentences = split_sentences(text)
    if sentences and (not sentences[-1].endswith(TERMINALS) or sentences[-1].endswith(("...", "…"))):
        sentences = sentences[:-1]  # feeds cut snippets mid-sentence; a fragment is never a summary
    usable: list[str] = []
    for sentence in (strip_dateline(tidy(s)) for s in sentences):
        if len(usable) == limit:
            break
        if _good_length(sentence) and not is_boilerplate(sentence) and not _PROMO.match(sentence):
            usable.append(sentence)
    return usable


def tidy(sentence: str) -> str:
    """Collapse whitespace and the stray space feeds leave before punctuation ('Reuters .')."""
    return re.sub(r"\s+([.,;:!?])(?=\s|$)", r"\1", " ".join(sentence.split()))


_DATELINE_EN = re.compile(r"^[A-Z][A-Z .,'-]{2,40}\s*(\([A-Za-z .]+\))?\s*[-–—]{1,2}\s+(?=[A-Z])")
_DATELINE_ZH = re.compile(r"^[^，,。]{0,16}?\d{1,2}\s*月\s*\d{1,2}\s*日\s*(消息|电|讯|报道)\s*[，,：:]\s*")


# An aggregator's lead-in: "An anonymous reader quotes a report from Wired:", "Longtime Slashdot
# reader schwit1 shares a report from Reuters:", "Longtime Slashdot reader chicksdaddy writes:".
_SUBMITTER = re.compile(
    r"^(?:(?:An anonymous reader|(?:Long-?time |Frequent )?(?:\w+ )?reader(?: \S+)?) (?:writes|shares|quotes|submits)"
    r"|\S+ (?:shares|quotes|submits))(?: (?:a|an|the) (?:report|article|story|post|excerpt))?"
    r"(?: from (?:the )?[A-Z][^:]{0,60})?:\s+(?=\S)")


def strip_dateline(sentence: str) -> str:
    """'SAN FRANCISCO (Reuters) - ', 'IT之家 4 月 9 日消息，' and 'An anonymous reader quotes a report
    from Wired:' belong to the wire or the aggregator, not the news."""
    stripped = _DATELINE_ZH.sub("", sentence, count=1)
    if stripped == sentence:
        stripped = _DATELINE_EN.sub("", stripped, count=1)
    return _SUBMITTER.sub("", stripped, count=1)


def _good_length(sentence: str) -> bool:
    if is_cjk(sentence):
        return 10 <= len(sentence) <= 200
    return 6 <= len(sentence.split()) <= 70


_BOILERPLATE = (
    "read more", "continue reading", "announce type", "arxiv:", "http://", "https://", "www.",
    "submitted by", "[link]", "[comments]", "article url:", "comments url:", "points:",
    "appeared first on", "click here", "sign up for our", "subscribe to our", "all rights reserved",
    "use cookies", "cookie policy",
)
_PROMO = re.compile(r"(Explore|Learn|Discover|Find out|Check out|Join|Watch|Sign up|Don't miss)\b")


def is_boilerplate(sentence: str) -> bool:
    lowered = sentence.lower()  # plain substring tests: this runs on every sentence of every member
    return any(marker in lowered for marker in _BOILERPLATE)


# --- words, names, numbers --------------------------------------------------------------------

STOPWORDS = frozenset(
    "the and for that with this from have has had was were are been its their they them his her "
    "she him our you your not but all any can will would could should may might also than then "
    "into over under about after before more most some such only other what which who whom when "
    "where while how why new says said say just like one two out off per via yet now get got does "
    "did being there here these those each both very much many year years today week".split()
)
URL = re.compile(r"https?://[^\s<>\"')\]]+")  # a link in text, without the punctuation that closes it
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’\-]+|\d[\d,.]*\d|\d")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


@lru_cache(maxsize=8192)
def content_words(text: str) -> frozenset[str]:
    """Lower-cased English words (3+ letters, no stopwords), numbers, and Chinese bigrams.
    Cached: every member's text is compared with every other member's several times."""
    words = {w.casefold().strip("'’-") for w in _WORD.findall(text)}
    words = {w for w in words if (len(w) >= 3 or w.isdigit()) and w not in STOPWORDS}
    for run in _CJK_RUN.findall(text):
        words |= {run[i:i + 2] for i in range(max(1, len(run) - 1))}
    return frozenset(words)


def opening(text: str) -> frozenset[str]:
    """The content words of a sentence's first clause, its time words aside: who did what. Two
    sentences that open alike ("Meridian Labs on Thursday released Meridian-5, its most capable
    ..." and "Meridian Labs today released Meridian-5, a frontier ...") state one fact twice,
    however their tails differ. Empty under three words: too little to be a fact of its own."""
    clause = _CLAUSE_END.split(text, maxsplit=1)[0]
    words = {w.casefold().strip("'’-") for w in _WORD.findall(clause)}
    words = {w for w in words if (len(w) >= 3 or w.isdigit()) and w not in STOPWORDS and w not in _WHEN}
    return frozenset(words) if len(words) >= 3 else frozenset()


_CLAUSE_END = re.compile(r"[,;:()—–]| - ")
_WHEN = frozenset("monday tuesday wednesday thursday friday saturday sunday yesterday tonight".split())


_NAME = re.compile(r"(?:(?:Mr|Mrs|Ms|Dr|Prof|Gov|Sen|Rep)\.\s+)?"  # 'Mr. Musk' is one name, not 'Mr'
                   r"(?:[A-Z][\w&'’.-]*[\w]|[A-Z]|[a-z]+[A-Z][\w.-]*)(?:\s+(?:[A-Z][\w&'’.-]*[\w]|of|de|&))*")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NUMBERED = re.compile(r"\b(?:No|Nos|Vol|Fig|Art|Sec|Ch)\.(?=\s?\d)")  # "No. 5" is a number, not a name


def names_in(text: str) -> list[str]:
    """Capitalised runs ('Judge Yvonne Gonzalez Rogers', 'Character.AI', 'xAI') that are not just
    a capitalised sentence opener; possessives and trailing joiners dropped, in order of appearance."""
    found: list[str] = []
    for sentence in split_sentences(text):
        # A Chinese run ends a name: 'Anthropic公司发布' names Anthropic, never 'Anthropic公司发布'.
        sentence = _CJK_RUN.sub(" , ", sentence)
        for match in _NAME.finditer(_NUMBERED.sub(" ", sentence)):
            # "Nvidia’s H200 AI" is two names; "The US" is "US"
            for index, part in enumerate(re.split(r"['’]s\s+", match.group(0))):
                name = re.sub(r"(\s+(of|de|&))+$", "", part).removesuffix("’s").removesuffix("'s").rstrip(".")
                name = re.sub(r"^(The|A|An)\s+", "", name)
                if match.start() == 0 and index == 0:  # "However", "How Elon Musk ...": a word that opens
                    first, _, rest = name.partition(" ")  # any sentence is no name, nor part of one
                    if first.casefold() in _OPENERS and not (rest and first.casefold() in _NAME_STARTS):
                        name = rest
                if not name:
                    continue
                if name not in found:
                    found.append(name)
    return found


_OPENERS = STOPWORDS | frozenset(
    "a an it in on at as if so we i but and or yet after before according for with some several "
    "however meanwhile still even while when though although instead once since despite amid no yes "
    "introducing announcing meet".split()  # "Introducing Quality mode ...", "Meet Gemma 4": announcements
)
_NAME_STARTS = frozenset({"new", "one", "two"})  # openers that also start names: "New York", "Two Sigma"


def numbers_in(text: str) -> set[str]:
    """Figures as written and without separators ('1,000' -> {'1,000', '1000'}); citation marks
    like '[3]' are not figures."""
    text = re.sub(r"\[\d+\]", " ", text)
    found = set()
    for token in _NUMBER.findall(text):
        token = token.rstrip(".,")
        found |= {token, token.replace(",", "")}
    return found


def specifics(text: str) -> int:
    """Names and numbers: capitalised words past the first, and figures."""
    tokens = text.split()[1:]
    return sum(1 for t in tokens if t[:1].isupper() or t[:1].isdigit() or t[:1] in "$€£¥")


def stems(text: str) -> frozenset[str]:
    """English content words cut to six letters: 'settled' and 'settlement' are one word here."""
    return frozenset(w[:6] for w in content_words(text) if not is_cjk(w))


def says_again(a: str, b: str, overlap: float = 0.4, least: int = 4) -> bool:
    """The shorter of two sentences says little the other does not: `least` or more of its
    content words, and at least `overlap` of them, are the other's too."""
    sa, sb = stems(a), stems(b)
    shared = len(sa & sb)
    return shared >= least and shared / max(1, min(len(sa), len(sb))) >= overlap


_FIGURE = re.compile(r"\$?\d[\d,.]*\s?(?:%|billion|million|trillion|bn|[bBmMkK]\b)?")


def headline_specifics(headline: str) -> frozenset[str]:
    """Names and figures of a headline, the parts that tell one development from another."""
    figures = {f.strip(".,").casefold() for f in _FIGURE.findall(headline)}
    return frozenset({n.casefold() for n in names_in(headline)} | {f for f in figures if f})


def same_development(a: str, b: str) -> bool:
    """Two headlines that report one development: they share a name or figure, and most of the
    shorter one's content words (three or more) are the other's."""
    return bool(headline_specifics(a) & headline_specifics(b)) and says_again(a, b, overlap=0.5, least=3)


# Chinese figures in English: '1400亿' is 140 billion, '3万亿美元' 3 trillion dollars.
_CJK_FIGURE = re.compile(r"(\d+(?:\.\d+)?)\s*(万亿|亿|万)?\s*(美元|元|人民币)?\s*(%)?")
_CJK_SCALE = {"万亿": 1e12, "亿": 1e8, "万": 1e4, None: 1.0}
_CURRENCY = {"美元": " US dollars", "元": " yuan", "人民币": " yuan"}


def cjk_figures(text: str) -> list[str]:
    """Figures a Chinese text states, written in English: amounts with their scale and currency,
    percentages; bare small numbers (dates, counts under 10) are left out as ambiguous."""
    found: list[str] = []
    for number, scale, currency, percent in _CJK_FIGURE.findall(text):
        value = float(number) * _CJK_SCALE[scale or None]
        if percent:
            figure = f"{number}%"
        elif scale or currency:
            figure = _english_amount(value) + _CURRENCY.get(currency, "")
        else:
            continue
        if figure not in found:
            found.append(figure)
    return found


def _english_amount(value: float) -> str:
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if value >= size:
            return f"{value / size:g} {word}"
    return f"{value:,.0f}"


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def is_cjk(text: str) -> bool:
    """Contains Chinese characters (enough to keep English lead-ins off it)."""
    return bool(_CJK_RUN.search(text))


def mostly_cjk(text: str) -> bool:
    """More Chinese characters than Latin letters: a Chinese title, even with 'IPU' or 'AI' in it."""
    cjk = sum(len(run) for run in _CJK_RUN.findall(text))
    return cjk > 0 and cjk * 2 >= sum(1 for c in text if c.isascii() and c.isalpha())


def is_title_case(title: str) -> bool:
    """'OpenAI Launches ChatGPT Health, Encouraging Users To Connect': most longer words capitalised."""
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", title)[1:] if len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


# --- titles -----------------------------------------------------------------------------------

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


_ATTRIBUTION = re.compile(
    r"(?:,\s*|\s+[-–—:]\s+)(?:"
    r"(?:the\s+)?[A-Z][\w.&’']*(?:\s+[A-Z][\w.&’']*){0,3}\s+(?:reports|reported|says report)"
    r"|(?:sources?|insiders?|people familiar(?: with the matter)?|reports?)\s+(?:say|says|said|show|shows)"
    r"|according to [^,]{2,60}|(?:a\s+)?report(?:\s+says)?|sources"
    r")\s*$",
    re.IGNORECASE,
)
_KICKER = re.compile(r"^(?:Tech war|Exclusive|Breaking|Update|Updated|Analysis|Explainer|Live|Podcast|Video|"
                     r"Opinion|Scoop|Report)\s*[:|]\s+", re.IGNORECASE)


def strip_attribution(title: str) -> str:
    """'OpenAI reserves $50 billion, The Information reports' -> 'OpenAI reserves $50 billion';
    'Tech war: China ...' -> 'China ...'. Attributions to an actor ('UK watchdog says') stay:
    there the speaker is part of who did what."""
    title = _KICKER.sub("", clean_title(title))
    stripped = _ATTRIBUTION.sub("", title).rstrip(" ,;:-–—")
    return stripped if len(stripped.split()) >= 4 else title


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


def unstop(text: str) -> str:
    """Drop a headline's final full stop before it is embedded in a sentence; keep '…' and '?'."""
    return text.rstrip(" .。") if not text.endswith("…") else text


def full_stop(text: str) -> str:
    return text if text.endswith(("…", "?", "!", ".", "。", "！", "？")) else text + "."


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def join(names: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


_SMALL = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def plural(count: int, one: str, many: str | None = None, words: bool = False) -> str:
    """'1 outlet', '3 outlets'; with `words`, 'three outlets' up to ten as a person writes it."""
    number = _SMALL[count] if words and 0 <= count < len(_SMALL) else str(count)
    return f"{number} {one if count == 1 else many or one + 's'}"
