"""Usul's settings: environment variables prefixed `USUL_` (or a `.env` file), one object."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.items import MAX_BUNDLE_ITEMS
from streams.stages.bundles import DEFAULT_BUNDLE_ITEMS

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="USUL_", env_file=".env", extra="ignore")

    bootstrap_servers: str | None = Field(
        default=None, description="Kafka bootstrap servers; unset starts the embedded broker")
    embedded_port: int = 9092
    broker_flavour: Literal["kafka", "tansu"] = Field(
        default="kafka", description="tansu turns on the embedded broker's workarounds (streams.kafka_settings)")
    app_id: str = "usul"
    lenses: list[str] = ["ai-safety-governance"]
    partitions: int = Field(default=4, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    min_insync_replicas: int | None = Field(
        default=None, ge=1, description="set on the topics `usul topics` creates; unset: the brokers' default "
        "(production: 2 with replication 3, deploy/README.md)")
    store: str = Field(default="memory://", description="faust table store: memory:// or rocksdb://")
    data_dir: Path = REPO_ROOT / "var"
    briefs_dir: Path | None = None
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    sources_file: Path | None = None
    poll_minutes: float = 15.0
    reclose_minutes: float = 30.0
    ingest_token: SecretStr | None = None
    topic_creation: bool = True
    # The optional language-model writer (streams.brief.llm): on when both base URL and model are set.
    llm_base_url: str | None = Field(
        default=None, description="OpenAI-compatible server; POST {base}/v1/chat/completions")
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_daily_token_budget: int = Field(default=200_000, ge=0, description="tokens per lens per day")
    llm_timeout_seconds: float = Field(default=30.0, gt=0)
    llm_max_tokens: int = Field(default=700, ge=64, description="completion tokens per call")
    # sinks (see sinks.registry): storage from these variables, notifications from a TOML file
    notifications_file: Path | None = Field(
        default=None, description="TOML file with a [notifications] section (sinks.config)")
    s3_endpoint_url: str | None = None
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    s3_prefix: str = "briefs/"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    postgres_dsn: SecretStr | None = Field(default=None, description="libpq connection string or URI")
    sink_retry_base_seconds: float = Field(default=1.0, gt=0)
    sink_retry_cap_seconds: float = Field(default=60.0, gt=0)
    sink_retry_max_attempts: int = Field(default=6, ge=1)
    sink_retry_budget_seconds: float = Field(
        default=300.0, gt=0, description="after this long a channel that stays down is dead-lettered")

    # ingestion from real sources (streams.ingest.fetch, streams.ingest.poller) ---------------------------
    contact_url: str | None = Field(
        default=None, description="a URL naming who runs this Usul, sent in the User-Agent of every fetch")
    poll_default_sources: bool = Field(
        default=True, description="with no sources file, poll sources/default.toml when the machine is online")
    poll_tick_seconds: float = Field(default=60.0, gt=0, description="how often the poller looks for due sources")
    source_timeout_seconds: float = Field(default=180.0, gt=0, description="one source's whole poll, at most")
    fetch_timeout_seconds: float = Field(default=20.0, gt=0, description="connect/read timeout of one request")
    fetch_total_seconds: float = Field(default=60.0, gt=0, description="one response, headers to last byte")
    fetch_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0, description="bytes on the wire per response")
    fetch_max_decoded_bytes: int = Field(default=20 * 1024 * 1024, gt=0, description="bytes after decompression")
    fetch_retries: int = Field(default=3, ge=0, description="retries of a failed request, with backoff and jitter")
    fetch_rate_per_host: float = Field(default=0.5, gt=0, description="requests per second per host (token bucket)")
    fetch_burst_per_host: int = Field(default=1, ge=1)
    allow_private_hosts: list[str] = Field(
        default_factory=list, description="hosts, addresses or networks exempt from the SSRF guard (e.g. 127.0.0.1)")
    ingest_dedup_days: float = Field(default=30.0, gt=0, description="how long ingestion remembers a URL")
    bundle_items: int = Field(
        default=DEFAULT_BUNDLE_ITEMS, ge=1, le=MAX_BUNDLE_ITEMS,
        description="items per raw record at most (a poll, a file, a replay, a push; streams.stages.bundles); "
        "1 sends one item a record")
    x_bearer_token: SecretStr | None = None
    x_daily_read_cap: int = Field(default=0, ge=0, description="X posts read per UTC day; 0 disables the X adapter")

    # production: stores, standbys and monitoring (deploy/) ---------------------------------------
    standby_replicas: int | None = Field(
        default=None, ge=0, description="standby copies of each table partition; unset: 0 with one replica, else 1")
    store_dir: Path | None = Field(
        default=None, description="faust's data directory, where RocksDB tables live; unset: DATA_DIR/faust")
    lag_sample_seconds: float = Field(default=15.0, gt=0, description="how often consumer lag is sampled")
    stall_seconds: float = Field(
        default=180.0, gt=0, description="records waiting this long with no read position moving make the "
        "worker stalled: /livez answers 503 (streams.stall)")

    # Kafka client security (streams.kafka_security, deploy/SECURITY.md) ---------------------------
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="how every Kafka client connects; production: SASL_SSL")
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="SCRAM-SHA-512", description="SASL mechanism for SASL_PLAINTEXT and SASL_SSL")
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = Field(
        default=None, description="PEM file of the CA that signed the brokers' certificates (besides system CAs)")

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @property
    def output_dir(self) -> Path:
        return self.briefs_dir or self.data_dir / "briefs"

    @property
    def table_standby_replicas(self) -> int:
        if self.standby_replicas is not None:
            return self.standby_replicas
        return 0 if self.replication_factor == 1 else 1

    @property
    def faust_dir(self) -> Path:
        return self.store_dir or self.data_dir / "faust"
