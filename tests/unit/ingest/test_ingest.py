from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.items import RawItem
from streams.ingest.parse import IngestError, parse_feed, parse_json_item, parse_push, read_jsonl

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "sample-day.jsonl"
OBSERVED = datetime(2026, 1, 8, 23, 0, tzinfo=UTC)


def test_archive_line_becomes_a_raw_item_stamped_with_observation() -> None:
    item = parse_json_item(b'{"id": "a", "title": "t", "published_at": "2026-01-08T10:00:00+00:00"}', "x", OBSERVED)
    assert (item.id, item.observed_at, item.published_at.tzinfo is not None) == ("a", OBSERVED, True)


@pytest.mark.parametrize("line", [b"{not json", b'{"title": "no id"}', b'{"id": ""}',
                                  b'{"id": "a", "published_at": "soon"}', b"\xff\xfe"])
def test_bad_line_is_an_ingest_error_naming_where(line: bytes) -> None:
    with pytest.raises(IngestError, match="file.jsonl:3"):
        parse_json_item(line, "file.jsonl:3", OBSERVED)


def test_bad_lines_do_not_stop_a_file() -> None:
    parsed = list(read_jsonl(SAMPLE, OBSERVED))
    errors = [p for p in parsed if isinstance(p, IngestError)]
    assert len(errors) == 1 and "sample-day.jsonl:25" in str(errors[0])
    assert len(parsed) - len(errors) == 24


def test_rss_items_keep_link_time_and_plain_text() -> None:
    items = parse_feed((FIXTURES / "feed.rss").read_bytes(), "https://desk.example/feed", OBSERVED)
    first, undated = items
    assert first.source == "Example AI Desk"
    assert first.title == "Regulator opens consultation on frontier AI rules"
    assert "<" not in first.text and "frontier AI" in first.text
    assert first.published_at == datetime(2026, 1, 8, 10, 15, tzinfo=UTC)
    assert undated.published_at is None and undated.observed_at == OBSERVED


def test_atom_entries_are_read() -> None:
    (entry,) = parse_feed((FIXTURES / "feed.atom").read_bytes(), "lab.atom", OBSERVED)
    assert entry.url == "https://lab.example/blog/model-card" and entry.lang == "en"


def test_feed_item_ids_are_stable_across_reads() -> None:
    document = (FIXTURES / "feed.rss").read_bytes()
    assert [i.id for i in parse_feed(document, "u", OBSERVED)] == [i.id for i in parse_feed(document, "u", OBSERVED)]


def test_garbage_is_not_a_feed() -> None:
    with pytest.raises(IngestError, match="not a readable feed"):
        parse_feed(b"\x00\x01 definitely not xml", "u", OBSERVED)


def test_push_accepts_arrays_and_lines_and_reports_bad_records() -> None:
    array = parse_push(b'[{"id": "a"}, {"nope": 1}]', OBSERVED)
    lines = parse_push(b'{"id": "b"}\n{"id": "c"}\n', OBSERVED)
    assert [type(p).__name__ for p in array] == ["RawItem", "IngestError"]
    assert [p.id for p in lines] == ["b", "c"]


def test_a_bundle_pushed_or_in_a_file_is_its_items_each_parsed_alone(tmp_path: Path) -> None:
    bundle = b'{"record": "bundle", "id": "bundle:1", "items": [{"id": "a"}, {"nope": 1}, {"id": "b"}]}'
    pushed = parse_push(bundle + b'\n{"id": "c", "title": "bundle", "kind": "bundle"}\n', OBSERVED)
    assert [getattr(p, "id", None) or p.where for p in pushed] == ["a", "push:1[1]", "b", "c"]
    assert [p.id for p in parse_push(b"[" + bundle + b"]", OBSERVED) if isinstance(p, RawItem)] == ["a", "b"]
    path = tmp_path / "day.jsonl"
    path.write_bytes(b'{"id": "z"}\n' + bundle + b"\n")
    assert [getattr(p, "id", None) or p.where for p in read_jsonl(path, OBSERVED)] == ["z", "a", "day.jsonl:2[1]", "b"]


def test_feed_urls_are_read_through_the_guarded_fetcher(monkeypatch: pytest.MonkeyPatch) -> None:
    from test_ingest_support import LocalServer

    from streams.ingest.feed_source import read_feed_source
    from streams.ingest.fetch import BlockedAddress

    monkeypatch.delenv("USUL_ALLOW_PRIVATE_HOSTS", raising=False)
    with LocalServer() as server:
        server.serve("/feed.rss", (FIXTURES / "feed.rss").read_bytes())
        with pytest.raises(BlockedAddress):
            read_feed_source(server.url("/feed.rss"), OBSERVED)
        monkeypatch.setenv("USUL_ALLOW_PRIVATE_HOSTS", '["127.0.0.1"]')
        assert len(read_feed_source(server.url("/feed.rss"), OBSERVED)) == 2
        assert server.requests[-1].headers["user-agent"].startswith("Usul/")
