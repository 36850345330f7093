"""`usul ingest --sources FILE --once`: every source polled once, a progress line each, items onto
the raw topic and refusals onto the dead-letter topic (a recording producer stands in for Kafka)."""

from __future__ import annotations

from pathlib import Path

import aiokafka
import pytest
from test_ingest_support import SOURCES, LocalServer

from models import topics
from streams import cli
from tests.builders import RecordingProducer


def test_ingest_once_polls_every_source_with_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(aiokafka, "AIOKafkaProducer", RecordingProducer)
    RecordingProducer.sent = []
    for name, value in {"BOOTSTRAP_SERVERS": "127.0.0.1:1", "DATA_DIR": str(tmp_path),
                        "ALLOW_PRIVATE_HOSTS": '["127.0.0.1"]', "FETCH_RATE_PER_HOST": "1000",
                        "FETCH_RETRIES": "0"}.items():
        monkeypatch.setenv(f"USUL_{name}", value)
    with LocalServer() as server:
        server.serve("/lab.atom", (SOURCES / "lab.atom").read_bytes())
        server.serve("/bad", b"not a feed at all")
        listing = tmp_path / "sources.toml"
        listing.write_text(f'[[source]]\nname = "Lab"\ntype = "atom"\nurl = "{server.url("/lab.atom")}"\n\n'
                           f'[[source]]\nname = "Broken"\ntype = "rss"\nurl = "{server.url("/bad")}"\n\n'
                           f'[[source]]\nname = "Off"\ntype = "rss"\nurl = "{server.url("/off")}"\nenabled = false\n')
        assert cli.main(["ingest", "--sources", str(listing), "--once"]) == 0
    out = capsys.readouterr().out
    assert "polling 2 sources" in out and "Lab: 1 new" in out and "failed     Broken" in out
    assert "ingested 1 new items from 2 sources; 1 failed" in out
    assert [t for t, _ in RecordingProducer.sent].count(topics.RAW_ITEMS.name) == 1
    assert [t for t, _ in RecordingProducer.sent].count(topics.DEAD_LETTERS.name) == 1
    assert server.hits("/off") == 0
