"""Sinks: where finished briefs go, delivered at least once from Kafka and exactly once in effect.

Each channel is one module behind the small `BriefSink` / `AsyncBriefSink` protocols in
`sinks.base`; errors tell the caller whether retrying can help (`RetryableSinkError`) or not
(`PermanentSinkError`).

    storage        files (sinks.files), S3-compatible object store (sinks.s3), PostgreSQL (sinks.postgres)
    notifications  Slack (sinks.slack), Discord (sinks.discord), Teams Workflows (sinks.teams),
                   email over SMTP (sinks.mail), Standard Webhooks signed webhook (sinks.webhook)
    machinery      ledger (sinks.ledger), retry policy (sinks.retry), configuration (sinks.config),
                   building the channels from settings (sinks.registry), delivery (sinks.dispatch)

Delivery guarantees
-------------------
The briefs topic is consumed at-least-once: after a crash, records since the last committed offset
are delivered again. The delivery ledger (a changelogged faust table keyed by brief, revision and
channel) turns that into exactly-once in effect: a channel whose entry is `done` (or `dead`) is
never sent to again. Retries use exponential backoff with full jitter and honour `Retry-After`; a
channel still failing after its attempts or its time budget is dead-lettered (stage
`sink:<channel>`, counted in `usul_dead_letters_total`), and never holds up the other channels.

The one window no ledger can close is a crash *after* a channel accepted the brief and *before*
the `done` mark is durable. Before every send the ledger durably records `in_flight`; a restart
that finds an `in_flight` entry applies the channel's crash policy:

    channel          policy                 why
    files, s3,       always resend          idempotent by key: same path / object key / primary
    postgres                                key, and content-checked: a resend changes nothing
    webhook          always resend          the stable `webhook-id` is the receiver's dedup key
                                            (Standard Webhooks asks receivers to dedup by it)
    slack, discord,  at-least-once          no idempotency key exists. A brief nobody receives is
    teams, email     (default; per channel  worse than a brief received twice, and the crash window
                     `crash_policy =        is milliseconds wide, while an at-most-once channel
                     "at-most-once"`        would lose the brief on a crash anywhere between the
                     to opt out)            in-flight mark and the end of its retries. Bound: at most
                                            one extra copy per crash that lands in that window.
                                            Email resends keep the same Message-ID.

With `crash_policy = "at-most-once"` an `in_flight` entry found after a restart is marked
`uncertain`, counted (`usul_sink_deliveries_total{outcome="abandoned_uncertain"}`) and not sent.
"""

from sinks.base import (
    AsyncBriefSink,
    BriefSink,
    DeliveryResult,
    DeliveryStatus,
    PermanentSinkError,
    RetryableSinkError,
    SinkError,
)
from sinks.files import FileSink

__all__ = [
    "AsyncBriefSink",
    "BriefSink",
    "DeliveryResult",
    "DeliveryStatus",
    "FileSink",
    "PermanentSinkError",
    "RetryableSinkError",
    "SinkError",
]
