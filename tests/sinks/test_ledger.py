"""The delivery ledger's state machine over a plain dict."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sinks.ledger import Ledger, LedgerError, Plan, ledger_key

NOW = datetime(2026, 1, 8, 6, 5, tzinfo=UTC)
KEY = ledger_key("ai-safety-governance:2026-01-08:r1", 1, "slack")


def test_a_new_delivery_is_sent_then_never_again() -> None:
    ledger = Ledger({})
    assert ledger.plan(KEY, redeliver_uncertain=True) is Plan.SEND
    ledger.begin(KEY, NOW)
    ledger.done(KEY, NOW, "delivered", "slack webhook")
    assert ledger.plan(KEY, redeliver_uncertain=True) is Plan.SKIP
    assert ledger.get(KEY) == {"attempts": 1, "state": "done", "status": "delivered", "location": "slack webhook",
                               "updated_at": NOW.isoformat()}


def test_in_flight_after_a_crash_follows_the_channel_policy() -> None:
    entries: dict[str, object] = {}
    Ledger(entries).begin(KEY, NOW)
    restarted = Ledger(entries)  # the same table after recovery
    assert restarted.plan(KEY, redeliver_uncertain=True) is Plan.RESEND
    assert restarted.plan(KEY, redeliver_uncertain=False) is Plan.ABANDON
    restarted.abandon(KEY, NOW)
    assert restarted.state(KEY) == "uncertain" and restarted.plan(KEY, True) is Plan.SKIP


def test_a_resend_counts_its_attempts() -> None:
    ledger = Ledger({})
    ledger.begin(KEY, NOW)
    ledger.begin(KEY, NOW)
    assert ledger.get(KEY)["attempts"] == 2  # type: ignore[index]


def test_dead_letters_are_final() -> None:
    ledger = Ledger({})
    ledger.begin(KEY, NOW)
    ledger.dead(KEY, NOW, "HTTP 404 from the receiver")
    assert ledger.plan(KEY, redeliver_uncertain=True) is Plan.SKIP
    assert ledger.get(KEY)["reason"] == "HTTP 404 from the receiver"  # type: ignore[index]


def test_keys_separate_brief_revision_and_channel() -> None:
    keys = {ledger_key("b", 1, "slack"), ledger_key("b", 2, "slack"), ledger_key("b", 1, "email")}
    assert len(keys) == 3


def test_done_without_begin_is_a_bug_not_a_silent_write() -> None:
    with pytest.raises(LedgerError, match="expected 'in_flight'"):
        Ledger({}).done(KEY, NOW, "delivered", "x")
