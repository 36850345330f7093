"""Golden briefs: a fixed list of real days replayed through the worker's flow, hashed.

A change that must not alter behaviour (a move, a rename, a refactor) keeps every hash; a change
that means to alter briefs rewrites the file with `python -m tests.regression.golden --write` and
says so in its commit. The days and their files are listed in the golden file itself, so days
added to the real data later do not change what is compared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from models.codec import encode
from streams.brief.render import render_html, render_markdown, render_text
from streams.lenses import DEFAULT_LENS, load_lens
from streams.ops.evaluate import DEFAULT_DATA, replay_files

GOLDEN = Path(__file__).with_name("golden_briefs.json")


def day_files(data: Path) -> dict[str, list[str]]:
    """Every date of the real data with the files that carry it (`<family>-<date>.jsonl`)."""
    days: dict[str, list[str]] = {}
    for path in sorted(data.glob("*-????-??-??.jsonl")):
        days.setdefault(path.stem[-10:], []).append(path.name)
    return days


def brief_hashes(day: str, files: list[str], data: Path) -> dict[str, str]:
    run = replay_files(files, day, data, load_lens(DEFAULT_LENS))
    stories = b"\n".join(encode(story) for story in run.stories)
    outputs = {"json": encode(run.brief), "md": render_markdown(run.brief).encode(),
               "html": render_html(run.brief).encode(), "txt": render_text(run.brief).encode(),
               "stories": stories}
    return {name: hashlib.sha256(blob).hexdigest()[:16] for name, blob in outputs.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the golden file from this tree")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the real-data directory")
    args = parser.parse_args(argv)
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() and not args.write else None
    days = golden["files"] if golden else day_files(args.data)
    hashes = {day: brief_hashes(day, files, args.data) for day, files in days.items()}
    if args.write:
        GOLDEN.write_text(json.dumps({"files": days, "hashes": hashes}, indent=1, sort_keys=True) + "\n")
        print(f"wrote {len(hashes)} days to {GOLDEN.name}")
        return 0
    changed = [day for day in hashes if hashes[day] != golden["hashes"][day]]
    for day in changed:
        print(f"{day}: {hashes[day]} != {golden['hashes'][day]}")
    print(f"{len(hashes) - len(changed)} of {len(hashes)} days identical")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
