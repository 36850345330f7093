"""The replayed real days give the briefs recorded in golden_briefs.json (see golden.py)."""

from __future__ import annotations

import pytest

from streams.ops.evaluate import DEFAULT_DATA
from tests.regression import golden


@pytest.mark.skipif(not DEFAULT_DATA.is_dir(), reason=f"needs the real data at {DEFAULT_DATA}")
def test_replayed_real_days_give_the_recorded_briefs(capsys: pytest.CaptureFixture[str]) -> None:
    status = golden.main(["--data", str(DEFAULT_DATA)])
    assert status == 0, capsys.readouterr().out
