"""Topic administration: create every catalogue topic with its partitions and retention."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from models import topics
from streams.kafka_security import client_kwargs
from streams.settings import Settings

DAY_MS = 24 * 3600 * 1000


def partitions_of(spec: topics.TopicSpec, settings: Settings) -> int:
    """Partitioned topics follow the deployment's setting; single-partition ones stay single."""
    return settings.partitions if spec.partitions > 1 else 1


def _new_topic(spec: topics.TopicSpec, settings: Settings) -> NewTopic:
    config = {"retention.ms": str(spec.retention_days * DAY_MS)}
    if spec.compacted:
        config["cleanup.policy"] = "compact"
    if settings.min_insync_replicas is not None:
        config["min.insync.replicas"] = str(settings.min_insync_replicas)
    return NewTopic(spec.name, partitions_of(spec, settings), settings.replication_factor, topic_configs=config)


async def ensure_topics(settings: Settings) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, request_timeout_ms=30000,
                                **client_kwargs(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [_new_topic(s, settings) for s in topics.CATALOGUE if s.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another process created them first
        return [t.name for t in missing]
    finally:
        await admin.close()
