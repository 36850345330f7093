"""Telling the user which lines or documents were refused and why: the first few by place and
reason, and where every one of them is kept. A count alone ("2 lines rejected") sends the user
hunting through the dead-letter topic for what one line could have said. Pure."""

from __future__ import annotations

from streams.brief.sentences import plural
from streams.ingest.parse import IngestError

SHOWN = 5  # a screenful: the first reasons usually say what is wrong with the rest
REASON_CHARS = 200


def rejection_report(rejected: list[IngestError], kept_in: str, shown: int = SHOWN) -> list[str]:
    """Lines to print under a count of rejections: `where: reason` for the first `shown`, then
    where all of them are kept (`kept_in`, e.g. "the dead-letter topic, `usul dlq list`")."""
    if not rejected:
        return []
    lines = [f"  {error.where}: {error.reason[:REASON_CHARS]}" for error in rejected[:shown]]
    more = len(rejected) - shown
    if more > 0:
        lines.append(f"  ... and {plural(more, 'more', 'more')}")
    lines.append(f"  every one, with its bytes: {kept_in}")
    return lines
