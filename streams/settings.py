"""Usul's settings: environment variables prefixed `USUL_` (or a `.env` file), one object."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="USUL_", env_file=".env", extra="ignore")

    bootstrap_servers: str | None = Field(
        default=None, description="Kafka bootstrap servers; unset starts the embedded broker")
    embedded_port: int = 9092
    broker_flavour: Literal["kafka", "tansu"] = Field(
        default="kafka", description="tansu turns on the embedded broker's workarounds (streams.brokers)")
    app_id: str = "usul"
    lenses: list[str] = ["ai-safety-governance"]
    partitions: int = Field(default=4, ge=1)
    replication_factor: int = Field(default=1, ge=1)
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

    @property
    def output_dir(self) -> Path:
        return self.briefs_dir or self.data_dir / "briefs"
