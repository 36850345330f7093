"""Cost centres of the worker from py-spy's collapsed stacks (`py-spy record --format raw`).

py-spy samples only threads that are running (not idle ones), so a share is a share of the
worker's busy CPU time; samples whose innermost frame is a wait (`select`, an executor thread
waiting for work) are dropped too, since py-spy does not always see those as idle. Three views:

* `centres`: named pieces of Usul's work, inclusive (a sample counts for every centre that
  appears anywhere in its stack, so centres nest and do not add up to 100 %);
* `by_component`: exclusive, by the library or Usul module of the innermost Python frame
  (adds up to 100 %);
* `top_functions`: exclusive, the innermost frames that cost most.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any


# (name, pattern over one frame "Class.function (path:line)"), inclusive
def _f(name: str, path: str) -> str:
    return rf"(^|[.>]){name} \({path}"


CENTRES: tuple[tuple[str, str], ...] = (
    ("normalise agent body (Topology._normalise)", _f("_normalise", r"streams/topology\.py")),
    ("  flow.on_raw_record: decode + enrich + dedup", _f("on_raw_record", r"streams/flow\.py")),
    ("    enrich (canonical URL, timing, text clean-up, classify)", _f("enrich", r"streams/enrich\.py")),
    ("      classify (streams/stages/classify.py)", _f("classify", r"streams/classify\.py")),
    ("    dedup check_and_remember (seen table)", _f("check_and_remember", r"streams/dedup\.py")),
    ("cluster agent body (Topology._cluster)", _f("_cluster", r"streams/topology\.py")),
    ("  flow.enriched_steps", _f("enriched_steps", r"streams/flow\.py")),
    ("    SeenTally.write (one table write per lens-day and batch)", _f(r"SeenTally\.write", r"streams/flow\.py")),
    ("    DayGraph.add (streams/stages/cluster.py)", _f("add", r"streams/cluster\.py")),
    ("    score_story (streams/stages/score.py)", _f("score_story", r"streams/score\.py")),
    ("pydantic decode (models.codec.decode)", _f("decode", r"models/codec\.py")),
    ("pydantic encode (models.codec.encode)", _f("encode", r"models/codec\.py")),
    ("pydantic model_dump (table values)", r"(^|\.)model_dump \("),
    ("table writes (faust Table.on_key_set -> changelog send)", _f("on_key_set", r"faust/tables/")),
    ("table reads (faust Table.on_key_get)", _f("on_key_get", r"faust/tables/")),
    ("Topology.send (outputs -> faust producer)", _f("send", r"streams/topology\.py")),
    ("faust Topic/Channel send (outputs + changelog)",
     r"(Topic|Channel)\.(send|_send_now|publish_message|as_future_message) \(faust/"),
    ("aiokafka producer sender task (Sender.*)", r"(^|\.)Sender\.\w+ \(aiokafka/producer/"),
    ("aiokafka consumer (fetcher, in faust's consumer thread)", r"aiokafka/consumer/"),
    ("socket writes (asyncio transport.write)", r"_SelectorSocketTransport\.write \("),
    ("faust stream iteration (Stream._c_aiter, on_message)", r"(Stream\.(_c_aiter|__aiter__)|on_message) \(faust/"),
    ("prometheus metrics (Usul + faust sensor)", r"prometheus_client/|streams/faust_metrics\.py"),
    ("source poller timer (Topology._poll_sources)", _f("_poll_sources", r"streams/topology\.py")),
)
# Innermost frames where a thread waits rather than works (py-spy counts some of them as busy).
IDLE = re.compile(r"^(EpollSelector\.select \(selectors|_worker \(concurrent/futures/thread\.py)")
_COMPONENTS: tuple[tuple[str, str], ...] = (
    ("streams/classify", r"streams/classify\.py"), ("streams/cluster", r"streams/cluster\.py"),
    ("streams/score", r"streams/score\.py"), ("streams/other", r"streams/"), ("models", r"models/"),
    ("pydantic", r"pydantic"), ("datasketch", r"datasketch/"), ("numpy", r"numpy/"),
    ("faust", r"faust/"), ("mode", r"/mode/"), ("aiokafka", r"aiokafka/"), ("kafka (python)", r"/kafka/"),
    ("prometheus_client", r"prometheus_client/"), ("asyncio", r"asyncio/"), ("re", r"/re/|sre_"),
    ("json/orjson", r"json"), ("aiohttp/yarl", r"aiohttp|yarl"),
)
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<path>[^()]*?)(:\d+)?\)$")


def _parse(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        head, _, count = line.rpartition(" ")
        if not head or not count.isdigit():
            continue
        stacks.append((head.split(";"), int(count)))
    return stacks


def _component(frame: str) -> str:
    for name, pattern in _COMPONENTS:
        if re.search(pattern, frame):
            return name
    match = _FRAME.match(frame)
    return "other: " + (Path(match.group("path")).name if match else frame[:40])


def summarise(path: Path, top: int = 25) -> dict[str, Any]:
    stacks = _parse(path) if path.exists() else []
    idle = sum(count for frames, count in stacks if IDLE.search(frames[-1]))
    stacks = [(frames, count) for frames, count in stacks if not IDLE.search(frames[-1])]
    total = sum(count for _, count in stacks) or 1
    centres: Counter[str] = Counter()
    components: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    compiled = [(name, re.compile(pattern)) for name, pattern in CENTRES]
    for frames, count in stacks:
        for name, pattern in compiled:
            if any(pattern.search(f) for f in frames):
                centres[name] += count
        python = [f for f in frames if "(" in f]
        leaf = python[-1] if python else frames[-1]
        components[_component(leaf)] += count
        leaves[leaf] += count
    share = lambda c: round(100 * c / total, 1)  # noqa: E731
    return {
        "samples": total if stacks else 0, "idle_samples_dropped": idle,
        "centres": [{"centre": name, "percent": share(centres[name])} for name, _ in CENTRES],
        "by_component": [{"component": k, "percent": share(v)} for k, v in components.most_common()],
        "top_functions": [{"function": k, "percent": share(v)} for k, v in leaves.most_common(top)],
    }


def render(summary: dict[str, Any]) -> str:
    lines = [f"py-spy samples of the worker's busy time: {summary['samples']} "
             f"(dropped as waiting: {summary.get('idle_samples_dropped', 0)})", "",
             "cost centres (inclusive, % of worker CPU; nested rows are parts of the row above):"]
    lines += [f"  {row['percent']:5.1f} %  {row['centre']}" for row in summary["centres"]]
    lines += ["", "by component of the innermost Python frame (exclusive):"]
    lines += [f"  {row['percent']:5.1f} %  {row['component']}" for row in summary["by_component"][:15]]
    lines += ["", "top innermost functions (exclusive):"]
    lines += [f"  {row['percent']:5.1f} %  {row['function']}" for row in summary["top_functions"]]
    return "\n".join(lines) + "\n"
