"""A day of items becomes a brief through a live worker on a real broker (Tansu by default,
Apache Kafka with USUL_TEST_BROKER=kafka)."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from models import topics
from models.briefs import Brief
from models.codec import decode
from streams.stages.bundles import DEFAULT_BUNDLE_ITEMS
from streams.web.live_stories import LiveStories
from streams.web.story_feed import StoryFeed
from tests.integration.harness import REAL_DATA, REPO, SAMPLE, LiveUsul, fresh_broker, input_ids, metric_value

pytestmark = pytest.mark.integration
REAL_DAY = [REAL_DATA / "rssdb-2026-01-08.jsonl", REAL_DATA / "arxiv-2026-01-08.jsonl"]
LENS = "ai-safety-governance"
SECTIONS = ["Executive Summary", "Top Priority Items", "Key Tweets", "Additional Noteworthy Developments", "Sources"]


@pytest.fixture
def live(broker_kind: str, tmp_path: Path) -> Iterator[LiveUsul]:
    broker = fresh_broker(broker_kind, tmp_path / "broker")
    usul = LiveUsul(broker.bootstrap, tmp_path, broker_kind)
    try:
        usul.start_worker()
        yield usul
    finally:
        usul.stop_worker()
        broker.stop()


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _assert_brief_is_sound(out: Path, files: list[Path]) -> Brief:
    brief = decode(topics.BRIEFS, (out / "brief.json").read_bytes())
    markdown = (out / "brief.md").read_text(encoding="utf-8")
    assert brief.edition == (date.fromisoformat(brief.day) + timedelta(days=1)).isoformat()  # the next morning
    assert markdown.startswith(f"# {brief.lens_name} - {brief.edition}\n\nCreated: ")
    assert f"\n\n{brief.covers_line}\n\n" in markdown
    assert all(section in markdown for section in SECTIONS)
    assert brief.top_items, "a real day has top items"
    stories = {row["story_id"]: set(row["items"]) for row in _rows(out / "stories.jsonl")}
    by_number = {source.number: source for source in brief.sources}
    urls_seen: dict[str, str] = {}
    for item in brief.top_items + brief.noteworthy:
        for number in item.sources:  # [n] always points at a member of the item's own story
            assert by_number[number].item_id in stories[item.story_id]
            owner = urls_seen.setdefault(by_number[number].url, item.story_id)
            assert owner == item.story_id, "two brief items share a source URL"
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", item.summary + item.details)}
        assert cited <= set(item.sources)
    judged = {row["id"] for row in _rows(out / "items.jsonl")}
    assert judged == input_ids(files), "every input id is accounted for in items.jsonl"
    return brief


def test_sample_day_becomes_a_brief_served_by_the_worker(live: LiveUsul, tmp_path: Path) -> None:
    live.replay([SAMPLE], "2026-01-08", tmp_path / "out")
    brief = _assert_brief_is_sound(tmp_path / "out", [SAMPLE])
    edition = "/briefs/ai-safety-governance/editions/2026-01-09"  # published the morning after the day
    served = _wait_for(live.url(f"{edition}.json"))
    assert decode(topics.BRIEFS, served.content).content_hash == brief.content_hash
    page = httpx.get(live.url(edition)).text
    assert "Top Priority Items" in page and "AI SAFETY AND GOVERNANCE - 2026-01-09" in page
    moved = httpx.get(live.url("/briefs/ai-safety-governance/2026-01-08"))
    assert (moved.status_code, moved.headers["location"]) == (308, edition)
    assert "covers 2026-01-08" in httpx.get(live.url("/briefs")).text
    assert httpx.get(live.url("/healthz")).json() == {"status": "ok"}
    assert 'usul_briefs_total{lens="ai-safety-governance"} 1.0' in httpx.get(live.url("/metrics")).text
    # the lag sampler asked the broker for highwaters (every second here) and the worker reads: live
    raw_lag = 'usul_consumer_lag_messages{partition="0",topic="usul.items.raw.v1"}'
    metrics = _wait_for(live.url("/metrics"), contains=raw_lag)
    assert "usul_consumer_stalled 0.0" in metrics.text
    assert httpx.get(live.url("/livez")).json() == {"live": True, "stalled": False}


def test_the_live_page_follows_a_replayed_day_through_story_deltas(live: LiveUsul, tmp_path: Path) -> None:
    """The worker's live page folds usul.stories.v2's deltas into the day's stories; a feed started
    after the day (as a restarted worker's) rebuilds them from the snapshots and the deltas after."""
    result = live.replay([SAMPLE], "2026-01-08", tmp_path / "out")
    expected = {story.story_id: sorted(story.items) for closed in result.closed for story in closed.stories}
    assert len(expected) > 5
    deadline = time.monotonic() + 60
    while (shown := _live_stories(live)) != expected and time.monotonic() < deadline:
        time.sleep(0.5)
    assert shown == expected
    store = asyncio.run(_late_feed(live.bootstrap, expected))
    assert {s.story_id: sorted(s.item_ids) for s in store.stories(LENS, "2026-01-08")} == expected
    assert store.gaps() == 0


def _live_stories(live: LiveUsul) -> dict[str, list[str]]:
    """The live page's stories of the sample day, with their members (the story API's)."""
    listed = httpx.get(live.url(f"/api/live/{LENS}?day=2026-01-08"), timeout=10).json()["stories"]
    views = [httpx.get(live.url(story["url"].replace("/stories/", "/api/stories/")), timeout=10).json()
             for story in listed]
    return {view["story_id"]: sorted(m["id"] for m in view["members"]) for view in views if view["origin"] == "live"}


async def _late_feed(bootstrap: str, expected: dict[str, list[str]], timeout: float = 60.0) -> LiveStories:
    store = LiveStories()
    feed = StoryFeed(store, bootstrap)
    await feed.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if {s.story_id: sorted(s.item_ids) for s in store.stories(LENS, "2026-01-08")} == expected:
                break
            await asyncio.sleep(0.5)
    finally:
        await feed.stop()
    return store


def test_pushed_items_enter_the_pipeline_and_bad_ones_are_refused(live: LiveUsul) -> None:
    body = b'{"id": "push:1", "title": "Regulator fines AI lab", "url": "https://push.example/1"}\n{"oops": 1}\n'
    response = httpx.post(live.url("/ingest"), content=body, timeout=10)
    assert response.status_code == 202
    assert response.json()["accepted"] == 1 and len(response.json()["rejected"]) == 1
    metrics = _wait_for(live.url("/metrics"), contains='usul_items_normalised_total{lens="ai-safety-governance"} 1.0')
    assert 'usul_dead_letters_total{error="IngestError",stage="ingest"} 1.0' in metrics.text
    refused = httpx.post(live.url("/ingest"), content=b'{"oops": 2}\n', timeout=10)
    assert refused.status_code == 422 and len(refused.json()["rejected"]) == 1
    assert httpx.post(live.url("/ingest"), content=b"  \n", timeout=10).status_code == 400
    assert httpx.post(live.url("/ingest"), content=b"x" * (1024 * 1024 + 1), timeout=10).status_code == 413


def test_a_replay_runs_in_a_pipeline_of_its_own_unless_told_to_join(live: LiveUsul, tmp_path: Path) -> None:
    """Another run's pipeline listens on the ports `usul replay` would find (the embedded broker's
    and the web port): a replay keeps out of it, and its brief is its input's alone, revision 1.
    With --join it replays into that pipeline, whose day then holds both runs' items."""
    live.replay([SAMPLE], "2026-01-08", tmp_path / "other")
    part = tmp_path / "part.jsonl"
    part.write_bytes(b"".join(SAMPLE.read_bytes().splitlines(keepends=True)[:8]))
    env = {k: v for k, v in live.env().items() if k != "USUL_BOOTSTRAP_SERVERS"}
    env["USUL_EMBEDDED_PORT"] = live.bootstrap.rsplit(":", 1)[1]
    alone = _cli_replay(env, part, tmp_path / "alone")
    brief = decode(topics.BRIEFS, (tmp_path / "alone" / "brief.json").read_bytes())
    assert (brief.revision, brief.items_seen) == (1, len(input_ids([part]))), alone
    assert "open http" not in alone  # its worker is gone with the replay
    joined = _cli_replay(env, part, tmp_path / "joined", "--join")
    assert decode(topics.BRIEFS, (tmp_path / "joined" / "brief.json").read_bytes()).items_seen == len(
        input_ids([SAMPLE])), joined
    assert live.url("/briefs/ai-safety-governance/editions/2026-01-09") in joined


def _cli_replay(env: dict[str, str], file: Path, out: Path, *flags: str) -> str:
    run = subprocess.run([sys.executable, "-m", "streams.cli", "replay", str(file), "--day", "2026-01-08",
                          "--out", str(out), *flags], env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


@pytest.mark.skipif(not all(p.exists() for p in REAL_DAY), reason=f"real data not found under {REAL_DATA}")
def test_real_day_becomes_a_sound_brief(live: LiveUsul, tmp_path: Path) -> None:
    result = live.replay(REAL_DAY, "2026-01-08", tmp_path / "out")
    brief = _assert_brief_is_sound(tmp_path / "out", REAL_DAY)
    assert len(brief.top_items) == 4 and brief.items_seen == len(result.items)


def test_worker_killed_mid_replay_gives_the_same_brief(broker_kind: str, tmp_path: Path) -> None:
    files = REAL_DAY if all(p.exists() for p in REAL_DAY) else [SAMPLE]
    clean = _replayed(broker_kind, tmp_path / "clean", files, kill_at=None)
    crashed = _replayed(broker_kind, tmp_path / "crashed", files, kill_at=len(input_ids(files)) // 3)
    assert crashed["hash"] == clean["hash"]
    assert crashed["stories"] == clean["stories"]


def test_a_day_replayed_in_bundles_gives_the_brief_of_one_item_a_record(broker_kind: str, tmp_path: Path) -> None:
    files = REAL_DAY if all(p.exists() for p in REAL_DAY) else [SAMPLE]
    alone = _replayed(broker_kind, tmp_path / "alone", files, kill_at=None, bundle_items=1)
    bundled = _replayed(broker_kind, tmp_path / "bundled", files, kill_at=None, bundle_items=100)
    assert (bundled["hash"], bundled["stories"]) == (alone["hash"], alone["stories"])
    assert alone["raw_records"] == len(input_ids(files))  # one item a record ...
    assert bundled["raw_records"] < alone["raw_records"] / 10  # ... and in bundles


def _replayed(kind: str, workdir: Path, files: list[Path], kill_at: int | None,
              bundle_items: int = DEFAULT_BUNDLE_ITEMS) -> dict:
    broker = fresh_broker(kind, workdir / "broker")
    usul = LiveUsul(broker.bootstrap, workdir, kind)
    try:
        usul.start_worker()
        outcome: dict = {}
        thread = threading.Thread(target=lambda: outcome.update(
            result=usul.replay(files, "2026-01-08", workdir / "out", bundle_items=bundle_items)))
        thread.start()
        if kill_at is not None:
            _wait_for(usul.url("/metrics"), normalised_at_least=kill_at)
            usul.kill_worker()
            usul.start_worker()
            _restart_while_stalled(usul, thread)
        thread.join(timeout=900)
        assert "result" in outcome, f"replay did not finish: {usul.log_tail()}"
        brief = decode(topics.BRIEFS, (workdir / "out" / "brief.json").read_bytes())
        stories = [(r["story_id"], r["rank"], r["tier"], sorted(r["items"]))
                   for r in _rows(workdir / "out" / "stories.jsonl")]
        raw_records = metric_value(usul, f'usul_faust_messages_out_total{{topic="{topics.RAW_ITEMS.name}"}}')
        return {"hash": brief.content_hash, "stories": stories, "raw_records": raw_records}
    finally:
        usul.stop_worker()
        broker.stop()


def _restart_while_stalled(usul: LiveUsul, replay: threading.Thread, patience: float = 120.0) -> None:
    """What a liveness probe does: a worker that makes no progress for `patience` seconds after a
    SIGKILL restart is restarted (faust can resume flow before seeking its committed offsets and
    then sit idle; see CHANGELOG). The brief must still come out the same."""
    for _ in range(3):
        replay.join(timeout=patience)
        if not replay.is_alive():
            return
        usul.stop_worker()
        usul.start_worker()


def _wait_for(url: str, contains: str | None = None, normalised_at_least: int | None = None,
              timeout: float = 120.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == 200 and _satisfied(response.text, contains, normalised_at_least):
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer as expected within {timeout} s")


def _satisfied(text: str, contains: str | None, normalised_at_least: int | None) -> bool:
    if contains is not None and contains not in text:
        return False
    if normalised_at_least is not None:
        found = re.search(r'usul_items_normalised_total\{lens="ai-safety-governance"\} ([\d.e+]+)', text)
        return found is not None and float(found.group(1)) >= normalised_at_least
    return True
