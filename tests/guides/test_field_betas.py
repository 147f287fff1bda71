"""Field failures: beta flags and `context_management` through LiteLLM's Bedrock and Vertex AI
model routes (docs/how-to/field-failures-betas.md). Claude Code speaks the Anthropic Messages
API to the gateway; LiteLLM translates to the provider; the provider stand-ins refuse what the
real providers refuse (rules and sources in harness/wire/bedrock_wire.py and vertex_wire.py)."""

from __future__ import annotations

import json

import pytest

from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.reader.expect import claude_failed_with, claude_replied
from tests.harness.wire import bedrock_wire, front_door, vertex_wire
from tests.harness.wire.provider_fake import serving

START = ("field-betas/02-start-gateway.sh",)
BEDROCK = {"config.yaml": "field-betas/01-bedrock-config.yaml"}
VERTEX_START = ("vertex/04-service-account.sh", "vertex/03-start-gateway.sh")
VERTEX = {"config.yaml": "vertex/02-config.yaml"}
CONNECT = "field-betas/03-connect.sh"
ASK = "field-betas/04-ask.sh"
FIX = "field-betas/05-disable-experimental-betas.sh"


def _betas(request) -> list[str]:
    body = (request.json if hasattr(request, "json") else json.loads(request.body or b"{}")) or {}
    header = [b.strip() for b in (request.header("anthropic-beta") or "").split(",") if b.strip()]
    return sorted(set(body.get("anthropic_beta") or []) | set(header))


@pytest.fixture
def bedrock_gateway(gateways, aws_gateway_env):
    return gateways.get(START, BEDROCK, env=aws_gateway_env)


def test_bedrock_route_refuses_claude_codes_betas(bedrock_gateway, bedrock, terminal):
    bedrock.context_management_edits = set()  # this model accepts no context_management
    with front_door.record(4000) as door:  # what Claude Code sent to the gateway, unfiltered
        result = terminal.run(CONNECT, ASK)
    claude_failed_with(result, '{"message": "invalid beta flag"}')
    print("front door:", door.lines())
    sent = [r for r in door.requests if r.method == "POST"]
    assert sent and all(r.path.startswith("/v1/messages") for r in sent), door.lines()
    sent_flags = {b for r in sent for b in _betas(r)}
    # Claude Code sends the clear_thinking edit the page names, in context_management.
    assert all(e.get("type") == "clear_thinking_20251015"
               for e in json.loads(sent[0].body)["context_management"]["edits"]), sent[0].body[:300]
    captures.check("field-betas/bedrock-invalid-beta.console", captures.console(
        snippet(ASK).read_text(), result.output))
    calls = bedrock.received("POST", r"/invoke")
    unknown = sorted({b for c in calls for b in _betas(c)} - bedrock_wire.SUPPORTED_BETAS)
    assert unknown, "every flag was accepted: the refusal came from somewhere else"
    # LiteLLM already drops the clear_thinking edit Claude Code sends (Bedrock would refuse it).
    assert all("context_management" not in (c.json or {}) for c in calls)
    added = sorted({b for c in calls for b in _betas(c)} - sent_flags)
    assert added, "every flag reaching Bedrock was one Claude Code sent"
    print("Claude Code's requests:", len(sent), "Bedrock's:", len(calls), "added:", added)
    captures.check("field-betas/bedrock-betas-summary.txt", "\n".join([
        f"requests for one prompt: {len(sent)} from Claude Code to the gateway, "
        f"{len(calls)} from the gateway to Bedrock",
        f"flags reaching Bedrock: {', '.join(_betas(calls[0]))}",
        f"flags this Bedrock stand-in refuses: {', '.join(unknown)}",
        f"flags LiteLLM renamed or added (Claude Code did not send them): {', '.join(added)}",
        "context_management in the Bedrock body: "
        + ("absent" if all("context_management" not in (c.json or {}) for c in calls)
           else "present")]))


def test_disable_experimental_betas_fixes_the_bedrock_route(bedrock_gateway, bedrock, terminal):
    bedrock.context_management_edits = set()
    result = terminal.run(CONNECT, FIX, ASK)
    claude_replied(result, "pong")
    (call,) = bedrock.received("POST", r"/invoke")
    assert set(_betas(call)) <= bedrock_wire.SUPPORTED_BETAS
    captures.check("field-betas/bedrock-fixed-summary.txt",
                   f"flags reaching Bedrock: {', '.join(_betas(call)) or '(none)'}\n"
                   f"context_management in the Bedrock body: "
                   f"{'present' if 'context_management' in call.json else 'absent'}\n")


@pytest.fixture
def vertex_gateway(gateways, google_gateway_env):
    return gateways.get(VERTEX_START, VERTEX, env=google_gateway_env)


def test_vertex_route_costs_a_request_per_refused_flag(vertex_gateway, vertex, terminal):
    """Vertex AI names the flags it refuses; Claude Code retries without them (the pattern is
    in the binary: "Unexpected value(s) ... for the `anthropic[-_]beta`"), so the prompt
    succeeds, after one upstream request per refused flag."""
    with front_door.record(4000) as door:  # who sends the request again: Claude Code
        result = terminal.run(CONNECT, ASK)
    claude_replied(result, "pong")
    calls = vertex.received("POST", r":streamRawPredict$")
    assert len(calls) > 1, "no flag was refused: the stand-in accepted every flag"
    sent = [r for r in door.requests if r.method == "POST"]
    print("front door:", door.lines())
    assert len(sent) == len(calls), (door.lines(), len(calls))  # each retry is Claude Code's
    for r, c in zip(sent, calls):
        print("sent:", _betas(r), "\n  reached Vertex AI:", _betas(c))
    # Claude Code's last request goes without flags its first one carried (the refused ones).
    assert set(_betas(sent[-1])) < set(_betas(sent[0])), [_betas(r) for r in sent]
    assert set(_betas(calls[-1])) <= vertex_wire.SUPPORTED_BETAS
    captures.check("field-betas/vertex-betas-summary.txt", "\n".join([
        f"upstream requests for one prompt: {len(calls)} ({len(calls) - 1} refused)",
        f"first request's flags: {', '.join(_betas(calls[0]))}",
        f"accepted request's flags: {', '.join(_betas(calls[-1]))}",
        "context_management in the Vertex body: "
        + ("absent" if all("context_management" not in (c.json or {}) for c in calls)
           else "present")]))


def test_disable_experimental_betas_on_the_vertex_route(vertex_gateway, vertex, terminal):
    result = terminal.run(CONNECT, FIX, ASK)
    claude_replied(result, "pong")
    calls = vertex.received("POST", r":streamRawPredict$")
    captures.check("field-betas/vertex-fixed-summary.txt",
                   f"upstream requests for one prompt: {len(calls)}\n"
                   f"flags reaching Vertex AI: {', '.join(_betas(calls[-1])) or '(none)'}\n")


def test_litellm_beta_map_is_bundled_and_fetched():
    """The map ships in the pinned package; the published start sets the variable that keeps
    LiteLLM on it (the fetch itself: the next test)."""
    from tests.harness.start import components
    site = next(components.litellm_bin().parent.glob("lib/python3*/site-packages/litellm"))
    assert (site / "anthropic_beta_headers_config.json").is_file()
    assert "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS=True" in snippet(START[0]).read_text()


def test_beta_map_is_fetched_on_first_use_unless_local(gateways, aws_gateway_env, bedrock,
                                                       terminal):
    """Where the map comes from is LiteLLM's own LITELLM_ANTHROPIC_BETA_HEADERS_URL, pointed
    here at a local recorder that answers 404 (as an unreachable GitHub would fail). Without
    LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS (the quickstart's start): nothing is fetched while
    LiteLLM starts, one GET on the first Bedrock request, a warning, and the bundled map
    then decides. With the published start and the same request: no fetch at all."""
    with serving() as maps:
        url = f"{maps.url}/anthropic_beta_headers_config.json"
        env = {**aws_gateway_env, "AWS_REGION_NAME": "us-east-1",
               "LITELLM_ANTHROPIC_BETA_HEADERS_URL": url}
        fetching = gateways.get(("quickstart/03-start-gateway.sh",), BEDROCK, env=env)
        assert maps.received() == [], "fetched while starting"
        terminal.run(CONNECT, ASK)  # Claude Code's beta flags: LiteLLM filters them
        assert [(r.method, r.path) for r in maps.received()] == [
            ("GET", "/anthropic_beta_headers_config.json")]
        assert f"Failed to fetch remote beta headers config from {url}" in fetching.log()
        gateways.get(START, BEDROCK, env=env)
        maps.reset()
        terminal.run(CONNECT, ASK)  # the same flags to filter, as above
        assert maps.received() == [], "the published start fetched the map"
