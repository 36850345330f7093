"""Build the configured channels from `Settings`: the storage sinks from `USUL_*` variables, the
notification channels from the `[notifications]` file. Reads the file; no network.

Always: the file sink (`USUL_BRIEFS_DIR`, default `<data dir>/briefs`). With `USUL_S3_BUCKET`: the
object store. With `USUL_POSTGRES_DSN`: PostgreSQL. With `USUL_NOTIFICATIONS_FILE`: each channel
in it, for the lenses it names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sinks.config import (
    ChannelConfig,
    DiscordChannel,
    EmailChannel,
    SlackChannel,
    TeamsChannel,
    WebhookChannel,
    load_notifications,
)
from sinks.discord import DiscordSink
from sinks.dispatch import Channel
from sinks.files import FileSink
from sinks.mail import EmailSink
from sinks.retry import RetryPolicy
from sinks.slack import SlackSink
from sinks.teams import TeamsSink
from sinks.webhook import WebhookSink

if TYPE_CHECKING:
    from streams.settings import Settings


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(base=settings.sink_retry_base_seconds, cap=settings.sink_retry_cap_seconds,
                       max_attempts=settings.sink_retry_max_attempts, budget=settings.sink_retry_budget_seconds)


def build_channels(settings: Settings) -> list[Channel]:
    retry = retry_policy(settings)
    files = FileSink(settings.output_dir)
    files.migrate_day_folders()  # briefs stored by lens-day before they were stored by edition
    channels = [Channel(files, retry=retry)]
    if settings.s3_bucket:
        from sinks.s3 import S3Sink

        if not (settings.s3_endpoint_url and settings.s3_access_key_id and settings.s3_secret_access_key):
            raise ValueError("USUL_S3_BUCKET needs USUL_S3_ENDPOINT_URL, USUL_S3_ACCESS_KEY_ID and "
                             "USUL_S3_SECRET_ACCESS_KEY")
        channels.append(Channel(S3Sink(settings.s3_endpoint_url, settings.s3_bucket, settings.s3_access_key_id,
                                       settings.s3_secret_access_key, settings.s3_region, settings.s3_prefix),
                                retry=retry))
    if settings.postgres_dsn is not None:
        from sinks.postgres import PostgresSink  # psycopg is needed only when PostgreSQL is configured

        channels.append(Channel(PostgresSink(settings.postgres_dsn), retry=retry))
    if settings.notifications_file is not None:
        for config in load_notifications(settings.notifications_file).channels:
            channels.append(channel_for(config, retry))
    return channels


def channel_for(config: ChannelConfig, retry: RetryPolicy) -> Channel:
    lenses = None if "*" in config.lenses else frozenset(config.lenses)
    if isinstance(config, WebhookChannel):  # receivers dedup by webhook-id: always redeliver
        sink = WebhookSink(config.name, config.url, config.secret, config.timeout_seconds)
        return Channel(sink, lenses, redeliver_uncertain=True, retry=retry)
    chat: SlackSink | DiscordSink | TeamsSink | EmailSink
    if isinstance(config, SlackChannel):
        chat = SlackSink(config.name, config.url, config.timeout_seconds)
    elif isinstance(config, DiscordChannel):
        chat = DiscordSink(config.name, config.url, config.timeout_seconds)
    elif isinstance(config, TeamsChannel):
        chat = TeamsSink(config.name, config.url, config.timeout_seconds)
    elif isinstance(config, EmailChannel):
        chat = EmailSink(config.name, config.url, config.sender, config.recipients, config.username, config.secret,
                         config.starttls, config.timeout_seconds)
    else:  # pragma: no cover - the discriminated union is exhaustive
        raise TypeError(f"unknown channel type {type(config).__name__}")
    return Channel(chat, lenses, redeliver_uncertain=config.crash_policy == "at-least-once", retry=retry)
