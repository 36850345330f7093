"""Sinks: where finished briefs are delivered (files today; object store, chat and webhooks next).

Each channel is one module behind the small `BriefSink` protocol in `sinks.base`; errors tell the
caller whether retrying can help (`RetryableSinkError`) or not (`PermanentSinkError`).
"""

from sinks.base import (
    BriefSink,
    DeliveryResult,
    DeliveryStatus,
    PermanentSinkError,
    RetryableSinkError,
    SinkError,
)
from sinks.files import FileSink

__all__ = [
    "BriefSink",
    "DeliveryResult",
    "DeliveryStatus",
    "FileSink",
    "PermanentSinkError",
    "RetryableSinkError",
    "SinkError",
]
