"""The Amazon Bedrock runtime wire format for Anthropic models on the provider fake.

InvokeModel (`/model/{id}/invoke`, a plain Messages answer) and
InvokeModelWithResponseStream (`/model/{id}/invoke-with-response-stream`, the Anthropic events
wrapped in AWS event-stream frames), plus `GET /inference-profiles`, which Claude Code asks
first. Strict where users trip: the body must carry `anthropic_version`, the model must be
one this fake "deployed", and beta flags outside `supported_betas` are refused the way
Bedrock refuses them (400 ValidationException "invalid beta flag"; reported in
anthropics/claude-code#49370, #30926, #21676). Opt-in: `fake.context_management_edits`, a set
of `context_management.edits` types the model accepts; a body with any other edit type is
refused with "context_management: Extra inputs are not permitted" (anthropics/claude-code#49548,
BerriAI/litellm#27532). None (the default) accepts any body.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from urllib.parse import unquote

from tests.harness.wire import anthropic_wire
from tests.harness.wire.provider_fake import ProviderFake, Request, Response

ANTHROPIC_VERSION = "bedrock-2023-05-31"
# Base model ids this fake serves; cross-region inference profiles prefix them (us., eu., ...).
MODELS = {"anthropic.claude-opus-5-5", "anthropic.claude-sonnet-5-5", "anthropic.claude-haiku-5-5"}
PROFILE_PREFIXES = ("us.", "eu.", "apac.", "global.")
# Betas a model on this fake accepts. Real lists differ per model and region, and change:
# the point is that Bedrock refuses any flag it does not know instead of ignoring it.
SUPPORTED_BETAS = {"claude-code-20250219", "interleaved-thinking-2025-05-14", "effort-2025-11-24",
                   "context-1m-2025-08-07"}


# Bodies of Bedrock's common refusals, as users report them (for fault injection).
ACCESS_DENIED = {"message": "You don't have access to the model with the specified model ID."}
THROTTLED = {"message": "Too many requests, please wait before trying again."}


def frame(payload: bytes, headers: dict[str, str]) -> bytes:
    """One AWS event-stream message: prelude (total length, headers length, CRC32), headers
    (name, type 7 = string, value), payload, CRC32 of everything before it."""
    head = b"".join(
        struct.pack("!B", len(k)) + k.encode() + struct.pack("!BH", 7, len(v)) + v.encode()
        for k, v in headers.items())
    total = 12 + len(head) + len(payload) + 4
    prelude = struct.pack("!II", total, len(head))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    message = prelude + head + payload
    return message + struct.pack("!I", zlib.crc32(message))


def chunk(event: dict) -> bytes:
    payload = json.dumps({"bytes": base64.b64encode(json.dumps(event).encode()).decode()})
    return frame(payload.encode(), {":event-type": "chunk", ":content-type": "application/json",
                                    ":message-type": "event"})


def error(resp: Response, status: int, kind: str, message: str) -> None:
    """Bedrock's error shape: {"message": …} with the exception name in x-amzn-ErrorType."""
    resp.json(status, {"message": message},
              {"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"})


def base_model(model_id: str) -> str:
    for prefix in PROFILE_PREFIXES:
        if model_id.startswith(prefix):
            return model_id[len(prefix):]
    return model_id


def signed_region(req: Request) -> str | None:
    """The region a SigV4 signature was made for (its credential scope), if signed."""
    m = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/bedrock/", req.header("authorization") or "")
    return m.group(1) if m else None


def install(fake: ProviderFake, models=MODELS, supported_betas=SUPPORTED_BETAS) -> ProviderFake:
    # Regions a test takes down (one endpoint per region in real life; here the signature's
    # region tells them apart).
    fake.down_regions = set()
    fake.on_reset.append(fake.down_regions.clear)
    fake.context_management_edits = None
    fake.on_reset.append(lambda: setattr(fake, "context_management_edits", None))

    def invoke(req: Request, resp: Response, m: re.Match) -> None:
        model_id = unquote(m["model"])
        body = req.json or {}
        if signed_region(req) in fake.down_regions:
            return error(resp, 503, "ServiceUnavailableException", "Service unavailable")
        if base_model(model_id) not in models:
            return error(resp, 400, "ValidationException",
                         "The provided model identifier is invalid.")
        if body.get("anthropic_version") != ANTHROPIC_VERSION:
            return error(resp, 400, "ValidationException",
                         f"anthropic_version must be {ANTHROPIC_VERSION}")
        header_betas = [b.strip() for b in (req.header("anthropic-beta") or "").split(",")]
        betas = list(body.get("anthropic_beta") or []) + [b for b in header_betas if b]
        if any(b not in supported_betas for b in betas):
            return error(resp, 400, "ValidationException", "invalid beta flag")
        if not body.get("messages"):
            return error(resp, 400, "ValidationException", "messages: Field required")
        edits = (body.get("context_management") or {}).get("edits") or []
        accepted = fake.context_management_edits
        if accepted is not None and "context_management" in body and (
                not edits or any(e.get("type") not in accepted for e in edits)):
            return error(resp, 400, "ValidationException",
                         "context_management: Extra inputs are not permitted")
        if m["action"] == "invoke":
            return resp.json(200, anthropic_wire.message(model_id, fake.reply_text))
        events = anthropic_wire.sse_events(model_id, fake.reply_text)
        resp.stream("application/vnd.amazon.eventstream", [chunk(data) for _, data in events])

    def inference_profiles(req: Request, resp: Response, _m) -> None:
        resp.json(200, {"inferenceProfileSummaries": [
            {"inferenceProfileId": f"us.{model}", "inferenceProfileName": f"US {model}",
             "status": "ACTIVE", "type": "SYSTEM_DEFINED",
             "models": [{"modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model}"}]}
            for model in sorted(models)]})

    fake.route("POST", r"/model/(?P<model>[^/]+)/(?P<action>invoke|invoke-with-response-stream)",
               invoke)
    fake.route("GET", r"/inference-profiles", inference_profiles)
    return fake
