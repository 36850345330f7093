"""Incremental story clustering for one lens: which story does this item belong to? Pure.

No faust import and no I/O beyond the mapping it is handed: the agent passes a changelogged
faust Table, unit tests pass a plain dict. Every value written is JSON-plain data, and one item
writes O(item) keys (its member entry, its story, a few index lists), never the whole day.

Layers, cheapest and surest first (DESIGN.md "Ranking and clustering"):

1. same canonical URL -> same story;
2. near-duplicate text: MinHash (fixed seed, 64 permutations) over word 3-shingles, LSH bands of
   4 rows stored as bucket keys; an estimated Jaccard >= 0.5 against a stored member joins;
3. content similarity: candidate stories come only from an inverted index of the item's most
   distinctive tokens (entities, amounts, rare words), never from a scan of the day. The score
   is the cosine of typed token vectors (entities and amounts weigh most) against the story's
   top-64 centroid, damped by time distance, and it must also clear an evidence gate: shared
   distinctive tokens worth at least two "points", so a story that shares only one generic
   name ("OpenAI", "AI") is never joined. A legal/regulatory action on one side only (a
   regulator reacting to a launch) damps the score, so follow-on developments by another actor
   open their own story. Tokens that many of the day's stories carry ("Trump", "CES", "LLM")
   count less, judged from the length of their index lists, and points are counted only on a
   story's core tokens, so a big story cannot chain in its whole topic. A headline without text
   may join on fewer points if its score clears the bar by a margin.

Chinese items meet English ones through a small table of field-generic names (companies, labs,
countries) and words, and through amounts normalised to one spelling ("100 美元" == "$100"). As
fewer tokens can meet across scripts, the bars are lower there, but a name, an amount or two
companies must be among what they share.

Store keys (all under one lens and day, so `forget_day` can drop a day):
  story|<lens>|<day>|<story_id>    story head: member ids, centroid, flags (no member texts)
  member|<lens>|<day>|<item_id>    {"story": id, "member": StoryMember, "sig": MinHash values}
  url|<lens>|<day>|<canonical_url> story id
  lsh|<lens>|<day>|<band>:<hash>   item ids whose signature falls in that band bucket
  idx|<lens>|<day>|<token>         story ids indexed under a distinctive token (capped)
"""

from __future__ import annotations

import functools
import hashlib
import math
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from models.items import EnrichedItem
from models.stories import Story, StoryMember
from streams.stages.classify import RELEVANCE_BAR
from streams.stages.story_text import (
    COMPANIES,
    GIVEN_NAMES,
    GOV_WORDS,
    GOV_ZH,
    JURISDICTIONS,
    LEGAL,
    LEGAL_PREFIXES,
    MAKER,
    NUM_PERM,
    ZH_WORDS,
    cjk_tokens,
    features,
    latin_tokens,
    query_tokens,
    shingles,
    signature,
    stem,
    title_case,
    vector,
)

Store = MutableMapping[str, Any]

BANDS, ROWS = 16, 4  # (1/16) ** (1/4) ~ 0.5: the LSH threshold sits at the join Jaccard
NEAR_DUP_JACCARD = 0.5
MIN_SHINGLES = 12  # shorter texts give unreliable Jaccard estimates
CENTROID_SIZE = 64
CORE_SHARE = 0.25  # a token is core when at least this share of members carries it
INDEX_CAP = 40  # story ids kept per index token: bounds retrieval on very common names
MAX_CANDIDATES = 12  # stories scored per item and day
JOIN_SCORE = 0.22
JOIN_POINTS = 1.75
ASSOCIATION_STRICTNESS = 0.5  # join score an associated item needs per unit of relevance it lacks
CROSS_DAY_SCORE = 0.45
CROSS_DAY_POINTS = 3.0
LOOKBACK_DAYS = 3
TIME_SCALE_H = 36.0
LEGAL_MISMATCH_DAMP = 0.55
ROLE_MISMATCH_DAMP = 0.35
PREPARED_CACHE = 8192  # items whose tokens are kept: a day close's worth on a real day
RARE_STORIES = 3.0  # a token indexed by more stories than this counts proportionally less



_POINTS = {"e": 1.0, "g": 0.25, "n": 1.5, "w": 0.5, "c": 0.15}
GENERIC_POINTS_CAP = 0.75  # many shared generic names still never make a story on their own
MIN_SPECIFIC_POINTS = 1.0
# Across scripts only names, amounts and ZH_TERMS words can meet, so fewer points are within
# reach: the bars are lower by this much, and a name must be among them (`_names_meet`).
CROSS_SCRIPT_RELIEF = 0.5
# A report that is a headline alone (a wire item without text) has few words to share: it may
# join on this many fewer points, if its score clears the join bar by HEADLINE_MARGIN.
HEADLINE_TOKENS = 12
HEADLINE_RELIEF = 0.25
HEADLINE_MARGIN = 0.1
BIGRAM_POINTS_CAP = 0.6


def _bands(sig: list[int]) -> list[str]:
    keys = []
    for b in range(BANDS):
        chunk = ",".join(map(str, sig[b * ROWS : (b + 1) * ROWS]))
        keys.append(f"{b}:{hashlib.sha1(chunk.encode()).hexdigest()[:12]}")
    return keys


def _jaccard(a: list[int], b: list[int]) -> float:
    return sum(x == y for x, y in zip(a, b, strict=True)) / NUM_PERM


# ---------------------------------------------------------------- the store


class StoryStore:
    """Namespaced view of the state mapping for one lens; values are JSON-plain."""

    def __init__(self, mapping: Store) -> None:
        self.map = mapping

    @staticmethod
    def key(kind: str, lens: str, day: str, name: str) -> str:
        return f"{kind}|{lens}|{day}|{name}"

    def get(self, kind: str, lens: str, day: str, name: str) -> Any:
        return self.map.get(self.key(kind, lens, day, name))

    def put(self, kind: str, lens: str, day: str, name: str, value: Any) -> None:
        self.map[self.key(kind, lens, day, name)] = value

    def append(self, kind: str, lens: str, day: str, name: str, value: str, cap: int = 0) -> None:
        """Add value to a list entry; with cap, keep only the newest `cap` values."""
        values = list(self.get(kind, lens, day, name) or [])
        if value in values:
            return
        values.append(value)
        self.put(kind, lens, day, name, values[-cap:] if cap else values)

    def keys_of_day(self, lens: str, day: str) -> list[str]:
        """A scan of the mapping's keys: fine at day close, never used per item."""
        infix = f"|{lens}|{day}|"
        return [k for k in list(self.map.keys()) if infix in k and k.split("|", 1)[0] in _KINDS]


_KINDS = {"story", "member", "url", "lsh", "idx"}


def _as_store(store: StoryStore | Store) -> StoryStore:
    return store if isinstance(store, StoryStore) else StoryStore(store)


# ---------------------------------------------------------------- scoring candidates


def _has_cjk(vec: dict[str, float]) -> bool:
    return any(t[0] == "c" for t in vec)


def _cjk_heavy(vec: dict[str, float], has_cjk: bool | None = None) -> bool:
    if not (_has_cjk(vec) if has_cjk is None else has_cjk):  # most items: no Chinese at all
        return False
    total = sum(v * v for v in vec.values()) or 1.0
    return sum(v * v for t, v in vec.items() if t[0] == "c") / total > 0.3


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(a[t] * b[t] for t in a.keys() & b.keys())
    norm = math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def _points(shared: set[str], rare: dict[str, float]) -> tuple[float, float]:
    """(all points, specific points): generic names count little and only up to a cap."""
    specific = sum(_POINTS[t[0]] * rare.get(t, 1.0) for t in shared if t[0] not in "gc")
    # Chinese character pairs are many and often generic ("合作", "市值"): they add little, capped
    specific += min(sum(_POINTS["c"] * rare.get(t, 1.0) for t in shared if t[0] == "c"), BIGRAM_POINTS_CAP)
    generic = sum(_POINTS["g"] for t in shared if t[0] == "g")
    return specific + min(generic, GENERIC_POINTS_CAP), specific


def _names_meet(shared: set[str]) -> bool:
    """Across scripts, translated words ("power", "partnership") are too common to tie two reports
    on their own: they must also share a name or an amount, or two companies."""
    return any(t[0] in "en" for t in shared) or len({t for t in shared if t[2:] in COMPANIES}) >= 2


def _core(head: dict[str, Any]) -> set[str]:
    """Tokens carried by a good share of the members: what the story is about, not its fringe.

    Points are counted on these only, so a big story's wide vocabulary cannot chain in
    neighbouring events (a topic is not a story).
    """
    need = max(1, round(CORE_SHARE * len(head["members"])))
    return {t for t, n in head["counts"].items() if n >= need}


def _across_scripts(vec: dict[str, float]) -> dict[str, float]:
    """Across scripts (a Chinese item against an English story) only names and amounts can meet,
    so the cosine is taken over those alone rather than diluted by untranslatable words."""
    return {t: v for t, v in vec.items() if t[0] in "egn" or t in ZH_WORDS}


def _flags(vec: dict[str, float]) -> tuple[set[str], bool]:
    juris = {t[2:] for t in vec if t[2:] in JURISDICTIONS}
    legal = any(t[0] == "w" and (t[2:] in LEGAL or t[2:].startswith(LEGAL_PREFIXES)) for t in vec)
    return juris, legal


def title_roles(title: str) -> dict[str, Any]:
    """Actor and action of a headline: the companies it names (products read as their makers)
    and whether a government, regulator or court acts in it. Stories must agree on both."""
    tokens = latin_tokens(title, title_case(title)) + cjk_tokens(title)
    names = {MAKER.get(t[2:], t[2:]) for t in tokens if t[0] in "eg"}
    gov = any(t[0] in "egw" and stem(t[2:]) in GOV_WORDS and t not in GIVEN_NAMES for t in tokens) or any(
        w in title for w in GOV_ZH)
    # None: unknown. "US tightens export controls" is its government acting, with no word saying so,
    # while "UK tells Musk to act" may join either a government's story or the one it reacts to
    undecided = not gov and _JURISDICTION_LEAD.match(title) is not None
    return {"companies": sorted(names & COMPANIES), "gov": None if undecided else gov}


# A headline whose subject is a country or bloc: "US tightens ...", "UK to ban ...", "The EU fines ...";
# not "US startup raises ..." nor "China's DeepSeek ..." (the word after it is no verb, or it is a possessive)
_COUNTRIES = "|".join(re.escape(name) for name in sorted(JURISDICTIONS | {"u.s.", "u.k."}))
_JURISDICTION_LEAD = re.compile(rf"^\W*(?i:the\s+)?(?i:{_COUNTRIES})\s+(?:to|will|[a-z]+[^s\W]s)\b")


def roles_disagree(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Another actor (each headline names a company the other does not) or another kind of
    action (a government acts in one headline only): a follow-on development, not the same story.
    A headline whose actor is undecided (`gov` None) disagrees with neither kind."""
    if None not in (a["gov"], b["gov"]) and a["gov"] != b["gov"]:
        return True
    ca, cb = set(a["companies"]), set(b["companies"])
    return bool(ca - cb) and bool(cb - ca)


@dataclass(frozen=True)
class Probe:
    """An item's side of `match_score`, worked out once for all the stories it is scored against."""

    vec: dict[str, float]  # reweighted by `rarity`
    rare: dict[str, float]
    event_at: datetime
    roles: dict[str, Any] | None
    cjk_heavy: bool  # Chinese weighs most: compared on names and ZH_TERMS words only
    chinese: bool  # any Chinese token at all
    headline: bool  # so few tokens that it is a headline with little or no text
    juris: set[str]
    legal: bool

    @classmethod
    def of(cls, vec: dict[str, float], rare: dict[str, float], event_at: datetime,
           roles: dict[str, Any] | None) -> Probe:
        chinese = _has_cjk(vec)
        return cls(vec, rare, event_at, roles, _cjk_heavy(vec, chinese), chinese, len(vec) <= HEADLINE_TOKENS,
                   *_flags(vec))


def match_score(probe: Probe, head: dict[str, Any], min_points: float) -> float | None:
    """Combined score of an item against a story head: cosine, time, actor/action agreement.

    None when they share less evidence than `min_points`, or too little specific evidence:
    the cosine is not worth computing then.
    """
    vec, centroid = probe.vec, head["centroid"]
    chinese = _has_cjk(centroid)
    across = probe.chinese != chinese  # a Chinese report and an English story
    if probe.cjk_heavy != _cjk_heavy(centroid, chinese):  # words meet only through the ZH_TERMS table
        vec, centroid = _across_scripts(vec), _across_scripts(centroid)
    shared = vec.keys() & centroid.keys() & _core(head)
    points, specific = _points(shared, probe.rare)
    relief = CROSS_SCRIPT_RELIEF if across else HEADLINE_RELIEF if probe.headline else 0.0
    if points < min_points - relief or specific < MIN_SPECIFIC_POINTS - (relief if across else 0.0):
        return None
    if across and not _names_meet(shared):
        return None
    # a headline-only report let in under the points bar must clear the score bar by a margin
    margin = HEADLINE_MARGIN if not across and points < min_points else 0.0
    hours = abs((probe.event_at - datetime.fromisoformat(head["last_event"])).total_seconds()) / 3600
    score = _cosine(vec, centroid) * (0.8 + 0.2 * math.exp(-hours / TIME_SCALE_H))
    if probe.juris and head["juris"] and not probe.juris & set(head["juris"]):
        score *= LEGAL_MISMATCH_DAMP  # another country's authority is another actor
    if probe.legal != head["legal"]:
        score *= LEGAL_MISMATCH_DAMP  # a lawsuit or probe about a launch is a new development
    if probe.roles is not None and head.get("roles") and roles_disagree(probe.roles, head["roles"]):
        score *= ROLE_MISMATCH_DAMP  # another actor or another action: a follow-on story
    return score - margin


def _candidates(st: StoryStore, lens: str, day: str, tokens: list[str]) -> list[str]:
    hits: Counter[str] = Counter()
    for tok in tokens:
        for rank, sid in enumerate(reversed(st.get("idx", lens, day, tok) or [])):
            hits[sid] += 1.0 - rank / (2 * INDEX_CAP)  # recent stories win ties
    return [sid for sid, _ in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))][:MAX_CANDIDATES]


def rarity(st: StoryStore, lens: str, day: str, vec: dict[str, float]) -> dict[str, float]:
    """Per-token factor in (0, 1]: 1 for tokens few stories of the day carry, less for the day's
    ubiquitous names ("Trump", "CES", "LLM"), read from the length of their index lists.

    It stands in for a document frequency without writing one: the index is kept anyway.
    """
    out = {}
    for t in vec:
        seen = len(st.get("idx", lens, day, t) or []) if t[0] in "enw" else 0
        out[t] = min(1.0, RARE_STORIES / (seen + 1))
    return out


def _reweighted(vec: dict[str, float], rare: dict[str, float]) -> dict[str, float]:
    raw = {t: v * rare[t] for t, v in vec.items()}
    norm = math.sqrt(sum(v * v for v in raw.values())) or 1.0
    return {t: v / norm for t, v in raw.items()}


def _best(st: StoryStore, lens: str, day: str, vec: dict[str, float], event_at: datetime,
          min_score: float, min_points: float, roles: dict[str, Any] | None = None) -> str | None:
    rare = rarity(st, lens, day, vec)
    probe = Probe.of(_reweighted(vec, rare), rare, event_at, roles)
    best, best_score = None, min_score
    for sid in _candidates(st, lens, day, query_tokens(probe.vec)):
        head = st.get("story", lens, day, sid)
        if head is None or head.get("paper"):  # a paper's story holds that paper only
            continue
        score = match_score(probe, head, min_points)
        if score is not None and score >= best_score:
            best, best_score = sid, score
    return best


def _near_duplicate(st: StoryStore, item: EnrichedItem, text: Prepared) -> str | None:
    if text.sig is None:
        return None
    seen: set[str] = set()
    for band in text.bands:
        seen.update(st.get("lsh", item.lens, item.day, band) or [])
    for other in sorted(seen):
        entry = st.get("member", item.lens, item.day, other)
        if entry and entry.get("sig") and _jaccard(text.sig, entry["sig"]) >= NEAR_DUP_JACCARD:
            return str(entry["story"])
    return None


# ---------------------------------------------------------------- assignment


def story_id(lens: str, day: str, founder: EnrichedItem) -> str:
    basis = founder.canonical_url or founder.id
    return hashlib.sha1(f"{lens}|{day}|{basis}".encode()).hexdigest()[:12]


def _member(item: EnrichedItem) -> StoryMember:
    return StoryMember(
        id=item.id, source=item.source, outlet=item.outlet, url=item.url,
        canonical_url=item.canonical_url, title=item.title, text=item.text, kind=item.kind,
        lang=item.lang, published_at=item.published_at, event_at=item.event_at,
        primary=item.kind == "release",
    )


def _merge_centroid(head: dict[str, Any], vec: dict[str, float]) -> None:
    """Add a member's vector; keep the top CENTROID_SIZE tokens with their member counts."""
    merged, counts = dict(head["centroid"]), head["counts"]
    for t, v in vec.items():
        merged[t] = merged.get(t, 0.0) + v
    # by weight, then token: sorted by token first, as the sort by weight is stable
    top = sorted(sorted(merged.items()), key=operator.itemgetter(1), reverse=True)[:CENTROID_SIZE]
    head["centroid"] = {t: round(v, 6) for t, v in top}
    head["counts"] = {t: counts.get(t, 0) + (t in vec) for t, _ in top}


def _new_head(sid: str, item: EnrichedItem, developing_since: str | None,
              roles: dict[str, Any] | None = None) -> dict[str, Any]:
    """A story head; the founder fixes its actor and action (`roles`) and whether it is a paper."""
    at = item.event_at.isoformat()
    return {"story_id": sid, "lens": item.lens, "day": item.day, "members": [], "categories": {},
            "centroid": {}, "counts": {}, "juris": [], "legal": False, "first_seen": at, "last_event": at,
            "developing_since": developing_since, "roles": roles or title_roles(item.title),
            "paper": _is_paper(item)}


def _add_to_head(head: dict[str, Any], item: EnrichedItem, vec: dict[str, float]) -> dict[str, Any]:
    head = dict(head, members=[*head["members"], item.id])
    cats = dict(head["categories"])
    if item.category:
        cats[item.category] = cats.get(item.category, 0) + 1
    head["categories"] = cats
    if len(head["members"]) == 1:  # the founder fixes the story's actor and action
        juris, legal = _flags(vec)
        head["juris"], head["legal"] = sorted(juris), legal
    _merge_centroid(head, vec)
    at = item.event_at.isoformat()
    head["first_seen"] = min(head["first_seen"], at, key=datetime.fromisoformat)
    head["last_event"] = max(head["last_event"], at, key=datetime.fromisoformat)
    return head


def _previous_days(day: str) -> list[str]:
    start = date.fromisoformat(day)
    return [(start - timedelta(days=n)).isoformat() for n in range(1, LOOKBACK_DAYS + 1)]


def _seen_before(st: StoryStore, item: EnrichedItem, day: str, text: Prepared) -> bool:
    """The same article collected again on a later day: same canonical URL or near-duplicate text."""
    if item.canonical_url and st.get("url", item.lens, day, item.canonical_url) is not None:
        return True
    for band in text.bands:
        for other in st.get("lsh", item.lens, day, band) or []:
            entry = st.get("member", item.lens, day, other)
            if entry and entry.get("sig") and _jaccard(text.sig, entry["sig"]) >= NEAR_DUP_JACCARD:  # type: ignore[arg-type]
                return True
    return False


def _developing_since(st: StoryStore, item: EnrichedItem, text: Prepared) -> str | None:
    """The earliest linked day among strong matches in the previous days, through their indexes.

    Only a new report continues a story: an article already seen on an earlier day (a feed
    collecting it again) is the same item, not a development, and links nothing.
    """
    linked = None
    if _is_paper(item):
        return None
    for day in _previous_days(item.day):
        if _seen_before(st, item, day, text):
            return None
        sid = _best(st, item.lens, day, text.vec, item.event_at, CROSS_DAY_SCORE, CROSS_DAY_POINTS, text.roles)
        if sid is not None:
            head = st.get("story", item.lens, day, sid)
            linked = head.get("developing_since") or day
    return linked


def _is_paper(item: EnrichedItem) -> bool:
    return item.kind == "paper" or "arxiv.org/" in item.canonical_url


def _find_story(st: StoryStore, item: EnrichedItem, text: Prepared, join_score: float) -> str | None:
    if item.canonical_url:
        sid = st.get("url", item.lens, item.day, item.canonical_url)
        if sid is not None:
            return str(sid)
    sid = _near_duplicate(st, item, text)
    if sid is not None or _is_paper(item):  # a paper joins only copies of itself
        return sid
    return _best(st, item.lens, item.day, text.vec, item.event_at, join_score, JOIN_POINTS, text.roles)


def _index(st: StoryStore, item: EnrichedItem, sid: str, text: Prepared) -> None:
    lens, day = item.lens, item.day
    if item.canonical_url and st.get("url", lens, day, item.canonical_url) is None:
        st.put("url", lens, day, item.canonical_url, sid)
    for band in text.bands:
        st.append("lsh", lens, day, band, item.id, cap=INDEX_CAP)
    for tok in text.query:
        st.append("idx", lens, day, tok, sid, cap=INDEX_CAP)


def assign(store: StoryStore | Store, item: EnrichedItem) -> tuple[Story, bool]:
    """Put a relevant item into its story; returns the story and whether anything changed.

    Idempotent: an item that is already a member (a redelivery after restart) changes nothing.
    """
    st = _as_store(store)
    sid, changed = _place(st, item, may_open=True)
    assert sid is not None  # may_open: there is always a story
    return load_story(st, item.lens, item.day, sid), changed


def place(store: StoryStore | Store, item: EnrichedItem) -> str:
    """`assign` without reading the story back: the story id. For rebuilding a day, where reading
    every story back after each member would cost the square of its size."""
    sid, _ = _place(_as_store(store), item, may_open=True)
    assert sid is not None
    return sid


def attach(store: StoryStore | Store, item: EnrichedItem) -> str | None:
    """Join the item to a story it reports, if the day already has that story; never open one.
    Returns the story id, or None.

    For items the classifier left just under its bar: a report of a development the lens already
    follows is news for the lens by association, while on its own it is not enough to be one.
    """
    sid, _ = _place(_as_store(store), item, may_open=False)
    return sid


def association_bar(relevance: float) -> float:
    """The similarity an item under the lens's bar needs to join a story: the less it says for
    itself, the more closely it must match ("AMD's new PC" is not "AMD revives old chips")."""
    return JOIN_SCORE + ASSOCIATION_STRICTNESS * max(0.0, RELEVANCE_BAR - relevance)


@dataclass(frozen=True)
class Prepared:
    """What clustering reads from an item's text. Shared through a cache: never modified, and
    what goes into the state is a copy (the state's values must not alias each other)."""

    vec: dict[str, float]
    sig: list[int] | None
    bands: list[str]  # the signature's LSH bucket keys
    query: list[str]  # the tokens the item is indexed under
    roles: dict[str, Any]


@functools.lru_cache(maxsize=PREPARED_CACHE)
def _prepared(title: str, text: str) -> Prepared:
    """Cached: the close clusters the day's items again, and tries items under the bar more than once."""
    sh = shingles(title, text)
    vec = vector(features(title, text))
    sig = signature(sh) if len(sh) >= MIN_SHINGLES else None
    return Prepared(vec, sig, _bands(sig) if sig else [], query_tokens(vec), title_roles(title))


def _place(st: StoryStore, item: EnrichedItem, may_open: bool) -> tuple[str | None, bool]:
    entry = st.get("member", item.lens, item.day, item.id)
    if entry is not None:
        return str(entry["story"]), False
    text = _prepared(item.title, item.text)
    sid = _find_story(st, item, text, JOIN_SCORE if item.relevant else association_bar(item.relevance))
    if sid is None and not may_open:
        return None, False
    if sid is None:
        since = _developing_since(st, item, text)
        sid = story_id(item.lens, item.day, item)
        head = st.get("story", item.lens, item.day, sid) or _new_head(sid, item, since, _copied(text.roles))
    else:
        head = st.get("story", item.lens, item.day, sid)
    sig = list(text.sig) if text.sig else None
    st.put("member", item.lens, item.day, item.id,
           {"story": sid, "member": _member(item).model_dump(mode="json"), "sig": sig})
    st.put("story", item.lens, item.day, sid, _add_to_head(head, item, text.vec))
    _index(st, item, sid, text)
    return sid, True


def _copied(roles: dict[str, Any]) -> dict[str, Any]:
    return {**roles, "companies": list(roles["companies"])}


# ---------------------------------------------------------------- reading back


def _category(counts: dict[str, int]) -> str | None:
    if not counts:
        return None
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def load_story(store: StoryStore | Store, lens: str, day: str, sid: str) -> Story:
    st = _as_store(store)
    head = st.get("story", lens, day, sid)
    members = [st.get("member", lens, day, mid)["member"] for mid in head["members"]]
    return Story(
        story_id=sid, lens=lens, day=day, category=_category(head["categories"]),
        members=[StoryMember.model_validate(m) for m in members],
        first_seen=head["first_seen"], last_updated=head["last_event"],
        developing_since=head.get("developing_since"),
    )


def stories_of_day(store: StoryStore | Store, lens: str, day: str,
                   sized: Callable[[int], bool] = lambda members: True) -> list[Story]:
    """Every story of a lens-day, ordered by first_seen then story_id (deterministic); with
    `sized`, only the stories whose number of members it accepts (the others are never read).

    Scans the mapping's keys: meant for day close and read models, not for the per-item path.
    """
    st = _as_store(store)
    prefix = StoryStore.key("story", lens, day, "")
    sids = sorted(k[len(prefix) :] for k in list(st.map.keys()) if k.startswith(prefix))
    stories = [load_story(st, lens, day, sid) for sid in sids
               if sized(len(st.get("story", lens, day, sid)["members"]))]
    return sorted(stories, key=lambda s: (s.first_seen, s.story_id))


def forget_day(store: StoryStore | Store, lens: str, day: str) -> int:
    """Remove every key of a lens-day (a scan of the mapping's keys); returns how many."""
    st = _as_store(store)
    keys = st.keys_of_day(lens, day)
    for key in keys:
        del st.map[key]
    return len(keys)


def assign_all(store: StoryStore | Store, items: Iterable[EnrichedItem]) -> dict[str, str]:
    """Assign items in order; returns item id -> story id (used by evaluations and demos)."""
    out = {}
    for item in items:
        story, _ = assign(store, item)
        out[item.id] = story.story_id
    return out
