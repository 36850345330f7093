"""Building a dead letter and its Kafka headers: exact bytes, bounded size, always encodable."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from models import topics
from models.codec import decode, encode
from models.dead_letters import MESSAGE_CHARS, PAYLOAD_CHARS, Origin, dead_letter, kafka_headers
from streams.ops import dlq

NOW = datetime(2026, 1, 9, 6, 0, tzinfo=UTC)
ORIGIN = Origin(topics.RAW_ITEMS.name, 2, 41, "abc")


def test_headers_name_stage_error_origin_partition_and_offset() -> None:
    letter = dead_letter("normalise", TimeoutError("timed out"), b"{}", ORIGIN, NOW)
    assert dict(kafka_headers(letter)) == {"usul-stage": b"normalise", "usul-error": b"TimeoutError",
                                           "usul-original-topic": topics.RAW_ITEMS.name.encode(),
                                           "usul-partition": b"2", "usul-offset": b"41"}
    unknown = dict(kafka_headers(dead_letter("ingest", ValueError("x"), b"", Origin("http:/ingest"), NOW)))
    assert unknown["usul-partition"] == b"" and unknown["usul-offset"] == b""


def test_a_letter_keeps_non_utf8_bytes_exactly() -> None:
    payload = b"\xff\xfe{not json"
    letter = dead_letter("normalise", ValueError("bad"), payload, Origin("t"), NOW)
    assert dlq.original_bytes(letter) == payload
    assert base64.b64decode(letter.payload_b64 or "") == payload


def test_a_message_with_lone_surrogates_still_encodes() -> None:
    letter = dead_letter("cluster", KeyError("lens '\ud800' is not configured"), b"{}", Origin("t"), NOW)
    assert decode(topics.DEAD_LETTERS, encode(letter)).stage == "cluster"
    given = dead_letter("sink:hook", RuntimeError("x"), b"{}", Origin("t"), NOW, message="said '\udcff'")
    assert decode(topics.DEAD_LETTERS, encode(given)).message == "said '?'"


def test_a_given_message_stands_for_the_errors_text() -> None:
    letter = dead_letter("sink:hook", RuntimeError("sink 'hook' could not deliver: 503"), b"{}", ORIGIN, NOW,
                         message="503")
    assert (letter.message, letter.error_class) == ("503", "RuntimeError")


def test_payload_and_message_are_cut_to_fit_the_topic() -> None:
    letter = dead_letter("sink:hook", ValueError("m" * 5000), b"p" * 300_000, ORIGIN, NOW)
    assert len(letter.payload) == PAYLOAD_CHARS and len(letter.message) == MESSAGE_CHARS
