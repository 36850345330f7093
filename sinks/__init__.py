"""Sinks: where finished briefs go, delivered at least once from Kafka and exactly once in effect.

Each channel is one module behind the small `BriefSink` / `AsyncBriefSink` protocols in
`sinks.base`; errors tell the caller whether retrying can help (`RetryableSinkError`) or not
(`PermanentSinkError`).

    storage        files (sinks.files), S3-compatible object store (sinks.s3), PostgreSQL (sinks.postgres)
    notifications  Slack (sinks.slack), Discord (sinks.discord), Teams Workflows (sinks.teams),
                   email over SMTP (sinks.mail), Standard Webhooks signed webhook (sinks.webhook)
    machinery      ledger (sinks.ledger), retry policy (sinks.retry), configuration (sinks.config),
                   building the channels from settings (sinks.registry), delivery (sinks.dispatch)

Delivery is at least once from Kafka and exactly once in effect through the ledger; what each
channel does after a crash mid-send: docs/DELIVERY.md.
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
