"""The faust settings the worker runs with, per broker flavour (`USUL_BROKER_FLAVOUR`). Why each
value: docs/DESIGN.md, "faust settings"."""

from __future__ import annotations

_COMMON: dict[str, object] = {
    "broker_session_timeout": 10.0,
    "broker_heartbeat_interval": 1.0,
    "broker_rebalance_timeout": 10.0,
    "broker_request_timeout": 20.0,
    "topic_replication_factor": 1,
    "table_standby_replicas": 0,
    "consumer_auto_offset_reset": "earliest",
    "stream_wait_empty": False,
}

FAUST_SETTINGS: dict[str, dict[str, object]] = {
    "kafka": {**_COMMON, "producer_linger": 0.01},  # batches outputs and changelog writes
    "tansu": {**_COMMON, "producer_max_batch_size": 1},  # Tansu's end offsets count batches, not records
}
