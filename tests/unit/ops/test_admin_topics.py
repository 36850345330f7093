"""The topics `usul topics` creates carry the deployment's replication and min.insync.replicas."""

from __future__ import annotations

from models import topics
from streams.ops.admin import _new_topic
from streams.settings import Settings


def test_production_topics_get_replication_3_and_min_insync_2() -> None:
    topic = _new_topic(topics.ENRICHED, Settings(replication_factor=3, min_insync_replicas=2))
    assert topic.replication_factor == 3
    assert topic.topic_configs["min.insync.replicas"] == "2"


def test_without_the_setting_the_brokers_default_applies() -> None:
    assert "min.insync.replicas" not in _new_topic(topics.ENRICHED, Settings()).topic_configs
