"""S3-compatible object storage: SigV4 against AWS's published example and botocore, and delivery
to moto's S3 server running as a real HTTP server."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from pydantic import SecretStr

from sinks.base import PermanentSinkError
from sinks.s3 import EMPTY_SHA256, S3Sink, sigv4_headers
from tests.sinks.conftest import brief

AWS_KEY, AWS_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_sigv4_matches_the_aws_documentation_example() -> None:
    # "GET Object" example of the S3 SigV4 documentation (single chunk, header-based auth).
    headers = sigv4_headers("GET", "https://examplebucket.s3.amazonaws.com/test.txt", {"Range": "bytes=0-9"},
                            EMPTY_SHA256, AWS_KEY, AWS_SECRET, "us-east-1", datetime(2013, 5, 24, tzinfo=UTC))
    assert headers["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")


def test_sigv4_agrees_with_botocore_on_a_put_with_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from botocore import auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    moment = datetime(2026, 1, 8, 6, 5, 1, tzinfo=UTC)
    monkeypatch.setattr(auth, "get_current_datetime", lambda: moment.replace(tzinfo=None))
    url, data = "http://127.0.0.1:9000/bucket/briefs/a%20b/r1/brief.json", b'{"x": 1}'
    digest = hashlib.sha256(data).hexdigest()
    extra = {"content-type": "application/json", "x-amz-meta-content-hash": "abc"}
    ours = sigv4_headers("PUT", url, extra, digest, AWS_KEY, AWS_SECRET, "eu-west-1", moment)
    request = AWSRequest("PUT", url, data=data, headers={**extra, "x-amz-content-sha256": digest})
    auth.S3SigV4Auth(Credentials(AWS_KEY, AWS_SECRET), "s3", "eu-west-1").add_auth(request)
    assert ours["authorization"] == request.headers["Authorization"]


@pytest.fixture
def bucket(s3_endpoint: str, request: pytest.FixtureRequest) -> tuple[S3Sink, object]:
    name = "usul-" + request.node.name.replace("_", "-")[:40].lower()
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    client.create_bucket(Bucket=name)
    return S3Sink(s3_endpoint, name, "testing", SecretStr("testing")), client


def _keys(client: object, bucket: str) -> list[str]:
    listing = client.list_objects_v2(Bucket=bucket)  # type: ignore[attr-defined]
    return sorted(o["Key"] for o in listing.get("Contents", []))


@pytest.mark.asyncio
async def test_a_revision_is_stored_as_four_objects_and_a_pointer(bucket: tuple[S3Sink, object]) -> None:
    sink, client = bucket
    result = await sink.deliver(brief())
    assert result.status == "delivered"
    prefix = "briefs/ai-safety-governance/editions/2026-01-09/"
    assert _keys(client, sink.bucket) == [prefix + "latest.json"] + [
        f"{prefix}r1/brief.{ext}" for ext in ("html", "json", "md", "txt")]
    stored = client.get_object(Bucket=sink.bucket, Key=prefix + "r1/brief.json")  # type: ignore[attr-defined]
    assert stored["Body"].read().decode() == brief().model_dump_json(indent=2)
    assert stored["Metadata"]["content-hash"] == brief().content_hash


@pytest.mark.asyncio
async def test_redelivery_is_idempotent_and_the_pointer_moves_forward_only(bucket: tuple[S3Sink, object]) -> None:
    sink, client = bucket
    await sink.deliver(brief())
    assert (await sink.deliver(brief())).status == "already_delivered"
    await sink.deliver(brief(2, executive_summary="A later story."))
    await sink.deliver(brief())
    latest = client.get_object(Bucket=sink.bucket,  # type: ignore[attr-defined]
                               Key="briefs/ai-safety-governance/editions/2026-01-09/latest.json")
    assert json.loads(latest["Body"].read())["revision"] == 2


@pytest.mark.asyncio
async def test_a_changed_brief_under_the_same_revision_is_refused(bucket: tuple[S3Sink, object]) -> None:
    sink, _ = bucket
    await sink.deliver(brief())
    with pytest.raises(PermanentSinkError, match="new revision"):
        await sink.deliver(brief(executive_summary="Something else."))


@pytest.mark.asyncio
async def test_a_missing_bucket_is_permanent(s3_endpoint: str) -> None:
    sink = S3Sink(s3_endpoint, "no-such-bucket", "testing", SecretStr("topsecretkey"))
    with pytest.raises(PermanentSinkError, match="HTTP 404") as caught:
        await sink.deliver(brief())
    assert "topsecretkey" not in str(caught.value) + repr(sink)
