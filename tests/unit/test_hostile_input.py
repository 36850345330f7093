"""Hostile input: malformed records interleaved with good ones, through every decoder and every
stage function (the same `Flow` the agents call, over in-memory state).

No exception may escape; every bad record becomes exactly one dead letter with a stage, an error
class and a message, and that letter must itself encode (the agent sends it); every good record is
processed. A seeded generator gives the volume (well over 10,000 malformed records), Hypothesis
the shapes nobody thought of. `pytest -s` prints the figures.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import topics
from models.codec import DecodeError, decode, encode
from models.control import DayPart
from models.dead_letters import DeadLetter, Origin
from models.items import EnrichedItem, ItemsJudged
from streams.flow import Out
from streams.ingest.parse import IngestError, read_jsonl
from streams.inprocess import InProcessPipeline
from streams.lenses import load_lens
from streams.ops.replay import day_window, stamp_observed
from streams.stages import dayclose
from streams.stages.enrich import enrich
from streams.stages.normalise import observed_or_now

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "sample-day.jsonl"
NOW = datetime(2026, 1, 9, 6, 0, tzinfo=UTC)
LENS = load_lens("ai-safety-governance")
DAY = "2026-01-08"
FIGURES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _quiet_and_report() -> Iterator[None]:
    logging.getLogger("streams.flow").setLevel(logging.CRITICAL)  # thousands of expected warnings
    yield
    logging.getLogger("streams.flow").setLevel(logging.NOTSET)
    print("\n| hostile input | count |\n|---|---|")
    for name in ("malformed inputs", "good inputs", "dead letters", "crashes"):
        print(f"| {name} | {FIGURES[name]} |")


def _pipeline() -> InProcessPipeline:
    """The agents' calls over fresh state: each test feeds a stage directly and reads what it sends."""
    return InProcessPipeline([LENS], NOW, 1)


def _good_dicts() -> list[dict[str, Any]]:
    window = day_window(LENS, DAY)
    items = [stamp_observed(i, window) for i in read_jsonl(SAMPLE, window.end) if not isinstance(i, IngestError)]
    return [i.model_dump(mode="json") for i in items]


GOOD = _good_dicts()


def _good(rng: random.Random, n: int) -> bytes:
    base = dict(rng.choice(GOOD))
    base["id"] = f"{base['id']}~good{n}"
    base["url"] = f"{base['url']}-g{n}"
    return orjson.dumps(base)


# malformed raw items: every one of these must be dead-lettered ------------------------------------
def _invalid_utf8(rng: random.Random, good: dict) -> bytes:
    data = orjson.dumps(good)
    at = data.index(b'"title":"') + 9
    return data[:at] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]) + data[at:]


def _truncated(rng: random.Random, good: dict) -> bytes:
    data = orjson.dumps(good)
    return data[:rng.randrange(0, len(data) - 1)]


def _not_an_object(rng: random.Random, good: dict) -> bytes:
    return rng.choice([b"[]", b"[1, 2]", b"42", b'"id"', b"null", b"true", b"[" + orjson.dumps(good) + b"]"])


def _missing_id(rng: random.Random, good: dict) -> bytes:
    return orjson.dumps({k: v for k, v in good.items() if k != "id"})


def _wrong_type(rng: random.Random, good: dict) -> bytes:
    field, value = rng.choice([
        ("id", 5), ("id", None), ("id", ["a"]), ("id", {"a": 1}), ("id", True), ("id", ""), ("id", "   "),
        ("title", ["x"]), ("title", {"t": 1}), ("text", 3.5), ("url", 7), ("source", False),
        ("published_at", "yesterday"), ("published_at", [2026, 1, 8]), ("published_at", {}),
        ("published_at", True), ("observed_at", "2026-01-08T10:00:00"), ("observed_at", "soon"),
        ("kind", None), ("lang", ["en"]),
    ])
    return orjson.dumps({**good, field: value})


def _oversized(rng: random.Random, good: dict) -> bytes:
    field, limit = rng.choice([("id", 512), ("title", 2048), ("url", 4096), ("source", 512), ("text", 200_000)])
    return orjson.dumps({**good, field: "A" * (limit + 1 + rng.randrange(1000))})


def _raw_control_chars(rng: random.Random, good: dict) -> bytes:
    data = orjson.dumps(good)
    at = data.index(b'"title":"') + 9
    return data[:at] + bytes([rng.randrange(0, 32)]) + data[at:]  # unescaped: not JSON


def _deeply_nested(rng: random.Random, good: dict) -> bytes:
    depth = rng.choice([300, 1100, 5000, 20000])
    nested = b"[" * depth + b"]" * depth if rng.random() < 0.5 else b'{"a":' * depth + b"1" + b"}" * depth
    return orjson.dumps({**good, "title": "x"})[:-1] + b',"title":' + nested + b"}"


def _huge_number(rng: random.Random, good: dict) -> bytes:
    number = rng.choice([b"1" + b"0" * 400, b"1e400", b"-1e400", b"9" * 5000, b"1.5e300", b"-99999999999999999999"])
    field = rng.choice([b"published_at", b"id", b"observed_at", b"title"])
    return orjson.dumps(good)[:-1] + b',"' + field + b'":' + number + b"}"


def _nan(rng: random.Random, good: dict) -> bytes:
    literal = rng.choice([b"NaN", b"Infinity", b"-Infinity", b"nan", b"undefined"])
    field = rng.choice([b"published_at", b"id", b"observed_at", b"title"])
    return orjson.dumps(good)[:-1] + b',"' + field + b'":' + literal + b"}"


def _empty(rng: random.Random, good: dict) -> bytes:
    return rng.choice([b"", b" ", b"\n", b"\x00", b"{}", b"{", b"}", b'{"":""}'])


def _garbage(rng: random.Random, good: dict) -> bytes:
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))


BAD_RAW: list[Callable[[random.Random, dict], bytes]] = [
    _invalid_utf8, _truncated, _not_an_object, _missing_id, _wrong_type, _oversized, _raw_control_chars,
    _deeply_nested, _huge_number, _nan, _empty, _garbage]

UNIVERSAL = [_invalid_utf8, _truncated, _not_an_object, _raw_control_chars, _empty, _garbage]  # bad on any topic


# odd but valid raw items: processed or dead-lettered, never a crash ---------------------------------
def _odd(rng: random.Random, good: dict, n: int) -> bytes:
    odd = {**good, "id": f"odd:{n}", "url": f"{good['url']}-odd{n}"}
    choice = rng.randrange(8)
    if choice == 0:
        odd["title"] = "\u0000\u0007\u001b[31m\u202eAI\u200b safety\ufeff" + odd["title"]
    elif choice == 1:
        odd["text"] = "<div><script>alert(1)</script>" * rng.choice([10, 3000]) + "<p>" * 1000
    elif choice == 2:
        odd["published_at"] = rng.choice(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01",
                                          "2262-04-11T23:47:16Z", 0, -10**11, 253402300799])
    elif choice == 3:
        odd["observed_at"] = rng.choice(["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00",
                                         "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00"])
    elif choice == 4:
        odd["url"] = rng.choice(["javascript:alert(1)", "http://[::1", "data:text/html,<script>", "//x",
                                 "https://" + "a" * 4000, "http://ex ample.com/\n", "https://exa\u0000mple.com"])
    elif choice == 5:
        odd.update(kind="x" * 400, lang="\u0000", source="\U0001f4a3" * 100, unknown={"deep": [1, [2, [3]]]})
    elif choice == 6:
        odd["title"] = odd["title"] * 20  # long but under the limit
    else:
        odd.update(title="", text="", url="")
    return orjson.dumps(odd)


def _route(outs: list[Out]) -> tuple[list[DeadLetter], list[Out]]:
    letters = [o.value for o in outs if o.topic is topics.DEAD_LETTERS]
    for out in outs:
        encode(out.value)  # the agent encodes every out before sending: that must not fail either
    return letters, [o for o in outs if o.topic is not topics.DEAD_LETTERS]


def _assert_one_letter(outs: list[Out], stage: str, what: str) -> None:
    letters, others = _route(outs)
    assert len(letters) == 1 and not others, f"{what}: expected one dead letter, got {outs}"
    assert letters[0].stage == stage and letters[0].error_class and letters[0].message
    FIGURES["dead letters"] += 1


def _call(function: Callable[..., list[Out]], *args: Any) -> list[Out]:
    try:
        return function(*args)
    except Exception:
        FIGURES["crashes"] += 1
        raise


# the tests ---------------------------------------------------------------------------------------
def test_every_decoder_raises_only_decode_error_on_malformed_bytes() -> None:
    rng = random.Random(20260108)
    good = GOOD[0]
    for spec in topics.CATALOGUE:
        for n in range(600):
            blob = BAD_RAW[n % len(BAD_RAW)](rng, good)
            if spec is not topics.RAW_ITEMS and rng.random() < 0.3:
                blob = orjson.dumps({"record": rng.choice(["item", "close", None, 7]), **good})
            FIGURES["malformed inputs"] += 1
            try:
                decode(spec, blob)
            except DecodeError as exc:
                assert exc.topic == spec.name and exc.reason
            else:
                assert spec is not topics.RAW_ITEMS, f"{spec.name} accepted {blob[:80]!r}"


def test_normalise_dead_letters_every_bad_record_and_processes_every_good_one() -> None:
    rng, pipeline = random.Random(7), _pipeline()
    good_ids: list[str] = []
    for n in range(6600):
        origin = Origin(topics.RAW_ITEMS.name, n % 4, n)
        if n % 11 == 0:
            payload = _good(rng, n)
            outs = _call(pipeline.normalise, [(payload, origin)])
            letters, enriched = _route(outs)
            assert not letters and _ids(enriched) == [orjson.loads(payload)["id"]]
            good_ids += _ids(enriched)
            FIGURES["good inputs"] += 1
        elif n % 11 == 5:
            outs = _call(pipeline.normalise, [(_odd(rng, rng.choice(GOOD), n), origin)])
            letters, enriched = _route(outs)
            assert (len(letters) == 1 and not enriched) or (not letters and len(enriched) == 1)
            FIGURES["malformed inputs"] += 1
            FIGURES["dead letters"] += len(letters)
        else:
            maker = BAD_RAW[n % len(BAD_RAW)]
            _assert_one_letter(_call(pipeline.normalise, [(maker(rng, rng.choice(GOOD)), origin)]), "normalise",
                               maker.__name__)
            FIGURES["malformed inputs"] += 1
    assert len(good_ids) == 600 == len(set(good_ids))


def _ids(enriched: list[Out]) -> list[str]:
    """The items an agent's enriched outputs account for: one item, or a batch's judgements."""
    return [i.id for o in enriched for i in (o.value.items if isinstance(o.value, ItemsJudged) else [o.value])]


def _enriched_items(count: int) -> list[EnrichedItem]:
    """Good items as the cluster stage gets them, relevant or not (the latter are sent on as
    judgements, but a cluster stage must cope with them as whole items too)."""
    rng = random.Random(3)
    raws = [decode(topics.RAW_ITEMS, _good(rng, n)) for n in range(count)]
    return [enrich(raw, LENS, observed_or_now(raw)) for raw in raws]


ODD_ENRICHED = (2, 5)


def _bad_enriched(rng: random.Random, item: dict, n: int) -> bytes:
    choice = n % 9
    if choice == 0:
        return rng.choice(UNIVERSAL)(rng, item)
    if choice == 1:
        return orjson.dumps({**item, "lens": rng.choice(["nope", "", "../../etc", "ai-safety-governance\u0000"])})
    if choice == 2:
        return orjson.dumps({**item, "day": rng.choice(["not-a-day", "2026-13-45", "", "9999-12-31", "0001-01-01"]),
                             "relevant": True, "id": f"bad-day:{n}"})
    if choice == 3:
        return orjson.dumps({**item, "record": rng.choice(["story", "", None, 1])})
    if choice == 4:
        dropped = rng.choice(["observed_at", "event_at", "url_key", "day", "id"])
        return orjson.dumps({k: v for k, v in item.items() if k != dropped})
    if choice == 5:
        return orjson.dumps({**item, "observed_at": "0001-01-01T00:00:00Z", "event_at": "0001-01-01T00:00:00Z",
                             "day": "0001-01-01", "relevant": True, "id": f"past:{n}"})
    if choice == 6:
        return orjson.dumps({"record": "close", "lens": LENS.slug, "day": DAY, "close_id": "x",
                             "partition": rng.choice(["zero", None, 1.5, [0]]), "partitions": 1,
                             "requested_at": "2026-01-09T06:00:00Z"})
    if choice == 7:
        return orjson.dumps({"record": "close", "lens": "unknown-lens", "day": DAY, "close_id": "x",
                             "partition": 0, "partitions": 1, "requested_at": "2026-01-09T06:00:00Z"})
    return orjson.dumps({**item, "relevance": rng.choice(["high", [1]]), "reasons": "not a list"})


def test_cluster_and_assemble_dead_letter_bad_records_and_still_publish_the_brief() -> None:
    rng, pipeline = random.Random(11), _pipeline()
    items = _enriched_items(300)
    for n, item in enumerate(items):  # 9 bad records around every good one
        for k in range(9):
            payload = _bad_enriched(rng, item.model_dump(mode="json"), n * 9 + k)
            outs = _call(pipeline.cluster, [(payload, Origin(topics.ENRICHED.name, 0, n))], 0)
            FIGURES["malformed inputs"] += 1
            if k in ODD_ENRICHED:  # a valid record with an absurd day: late or dead-lettered, never a crash
                letters, others = _route(outs)
                assert (len(letters) == 1 and not others) or not letters
                FIGURES["dead letters"] += len(letters)
                continue
            _assert_one_letter(outs, "cluster", f"enriched {n}/{k}")
        letters, _ = _route(_call(pipeline.cluster, [(encode(item), Origin(topics.ENRICHED.name, 0, n))], 0))
        assert not letters, letters
        FIGURES["good inputs"] += 1
    (marker,) = dayclose.close_markers(LENS.slug, DAY, "round-1", 1, NOW)
    parts = [o.value for o in _call(pipeline.cluster, [(encode(marker), Origin("enriched", 0))], 0)]
    assert parts and all(isinstance(p, DayPart) for p in parts)
    published: list[Out] = []
    for n, part in enumerate(parts):
        for k in range(5):
            _assert_one_letter(_call(pipeline.assemble, _bad_part(rng, part, n * 5 + k),
                                     Origin(topics.DAY_PARTS.name, 0, n)), "assemble", f"part {n}/{k}")
            FIGURES["malformed inputs"] += 1
        published += _call(pipeline.assemble, encode(part), Origin(topics.DAY_PARTS.name, 0, n))
        FIGURES["good inputs"] += 1
    (brief,) = [o.value for o in published if o.topic is topics.BRIEFS]
    assert brief.items_seen == len({i.id for i in items}) and brief.top_items


def _bad_part(rng: random.Random, part: DayPart, n: int) -> bytes:
    body = part.model_dump(mode="json")
    choice = n % 5
    if choice == 0:
        return rng.choice(UNIVERSAL)(rng, body)
    if choice == 1:
        return orjson.dumps({**body, "lens": "unknown-lens"})
    if choice == 2:
        return orjson.dumps({**body, "chunk": rng.choice([-1, "0", None]), "chunks": 0})
    if choice == 3:
        return orjson.dumps({**body, "stories": [{"story_id": 1}]})
    rest = orjson.dumps({k: v for k, v in body.items() if k != "items_seen"})
    return rest[:-1] + b',"items_seen":' + rng.choice([b"1e400", b"NaN", b'"many"', b"[1]"]) + b"}"


# Hypothesis: shapes nobody listed ---------------------------------------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
FIELDS = ["id", "source", "url", "title", "text", "published_at", "kind", "lang", "observed_at"]
RAW_LIKE = st.dictionaries(st.sampled_from(FIELDS), JSON | st.datetimes().map(str) | st.text(), max_size=9)
QUICK = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(blob=st.binary(max_size=512), spec=st.sampled_from(topics.CATALOGUE))
def test_decoders_raise_only_decode_error_on_any_bytes(blob: bytes, spec: topics.TopicSpec) -> None:
    FIGURES["malformed inputs"] += 1
    try:
        decode(spec, blob)
    except DecodeError:
        pass


@QUICK
@given(record=RAW_LIKE)
def test_normalise_never_raises_on_any_json_object(record: dict[str, Any]) -> None:
    payload = json.dumps(record, default=str).encode("utf-8", errors="surrogatepass")  # NaN stays NaN
    FIGURES["malformed inputs"] += 1
    letters, enriched = _route(_call(_pipeline().normalise, [(payload, Origin(topics.RAW_ITEMS.name))]))
    assert (len(letters) == 1 and not enriched) or (not letters and len(enriched) == 1)


@QUICK
@given(record=st.dictionaries(st.sampled_from(list(EnrichedItem.model_fields) + ["partition", "partitions"]),
                              JSON, max_size=12))
def test_cluster_and_assemble_never_raise_on_any_json_object(record: dict[str, Any]) -> None:
    payload = json.dumps({"record": "item", "lens": LENS.slug, **record}, default=str).encode(errors="surrogatepass")
    FIGURES["malformed inputs"] += 2
    _route(_call(_pipeline().cluster, [(payload, Origin(topics.ENRICHED.name, 0))], 0))
    _route(_call(_pipeline().assemble, payload, Origin(topics.DAY_PARTS.name, 0)))
