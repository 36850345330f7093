"""Fixtures every test layer shares."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def broker_kind() -> str:
    kind = os.environ.get("USUL_TEST_BROKER", "tansu").strip().lower() or "tansu"
    if kind not in ("tansu", "kafka"):
        pytest.fail(f"USUL_TEST_BROKER={kind!r}: expected 'tansu' or 'kafka'")
    return kind
