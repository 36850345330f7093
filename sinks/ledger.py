"""The delivery ledger: what happened to each (brief, revision, channel). Pure.

The ledger is a state machine over any `MutableMapping[str, dict]`: in the worker it is the
partition's slice of the changelogged faust table `ledger` (so it survives a crash and moves
with the partition), in tests a dict. Values are plain JSON objects.

::

    (absent) --begin--> in_flight --done--> done          never sent again
                            |  \\--dead--> dead          dead-lettered; never sent again by itself
                            |
                 crash here: the entry stays in_flight, and the next delivery of the same
                 record finds it there. Whether the channel is sent to again is the channel's
                 crash policy (see `sinks` for each channel's):
                   redeliver  -> RESEND  (receivers that dedup, or chat channels declared
                                          at-least-once: at most one extra message per crash)
                   at-most-once -> ABANDON (marked `uncertain`, counted, never re-sent)

`begin` must be made durable (the worker flushes the table's changelog) before the channel
is called: otherwise a crash could lose the in-flight mark and the policy could not be applied.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime
from enum import Enum
from typing import Any, Literal

State = Literal["in_flight", "done", "dead", "uncertain"]


class Plan(Enum):
    SEND = "send"  # never tried
    RESEND = "resend"  # in flight when the worker stopped; the channel's policy allows a resend
    ABANDON = "abandon"  # in flight when the worker stopped; at-most-once: do not send again
    SKIP = "skip"  # done, dead-lettered or abandoned before


def ledger_key(brief_id: str, revision: int, channel: str) -> str:
    return f"delivery|{brief_id}|r{revision}|{channel}"


class Ledger:
    """Reads and moves ledger entries; every write replaces the whole entry (one changelog record)."""

    def __init__(self, entries: MutableMapping[str, Any]) -> None:
        self.entries = entries

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            value = self.entries[key]
        except KeyError:
            return None
        return dict(value) if value else None

    def state(self, key: str) -> State | None:
        entry = self.get(key)
        return entry["state"] if entry else None

    def plan(self, key: str, redeliver_uncertain: bool) -> Plan:
        state = self.state(key)
        if state is None:
            return Plan.SEND
        if state == "in_flight":
            return Plan.RESEND if redeliver_uncertain else Plan.ABANDON
        return Plan.SKIP

    def begin(self, key: str, now: datetime) -> None:
        entry = self.get(key) or {"attempts": 0}
        self._put(key, entry, "in_flight", now, attempts=int(entry.get("attempts", 0)) + 1)

    def done(self, key: str, now: datetime, status: str, location: str) -> None:
        self._put(key, self._require(key), "done", now, status=status, location=location)

    def dead(self, key: str, now: datetime, reason: str) -> None:
        self._put(key, self.get(key) or {"attempts": 0}, "dead", now, reason=reason)

    def abandon(self, key: str, now: datetime) -> None:
        reason = "in flight when the worker stopped; at-most-once channel, not sent again"
        self._put(key, self._require(key), "uncertain", now, reason=reason)

    def _require(self, key: str) -> dict[str, Any]:
        entry = self.get(key)
        if entry is None or entry.get("state") != "in_flight":
            raise LedgerError(f"ledger entry {key!r} is {entry and entry.get('state')!r}, expected 'in_flight'")
        return entry

    def _put(self, key: str, entry: dict[str, Any], state: State, now: datetime, **fields: Any) -> None:
        self.entries[key] = {**entry, **fields, "state": state, "updated_at": now.isoformat()}


class LedgerError(RuntimeError):
    """A transition the state machine does not allow (a bug in the caller, never a bad record)."""
