"""`usul eval`: the command over the measures of `streams.ops.evaluate`, leave-one-day-out first
(`streams.ops.lodo`, refitting with `streams.ops.train`)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from models.lens import Lens
from streams.lenses import DEFAULT_LENS, load_lens
from streams.ops import evaluate, lodo, train, writing_check


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--writing" in argv:  # the writing check (streams.ops.writing_check) has its own options
        return writing_check.main([a for a in argv if a != "--writing"])
    parser = argparse.ArgumentParser(prog="usul eval", description=evaluate.__doc__.split("\n")[0])
    parser.add_argument("--labels", type=Path, default=evaluate.DEFAULT_LABELS, help="directory of label files")
    parser.add_argument("--data", type=Path, default=evaluate.DEFAULT_DATA, help="directory of real item files")
    parser.add_argument("--lens", default=DEFAULT_LENS)
    parser.add_argument("--only", choices=("days", "relevance", "stories", "ranking"), action="append")
    parser.add_argument("--decider", choices=sorted(train.DECIDERS),
                        help="what decides relevance, refitted per held-out day (default: the lens's own)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list misjudged items, top stories")
    parser.add_argument("--compare-lens", type=Path, metavar="FILE",
                        help="only list the items of all the data whose relevance FILE (another version "
                             "of the lens) judges otherwise")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"no item directory {args.data}")
    lens, files = load_lens(args.lens), evaluate.ItemFiles(args.data)
    if args.compare_lens:
        other = load_lens(args.compare_lens.stem, args.compare_lens.parent)
        print("\n".join(evaluate.changes_report(args.data, args.labels, other, lens)))
        return 0
    parts = args.only or ["days", "relevance", "stories", "ranking"]
    lines: list[str] = []
    if "days" in parts:
        lines += _days_report(args.labels, args.data, lens, args.verbose, args.decider)
    if "relevance" in parts:
        lines += evaluate.relevance_report(args.labels, files, lens, args.verbose)
    if "stories" in parts:
        lines += evaluate.stories_report(args.labels, files, lens)
    if "ranking" in parts:
        lines += evaluate.ranking_report(args.labels, args.data, lens, args.verbose)
    print("\n".join(lines))
    return 0


def _days_report(labels_dir: Path, data: Path, lens: Lens, verbose: bool, decider: str | None) -> list[str]:
    """Leave-one-day-out over the whole labeled days (`streams.ops.lodo`), refitting the decider
    (by default the lens's own: its model's kind, or the term rules) on every fold."""
    decider = decider or (lens.relevance_model or {}).get("meta", {}).get("decider", "rules")
    base = lens.model_copy(update={"relevance_model": None})
    spec = train.DECIDERS[decider]
    fit = None if decider == "rules" else train.fitter(train.featuriser_for(base, spec), spec)
    days = [evaluate.DayLabels.read(path) for path in sorted(labels_dir.glob("day-*.json"))]
    began = time.monotonic()
    scores = lodo.lodo(days, data, base, fit)
    lines = [f"leave-one-day-out, decider {decider}" + (" (nothing fitted)" if fit is None else
                                                         " (fitted without the held-out day)"),
             *lodo.table(scores), f"({time.monotonic() - began:.1f} s)"]
    if verbose:
        for labels in days:
            lines += [f"day {labels.day}", *_day_details(labels, evaluate.replay_day(labels, data, lens))]
    return lines


def _day_details(labels: evaluate.DayLabels, run: evaluate.DayRun) -> list[str]:
    said = {item for s in run.stories for item in s.items}
    lines = [f"      fn {i} [{labels.category[i]}] {labels.story[i]} | {run.titles.get(i, '')[:80]}"
             for i in sorted(labels.story.keys() - said)]
    lines += [f"      fp {i} [{run.categories.get(i)}] {run.titles[i][:80]}"
              for i in sorted(said - labels.story.keys())]
    for s in run.stories[:16]:
        gold = sorted({labels.story[i] for i in s.items if i in labels.story})
        lines.append(f"    {s.rank:>2} {s.tier:<10} {s.score:5.2f} {s.headline[:70]} -> {', '.join(gold) or '-'}")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
