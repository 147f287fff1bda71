"""The Vertex AI wire format for Anthropic models on the provider fake.

`/v1/projects/{p}/locations/{r}/publishers/anthropic/models/{model}:rawPredict` (a plain
Messages answer) and `:streamRawPredict` (Anthropic SSE), `…/models/count-tokens:rawPredict`,
and a Google OAuth token endpoint (`/token`) that a service-account key file can name as its
`token_uri`, so the gateway's real google-auth code mints a token here instead of at Google.
Strict where users trip: `anthropic_version` in the body, known regions and models, and
beta flags outside `supported_betas` refused with Vertex's message. A model a test takes out
of a region (`fake.unavailable`, pairs of region and model) is refused there with Google's 404;
`permission_denied(...)` and `quota_exceeded(...)` are Google's 403 and 429 bodies for a
`fake.fail(...)`, as Vertex AI users report them (see each).
"""

from __future__ import annotations

import re

from tests.harness.wire import anthropic_wire
from tests.harness.wire.provider_fake import ProviderFake, Request, Response

ANTHROPIC_VERSION = "vertex-2023-10-16"
MODELS = {"claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5"}
REGIONS = {"us-east5", "europe-west1", "global"}
SUPPORTED_BETAS = {"claude-code-20250219", "interleaved-thinking-2025-05-14", "effort-2025-11-24",
                   "web-search-2025-03-05", "context-1m-2025-08-07"}
ACCESS_TOKEN = "ya29.fake-vertex-access-token"

PREFIX = r"/v1/projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)/publishers/anthropic/models/"


def google_error(resp: Response, status: int, kind: str, message: str) -> None:
    resp.json(status, error_body(status, kind, message))


def error_body(status: int, kind: str, message: str, details: list | None = None) -> dict:
    """Google's error shape (google.rpc.Status as JSON): code, message, status[, details]."""
    error = {"code": status, "message": message, "status": kind}
    if details:
        error["details"] = details
    return {"error": error}


def model_resource(project: str, region: str, model: str) -> str:
    return f"projects/{project}/locations/{region}/publishers/anthropic/models/{model}"


def not_found_message(project: str, region: str, model: str) -> str:
    # As Vertex AI answers a model it does not serve there (reported for Claude models in
    # cline/cline#8698; an older, shorter form ended "` not found." after the name).
    return (f"Publisher Model `{model_resource(project, region, model)}` was not found or your "
            "project does not have access to it. Please ensure you are using a valid model "
            "version. For more information, see: "
            "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions")


def permission_denied(project="my-gcp-project", region="us-east5",
                      model="claude-opus-5-5") -> dict:
    """403 when the caller's identity lacks aiplatform.endpoints.predict (the Vertex AI User
    role grants it), as Vertex AI answers it (message and ErrorInfo as reported, e.g. in
    rhel-lightspeed/linux-mcp-server#450 through LiteLLM)."""
    resource = model_resource(project, region, model)
    return error_body(403, "PERMISSION_DENIED",
                      f"Permission 'aiplatform.endpoints.predict' denied on resource "
                      f"'//aiplatform.googleapis.com/{resource}' (or it may not exist).",
                      [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "IAM_PERMISSION_DENIED", "domain": "aiplatform.googleapis.com",
                        "metadata": {"resource": resource,
                                     "permission": "aiplatform.endpoints.predict"}}])


def quota_exceeded(model="claude-opus-5-5") -> dict:
    """429 when the project's per-model quota is used up, as Vertex AI answers Claude Code
    (anthropics/claude-code#1440, #1474) and others (cline/cline#651)."""
    return error_body(429, "RESOURCE_EXHAUSTED",
                      "Quota exceeded for aiplatform.googleapis.com/"
                      f"online_prediction_requests_per_base_model with base model: anthropic-"
                      f"{model}. Please submit a quota increase request. "
                      "https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai.")


def install(fake: ProviderFake, models=MODELS, regions=REGIONS,
            supported_betas=SUPPORTED_BETAS) -> ProviderFake:
    # (region, model) pairs a test takes out: that model is not offered in that region.
    fake.unavailable = set()
    fake.on_reset.append(fake.unavailable.clear)

    def refused(req: Request, resp: Response, m: re.Match, model: str) -> bool:
        if req.header("authorization") != f"Bearer {ACCESS_TOKEN}":
            google_error(resp, 401, "UNAUTHENTICATED",
                         "Request had invalid authentication credentials.")
        elif (m["region"] not in regions or model not in models
              or (m["region"], model) in fake.unavailable):
            google_error(resp, 404, "NOT_FOUND",
                         not_found_message(m["project"], m["region"], model))
        else:
            betas = [b.strip() for b in (req.header("anthropic-beta") or "").split(",")]
            unknown = [b for b in betas if b and b not in supported_betas]
            if not unknown:
                return False
            listed = ", ".join(f"`{b}`" for b in unknown)
            resp.json(400, anthropic_wire.error_body(
                400, f"Unexpected value(s) {listed} for the `anthropic-beta` header. Please "
                     "consult our documentation at docs.anthropic.com or try again without "
                     "the header."))
        return True

    def predict(req: Request, resp: Response, m: re.Match) -> None:
        model, body = m["model"], req.json or {}
        if refused(req, resp, m, model):
            return
        if body.get("anthropic_version") != ANTHROPIC_VERSION:
            return resp.json(400, anthropic_wire.error_body(
                400, f"anthropic_version: must be {ANTHROPIC_VERSION}"))
        if not body.get("messages"):
            return resp.json(400, anthropic_wire.error_body(400, "messages: Field required"))
        if m["action"] == "streamRawPredict" or body.get("stream"):
            events = anthropic_wire.sse_events(model, fake.reply_text)
            return resp.stream("text/event-stream", anthropic_wire.sse_bytes(events))
        resp.json(200, anthropic_wire.message(model, fake.reply_text))

    def count_tokens(req: Request, resp: Response, m: re.Match) -> None:
        if not refused(req, resp, m, (req.json or {}).get("model", "")):
            resp.json(200, {"input_tokens": anthropic_wire.INPUT_TOKENS})

    def token(req: Request, resp: Response, _m) -> None:
        # google-auth posts a signed JWT assertion; any well-formed grant gets a token.
        if b"assertion=" not in req.body and b"refresh_token=" not in req.body:
            return resp.json(400, {"error": "invalid_grant"})
        resp.json(200, {"access_token": ACCESS_TOKEN, "expires_in": 3600,
                        "token_type": "Bearer"})

    fake.route("POST", PREFIX + r"count-tokens:rawPredict", count_tokens)
    fake.route("POST", PREFIX + r"(?P<model>[^/:]+):(?P<action>rawPredict|streamRawPredict)",
               predict)
    fake.route("POST", r"/token", token)
    return fake
