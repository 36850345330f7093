"""The codec's pydantic-core fast paths write the bytes `model_dump_json` writes and read what
`TypeAdapter.validate_json` reads, for every record a real day puts on every topic."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import TypeAdapter

from models import topics
from models.codec import DecodeError, decode, encode
from models.items import RawRecord
from streams.inprocess import InProcessPipeline
from streams.lenses import DEFAULT_LENS, load_lens
from streams.ops.evaluate import DEFAULT_DATA, day_window, read_window

DAY = "2026-04-11"  # a busy day: every kind of record, stories and a brief among them


@pytest.mark.skipif(not DEFAULT_DATA.is_dir(), reason=f"real data directory absent: {DEFAULT_DATA}")
def test_every_record_of_a_real_day_round_trips_as_pydantic_writes_and_reads_it() -> None:
    lens = load_lens(DEFAULT_LENS)
    window = day_window(lens, DAY)
    pipeline = InProcessPipeline([lens], window.end + timedelta(hours=lens.allowed_lateness_hours))
    items, _ = read_window(sorted(DEFAULT_DATA.glob(f"*-{DAY}.jsonl")), window)
    for item in items:
        pipeline.raw(encode(item))
    pipeline.close(lens.slug, DAY, "codec")
    raw = [RawRecord.model_validate(item.model_dump()) for item in items]  # the raw topic's model
    records = [(topics.RAW_ITEMS, record) for record in raw] + [(o.topic, o.value) for o in pipeline.published]
    assert {spec for spec, _ in records} >= {topics.RAW_ITEMS, topics.ENRICHED, topics.STORIES, topics.BRIEFS}
    for spec, model in records:
        data = encode(model)
        assert data == model.model_dump_json().encode()
        assert decode(spec, data) == TypeAdapter(spec.schema).validate_json(data) == model


@pytest.mark.parametrize(("data", "reason"), [
    (b'{"id": 3}', "id: Input should be a valid string"),
    (b"{not json", "Invalid JSON"),
    (json.dumps({"record": "unknown"}).encode(), "record: Input tag 'unknown'"),
])
def test_a_bad_record_is_a_decode_error_that_says_what_was_wrong(data: bytes, reason: str) -> None:
    spec = topics.ENRICHED if b"record" in data else topics.RAW_ITEMS
    with pytest.raises(DecodeError) as caught:
        decode(spec, data)
    assert reason in caught.value.reason
