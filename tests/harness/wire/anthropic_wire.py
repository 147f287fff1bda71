"""The Anthropic Messages API wire format on the provider fake: JSON and SSE answers with
the real event sequence and usage, count_tokens, and Anthropic-shaped error bodies. Answers
that call tools or think first are opt-in, in `anthropic_tools`."""

from __future__ import annotations

import itertools
import json
import time

from tests.harness.wire.provider_fake import ProviderFake, Request, Response

# Fixed, so captured outputs (e.g. gateway token counters) do not depend on prompt sizes.
INPUT_TOKENS = 25
OUTPUT_TOKENS = 3

_ids = itertools.count(1)


def error_body(status: int, message: str) -> dict:
    kind = {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        413: "request_too_large",
        429: "rate_limit_error",
        500: "api_error",
        529: "overloaded_error",
    }.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


def message(model: str, text: str, cache: dict | None = None) -> dict:
    return {
        "id": f"msg_fake{next(_ids):06d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS, **(cache or {})},
    }


def sse_events(model: str, text: str, cache: dict | None = None):
    """The event sequence the real API sends for a one-block text answer."""
    msg = message(model, "")
    msg["content"], msg["stop_reason"] = [], None
    msg["usage"] = {"input_tokens": INPUT_TOKENS, "output_tokens": 1, **(cache or {})}
    yield "message_start", {"type": "message_start", "message": msg}
    yield "content_block_start", {
        "type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    yield "ping", {"type": "ping"}
    half = len(text) // 2
    for piece in (text[:half], text[half:]):
        if piece:
            yield "content_block_delta", {
                "type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": piece}}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield "message_delta", {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": OUTPUT_TOKENS}}
    yield "message_stop", {"type": "message_stop"}


def sse_bytes(events) -> list[bytes]:
    return [f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events]


def _spaced(chunks: list[bytes], gap_s: float):
    for i, chunk in enumerate(chunks):
        if i and gap_s:
            time.sleep(gap_s)
        yield chunk


PING = b'event: ping\ndata: {"type": "ping"}\n\n'


def _paused(chunks, pause_s: float, ping_s: float):
    """The first chunk, then `pause_s` of silence (a `ping` every `ping_s`), then the rest."""
    chunks = iter(chunks)
    yield next(chunks)
    end = time.monotonic() + pause_s
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(ping_s or left, left))
        if ping_s and end - time.monotonic() > 0:
            yield PING
    yield from chunks


def install(fake: ProviderFake, prefix: str = "") -> ProviderFake:
    """Serve the Messages API at `prefix`/v1/messages on the fake."""

    from tests.harness.wire.anthropic_tools import _next_tool, _thinking_turn, tool_use_events

    def messages(req: Request, resp: Response, _m) -> None:
        body = req.json or {}
        model = body.get("model", "")
        cache = prompt_cache_usage(fake, req) if getattr(fake, "prompt_caches", None) is not None \
            else None
        tool = _next_tool(fake, body)
        if not model or not body.get("messages"):
            resp.json(400, error_body(400, "model and messages are required"))
        elif getattr(fake, "thinking_turn", None):
            _thinking_turn(fake, req, resp)
        elif tool and body.get("stream"):
            resp.stream("text/event-stream", sse_bytes(tool_use_events(model, *tool, cache)))
        elif body.get("stream"):
            chunks = _spaced(sse_bytes(sse_events(model, fake.reply_text, cache)), fake.sse_gap_s)
            if fake.sse_pause_s:
                chunks = _paused(chunks, fake.sse_pause_s, fake.sse_ping_s)
            resp.stream("text/event-stream", chunks)
        else:
            resp.json(200, message(model, fake.reply_text, cache))

    def count_tokens(req: Request, resp: Response, _m) -> None:
        resp.json(200, {"input_tokens": INPUT_TOKENS})

    fake.route("POST", prefix + "/v1/messages", messages)
    fake.route("POST", prefix + "/v1/messages/count_tokens", count_tokens)
    return fake


def install_models(fake: ProviderFake, models: list[str], prefix: str = "") -> ProviderFake:
    """Opt-in: the Models API (`GET /v1/models`), which Claude Code asks a gateway for when
    model discovery is on. Without it the fake answers 404, as a gateway without it does."""

    def list_models(req: Request, resp: Response, _m) -> None:
        data = [{"type": "model", "id": m, "display_name": m, "created_at": "2026-01-01T00:00:00Z"}
                for m in models]
        resp.json(200, {"data": data, "has_more": False,
                        "first_id": models[0] if models else None,
                        "last_id": models[-1] if models else None})

    fake.route("GET", prefix + "/v1/models", list_models)
    return fake


# -- Prompt caching (opt-in) ---------------------------------------------------------------

def report_cache_usage(fake: ProviderFake) -> ProviderFake:
    """Opt-in: answer with cache_creation_input_tokens / cache_read_input_tokens the way the
    Messages API does. A prefix ending at a `cache_control` mark (tools, then system, then
    messages) is written on first sight and read afterwards. Caches are kept per API key:
    Anthropic isolates prompt caches between organizations, so two deployments with their own
    keys do not share them. Sizes are approximate (4 bytes a token)."""
    fake.prompt_caches = {}

    def opt_out() -> None:  # the next test gets the plain usage again
        fake.prompt_caches = None
        fake.on_reset.remove(opt_out)

    fake.on_reset.append(opt_out)
    return fake


def _marked_prefixes(body: dict) -> list[str]:
    parts, prefixes = [], []
    blocks = [("tools", t) for t in body.get("tools", [])]
    system = body.get("system")
    blocks += [("system", b) for b in (system if isinstance(system, list) else [])]
    for msg in body.get("messages", []):
        content = msg.get("content")
        blocks += [(msg.get("role"), b) for b in (content if isinstance(content, list) else [])]
    for where, block in blocks:
        parts.append(json.dumps([where, {k: v for k, v in block.items() if k != "cache_control"}],
                                sort_keys=True))
        if isinstance(block, dict) and "cache_control" in block:
            prefixes.append("".join(parts))
    return prefixes


def prompt_cache_usage(fake: ProviderFake, req: Request) -> dict:
    key = req.header("x-api-key") or req.header("authorization") or ""
    seen = fake.prompt_caches.setdefault(key, set())
    prefixes = _marked_prefixes(req.json or {})
    read = max((len(p) // 4 for p in prefixes if p in seen), default=0)
    longest = max((len(p) // 4 for p in prefixes), default=0)
    seen.update(prefixes)
    return {"cache_read_input_tokens": read, "cache_creation_input_tokens": longest - read}
