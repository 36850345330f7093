"""Security: article-supplied markup never executes in what Usul renders or serves; secrets stay
out of reprs, dumps and error messages; POST endpoints need the token; Kafka SASL_SSL settings
reach faust and every aiokafka client. (The live 401 check is in tests/integration/test_faults.py.)
"""

from __future__ import annotations

import asyncio
import html
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import certifi
import orjson
import pytest
from pydantic import SecretStr, ValidationError

from models import topics
from models.briefs import Brief, BriefItem, KeyTweet, SourceRef
from sinks.files import FileSink
from streams.brief.render import render_html, render_markdown
from streams.ingest.parse import IngestError, read_jsonl
from streams.inprocess import InProcessPipeline
from streams.kafka_security import KafkaSecurityError, broker_credentials, client_kwargs
from streams.lenses import load_lens
from streams.ops.replay import Reader, Replay, day_window, stamp_observed
from streams.settings import Settings
from streams.web.pages import archive_page, authorised, brief_file
from tests.builders import make_brief

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "sample-day.jsonl"
NOW = datetime(2026, 1, 9, 6, 0, tzinfo=UTC)
LENS = load_lens("ai-safety-governance")
FIGURES: Counter[str] = Counter()

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><script>alert(2)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">click</a>',
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;img src=x onerror=alert(1)&#62;",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    '"><script>alert(1)</script>',
    "' onmouseover='alert(1)' x='",
    '" onfocus="alert(1)" autofocus="',
    "</title><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=javascript:/>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "\u003cscript\u003ealert(1)\u003c/script\u003e",
    "<style>@import 'javascript:alert(1)'</style>",
]
XSS_URLS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "javascript&#58;alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
    "https://ok.example/\"><script>alert(1)</script>", "https://ok.example/' onmouseover='alert(1)",
    "https://ok.example/<img src=x onerror=alert(1)>", "//evil.example/x", "/relative/path",
    "https://ok.example/a\nb", "file:///etc/passwd",
]
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "img", "base", "form", "button",
                  "input", "body", "frame", "frameset", "link", "animate", "mglyph", "table"}
OURS = {"style": 1, "meta": 2, "html": 1, "head": 1, "body": 1, "title": 1}  # the page's own skeleton


class Tags(HTMLParser):
    """Every start tag and attribute as a browser's tokenizer sees them (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attrs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.attrs += [(tag, name, value or "") for name, value in attrs]


def assert_inert(page: str, skeleton: dict[str, int] | None = None) -> Tags:
    """No script or active element, no event handler, no link that is not http(s) or in-page."""
    parsed = Tags()
    parsed.feed(page)
    parsed.close()
    allowed = skeleton or {}
    for tag in DANGEROUS_TAGS | set(OURS):
        assert parsed.tags[tag] <= allowed.get(tag, 0), f"<{tag}> in output: {parsed.tags[tag]}"
    for tag, name, value in parsed.attrs:
        assert not name.startswith("on"), f"event handler {name}={value!r} on <{tag}>"
        assert name not in ("style", "src", "srcdoc", "formaction", "action", "autofocus")
        if name == "href":
            squeezed = "".join(value.split()).lower()
            same_site = squeezed.startswith("/") and not squeezed.startswith("//")
            assert same_site or squeezed.startswith(("http://", "https://", "#")), f"href {value!r}"
            assert "javascript:" not in squeezed and "data:" not in squeezed
    FIGURES["pages checked"] += 1
    return parsed


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    print(f"\n| security | count |\n|---|---|\n| attack payloads | {len(XSS) + len(XSS_URLS)} |"
          f"\n| attacks blocked (pages checked, all inert) | {FIGURES['pages checked']} |"
          f"\n| unauthorised requests refused | {FIGURES['refused']} |")


def hostile_brief(payload: str, url: str) -> Brief:
    item = BriefItem(story_id=payload, rank=1, tier="top", headline=payload, summary=f"Summary {payload}",
                     details=payload, category=payload, confidence="high", score=1.0, sources=[1],
                     developing_since=payload)
    return make_brief(
        lens_name=payload, executive_summary=payload, top_items=[item], noteworthy=[item],
        key_tweets=[KeyTweet(handle=payload, text=payload, source=1, story_id=payload)],
        sources=[SourceRef(number=1, outlet=payload, title=payload, url=url, published_at=NOW, item_id=payload)],
        content_hash=payload)


@pytest.mark.parametrize("payload", XSS)
def test_article_markup_in_any_field_never_becomes_markup(payload: str) -> None:
    for url in XSS_URLS[:3] + ["https://ok.example/a"]:
        page = render_html(hostile_brief(payload, url))
        assert_inert(page, {**OURS, "body": 1})
        assert payload.strip() == "" or html.escape(" ".join(payload.split()), quote=True) in page


@pytest.mark.parametrize("url", XSS_URLS)
def test_only_http_urls_become_links(url: str) -> None:
    page = render_html(hostile_brief("Lab ships model", url))
    parsed = assert_inert(page, {**OURS, "body": 1})
    hrefs = [value for tag, name, value in parsed.attrs if name == "href" and not value.startswith("#")]
    assert all(h == url for h in hrefs) and (not hrefs or url.startswith("https://ok.example/"))


def test_markdown_cannot_smuggle_html_or_links() -> None:
    """In CommonMark a backslash-escaped `<` or `[` is literal, and so is anything in a code span."""
    for payload in XSS:
        for url in XSS_URLS:
            text = re.sub(r"`[^`\n]*`", "", render_markdown(hostile_brief(payload, url)))
            assert not re.search(r"(?<!\\)<", text), f"raw HTML from {payload!r} / {url!r}"
            assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", text), f"a link from {payload!r} / {url!r}"
    FIGURES["pages checked"] += len(XSS) * len(XSS_URLS)


def _sample_items() -> list[dict[str, Any]]:
    window = day_window(LENS, "2026-01-08")
    return [stamp_observed(i, window).model_dump(mode="json") for i in read_jsonl(SAMPLE, window.end)
            if not isinstance(i, IngestError)]


def test_hostile_articles_through_the_real_pipeline_render_inert_briefs(tmp_path: Path) -> None:
    """Titles, texts and URLs of real items carry the corpus; the brief the flow builds from them
    is rendered by the file sink and served by the web module."""
    pipeline = InProcessPipeline([LENS], NOW, 1)
    for n, item in enumerate(_sample_items()):
        attack, url = XSS[n % len(XSS)], XSS_URLS[n % len(XSS_URLS)]
        hostile = {**item, "title": f"{item['title']} {attack}", "text": f"{attack} {item['text']} {attack}"}
        if n % 3 == 0:
            hostile["url"] = url
        pipeline.raw(orjson.dumps(hostile))
    pipeline.close(LENS.slug, "2026-01-08", "xss")
    (brief,) = pipeline.on(topics.BRIEFS)
    assert brief.top_items and any("<" in i.headline for i in brief.top_items), "the attack reached the brief"
    FileSink(tmp_path).deliver(brief)
    served, kind = brief_file(tmp_path, LENS.slug, brief.edition) or (b"", "")
    assert kind.startswith("text/html")
    assert_inert(served.decode(), {**OURS, "body": 1})


def test_the_archive_page_lists_only_real_days(tmp_path: Path) -> None:
    FileSink(tmp_path).deliver(make_brief())
    for name in ['2026-01-09"><script>alert(1)</script>', "<img src=x onerror=alert(1)>", "1-2-3"]:
        (tmp_path / LENS.slug / "editions" / name).mkdir(parents=True, exist_ok=True)
        (tmp_path / LENS.slug / "editions" / name / "latest.json").write_text('{"revision": 1, "path": "r1"}')
    clean = Tags()
    clean.feed(archive_page(tmp_path / "empty"))
    page = archive_page(tmp_path)
    assert_inert(page, dict(clean.tags))
    assert "script" not in page and "onerror" not in page


# secrets -----------------------------------------------------------------------------------------
SECRETS = {"ingest_token": "tok-6f1d2c9e-never-show", "sasl_password": "pw-93ab-never-show",
           "x_bearer_token": "xb-77c1-never-show"}


def test_settings_never_show_their_secrets() -> None:
    settings = Settings(**SECRETS, sasl_username="usul", security_protocol="SASL_SSL")
    shown = [repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump()),
             repr(broker_credentials(settings))]
    for text in shown:
        for secret in SECRETS.values():
            assert secret not in text
    assert settings.sasl_password is not None and settings.sasl_password.get_secret_value() == SECRETS["sasl_password"]


def test_settings_errors_never_show_the_secrets() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**SECRETS, partitions=0, security_protocol="NOPE")
    assert not any(secret in str(caught.value) for secret in SECRETS.values())
    with pytest.raises(KafkaSecurityError) as missing:
        client_kwargs(Settings(security_protocol="SASL_SSL", sasl_password=SECRETS["sasl_password"]))
    assert SECRETS["sasl_password"] not in str(missing.value)


def test_secrets_from_the_environment_are_redacted_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USUL_INGEST_TOKEN", SECRETS["ingest_token"])
    monkeypatch.setenv("USUL_SASL_PASSWORD", SECRETS["sasl_password"])
    settings = Settings()
    assert isinstance(settings.ingest_token, SecretStr)
    assert SECRETS["ingest_token"] not in repr(settings) and SECRETS["sasl_password"] not in repr(settings)


# state-changing endpoints ------------------------------------------------------------------------
@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "bearer tok-1", "Bearer tok-", "Bearer tok-12",
                                    "Basic tok-1", "tok-1", "Bearer tok-1 ", " Bearer tok-1", "Bearer\ttok-1",
                                    "Bearer TOK-1", "Bearer tok-1\x00"])
def test_post_endpoints_refuse_anything_but_the_exact_bearer_token(header: str | None) -> None:
    assert not authorised(header, SecretStr("tok-1"))
    FIGURES["refused"] += 1


def test_the_right_token_opens_and_no_token_configured_means_local_use() -> None:
    assert authorised("Bearer tok-1", SecretStr("tok-1"))
    assert authorised(None, None) and authorised("anything", None)


# Kafka security pass-through ---------------------------------------------------------------------
def sasl_settings() -> Settings:
    return Settings(bootstrap_servers="broker.example:9093", security_protocol="SASL_SSL",
                    sasl_mechanism="SCRAM-SHA-512", sasl_username="usul", sasl_password=SECRETS["sasl_password"],
                    ssl_cafile=Path(certifi.where()))


def test_plaintext_adds_no_client_options() -> None:
    assert client_kwargs(Settings()) == {} and broker_credentials(Settings()) is None


def test_sasl_ssl_settings_become_aiokafka_options() -> None:
    kwargs = client_kwargs(sasl_settings())
    assert kwargs["security_protocol"] == "SASL_SSL" and kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_username"] == "usul" and kwargs["sasl_plain_password"] == SECRETS["sasl_password"]
    assert kwargs["ssl_context"].verify_mode.name == "CERT_REQUIRED" and kwargs["ssl_context"].check_hostname


def test_faust_gets_the_same_credentials() -> None:
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    from streams.topology import create_app

    app = create_app(sasl_settings().model_copy(update={"data_dir": Path("/nonexistent-usul")}))
    auth = credentials_to_aiokafka_auth(app.conf.broker_credentials)
    assert auth["security_protocol"] == "SASL_SSL" and auth["sasl_mechanism"] == "SCRAM-SHA-512"
    assert auth["sasl_plain_username"] == "usul" and auth["sasl_plain_password"] == SECRETS["sasl_password"]


def test_replay_and_its_reader_pass_the_options_to_aiokafka() -> None:
    kwargs = client_kwargs(sasl_settings())
    replay = Replay("broker.example:9093", LENS, day_window(LENS, "2026-01-08"), client=kwargs)
    assert replay.client is kwargs

    async def build() -> tuple[str, str | None]:
        reader = Reader("broker.example:9093", kwargs)
        client = reader.consumer._client
        return client._security_protocol, client._sasl_mechanism

    assert asyncio.run(build()) == ("SASL_SSL", "SCRAM-SHA-512")
