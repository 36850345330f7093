"""Order-free story clustering for one lens-day: which items report one development? Pure.

No faust import and no I/O. A story is a connected component of a graph whose edges are a pure
function of the two items they join (DESIGN.md "Order-free stories"): whatever the arrival order,
the partitioning or the restarts, a day's items give the same stories, so the close only reads
them. An edge is never weighed against a story's evolving centroid, nor against statistics of
the day so far, nor against a capped newest-first candidate list: the things that made
the stories depend on which item came first.

Two relevant items are linked, cheapest and surest first:

1. same canonical URL;
2. near-duplicate text: MinHash (fixed seed, 64 permutations) over word 3-shingles, an estimated
   Jaccard >= 0.5 (LSH bands of 4 rows find the candidates);
3. content: one item's typed token vector (entities and amounts weigh most) against the other's
   strongest tokens, tried both ways: the cosine, damped by time distance, must clear JOIN_SCORE
   from one side, and the shared distinctive tokens must be worth JOIN_POINTS (so one generic
   name, "OpenAI", never links two reports). A legal/regulatory action on one side only, another country's
   authority, or another actor or kind of action in the headlines (`roles_disagree`) damps the
   score: a follow-on development opens its own story. A paper links only to copies of itself.

Single-link chaining is guarded by the evidence each edge needs (distinctive tokens worth two
points, a cosine bar, the role and legal damping), not by a size cap: a cap would depend on
which edges came first.

Candidates are the items that share two of their distinctive tokens (`query_tokens`) or
field-generic names (not two of the latter), an LSH bucket or a canonical URL: a symmetric
condition, so whichever of two items comes second finds the first, and a pure one (no cap on a
busy token's list, which would keep whichever came first). Two tokens, as the evidence gate needs
two anyway, and a single common token ("model") would make most of a large day candidates. A
candidate already in the item's story is not scored (the component is the same whether that edge
exists or not), which keeps a big story cheap.

The near-relevant items (`associable`: under the lens's bar, yet AI news) never link two stories:
each joins the story of the relevant item it matches best (`association_bar`, stricter the less
relevant it is; ties by the earlier item), which is a maximum over the day and so order-free too.
Those matching none are linked among themselves the same way; the close promotes such a group to
a story when enough news outlets carry it.

State: one record per item (its JSON, the ids it linked to when it arrived, its association
scores); the graph (`DayGraph`: token postings, LSH buckets, union-find) lives in memory and is
rebuilt from those records on recovery without scoring a pair again.
"""

from __future__ import annotations

import functools
import hashlib
import math
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from models.items import EnrichedItem
from models.stories import Story, StoryMember
from streams.stages.classify import RELEVANCE_BAR, corroborable
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

BANDS, ROWS = 16, 4  # (1/16) ** (1/4) ~ 0.5: the LSH threshold sits at the join Jaccard
NEAR_DUP_JACCARD = 0.5
MIN_SHINGLES = 12  # shorter texts give unreliable Jaccard estimates
CENTROID_SIZE = 64  # an item's strongest tokens: what another item is compared against
JOIN_SCORE = 0.22
JOIN_POINTS = 1.75
ASSOCIATION_STRICTNESS = 0.5  # join score an associated item needs per unit of relevance it lacks
COPY_SCORE = 10.0  # an association by URL or near-duplicate text beats any content score
CROSS_DAY_SCORE = 0.45
CROSS_DAY_POINTS = 3.0
LOOKBACK_DAYS = 3
TIME_SCALE_H = 36.0
LEGAL_MISMATCH_DAMP = 0.55
ROLE_MISMATCH_DAMP = 0.35
PREPARED_CACHE = 8192  # items whose tokens are kept: a day's relevant items on a real day

_POINTS = {"e": 1.0, "g": 0.25, "n": 1.5, "w": 0.5, "c": 0.15}
GENERIC_POINTS_CAP = 0.75  # many shared generic names still never make a story on their own
MIN_SPECIFIC_POINTS = 1.0
# Across scripts only names, amounts and ZH_TERMS words can meet, so fewer points are within
# reach: the bars are lower by this much, and a name must be among them (`_names_meet`).
CROSS_SCRIPT_RELIEF = 0.5
# A report that is a headline alone (a wire item without text) has few words to share: it may
# link on this many fewer points, if its score clears the bar by HEADLINE_MARGIN.
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
    return sum(map(operator.eq, a, b)) / NUM_PERM


# ---------------------------------------------------------------- an item's side of a pair


def _has_cjk(vec: dict[str, float]) -> bool:
    return any(t[0] == "c" for t in vec)


def _cjk_heavy(vec: dict[str, float], has_cjk: bool) -> bool:
    if not has_cjk:  # most items: no Chinese at all
        return False
    total = sum(v * v for v in vec.values()) or 1.0
    return sum(v * v for t, v in vec.items() if t[0] == "c") / total > 0.3


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(a[t] * b[t] for t in a.keys() & b.keys())
    norm = math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def _points(shared: set[str]) -> tuple[float, float]:
    """(all points, specific points): generic names count little and only up to a cap."""
    specific = sum(_POINTS[t[0]] for t in shared if t[0] not in "gc")
    # Chinese character pairs are many and often generic ("合作", "市值"): they add little, capped
    specific += min(sum(_POINTS["c"] for t in shared if t[0] == "c"), BIGRAM_POINTS_CAP)
    generic = sum(_POINTS["g"] for t in shared if t[0] == "g")
    return specific + min(generic, GENERIC_POINTS_CAP), specific


def _names_meet(shared: set[str]) -> bool:
    """Across scripts, translated words ("power", "partnership") are too common to tie two reports
    on their own: they must also share a name or an amount, or two companies."""
    return any(t[0] in "en" for t in shared) or len({t for t in shared if t[2:] in COMPANIES}) >= 2


def _across_scripts(vec: dict[str, float]) -> dict[str, float]:
    """Across scripts (a Chinese item against an English one) only names and amounts can meet,
    so the cosine is taken over those alone rather than diluted by untranslatable words."""
    return {t: v for t, v in vec.items() if t[0] in "egn" or t in ZH_WORDS}


def _flags(vec: dict[str, float]) -> tuple[frozenset[str], bool]:
    juris = frozenset(t[2:] for t in vec if t[2:] in JURISDICTIONS)
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
class Prepared:
    """What clustering reads from an item's text. Shared through a cache: never modified."""

    vec: dict[str, float]
    sig: list[int] | None
    bands: list[str]  # the signature's LSH bucket keys
    query: list[str]  # the tokens the item is found under
    roles: dict[str, Any]


@functools.lru_cache(maxsize=PREPARED_CACHE)
def _prepared(title: str, text: str) -> Prepared:
    """Cached: a feed repeats items, and a recovery prepares the day's items again."""
    sh = shingles(title, text)
    vec = vector(features(title, text))
    sig = signature(sh) if len(sh) >= MIN_SHINGLES else None
    return Prepared(vec, sig, _bands(sig) if sig else [], query_tokens(vec), title_roles(title))


@dataclass(frozen=True)
class Node:
    """One item as the graph compares it: everything a pair score reads, worked out once."""

    id: str
    key: tuple[datetime, str]  # (event_at, id): the earliest item of a story is its root
    url: str
    relevant: bool
    relevance: float
    corroborable: bool  # near-relevant and no noise group: may make a story of its own
    paper: bool
    text: Prepared
    centroid: dict[str, float]  # the CENTROID_SIZE strongest tokens
    chinese: bool  # any Chinese token at all
    cjk_heavy: bool  # Chinese weighs most: compared on names and ZH_TERMS words only
    headline: bool  # so few tokens that it is a headline with little or no text
    juris: frozenset[str]
    legal: bool

    @classmethod
    def of(cls, item: EnrichedItem) -> Node:
        text = _prepared(item.title, item.text)
        top = sorted(text.vec.items(), key=lambda kv: (-kv[1], kv[0]))[:CENTROID_SIZE]
        centroid = dict(top)
        chinese = _has_cjk(text.vec)
        return cls(item.id, (item.event_at, item.id), item.canonical_url, item.relevant, item.relevance,
                   corroborable(item.relevant, item.reasons), _is_paper(item), text, centroid, chinese,
                   _cjk_heavy(centroid, _has_cjk(centroid)),
                   len(text.vec) <= HEADLINE_TOKENS, *_flags(text.vec))


def _is_paper(item: EnrichedItem) -> bool:
    return item.kind == "paper" or "arxiv.org/" in item.canonical_url


def pair_score(probe: Node, other: Node, min_points: float) -> float | None:
    """How well `probe` reports what `other` does: cosine, time, actor/action agreement.

    None when they share less evidence than `min_points`, or too little specific evidence:
    the cosine is not worth computing then. A function of the two items alone.
    """
    vec, centroid = probe.text.vec, other.centroid
    across = probe.chinese != other.chinese  # a Chinese report and an English one
    if probe.cjk_heavy != other.cjk_heavy:  # words meet only through the ZH_TERMS table
        vec, centroid = _across_scripts(vec), _across_scripts(centroid)
    shared = vec.keys() & centroid.keys()
    points, specific = _points(shared)
    relief = CROSS_SCRIPT_RELIEF if across else HEADLINE_RELIEF if probe.headline else 0.0
    if points < min_points - relief or specific < MIN_SPECIFIC_POINTS - (relief if across else 0.0):
        return None
    if across and not _names_meet(shared):
        return None
    # a headline-only report let in under the points bar must clear the score bar by a margin
    margin = HEADLINE_MARGIN if not across and points < min_points else 0.0
    hours = abs((probe.key[0] - other.key[0]).total_seconds()) / 3600
    score = _cosine(vec, centroid) * (0.8 + 0.2 * math.exp(-hours / TIME_SCALE_H))
    if probe.juris and other.juris and not probe.juris & other.juris:
        score *= LEGAL_MISMATCH_DAMP  # another country's authority is another actor
    if probe.legal != other.legal:
        score *= LEGAL_MISMATCH_DAMP  # a lawsuit or probe about a launch is a new development
    if roles_disagree(probe.text.roles, other.text.roles):
        score *= ROLE_MISMATCH_DAMP  # another actor or another action: a follow-on story
    return score - margin


def _copies(a: Node, b: Node) -> bool:
    """The same article: same canonical URL, or near-duplicate text."""
    if a.url and a.url == b.url:
        return True
    return a.text.sig is not None and b.text.sig is not None and \
        _jaccard(a.text.sig, b.text.sig) >= NEAR_DUP_JACCARD


def association_bar(relevance: float) -> float:
    """The similarity an item under the lens's bar needs to join a story: the less it says for
    itself, the more closely it must match ("AMD's new PC" is not "AMD revives old chips")."""
    return JOIN_SCORE + ASSOCIATION_STRICTNESS * max(0.0, RELEVANCE_BAR - relevance)


def _bar(node: Node) -> float:
    return JOIN_SCORE if node.relevant else association_bar(node.relevance)


def linked(a: Node, b: Node, min_points: float = JOIN_POINTS) -> bool:
    """The edge between two items of a kind (relevant, or near-relevant), symmetric: copies, or
    one reports what the other does, by its own bar (`pair_score` is not symmetric: the probe's
    whole vector against the other's strongest tokens, the probe's headline relief). A paper
    links to copies of itself only."""
    if _copies(a, b):
        return True
    if a.paper or b.paper:
        return False
    ab = pair_score(a, b, min_points)
    if ab is not None and ab >= _bar(a):
        return True
    ba = pair_score(b, a, min_points)
    return ba is not None and ba >= _bar(b)


def association(near: Node, relevant: Node) -> float | None:
    """How well a near-relevant item reports a relevant one's development, if well enough to
    join its story; None otherwise. A paper's story holds copies of that paper only."""
    if _copies(near, relevant):
        return COPY_SCORE
    if near.paper or relevant.paper:
        return None
    score = pair_score(near, relevant, JOIN_POINTS)
    return score if score is not None and score >= association_bar(near.relevance) else None


# ---------------------------------------------------------------- the day's graph


@dataclass(frozen=True)
class Entry:
    """What the graph holds of every item whatever it does: enough to order, name and find it.
    Its `Node` (the text's tokens and signature) is worked out when a pair score needs it."""

    id: str
    key: tuple[datetime, str]  # (event_at, id): the earliest item of a story is its root
    url: str
    relevant: bool
    corroborable: bool
    tokens: tuple[str, ...]  # what it is found by (`_found_by`), with its LSH buckets and URL
    bands: tuple[str, ...]

    @classmethod
    def of(cls, node: Node) -> Entry:
        return cls(node.id, node.key, node.url, node.relevant, node.corroborable, _found_by(node),
                   tuple(node.text.bands))

    @functools.cached_property
    def index(self) -> tuple[str, ...]:
        """The index keys it is filed under: pairs of its tokens, never two generic names (one
        shared token is no evidence, and a common one would make most of a large day candidates),
        its LSH buckets, its canonical URL."""
        tokens = self.tokens
        keys = [f"t:{a}|{b}" for i, a in enumerate(tokens) for b in tokens[i + 1 :] if a[0] != "g" or b[0] != "g"]
        keys += [f"b:{band}" for band in self.bands]
        return tuple(keys + [f"u:{self.url}"] if self.url else keys)

    @classmethod
    def kept(cls, record: dict[str, Any]) -> Entry:
        """From a kept record, without preparing the text (a recovery reads every record)."""
        item = record["item"]
        return cls(item["id"], (datetime.fromisoformat(item["event_at"]), item["id"]), item["canonical_url"],
                   item["relevant"], corroborable(item["relevant"], item["reasons"]), tuple(record["tokens"]),
                   tuple(record["bands"]))


Loader = Callable[[str, bool], EnrichedItem]  # (item id, relevant) -> the kept item


@dataclass
class Found:
    """What adding an item found, kept in its state record so a recovery scores no pair again:
    the items it linked to (only those then in another story: enough to rebuild the components)
    and its association scores (near-relevant id, relevant id, score)."""

    links: list[str] = field(default_factory=list)
    associations: list[tuple[str, str, float]] = field(default_factory=list)

    def record(self, item: EnrichedItem, entry: Entry) -> dict[str, Any]:
        return {"item": item.model_dump(mode="json"), "tokens": list(entry.tokens), "bands": list(entry.bands),
                "links": self.links, "associations": [list(a) for a in self.associations]}


class DayGraph:
    """One lens-day's items, their edges as connected components (union-find whose root is the
    earliest item), and each near-relevant item's best association. In memory only."""

    def __init__(self, lens: str, day: str, load: Loader | None = None) -> None:
        self.lens, self.day, self.load = lens, day, load
        self.entries: dict[str, Entry] = {}
        self._nodes: dict[str, Node] = {}  # worked out when first scored
        self.parent: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}  # root -> relevant ids
        self.best: dict[str, tuple[float, tuple[datetime, str], str]] = {}  # near id -> score, key, relevant id
        self.attached: dict[str, set[str]] = defaultdict(set)  # relevant id -> near ids whose best it is
        self.since: dict[str, str | None] = {}  # root -> developing_since, once worked out
        self.near_links: dict[str, set[str]] = defaultdict(set)
        # relevant? -> "t:token|token" | "b:band" | "u:url" -> ids
        self.index: dict[bool, defaultdict[str, list[str]]] = {True: defaultdict(list), False: defaultdict(list)}

    # adding -------------------------------------------------------------------------------------
    def add(self, item: EnrichedItem) -> Found | None:
        """Put an item in; None if it is already in (a redelivery changes nothing)."""
        if item.id in self.entries:
            return None
        node = self._nodes[item.id] = Node.of(item)
        entry = self._put(Entry.of(node))
        found = Found()
        if node.relevant:
            for other in self._candidates(entry, relevant=True):
                if self.find(other) != self.find(node.id) and linked(node, self.node(other)):
                    found.links.append(other)
                    self.union(node.id, other)
            for near in self._candidates(entry, relevant=False):
                self._associate(near, node.id, found)
        else:
            for other in self._candidates(entry, relevant=True):
                self._associate(node.id, other, found)
            # only the corroborable ones are ever grouped among themselves (`unattached_groups`)
            for other in self._candidates(entry, relevant=False) if entry.corroborable else ():
                if self.entries[other].corroborable and linked(node, self.node(other)):
                    found.links.append(other)
                    self._link_near(node.id, other)
        return found

    def node(self, item_id: str) -> Node:
        """An item's side of a pair score: prepared from its kept record when first needed."""
        node = self._nodes.get(item_id)
        if node is None:
            if self.load is None:
                raise KeyError(f"item {item_id} has no prepared text and the graph no loader")
            node = self._nodes[item_id] = Node.of(self.load(item_id, self.entries[item_id].relevant))
        return node

    def restore(self, records: Iterable[dict[str, Any]]) -> None:
        """Rebuild from kept records (any order): their entries and indexes, then the links and
        associations they found. No text is prepared and no pair is scored."""
        kept = list(records)
        for record in kept:
            self._put(Entry.kept(record))
        known = self.entries.keys()  # a link to a record that is gone is skipped, not every record after failed
        for record in kept:
            mine = record["item"]["id"]
            for other in known & set(record["links"]):
                if self.entries[mine].relevant:
                    self.union(mine, other)
                else:
                    self._link_near(mine, other)
            for near, relevant, score in record["associations"]:
                if near in known and relevant in known:
                    self._better(near, relevant, score)

    def _put(self, entry: Entry) -> Entry:
        self.entries[entry.id] = entry
        if entry.relevant:
            self.parent[entry.id] = entry.id
            self.members[entry.id] = [entry.id]
        index = self.index[entry.relevant]
        for key in entry.index:
            index[key].append(entry.id)
        return entry

    def _candidates(self, entry: Entry, relevant: bool) -> list[str]:
        """Items of a kind sharing a distinctive token, an LSH bucket or a URL with the entry's."""
        index = self.index[relevant]
        seen = {i for key in entry.index if key in index for i in index[key]}
        seen.discard(entry.id)
        return sorted(seen)

    def _associate(self, near: str, relevant: str, found: Found) -> None:
        score = association(self.node(near), self.node(relevant))
        if score is not None:
            found.associations.append((near, relevant, round(score, 6)))
            self._better(near, relevant, round(score, 6))

    def _better(self, near: str, relevant: str, score: float) -> None:
        """Keep the near item's best association: highest score, then the earliest item."""
        key = self.entries[relevant].key
        held = self.best.get(near)
        if held is None or score > held[0] or (score == held[0] and key < held[1]):
            if held is not None:
                self.attached[held[2]].discard(near)
            self.best[near] = (score, key, relevant)
            self.attached[relevant].add(near)

    def _link_near(self, a: str, b: str) -> None:
        self.near_links[a].add(b)
        self.near_links[b].add(a)

    # union-find ---------------------------------------------------------------------------------
    def find(self, item_id: str) -> str:
        parent = self.parent
        root = item_id
        while parent[root] != root:
            root = parent[root]
        while parent[item_id] != root:  # path compression
            parent[item_id], item_id = root, parent[item_id]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.entries[rb].key < self.entries[ra].key:
            ra, rb = rb, ra
        self.parent[rb] = ra
        absorbed = self.members.pop(rb)
        if len(absorbed) > len(self.members[ra]):
            absorbed, self.members[ra] = self.members[ra], absorbed
        self.members[ra].extend(absorbed)

    # reading ------------------------------------------------------------------------------------
    def root_of(self, item_id: str) -> str | None:
        """The root of the story an item is in: its own, or for a near-relevant item the story of
        the relevant item it matches best; None for a near-relevant item matching none."""
        if self.entries[item_id].relevant:
            return self.find(item_id)
        best = self.best.get(item_id)
        return self.find(best[2]) if best else None

    def story_items(self, root: str) -> list[str]:
        """A story's relevant items in (event_at, id) order, then its associated ones."""
        relevant = sorted(self.members[root], key=self._order)
        near = [n for r in relevant for n in self.attached.get(r, ())]
        return relevant + sorted(near, key=self._order)

    def stories(self) -> Iterator[tuple[str, list[str]]]:
        """Every story (root, item ids), associated items included, by root."""
        near: dict[str, list[str]] = defaultdict(list)
        for n, best in self.best.items():
            near[self.find(best[2])].append(n)
        for root in sorted(self.members, key=self._order):
            relevant = sorted(self.members[root], key=self._order)
            yield root, relevant + sorted(near[root], key=self._order)

    def unattached_groups(self) -> list[list[str]]:
        """The corroborable near-relevant items that join no story, grouped by their links among
        themselves (connected components), each group and the groups in (event_at, id) order."""
        free = {n for n, entry in self.entries.items() if entry.corroborable and n not in self.best}
        groups, done = [], set()
        for start in sorted(free, key=self._order):
            if start in done:
                continue
            group, todo = [], [start]
            done.add(start)
            while todo:
                current = todo.pop()
                group.append(current)
                for other in self.near_links.get(current, ()):
                    if other in free and other not in done:
                        done.add(other)
                        todo.append(other)
            groups.append(sorted(group, key=self._order))
        return groups

    def _order(self, item_id: str) -> tuple[datetime, str]:
        return self.entries[item_id].key

    def best_match(self, node: Node) -> str | None:
        """The relevant item of this (earlier) day that a later item continues, if any: the
        strongest cross-day content match (ties: the smaller id)."""
        scored = []
        for other in self._candidates(Entry.of(node), relevant=True):
            candidate = self.node(other)
            score = None if candidate.paper else pair_score(node, candidate, CROSS_DAY_POINTS)
            if score is not None and score >= CROSS_DAY_SCORE:
                scored.append((-score, other))
        return min(scored)[1] if scored else None

    def holds_copy(self, node: Node) -> bool:
        """The same article is one of this day's items (a feed collecting it again)."""
        return any(_copies(node, self.node(other)) for other in self._candidates(Entry.of(node), relevant=True))


def _found_by(node: Node) -> tuple[str, ...]:
    """Its distinctive tokens and its field-generic names, sorted: what its index keys pair up."""
    return tuple(sorted({*node.text.query, *(t for t in node.text.vec if t[0] == "g")}))


# ---------------------------------------------------------------- stories


def story_id(lens: str, day: str, root: Node | Entry) -> str:
    basis = root.url or root.id
    return hashlib.sha1(f"{lens}|{day}|{basis}".encode()).hexdigest()[:12]


def member(item: EnrichedItem) -> StoryMember:
    return StoryMember(
        id=item.id, source=item.source, outlet=item.outlet, url=item.url,
        canonical_url=item.canonical_url, title=item.title, text=item.text, kind=item.kind,
        lang=item.lang, published_at=item.published_at, event_at=item.event_at,
        primary=item.kind == "release",
    )


def build_story(lens: str, day: str, root: Node | Entry, items: list[EnrichedItem],
                developing_since: str | None) -> Story:
    """The story of a component: its items in the order given, the most common category."""
    categories = Counter(item.category for item in items if item.category)
    category = sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if categories else None
    return Story(story_id=story_id(lens, day, root), lens=lens, day=day, category=category,
                 members=[member(item) for item in items],
                 first_seen=min(item.event_at for item in items), last_updated=max(item.event_at for item in items),
                 developing_since=developing_since)


def assign_all(items: Iterable[EnrichedItem]) -> dict[str, str]:
    """Item id -> story id (evaluations and demos); a near-relevant item joining none is left out."""
    items = list(items)
    graphs: dict[tuple[str, str], DayGraph] = {}
    for item in items:
        graphs.setdefault((item.lens, item.day), DayGraph(item.lens, item.day)).add(item)
    out = {}
    for item in items:
        graph = graphs[item.lens, item.day]
        root = graph.root_of(item.id)
        if root is not None:
            out[item.id] = story_id(item.lens, item.day, graph.entries[root])
    return out


# ---------------------------------------------------------------- the graphs a state holds


def _previous_days(day: str) -> list[str]:
    start = date.fromisoformat(day)
    return [(start - timedelta(days=n)).isoformat() for n in range(1, LOOKBACK_DAYS + 1)]


class Graphs:
    """The in-memory `DayGraph` of every lens-day of a state, built from the state's records the
    first time it is needed (after a start, a restart or a rebalance) and kept up to date after.

    A state is known by its mapping (a `PartitionView` by its table and partition); the graph
    holds that mapping, so a mapping's identity cannot be reused while its graph lives.
    """

    def __init__(self) -> None:
        self._held: dict[tuple[int, str, str, str], tuple[Any, DayGraph]] = {}

    def of(self, state: MutableMapping[str, Any], lens: str, day: str) -> DayGraph:
        base, scope = getattr(state, "scope", (state, ""))
        key = (id(base), scope, lens, day)
        held = self._held.get(key)
        if held is None or held[0] is not base:
            graph = DayGraph(lens, day, functools.partial(kept_item, state, lens, day))
            graph.restore(records_of_day(state, lens, day))
            held = self._held[key] = (base, graph)
        return held[1]

    def forget(self, lens: str, day: str) -> None:
        """Drop a lens-day's graphs (its state expired)."""
        for key in [k for k in self._held if k[2:] == (lens, day)]:
            del self._held[key]

    def clear(self) -> None:
        """Drop every graph: partitions moved, so each is rebuilt from the state it then has."""
        self._held.clear()

    def developing_since(self, state: MutableMapping[str, Any], graph: DayGraph, root: str) -> str | None:
        """The earliest earlier day (within LOOKBACK_DAYS, and through that day's own link) whose
        story the root item continues. Only a new report continues a story: an article already
        seen on an earlier day is the same item, not a development, and links nothing."""
        if root in graph.since:
            return graph.since[root]
        node, linked = graph.node(root), None
        if not node.paper:
            for day in _previous_days(graph.day):
                earlier = self.of(state, graph.lens, day)
                if earlier.holds_copy(node):
                    linked = None
                    break
                match = earlier.best_match(node)
                if match is not None:
                    linked = self.developing_since(state, earlier, earlier.find(match)) or day
        graph.since[root] = linked
        return linked


KINDS = ("item", "near")  # the state keys of a lens-day's relevant and near-relevant items


def record_key(lens: str, day: str, item_id: str, relevant: bool) -> str:
    """The state key of an item's record (`Found.record`): the only key an item writes."""
    return f"{KINDS[0] if relevant else KINDS[1]}|{lens}|{day}|{item_id}"


def kept_item(state: MutableMapping[str, Any], lens: str, day: str, item_id: str, relevant: bool) -> EnrichedItem:
    """An item as its record keeps it."""
    return EnrichedItem.model_validate(state[record_key(lens, day, item_id, relevant)]["item"])


def records_of_day(state: MutableMapping[str, Any], lens: str, day: str) -> list[dict[str, Any]]:
    """The kept records of a lens-day's items (a scan of the state's keys: on recovery only)."""
    prefixes = tuple(f"{kind}|{lens}|{day}|" for kind in KINDS)
    return [state[key] for key in list(state) if key.startswith(prefixes)]
