"""The notifications file and the channels built from settings; secrets never leak."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest

from sinks.config import ConfigError, load_notifications
from sinks.discord import DiscordSink
from sinks.files import FileSink
from sinks.mail import EmailSink
from sinks.registry import build_channels
from sinks.slack import SlackSink
from sinks.webhook import WebhookSink
from streams.settings import Settings

WHSEC = "whsec_" + base64.b64encode(b"s" * 32).decode()
FILE = f"""
[notifications]

[[notifications.channels]]
type = "slack"
url = "https://hooks.slack.com/services/T000/B000/slack-token-xyz"
lenses = ["ai-safety-governance"]

[[notifications.channels]]
name = "ops-discord"
type = "discord"
url = "https://discord.com/api/webhooks/1/discord-token-xyz"
crash_policy = "at-most-once"

[[notifications.channels]]
type = "webhook"
url = "https://example.org/hook"
secret = "{WHSEC}"

[[notifications.channels]]
type = "email"
url = "smtp://mail.example.org:587"
username = "usul"
secret = "smtp-password-xyz"
sender = "usul@example.org"
recipients = ["desk@example.org"]
lenses = ["other-lens"]
"""


def _settings(tmp_path: Path, text: str = FILE) -> Settings:
    path = tmp_path / "notifications.toml"
    path.write_text(text)
    return Settings(data_dir=tmp_path, notifications_file=path)


def test_channels_are_built_per_lens_with_their_crash_policy(tmp_path: Path) -> None:
    channels = {c.name: c for c in build_channels(_settings(tmp_path))}
    assert list(channels) == ["files", "slack", "ops-discord", "webhook", "email"]
    assert isinstance(channels["files"].sink, FileSink) and isinstance(channels["slack"].sink, SlackSink)
    assert isinstance(channels["ops-discord"].sink, DiscordSink) and isinstance(channels["webhook"].sink, WebhookSink)
    assert isinstance(channels["email"].sink, EmailSink)
    assert channels["slack"].lenses == frozenset({"ai-safety-governance"}) and channels["webhook"].lenses is None
    assert channels["slack"].redeliver_uncertain and not channels["ops-discord"].redeliver_uncertain
    assert channels["webhook"].redeliver_uncertain


def test_secrets_never_appear_in_reprs_or_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = load_notifications(_settings(tmp_path).notifications_file)  # type: ignore[arg-type]
    channels = build_channels(_settings(tmp_path))
    logging.getLogger("usul.test").warning("config %r channels %r sinks %r", config, channels,
                                           [c.sink for c in channels])
    shown = caplog.text + repr(config) + str(config) + repr(channels)
    for secret in ("slack-token-xyz", "discord-token-xyz", "smtp-password-xyz", WHSEC, "mail.example.org"):
        assert secret not in shown


def test_errors_in_the_file_name_the_field_but_not_the_secret(tmp_path: Path) -> None:
    bad = '[notifications]\n[[notifications.channels]]\nurl = "https://hooks.slack.com/services/T/B/leaky-token"\n'
    with pytest.raises(ConfigError, match="channels.0") as caught:
        build_channels(_settings(tmp_path, bad))
    assert "leaky-token" not in str(caught.value)


def test_channel_names_must_be_unique(tmp_path: Path) -> None:
    twice = '[notifications]\n' + '[[notifications.channels]]\ntype = "slack"\nurl = "https://x.example/a"\n' * 2
    with pytest.raises(ConfigError, match="repeated: slack"):
        build_channels(_settings(tmp_path, twice))


def test_storage_sinks_come_from_settings(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, s3_bucket="b", s3_endpoint_url="http://127.0.0.1:1",
                        s3_access_key_id="k", s3_secret_access_key="s3-secret-xyz",
                        postgres_dsn="postgresql://u:pg-secret-xyz@127.0.0.1/db")
    channels = build_channels(settings)
    assert [c.name for c in channels] == ["files", "s3", "postgres"]
    assert "s3-secret-xyz" not in repr(channels) and "pg-secret-xyz" not in repr(channels) + repr(settings)
