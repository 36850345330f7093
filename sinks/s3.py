"""S3-compatible object storage over httpx, with AWS Signature Version 4 written here.

Object layout mirrors the file sink, under `prefix`::

    <prefix><lens>/editions/<edition>/r<revision>/brief.md | brief.html | brief.txt | brief.json
    <prefix><lens>/editions/<edition>/latest.json      pointer to the newest revision, forward-only

by edition date (the morning the brief is published), as the file sink. Objects written under
the older lens-day keys (`<prefix><lens>/<day>/...`) stay where they are: a bucket is not moved.

`brief.json` is written last and carries `x-amz-meta-content-hash`: its presence means the whole
revision is stored, so a redelivery is one HEAD (`already_delivered`). A different hash under the
same revision is refused, as in the file sink. Every PUT is idempotent by key, so a resend after a
crash is harmless and this sink is always redelivered.

Path-style addressing (`<endpoint>/<bucket>/<key>`) works with AWS, MinIO, Ceph and moto alike.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from models.briefs import Brief
from sinks.base import DeliveryResult, DeliveryStatus, PermanentSinkError, RetryableSinkError
from sinks.http import check_status
from streams.brief.render import render_html, render_markdown, render_text

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_RENDERINGS = (("brief.md", "text/markdown; charset=utf-8", render_markdown),
               ("brief.html", "text/html; charset=utf-8", render_html),
               ("brief.txt", "text/plain; charset=utf-8", render_text))


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(("AWS4" + secret_key).encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def sigv4_headers(method: str, url: str, headers: dict[str, str], payload_sha256: str, access_key: str,
                  secret_key: str, region: str, now: datetime, service: str = "s3") -> dict[str, str]:
    """`headers` plus host, x-amz-date, x-amz-content-sha256 and the SigV4 Authorization header.

    `url`'s path must already be URI-encoded the way S3 wants it (each segment once, `/` kept).
    Every header passed in is signed.
    """
    parsed = httpx.URL(url)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    host = parsed.netloc.decode()
    signed = {k.lower(): " ".join(v.split()) for k, v in headers.items()}
    signed.update({"host": host, "x-amz-date": stamp, "x-amz-content-sha256": payload_sha256})
    names = sorted(signed)
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                     for k, v in sorted(httpx.QueryParams(parsed.query.decode()).multi_items()))
    canonical = "\n".join([method.upper(), parsed.raw_path.decode().split("?")[0] or "/", query,
                           "".join(f"{n}:{signed[n]}\n" for n in names), ";".join(names), payload_sha256])
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(signing_key(secret_key, stamp[:8], region, service), to_sign.encode(),
                         hashlib.sha256).hexdigest()
    auth = f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
    return {**{k: v for k, v in headers.items()}, "x-amz-date": stamp, "x-amz-content-sha256": payload_sha256,
            "authorization": auth}


class S3Sink:
    """Stores each brief revision as objects in one bucket."""

    name = "s3"

    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: SecretStr, region: str = "us-east-1",
                 prefix: str = "briefs/", timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.endpoint, self.bucket, self.region = endpoint.rstrip("/"), bucket, region
        self.access_key, self.secret_key, self.prefix = access_key, secret_key, prefix
        self.timeout, self.transport = timeout, transport

    def __repr__(self) -> str:
        return f"S3Sink(endpoint={self.endpoint!r}, bucket={self.bucket!r}, secret_key=SecretStr('**********'))"

    def key_for(self, brief: Brief, name: str) -> str:
        return f"{self.prefix}{brief.lens}/editions/{brief.edition}/r{brief.revision}/{name}"

    def url_for(self, key: str) -> str:
        return f"{self.endpoint}/{quote(self.bucket, safe='')}/{quote(key, safe='/-_.~')}"

    async def deliver(self, brief: Brief) -> DeliveryResult:
        async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
            stored = await self._request(client, brief, "HEAD", self.key_for(brief, "brief.json"), ok_missing=True)
            if stored is not None:
                existing = stored.headers.get("x-amz-meta-content-hash", "")
                if existing != brief.content_hash:
                    raise PermanentSinkError(self.name, brief.brief_id,
                                             f"brief.json already holds different content ({existing[:12]} != "
                                             f"{brief.content_hash[:12]}); a changed brief needs a new revision")
            else:
                for name, kind, render in _RENDERINGS:
                    await self._put(client, brief, self.key_for(brief, name), render(brief).encode(), kind)
                await self._put(client, brief, self.key_for(brief, "brief.json"),
                                brief.model_dump_json(indent=2).encode(), "application/json",
                                {"x-amz-meta-content-hash": brief.content_hash})
            await self._point_latest(client, brief)
        status: DeliveryStatus = "already_delivered" if stored is not None else "delivered"
        return DeliveryResult(self.name, brief.brief_id, status, f"s3://{self.bucket}/{self.key_for(brief, '')}")

    async def _point_latest(self, client: httpx.AsyncClient, brief: Brief) -> None:
        key = f"{self.prefix}{brief.lens}/editions/{brief.edition}/latest.json"
        current = await self._request(client, brief, "GET", key, ok_missing=True)
        if current is not None and json.loads(current.content).get("revision", 0) >= brief.revision:
            return  # forward-only: an old revision replayed late never moves the pointer back
        pointer = {"brief_id": brief.brief_id, "revision": brief.revision, "content_hash": brief.content_hash,
                   "path": f"r{brief.revision}"}
        await self._put(client, brief, key, (json.dumps(pointer, indent=2, sort_keys=True) + "\n").encode(),
                        "application/json")

    async def _put(self, client: httpx.AsyncClient, brief: Brief, key: str, data: bytes, kind: str,
                   extra: dict[str, str] | None = None) -> None:
        await self._request(client, brief, "PUT", key, data, {"content-type": kind, **(extra or {})})

    async def _request(self, client: httpx.AsyncClient, brief: Brief, method: str, key: str, data: bytes = b"",
                       headers: dict[str, str] | None = None, ok_missing: bool = False) -> httpx.Response | None:
        url = self.url_for(key)
        digest = hashlib.sha256(data).hexdigest() if data else EMPTY_SHA256
        signed = sigv4_headers(method, url, headers or {}, digest, self.access_key,
                               self.secret_key.get_secret_value(), self.region, datetime.now(UTC))
        try:
            response = await client.request(method, url, content=data or None, headers=signed)
        except httpx.HTTPError as exc:
            raise RetryableSinkError(self.name, brief.brief_id, f"{method} {key}: {type(exc).__name__}") from None
        if ok_missing and response.status_code == 404:
            return None
        check_status(self.name, brief.brief_id, response, self.secret_key.get_secret_value())
        return response
