"""The Anthropic Messages API behind AWS authentication, on the provider fake: Claude Platform
on AWS and Amazon Bedrock Mantle.

Both serve the Messages API as Anthropic does (JSON and SSE answers from `anthropic_wire`);
what differs is the door in front of it, which this module checks strictly:

- **Claude Platform on AWS** (`install_claude_platform`): `POST /v1/messages` at
  `aws-external-anthropic.<region>.api.aws`, with an `anthropic-workspace-id` header and
  either a workspace API key in `x-api-key` or an AWS Signature Version 4 for the service
  `aws-external-anthropic` (LiteLLM's `llms/bedrock/claude_platform/common_utils.py`).
- **Bedrock Mantle** (`install_mantle`): `POST /anthropic/v1/messages` at
  `bedrock-mantle.<region>.api.aws`, signed with SigV4 for the service `bedrock` (the other
  way in, a Bedrock API key as `Authorization: Bearer`, is not served here; LiteLLM's
  `llms/bedrock_mantle/common_utils.py`), with model ids in Bedrock's form (`anthropic.claude-…`).

A signature is verified in full (canonical request, string to sign, derived key) against the
secret key the test gave the gateway, not only read. The refusal bodies are this fake's own
(Anthropic's error shape): the real services' texts are not known here, so a page must not
quote them as the provider's.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import quote

from tests.harness.wire import anthropic_wire
from tests.harness.wire.provider_fake import ProviderFake, Request, Response

CLAUDE_PLATFORM_SERVICE = "aws-external-anthropic"
MANTLE_SERVICE = "bedrock"
MANTLE_MODELS = {"anthropic.claude-opus-5-5", "anthropic.claude-sonnet-5-5",
                 "anthropic.claude-haiku-5-5"}

_AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
                   r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?"
                   r"Signature=(?P<sig>[0-9a-f]{64})")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sigv4(req: Request, secret_key: str) -> dict | None:
    """The SigV4 signature on `req`, verified with `secret_key`: its parts (access key id,
    region, service, signed headers) when the signature is right, None when the request is
    not signed or the signature does not match what `secret_key` gives."""
    m = _AUTH.fullmatch(req.header("authorization") or "")
    amz_date = req.header("x-amz-date")
    if not m or not amz_date:
        return None
    signed = m["signed"].split(";")
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                     for k in sorted(req.query) for v in sorted(req.query[k]))
    payload = req.header("x-amz-content-sha256") or hashlib.sha256(req.body).hexdigest()
    canonical = "\n".join([
        req.method, quote(req.path, safe="/-_.~"), query,
        "".join(f"{h}:{' '.join((req.header(h) or '').split())}\n" for h in signed),
        m["signed"], payload])
    scope = f"{m['date']}/{m['region']}/{m['service']}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = b"AWS4" + secret_key.encode()
    for part in (m["date"], m["region"], m["service"], "aws4_request"):
        key = _hmac(key, part)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, m["sig"]):
        return None
    return {"access_key_id": m["key"], "region": m["region"], "service": m["service"],
            "signed_headers": signed}


def _gate(fake: ProviderFake, check) -> None:
    """Put `check(req)` in front of every route installed so far: a refusal
    (status, message) it returns is sent in Anthropic's error shape instead of the answer."""
    def gated(handler):
        def serve(req: Request, resp: Response, m) -> None:
            refusal = check(req)
            if refusal:
                status, message = refusal
                return resp.json(status, anthropic_wire.error_body(status, message))
            return handler(req, resp, m)
        return serve
    fake._routes[:] = [(method, pattern, gated(handler))
                       for method, pattern, handler in fake._routes]


def install_claude_platform(fake: ProviderFake, workspace_id: str, secret_key: str,
                            region: str = "us-east-1") -> ProviderFake:
    """Claude Platform on AWS: the Messages API at `/v1/messages`, for requests that name
    `workspace_id` and are signed for `aws-external-anthropic` in `region` with `secret_key`."""
    anthropic_wire.install(fake)

    def check(req: Request):
        signature = sigv4(req, secret_key)
        if not signature or signature["service"] != CLAUDE_PLATFORM_SERVICE \
                or signature["region"] != region:
            return 403, "The request signature we calculated does not match the signature " \
                        "you provided."
        if req.header("anthropic-workspace-id") != workspace_id:
            return 404, "workspace not found"
        if "context_management" in (req.json or {}):
            return 400, "context_management: Extra inputs are not permitted"
        return None

    _gate(fake, check)
    return fake


def install_mantle(fake: ProviderFake, secret_key: str, region: str = "us-east-1",
                   models=frozenset(MANTLE_MODELS)) -> ProviderFake:
    """Bedrock Mantle: the Messages API at `/anthropic/v1/messages`, for requests signed for
    `bedrock` in `region` with `secret_key` that name a model in Bedrock's form."""
    anthropic_wire.install(fake, prefix="/anthropic")

    def check(req: Request):
        signature = sigv4(req, secret_key)
        if not signature or signature["service"] != MANTLE_SERVICE \
                or signature["region"] != region:
            return 403, "The request signature we calculated does not match the signature " \
                        "you provided."
        model = (req.json or {}).get("model", "")
        if model not in models:
            return 404, f"model {model} not found"
        return None

    _gate(fake, check)
    return fake
