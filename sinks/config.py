"""The notifications deployment file (`USUL_NOTIFICATIONS_FILE`, TOML). Pure but for reading it.

::

    [notifications]

    [[notifications.channels]]
    name = "desk-slack"                      # unique; the ledger and metrics use it (default: type)
    type = "slack"                           # slack | discord | teams | email | webhook
    url = "https://hooks.slack.com/services/..."
    lenses = ["ai-safety-governance"]        # omit or ["*"] for every lens
    crash_policy = "at-least-once"           # chat and email only; see `sinks` for what it means

    [[notifications.channels]]
    type = "webhook"
    url = "https://example.org/usul"
    secret = "whsec_..."                     # Standard Webhooks signing secret

    [[notifications.channels]]
    type = "email"
    url = "smtp://mail.example.org:587"      # smtp:// (STARTTLS if offered) or smtps://
    username = "usul"
    secret = "..."                           # the SMTP password
    sender = "Usul <usul@example.org>"
    recipients = ["desk@example.org"]

Webhook URLs of Slack, Discord and Teams carry their credential in the path, so every `url` and
`secret` is a `SecretStr`: never in a repr, a log line or an error message.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

CrashPolicy = Literal["at-least-once", "at-most-once"]


class _Channel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    url: SecretStr
    lenses: list[str] = ["*"]
    timeout_seconds: float = Field(default=10.0, gt=0)

    def applies_to(self, lens: str) -> bool:
        return "*" in self.lenses or lens in self.lenses


class _ChatChannel(_Channel):
    crash_policy: CrashPolicy = "at-least-once"


class SlackChannel(_ChatChannel):
    type: Literal["slack"]


class DiscordChannel(_ChatChannel):
    type: Literal["discord"]


class TeamsChannel(_ChatChannel):
    type: Literal["teams"]


class EmailChannel(_ChatChannel):
    type: Literal["email"]
    username: str | None = None
    secret: SecretStr | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)
    starttls: bool = True

    @field_validator("url")
    @classmethod
    def _smtp_url(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("smtp://", "smtps://")):
            raise ValueError("an email channel's url must start with smtp:// or smtps://")
        return value


class WebhookChannel(_Channel):
    type: Literal["webhook"]
    secret: SecretStr

    @field_validator("secret")
    @classmethod
    def _whsec(cls, value: SecretStr) -> SecretStr:
        from sinks.webhook import decode_secret  # the one place that knows the secret's format

        decode_secret(value)
        return value


ChannelConfig = Annotated[
    SlackChannel | DiscordChannel | TeamsChannel | EmailChannel | WebhookChannel, Field(discriminator="type")
]


class Notifications(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: list[ChannelConfig] = []

    @field_validator("channels")
    @classmethod
    def _named_uniquely(cls, channels: list[ChannelConfig]) -> list[ChannelConfig]:
        named = [c if c.name else c.model_copy(update={"name": c.type}) for c in channels]
        names = [c.name for c in named]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"channel names must be unique; repeated: {', '.join(dupes)} (set `name`)")
        reserved = {"files", "s3", "postgres"} & set(names)
        if reserved:
            raise ValueError(f"channel names {sorted(reserved)} are taken by the storage sinks")
        return named


class ConfigError(ValueError):
    """The notifications file is missing, not TOML, or not a valid `[notifications]` section."""


def load_notifications(path: Path) -> Notifications:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"notifications file {path}: {exc}") from exc
    try:
        return Notifications.model_validate(data.get("notifications", {}))
    except ValidationError as exc:
        # Never pydantic's own message: it echoes the failing input, which may be a webhook URL.
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))
        raise ConfigError(f"notifications file {path}: {problems}") from None
