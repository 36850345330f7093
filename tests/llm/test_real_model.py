"""The language-model writer against a real model: llama.cpp's `llama-server` on 127.0.0.1.

On demand (`USUL_REAL_LLM=1`): the first run builds the server and unpacks the weights into a
cache outside the repository (`deploy/llm/llm-server.sh fetch`, ~8 minutes on 2 cores), later
runs start in seconds. A real day of `../shared/data/real` is replayed in-process through the
worker's flow; the writer then rewrites that day's brief with the model, exactly as the assembler
does. The default model (SmolLM2-135M) proves the HTTP, JSON-schema and gate path; it is too
small to write much the gate accepts, so the count of accepted items is reported, not asserted.

What is asserted: every answer the server gave parsed into the writer's schema; the brief's
structure (hash, numbers, Sources) never moved (headlines may: the model writes English ones);
every `[n]` in an item's words is one of that item's own sources; every item the gate accepted is
grounded in its own sources, every item it refused kept the offline words; and a timeout falls
back to the offline words.
`pytest -s` prints the figures.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

import streams.brief.llm as llm
from models.briefs import Brief, BriefItem
from models.stories import Story
from streams.brief.assemble import evidence
from streams.brief.writer import language_of
from streams.flow import Draft, Flow
from streams.lenses import DEFAULT_LENS, load_lens
from streams.metrics import Metrics
from streams.ops.evaluate import DEFAULT_DATA, replay_files
from streams.settings import Settings
from tests.regression.golden import day_files

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "llm" / "llm-server.sh"
DAY = os.environ.get("USUL_REAL_LLM_DAY", "2026-01-08")
# Generous: two calls share two cores, and a queued call's wait counts against its timeout.
TIMEOUT = float(os.environ.get("USUL_REAL_LLM_TIMEOUT", "180"))
MODEL = "SmolLM2-135M-Instruct"  # a name for the metrics: llama-server serves its one model under any name
FETCH_SECONDS = 5400  # a first run builds llama-server: ~8 minutes on 2 idle cores, 54 on a busy machine

pytestmark = pytest.mark.skipif(
    os.environ.get("USUL_REAL_LLM") != "1",
    reason="on demand: USUL_REAL_LLM=1 builds and runs a real llama-server (deploy/llm/llm-server.sh; CONTRIBUTING)")


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    """A llama-server of our own on a free port, stopped afterwards."""
    env = {**os.environ, "USUL_LLM_PORT": str(_free_port())}
    subprocess.run([str(SCRIPT), "fetch"], check=True, env=env, timeout=FETCH_SECONDS)
    subprocess.run([str(SCRIPT), "start"], check=True, env=env, timeout=300)
    try:
        yield f"http://127.0.0.1:{env['USUL_LLM_PORT']}"
    finally:
        subprocess.run([str(SCRIPT), "stop"], check=False, env=env, timeout=60)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def real_day() -> tuple[Brief, list[Story]]:
    """The day's published brief and the stories the assembler handed the writer (`Draft.stories`)."""
    files = day_files(DEFAULT_DATA).get(DAY)
    if not files:
        pytest.skip(f"no real data for {DAY} in {DEFAULT_DATA}")
    drafts: list[Draft] = []
    original = Flow.draft_brief

    def recording(self: Flow, day: Any, now: datetime) -> Draft:
        drafts.append(original(self, day, now))
        return drafts[-1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flow, "draft_brief", recording)
        run = replay_files(files, DAY, DEFAULT_DATA, load_lens(DEFAULT_LENS))
    return run.brief, drafts[-1].stories


class Gate:
    """The writer's own checks, each verdict written down (story id or 'executive' -> check or 'accepted')."""

    def __init__(self, patch: pytest.MonkeyPatch) -> None:
        self.verdicts: dict[str, str] = {}
        self.drafts: dict[str, llm.ItemDraft] = {}
        item, executive = llm.check_item, llm.check_executive

        def check_item(draft: llm.ItemDraft, ev: Any, members: Any) -> None:
            self.drafts[ev.story.story_id] = draft
            self._record(ev.story.story_id, item, draft, ev, members)
        patch.setattr(llm, "check_item", check_item)
        patch.setattr(llm, "check_executive", lambda text, texts: self._record("executive", executive, text, texts))

    def _record(self, key: str, check: Any, *args: Any) -> None:
        try:
            check(*args)
        except llm.Rejected as rej:
            self.verdicts[key] = rej.check
            raise
        self.verdicts[key] = "accepted"


def _settings(url: str, tmp_path: Path, timeout: float) -> Settings:
    return Settings(llm_base_url=url, llm_model=MODEL, llm_timeout_seconds=timeout, data_dir=tmp_path,
                    llm_daily_token_budget=10_000_000)


def _value(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def _items(brief: Brief) -> list[BriefItem]:
    return brief.top_items + brief.noteworthy


def _structure(brief: Brief) -> tuple[Any, ...]:
    return (brief.content_hash, brief.revision, brief.sources, brief.key_tweets,
            [(i.story_id, i.sources, i.confidence) for i in _items(brief)])


def _grounded(brief: Brief, item: BriefItem, story: Story) -> None:
    """The accepted words, as published, name nothing and no figure that the item's own sources do not
    (counts of its sources and the lens's name are facts Usul gave the model)."""
    ev = evidence(load_lens(DEFAULT_LENS), story)
    facts = {ev.lens_label, story.developing_since or "", "English", language_of(ev),
             *map(str, range(len(story.members) + 1))}
    for text in (item.headline, item.summary, item.details):
        llm.check_grounded(re.sub(r"\[\d+\]", "", text), _member_texts(brief, item, story), facts)


def _member_texts(brief: Brief, item: BriefItem, story: Story) -> list[str]:
    """The texts of the item's cited members, as the gate reads them."""
    refs = {r.number: r for r in brief.sources}
    members = {m.id: m for m in story.members}
    cited = [members.get(refs[n].item_id) for n in item.sources if n in refs]
    return [f"{m.outlet}. {m.title}. {m.text}" for m in cited if m is not None]


@pytest.mark.asyncio
async def test_the_writer_on_a_real_day(model_url: str, real_day: tuple[Brief, list[Story]],
                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    offline, stories = real_day
    gate = Gate(monkeypatch)
    metrics = Metrics(CollectorRegistry())
    started = time.monotonic()
    brief = await llm.rewrite_brief(offline, stories, load_lens(DEFAULT_LENS), _settings(model_url, tmp_path, TIMEOUT),
                                    llm.WriterCache(), metrics=metrics)
    seconds = time.monotonic() - started
    _report(offline, brief, gate, metrics, seconds)

    calls = {o: _value(metrics, "usul_llm_calls_total", model=MODEL, outcome=o)
             for o in ("ok", "invalid", "truncated", "error", "timeout")}
    assert calls["ok"] >= 1 and calls["error"] == 0, calls  # the HTTP path works
    assert calls["invalid"] == 0, calls  # every answer held to the JSON schema parsed into it
    assert _structure(brief) == _structure(offline)
    by_id = {s.story_id: s for s in stories}
    for before, after in zip(_items(offline), _items(brief), strict=True):
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", f"{after.summary} {after.details}")}
        assert cited <= set(after.sources), (after.story_id, cited, after.sources)
        verdict = gate.verdicts.get(after.story_id)
        if verdict == "accepted":
            assert (after.summary, after.details) != (before.summary, before.details)
            _grounded(brief, after, by_id[after.story_id])
        else:
            assert after == before, (after.story_id, verdict)
    refused = sum(v != "accepted" for v in gate.verdicts.values())
    rejections = sum(sample.value for family in metrics.registry.collect() for sample in family.samples
                     if sample.name == "usul_llm_rejections_total" and sample.labels["lens"] == offline.lens)
    assert rejections == refused == _value(metrics, "usul_llm_fallbacks_total", reason="rejected")
    assert len(gate.verdicts) == calls["ok"]  # every parsed answer met the gate


@pytest.mark.asyncio
async def test_a_model_slower_than_the_timeout_leaves_the_offline_words(
        model_url: str, real_day: tuple[Brief, list[Story]], tmp_path: Path) -> None:
    offline, stories = real_day
    top = offline.model_copy(update={"noteworthy": []})  # a few calls are enough to show it
    metrics = Metrics(CollectorRegistry())
    brief = await llm.rewrite_brief(top, stories, load_lens(DEFAULT_LENS), _settings(model_url, tmp_path, 0.2),
                                    llm.WriterCache(), metrics=metrics)
    assert brief == top
    timeouts = _value(metrics, "usul_llm_calls_total", model=MODEL, outcome="timeout")
    assert timeouts == len(top.top_items) + 1  # each item and the executive summary
    assert _value(metrics, "usul_llm_fallbacks_total", reason="timeout") == timeouts


def _report(offline: Brief, brief: Brief, gate: Gate, metrics: Metrics, seconds: float) -> None:
    calls = _value(metrics, "usul_llm_call_seconds_count", model=MODEL)
    per_call = _value(metrics, "usul_llm_call_seconds_sum", model=MODEL) / max(calls, 1)
    verdicts = Counter(v for k, v in gate.verdicts.items() if k != "executive")
    print(f"\n{DAY}: {len(_items(offline))} items, {verdicts['accepted']} accepted by the gate of "
          f"{sum(verdicts.values())} answered; verdicts {dict(verdicts)}; executive summary: "
          f"{gate.verdicts.get('executive', 'no answer')}")
    outcomes = {o: int(_value(metrics, "usul_llm_calls_total", model=MODEL, outcome=o))
                for o in ("ok", "invalid", "truncated", "error", "timeout")}
    print(f"{int(calls)} calls {outcomes}, {per_call:.1f} s per call (two at a time), {seconds:.0f} s in all")
    for story_id, draft in gate.drafts.items():
        print(f"  [{gate.verdicts[story_id]}] {story_id}: {draft.summary[:160]!r}")
