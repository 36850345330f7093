"""How Usul's Kafka clients authenticate: one place that turns the settings into client options.

`client_kwargs` is for aiokafka (replay, produce, admin, dlq); `broker_credentials` is the same for
faust's `App(broker_credentials=...)`. With the defaults (PLAINTEXT, nothing set) both add nothing,
so local runs and tests are unchanged. See deploy/SECURITY.md.

The password is read from its `SecretStr` only here, at the moment a client is built; it is never
logged, and the returned dict should not be printed.
"""

from __future__ import annotations

import ssl
from typing import Any

from streams.settings import Settings

SASL_PROTOCOLS = ("SASL_PLAINTEXT", "SASL_SSL")
TLS_PROTOCOLS = ("SSL", "SASL_SSL")


class KafkaSecurityError(ValueError):
    """The security settings do not describe a usable client configuration."""


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """A verifying TLS context (system CAs, plus `ssl_cafile` when set) for SSL and SASL_SSL."""
    if settings.security_protocol not in TLS_PROTOCOLS:
        return None
    cafile = str(settings.ssl_cafile) if settings.ssl_cafile else None
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for every aiokafka client (producer, consumer, admin)."""
    protocol = settings.security_protocol
    if protocol == "PLAINTEXT":
        return {}
    kwargs: dict[str, Any] = {"security_protocol": protocol}
    context = ssl_context(settings)
    if context is not None:
        kwargs["ssl_context"] = context
    if protocol in SASL_PROTOCOLS:
        if not settings.sasl_username or settings.sasl_password is None:
            raise KafkaSecurityError(f"USUL_SECURITY_PROTOCOL={protocol} needs USUL_SASL_USERNAME and "
                                     "USUL_SASL_PASSWORD")
        kwargs.update(sasl_mechanism=settings.sasl_mechanism, sasl_plain_username=settings.sasl_username,
                      sasl_plain_password=settings.sasl_password.get_secret_value())
    return kwargs


def broker_credentials(settings: Settings) -> Any:
    """faust's credentials object for the same settings, or None for PLAINTEXT."""
    from faust.auth import SASLCredentials, SSLCredentials

    kwargs = client_kwargs(settings)
    if not kwargs:
        return None
    if settings.security_protocol == "SSL":
        return SSLCredentials(kwargs["ssl_context"])
    return SASLCredentials(username=kwargs["sasl_plain_username"], password=kwargs["sasl_plain_password"],
                           ssl_context=kwargs.get("ssl_context"), mechanism=kwargs["sasl_mechanism"])
