"""The command line hands `usul eval` its own options, in order, and refuses strays elsewhere."""

from __future__ import annotations

import pytest

from streams import cli
from streams.ops import eval_command


def test_eval_passes_its_options_on_even_when_the_first_is_a_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(eval_command, "main", lambda argv: seen.append(list(argv)) or 0)
    assert cli.main(["eval", "-v", "--only", "days"]) == 0
    assert seen == [["-v", "--only", "days"]]


def test_an_unknown_option_of_another_command_is_an_error() -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["topics", "--bogus"])
    assert exit_.value.code == 2


@pytest.mark.parametrize(("argv", "flag", "value"), [
    (["replay", "x.jsonl", "--day", "2026-13-45", "--out", "o"], "--day", "2026-13-45"),
    (["replay", "x.jsonl", "--day", "2026-1-5", "--out", "o"], "--day", "2026-1-5"),
    (["close", "--day", "yesterday"], "--day", "yesterday"),
    (["replay", "x.jsonl", "--since", "noon", "--until", "x", "--out", "o"], "--since", "noon"),
])
def test_a_malformed_day_or_time_names_the_flag_and_the_accepted_form(
        argv: list[str], flag: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(argv)
    error = capsys.readouterr().err.splitlines()[-1]
    assert f"argument {flag}: expected" in error and repr(value) in error
    assert ("YYYY-MM-DD" if flag == "--day" else "ISO 8601") in error


def test_every_option_and_argument_of_every_command_says_what_it_is() -> None:
    commands = next(a for a in cli._parser()._actions if a.dest == "command").choices
    undocumented = [f"{name} {action.dest}" for name, sub in commands.items() if sub.add_help
                    for action in sub._actions if not action.help and action.dest != "help"
                    and not action.dest.startswith("action")]
    assert undocumented == []
