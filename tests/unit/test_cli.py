"""The command line hands `usul eval` its own options, in order, and refuses strays elsewhere."""

from __future__ import annotations

import pytest

from streams import cli
from streams.ops import evaluate


def test_eval_passes_its_options_on_even_when_the_first_is_a_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(evaluate, "main", lambda argv: seen.append(list(argv)) or 0)
    assert cli.main(["eval", "-v", "--only", "days"]) == 0
    assert seen == [["-v", "--only", "days"]]


def test_an_unknown_option_of_another_command_is_an_error() -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["topics", "--bogus"])
    assert exit_.value.code == 2
