import json

from pydantic import SecretStr

from sinks.files import FileSink
from streams.web.pages import archive_page, authorised, brief_file, ingest_answer, live_day
from tests.builders import make_brief


def test_open_without_a_token_and_closed_without_the_right_one() -> None:
    assert authorised(None, None)
    token = SecretStr("s3cret")
    assert authorised("Bearer s3cret", token)
    assert not authorised(None, token) and not authorised("Bearer wrong", token)


def test_brief_is_served_in_each_rendering_of_the_latest_revision(tmp_path) -> None:
    sink = FileSink(tmp_path)
    sink.deliver(make_brief())
    sink.deliver(make_brief(revision=2, brief_id="ai-safety-governance:2026-01-08:r2", content_hash="1" * 64))
    # The brief of lens-day 2026-01-08 is the edition of 2026-01-09 (published that morning).
    body, kind = brief_file(tmp_path, "ai-safety-governance", "2026-01-09.json")
    assert kind == "application/json" and json.loads(body)["revision"] == 2
    assert brief_file(tmp_path, "ai-safety-governance", "2026-01-09")[1].startswith("text/html")
    assert brief_file(tmp_path, "ai-safety-governance", "2026-01-09.md")[1].startswith("text/markdown")
    assert brief_file(tmp_path, "ai-safety-governance", "2026-01-08.json") is None  # no edition of that date


def test_unknown_lens_day_or_format_is_not_found(tmp_path) -> None:
    FileSink(tmp_path).deliver(make_brief())
    assert brief_file(tmp_path, "no-such-lens", "2026-01-09") is None
    assert brief_file(tmp_path, "ai-safety-governance", "../../etc") is None
    assert brief_file(tmp_path, "ai-safety-governance", "2026-01-09.exe") is None
    assert brief_file(tmp_path, "ai-safety-governance", "2026-01-10") is None


def test_archive_lists_the_days_newest_first(tmp_path) -> None:
    FileSink(tmp_path).deliver(make_brief())
    FileSink(tmp_path).deliver(make_brief(day="2026-01-09", brief_id="ai-safety-governance:2026-01-09:r1"))
    page = archive_page(tmp_path)
    assert page.index(">2026-01-10</a>") < page.index(">2026-01-09</a>")
    assert "/briefs/ai-safety-governance/editions/2026-01-10" in page and "covers 2026-01-09" in page


def test_ingest_answers_202_only_when_something_was_taken() -> None:
    assert ingest_answer(2, ["push:3: not JSON"]) == (202, {"accepted": 2, "rejected": ["push:3: not JSON"]})
    status, body = ingest_answer(0, [])
    assert status == 400 and "empty body" in body["error"]
    status, body = ingest_answer(0, ["push:1: not JSON", "push:2: no title"])
    assert status == 422 and body["rejected"] == ["push:1: not JSON", "push:2: no title"]
    assert "2 refused" in body["error"]


def test_the_live_view_opens_today_once_it_has_stories_else_the_newest_day_that_has() -> None:
    assert live_day("2026-12-03", []) == "2026-12-03"
    assert live_day("2026-12-03", ["2026-01-09", "2026-01-08"]) == "2026-01-09"
    assert live_day("2026-12-03", ["2026-12-03", "2026-01-09"]) == "2026-12-03"
