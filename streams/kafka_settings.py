"""What Usul asks of Kafka, per broker flavour (`USUL_BROKER_FLAVOUR`): the worker's faust
settings, and those of Usul's own clients (replay, ingestion, close markers, dead-letter replay,
the live pages). Why each value: docs/DESIGN.md, "Kafka settings"."""

from __future__ import annotations

# Producers: a write counts once every in-sync replica has it (with replication 3 and
# min.insync.replicas 2 a broker may die without losing it); on Apache Kafka a retried send is not
# written twice (idempotence). Tansu 0.6 refuses the request idempotence needs: acks only.
ACKS_ALL: dict[str, object] = {"acks": "all"}
PRODUCER_SETTINGS: dict[str, dict[str, object]] = {
    "kafka": {**ACKS_ALL, "enable_idempotence": True},
    "tansu": ACKS_ALL,
}
# Consumers read only committed records: a transactional writer upstream never leaks aborted ones.
COMMITTED_READS: dict[str, object] = {"isolation_level": "read_committed"}

_COMMON: dict[str, object] = {
    "broker_session_timeout": 10.0,
    "broker_heartbeat_interval": 1.0,
    "broker_rebalance_timeout": 10.0,
    "broker_request_timeout": 20.0,
    "topic_replication_factor": 1,
    "table_standby_replicas": 0,
    "consumer_auto_offset_reset": "earliest",
    "stream_wait_empty": False,
    # acks from every in-sync replica (faust's default, stated); faust turns idempotence on only
    # inside transactions, which Usul does not use: its effects are idempotent instead
    "producer_acks": -1,
}
FAUST_SETTINGS: dict[str, dict[str, object]] = {
    "kafka": {**_COMMON, "producer_linger": 0.01},  # batches outputs and changelog writes
    "tansu": {**_COMMON, "producer_max_batch_size": 1},  # Tansu's end offsets count batches, not records
}
