"""Opt-in answers of the Anthropic wire format on the provider fake: a model that works with
tools (`use_tools`), a turn with signed extended thinking and a tool call
(`think_then_use_tool`). `anthropic_wire.install` serves them once a test opts in."""

from __future__ import annotations

import json

from tests.harness.wire.anthropic_wire import (
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    _ids,
    error_body,
    message,
    sse_bytes,
)
from tests.harness.wire.provider_fake import ProviderFake, Request, Response

# -- Signed thinking and a tool call (opt-in) ----------------------------------------------

def thinking_signature(key: str, thinking: str) -> str:
    """A signature bound to the API key the answer was given to (the stand-in's rule)."""
    import base64
    import hashlib
    import hmac
    return base64.b64encode(hmac.new(key.encode(), thinking.encode(), hashlib.sha256)
                            .digest()).decode()


def _api_key(req: Request) -> str:
    return req.header("x-api-key") or (req.header("authorization") or "").removeprefix("Bearer ")


def think_then_use_tool(fake: ProviderFake, tool: str, tool_input: dict,
                        down_key: str | None = None) -> ProviderFake:
    """Opt-in: a turn with extended thinking. A request without a tool result is answered
    with a signed thinking block and a call to `tool`; once the tool result comes back, with
    the text answer. A thinking block sent back with a signature the request's own API key did
    not get is refused with the Messages API's wording ("messages.N.content.M: Invalid
    `signature` in `thinking` block", as users report it from the real API). Signatures are
    bound to the API key: the strictest rule a provider may apply (the real rule is not
    published). `down_key`: requests with that key that carry a tool result get a 500, as a
    deployment that goes down in the middle of a turn."""
    fake.thinking_turn = {"tool": tool, "input": tool_input, "down_key": down_key}

    def opt_out() -> None:
        fake.thinking_turn = None
        fake.on_reset.remove(opt_out)

    fake.on_reset.append(opt_out)
    return fake


# -- Tool use (opt-in) -----------------------------------------------------------------------

def use_tools(fake: ProviderFake, steps) -> ProviderFake:
    """Opt-in: answer like a model that works with tools. After each prompt of the developer,
    the requests that carry tools are answered with the `steps` in turn, each a function of the
    request body returning (tool name, input); once every step's result came back, with the
    text answer. Ids are new on every answer, as the real API's are."""
    fake.tool_steps = list(steps)

    def opt_out() -> None:
        fake.tool_steps = None
        fake.on_reset.remove(opt_out)

    fake.on_reset.append(opt_out)
    return fake


THOUGHT = "I should read the file first."


def _thinking_turn(fake: ProviderFake, req: Request, resp: Response) -> None:
    turn, body, key = fake.thinking_turn, req.json or {}, _api_key(req)
    blocks = [(i, j, b) for i, m in enumerate(body.get("messages", []))
              if isinstance(m.get("content"), list) for j, b in enumerate(m["content"])]
    has_result = any(b.get("type") == "tool_result" for _, _, b in blocks)
    if has_result and key == turn["down_key"]:
        req.status = 500  # what the stand-in answered, for the test's record
        resp.json(500, error_body(500, "Internal server error"))
        return
    for i, j, b in blocks:
        if b.get("type") == "thinking" and \
                b.get("signature") != thinking_signature(key, b.get("thinking", "")):
            req.status = 400
            resp.json(400, error_body(
                400, f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block"))
            return
    model = body.get("model", "")
    start = message(model, "")
    start["content"], start["stop_reason"] = [], None
    events = [("message_start", {"type": "message_start", "message": start})]
    if has_result:
        content = [({"type": "text", "text": ""},
                    [{"type": "text_delta", "text": fake.reply_text}])]
        stop = "end_turn"
    else:
        content = [({"type": "thinking", "thinking": "", "signature": ""},
                    [{"type": "thinking_delta", "thinking": THOUGHT},
                     {"type": "signature_delta", "signature": thinking_signature(key, THOUGHT)}]),
                   ({"type": "tool_use", "id": f"toolu_fake{next(_ids):06d}", "name": turn["tool"],
                     "input": {}},
                    [{"type": "input_json_delta", "partial_json": json.dumps(turn["input"])}])]
        stop = "tool_use"
    for index, (block, deltas) in enumerate(content):
        events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                "content_block": block}))
        events += [("content_block_delta", {"type": "content_block_delta", "index": index,
                                             "delta": d}) for d in deltas]
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events += [("message_delta", {"type": "message_delta",
                                  "delta": {"stop_reason": stop, "stop_sequence": None},
                                  "usage": {"output_tokens": OUTPUT_TOKENS}}),
               ("message_stop", {"type": "message_stop"})]
    req.status = 200
    resp.stream("text/event-stream", sse_bytes(events))


def _next_tool(fake: ProviderFake, body: dict):
    steps = getattr(fake, "tool_steps", None)
    if not steps or not body.get("tools"):
        return None
    results = 0  # tool results since the developer's last prompt
    for msg in reversed(body.get("messages", [])):
        content = msg.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text"}]
        if msg.get("role") == "user" and not any(b.get("type") == "tool_result"
                                                 for b in blocks):
            break
        results += sum(1 for b in blocks if b.get("type") == "tool_result")
    if results >= len(steps):
        return None
    return steps[results](body)


def tool_use_events(model: str, name: str, tool_input: dict, cache: dict | None = None):
    """The event sequence the real API sends for an answer that is one tool call."""
    msg = message(model, "")
    msg["content"], msg["stop_reason"] = [], None
    msg["usage"] = {"input_tokens": INPUT_TOKENS, "output_tokens": 1, **(cache or {})}
    yield "message_start", {"type": "message_start", "message": msg}
    yield "content_block_start", {
        "type": "content_block_start", "index": 0,
        "content_block": {"type": "tool_use", "id": f"toolu_fake{next(_ids):06d}",
                          "name": name, "input": {}}}
    yield "content_block_delta", {
        "type": "content_block_delta", "index": 0,
        "delta": {"type": "input_json_delta", "partial_json": json.dumps(tool_input)}}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield "message_delta", {
        "type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {"output_tokens": OUTPUT_TOKENS}}
    yield "message_stop", {"type": "message_stop"}
