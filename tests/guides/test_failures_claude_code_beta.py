"""The `claude-code-20250219` beta flag through LiteLLM (docs/how-to/field-failures-betas.md,
"Where `claude-code-20250219` is dropped"): which of the pinned LiteLLM's routes pass it on to
the provider, and what Claude Code does when one does not.

Reported by users: IDE tools missing through LiteLLM when this flag is not forwarded. No IDE
runs here (an IDE's tools come from the IDE extension's connection), so what is observed is
the flag and the tools on the wire: at the gateway's door (what Claude Code sent, every
request) and at the provider stand-in (what LiteLLM passed on)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.reader.expect import claude_replied, upstream_messages
from tests.harness.wire import front_door

FLAG = "claude-code-20250219"
QUICKSTART_START = ("quickstart/03-start-gateway.sh",)
QUICKSTART_CONFIG = {"config.yaml": "quickstart/02-config.yaml"}
QUICKSTART_CONNECT = "quickstart/06-connect-shell.sh"
FIRST_REQUEST = "quickstart/07-first-request.sh"
BEDROCK_START = ("field-betas/02-start-gateway.sh",)
BEDROCK_CONFIG = {"config.yaml": "field-betas/01-bedrock-config.yaml"}
VERTEX_START = ("vertex/04-service-account.sh", "vertex/03-start-gateway.sh")
VERTEX_CONFIG = {"config.yaml": "vertex/02-config.yaml"}
CONNECT = "field-betas/03-connect.sh"
ASK = "field-betas/04-ask.sh"
FIX = "field-betas/05-disable-experimental-betas.sh"  # one request per prompt on these routes


def flags(request) -> set[str]:
    """The beta flags of a request: its anthropic-beta header and, for a provider's body,
    `anthropic_beta`."""
    try:
        body = json.loads(request.body or b"{}") if isinstance(request.body, bytes) \
            else (request.json or {})
    except ValueError:
        body = {}
    listed = body.get("anthropic_beta") if isinstance(body, dict) else None
    header = request.header("anthropic-beta") or ""
    return {b.strip() for b in header.split(",") if b.strip()} | set(listed or [])


def tool_names(body: dict) -> list[str]:
    return sorted(t.get("name", "") for t in body.get("tools", []))


def posts(door) -> list:
    return [r for r in door.requests if r.method == "POST"]


def test_the_quickstart_route_passes_the_flag_on(gateways, provider, upstream, terminal):
    """`anthropic/` models (the quickstart): every Messages request carries the flag at the
    door, and so does every request that reached the provider."""
    gateways.get(QUICKSTART_START, QUICKSTART_CONFIG, env={"ANTHROPIC_API_BASE": provider.url})
    with front_door.record(4000) as door:
        claude_replied(terminal.run(QUICKSTART_CONNECT, FIRST_REQUEST), "pong")
    print("front door:", door.lines())
    sent = posts(door)
    assert sent and all(FLAG in flags(r) for r in sent), door.lines()
    arrived = upstream_messages(upstream)
    assert arrived and all(FLAG in flags(c) for c in arrived), [c.headers for c in arrived]
    assert [tool_names(c.json) for c in arrived] == \
        [tool_names(json.loads(r.body)) for r in sent]


@pytest.mark.parametrize("route", ["bedrock", "vertex"])
def test_bedrock_and_vertex_routes_drop_the_flag(route, request, gateways, terminal):
    """`bedrock/` and `vertex_ai/` models: Claude Code sends the flag on every request, none
    reaching the provider carries it, and the answer comes all the same; the tools Claude
    Code sent reach the provider under the same names. With the experimental flags off, so
    that one request is the whole exchange."""
    if route == "bedrock":
        env, provider = request.getfixturevalue("aws_gateway_env"), \
            request.getfixturevalue("bedrock")
        gateways.get(BEDROCK_START, BEDROCK_CONFIG, env=env)
    else:
        env, provider = request.getfixturevalue("google_gateway_env"), \
            request.getfixturevalue("vertex")
        gateways.get(VERTEX_START, VERTEX_CONFIG, env=env)
    with front_door.record(4000) as door:
        claude_replied(terminal.run(CONNECT, FIX, ASK), "pong")
    print("front door:", door.lines())
    sent = posts(door)
    assert sent and all(FLAG in flags(r) for r in sent), door.lines()
    calls = provider.received("POST", r"/invoke" if route == "bedrock"
                              else r":streamRawPredict$")
    print("reached the provider:", [sorted(flags(c)) for c in calls])
    assert calls and not any(FLAG in flags(c) for c in calls), [sorted(flags(c)) for c in calls]
    assert len(calls) == len(sent) == 1, (door.lines(), len(calls))
    assert tool_names(calls[0].json) == tool_names(json.loads(sent[0].body))


def litellm_beta_map() -> dict:
    from tests.harness.start import components
    (path,) = Path(components.litellm_bin()).parent.glob(
        "lib/python3*/site-packages/litellm/anthropic_beta_headers_config.json")
    return json.loads(path.read_text())


def test_litellms_bundled_map_forwards_the_flag_only_to_mantle():
    """The pinned LiteLLM's bundled beta map (what an air-gapped gateway uses): a flag is
    forwarded to a provider only when that provider's table maps it to a name; the flag is in
    bedrock_mantle's table only."""
    tables = {k: v for k, v in litellm_beta_map().items() if isinstance(v, dict)}
    print({name: table.get(FLAG, "<absent>") for name, table in tables.items()})
    assert {"anthropic", "bedrock", "vertex_ai", "bedrock_mantle"} <= set(tables)
    assert [name for name, table in tables.items() if table.get(FLAG)] == ["bedrock_mantle"]
