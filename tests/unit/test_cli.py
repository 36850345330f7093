"""The command line: `usul eval` gets its own options, strays are refused elsewhere, and what
`usul replay` and `usul ingest` tell the user about their input."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

import orjson
import pytest

from models import topics
from models.briefs import Brief
from models.codec import encode
from models.control import DayClosed, RankedStory
from models.items import RawItem
from streams import cli
from streams.ingest.parse import IngestError
from streams.lenses import load_lens
from streams.ops import eval_command, processes, produce
from streams.ops.replay import Replay, ReplayResult, day_window
from streams.settings import Settings
from tests.builders import RecordingProducer, make_brief


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


# usul replay: what the terminal says ---------------------------------------------------------------
def _no_configured_broker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("USUL_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("USUL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no .env of the developer's


def test_a_file_with_nothing_readable_is_refused_at_once_with_the_reasons(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _no_configured_broker(monkeypatch, tmp_path)
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(11, 256)) + b"\n\xff\xfe\x00{\n[1, 2]\n")

    def no_pipeline(settings: object) -> None:
        raise AssertionError("a pipeline was started for a file with nothing to replay")

    monkeypatch.setattr(processes, "own_pipeline", no_pipeline)
    assert cli.main(["replay", str(garbage), "--day", "2026-01-08", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "usul replay: 0 items readable, 3 lines rejected; nothing to replay" in err
    assert "garbage.bin:1: record: Invalid JSON" in err and "garbage.bin:3: record:" in err
    kept = [orjson.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_bytes().splitlines()]
    assert [letter["original_topic"] for letter in kept] == [f"file:garbage.bin:{n}" for n in (1, 2, 3)]
    assert base64.b64decode(kept[1]["payload_b64"]) == b"\xff\xfe\x00{\n"  # nothing is lost


def _closed_with(brief: Brief, ranked_headline: str) -> DayClosed:
    story = RankedStory(story_id="s-1", rank=1, tier="top", score=1.0, confidence="high", category=None,
                        headline=ranked_headline, items=["m-1"])
    return DayClosed(lens=brief.lens, day=brief.day, close_id="c", revision=1, changed=True,
                     brief_id=brief.brief_id, items_seen=1, items_relevant=1, stories=[story],
                     closed_at=brief.created_at)


def test_the_summary_names_stories_as_the_brief_does_and_shows_why_lines_were_rejected(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    brief = make_brief()  # its top item's headline: "Lab ships model"
    rejected = [IngestError(f"day.jsonl:{n}", f"published_at: bad value {n}") for n in range(2, 9)]
    result = ReplayResult([_closed_with(brief, "A member's own title")], {brief.day: encode(brief)},
                          [{"id": "m-1"}], rejected, 1.0)

    async def canned(self: Replay, items: list, errors: list) -> ReplayResult:
        return result

    monkeypatch.setattr(Replay, "run_read", canned)
    lens = load_lens("ai-safety-governance")
    job = cli._Job(lens, day_window(lens, "2026-01-08"), [RawItem(id="m-1")], rejected, tmp_path, 5.0)
    cli._replay(Settings(), "127.0.0.1:1", "tansu", job, lasting=False)
    out = capsys.readouterr().out
    assert "  1. [high] Lab ships model" in out and "A member's own title" not in out
    assert "replayed 1 item in 1.0 s; 7 lines rejected" in out
    assert "  day.jsonl:2: published_at: bad value 2" in out and "  day.jsonl:6: published_at: bad value 6" in out
    assert "day.jsonl:7" not in out and "  ... and 2 more" in out
    assert f"{tmp_path / 'rejected.jsonl'}" in out and "dead-letter topic" not in out  # gone with the pipeline
    assert "open http" not in out  # nor is its worker there to open


def test_ingest_says_why_a_location_was_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(produce, "AIOKafkaProducer", RecordingProducer)
    RecordingProducer.sent = []
    monkeypatch.setenv("USUL_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["ingest", "http://169.254.169.254/latest/meta-data/"]) == 1  # nothing was taken
    out = capsys.readouterr().out
    assert "ingested 0 items; 1 rejected" in out
    assert "169.254.169.254 resolves to a cloud metadata address (169.254.169.254, link-local)" in out
    assert "`usul dlq list --stage ingest`" in out
    assert [topic for topic, _ in RecordingProducer.sent] == [topics.DEAD_LETTERS.name]


def test_commands_find_the_running_embedded_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_configured_broker(monkeypatch, tmp_path)
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        monkeypatch.setenv("USUL_EMBEDDED_PORT", str(port))
        found = cli._require_broker(Settings())
    assert (found.bootstrap_servers, found.broker_flavour) == (f"127.0.0.1:{port}", "tansu")
    with pytest.raises(RuntimeError, match=f"nothing answers on the embedded broker's port {port}"):
        cli._require_broker(Settings())  # closed now
