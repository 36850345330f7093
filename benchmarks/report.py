"""The benchmark's table and its targets (PASS/FAIL), from the plain result dict of `run`."""

from __future__ import annotations

from typing import Any

TARGET_ITEMS_PER_S = 5_000.0
TARGET_P99_MS_AT_500 = 250.0
TARGET_BRIEF_SECONDS = 2.0
TARGET_RSS_MIB = 1024.0
LINEAR_TOLERANCE = 0.8  # items/s at the largest scale >= 80 % of the smallest: linear or better


def _main(result: dict[str, Any]) -> dict[str, Any] | None:
    """The main scale's row (`--items`), else the largest scale measured."""
    scales = result["scales"]
    found = scales.get(str(result["config"]["items"]))
    return found or (max(scales.values(), key=lambda r: r["items"]) if scales else None)


def end_to_end_rate(row: dict[str, Any]) -> float | None:
    """Raw topic to the last story update, items/s (to enriched when no story came)."""
    found = row["throughput"]
    return found.get("items_per_s_stories") or found.get("items_per_s_enriched")


def scaling(result: dict[str, Any]) -> dict[str, Any]:
    rows = sorted(result["scales"].values(), key=lambda r: r["items"])
    curve = [{"items": r["items"], "items_per_s": end_to_end_rate(r),
              "items_per_cpu_second": r["throughput"].get("items_per_cpu_second"),
              "peak_rss_mib": r["memory_after_close"]["peak_rss_mib"]} for r in rows]
    verdict = "one point only"
    if len(curve) > 1 and curve[0]["items_per_cpu_second"] and curve[-1]["items_per_cpu_second"]:
        ratio = curve[-1]["items_per_cpu_second"] / curve[0]["items_per_cpu_second"]
        verdict = (f"linear or better (items per CPU-second x{ratio:.2f} from {curve[0]['items']:,} to "
                   f"{curve[-1]['items']:,})" if ratio >= LINEAR_TOLERANCE else
                   f"WORSE than linear (items per CPU-second x{ratio:.2f} from {curve[0]['items']:,} to "
                   f"{curve[-1]['items']:,})")
    return {"curve": curve, "verdict": verdict}


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    main = _main(result)
    if main is None:
        return []
    rate = end_to_end_rate(main)
    at500 = next((r for r in result["latency"] if r["offered_per_s"] == 500.0), None)
    p99 = at500["story_p99_ms"] if at500 else None
    brief = main["close"].get("seconds_to_brief")
    rss = max(r["memory_end"]["peak_rss_mib"] for r in result["scales"].values())

    def row(name: str, value: Any, ok: bool | None, unit: str) -> dict[str, Any]:
        return {"target": name, "value": value, "unit": unit,
                "verdict": "n/a" if ok is None else ("PASS" if ok else "FAIL")}

    items = main["items"]
    return [
        row(">= 5,000 items/s end to end per worker process", rate,
            None if rate is None else rate >= TARGET_ITEMS_PER_S, "items/s"),
        row("p99 produce -> story update < 250 ms at 500 items/s", p99, None if p99 is None else
            p99 < TARGET_P99_MS_AT_500, "ms"),
        row(f"brief < 2 s after close ({items:,}-item day)", brief, None if brief is None else
            brief < TARGET_BRIEF_SECONDS, "s"),
        row("worker peak RSS < 1 GB", rss, rss < TARGET_RSS_MIB, "MiB"),
    ]


def _n(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    return f"{value:,.0f}" if isinstance(value, (int, float)) else str(value)


def table(result: dict[str, Any]) -> str:
    scales = sorted(result["scales"].values(), key=lambda r: r["items"])
    width = 14
    head = lambda label: f"  {label:<46}"  # noqa: E731
    cols = lambda values: "".join(f"{v:>{width}}" for v in values)  # noqa: E731
    stream = result["stream"]
    out = [
        "=" * 100,
        f"Usul benchmark  {result['started']}  broker: {result['config']['broker']}  "
        f"cpus: {result['machine']['cpus']}  python {result['machine']['python']}",
        f"stream: {stream['source']} ({stream['originals']:,} real items re-keyed; "
        f"{stream['copies_per_item_at_main_scale']} copies each at {result['config']['items']:,}), day {stream['day']}",
        "=" * 100,
        "",
        "THROUGHPUT, one worker process (fresh broker and worker per column)",
        head("items per day") + cols(f"{r['items']:,}" for r in scales),
        head("raw records (items bundled: --bundle)") + cols(_n(r["throughput"].get("raw_records")) for r in scales),
        head("raw -> enriched, items/s") + cols(_n(r["throughput"]["items_per_s_enriched"]) for r in scales),
        head("raw -> last story update, items/s") + cols(_n(r["throughput"]["items_per_s_stories"]) for r in scales),
        head("story updates (count)") + cols(_n(r["throughput"]["story_updates"]) for r in scales),
        head("story updates/s") + cols(_n(r["throughput"]["story_updates_per_s"]) for r in scales),
        head("producer rate (client), items/s") + cols(_n(r["throughput"]["produce_rate"]) for r in scales),
        head("worker CPU seconds") + cols(_n(r["throughput"]["worker_cpu_seconds"], 1) for r in scales),
        head("items per worker CPU-second (1-core ceiling)")
        + cols(_n(r["throughput"]["items_per_cpu_second"]) for r in scales),
        head("worker CPU share of one core") + cols(_n(r["throughput"]["worker_cpu_share"], 2) for r in scales),
        head("worker run-queue wait share (machine load)")
        + cols(_n(r["throughput"].get("worker_runqueue_wait_share"), 2) for r in scales),
        head("close -> day-closed record, s") + cols(_n(r["close"]["seconds_to_day_closed"], 2) for r in scales),
        head("close -> brief record, s") + cols(_n(r["close"]["seconds_to_brief"], 2) for r in scales),
        head("slowest /healthz answer during the close, s")
        + cols(_n(r["close"].get("slowest_health_answer_s"), 2) for r in scales),
        head("items seen / relevant at close")
        + cols(f"{_n(r['close']['items_seen'])}/{_n(r['close']['items_relevant'])}" for r in scales),
        head("stories in the closed day") + cols(_n(r["close"]["stories"]) for r in scales),
        head("worker peak RSS after close, MiB") + cols(_n(r["memory_after_close"]["peak_rss_mib"]) for r in scales),
        head("worker peak RSS at end, MiB") + cols(_n(r["memory_end"]["peak_rss_mib"]) for r in scales),
        head("load average at end (1 min)") + cols(_n(r["load_average"][0], 2) for r in scales),
    ]
    curve = scaling(result)
    out += ["", f"SCALING: {curve['verdict']}"]
    base = result.get("baselines") or {}
    if base and _main(result) is not None:
        main = _main(result)
        usul_rate, usul_cpu = end_to_end_rate(main), main["throughput"]["items_per_cpu_second"]
        naive, batched, raw = base.get("faust_naive", {}), base.get("faust_batched", {}), base.get("aiokafka", {})
        out += ["", f"BASELINES, same broker ({result['config']['baseline_items']:,} records)   "
                    "records/s   per CPU-second   peak RSS MiB   Usul/baseline (wall, CPU)"]
        pairs = (("faust agent: orjson decode + forward", naive),
                 ("  the same, batched as Usul's agents", batched), ("aiokafka consume + orjson decode", raw))
        for label, found in pairs:
            ratio = f"{usul_rate / found['rate']:.3f}, " if usul_rate and found.get("rate") else "-, "
            ratio += f"{usul_cpu / found['per_cpu_second']:.3f}" if usul_cpu and found.get("per_cpu_second") else "-"
            out.append(f"  {label:<40}{_n(found.get('rate')):>12}{_n(found.get('per_cpu_second')):>16}"
                       f"{_n(found.get('peak_rss_mib')):>15}   {ratio}")
    if result["latency"]:
        out += ["", "LATENCY at fixed offered load (ms, from our send; story = first update listing the item)",
                "  offered/s  achieved/s   items   enriched p50    p95    p99    max   relevant  w/update"
                "   story p50    p95     p99     max"]
        for r in result["latency"]:
            out.append(f"  {r['offered_per_s']:>9,.0f}{r['achieved_per_s']:>12,.0f}{r['items']:>8,}"
                       f"{_n(r['enriched_p50_ms']):>15}{_n(r['enriched_p95_ms']):>7}{_n(r['enriched_p99_ms']):>7}"
                       f"{_n(r['enriched_max_ms']):>7}{r['relevant']:>11,}{r['with_story_update']:>10,}"
                       f"{_n(r['story_p50_ms']):>12}{_n(r['story_p95_ms']):>7}{_n(r['story_p99_ms']):>8}"
                       f"{_n(r['story_max_ms']):>8}" + ("" if r["complete"] else "  (INCOMPLETE)"))
    if result.get("profile"):
        prof = result["profile"]
        out += ["", f"PROFILE ({result['config']['profile_items']:,} items under py-spy, {prof['samples']} samples; "
                    f"{prof['collapsed_stacks']})"]
        out += [f"  {row['percent']:5.1f} %  {row['centre']}" for row in prof["centres"]]
    out += ["", "TARGETS"]
    for t in result.get("targets") or targets(result):
        out.append(f"  {t['verdict']:<5} {t['target']:<56} {_n(t['value'], 2 if t['unit'] == 's' else 0)} {t['unit']}")
    if result.get("errors"):
        out += ["", "ERRORS"] + [f"  {e}" for e in result["errors"]]
    out += ["", "PHASES (wall seconds, 1-min load average before -> after)"]
    out += [f"  {p['phase']:<44}{p['seconds']:>8.1f} s   load {p['load_before']:.2f} -> {p['load_after']:.2f}"
            for p in result["phases"]]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.report RESULT.json`: print a saved run's table again (the profile's
    cost centres are recomputed from its collapsed stacks when they are next to the JSON)."""
    import sys
    from pathlib import Path

    import orjson

    from benchmarks import profile

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.report benchmarks/results/<timestamp>.json", file=sys.stderr)
        return 2
    path = Path(args[0])
    result = orjson.loads(path.read_bytes())
    stacks = path.parent / (result.get("profile") or {}).get("collapsed_stacks", "-")
    if stacks.is_file():
        result["profile"].update(profile.summarise(stacks))
        stacks.with_suffix(".summary.txt").write_text(profile.render(result["profile"]), encoding="utf-8")
    result["targets"] = targets(result)
    print(table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
