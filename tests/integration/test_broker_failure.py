"""Three Apache Kafka brokers, and the one leading most enriched partitions SIGKILLed under a replay:
two workers replay a day while the broker dies, comes back later, and one worker is SIGKILLed too.
The brief, the stories and the notifications must be those of a clean single-broker run: no item
lost, no story duplicated, no notification repeated.

On demand: `USUL_BROKER_FAULTS=1` replays a real day of ../shared/data/real (the sample day scaled
up when it is absent), `USUL_BROKER_FAULTS=light` the sample day scaled 8 times. Both need java and
mvn (deploy/kafka/cluster.sh). `pytest -s` prints the table, with the time to recover: from the
broker's death to new leaders for its partitions, to the workers normalising again, and from its
restart to its being back in every enriched partition's in-sync replicas.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from models import topics
from streams.ops.brokers import ApacheKafka
from streams.ops.replay import day_window, write_outputs
from tests.integration.harness import (
    REAL_DATA,
    SAMPLE,
    KafkaCluster,
    LiveUsul,
    input_ids,
    metric_total,
    partition_leaders,
    scaled_copy,
    spawn_workers,
    wait_all_ready,
)
from tests.integration.test_faults import DAY, EDITION, LENS, GatedReplay, _clean_run, _rows

MODE = os.environ.get("USUL_BROKER_FAULTS", "")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(MODE not in ("1", "light"),
                       reason="on demand: USUL_BROKER_FAULTS=1 (a real day) or light (the sample day x8)"),
    pytest.mark.skipif(bool(ApacheKafka.missing_tools()), reason="three Apache Kafka brokers need java and mvn"),
]
REAL_DAY = [REAL_DATA / "rssdb-2026-01-08.jsonl", REAL_DATA / "arxiv-2026-01-08.jsonl"]
NORMALISED = f'usul_items_normalised_total{{lens="{LENS.slug}"}}'
ROWS: list[dict[str, Any]] = []


@pytest.fixture(scope="module", autouse=True)
def _print_table() -> Iterator[None]:
    yield
    columns = ["run", "brokers killed", "workers killed", "items replayed", "items lost", "duplicate stories",
               "repeated notifications", "same brief", "seconds", "recovery time"]
    if ROWS:
        print("\n\n| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
        for row in ROWS:
            print("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")


def _files(workdir: Path) -> list[Path]:
    if MODE == "1" and all(p.exists() for p in REAL_DAY):
        return REAL_DAY
    return [scaled_copy(SAMPLE, 77 if MODE == "1" else 8, workdir / "scaled-day.jsonl")]


def _until(condition: Callable[[], bool], what: str, timeout: float = 300.0) -> float:
    """Seconds until `condition()` holds (polled), or a failure naming `what`."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < timeout, f"{what} did not happen within {timeout:.0f} s"
        time.sleep(0.25)
    return time.monotonic() - began


def _leaders(bootstrap: str) -> dict[int, dict[str, Any]]:
    try:
        return asyncio.run(partition_leaders(bootstrap, topics.ENRICHED.name))
    except Exception:  # noqa: BLE001 - a bootstrap server just killed: ask again
        return {}


def _notifications(group: list[LiveUsul]) -> list[str]:
    """Content hash of every revision any worker's file sink wrote for the day (once one is there)."""
    days = [u.workdir / "data" / "briefs" / LENS.slug / "editions" / EDITION for u in group]
    _until(lambda: any((d / "latest.json").exists() for d in days), "a delivered brief", 120)
    return [json.loads(p.read_bytes())["content_hash"] for d in days for p in sorted(d.glob("r*/brief.json"))]


class Drill:
    """Runs the faulted replay on the cluster and keeps the timings."""

    def __init__(self, cluster: KafkaCluster, group: list[LiveUsul], total: int) -> None:
        self.cluster, self.group, self.total = cluster, group, total
        self.timings: dict[str, float] = {}

    def normalised(self) -> float:
        return metric_total(self.group, NORMALISED)

    def kill_leader(self) -> int:
        """SIGKILL the broker leading most enriched partitions; time new leaders and new progress."""
        leaders = _leaders(self.cluster.bootstrap)
        victim = Counter(p["leader"] for p in leaders.values()).most_common(1)[0][0]
        self.cluster.kill(victim)
        self.timings["new leaders"] = _until(
            lambda: (now := _leaders(self.cluster.bootstrap)) != {} and
            all(p["leader"] not in (victim, -1) for p in now.values()), "leader election")
        return victim

    def wait_progress(self, beyond: float, what: str) -> float:
        return _until(lambda: self.normalised() > beyond, what, 600)

    def in_sync(self) -> bool:
        """Every enriched partition has all three brokers in its in-sync replicas."""
        now = _leaders(self.cluster.bootstrap)
        return bool(now) and all(len(p["isr"]) == 3 for p in now.values())

    def restart(self, victim: int) -> None:
        began = time.monotonic()
        self.cluster.restart(victim)
        _until(self.in_sync, "the broker back in every ISR", 300)
        self.timings["back in sync"] = time.monotonic() - began


def _replay_thread(replay: GatedReplay, files: list[Path]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = asyncio.run(replay.run(files))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _faulted_run(workdir: Path, files: list[Path]) -> tuple[dict[str, Any], dict[str, float], int]:
    cluster = KafkaCluster(workdir)
    cluster.start()
    group: list[LiveUsul] = []
    replay = GatedReplay(cluster.bootstrap, LENS, day_window(LENS, DAY), 900.0, slices=3, flavour="kafka")
    try:
        group = spawn_workers(cluster.bootstrap, workdir, "kafka", 2)
        wait_all_ready(group)
        drill = Drill(cluster, group, len(input_ids(files)))
        assert drill.in_sync(), "the enriched topic has replication factor 3"
        thread, outcome = _replay_thread(replay, files)
        replay.released.release()  # the first third
        drill.wait_progress(drill.total // 6, "normalising the first slice")
        before = drill.normalised()
        victim = drill.kill_leader()
        replay.released.release()  # the second third, while a broker is dead
        drill.timings["normalising again"] = drill.timings["new leaders"] + drill.wait_progress(before, "progress")
        drill.restart(victim)
        before = drill.normalised()  # taken before the release: the slice may be done in a moment
        replay.released.release()  # the last third, and a worker dies in it
        drill.wait_progress(before, "normalising the last slice")
        group[-1].kill_worker()
        thread.join(timeout=1200)
        assert "result" in outcome, f"replay failed: {outcome.get('error')!r}\n" + group[0].log_tail()
        write_outputs(outcome["result"], workdir / "out")
        brief = json.loads((workdir / "out" / "brief.json").read_bytes())
        stories = _rows(workdir / "out" / "stories.jsonl")
        return ({"hash": brief["content_hash"], "revisions": _notifications(group),
                 "stories": [(r["story_id"], r["rank"], r["tier"], sorted(r["items"])) for r in stories],
                 "items": {r["id"] for r in _rows(workdir / "out" / "items.jsonl")}}, drill.timings, victim)
    finally:
        for _ in range(3):
            replay.released.release()
        for usul in group:
            usul.stop_worker()
        cluster.stop()


def test_a_dead_broker_and_a_dead_worker_lose_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    began = time.monotonic()
    files = _files(tmp_path)
    clean = _clean_run("kafka", tmp_path / "clean", files)
    monkeypatch.setenv("USUL_REPLICATION_FACTOR", "3")  # the workers' environment: production's values
    monkeypatch.setenv("USUL_MIN_INSYNC_REPLICAS", "2")
    faulted, timings, victim = _faulted_run(tmp_path / "faulted", files)
    wanted = input_ids(files)
    lost = wanted - faulted["items"]
    members = Counter(item for s in faulted["stories"] for item in s[3])
    ids = [s[0] for s in faulted["stories"]]
    duplicates = len(ids) - len(set(ids)) + sum(1 for n in members.values() if n > 1)
    repeated = len(faulted["revisions"]) - len(set(faulted["revisions"]))
    ROWS.append({"run": "real day" if MODE == "1" else "light", "brokers killed": f"1 (node {victim}, restarted)",
                 "workers killed": 1,
                 "items replayed": len(wanted), "items lost": len(lost), "duplicate stories": duplicates,
                 "repeated notifications": repeated,
                 "same brief": faulted["hash"] == clean["hash"] and faulted["stories"] == clean["stories"],
                 "seconds": round(time.monotonic() - began),
                 "recovery time": ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())})
    assert not lost, f"{len(lost)} input ids missing from items.jsonl, e.g. {sorted(lost)[:5]}"
    assert duplicates == 0, "a story id repeats, or an item sits in two stories"
    assert faulted["revisions"] == [faulted["hash"]], f"one notification per content: {faulted['revisions']}"
    assert faulted["hash"] == clean["hash"], "the faulted run's brief differs from the clean single-broker one"
    assert faulted["stories"] == clean["stories"]
